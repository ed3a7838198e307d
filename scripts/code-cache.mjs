// `node scripts/code-cache.mjs BUILD_ID FILE...`: writes dist/FILE.cache for the core and each island, the
// V8 code cache the launcher (src/cli/launcher.cjs) compiles them with. Run by build.mjs in a process of its
// own without NODE_OPTIONS: V8 takes a cache only under the flags it was made with, which are then Node's
// own. The core's is made once `admin`, `reserve`, `status` and `release` ran on the fake provider's 8 GPUs,
// so it holds the functions commands run besides the top level (a `status` costs 4% less of `node -e 0`);
// an island's once evaluated (there is no Redis here to run commands against).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [buildId, ...islands] = process.argv.slice(2);
const { loadCore, loadedOnce } = createRequire(import.meta.url)('../dist/cli.js');
/** What the launcher finds before V8's data: the build it belongs to (a cache of another build is ignored). */
const stamped = (data) => Buffer.concat([Buffer.from(`${buildId}\n`), data]);

const { script, exports: core } = loadCore();
const scratch = mkdtempSync(join(tmpdir(), 'canhazgpu-build-'));
try {
  // Nothing of the building machine's settings: its own config file might not even parse.
  const config = join(scratch, 'config.json');
  writeFileSync(config, '{}\n');
  const io = {
    stdout: { write: () => true },
    stderr: { write: (text) => process.stderr.write(text) },
    env: {
      HOME: scratch,
      CANHAZGPU_CONFIG: config,
      CANHAZGPU_STORE: join(scratch, 'state.db'),
      CANHAZGPU_PROVIDER: 'fake',
    },
    readStdin: async () => '',
  };
  for (const argv of [['admin', '--gpus', '8'], ['reserve', '--duration', '1m'], ['status'], ['release']]) {
    if ((await core.main(argv, io)) !== 0) throw new Error(`warming the code cache: ${argv.join(' ')} failed`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
writeFileSync('dist/core.js.cache', stamped(script.createCachedData()));
for (const file of islands) {
  const island = await loadedOnce(file);
  if (file === 'status-board.js') warmStatusBoard(island.exports);
  writeFileSync(`dist/${file}.cache`, stamped(island.script.createCachedData()));
}

/**
 * Reads a board of 8 GPUs (one reserved by hand, one by a run, one used without a reservation) as `status` and
 * `status --json`, so that the cache holds the functions a read runs, not only the bundle's top level.
 */
function warmStatusBoard({ showFromBoard }) {
  const dir = mkdtempSync(join(tmpdir(), 'canhazgpu-build-'));
  try {
    const now = Date.now();
    const store = join(dir, 'state.db');
    const gpu = (index, processes = []) => ({
      index,
      uuid: `GPU-${index}`,
      name: 'NVIDIA H100 80GB HBM3',
      memoryUsedMb: processes.length > 0 ? 4096 : 0,
      memoryTotalMb: 81559,
      processes,
    });
    const held = (type, token) => ({
      user: 'build',
      type,
      startTime: now - 60_000,
      lastHeartbeat: now - 1_000,
      expiryTime: type === 'manual' ? now + 3_600_000 : null,
      token,
      owner: null,
      note: 'warming',
    });
    const slots = Array.from({ length: 8 }, (_, id) => ({
      id,
      reservation: id === 0 ? held('manual', 't0') : id === 1 ? held('run', 't1') : null,
      lastReleased: id === 3 ? now - 5_000 : null,
    }));
    const processes = [{ pid: 1, name: 'python', user: 'build', usedMemoryMb: 4096, model: null }];
    const board = {
      format: 1,
      build: buildId,
      location: `sqlite:${store}`,
      host: 'build',
      writtenAt: now,
      validForMs: 60_000,
      reading: { takenAt: now, usage: Array.from({ length: 8 }, (_, i) => gpu(i, i === 2 ? processes : [])) },
      slots,
      deadTokens: [],
      liveTokens: ['t1'],
    };
    writeFileSync(`${store}.status.json`, JSON.stringify(board), { mode: 0o644 });
    const env = {
      HOME: dir,
      CANHAZGPU_CONFIG: join(dir, 'none.json'),
      CANHAZGPU_STORE: store,
      CANHAZGPU_HOST: 'build',
    };
    writeFileSync(env.CANHAZGPU_CONFIG, '{}\n');
    const said = [];
    const io = { env, now: Date.now, write: () => {}, debug: (line) => said.push(line) };
    for (const argv of [['status'], ['status', '--json']]) {
      if (showFromBoard(argv, buildId, io) !== 0)
        throw new Error(`warming the status board: ${argv.join(' ')} failed: ${said.join('; ')}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
