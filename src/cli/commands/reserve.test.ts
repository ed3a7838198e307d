// reserve, in-process on a fixed clock: the original manual's texts exactly, durations, GPUs not handed out, and
// what is printed when GPUs are short or nvidia-smi cannot be read.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { at, NOW, S, statusLines, world } from '../../../test/support/world.js';
import { NotEnoughGpusError, PoolNotInitializedError } from '../../domain/errors.js';
import { ProbeUnavailableError } from '../../domain/ports.js';
import { NvidiaSmiProbe } from '../../probe/nvidia/nvidia-probe.js';
import { adminCommand } from './admin.js';
import { releaseCommand } from './release.js';
import { reserveCommand } from './reserve.js';
import { runCommand } from './run.js';
import { statusCommand } from './status.js';

const w = world('reserve');
const HOG = (pid: number, user = 'bob') => ({ pid, name: '/usr/bin/python3', used_memory_mib: 2000, user });

async function pool(gpus: Parameters<typeof w.machine>[0]) {
  const m = w.machine(gpus);
  const count = String(typeof gpus === 'number' ? gpus : gpus.length);
  await adminCommand({ gpus: count, force: false }, at(m, NOW - 3600 * S));
  return m;
}

/** reserve's stdout, failing on anything on stderr. */
async function reserve(m: Parameters<typeof at>[0], gpus?: string, duration?: string, now = NOW): Promise<string> {
  const ctx = at(m, now);
  assert.equal(await reserveCommand({ gpus, duration }, ctx), 0);
  assert.equal(ctx.err(), '');
  return ctx.out();
}

const notEnough = (message: string) => (err: Error) => {
  assert.ok(err instanceof NotEnoughGpusError, String(err));
  assert.equal(err.message, message);
  return true;
};

test("reserve and release print the original manual's texts, and status shows the reservations as they age", async () => {
  const m = await pool(4);
  const first = await reserve(m, '2', '4h');
  assert.equal(first, 'Reserved 2 GPU(s): [0, 1] for 4h 0m 0s\n');
  assert.equal(await reserve(m), 'Reserved 1 GPU(s): [2] for 8h 0m 0s\n');
  // The original manual's Python integration parses that line.
  const ids = first.match(/Reserved \d+ GPU\(s\): \[([^\]]+)\]/)![1]!;
  assert.deepEqual(
    ids.split(',').map((x) => Number(x.trim())),
    [0, 1],
  );
  const later = NOW + (10 * 60 + 5) * S;
  assert.deepEqual(await statusLines(m, later), [
    'GPU 0: IN USE by alice for 0h 10m 5s (manual, expires in 3h 49m 55s) [validated: no actual usage detected]',
    'GPU 1: IN USE by alice for 0h 10m 5s (manual, expires in 3h 49m 55s) [validated: no actual usage detected]',
    'GPU 2: IN USE by alice for 0h 10m 5s (manual, expires in 7h 49m 55s) [validated: no actual usage detected]',
    'GPU 3: AVAILABLE', // no memory in use: the original says nothing of it
  ]);
  const released = at(m, later);
  assert.equal(await releaseCommand(released), 0);
  assert.deepEqual([released.out(), released.err()], ['Released 3 GPU(s): [0, 1, 2]\n', '']);
  const again = at(m, later);
  await releaseCommand(again);
  assert.equal(again.out(), 'No manually reserved GPUs found for current user\n');
  assert.deepEqual((await statusLines(m, later + 90 * S)).slice(0, 2), [
    'GPU 0: AVAILABLE (last released 0h 1m 30s ago)',
    'GPU 1: AVAILABLE (last released 0h 1m 30s ago)',
  ]);
});

test("durations: the original manual's forms, printed as h m s; a reservation ends at its expiry", async () => {
  const m = await pool(8);
  const cases: Array<[string, string]> = [
    ['30m', '0h 30m 0s'],
    ['2h', '2h 0m 0s'],
    ['1d', '24h 0m 0s'],
    ['0.5h', '0h 30m 0s'],
    ['1h30m', '1h 30m 0s'],
    ['45s', '0h 0m 45s'],
    ['90m', '1h 30m 0s'],
  ];
  for (const [i, [duration, printed]] of cases.entries()) {
    assert.equal(await reserve(m, '1', duration), `Reserved 1 GPU(s): [${i}] for ${printed}\n`, duration);
  }
  assert.equal(
    (await statusLines(m, NOW + 44 * S))[5],
    'GPU 5: IN USE by alice for 0h 0m 44s (manual, expires in 0h 0m 1s) [validated: no actual usage detected]',
  );
  // At its expiry the 45s reservation is free again, released at that moment; the others still hold.
  assert.equal((await statusLines(m, NOW + 50 * S))[5], 'GPU 5: AVAILABLE (last released 0h 0m 5s ago)');
  assert.equal(await reserve(m, '2', '1m', NOW + 50 * S), 'Reserved 2 GPU(s): [5, 7] for 0h 1m 0s\n');
});

test('GPUs in use without reservation are shown, never handed out, and counted in the error', async () => {
  const m = await pool([{ processes: [HOG(12345)] }, {}, { processes: [HOG(23456, 'carol')] }, {}]);
  const unreserved = "(2 GPUs in use without reservation - run 'canhazgpu status' for details)";
  const tooMany = at(m);
  await assert.rejects(
    reserveCommand({ gpus: '3', duration: undefined }, tooMany),
    notEnough(`Not enough GPUs available. Requested: 3, Available: 2 ${unreserved}`),
  );
  assert.deepEqual([tooMany.out(), tooMany.err()], ['', '']);
  await assert.rejects(
    runCommand({ gpus: '3', command: ['true'] }, at(m)),
    notEnough(`Not enough GPUs available. Requested: 3, Available: 2 ${unreserved}`),
  );
  assert.equal(await reserve(m, '2'), 'Reserved 2 GPU(s): [1, 3] for 8h 0m 0s\n');
  await assert.rejects(
    reserveCommand({ gpus: undefined, duration: undefined }, at(m)),
    notEnough(`Not enough GPUs available. Requested: 1, Available: 0 ${unreserved}`),
  );
  const lines = await statusLines(m);
  assert.equal(lines[0], 'GPU 0: IN USE WITHOUT RESERVATION by user bob - 2000MB used by PID 12345 (python3)');
  assert.equal(lines[2], 'GPU 2: IN USE WITHOUT RESERVATION by user carol - 2000MB used by PID 23456 (python3)');
  // The original manual's reminder script finds them.
  assert.equal(lines.filter((l) => l.includes('WITHOUT RESERVATION')).length, 2);
  await releaseCommand(at(m));
  await assert.rejects(
    reserveCommand({ gpus: '3', duration: undefined }, at(m)),
    notEnough(`Not enough GPUs available. Requested: 3, Available: 2 ${unreserved}`),
  );
  m.setGpus({ gpus: [{}, {}, {}, {}] });
  await reserve(m, '3');
  await assert.rejects(
    reserveCommand({ gpus: '2', duration: undefined }, at(m)),
    notEnough('Not enough GPUs available. Requested: 2, Available: 1'),
  );
});

test("without nvidia-smi, reserve and status go on, each with the original manual's warning", async () => {
  const m = await pool(2);
  const blind = (ctx: ReturnType<typeof at>) => {
    const gone = async () => {
      throw new ProbeUnavailableError('nvidia-smi not found');
    };
    ctx.probe = { toolName: 'nvidia-smi', probe: gone };
    return ctx;
  };
  const warning = 'Warning: Could not detect GPU usage (nvidia-smi unavailable)\n';
  const reserved = blind(at(m));
  assert.equal(await reserveCommand({ gpus: undefined, duration: undefined }, reserved), 0);
  assert.deepEqual([reserved.out(), reserved.err()], ['Reserved 1 GPU(s): [0] for 8h 0m 0s\n', warning]);
  const status = blind(at(m, NOW + 61 * S));
  assert.equal(await statusCommand({ table: false, json: false }, status), 0);
  assert.deepEqual(
    [status.out(), status.err()],
    ['GPU 0: IN USE by alice for 0h 1m 1s (manual, expires in 7h 58m 59s)\nGPU 1: AVAILABLE\n', warning],
  );
  // The real probe, with no nvidia-smi to run: the same.
  const missing = at(m, NOW, { env: { CANHAZGPU_PROVIDER: 'nvidia' } });
  missing.probe = new NvidiaSmiProbe({ command: `${w.dir}/no-nvidia-smi` });
  assert.equal(await reserveCommand({ gpus: undefined, duration: '1h' }, missing), 0);
  assert.deepEqual([missing.out(), missing.err()], ['Reserved 1 GPU(s): [1] for 1h 0m 0s\n', warning]);
});

test('every command on a pool never initialised says to run admin, and creates nothing', async () => {
  const m = w.machine(2);
  const commands = {
    status: (ctx: ReturnType<typeof at>) => statusCommand({ table: false, json: false }, ctx),
    reserve: (ctx: ReturnType<typeof at>) => reserveCommand({ gpus: undefined, duration: undefined }, ctx),
    release: (ctx: ReturnType<typeof at>) => releaseCommand(ctx),
    run: (ctx: ReturnType<typeof at>) => runCommand({ gpus: undefined, command: ['true'] }, ctx),
  };
  for (const [name, command] of Object.entries(commands)) {
    const ctx = at(m);
    await assert.rejects(command(ctx), (err: Error) => {
      assert.ok(err instanceof PoolNotInitializedError, `${name}: ${err}`);
      assert.equal(err.message, "GPU pool not initialized. Run 'canhazgpu admin --gpus <count>' first.");
      return true;
    });
    assert.deepEqual([ctx.out(), ctx.err()], ['', ''], name);
  }
  assert.equal(existsSync(m.storePath), false);
});
