// Choosing and describing, in-process on a fixed clock: --gpu-ids on reserve, run and release, notes in
// every status format, reserve --extend and the --json shapes of reserve and release.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { at, NOW, S, statusLines, world } from '../../../test/support/world.js';
import { GpusUnavailableError } from '../../domain/gpu-ids.js';
import { UsageError } from '../../domain/errors.js';
import { adminCommand } from './admin.js';
import { releaseCommand } from './release.js';
import { type ReserveOptions, reserveCommand } from './reserve.js';
import { runCommand } from './run.js';
import { statusCommand } from './status.js';

const w = world('choose');
const H = 3600 * S;

async function pool(gpus: Parameters<typeof w.machine>[0]) {
  const m = w.machine(gpus);
  const count = String(typeof gpus === 'number' ? gpus : gpus.length);
  await adminCommand({ gpus: count, force: false }, at(m, NOW - H));
  return m;
}

/** reserve's stdout, failing on anything on stderr. */
async function reserve(m: Parameters<typeof at>[0], opts: Partial<ReserveOptions>, user = 'alice', now = NOW) {
  const ctx = at(m, now, { user });
  assert.equal(await reserveCommand({ gpus: undefined, duration: undefined, ...opts }, ctx), 0);
  assert.equal(ctx.err(), '');
  return ctx.out();
}

const unavailable = (message: string) => (err: Error) => {
  assert.ok(err instanceof GpusUnavailableError, String(err));
  assert.equal(err.message, message);
  return true;
};

test('reserve -G takes exactly those GPUs, or names each one that cannot be had and holds nothing', async () => {
  const HOG = { pid: 42, name: 'python3', used_memory_mib: 4000, user: 'carol' };
  const m = await pool([{}, {}, {}, {}, { processes: [HOG] }, {}, {}, {}]);
  assert.equal(await reserve(m, { gpuIds: '3,1', duration: '2h' }, 'bob'), 'Reserved 2 GPU(s): [1, 3] for 2h 0m 0s\n');
  await assert.rejects(
    reserveCommand({ gpus: undefined, duration: undefined, gpuIds: '3,4,9,5' }, at(m)),
    unavailable(
      "GPU 3 is already reserved by user 'bob'; GPU 4 is in use without reservation; GPU ID 9 is out of range (0-7)",
    ),
  );
  const lines = await statusLines(m);
  assert.match(lines[5]!, /^GPU 5: AVAILABLE/, 'nothing held');
  assert.match(lines[3]!, /^GPU 3: IN USE by bob /);
});

test('-G with a bad list, or a --gpus that disagrees, is one line and changes nothing', async () => {
  const m = await pool(4);
  for (const [gpuIds, gpus, message] of [
    ['1,x', undefined, "Invalid value for '--gpu-ids': '1,x' is not a comma-separated list of GPU ids (e.g. 1,3)"],
    ['1,1', undefined, "Invalid value for '--gpu-ids': GPU 1 is named twice"],
    ['-1', undefined, "Invalid value for '--gpu-ids': '-1' is not a comma-separated list of GPU ids (e.g. 1,3)"],
    ['1,2', '3', '--gpus 3 and --gpu-ids 1,2 disagree: give one of them'],
  ] as const) {
    await assert.rejects(reserveCommand({ gpus, duration: undefined, gpuIds }, at(m)), (e: Error) => {
      assert.ok(e instanceof UsageError);
      assert.equal(e.message, message);
      return true;
    });
  }
  assert.equal(await reserve(m, { gpuIds: '1,2', gpus: '2' }), 'Reserved 2 GPU(s): [1, 2] for 8h 0m 0s\n');
});

test('reserve -G on GPUs you hold manually extends them to the new end, keeping their start', async () => {
  const m = await pool(4);
  await reserve(m, { gpuIds: '1', duration: '1h' });
  const later = NOW + 10 * 60 * S;
  assert.equal(
    await reserve(m, { gpuIds: '1,2', duration: '4h' }, 'alice', later),
    'Reserved 2 GPU(s): [1, 2] for 4h 0m 0s\n',
  );
  assert.deepEqual((await statusLines(m, later)).slice(1, 3), [
    'GPU 1: IN USE by alice for 0h 10m 0s (manual, expires in 4h 0m 0s) [validated: no actual usage detected]',
    'GPU 2: IN USE by alice for 0h 0m 0s (manual, expires in 4h 0m 0s) [validated: no actual usage detected]',
  ]);
  // Another user's manual GPU is not theirs to extend.
  await assert.rejects(
    reserveCommand({ gpus: undefined, duration: undefined, gpuIds: '1' }, at(m, later, { user: 'bob' })),
    unavailable("GPU 1 is already reserved by user 'alice'"),
  );
});

test('reserve --extend adds time to all your manual reservations; plain and --json', async () => {
  const m = await pool(4);
  await reserve(m, { gpus: '2', duration: '1h' }); // 0, 1
  await reserve(m, { duration: '1h' }, 'bob'); // 2
  assert.equal(await reserve(m, { extend: '30m' }, 'alice', NOW + S), 'Extended 2 GPU(s): [0, 1] by 0h 30m 0s\n');
  const json = JSON.parse(await reserve(m, { extend: '1h', json: true }, 'alice', NOW + S));
  const end = (NOW + H + 30 * 60 * S + H) / 1000;
  assert.deepEqual(json, {
    extended: [
      { gpu_id: 0, expiry_time: end },
      { gpu_id: 1, expiry_time: end },
    ],
    added_seconds: 3600,
  });
  assert.match((await statusLines(m))[2]!, /\(manual, expires in 1h 0m 0s\)/, "bob's is unchanged");
  await assert.rejects(
    reserveCommand({ gpus: undefined, duration: undefined, extend: '1h' }, at(m, NOW, { user: 'carol' })),
    {
      message: 'No manually reserved GPUs found for current user',
    },
  );
  await assert.rejects(reserveCommand({ gpus: '2', duration: undefined, extend: '1h' }, at(m)), UsageError);
  await assert.rejects(reserveCommand({ gpus: undefined, duration: undefined, extend: 'soon' }, at(m)), UsageError);
});

test('reserve --json and release --json: the shapes the README documents', async () => {
  const m = await pool(4);
  const json = JSON.parse(await reserve(m, { gpus: '2', duration: '2h', note: 'eval run', json: true }));
  assert.deepEqual(json, {
    reserved: [0, 1],
    duration_seconds: 7200,
    expiry_time: NOW / 1000 + 7200,
    note: 'eval run',
  });
  const ctx = at(m);
  assert.equal(await releaseCommand(ctx, { json: true }), 0);
  assert.deepEqual(JSON.parse(ctx.out()), { released: [0, 1] });
  const none = at(m);
  await releaseCommand(none, { json: true });
  assert.deepEqual(JSON.parse(none.out()), { released: [] });
});

test('release -G releases only those of your manual GPUs; a run keeps its own', async () => {
  const m = await pool(4);
  await reserve(m, { gpus: '3' }); // 0, 1, 2
  await reserve(m, {}, 'bob'); // 3
  const ctx = at(m);
  assert.equal(await releaseCommand(ctx, { gpuIds: '1,3' }), 0);
  assert.equal(ctx.out(), 'Released 1 GPU(s): [1]\n');
  const lines = await statusLines(m);
  assert.deepEqual(
    lines.map((l) => l.split(':')[1]!.trim().split(' ').slice(0, 3).join(' ')),
    ['IN USE by', 'AVAILABLE (last released', 'IN USE by', 'IN USE by'],
  );
  await assert.rejects(releaseCommand(at(m), { gpuIds: '1,,2' }), UsageError);
});

test('notes: stored with the reservation, shown by status in all three formats; none keeps the original texts', async () => {
  const m = await pool(3);
  const plainBefore = await statusLines(m);
  const table = async () => {
    const ctx = at(m);
    await statusCommand({ table: true, json: false }, ctx);
    return ctx.out();
  };
  assert.doesNotMatch(await table(), /NOTE/, 'no note, no NOTE column');
  await reserve(m, { gpuIds: '1', note: 'llama 70B eval' });
  const lines = await statusLines(m);
  assert.equal(
    lines[1],
    'GPU 1: IN USE by alice for 0h 0m 0s (manual, expires in 8h 0m 0s) [validated: no actual usage detected] [note: llama 70B eval]',
  );
  assert.deepEqual([lines[0], lines[2]], [plainBefore[0], plainBefore[2]]);
  const rows = (await table()).split('\n');
  assert.match(rows[0]!, / VALIDATION +NOTE$/);
  assert.match(rows[2]!, / -$/);
  assert.match(rows[3]!, / llama 70B eval$/);
  const ctx = at(m);
  await statusCommand({ table: false, json: true }, ctx);
  const json = JSON.parse(ctx.out());
  assert.equal(json[1].note, 'llama 70B eval');
  assert.equal('note' in json[0], false);
});

test('a note must be one printable line of at most 200 characters', async () => {
  const m = await pool(2);
  for (const note of ['two\nlines', 'bidi \u202e trick', 'x'.repeat(201)]) {
    await assert.rejects(reserveCommand({ gpus: undefined, duration: undefined, note }, at(m)), UsageError);
    await assert.rejects(runCommand({ gpus: undefined, note, command: ['true'] }, at(m)), UsageError);
  }
  assert.deepEqual(await statusLines(m), ['GPU 0: AVAILABLE', 'GPU 1: AVAILABLE']);
});

test('run -G and --note: the command gets exactly those GPUs; --json puts the grant on stderr', async () => {
  const m = await pool(4);
  const ctx = at(m);
  const command = [process.execPath, '-e', 'console.log(process.env.CUDA_VISIBLE_DEVICES)'];
  assert.equal(await runCommand({ gpus: undefined, gpuIds: '2,3', note: 'sweep', json: true, command }, ctx), 0);
  assert.deepEqual(JSON.parse(ctx.err()), {
    reserved: [2, 3],
    cuda_visible_devices: '2,3',
    note: 'sweep',
    timeout_seconds: null,
  });
  await reserve(m, { gpuIds: '2' }, 'bob');
  await assert.rejects(
    runCommand({ gpus: undefined, gpuIds: '2', command }, at(m)),
    unavailable("GPU 2 is already reserved by user 'bob'"),
  );
});
