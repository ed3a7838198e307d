// `status` from the agent's status board, in-process: the very lines the command prints from the store, and the
// command left to run itself whenever the board may not fit the caller.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { testContext } from '../../test/support/context.js';
import { defaultLiveness } from '../domain/liveness.js';
import { readBoardFile, removeBoardFile, writeBoardFile } from '../host/board-file.js';
import { StatusBoardKeeper } from '../pool/status-board-keeper.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { statusCommand } from './commands/status.js';
import { type BoardIo, showFromBoard } from './status-board-client.js';

const base = mkdtempSync(join(tmpdir(), 'canhazgpu-board-client-'));
after(() => rmSync(base, { recursive: true, force: true }));
const NOW = 1_800_000_000_000;
const S = 1000;
const BUILD = 'build-1';
let n = 0;

/** A pool of 4: GPU 0 released, 1 alice's run, 2 used without a reservation, 3 charlie's manual with a note. */
async function seeded() {
  const dir = join(base, `p${++n}`);
  mkdirSync(dir);
  chmodSync(dir, 0o755);
  const storePath = join(dir, 'state.db');
  const gpusPath = join(dir, 'gpus.json');
  const store = SqliteStore.create(storePath);
  await store.initialize(4, false, NOW - 10_000 * S);
  const common = { inUse: [], owner: null, liveness: defaultLiveness(), expiryTime: null } as const;
  await store.allocate({ ...common, count: 1, user: 'zoe', type: 'run', now: NOW - 7200 * S, token: 'z' });
  await store.releaseToken('z', NOW - 1815 * S);
  await store.allocate({ ...common, count: 1, user: 'alice', type: 'run', now: NOW - 930 * S, token: 'a' });
  await store.heartbeat('a', NOW - 5 * S);
  await store.allocate({
    ...common,
    count: 1,
    user: 'charlie',
    type: 'manual',
    now: NOW - 3735 * S,
    token: 'c',
    expiryTime: NOW + 11745 * S,
    only: [3],
    note: 'llama eval',
  });
  writeFileSync(
    gpusPath,
    JSON.stringify({
      gpus: [
        { memory_used_mib: 45 },
        { processes: [{ pid: 4001, name: 'python3', used_memory_mib: 8452, user: 'alice' }] },
        { processes: [{ pid: 12345, name: 'python3', used_memory_mib: 2000, user: 'bob' }] },
        {},
      ],
    }),
  );
  // What a user's shell holds: the store, and readings as old as the commands take them by default.
  const env = {
    HOME: dir,
    CANHAZGPU_STORE: storePath,
    CANHAZGPU_PROVIDER: 'fake',
    CANHAZGPU_FAKE_GPUS: gpusPath,
    CANHAZGPU_HOST: 'h1',
    CANHAZGPU_STATUS_READING_MAX_AGE_SECONDS: '10',
  };
  return { store, storePath, env, board: `${storePath}.status.json` };
}

/** What the agent would write now: a keeper's one board, from the store as it is. */
async function writeBoard(store: SqliteStore, boardPath: string, at = NOW, build = BUILD): Promise<void> {
  const keeper = new StatusBoardKeeper({
    store,
    host: 'h1',
    build,
    clock: { now: () => at },
    owners: { state: () => 'unknown' },
    intervalMs: 1000,
    changes: { next: () => new Promise(() => {}) },
    write: (text) => writeBoardFile(boardPath, text, { mode: 0o644, gid: process.getgid?.() ?? 0 }),
    remove: () => removeBoardFile(boardPath),
    onError: (err) => assert.fail(String(err)),
  });
  await keeper.refresh();
}

function reader(env: NodeJS.ProcessEnv, now = NOW + 1500) {
  let out = '';
  const said: string[] = [];
  const io: BoardIo = { env, now: () => now, write: (text) => (out += text), debug: (line) => said.push(line) };
  return { io, out: () => out, said };
}

test('status from the board prints what the command prints from the store, plain and --json', async () => {
  const { store, env, board } = await seeded();
  // The command reads the GPUs once, and the reading it saves is the agent's to publish.
  const first = testContext({ storePath: env.CANHAZGPU_STORE, now: NOW, env });
  assert.equal(await statusCommand({ table: false, json: false }, first), 0);
  await writeBoard(store, board);
  for (const json of [false, true]) {
    const ctx = testContext({ storePath: env.CANHAZGPU_STORE, now: NOW + 1500, env });
    assert.equal(await statusCommand({ table: false, json }, ctx), 0);
    const r = reader(env);
    assert.equal(showFromBoard(json ? ['status', '--json'] : ['status'], BUILD, r.io), 0);
    assert.equal(r.out(), ctx.out());
    assert.equal(ctx.err(), '');
    assert.deepEqual(r.said, [`read from the status board at ${board}`]);
  }
  const r = reader(env);
  showFromBoard(['status'], BUILD, r.io);
  assert.match(
    r.out(),
    /^GPU 3: IN USE by charlie for 1h 2m 16s \(manual, expires in 3h 15m 44s\).*\[note: llama eval\]$/m,
  );
  await store.close();
});

test('anything the board may not fit runs the command itself (null), saying why under CANHAZGPU_DEBUG', async () => {
  const { store, env, board } = await seeded();
  await statusCommand({ table: false, json: false }, testContext({ storePath: env.CANHAZGPU_STORE, now: NOW, env }));
  await writeBoard(store, board);
  const refused = (argv: string[], changes: NodeJS.ProcessEnv = {}, now?: number) => {
    const r = reader({ ...env, ...changes }, now);
    const code = showFromBoard(argv, BUILD, r.io);
    assert.equal(r.out(), '', 'nothing printed');
    return code === null ? (r.said[0] ?? '') : `printed ${code}`;
  };
  assert.equal(refused(['status', '--table']), '', '--table is the command’s');
  assert.equal(refused(['status', '--all']), '');
  assert.equal(refused(['status', '--json', '--table']), '');
  assert.equal(refused(['reserve']), '');
  assert.match(refused(['status'], { CANHAZGPU_HOST: 'h2' }), /not used: another store or host$/);
  assert.match(refused(['status'], { CANHAZGPU_STATUS_READING_MAX_AGE_SECONDS: '1' }), /no GPU reading fresh enough$/);
  assert.match(refused(['status'], {}, NOW + 3001), /not current \(is the agent running\?\)$/);
  // Settings the command would refuse, or warn of, are its own to report.
  assert.equal(refused(['status'], { CANHAZGPU_MEMORY_THRESHOLD_MB: 'lots' }), '');
  assert.equal(refused(['status'], { CANHAZGPU_STORE: 'mongodb://x' }), '');
  assert.equal(refused(['status'], { CANHAZGPU_CONFIG: join(base, 'missing.json') }), '');
  // Another store has no board of its own; a board of another build says so.
  assert.equal(refused(['status'], { CANHAZGPU_STORE: join(base, 'other.db') }), '');
  await writeBoard(store, board, NOW, 'build-0');
  assert.match(refused(['status']), /not used: written by another build$/);
  // A board that is not one.
  writeFileSync(board, '{"format":', { mode: 0o644 });
  assert.match(refused(['status']), /not used: not JSON$/);
  chmodSync(board, 0o666);
  assert.match(refused(['status']), /not used: .* is writable by other users$/);
  assert.equal(readBoardFile(board).kind, 'untrusted');
  await store.close();
});
