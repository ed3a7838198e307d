// Bundles the CLI into one ES module (fast start) and copies the store's SQL and Lua beside it.
import { build } from 'esbuild';
import { chmodSync, cpSync, mkdirSync, rmSync } from 'node:fs';

const banner = [
  '#!/usr/bin/env node',
  // Bundled CommonJS dependencies call require(); an ES module has none of its own.
  "import { createRequire as __canhazgpuCreateRequire } from 'node:module';",
  'const require = __canhazgpuCreateRequire(import.meta.url);',
].join('\n');

// Chunk names carry a hash: without a clean start, every build would leave the last one's chunks behind.
rmSync('dist', { recursive: true, force: true });

const entries = {
  cli: 'src/cli/main.ts',
  'fake-nvidia-smi': 'src/probe/fake/fake-nvidia-smi.ts',
  'fake-amd-smi': 'src/probe/fake/fake-amd-smi.ts',
};
await build({
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
  // Native or large, and loaded only when a command needs them (see openStore, SqliteStore, loadNvml).
  external: ['better-sqlite3', 'ioredis', 'koffi'],
  banner: { js: banner },
  minifySyntax: true,
  legalComments: 'none',
  logLevel: 'warning',
});
for (const name of Object.keys(entries)) chmodSync(`dist/${name}.js`, 0o755);

// Data files the bundle reads at run time with new URL('./x', import.meta.url).
mkdirSync('dist', { recursive: true });
cpSync('src/store/sqlite/schema.sql', 'dist/schema.sql');
cpSync('src/store/redis/lua', 'dist/lua', { recursive: true });
cpSync('src/server/records/sqlite/accounts.sql', 'dist/accounts.sql');
