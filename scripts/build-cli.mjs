// Builds the command line into one CommonJS file, build-cli/quantlens.cjs (run by `npm ci` through
// `prepare`), with its starter, build-cli/early.cjs, and lists the sources they were built from in
// build-cli/inputs.json: bin/quantlens.cjs runs the build only while none of them is newer. CommonJS, so that bin/quantlens.cjs can compile
// it with V8's code cache (vm.Script) and so that onnxruntime-web is required only when a command
// calibrates. A first run on a bundled sample then writes that cache.
//
//   node scripts/build-cli.mjs [--out DIR] [--no-prime]     (DIR: build-cli; tests build elsewhere)
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const args = process.argv.slice(2);
const dir = args.includes('--out') ? args[args.indexOf('--out') + 1] : 'build-cli';
const out = `${dir}/quantlens.cjs`;
// The cache of an older build, and the ES-module build of earlier versions, go.
for (const old of [`${out}.cache`, `${dir}/quantlens.mjs`]) rmSync(old, { force: true });
const options = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['onnxruntime-web'],
  logLevel: 'warning',
  minifyWhitespace: true,
  minifySyntax: true,
  metafile: true,
};
const result = await build({ ...options, entryPoints: ['src/cli/main.ts'], outfile: out });
// What bin/quantlens.cjs runs before it loads the engine: it starts hashing a checked model.
const early = await build({ ...options, entryPoints: ['src/cli/early.ts'], outfile: `${dir}/early.cjs` });
const inputs = [...new Set([...Object.keys(result.metafile.inputs), ...Object.keys(early.metafile.inputs)])].filter(
  (p) => !p.startsWith('node_modules/'),
);
writeFileSync(`${dir}/inputs.json`, `${JSON.stringify(inputs, null, 1)}\n`);
if (args.includes('--no-prime')) process.exit(0);
// Exit 1 is a failing verdict, which this sample has; anything else is a broken build.
const run = spawnSync(process.execPath, ['bin/quantlens.cjs', 'check', 'public/samples/broken-axis.qdq.onnx'], {
  encoding: 'utf8',
});
if (run.status !== 0 && run.status !== 1) {
  process.stderr.write(`build-cli: the built CLI failed on a sample (exit ${run.status}):\n${run.stderr}`);
  process.exit(1);
}
