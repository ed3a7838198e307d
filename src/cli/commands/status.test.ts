// status, in-process with a fixed clock: the original manual's texts byte for byte.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { testContext } from '../../../test/support/context.js';
import { defaultLiveness } from '../../domain/liveness.js';
import type { FakeState } from '../../probe/fake/state.js';
import { SqliteStore } from '../../store/sqlite/sqlite-store.js';
import { statusCommand } from './status.js';

const dir = mkdtempSync(join(tmpdir(), 'canhazgpu-status-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const NOW = 1_800_000_000_000;
const S = 1000;
let n = 0;

/** The pool of the original manual's example: GPU 0 released 30m15s ago, 1 alice's run, 2 free, 3 charlie's manual. */
async function seedPool(): Promise<{ storePath: string; gpusPath: string }> {
  const storePath = join(dir, `s${++n}.db`);
  const gpusPath = join(dir, `g${n}.json`);
  const store = SqliteStore.create(storePath);
  await store.initialize(4, false, NOW - 10_000 * S);
  const base = { inUse: [], owner: null, liveness: defaultLiveness(), expiryTime: null } as const;
  const first = { ...base, count: 1, user: 'zoe', type: 'run' as const, now: NOW - 7200 * S, token: 'z' };
  await store.allocate(first); // GPU 0
  await store.releaseToken('z', NOW - (30 * 60 + 15) * S);
  await store.allocate({ ...base, count: 1, user: 'alice', type: 'run', now: NOW - 930 * S, token: 'a' }); // GPU 1
  await store.heartbeat('a', NOW - 5 * S);
  await store.allocate({
    ...base,
    count: 1,
    user: 'bob',
    type: 'manual',
    now: NOW - 60 * S,
    token: 'b',
    expiryTime: NOW - 1 * S,
  }); // GPU 2, expired
  await store.allocate({
    ...base,
    count: 1,
    user: 'charlie',
    type: 'manual',
    now: NOW - 3735 * S,
    token: 'c',
    expiryTime: NOW + 11745 * S,
  }); // GPU 3
  await store.close();
  return { storePath, gpusPath };
}

const gpus = (state: FakeState['gpus']): FakeState => ({ gpus: state });

test("prints the original manual's status lines exactly", async () => {
  const paths = await seedPool();
  writeFileSync(
    paths.gpusPath,
    JSON.stringify(
      gpus([
        { memory_used_mib: 45 },
        { processes: [{ pid: 4001, name: '/usr/bin/python3', used_memory_mib: 8452, user: 'alice' }] },
        {
          processes: [
            { pid: 12345, name: '/usr/bin/python3', used_memory_mib: 1000, user: 'bob' },
            { pid: 67890, name: '/opt/conda/bin/jupyter', used_memory_mib: 24, user: 'bob' },
          ],
        },
        { memory_used_mib: 0 },
      ]),
    ),
  );
  // The original manual shows 1024MB as unreserved use, so the threshold sits below it here (it is configurable).
  const ctx = testContext({ ...paths, now: NOW, env: { CANHAZGPU_MEMORY_THRESHOLD_MB: '1000' } });
  assert.equal(await statusCommand({ table: false, json: false }, ctx), 0);
  assert.equal(
    ctx.out(),
    [
      'GPU 0: AVAILABLE (last released 0h 30m 15s ago) [validated: 45MB used]',
      'GPU 1: IN USE by alice for 0h 15m 30s (run, last heartbeat 0h 0m 5s ago) [validated: 8452MB, 1 processes]',
      'GPU 2: IN USE WITHOUT RESERVATION by user bob - 1024MB used by PID 12345 (python3), PID 67890 (jupyter)',
      'GPU 3: IN USE by charlie for 1h 2m 15s (manual, expires in 3h 15m 45s) [validated: no actual usage detected]',
      '',
    ].join('\n'),
  );
  assert.equal(ctx.err(), '');
});

test('names several unreserved users and counts the processes it does not list', async () => {
  const paths = await seedPool();
  writeFileSync(
    paths.gpusPath,
    JSON.stringify(
      gpus([
        {},
        {},
        {
          processes: [
            { pid: 12345, name: 'python3', used_memory_mib: 512, user: 'alice' },
            { pid: 23456, name: 'pytorch', used_memory_mib: 512, user: 'bob' },
            { pid: 34567, name: 'python3', used_memory_mib: 512, user: 'charlie' },
            { pid: 45678, name: 'python3', used_memory_mib: 512, user: 'alice' },
          ],
        },
        {},
      ]),
    ),
  );
  const ctx = testContext({ ...paths, now: NOW });
  await statusCommand({ table: false, json: false }, ctx);
  const line = ctx.out().split('\n')[2];
  assert.equal(
    line,
    'GPU 2: IN USE WITHOUT RESERVATION by users alice, bob and charlie - 2048MB used by PID 12345 (python3), PID 23456 (pytorch) and 2 more',
  );
  // The original manual's own parsing of that line still works.
  assert.deepEqual(line!.match(/by users? ([^-]+) - (\d+)MB/)!.slice(1), ['alice, bob and charlie', '2048']);
});

test('a GPU never reserved shows just AVAILABLE; expired reservations show as released at expiry', async () => {
  const storePath = join(dir, `fresh${++n}.db`);
  const store = SqliteStore.create(storePath);
  await store.initialize(2, false, NOW);
  await store.allocate({
    count: 1,
    user: 'bob',
    type: 'manual',
    now: NOW - 100 * S,
    expiryTime: NOW - 5 * S,
    token: 't',
    owner: null,
    inUse: [],
    liveness: defaultLiveness(),
  });
  await store.close();
  const ctx = testContext({
    storePath,
    gpusPath: join(dir, 'missing.json'),
    now: NOW,
    env: { CANHAZGPU_PROVIDER: 'nvidia', PATH: '/nonexistent' },
  });
  ctx.probe = {
    toolName: 'nvidia-smi',
    probe: async () => {
      throw new (await import('../../domain/ports.js')).ProbeUnavailableError('gone');
    },
  };
  await statusCommand({ table: false, json: false }, ctx);
  assert.equal(ctx.out(), 'GPU 0: AVAILABLE (last released 0h 0m 5s ago)\nGPU 1: AVAILABLE\n');
  assert.equal(ctx.err(), 'Warning: Could not detect GPU usage (nvidia-smi unavailable)\n');
});

test("--table shows the original manual's columns with the model read from the command line", async () => {
  const paths = await seedPool();
  writeFileSync(
    paths.gpusPath,
    JSON.stringify(
      gpus([
        { memory_used_mib: 45 },
        {
          processes: [
            {
              pid: 4001,
              name: 'python3',
              used_memory_mib: 8452,
              user: 'alice',
              cmdline: ['vllm', 'serve', 'microsoft/DialoGPT-large'],
            },
          ],
        },
        {
          processes: [
            {
              pid: 22222,
              name: 'jupyter',
              used_memory_mib: 2048,
              user: 'bob',
              cmdline: ['python', 'x.py', '--model', 'teknium/OpenHermes-2.5-Mistral-7B'],
            },
          ],
        },
        {},
      ]),
    ),
  );
  const ctx = testContext({ ...paths, now: NOW });
  await statusCommand({ table: true, json: false }, ctx);
  assert.equal(
    ctx.out(),
    [
      'GPU STATUS    USER    DURATION         TYPE   MODEL                             DETAILS               VALIDATION',
      '--- --------- ------- ---------------- ------ --------------------------------- --------------------- ----------------------------------',
      '0   available         free for 30m 15s                                                                45MB used',
      '1   in use    alice   15m 30s          run    microsoft/DialoGPT-large          heartbeat 5s ago      8452MB, 1 processes',
      '2   in use    bob                             teknium/OpenHermes-2.5-Mistral-7B WITHOUT RESERVATION   2048MB used by PID 22222 (jupyter)',
      '3   in use    charlie 1h 2m 15s        manual                                   expires in 3h 15m 45s no usage detected',
      '',
    ].join('\n'),
  );
});

test('--json carries the same facts for scripts', async () => {
  const paths = await seedPool();
  writeFileSync(
    paths.gpusPath,
    JSON.stringify(gpus([{}, {}, { processes: [{ pid: 7, used_memory_mib: 4096, user: 'bob' }] }, {}])),
  );
  const ctx = testContext({ ...paths, now: NOW });
  await statusCommand({ table: false, json: true }, ctx);
  const rows = JSON.parse(ctx.out());
  assert.deepEqual(
    rows.map((r: { status: string }) => r.status),
    ['available', 'reserved', 'unreserved', 'reserved'],
  );
  assert.equal(rows[1].user, 'alice');
  assert.equal(rows[1].reservation_type, 'run');
  assert.equal(rows[1].duration_seconds, 930);
  assert.deepEqual(rows[2].users, ['bob']);
  assert.equal(rows[2].hardware.memory_used_mb, 4096);
  assert.equal(rows[3].expiry_time, (NOW + 11745 * S) / 1000);
});

test('a free GPU shows its memory only when some is used, as the original prints it', async () => {
  const storePath = join(dir, `mem${++n}.db`);
  const gpusPath = join(dir, `mem${n}.json`);
  const store = SqliteStore.create(storePath);
  await store.initialize(2, false, NOW);
  await store.close();
  writeFileSync(gpusPath, JSON.stringify(gpus([{ memory_used_mib: 0 }, { memory_used_mib: 45 }])));
  const ctx = testContext({ storePath, gpusPath, now: NOW });
  await statusCommand({ table: false, json: false }, ctx);
  assert.equal(ctx.out(), 'GPU 0: AVAILABLE\nGPU 1: AVAILABLE [validated: 45MB used]\n');
  const table = testContext({ storePath, gpusPath, now: NOW });
  await statusCommand({ table: true, json: false }, table);
  assert.deepEqual(
    table
      .out()
      .split('\n')
      .slice(2, 4)
      .map((line) => line.split(/ +/)),
    [
      ['0', 'available', 'free'],
      ['1', 'available', 'free', '45MB', 'used'],
    ],
  );
});

test("--table: the original manual's `free for 2h`, zero units dropped at both ends", async () => {
  const storePath = join(dir, `free${++n}.db`);
  const gpusPath = join(dir, `free${n}.json`);
  const store = SqliteStore.create(storePath);
  await store.initialize(3, false, NOW);
  const base = { inUse: [], owner: null, liveness: defaultLiveness(), expiryTime: null, user: 'zoe' } as const;
  for (const [token, ago] of [
    ['a', 7200],
    ['b', 5400],
    ['c', 45],
  ] as const) {
    await store.allocate({ ...base, type: 'run', count: 1, now: NOW - 9000 * S, token });
    await store.releaseToken(token, NOW - ago * S);
  }
  await store.close();
  writeFileSync(gpusPath, JSON.stringify(gpus([{ memory_used_mib: 45 }, {}, {}])));
  const ctx = testContext({ storePath, gpusPath, now: NOW });
  await statusCommand({ table: true, json: false }, ctx);
  const rows = ctx.out().split('\n').slice(2, 5);
  assert.match(rows[0]!, /^0 +available +free for 2h +45MB used$/);
  assert.match(rows[1]!, /^1 +available +free for 1h 30m$/);
  assert.match(rows[2]!, /^2 +available +free for 45s$/);
});
