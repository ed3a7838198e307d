// `npm run bench`: the single-host figures of the core issue, printed as one table with ratios.
// Every figure comes from this one run on this machine; compare ratios, not absolute numbers.
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultLiveness } from '../src/domain/liveness.js';
import type { Store } from '../src/domain/ports.js';
import { RedisStore } from '../src/store/redis/redis-store.js';
import { AgentStore } from '../src/store/agent/agent-store.js';
import { agentSocketOf } from '../src/store/agent/socket-path.js';
import { StoreGate } from '../src/store/agent/store-gate.js';
import { serveStoreSocket } from '../src/store/agent/store-socket.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { judgeOn } from '../support/private-agent.js';
import { RedisServer, redisServerAvailable } from '../support/redis-server.js';
import { CLI, FAKE_SMI, Sandbox } from '../support/sandbox.js';
import { cloudFigures } from './cloud.js';
import { type Handover, measureHandover, measureSqliteHandover } from './queue-handover.js';
import { serverFigures } from './server.js';
import { nvmlReading, racingReservesVersusOriginal, SHARED_READING, statusWithAgent } from './startup.js';
import { printTable, runAsync, timeCommand, withoutExtraCaCerts } from './support.js';

const caCerts = withoutExtraCaCerts();
const rows: string[][] = [['benchmark', 'figure', 'target', 'verdict'], ...(caCerts ? [caCerts] : [])];
const verdict = (ok: boolean) => (ok ? 'ok' : 'MISSED');
const box = new Sandbox();
const node = process.execPath;

function startup(): void {
  const baseline = timeCommand([node, '-e', '0'], 30);
  const help = timeCommand([node, CLI, '--help'], 30);
  rows.push(['node -e 0 (baseline)', `${baseline.toFixed(1)} ms`, '', '']);
  rows.push([
    'canhazgpu --help start-up',
    `${help.toFixed(1)} ms = ${(help / baseline).toFixed(2)}x node -e 0`,
    '< 1.5x',
    verdict(help / baseline < 1.5),
  ]);
}

async function statusWallTime(): Promise<void> {
  box.setGpus({
    gpus: Array.from({ length: 8 }, (_, i) =>
      i === 2 ? { processes: [{ pid: process.pid, used_memory_mib: 4096 }] } : {},
    ),
  });
  await box.run(['admin', '--gpus', '8', '--force']);
  await box.run(['reserve', '--gpus', '3']);
  const env = box.env();
  const baseline = timeCommand([node, '-e', '0'], 20);
  const fakeSmi = timeCommand([node, CLI, 'status'], 20, env);
  const inProcess = timeCommand([node, CLI, 'status', '--provider', 'fake'], 20, env);
  rows.push([
    'status, 8 GPUs, fake nvidia-smi on PATH',
    `${fakeSmi.toFixed(1)} ms = ${(fakeSmi / baseline).toFixed(2)}x node -e 0`,
    '',
    '',
  ]);
  rows.push([
    'status, 8 GPUs, in-process fake provider',
    `${inProcess.toFixed(1)} ms = ${(inProcess / baseline).toFixed(2)}x node -e 0`,
    '',
    '',
  ]);
  await box.run(['release']);
}

/** 64 reserves at once with an nvidia-smi that takes 2 s a call: how many probes, warnings, how long. */
async function slowProbeBurst(): Promise<void> {
  box.setGpus({ gpus: Array.from({ length: 8 }, () => ({})) });
  const bin = join(box.dir, 'slow-bin');
  const log = join(box.dir, 'slow-smi.log');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'nvidia-smi'), `#!/bin/sh\necho x >> ${log}\nsleep 2\nexec ${node} ${FAKE_SMI} "$@"\n`, {
    mode: 0o755,
  });
  const env = { ...box.env(), ...SHARED_READING, PATH: `${bin}:${process.env['PATH']}` };
  await box.run(['admin', '--gpus', '64', '--force'], { env });
  rmSync(log, { force: true });
  const start = process.hrtime.bigint();
  const results = await Promise.all(
    Array.from({ length: 64 }, () => runAsync([node, CLI, 'reserve', '--duration', '1h'], env)),
  );
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  // Each probe runs nvidia-smi twice (the GPU query, then the compute apps).
  const probes = readFileSync(log, 'utf8').split('\n').filter(Boolean).length / 2;
  const warnings = results.filter((r) => r.stderr.includes('Could not detect GPU usage')).length;
  const granted = results.filter((r) => r.code === 0).length;
  rows.push([
    '64 reserves at once, nvidia-smi 2 s a call',
    `${probes} probe(s), ${warnings} warnings, ${granted} granted, ${ms.toFixed(0)} ms`,
    '1 probe, 0 warnings',
    verdict(probes === 1 && warnings === 0),
  ]);
  await box.run(['release'], { env });
}

async function racers(concurrency: number, seconds: number, storeUrl?: string): Promise<void> {
  box.setGpus({ gpus: Array.from({ length: 8 }, () => ({})) });
  const env = { ...box.env(), CANHAZGPU_PROVIDER: 'fake', ...(storeUrl ? { CANHAZGPU_STORE: storeUrl } : {}) };
  await box.run(['admin', '--gpus', '8', '--force'], { env });
  const deadline = Date.now() + seconds * 1000;
  let pairs = 0;
  let notEnough = 0;
  const otherErrors: string[] = [];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < deadline) {
        const r = await runAsync([node, CLI, 'run', '--', 'true'], env);
        if (r.code === 0) pairs++;
        else if (r.stderr.startsWith('Error: Not enough GPUs available.')) notEnough++;
        else otherErrors.push(r.stderr.trim());
      }
    }),
  );
  const rate = pairs / seconds;
  rows.push([
    `run -- true (reserve+release), ${concurrency} concurrent, ${storeUrl ? 'Redis' : 'SQLite'}`,
    `${rate.toFixed(1)} pairs/s; ${notEnough} "Not enough GPUs", ${otherErrors.length} other errors`,
    'no other errors',
    verdict(otherErrors.length === 0),
  ]);
  if (otherErrors.length > 0) console.error(otherErrors.slice(0, 3).join('\n'));
}

/** 32 processes reserve at the same instant from 8 GPUs: 8 win, 24 get the original manual's error, nothing else. */
async function burst(): Promise<void> {
  box.setGpus({ gpus: Array.from({ length: 8 }, () => ({})) });
  await box.run(['admin', '--gpus', '8', '--force']);
  const env = { ...box.env(), CANHAZGPU_PROVIDER: 'fake' };
  const start = process.hrtime.bigint();
  const results = await Promise.all(
    Array.from({ length: 32 }, () => runAsync([node, CLI, 'reserve', '--duration', '1h'], env)),
  );
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const won = results.filter((r) => r.code === 0).length;
  const notEnough = results.filter((r) => r.stderr.startsWith('Error: Not enough GPUs available.')).length;
  const other = results.length - won - notEnough;
  rows.push([
    '32 reserve processes at once, 8 GPUs',
    `${won} granted, ${notEnough} "Not enough GPUs", ${other} other errors, ${ms.toFixed(0)} ms`,
    '8 / 24 / 0',
    verdict(won === 8 && notEnough === 24 && other === 0),
  ]);
}

/**
 * Allocate+release pairs per second through the Store port, in this process, with `workers` loops
 * sharing one client (so a networked store pipelines their calls), never more than the pool's 8 GPUs.
 * `owner` sets the pool up first.
 */
async function pairsPerSecond(store: Store, iterations: number, workers: number, owner = store): Promise<number> {
  await owner.initialize(8, true, Date.now()); // by the pool's owner: through the agent, only root may
  const liveness = defaultLiveness();
  let left = iterations;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (left-- > 0) {
        const token = randomUUID();
        const now = Date.now();
        await store.allocate({
          count: 1,
          user: 'bench',
          type: 'run',
          now,
          expiryTime: null,
          inUse: [],
          token,
          owner: null,
          liveness,
        });
        await store.releaseToken(token, now);
      }
    }),
  );
  return iterations / (Number(process.hrtime.bigint() - start) / 1e9);
}

/** The agent's socket on `store`, every caller an ordinary user (`bench`), checked as the gate checks them. */
function agentFor(store: SqliteStore) {
  const gate = new StoreGate({
    store,
    clock: { now: () => Date.now() },
    owners: { state: () => 'unknown' },
    staleAfterMs: 300_000,
    host: 'bench',
    processUid: () => null,
    judge: judgeOn(store, () => Date.now()),
  });
  const caller = { uid: 1000, user: 'bench', trusted: false };
  return serveStoreSocket({ path: agentSocketOf(store.path), gate, identify: async () => caller, log: () => {} });
}

async function storeThroughput(redis: RedisServer | null): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'canhazgpu-bench-'));
  try {
    const sqlite = SqliteStore.create(join(dir, 'state.db'));
    const sqliteRate = await pairsPerSecond(sqlite, 5000, 1);
    await sqlite.close();
    rows.push([
      'SQLite allocate+release, shared store (kept journal), in-process',
      `${sqliteRate.toFixed(0)} pairs/s`,
      '>= 5000/s',
      verdict(sqliteRate >= 5000),
    ]);
    const owned = SqliteStore.create(join(dir, 'private.db'), { private: true });
    const privateRate = await pairsPerSecond(owned, 5000, 1);
    rows.push([
      'SQLite allocate+release, private store (WAL), its owner in-process',
      `${privateRate.toFixed(0)} pairs/s = ${(privateRate / sqliteRate).toFixed(2)}x shared`,
      '>= 5000/s',
      verdict(privateRate >= 5000),
    ]);
    const agent = await agentFor(owned);
    try {
      const client = await AgentStore.connect(owned.path);
      const viaAgent = await pairsPerSecond(client, 5000, 1, owned);
      await client.close();
      rows.push([
        'SQLite allocate+release, private store, another user through the agent socket',
        `${viaAgent.toFixed(0)} pairs/s = ${(viaAgent / sqliteRate).toFixed(2)}x shared`,
        '',
        '',
      ]);
    } finally {
      await agent.close();
      await owned.close();
    }
    if (redis) {
      const store = await RedisStore.connect(redis.url);
      const sequential = await pairsPerSecond(store, 3000, 1);
      const pipelined = await pairsPerSecond(store, 10000, 8);
      await store.close();
      rows.push([
        'Redis allocate+release, one client, one at a time',
        `${sequential.toFixed(0)} pairs/s = ${(sequential / sqliteRate).toFixed(2)}x SQLite`,
        '',
        '',
      ]);
      rows.push([
        'Redis allocate+release, one client, 8 in flight',
        `${pipelined.toFixed(0)} pairs/s = ${(pipelined / sqliteRate).toFixed(2)}x SQLite`,
        '>= 5000/s',
        verdict(pipelined >= 5000),
      ]);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Release to the head waiter's grant, 50 hand-overs per store. */
async function queueHandover(redis: RedisServer | null): Promise<void> {
  const row = (name: string, h: Handover) =>
    rows.push([
      `queue: release to head grant, ${name}`,
      `median ${h.medianMs.toFixed(1)} ms, p99 ${h.p99Ms.toFixed(1)} ms (50 hand-overs)`,
      '< 100 ms',
      verdict(h.p99Ms < 100),
    ]);
  row('SQLite', await measureSqliteHandover());
  if (redis) row('Redis', await measureHandover(redis.url));
}

async function redisVersusSqlite(redis: RedisServer): Promise<void> {
  const sqliteEnv = { ...box.env(), CANHAZGPU_PROVIDER: 'fake' };
  const redisEnv = { ...sqliteEnv, CANHAZGPU_STORE: redis.url };
  await box.run(['admin', '--gpus', '8', '--force'], { env: redisEnv });
  await box.run(['admin', '--gpus', '8', '--force'], { env: sqliteEnv });
  const onSqlite = timeCommand([node, CLI, 'status'], 20, sqliteEnv);
  const onRedis = timeCommand([node, CLI, 'status'], 20, redisEnv);
  rows.push([
    'status, 8 GPUs: Redis vs SQLite',
    `${onRedis.toFixed(1)} ms vs ${onSqlite.toFixed(1)} ms = ${(onRedis / onSqlite).toFixed(2)}x`,
    '',
    '',
  ]);
}

try {
  console.log(`canhazgpu benchmarks on ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}\n`);
  const redis = redisServerAvailable() ? await RedisServer.start() : null;
  if (!redis) console.log('redis-server not installed: the Redis rows are skipped\n');
  try {
    startup();
    await statusWallTime();
    await storeThroughput(redis);
    await queueHandover(redis);
    await burst();
    await slowProbeBurst();
    rows.push(await statusWithAgent(box));
    if (redis) rows.push(await statusWithAgent(box, redis.url));
    rows.push(await nvmlReading());
    for (const n of [1, 8, 32]) await racers(n, 5);
    const server = await serverFigures(box, 10);
    rows.push([
      'server start-up to listening (subprocess)',
      `${server.startMs.toFixed(0)} ms`,
      '< 1000 ms',
      verdict(server.startMs < 1000),
    ]);
    rows.push([
      'server reserve+destroy, 8 connections',
      `${server.requestsPerSecond.toFixed(0)} req/s, p99 ${server.p99Ms} ms, ${server.non2xx} non-2xx, ${server.errors} errors, server CPU ${server.serverCpuShare.toFixed(2)} cores`,
      '>= 2000 req/s, p99 < 20 ms',
      verdict(server.requestsPerSecond >= 2000 && server.p99Ms < 20 && server.errors === 0 && server.non2xx === 0),
    ]);
    const onPrivate = await serverFigures(box, 10, true);
    rows.push([
      'server reserve+destroy, 8 connections, pool on a private store (WAL)',
      `${onPrivate.requestsPerSecond.toFixed(0)} req/s = ${(onPrivate.requestsPerSecond / server.requestsPerSecond).toFixed(2)}x the shared store's, p99 ${onPrivate.p99Ms} ms, ${onPrivate.non2xx} non-2xx, ${onPrivate.errors} errors`,
      '>= 2000 req/s, p99 < 20 ms',
      verdict(
        onPrivate.requestsPerSecond >= 2000 && onPrivate.p99Ms < 20 && onPrivate.errors === 0 && onPrivate.non2xx === 0,
      ),
    ]);
    rows.push([
      'server RSS with 10,000 stored reservations',
      `${server.rssMb.toFixed(1)} MB`,
      '< 120 MB',
      verdict(server.rssMb < 120),
    ]);
    const cloud = await cloudFigures();
    rows.push([
      '16 instances across fake vast.ai + io.net, 200 ms a call',
      `${cloud.reserveMs.toFixed(0)} ms for ${cloud.reserved} (its calls one at a time: ${cloud.sequentialMs} ms)`,
      '< 2000 ms',
      verdict(cloud.reserveMs < 2000 && cloud.reserved === 16),
    ]);
    rows.push([
      '50 concurrent cloud reserves: searches per marketplace',
      `vast.ai ${cloud.burstSearches.vast}, io.net ${cloud.burstSearches.ionet} (${cloud.burstReserved} reserved)`,
      '<= 1 each',
      verdict(cloud.burstSearches.vast <= 1 && cloud.burstSearches.ionet <= 1),
    ]);
    if (redis) {
      await redisVersusSqlite(redis);
      await racers(1, 5, redis.url);
      await racers(32, 5, redis.url);
      rows.push(...(await racingReservesVersusOriginal(box, redis)));
    }
    printTable(rows);
  } finally {
    await redis?.destroy();
  }
} finally {
  box.cleanup();
}
