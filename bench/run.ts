// `npm run bench`: the single-host figures of the core issue, printed as one table with ratios.
// Every figure comes from this one run on this machine; compare ratios, not absolute numbers.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultLiveness } from '../src/domain/liveness.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { CLI, Sandbox } from '../test/support/sandbox.js';
import { printTable, runAsync, timeCommand } from './support.js';

const rows: string[][] = [['benchmark', 'figure', 'target', 'verdict']];
const verdict = (ok: boolean) => (ok ? 'ok' : 'MISSED');
const box = new Sandbox();
const node = process.execPath;

function startup(): void {
  const baseline = timeCommand([node, '-e', '0'], 30);
  const help = timeCommand([node, CLI, '--help'], 30);
  rows.push(['node -e 0 (baseline)', `${baseline.toFixed(1)} ms`, '', '']);
  rows.push(['canhazgpu --help start-up', `${help.toFixed(1)} ms = ${(help / baseline).toFixed(2)}x node -e 0`, '< 1.5x', verdict(help / baseline < 1.5)]);
}

async function statusWallTime(): Promise<void> {
  box.setGpus({ gpus: Array.from({ length: 8 }, (_, i) => (i === 2 ? { processes: [{ pid: process.pid, used_memory_mib: 4096 }] } : {})) });
  await box.run(['admin', '--gpus', '8', '--force']);
  await box.run(['reserve', '--gpus', '3']);
  const env = box.env();
  const baseline = timeCommand([node, '-e', '0'], 20);
  const fakeSmi = timeCommand([node, CLI, 'status'], 20, env);
  const inProcess = timeCommand([node, CLI, 'status', '--provider', 'fake'], 20, env);
  rows.push(['status, 8 GPUs, fake nvidia-smi on PATH', `${fakeSmi.toFixed(1)} ms = ${(fakeSmi / baseline).toFixed(2)}x node -e 0`, '', '']);
  rows.push(['status, 8 GPUs, in-process fake provider', `${inProcess.toFixed(1)} ms = ${(inProcess / baseline).toFixed(2)}x node -e 0`, '', '']);
  await box.run(['release']);
}

async function racers(concurrency: number, seconds: number): Promise<void> {
  await box.run(['admin', '--gpus', '8', '--force']);
  box.setGpus({ gpus: Array.from({ length: 8 }, () => ({})) });
  const env = { ...box.env(), CANHAZGPU_PROVIDER: 'fake' };
  const deadline = Date.now() + seconds * 1000;
  let pairs = 0;
  let notEnough = 0;
  const otherErrors: string[] = [];
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (Date.now() < deadline) {
      const r = await runAsync([node, CLI, 'run', '--', 'true'], env);
      if (r.code === 0) pairs++;
      else if (r.stderr.startsWith('Error: Not enough GPUs available.')) notEnough++;
      else otherErrors.push(r.stderr.trim());
    }
  }));
  const rate = pairs / seconds;
  rows.push([
    `run -- true (reserve+release), ${concurrency} concurrent`,
    `${rate.toFixed(1)} pairs/s; ${notEnough} "Not enough GPUs", ${otherErrors.length} other errors`,
    'no other errors',
    verdict(otherErrors.length === 0),
  ]);
  if (otherErrors.length > 0) console.error(otherErrors.slice(0, 3).join('\n'));
}

/** 32 processes reserve at the same instant from 8 GPUs: 8 win, 24 get the seed error, nothing else. */
async function burst(): Promise<void> {
  await box.run(['admin', '--gpus', '8', '--force']);
  const env = { ...box.env(), CANHAZGPU_PROVIDER: 'fake' };
  const start = process.hrtime.bigint();
  const results = await Promise.all(Array.from({ length: 32 }, () => runAsync([node, CLI, 'reserve', '--duration', '1h'], env)));
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const won = results.filter((r) => r.code === 0).length;
  const notEnough = results.filter((r) => r.stderr.startsWith('Error: Not enough GPUs available.')).length;
  const other = results.length - won - notEnough;
  rows.push(['32 reserve processes at once, 8 GPUs', `${won} granted, ${notEnough} "Not enough GPUs", ${other} other errors, ${ms.toFixed(0)} ms`, '8 / 24 / 0', verdict(won === 8 && notEnough === 24 && other === 0)]);
}

async function storeThroughput(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'canhazgpu-bench-'));
  try {
    const store = SqliteStore.create(join(dir, 'state.db'));
    await store.initialize(8, false, Date.now());
    const liveness = defaultLiveness();
    const iterations = 5000;
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) {
      const token = randomUUID();
      const now = Date.now();
      await store.allocate({ count: 1, user: 'bench', type: 'run', now, expiryTime: null, inUse: [], token, owner: null, liveness });
      await store.releaseToken(token, now);
    }
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    await store.close();
    const rate = iterations / seconds;
    rows.push(['SQLite allocate+release, in-process', `${rate.toFixed(0)} pairs/s`, '>= 5000/s', verdict(rate >= 5000)]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

try {
  console.log(`canhazgpu benchmarks on ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}\n`);
  startup();
  await statusWallTime();
  await storeThroughput();
  await burst();
  for (const n of [1, 8, 32]) await racers(n, 5);
  printTable(rows);
} finally {
  box.cleanup();
}
