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
  writeFileSync(`dist/${file}.cache`, stamped((await loadedOnce(file)).script.createCachedData()));
}
