#!/usr/bin/env node
// The `canhazgpu` executable (dist/cli.js). The commands' core is one CommonJS bundle, core.js, compiled
// with the V8 code cache the build made (core.js.cache): parsing and compiling it was over half of what a
// `status` cost beyond `node -e 0`, and Node 20 keeps no code cache for ES modules. The Redis store is
// built the same way and loaded on demand; the rarer commands (serve, cloud...) are ES modules. Both reach
// the core's modules through a registry, so each module exists once (one CanhazError for instanceof).
'use strict';
const { readFileSync, writeSync } = require('node:fs');
const { join } = require('node:path');
const { Script } = require('node:vm');

const REGISTRY = Symbol.for('canhazgpu.core');
const loaded = new Map();

/**
 * The V8 data of `path`'s cache when it was made for this very build (its first line names the build, as the
 * bundle's does): a cache of another build, or none, leaves V8 to compile from source.
 */
function cacheOf(path, source) {
  let file;
  try {
    file = readFileSync(`${path}.cache`);
  } catch {
    return undefined;
  }
  const newline = file.indexOf(10);
  const build = newline > 0 ? file.subarray(0, newline).toString('latin1') : '';
  if (build !== '' && source.startsWith(`// canhazgpu build ${build}\n`)) return file.subarray(newline + 1);
  debug(`${path}.cache belongs to another build: ignored`);
  return undefined;
}

/** Compiles and evaluates a CommonJS bundle of dist/, from its code cache when V8 takes it. */
function loadCached(file) {
  const path = join(__dirname, file);
  const source = readFileSync(path, 'utf8');
  const cachedData = cacheOf(path, source);
  const wrapped = `(function (exports, require, module, __filename, __dirname, importLazy) {${source}\n})`;
  const script = new Script(wrapped, { filename: path, cachedData });
  // V8 takes a cache only from the same Node under the same V8 flags (NODE_OPTIONS may add some).
  if (script.cachedDataRejected)
    debug(`${path}.cache was made by another Node or under other V8 flags: compiled from source`);
  const module = { exports: {} };
  script.runInThisContext()(
    module.exports,
    require('node:module').createRequire(path),
    module,
    path,
    __dirname,
    importLazy,
  );
  return { script, exports: module.exports };
}

function debug(line) {
  if (process.env.CANHAZGPU_DEBUG) process.stderr.write(`canhazgpu: ${line}\n`);
}

/**
 * What the bundles call for import(): a script compiled by vm may not import() without a Node flag.
 * Each file is evaluated once, so its classes stay one.
 */
function importLazy(file) {
  return loadedOnce(file).then((loaded) => loaded.exports);
}

function loadedOnce(file) {
  if (!loaded.has(file)) {
    const url = require('node:url').pathToFileURL(join(__dirname, file)).href;
    loaded.set(
      file,
      file.endsWith('.mjs')
        ? import(url).then((exports) => ({ exports }))
        : Promise.resolve().then(() => loadCached(file)),
    );
  }
  return loaded.get(file);
}

function loadCore() {
  const core = loadCached('core.js');
  globalThis[REGISTRY] = core.exports.modules;
  return core;
}

/** The build of dist/ (written here by the build): the agent runs a command only for a client of its own build. */
const BUILD = 'unbuilt';
globalThis[Symbol.for('canhazgpu.build')] = BUILD;

/**
 * `status` read from the agent's status board when one fits (src/cli/status-board-client.ts): one file, and
 * neither the CLI nor a socket. True when it printed the command's output.
 */
function statusFromBoard(argv) {
  try {
    const io = { env: process.env, now: Date.now, write: writeOut, debug };
    const code = loadCached('status-board.js').exports.showFromBoard(argv, BUILD, io);
    if (code === null) return false;
    process.exitCode = code;
    return true;
  } catch (err) {
    debug(`reading the status board failed: ${err.message}`);
    return false;
  }
}

/**
 * Standard output written straight to its descriptor: process.stdout, on a pipe or a terminal, loads the socket
 * machinery that a board's few lines do not need. A descriptor that would block, or fails, gets the rest through
 * process.stdout, which waits or reports as every command's output does (never twice, never lost).
 */
function writeOut(text) {
  const bytes = Buffer.from(text);
  let done = 0;
  try {
    while (done < bytes.length) done += writeSync(1, bytes, done);
  } catch {
    process.stdout.write(bytes.subarray(done));
  }
}

/**
 * `status`, `reserve` and `release` go to the host's agent when it runs them for this user as they would run
 * here (src/cli/agent-client.ts): the CLI is then never loaded. Anything else, or any doubt, runs here.
 */
async function run() {
  const argv = process.argv.slice(2);
  if (BUILD !== 'unbuilt' && argv[0] === 'status' && statusFromBoard(argv)) return;
  // The agent decides which of these it runs (HANDED in src/cli/agent-exec.ts); this only spares the others a look.
  if (BUILD !== 'unbuilt' && ['status', 'reserve', 'release'].includes(argv[0])) {
    let code = null;
    try {
      const io = { env: process.env, stdout: process.stdout, stderr: process.stderr, debug };
      code = await loadCached('agent-client.js').exports.handOver(argv, BUILD, io);
    } catch (err) {
      debug(`handing the command to the agent failed: ${err.message}`);
    }
    if (code !== null) {
      process.exitCode = code;
      return;
    }
  }
  loadCore().exports.runCli();
}

if (require.main === module) {
  run().catch((err) => {
    // A broken install (a bundle missing or corrupt): one line, as every error.
    process.stderr.write(`Error: unexpected failure: ${String(err?.message ?? err).split('\n')[0]}\n`);
    process.exitCode = 1;
  });
} else module.exports = { loadCore, loadedOnce };
