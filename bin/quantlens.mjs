#!/usr/bin/env node
// The QuantLens command line. `npm ci` builds the engine into one JavaScript file
// (build-cli/quantlens.mjs, `npm run build:cli`), which starts like a compiled tool. When that
// build is missing or older than the sources (while developing), the TypeScript runs directly
// through tsx instead, so the CLI never runs stale code.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'build-cli', 'quantlens.mjs');

/** The newest modification time of the engine's sources. */
function newestSource() {
  let newest = 0;
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== '__fixtures__') walk(p);
      } else if (/\.(ts|tsx|js|json)$/.test(entry.name)) {
        newest = Math.max(newest, statSync(p).mtimeMs);
      }
    }
  };
  for (const d of ['src', 'rules']) if (existsSync(join(root, d))) walk(join(root, d));
  return newest;
}

if (existsSync(built) && statSync(built).mtimeMs >= newestSource()) {
  await import(built);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/entry.ts');
}
