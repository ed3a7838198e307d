// The commands on a real redis-server, in-process: the other tools' data and lock, database numbers.
// Races between processes, restarts and crashes need processes (test/redis.test.ts).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { RedisServer, redisServerAvailable } from '../../support/redis-server.js';
import { at, NOW, S, world } from '../../test/support/world.js';
import { NotEnoughGpusError, StoreUnavailableError, UsageError } from '../domain/errors.js';
import { adminCommand } from './commands/admin.js';
import { releaseCommand } from './commands/release.js';
import { reserveCommand } from './commands/reserve.js';
import { statusCommand } from './commands/status.js';

const w = world('redis-cli');
const NOW_S = NOW / 1000;

describe('the commands on Redis', { skip: !redisServerAvailable() && 'needs redis-server on PATH' }, () => {
  let server: RedisServer;
  let redis: Redis;
  const gpusPath = w.machine(8).gpusPath;
  before(async () => {
    server = await RedisServer.start();
    redis = new Redis(server.url);
  });
  after(async () => {
    redis.disconnect();
    await server?.destroy();
  });
  const ctx = (now = NOW, env: NodeJS.ProcessEnv = {}, db = 0, who: { uid?: number; user?: string } = {}) =>
    at({ storePath: server.url.replace(/\/0$/, `/${db}`), gpusPath }, now, { env, ...who });
  const reserve = async (c = ctx()) => {
    assert.equal(await reserveCommand({ gpus: undefined, duration: undefined }, c), 0);
    return c.out();
  };

  test("shows and respects the Python tool's reservations, and it can read ours", async () => {
    await adminCommand({ gpus: '2', force: true }, ctx());
    const python = { user: 'bob', start_time: NOW_S - 930, last_heartbeat: NOW_S - 5, type: 'run' };
    await redis.set('canhazgpu:gpu:0', JSON.stringify(python));
    const status = ctx();
    await statusCommand({ table: false, json: false }, status);
    assert.equal(
      status.out(),
      'GPU 0: IN USE by bob for 0h 15m 30s (run, last heartbeat 0h 0m 5s ago) ' +
        '[validated: no actual usage detected]\nGPU 1: AVAILABLE\n',
    );
    await assert.rejects(reserveCommand({ gpus: '2', duration: undefined }, ctx()), (err: Error) => {
      assert.ok(err instanceof NotEnoughGpusError);
      assert.equal(err.message, 'Not enough GPUs available. Requested: 2, Available: 1');
      return true;
    });
    assert.equal(await reserve(), 'Reserved 1 GPU(s): [1] for 8h 0m 0s\n');
    const ours = JSON.parse((await redis.get('canhazgpu:gpu:1'))!);
    assert.deepEqual(
      [ours.user, ours.type, ours.start_time, ours.expiry_time],
      ['alice', 'manual', NOW_S, NOW_S + 8 * 3600],
    );
    const released = ctx();
    await releaseCommand(released);
    assert.equal(released.out(), 'Released 1 GPU(s): [1]\n');
  });

  test("waits out another tool's allocation lock; a lock held past the wait fails with the original manual's text", async () => {
    await adminCommand({ gpus: '2', force: true }, ctx());
    await redis.set('canhazgpu:allocation_lock', 'go:42', 'PX', 1500);
    assert.equal(await reserve(), 'Reserved 1 GPU(s): [0] for 8h 0m 0s\n');
    await redis.set('canhazgpu:allocation_lock', 'dead-holder'); // never expires: its holder died without EX
    try {
      const stuck = ctx(NOW, { CANHAZGPU_LOCK_WAIT_SECONDS: '1' });
      await assert.rejects(
        reserveCommand({ gpus: undefined, duration: undefined }, stuck),
        /^\w*Error: Failed to acquire allocation lock after \d+ attempts$/,
      );
      assert.equal(stuck.out(), '');
    } finally {
      await redis.del('canhazgpu:allocation_lock');
    }
    await releaseCommand(ctx());
  });

  test('a database number the server does not have is one clear message; no other database is touched', async () => {
    await adminCommand({ gpus: '2', force: true }, ctx());
    await reserve();
    await assert.rejects(adminCommand({ gpus: '4', force: true }, ctx(NOW, {}, 16)), (err: Error) => {
      assert.ok(err instanceof StoreUnavailableError);
      assert.equal(
        err.message,
        `Cannot use database 16 of the GPU store at ${server.url.replace(/\/0$/, '/16')} ` +
          '(ERR DB index is out of range); choose a database the server has with --store.',
      );
      return true;
    });
    const status = ctx(NOW + S);
    await statusCommand({ table: false, json: false }, status);
    assert.match(status.out(), /^GPU 0: IN USE by alice for 0h 0m 1s /);
    await assert.rejects(
      statusCommand({ table: false, json: false }, ctx(NOW, {}, 15)),
      /^PoolNotInitializedError: GPU pool not initialized\. Run 'canhazgpu admin --gpus <count>' first\.$/,
    );
    await releaseCommand(ctx());
  });

  test("admin --force is for root or whoever set the pool up; a pool of the other tools' says nobody", async () => {
    const as = (uid: number, user: string) => ctx(NOW, {}, 0, { uid, user });
    await redis.flushdb();
    await adminCommand({ gpus: '2', force: false }, as(1000, 'bob'));
    await reserveCommand({ gpus: '2', duration: '1h' }, as(1000, 'bob'));
    const held = async () =>
      (await redis.mget('canhazgpu:gpu:0', 'canhazgpu:gpu:1')).filter((v) => v && JSON.parse(v).user);
    const refused = (owner: string) => (err: Error) => {
      assert.ok(err instanceof UsageError);
      assert.equal(
        err.message,
        `Only ${owner} may reinitialize the pool at ${server.url}: --force clears every user's reservations`,
      );
      return true;
    };
    await assert.rejects(
      adminCommand({ gpus: '2', force: true }, as(1001, 'carol')),
      refused('root or bob (its owner)'),
    );
    const owner = JSON.parse((await redis.get('canhazgpu:pool_owner'))!);
    assert.deepEqual([owner.uid, owner.user], [1000, 'bob']);
    // The same uid on another host is someone else.
    await redis.set('canhazgpu:pool_owner', JSON.stringify({ ...owner, host: 'elsewhere' }));
    await assert.rejects(
      adminCommand({ gpus: '2', force: true }, as(1000, 'bob')),
      refused('root or bob on elsewhere (its owner)'),
    );
    assert.equal((await held()).length, 2);
    await redis.set('canhazgpu:pool_owner', JSON.stringify(owner));
    assert.equal(await adminCommand({ gpus: '2', force: true }, as(1000, 'bob')), 0);
    await reserveCommand({ gpus: '1', duration: '1h' }, as(1000, 'bob'));
    assert.equal(await adminCommand({ gpus: '2', force: true }, as(0, 'root')), 0); // root may always
    await reserveCommand({ gpus: '1', duration: '1h' }, as(1000, 'bob'));
    await redis.del('canhazgpu:pool_owner'); // as the Python and Go tools leave it
    assert.equal(await adminCommand({ gpus: '2', force: true }, as(1001, 'carol')), 0);
    assert.equal((await held()).length, 0);
    assert.equal(JSON.parse((await redis.get('canhazgpu:pool_owner'))!).uid, 1001);
  });
});
