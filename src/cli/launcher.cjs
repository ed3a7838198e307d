#!/usr/bin/env node
// The `canhazgpu` executable (dist/cli.js). The commands' core is one CommonJS bundle, core.js, compiled
// with the V8 code cache the build made (core.cache): parsing and compiling it was over half of what a
// `status` cost beyond `node -e 0`, and Node 20 keeps no code cache for ES modules. The rarer commands
// (serve, cloud, the Redis store...) are ES modules loaded on demand; they reach the core's modules
// through a registry, so both share one instance of each (one CanhazError class for instanceof).
'use strict';
const { readFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');
const { Script } = require('node:vm');

const CORE = join(__dirname, 'core.js');
const CACHE = join(__dirname, 'core.cache');
const REGISTRY = Symbol.for('canhazgpu.core');

/** Compiles and evaluates core.js; `script` can make a code cache (the build's). */
function loadCore() {
  let cachedData;
  try {
    cachedData = readFileSync(CACHE);
  } catch {
    // built without one: V8 compiles from source, as it does when the cache is for another Node
  }
  const wrapped = `(function (exports, require, module, __filename, __dirname, importLazy) {${readFileSync(CORE, 'utf8')}\n})`;
  const script = new Script(wrapped, { filename: CORE, cachedData });
  const module = { exports: {} };
  // A script compiled by vm cannot import() without a Node flag; the import() here is an ordinary one.
  const importLazy = (file) => import(pathToFileURL(join(__dirname, file)).href);
  script.runInThisContext()(module.exports, createRequire(CORE), module, CORE, __dirname, importLazy);
  globalThis[REGISTRY] = module.exports.modules;
  return { script, core: module.exports };
}

if (require.main === module) loadCore().core.runCli();
else module.exports = { loadCore };
