/**
 * The seed corpus the fuzzer mutates: our samples (QDQ and float, so the validator sees real
 * encodings) and every model of Debian's libonnx-testdata (1,072 small models covering the ONNX
 * operator set, sub-graphs, sequences and old IR versions). Node-only (reads the file system).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Root of the repository, from this file's location. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const SAMPLES_DIR = join(REPO_ROOT, 'public/samples');
export const LIBONNX_DIR = '/usr/share/libonnx-testdata/data';

export interface CorpusEntry {
  /** `samples/<file>` or `libonnx/<rel path>`: stable, for reproduction. */
  name: string;
  bytes: Uint8Array;
}

export interface Corpus {
  samples: CorpusEntry[];
  libonnx: CorpusEntry[];
}

function walk(dir: string, out: string[]): void {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (name === 'model.onnx') out.push(path);
  }
}

/** Every model under the libonnx-testdata root, sorted (the order is part of case identity). */
export function libonnxModelPaths(root = LIBONNX_DIR): string[] {
  if (!existsSync(root))
    throw new Error(`${root} is missing: install Debian's libonnx-testdata (scripts/ensure-system-deps.sh does it)`);
  const out: string[] = [];
  walk(root, out);
  return out;
}

let cached: Corpus | undefined;

/** Loads the corpus once per process, in a fixed order. */
export function loadCorpus(): Corpus {
  if (cached) return cached;
  const samples = readdirSync(SAMPLES_DIR)
    .filter((f) => f.endsWith('.onnx'))
    .sort()
    .map((f) => ({ name: `samples/${f}`, bytes: new Uint8Array(readFileSync(join(SAMPLES_DIR, f))) }));
  const libonnx = libonnxModelPaths().map((p) => ({
    name: `libonnx/${p.slice(LIBONNX_DIR.length + 1)}`,
    bytes: new Uint8Array(readFileSync(p)),
  }));
  if (!samples.length) throw new Error(`no samples in ${SAMPLES_DIR}: run npm run gen:samples`);
  cached = { samples, libonnx };
  return cached;
}
