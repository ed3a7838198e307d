// Three hosts sharing one Redis as processes, each with its agent and its own fake GPUs: `reserve
// --host any` raced from every host at once, the plain keys beside the fleet, a host whose agent stops.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { RedisServer } from '../support/redis-server.js';
import { eventually, finished } from '../support/sandbox.js';
import { fleetHosts, raceReserveAny } from './support/fleet-hosts.js';

const SIZES = { 'host-a': 2, 'host-b': 4, 'host-c': 8 } as const;
type Host = keyof typeof SIZES;
const HOSTS = Object.keys(SIZES) as Host[];

describe('a fleet of three hosts on one Redis', () => {
  let server: RedisServer;
  let redis: Redis;
  before(async () => {
    server = await RedisServer.start();
    redis = new Redis(server.url);
  });
  after(async () => {
    redis.disconnect();
    await server.destroy();
  });
  const fleet = fleetHosts(SIZES, () => server.url);
  const cli = fleet.cli;

  test('reserve --host any raced from every host: each GPU granted once, every loser gets the seed error', async () => {
    await fleet.setUp();
    await eventually(async () => (await redis.keys('canhazgpu:reading:*')).length === 3, 60_000);

    // 14 GPUs, 2 at a time: 7 grants.
    await raceReserveAny(SIZES, 8, cli);

    // The plain keys are host-a's pool, in the format the Python and Go tools read.
    const plain = JSON.parse((await redis.get('canhazgpu:gpu:1'))!);
    assert.deepEqual([typeof plain.user, plain.type, typeof plain.expiry_time], ['string', 'manual', 'number']);
    assert.equal(await redis.get('canhazgpu:gpu_count'), '2');
    assert.equal(await redis.exists('canhazgpu:gpu:2'), 0);
  });

  test('status --all from any host; a host whose agent stopped shows as stale', async () => {
    const all = await cli('host-b', ['status', '--all', '--json']);
    assert.equal(all.code, 0, all.stderr);
    const hosts = JSON.parse(all.stdout) as Array<{ host: string; stale: boolean; gpus: Array<{ status: string }> }>;
    assert.deepEqual(
      hosts.map((h) => [h.host, h.stale, h.gpus.length, h.gpus.every((g) => g.status === 'reserved')]),
      HOSTS.map((h) => [h, false, SIZES[h], true]),
    );
    // host-c's agent stops: once its reading ages out (30 s, or the key expiring), it is stale.
    fleet.agent('host-c').kill('SIGTERM');
    await finished(fleet.agent('host-c'));
    await redis.hset('canhazgpu:reading:host-c', 'taken_at', String(Date.now() - 60_000));
    const text = await cli('host-a', ['status', '--host', 'host-c']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^== host-c: 8 GPUs, STALE: GPUs last read 1m \d+s ago \(is its agent running\?\) ==\n/);
    const unknown = await cli('host-a', ['reserve', '--host', 'host-z{']);
    assert.deepEqual(
      [unknown.code, unknown.stdout, unknown.stderr],
      [1, '', "Error: Unknown host 'host-z{': the fleet has host-a, host-b, host-c\n"],
    );
    const alone = await fleet.box('host-a').run(['status', '--all']); // its own SQLite store
    assert.match(alone.stderr, /^Error: --all and --host need a Redis store that several hosts share; .*\n$/);
    assert.equal(alone.code, 1);
    const refused = await cli('host-a', ['reserve', '--host', 'host-c']);
    assert.deepEqual(
      [refused.code, refused.stderr],
      [
        1,
        'Error: The GPUs of host-c are not being read (is its agent running?): not reserving GPUs that may be in use\n',
      ],
    );
  });
});
