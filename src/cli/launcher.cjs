#!/usr/bin/env node
// The `canhazgpu` executable (dist/cli.js). The commands' core is one CommonJS bundle, core.js, compiled
// with the V8 code cache the build made (core.js.cache): parsing and compiling it was over half of what a
// `status` cost beyond `node -e 0`, and Node 20 keeps no code cache for ES modules. The Redis store is
// built the same way and loaded on demand; the rarer commands (serve, cloud...) are ES modules. Both reach
// the core's modules through a registry, so each module exists once (one CanhazError for instanceof).
'use strict';
const { readFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');
const { Script } = require('node:vm');

const REGISTRY = Symbol.for('canhazgpu.core');
const loaded = new Map();

/** Compiles and evaluates a CommonJS bundle of dist/, from its code cache (FILE.cache) when V8 takes it. */
function loadCached(file) {
  const path = join(__dirname, file);
  let cachedData;
  try {
    cachedData = readFileSync(`${path}.cache`);
  } catch {
    // built without one: V8 compiles from source, as it does when the cache is another Node's
  }
  const wrapped = `(function (exports, require, module, __filename, __dirname, importLazy) {${readFileSync(path, 'utf8')}\n})`;
  const script = new Script(wrapped, { filename: path, cachedData });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(path), module, path, __dirname, importLazy);
  return { script, exports: module.exports };
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
    const url = pathToFileURL(join(__dirname, file)).href;
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

if (require.main === module) loadCore().exports.runCli();
else module.exports = { loadCore, loadedOnce };
