// Three hosts on one redis-server, in-process: each its own pool and fake GPUs, `status --all`,
// `reserve --host H | any`, a host going silent. Races between processes: test/fleet.test.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { redisFixture } from '../../support/redis-fixture.js';
import { redisServerAvailable } from '../../support/redis-server.js';
import { at, NOW, S, world } from '../../test/support/world.js';
import { CanhazError, NotEnoughGpusError, UsageError } from '../domain/errors.js';
import { adminCommand } from './commands/admin.js';
import { releaseCommand } from './commands/release.js';
import { reserveCommand } from './commands/reserve.js';
import { statusCommand } from './commands/status.js';

const w = world('fleet-cli');

describe('a fleet of three hosts on one Redis', {
  skip: !redisServerAvailable() && 'needs redis-server on PATH',
}, () => {
  const fixture = redisFixture();
  const sizes = { 'host-a': 2, 'host-b': 4, 'host-c': 8 };
  const machines = { 'host-a': w.machine(2), 'host-b': w.machine(4), 'host-c': w.machine(8) };
  type Host = keyof typeof machines;
  const on = (host: Host, now = NOW) =>
    at({ storePath: fixture.server.url, gpusPath: machines[host].gpusPath }, now, { env: { CANHAZGPU_HOST: host } });
  const reserve = async (host: Host, gpus: number, where: string, now = NOW) => {
    const c = on(host, now);
    assert.equal(await reserveCommand({ gpus: String(gpus), duration: '1h', host: where }, c), 0, c.err());
    return c.out();
  };
  const status = async (host: Host, opts: { all?: boolean; hosts?: string[]; json?: boolean }, now = NOW) => {
    const c = on(host, now);
    assert.equal(await statusCommand({ table: false, json: false, ...opts }, c), 0, c.err());
    return c.out();
  };
  const setUp = async () => {
    await fixture.redis.flushdb();
    for (const [host, gpus] of Object.entries(sizes)) {
      assert.equal(await adminCommand({ gpus: String(gpus), force: false }, on(host as Host)), 0);
      await status(host as Host, {}); // its reading, as its agent would save it
    }
  };

  test('each host sets up its own pool; the first keeps the plain keys, in the format of the other tools', async () => {
    await setUp();
    assert.equal(await fixture.redis.get('canhazgpu:pool_host'), 'host-a');
    assert.deepEqual(
      await Promise.all(
        ['canhazgpu:gpu_count', 'canhazgpu:{host-b}:gpu_count', 'canhazgpu:{host-c}:gpu_count'].map((k) =>
          fixture.redis.get(k),
        ),
      ),
      ['2', '4', '8'],
    );
    assert.equal(await reserve('host-b', 1, 'host-a'), 'Reserved 1 GPU(s): [0] for 1h 0m 0s\n');
    const plain = JSON.parse((await fixture.redis.get('canhazgpu:gpu:0'))!);
    assert.deepEqual([plain.user, plain.type, plain.expiry_time], ['alice', 'manual', NOW / 1000 + 3600]);
    // Each host's plain status shows its own pool only.
    assert.equal((await status('host-b', {})).split('\n').filter(Boolean).length, 4);
  });

  test('status --all: every host, grouped, with its reading age; --host shows one', async () => {
    await setUp();
    await reserve('host-a', 2, 'host-b');
    const out = await status('host-c', { all: true }, NOW + 3 * S);
    assert.equal(
      out,
      [
        '== host-a: 2 GPUs, read 3s ago ==',
        'GPU 0: AVAILABLE',
        'GPU 1: AVAILABLE',
        '',
        '== host-b: 4 GPUs, read 3s ago ==',
        'GPU 0: IN USE by alice for 0h 0m 3s (manual, expires in 0h 59m 57s) [validated: no actual usage detected]',
        'GPU 1: IN USE by alice for 0h 0m 3s (manual, expires in 0h 59m 57s) [validated: no actual usage detected]',
        'GPU 2: AVAILABLE',
        'GPU 3: AVAILABLE',
        '',
        '== host-c: 8 GPUs, read 0s ago (this host) ==',
        ...Array.from({ length: 8 }, (_, i) => `GPU ${i}: AVAILABLE`),
        '',
      ].join('\n'),
    );
    const one = await status('host-a', { hosts: ['host-b'] }, NOW + 3 * S);
    assert.match(one, /^== host-b: 4 GPUs, read 3s ago ==\nGPU 0: IN USE by alice/);
    assert.equal(one.split('\n').filter(Boolean).length, 5);
    const json = JSON.parse(await status('host-a', { all: true, json: true }, NOW + 3 * S));
    assert.deepEqual(Object.keys(json[0]), [
      'host',
      'this_host',
      'reading_taken_at',
      'reading_age_seconds',
      'stale',
      'last_seen',
      'version',
      'gpus',
    ]);
    assert.equal(json[1].reading_taken_at, NOW / 1000);
    assert.deepEqual(
      json.map((h: { host: string; stale: boolean; reading_age_seconds: number; gpus: unknown[] }) => [
        h.host,
        h.stale,
        h.reading_age_seconds,
        h.gpus.length,
      ]),
      [
        ['host-a', false, 0, 2],
        ['host-b', false, 3, 4],
        ['host-c', false, 0, 8], // read by host-c's own status --all above, at the same time
      ],
    );
  });

  test('reserve --host any: the fewest GPUs left over, least recently used among equals, and says where', async () => {
    await setUp();
    assert.equal(await reserve('host-c', 2, 'any'), 'Reserved 2 GPU(s): [0, 1] for 1h 0m 0s\nOn host host-a\n');
    assert.equal(await reserve('host-c', 3, 'any'), 'Reserved 3 GPU(s): [0, 1, 2] for 1h 0m 0s\nOn host host-b\n');
    // host-b has 1 left, host-c 8: one GPU goes to host-b (no hole opened in host-c).
    assert.match(await reserve('host-a', 1, 'any'), /On host host-b\n$/);
    // Now host-c alone fits; then two hosts with equal room: the one used longest ago wins.
    assert.match(await reserve('host-a', 4, 'any', NOW + S), /On host host-c\n$/);
    await setUp();
    await reserve('host-a', 2, 'host-c', NOW); // host-c used at NOW: 6 free
    await reserve('host-a', 2, 'host-b', NOW + S); // host-b used later: 2 free
    await reserve('host-a', 2, 'host-a', NOW + 2 * S); // host-a full
    await reserve('host-a', 4, 'host-c', NOW + 3 * S); // host-c: 2 free, used last
    assert.match(await reserve('host-a', 2, 'any', NOW + 4 * S), /On host host-b\n$/);
  });

  test('reserve --host keeps the choice flags: --gpu-ids, --note, and --json names the host', async () => {
    await setUp();
    const c = on('host-a');
    const flags = { gpuIds: '1,3', note: 'eval', duration: '1h', json: true, host: 'host-b' };
    assert.equal(await reserveCommand({ gpus: undefined, ...flags }, c), 0, c.err());
    const reply = JSON.parse(c.out());
    assert.deepEqual([reply.reserved, reply.note, reply.host], [[1, 3], 'eval', 'host-b']);
    assert.equal(JSON.parse((await fixture.redis.get('canhazgpu:{host-b}:gpu:3'))!).note, 'eval');
    const extend = on('host-a');
    await assert.rejects(
      reserveCommand({ gpus: undefined, duration: undefined, extend: '1h', host: 'host-b' }, extend),
      UsageError,
    );
  });

  test('too few GPUs anywhere: the seed error, nothing granted', async () => {
    await setUp();
    await assert.rejects(reserveCommand({ gpus: '9', duration: '1h', host: 'any' }, on('host-a')), (err: Error) => {
      assert.ok(err instanceof NotEnoughGpusError);
      assert.equal(err.message, 'Not enough GPUs available. Requested: 9, Available: 8');
      return true;
    });
    assert.deepEqual(await fixture.redis.keys('canhazgpu:*gpu:*'), []);
  });

  test('a host that went silent shows as stale, not free, and gets no reservations', async () => {
    await setUp();
    await reserve('host-b', 1, 'host-b');
    const later = NOW + 120 * S; // host-b and host-c read nothing since NOW
    const out = await status('host-a', { all: true }, later);
    assert.match(out, /== host-b: 4 GPUs, STALE: GPUs last read 2m 0s ago \(is its agent running\?\) ==\n/);
    assert.match(out, /GPU 0: IN USE by alice/);
    assert.match(out, /GPU 1: STALE \(free in the pool, but its host's GPUs are not being read\)\n/);
    assert.doesNotMatch(out.split('== host-b')[1]!, /AVAILABLE/);
    const json = JSON.parse(await status('host-a', { all: true, json: true }, later));
    assert.deepEqual(json[1].gpus[1].status, 'stale');
    await assert.rejects(
      reserveCommand({ gpus: '1', duration: '1h', host: 'host-c' }, on('host-a', later)),
      /^CanhazError: The GPUs of host-c are not being read \(is its agent running\?\)/,
    );
    // `any` passes over the silent hosts: host-a reads its own GPUs.
    assert.match(await reserve('host-a', 2, 'any', later), /On host host-a\n$/);
    await assert.rejects(
      reserveCommand({ gpus: '1', duration: '1h', host: 'any' }, on('host-a', later)),
      NotEnoughGpusError,
    );
  });

  test("release --host: the caller's manual reservations on that host alone", async () => {
    await setUp();
    await reserve('host-a', 2, 'host-b');
    await reserve('host-a', 1, 'host-c');
    const bob = at({ storePath: fixture.server.url, gpusPath: machines['host-a'].gpusPath }, NOW, {
      env: { CANHAZGPU_HOST: 'host-a' },
      user: 'bob',
    });
    assert.equal(await releaseCommand(bob, { host: 'host-b' }), 0);
    assert.equal(bob.out(), 'No manually reserved GPUs found for current user\n');
    const alice = on('host-a');
    assert.equal(await releaseCommand(alice, { host: 'host-b' }), 0);
    assert.equal(alice.out(), 'Released 2 GPU(s): [0, 1]\n');
    assert.ok(JSON.parse((await fixture.redis.get('canhazgpu:{host-c}:gpu:0'))!).user); // host-c's stays
  });

  test('a registry record under a name no pool can have is no host', async () => {
    await setUp();
    await fixture.redis.hset('canhazgpu:hosts', 'evil}{x', '{}');
    assert.doesNotMatch(await status('host-a', { all: true }), /evil/);
  });

  test('bad input: an unknown host, --all with --host, and a store of one host alone', async () => {
    await setUp();
    await assert.rejects(
      reserveCommand({ gpus: '1', duration: '1h', host: 'host-z' }, on('host-a')),
      (err: Error) =>
        err instanceof CanhazError && err.message === "Unknown host 'host-z': the fleet has host-a, host-b, host-c",
    );
    await assert.rejects(
      statusCommand({ table: false, json: false, all: true, hosts: ['host-a'] }, on('host-a')),
      UsageError,
    );
    const sqlite = at(w.machine(2), NOW);
    await adminCommand({ gpus: '2', force: false }, sqlite);
    await assert.rejects(statusCommand({ table: false, json: false, all: true }, sqlite), /need a Redis store/);
    assert.deepEqual(await fixture.redis.keys('canhazgpu:*gpu:*'), []);
  });
});
