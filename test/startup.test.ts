// What a `status` process loads: the launcher and the core (one CommonJS bundle compiled from V8's code
// cache), the store's driver; never the server, gRPC, the other store's client or NVML's FFI (each would
// cost every command its start-up time).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { RedisServer, redisServerAvailable } from '../support/redis-server.js';
import { CLI, ROOT, Sandbox } from '../support/sandbox.js';

const RECORDER = join(ROOT, 'test/fixtures/load-recorder.mjs');

describe('start-up: what status loads', () => {
  const box = new Sandbox();
  const record = join(box.dir, 'loaded.txt');
  let redis: RedisServer | null = null;
  before(async () => {
    box.setGpus({ gpus: Array.from({ length: 8 }, () => ({})) });
    if (redisServerAvailable()) redis = await RedisServer.start();
  });
  after(async () => {
    await redis?.destroy();
    box.cleanup();
  });

  /** The files a `status` with a fresh shared reading loads (a first status takes and saves the reading). */
  async function loadedByStatus(store: string): Promise<{ dist: string[]; packages: string[]; builtins: string[] }> {
    const env = { CANHAZGPU_STORE: store, CANHAZGPU_STATUS_READING_MAX_AGE_SECONDS: '600' };
    assert.equal((await box.run(['admin', '--gpus', '8', '--force'], { env })).code, 0);
    assert.equal((await box.run(['status'], { env })).code, 0);
    rmSync(record, { force: true });
    const r = await box.run(['status'], {
      env: { ...env, LOAD_RECORD: record, NODE_OPTIONS: `--import=${RECORDER}` },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^GPU 0: AVAILABLE$/m);
    const files = new Set(
      readFileSync(record, 'utf8')
        .split('\n')
        .filter((u) => u.startsWith('file://') || u.startsWith('node:'))
        .map((u) => (u.startsWith('node:') ? u : new URL(u).pathname)),
    );
    const dist = [...files].filter((f) => f.startsWith(join(ROOT, 'dist/'))).sort();
    const packages = [...files]
      .map((f) => f.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//)?.[1])
      .filter((p): p is string => p !== undefined);
    const builtins = [...files].filter((f) => f.startsWith('node:'));
    return { dist, packages: [...new Set(packages)].sort(), builtins };
  }

  test("the code caches the build made (the core, the Redis store, the agent's clients, the status board's reader) are accepted by this Node", () => {
    const launcher = JSON.stringify(CLI);
    const program = `const { loadCore, loadedOnce } = require(${launcher});
      const core = loadCore().script.cachedDataRejected;
      Promise.all(['lazy-redis-store.js', 'lazy-agent-store.js', 'agent-client.js', 'status-board.js'].map(loadedOnce)).then((all) => console.log(core, ...all.map(({ script }) => script.cachedDataRejected)));`;
    const r = spawnSync(process.execPath, ['-e', program], { encoding: 'utf8' });
    assert.equal(r.stdout, 'false false false false false\n', r.stderr);
  });

  test('a cache of another build is not given to V8: the bundle is compiled from source, and says so when asked', () => {
    const copy = join(box.dir, 'dist-copy');
    cpSync(join(ROOT, 'dist'), copy, { recursive: true });
    const core = join(copy, 'core.js');
    // Another build of the same length: V8's own check (the length) would take the cache and run stale code.
    writeFileSync(core, readFileSync(core, 'utf8').replace(/^\/\/ canhazgpu build [0-9a-f]/, '// canhazgpu build x'));
    const env = { ...process.env, CANHAZGPU_DEBUG: '1', CANHAZGPU_STORE: box.storePath };
    const r = spawnSync(process.execPath, [join(copy, 'cli.js')], { encoding: 'utf8', env });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /core\.js\.cache belongs to another build: ignored/);
    const mine = spawnSync(process.execPath, [CLI], { encoding: 'utf8', env });
    assert.equal(mine.stderr, '');
  });

  test('on SQLite: the launcher alone of dist (the core is read, not imported), the SQLite addon', async () => {
    const { dist, packages, builtins } = await loadedByStatus(box.storePath);
    assert.deepEqual(dist, [CLI]);
    // Dependencies are bundled: of node_modules, only better-sqlite3's native addon is read.
    assert.deepEqual(packages, ['better-sqlite3']);
    // Compiling child_process and crypto costs about 4% of `node -e 0`; a status starts nothing and makes no token.
    assert.ok(builtins.includes('node:fs'), 'the recorder sees built-ins');
    assert.deepEqual(
      builtins.filter((b) => b === 'node:child_process' || b === 'node:crypto'),
      [],
    );
  });

  test('on Redis: no file of dist is imported (the Redis store is read like the core), no SQLite addon', async (t) => {
    if (!redis) return t.skip('redis-server is not installed');
    const { dist, packages } = await loadedByStatus(redis.url);
    assert.deepEqual(dist, [CLI]);
    // ioredis is bundled into the Redis store's bundle; nothing of node_modules is read (no SQLite addon).
    assert.deepEqual(packages, []);
  });
});
