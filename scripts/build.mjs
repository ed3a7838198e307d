// Bundles the CLI into one ES module (fast start) and copies the store's SQL and Lua beside it.
import { build } from 'esbuild';
import { chmodSync, cpSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

const banner = [
  '#!/usr/bin/env node',
  // Bundled CommonJS dependencies call require(); an ES module has none of its own.
  "import { createRequire as __canhazgpuCreateRequire } from 'node:module';",
  'const require = __canhazgpuCreateRequire(import.meta.url);',
].join('\n');

// Chunk names carry a hash: without a clean start, every build would leave the last one's chunks behind.
rmSync('dist', { recursive: true, force: true });

const entries = { cli: 'src/cli/main.ts' };
// The stand-in tools are programs of their own, built apart: code they share with the CLI would otherwise
// split the CLI's chunk in pieces.
const tools = {
  'fake-nvidia-smi': 'src/probe/fake/fake-nvidia-smi.ts',
  'fake-amd-smi': 'src/probe/fake/fake-amd-smi.ts',
};
const options = {
  entryPoints: entries,
  outdir: 'dist',
  bundle: true,
  // Commands loaded with import() (the server's) become chunks of their own, read only when run.
  splitting: true,
  // Chunks sit beside cli.js: their new URL('./x', import.meta.url) must find the copied data files.
  chunkNames: 'chunk-[name]-[hash]',
  platform: 'node',
  target: 'node20',
  format: 'esm',
  // koffi is native and loaded only when NVML is read (see loadNvml). better-sqlite3's and ioredis's
  // JavaScript is bundled (one chunk read instead of dozens of require()s); better-sqlite3's addon is
  // loaded from node_modules (src/store/sqlite/driver.ts), ioredis only in the Redis store's chunk.
  external: ['koffi'],
  banner: { js: banner },
  minifySyntax: true,
  legalComments: 'none',
  logLevel: 'warning',
};

// esbuild makes one shared chunk per set of entry points (import() targets count as entry points) that
// reach a module: with 17 import() targets, `status` loaded cli.js and 18 chunks, and the ES module
// loader pays for each. Every import() target of our own code is made to reach program.ts too, so all
// of the CLI's static graph has one set, {cli, every target}, and lands in ONE chunk. Nothing else
// changes: those modules are loaded already whenever a target is imported.
const probe = await build({ ...options, write: false, metafile: true });
const lazyTargets = new Set(
  Object.values(probe.metafile.inputs).flatMap((input) =>
    input.imports.filter((i) => i.kind === 'dynamic-import' && i.path.startsWith('src/')).map((i) => resolve(i.path)),
  ),
);
const program = resolve('src/cli/program.ts');
const oneCoreChunk = {
  name: 'one-core-chunk',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, ({ path }) =>
      lazyTargets.has(path)
        ? {
            contents: `${readFileSync(path, 'utf8')}\nimport ${JSON.stringify(program)};\n`,
            loader: 'ts',
            resolveDir: dirname(path),
          }
        : undefined,
    );
  },
};
// commander requires child_process when loaded, for executable subcommands we never use; compiling it costs
// every command about 2% of `node -e 0`. It gets a stand-in that loads the real module on first use.
const lazyChildProcessForCommander = {
  name: 'lazy-child-process-for-commander',
  setup(b) {
    b.onResolve({ filter: /^node:child_process$/ }, ({ importer, path }) =>
      importer.includes('/node_modules/commander/') ? { path, namespace: 'lazy-builtin' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, ({ path }) => ({
      contents: `let real; module.exports = new Proxy({}, { get: (_, key) => (real ??= require(${JSON.stringify(path)}))[key] });`,
      loader: 'js',
    }));
  },
};
await build({ ...options, plugins: [oneCoreChunk, lazyChildProcessForCommander] });
await build({ ...options, entryPoints: tools, splitting: false });
for (const name of [...Object.keys(entries), ...Object.keys(tools)]) chmodSync(`dist/${name}.js`, 0o755);

// Data files the bundle reads at run time with new URL('./x', import.meta.url).
mkdirSync('dist', { recursive: true });
cpSync('src/store/sqlite/schema.sql', 'dist/schema.sql');
cpSync('src/store/redis/lua', 'dist/lua', { recursive: true });
cpSync('src/server/records/sqlite/accounts.sql', 'dist/accounts.sql');
