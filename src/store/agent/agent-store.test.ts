// The private store through the agent: the store contract over a real Unix socket for a trusted caller
// (root, the agent's user), and what the gate keeps an ordinary user from doing.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { AllocationRequest } from '../../domain/allocation.js';
import { NotEnoughGpusError, UsageError } from '../../domain/errors.js';
import { defaultLiveness } from '../../domain/liveness.js';
import { peerCredentials } from '../../host/peer-credentials.js';
import { runStoreContract } from '../contract.case.test.js';
import { SqliteStore } from '../sqlite/sqlite-store.js';
import { AgentStore } from './agent-store.js';
import { agentSocketOf } from './socket-path.js';
import { type Caller, StoreGate } from './store-gate.js';
import { serveStoreSocket } from './store-socket.js';

const dir = mkdtempSync(join(tmpdir(), 'canhazgpu-agent-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const T0 = 1_800_000_000_000;
const HOST = 'this-host';

/** A private store served on its socket to callers `who` names; returns the store's path and a closer. */
async function served(
  who: (n: number) => Caller,
  clockNow = () => T0,
  processUid = (_pid: number) => 1000 as number | null,
) {
  const path = join(dir, `private-${++n}.db`);
  const store = SqliteStore.create(path, { private: true });
  const gate = new StoreGate({
    store,
    clock: { now: clockNow },
    owners: { state: () => 'unknown' },
    staleAfterMs: 300_000,
    host: HOST,
    processUid,
  });
  let connections = 0;
  const socket = await serveStoreSocket({
    path: agentSocketOf(path),
    gate,
    identify: async () => who(connections++),
    log: () => {},
  });
  return {
    path,
    store,
    close: async () => {
      await socket.close();
      await store.close();
    },
  };
}

const trusted: Caller = { uid: 0, user: 'root', trusted: true };
const alice: Caller = { uid: 1000, user: 'alice', trusted: false };
const bob: Caller = { uid: 1001, user: 'bob', trusted: false };

runStoreContract('sqlite private, through the agent', {
  noQueue: true,
  open: async () => {
    const agent = await served(() => trusted);
    const client = await AgentStore.connect(agent.path);
    const close = client.close.bind(client);
    return Object.assign(client, {
      close: async () => {
        await close();
        await agent.close();
      },
    });
  },
});

test("a private store is its owner's alone (0600) and uses WAL", async () => {
  const agent = await served(() => trusted);
  try {
    assert.equal(statSync(agent.path).mode & 0o777, 0o600);
    assert.equal(agent.store.layout, 'private');
    assert.equal(statSync(agentSocketOf(agent.path)).mode & 0o777, 0o666, 'every user may connect');
  } finally {
    await agent.close();
  }
});

describe('what the agent lets an ordinary user do', () => {
  let tokens = 0;
  const request = (over: Partial<AllocationRequest> = {}): AllocationRequest => ({
    count: 1,
    user: 'alice',
    type: 'manual',
    now: T0,
    expiryTime: T0 + 3_600_000,
    inUse: [],
    token: `t${++tokens}`,
    owner: null,
    liveness: defaultLiveness(),
    ...over,
  });

  /** Alice on the first connection, Bob on the second, root on the third. */
  async function pool() {
    const agent = await served((i) => [alice, bob, trusted][i] ?? bob);
    const asAlice = await AgentStore.connect(agent.path);
    const asBob = await AgentStore.connect(agent.path);
    const asRoot = await AgentStore.connect(agent.path);
    await asRoot.initialize(4, false, T0);
    return {
      asAlice,
      asBob,
      asRoot,
      close: async () => {
        for (const c of [asAlice, asBob, asRoot]) await c.close();
        await agent.close();
      },
    };
  }

  test('reserves only as themself, and a forged request changes nothing', async () => {
    const p = await pool();
    try {
      await assert.rejects(
        p.asBob.allocate(request({ user: 'alice' })),
        (e) => e instanceof UsageError && /you are 'bob'/.test(e.message),
      );
      await assert.rejects(p.asAlice.allocate(request({ count: 0 })), UsageError);
      await assert.rejects(p.asAlice.allocate(request({ type: 'other' as 'run' })), UsageError);
      assert.ok((await p.asRoot.snapshot()).slots.every((s) => s.reservation === null));
      assert.deepEqual(await p.asAlice.allocate(request({ count: 2 })), [0, 1]);
      await assert.rejects(p.asAlice.allocate(request({ count: 3 })), NotEnoughGpusError, 'errors keep their class');
    } finally {
      await p.close();
    }
  });

  test("cannot release, beat for or take over another user's reservation, even knowing its token", async () => {
    const p = await pool();
    try {
      const mine = request({ type: 'run', expiryTime: null, token: 'shared-guess' });
      await p.asAlice.allocate(mine);
      const seenByBob = (await p.asBob.snapshot()).slots[0]!.reservation!;
      assert.notEqual(seenByBob.token, 'shared-guess', "others' tokens are not theirs to send");
      assert.equal((await p.asAlice.snapshot()).slots[0]!.reservation!.token, 'shared-guess', 'the owner sees its own');
      assert.deepEqual(await p.asBob.releaseToken('shared-guess', T0), []);
      assert.deepEqual(await p.asBob.releaseToken(seenByBob.token!, T0), []);
      assert.deepEqual(await p.asBob.heartbeat('shared-guess', T0), []);
      // The same token chosen by Bob is his own reservation, apart from Alice's.
      assert.deepEqual(await p.asBob.allocate(request({ user: 'bob', token: 'shared-guess' })), [1]);
      assert.deepEqual(await p.asBob.releaseToken('shared-guess', T0), [1]);
      await assert.rejects(p.asBob.releaseManual('alice', T0, defaultLiveness()), UsageError);
      assert.equal((await p.asRoot.snapshot()).slots[0]!.reservation!.user, 'alice');
      assert.deepEqual(await p.asAlice.releaseToken('shared-guess', T0), [0]);
    } finally {
      await p.close();
    }
  });

  test("the agent's clock and owner checks hold, not what the caller claims", async () => {
    const p = await pool();
    try {
      const r = request({ type: 'run', expiryTime: null, now: T0 + 365 * 86_400_000 });
      await p.asAlice.allocate(r);
      await p.asAlice.heartbeat(r.token, T0 + 365 * 86_400_000);
      const held = (await p.asRoot.snapshot()).slots[0]!.reservation!;
      assert.deepEqual([held.startTime, held.lastHeartbeat], [T0, T0]);
      const foreign = { host: HOST, pid: 1, startTime: null };
      await assert.rejects(
        p.asBob.allocate(request({ user: 'bob', owner: { ...foreign, host: 'elsewhere' } })),
        UsageError,
      );
      await assert.rejects(p.asAlice.setOwner(r.token, { ...foreign, host: 'elsewhere' }), UsageError);
    } finally {
      await p.close();
    }
  });

  test('cannot set the pool up or fake a GPU reading; its probes wait for the agent', async () => {
    const p = await pool();
    try {
      await assert.rejects(p.asAlice.initialize(8, true, T0), UsageError);
      await assert.rejects(p.asAlice.saveReading({ host: 'h', takenAt: T0, usage: [] }), UsageError);
      assert.equal(await p.asAlice.claimProbe('h', T0, 1000), false);
      assert.equal(await p.asAlice.latestReading('h'), null);
      assert.equal((await p.asRoot.snapshot()).gpuCount, 4);
    } finally {
      await p.close();
    }
  });
});

test('a client that does not speak the protocol is cut off; the agent serves the next', async () => {
  const agent = await served(() => trusted);
  try {
    const raw = connect(agentSocketOf(agent.path));
    const closed = new Promise((resolve) => raw.on('close', resolve));
    raw.write('{"not": "a request"}\n');
    await closed;
    const client = await AgentStore.connect(agent.path);
    assert.equal(await client.poolOwner().then((o) => o?.uid), process.getuid?.());
    await client.close();
  } finally {
    await agent.close();
  }
});

test('the kernel names the peer of a Unix socket (SO_PEERCRED)', async () => {
  const path = join(dir, 'peer.sock');
  const { createServer } = await import('node:net');
  const seen = new Promise<ReturnType<typeof peerCredentials>>((resolve) => {
    const server = createServer((s) => {
      resolve(peerCredentials(s));
      s.destroy();
      server.close();
    }).listen(path, () => connect(path).on('error', () => {}));
  });
  const creds = await seen;
  assert.deepEqual([creds.pid, creds.uid, creds.gid], [process.pid, process.getuid?.(), process.getgid?.()]);
});
