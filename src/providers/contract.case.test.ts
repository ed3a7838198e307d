// The contract every provider passes (this host's pool, the scripted market, vast.ai and io.net
// against their fakes). Each provider's own test file calls runProviderContract.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { GpuInstance } from '../domain/instances.js';
import { createdOf, type Provider } from './provider.js';

export interface ProviderFixture {
  provider: Provider;
  close(): Promise<void>;
}

export interface ProviderFactory {
  /** A fresh provider offering at least two instances, none held. */
  open(): Promise<ProviderFixture>;
}

const USER = 'api:contract@example.com';
const HOUR = 3_600_000;
/** A contract id no provider has made (numeric, so vast.ai's form too). */
const UNKNOWN = '424242';

/** A creation's contract id, whether the provider answered a bare id or what it made. */
const make = async (p: Provider, i: GpuInstance, reservationId?: string) =>
  createdOf(await p.create(i, USER, HOUR, reservationId), i).contractId;

export function runProviderContract(name: string, factory: ProviderFactory): void {
  describe(`provider contract: ${name}`, () => {
    const it = (title: string, fn: (p: Provider) => Promise<void>) =>
      test(title, async () => {
        const f = await factory.open();
        try {
          await fn(f.provider);
        } finally {
          await f.close();
        }
      });

    it('offers available instances under its own name, with distinct ids and sane numbers', async (p) => {
      const offered = await p.available();
      assert.ok(offered.length >= 2);
      assert.equal(new Set(offered.map((i) => i.id)).size, offered.length);
      for (const i of offered) {
        assert.equal(i.provider, p.name);
        assert.equal(i.status, 'available');
        assert.ok(Number.isInteger(i.numGpus) && i.numGpus >= 1);
        assert.ok(Number.isFinite(i.pricePerHour) && i.pricePerHour >= 0);
        assert.ok(i.vramGb >= 0);
      }
    });

    it('creates a contract that is held until destroyed; a second destroy is false', async (p) => {
      const [first] = await p.available();
      const id = await make(p, first!);
      assert.equal(typeof id, 'string');
      assert.deepEqual(await p.stillHeld([id, UNKNOWN]), new Set([id]));
      assert.equal(await p.destroy(id), true);
      assert.deepEqual(await p.stillHeld([id]), new Set());
      assert.equal(await p.destroy(id), false);
    });

    it('says what it made: under its own name, priced, within the max_price asked for', async (p) => {
      const [first] = await p.available();
      const made = createdOf(await p.create(first!, USER, HOUR, undefined, { maxPricePerHour: 1e6 }), first!);
      assert.equal(typeof made.contractId, 'string');
      assert.equal(made.instance.provider, p.name);
      assert.ok(Number.isFinite(made.instance.pricePerHour) && made.instance.pricePerHour <= 1e6);
      assert.equal(await p.destroy(made.contractId), true);
    });

    it('no longer offers an instance it created, and two creations make two contracts', async (p) => {
      const [a, b] = await p.available();
      const one = await make(p, a!);
      const two = await make(p, b!);
      assert.notEqual(one, two);
      assert.deepEqual(await p.stillHeld([one, two]), new Set([one, two]));
      assert.ok(!(await p.available()).some((i) => i.id === a!.id));
    });

    it('destroying an unknown contract is false, not an error; nothing held is an empty set', async (p) => {
      assert.equal(await p.destroy(UNKNOWN), false);
      assert.deepEqual(await p.stillHeld([]), new Set());
      assert.deepEqual(await p.stillHeld([UNKNOWN]), new Set());
    });

    it('marketplaces: lists its labelled instances with the reservation id they were created for', async (p) => {
      if (!p.labelled) return;
      assert.deepEqual(await p.labelled(), []);
      const [first, second] = await p.available();
      const reservationId = '0b6a3c52-57a4-4c8e-9a43-6f1d2a9e3c11';
      const id = await make(p, first!, reservationId);
      const other = await make(p, second!);
      const found = await p.labelled();
      assert.deepEqual(
        found.find((l) => l.contractId === id),
        { contractId: id, reservationId },
      );
      assert.equal(found.length, 2);
      assert.match(found.find((l) => l.contractId === other)!.reservationId!, /^[0-9a-f-]{36}$/);
      await p.destroy(id);
      assert.deepEqual(
        (await p.labelled()).map((l) => l.contractId),
        [other],
      );
    });

    it('marketplaces: describes the contracts it holds, with a status, and none it does not', async (p) => {
      if (!p.describe) return;
      const [first] = await p.available();
      const id = await make(p, first!);
      const states = await p.describe([id, UNKNOWN]);
      assert.deepEqual([...states.keys()], [id]);
      assert.equal(typeof states.get(id)!.status, 'string');
      await p.destroy(id);
      assert.deepEqual(await p.describe([id]), new Map());
    });

    it('lists what it holds for the server, when it can, and not what it destroyed', async (p) => {
      if (!p.heldForServer) return;
      assert.deepEqual(await p.heldForServer(), []);
      const [first] = await p.available();
      const id = await make(p, first!);
      assert.deepEqual(await p.heldForServer(), [id]);
      await p.destroy(id);
      assert.deepEqual(await p.heldForServer(), []);
    });
  });
}
