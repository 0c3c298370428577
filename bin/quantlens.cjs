#!/usr/bin/env node
// The QuantLens command line. `npm ci` builds the engine into one JavaScript file
// (build-cli/quantlens.cjs, `npm run build:cli`), which starts like a compiled tool: it is
// compiled from V8's code cache when one matches (build-cli/quantlens.cjs.cache, written after a
// run that had none); a second, small one (build-cli/early.cjs) first starts what the command needs
// before that code is loaded. When the build is missing or older than one of its sources (while
// developing), the TypeScript runs directly through tsx instead, so the CLI never runs stale code.
// This file is CommonJS: Node starts it 10-15 ms sooner than an ES module (no module loader).
'use strict';
const { readFileSync, renameSync, statSync, writeFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { dirname, join } = require('node:path');
const vm = require('node:vm');

const root = join(__dirname, '..');
const built = join(root, 'build-cli', 'quantlens.cjs');

/**
 * The build's stat when it exists and is newer than every source it was built from
 * (build-cli/inputs.json), else undefined.
 */
function freshBuild() {
  let stat;
  let inputs;
  try {
    stat = statSync(built);
    inputs = JSON.parse(readFileSync(join(root, 'build-cli', 'inputs.json'), 'utf8'));
  } catch {
    return undefined;
  }
  for (const input of inputs) {
    const s = statSync(join(root, input), { throwIfNoEntry: false });
    if (!s || s.mtimeMs > stat.mtimeMs) return undefined;
  }
  return stat;
}

/**
 * The built CLI's `main`, compiled with the code cache when it matches this build and this Node
 * (the key on the cache's first line), else compiled from source and its cache written after the
 * command has run, so it holds the functions the run compiled too.
 */
function loadBuilt(stat) {
  const source = readFileSync(built, 'utf8');
  const key = `${stat.size}:${stat.mtimeMs}:${process.version}:${process.arch}\n`;
  const cacheFile = `${built}.cache`;
  let cachedData;
  try {
    const cache = readFileSync(cacheFile);
    const newline = cache.indexOf(10);
    if (newline > 0 && cache.toString('latin1', 0, newline + 1) === key) cachedData = cache.subarray(newline + 1);
  } catch {
    // No cache yet: compiled from source, cached after the run.
  }
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: built,
    cachedData,
  });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(built), module, built, dirname(built));
  const writeCache = () => {
    if (cachedData && !script.cachedDataRejected) return;
    try {
      const tmp = `${cacheFile}.${process.pid}`;
      writeFileSync(tmp, Buffer.concat([Buffer.from(key, 'latin1'), script.createCachedData()]));
      renameSync(tmp, cacheFile);
    } catch {
      // A read-only install runs without the cache.
    }
  };
  return { main: module.exports.main, writeCache };
}

/**
 * Starts what the command needs first (build-cli/early.cjs: hashing a checked model on a thread)
 * before the engine's code is compiled. A build without the starter runs without it.
 */
function startEarly() {
  let early;
  try {
    early = require(join(root, 'build-cli', 'early.cjs'));
  } catch {
    return;
  }
  early.startEarly(process.argv.slice(2));
}

// A reader that stops early (`quantlens check model.onnx | head`) closes the pipe: what is left
// of the output is not wanted, and the command still ends with its verdict's exit code.
process.stdout.on('error', (err) => {
  if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') throw err;
});

(async () => {
  const stat = freshBuild();
  if (stat) startEarly();
  const { main, writeCache } = stat
    ? loadBuilt(stat)
    : await (async () => {
        const { register } = await import('tsx/esm/api');
        register();
        return { main: (await import('../src/cli/main.ts')).main, writeCache: () => undefined };
      })();
  process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
  writeCache();
})().catch((err) => {
  process.stderr.write(`quantlens: ${err && err.stack ? err.stack : err}\n`);
  process.exitCode = 2;
});
