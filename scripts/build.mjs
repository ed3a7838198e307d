// Builds dist/: the executable (cli.js, src/cli/launcher.cjs), the commands' core as one CommonJS bundle
// with a V8 code cache (core.js, core.js.cache), the Redis store and the agent's client likewise ("islands",
// loaded on demand: lazy-redis-store.js, lazy-agent-store.js), the other modules loaded on demand as ES
// modules (*.mjs, chunks shared between them), the stand-in tools, and the SQL and Lua files read at run time.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, relative, resolve } from 'node:path';

rmSync('dist', { recursive: true, force: true });
mkdirSync('dist');
// Plain .js files in dist are CommonJS (the package is "type": "module"); the lazy modules are .mjs.
writeFileSync('dist/package.json', '{ "type": "commonjs" }\n');

const MAIN = resolve('src/cli/main.ts');
/** The first line of core.js and of each island, and of their caches: the launcher takes only a cache of its build. */
const BUILD_ID = randomUUID();
const STAMP = `// canhazgpu build ${BUILD_ID}\n`;
/**
 * Modules loaded on demand that are built like the core (CommonJS, code cache) instead of as ES modules:
 * each must share no module with the other lazy ones but the core's (checked below), or that module would
 * exist twice. The Redis store is one (its client was most of a `status` on Redis), and the agent's client
 * (a `status` kept by the agent).
 */
const ISLANDS = new Set([resolve('src/store/redis/redis-store.ts'), resolve('src/store/agent/agent-store.ts')]);
const REGISTRY = "globalThis[Symbol.for('canhazgpu.core')]";
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  // koffi is native and loaded only when NVML is read (see loadNvml); better-sqlite3's addon is loaded from
  // node_modules (src/store/sqlite/driver.ts); their JavaScript, like every other dependency's, is bundled.
  external: ['koffi'],
  minifySyntax: true,
  legalComments: 'none',
  logLevel: 'warning',
};
const skip = { canhazgpu: 'resolved' };
/** A plugin's onResolve asks esbuild where a path leads, without asking itself again. */
const resolved = (b, args) =>
  b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: skip });

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

/** `import("PREFIXrest")` calls that esbuild left as they were (external), each replaced by `call(rest)`. */
function rewriteImports(text, prefix, call) {
  const pattern = new RegExp(`import\\("${prefix}([^"]+)"\\)`, 'g');
  const rewritten = text.replace(pattern, (_, rest) => call(rest));
  if (rewritten.includes(prefix)) throw new Error(`an import of ${prefix}... that is not an import() call is left`);
  return rewritten;
}

/** Where a CommonJS bundle's sources find their data files with new URL('./x', import.meta.url): beside it. */
const FILE_URL = "var __canhazgpuFileUrl = require('node:url').pathToFileURL(__filename).href;";

/** The core's modules, imported by a module loaded on demand, read from the registry: one instance of each. */
const fromCore = new Set();
function coreModulesFromRegistry() {
  return {
    name: 'core-modules-from-registry',
    setup(b) {
      b.onResolve({ filter: /.*/ }, async (args) => {
        if (args.pluginData === skip || args.kind === 'entry-point') return undefined;
        const r = await resolved(b, args);
        if (ISLANDS.has(r.path)) throw new Error(`${args.importer} imports ${r.path}, built apart (ISLANDS)`);
        if (!core.has(r.path) || r.path.includes('/node_modules/')) return undefined;
        const key = relative('.', r.path);
        fromCore.add(key);
        // import() of a core module: the registry's namespace itself (withCoreImports), not a default export
        if (args.kind === 'dynamic-import') return { path: `canhazgpu-core:${key}`, external: true };
        return { path: key, namespace: 'core' };
      });
      b.onLoad({ filter: /.*/, namespace: 'core' }, ({ path }) => ({
        contents: `module.exports = ${REGISTRY}[${JSON.stringify(path)}];`,
        loader: 'js',
      }));
    },
  };
}
const withCoreImports = (text) =>
  rewriteImports(text, 'canhazgpu-core:', (key) => `Promise.resolve(${REGISTRY}[${JSON.stringify(key)}])`);

/** A bundle the launcher compiles with vm: it may not call import() (vm gives scripts no loader for it). */
function compiledByVm(file, text) {
  if (/\bimport\(/.test(text)) throw new Error(`${file}: an import() call is left, which a vm script cannot make`);
  return text;
}

// 1. The core: what main.ts reaches by static imports. Its import() targets are the lazy modules.
const lazy = new Map(); // absolute path → output name
const probe = await build({
  ...common,
  entryPoints: [MAIN],
  format: 'esm',
  write: false,
  outdir: 'dist',
  metafile: true,
  plugins: [
    {
      name: 'find-lazy-modules',
      setup(b) {
        b.onResolve({ filter: /.*/ }, async (args) => {
          if (args.kind !== 'dynamic-import' || args.pluginData === skip) return undefined;
          const r = await resolved(b, args);
          lazy.set(r.path, null);
          return { path: r.path, external: true };
        });
      },
    },
  ],
});
const core = new Set(Object.keys(probe.metafile.inputs).map((input) => resolve(input)));
for (const path of core) lazy.delete(path); // also reached statically: part of the core
const names = new Set();
for (const path of lazy.keys()) {
  const stem = path.includes('/node_modules/')
    ? path.split('/node_modules/').pop().split('/')[0]
    : basename(path).replace(/\.ts$/, '');
  let name = `lazy-${stem}`;
  for (let n = 2; names.has(name); n++) name = `lazy-${stem}-${n}`;
  names.add(name);
  lazy.set(path, name);
}

// 2. The lazy modules, as ES modules, and 3. the islands, as CommonJS bundles like the core. An import of
// a core module reads the core's instance from the registry. A module of ours that an island shares with
// an ES module joins the core (its one instance), and both are built again.
async function buildLazyModules() {
  const esm = await build({
    ...common,
    write: false,
    entryPoints: Object.fromEntries(
      [...lazy].filter(([path]) => !ISLANDS.has(path)).map(([path, name]) => [name, path]),
    ),
    format: 'esm',
    metafile: true,
    splitting: true,
    outdir: 'dist',
    chunkNames: 'chunk-[name]-[hash]',
    outExtension: { '.js': '.mjs' },
    // Bundled CommonJS dependencies call require(); an ES module has none of its own.
    banner: {
      js: "import { createRequire as __canhazgpuCreateRequire } from 'node:module';\nconst require = __canhazgpuCreateRequire(import.meta.url);",
    },
    plugins: [coreModulesFromRegistry()],
  });
  const esmInputs = new Set(Object.keys(esm.metafile.inputs).map((input) => resolve(input)));
  const islands = [];
  const shared = [];
  const inputs = [...esmInputs];
  for (const path of ISLANDS) {
    const name = lazy.get(path);
    if (!name) throw new Error(`${relative('.', path)} is no module loaded on demand`);
    const island = await build({
      ...common,
      entryPoints: [path],
      format: 'cjs',
      outfile: `dist/${name}.js`,
      write: false,
      metafile: true,
      define: { 'import.meta.url': '__canhazgpuFileUrl' },
      banner: { js: FILE_URL },
      plugins: [coreModulesFromRegistry()],
    });
    islands.push(island.outputFiles[0]);
    inputs.push(...Object.keys(island.metafile.inputs).map((input) => resolve(input)));
    shared.push(
      ...Object.keys(island.metafile.inputs).filter(
        (input) => esmInputs.has(resolve(input)) && !input.startsWith('core:') && !input.includes('node_modules/'),
      ),
    );
  }
  return { files: [...esm.outputFiles, ...islands], shared, inputs };
}
let lazyBuild = await buildLazyModules();
for (let round = 0; lazyBuild.shared.length > 0; round++) {
  if (round === 3) throw new Error(`still shared with the islands: ${lazyBuild.shared.join(', ')}`);
  for (const input of lazyBuild.shared) core.add(resolve(input));
  fromCore.clear();
  lazyBuild = await buildLazyModules();
}
// A package the core bundles and a lazy module bundles again would exist twice (two classes for instanceof).
const packagesTwice = new Set(
  lazyBuild.inputs
    .filter((path) => path.includes('/node_modules/') && core.has(path))
    .map((path) => relative('.', path)),
);
if (packagesTwice.size > 0)
  throw new Error(`bundled in the core and again on demand: ${[...packagesTwice].join(', ')}`);
for (const file of lazyBuild.files) {
  // The islands (.js) are CommonJS run by vm, as the core is; the ES modules are .mjs.
  const island = file.path.endsWith('.js');
  writeFileSync(
    file.path,
    island ? compiledByVm(file.path, STAMP + withCoreImports(file.text)) : withCoreImports(file.text),
  );
}

// 4. The core as one CommonJS bundle, with the registry of its modules that the lazy ones import.
const registry = [...fromCore].sort();
const coreEntry = [
  `export { runCli } from ${JSON.stringify(MAIN)};`,
  `export { main } from ${JSON.stringify(resolve('src/cli/program.ts'))};`,
  ...registry.map((key, i) => `import * as m${i} from ${JSON.stringify(resolve(key))};`),
  `export const modules = { ${registry.map((key, i) => `${JSON.stringify(key)}: m${i}`).join(', ')} };`,
].join('\n');
const coreBuild = await build({
  ...common,
  stdin: { contents: coreEntry, resolveDir: '.', sourcefile: 'core-entry.js', loader: 'js' },
  format: 'cjs',
  outfile: 'dist/core.js',
  write: false,
  define: { 'import.meta.url': '__canhazgpuFileUrl' },
  banner: { js: FILE_URL },
  plugins: [
    lazyChildProcessForCommander,
    {
      name: 'lazy-modules-through-launcher',
      setup(b) {
        b.onResolve({ filter: /.*/ }, async (args) => {
          if (args.kind !== 'dynamic-import' || args.pluginData === skip) return undefined;
          const path = (await resolved(b, args)).path;
          const name = lazy.get(path);
          if (!name) return undefined;
          return { path: `canhazgpu-lazy:./${name}${ISLANDS.has(path) ? '.js' : '.mjs'}`, external: true };
        });
      },
    },
  ],
});
// The launcher's importLazy stands in for import(), which a script compiled by vm may not call.
const coreSource = rewriteImports(
  coreBuild.outputFiles[0].text,
  'canhazgpu-lazy:',
  (file) => `importLazy(${JSON.stringify(file)})`,
);
writeFileSync('dist/core.js', compiledByVm('dist/core.js', STAMP + coreSource));
// The launcher names its build: the agent runs commands only for clients of its own (src/cli/agent-exec.ts).
const launcher = readFileSync('src/cli/launcher.cjs', 'utf8');
if (!launcher.includes("const BUILD = 'unbuilt';")) throw new Error('src/cli/launcher.cjs: no BUILD to name');
writeFileSync('dist/cli.js', launcher.replace("const BUILD = 'unbuilt';", `const BUILD = '${BUILD_ID}';`));

// 4b. What the launcher tries before any of the core, each on its own and compiled by vm from its code cache like
// the core: the client that hands a command to the agent (Node and the socket's trust check alone), and the
// status board's reader (the settings, the store URL and status's rows and texts). Each bundles exactly these.
const CLIENTS = {
  'agent-client.js': {
    entry: 'src/cli/agent-client.ts',
    inputs: [
      'src/cli/agent-client.ts',
      'src/cli/config-paths.ts',
      'src/host/trusted-path.ts',
      'src/store/agent/line-splitter.ts',
      'src/store/agent/socket-path.ts',
    ],
  },
  'status-board.js': {
    entry: 'src/cli/status-board-client.ts',
    inputs: [
      'src/cli/cloud-money.ts',
      'src/cli/config-paths.ts',
      'src/cli/config.ts',
      'src/cli/status-board-client.ts',
      'src/domain/duration.ts',
      'src/domain/errors.ts',
      'src/domain/history.ts',
      'src/domain/liveness.ts',
      'src/domain/printable.ts',
      'src/domain/reading-age.ts',
      'src/domain/status-board.ts',
      'src/domain/status-text.ts',
      'src/domain/status.ts',
      'src/domain/usage.ts',
      'src/host/board-file.ts',
      'src/host/trusted-path.ts',
      'src/server/errors.ts',
      'src/server/records/sqlite/accounts-file.ts',
      'src/server/request-limits.ts',
      'src/server/service/spending-caps.ts',
      'src/store/agent/socket-path.ts',
      'src/store/defaults.ts',
      'src/store/redact-url.ts',
      'src/store/redis/cluster-url.ts',
      'src/store/redis/node-list.ts',
      'src/store/redis/sentinel-url.ts',
      'src/store/store-url.ts',
    ],
  },
};
for (const [file, { entry, inputs }] of Object.entries(CLIENTS)) {
  const client = await build({ ...common, entryPoints: [entry], format: 'cjs', write: false, metafile: true });
  const bundled = Object.keys(client.metafile.inputs).sort();
  if (bundled.join() !== inputs.join())
    throw new Error(`dist/${file} must stay small (${inputs.join(', ')}): it bundles ${bundled.join(', ')}`);
  writeFileSync(`dist/${file}`, compiledByVm(`dist/${file}`, STAMP + client.outputFiles[0].text));
}

// 5. The stand-in tools: programs of their own.
await build({
  ...common,
  entryPoints: {
    'fake-nvidia-smi': 'src/probe/fake/fake-nvidia-smi.ts',
    'fake-amd-smi': 'src/probe/fake/fake-amd-smi.ts',
  },
  format: 'cjs',
  outdir: 'dist',
  banner: { js: '#!/usr/bin/env node' },
});
for (const name of ['cli', 'fake-nvidia-smi', 'fake-amd-smi']) chmodSync(`dist/${name}.js`, 0o755);

// Data files the bundles read at run time with new URL('./x', import.meta.url).
cpSync('src/store/sqlite/schema.sql', 'dist/schema.sql');
cpSync('src/store/redis/lua', 'dist/lua', { recursive: true });
cpSync('src/server/records/sqlite/accounts.sql', 'dist/accounts.sql');

// 6. The code caches, made by a process of their own (scripts/code-cache.mjs).
const env = { ...process.env };
delete env.NODE_OPTIONS;
const islandFiles = [...[...ISLANDS].map((path) => `${lazy.get(path)}.js`), ...Object.keys(CLIENTS)];
const made = spawnSync(process.execPath, ['scripts/code-cache.mjs', BUILD_ID, ...islandFiles], {
  env,
  stdio: 'inherit',
});
if (made.status !== 0) throw new Error('making the code caches failed');
