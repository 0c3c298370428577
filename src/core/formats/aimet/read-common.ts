/** What the version readers share: the JSON shapes, the read context, field readers and checks. */
import { QuantDType, QuantEncoding } from '../../encoding/encoding';
import { AimetEncodingsError, AimetEncodingsErrorCode, AimetVersion, FloatEncoding } from './types';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export const HINT_REEXPORT =
  'Re-export the encodings from AIMET (QuantizationSimModel.export), or fix the entry by hand.';

/** Collects warnings once per kind, so a file with 50,000 tensors yields one line, not 50,000. */
export class Notes {
  private readonly counts = new Map<
    string,
    { n: number; example: string; text: (n: number, example: string) => string }
  >();
  readonly plain: string[] = [];
  add(kind: string, example: string, text: (n: number, example: string) => string): void {
    const c = this.counts.get(kind);
    if (c) c.n++;
    else this.counts.set(kind, { n: 1, example, text });
  }
  list(): string[] {
    return [...this.plain, ...[...this.counts.values()].map((c) => c.text(c.n, c.example))];
  }
}

export interface Ctx {
  fileName: string;
  version: AimetVersion;
  origin: string;
  notes: Notes;
}

export function fail(
  ctx: { fileName: string },
  code: AimetEncodingsErrorCode,
  problem: string,
  hint: string,
  path?: string,
): never {
  throw new AimetEncodingsError(code, ctx.fileName, problem, hint, path);
}

export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return `${typeof v} ${String(v)}`;
}

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function readInt(ctx: Ctx, v: Json | undefined, path: string, what: string): number {
  if (v === undefined) fail(ctx, 'missing-key', `${what} is missing`, HINT_REEXPORT, path);
  if (typeof v !== 'number' || !Number.isInteger(v))
    fail(
      ctx,
      typeof v === 'number' ? 'bad-value' : 'wrong-type',
      `${what} is ${typeName(v)}, not an integer`,
      HINT_REEXPORT,
      path,
    );
  return v;
}

export function readBool(ctx: Ctx, v: Json | undefined, path: string, what: string): boolean {
  if (v === true || v === false) return v;
  // 0.x files spell it "True"/"False"; accept either form in every version.
  if (typeof v === 'string' && /^(true|false)$/i.test(v)) return v.toLowerCase() === 'true';
  if (v === undefined) fail(ctx, 'missing-key', `${what} is missing`, HINT_REEXPORT, path);
  fail(ctx, 'wrong-type', `${what} is ${typeName(v)}, not true/false (or "True"/"False")`, HINT_REEXPORT, path);
}

export function readString(ctx: Ctx, v: Json | undefined, path: string, what: string): string {
  if (v === undefined) fail(ctx, 'missing-key', `${what} is missing`, HINT_REEXPORT, path);
  if (typeof v !== 'string') fail(ctx, 'wrong-type', `${what} is ${typeName(v)}, not a string`, HINT_REEXPORT, path);
  return v;
}

export function readStringList(ctx: Ctx, v: Json, path: string): string[] {
  if (!Array.isArray(v))
    fail(ctx, 'wrong-type', `"${path}" is ${typeName(v)}, not a list of names`, HINT_REEXPORT, path);
  return v.map((x, i) => readString(ctx, x, `${path}[${i}]`, 'a layer name'));
}

/** A list of numbers; nested lists (some tools write [channels][blocks]) are flattened row-major. */
export function readNumbers(ctx: Ctx, v: Json | undefined, path: string, what: string, name: string): number[] {
  if (v === undefined) fail(ctx, 'missing-key', `${what} is missing`, HINT_REEXPORT, path);
  if (typeof v === 'number')
    fail(ctx, 'wrong-type', `${what} is a single number, but version 1.0.0 stores a list`, `Write it as [${v}].`, path);
  if (!Array.isArray(v))
    fail(ctx, 'wrong-type', `${what} is ${typeName(v)}, not a list of numbers`, HINT_REEXPORT, path);
  if (v.some(Array.isArray)) {
    ctx.notes.add(
      'nested',
      name,
      (n, ex) =>
        `${n} list${n > 1 ? 's' : ''} (e.g. in ${ex}) were nested; flattened channel-major, as AIMET's flat layout expects.`,
    );
    v = (v as Json[]).flat(8);
  }
  const out = new Array<number>(v.length);
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (typeof x !== 'number') fail(ctx, 'wrong-type', `${what} holds ${typeName(x)}`, HINT_REEXPORT, `${path}[${i}]`);
    out[i] = x;
  }
  return out;
}

export function checkScale(ctx: Ctx, s: number, path: string): void {
  if (!Number.isFinite(s) || s <= 0) {
    fail(
      ctx,
      'bad-value',
      `scale ${s} is not a positive finite number`,
      'A zero or negative scale means the quantizer saw a constant or no data; re-calibrate, or keep that tensor in float.',
      path,
    );
  }
}

export function checkBitwidth(ctx: Ctx, bw: number, path: string): void {
  if (bw < 2 || bw > 32)
    fail(
      ctx,
      'bad-value',
      `bitwidth ${bw} is outside 2..32`,
      'AIMET integer encodings use 4 to 32 bits (2-bit weights in practice).',
      path,
    );
}

export function dtypeFor(signed: boolean, bitwidth: number): QuantDType {
  const bits = bitwidth <= 8 ? 8 : bitwidth <= 16 ? 16 : 32;
  return `${signed ? 'int' : 'uint'}${bits}` as QuantDType;
}

export interface RawInt {
  bw: number;
  sym: boolean;
  scale: number[];
  offset: number[];
  /** 0.x only: every channel's min is >= 0, which marks AIMET's unsigned-symmetric mode. */
  nonNegativeMin?: boolean;
}

/** QNN scale/offset -> ONNX dtype/scale/zero point, under the signedness rule in the file header. */
export function toQuant(
  ctx: Ctx,
  raw: RawInt,
  offsetPath: (i: number) => string,
): Pick<QuantEncoding, 'dtype' | 'bitwidth' | 'scale' | 'zeroPoint' | 'origin'> {
  const { bw, sym, scale, offset } = raw;
  const signedOffset = -(2 ** (bw - 1));
  const allZero = offset.every((o) => o === 0);
  const signed = sym && offset.every((o) => o === signedOffset || o === 0) && !(allZero && raw.nonNegativeMin);
  if (signed)
    return { dtype: dtypeFor(true, bw), bitwidth: bw, scale, zeroPoint: offset.map(() => 0), origin: ctx.origin };
  const qmax = 2 ** bw - 1;
  const zeroPoint = offset.map((o, i) => {
    if (o > 0 || o < -qmax) {
      fail(
        ctx,
        'bad-value',
        `offset ${o} puts the zero point outside the ${bw}-bit range (offset must be in [${-qmax}, 0])`,
        'AIMET always keeps zero inside the range; the file was edited or written by another tool. Fix the offset, or the min/max it came from.',
        offsetPath(i),
      );
    }
    return 0 - o; // 0 - o, not -o: never a -0 zero point
  });
  return { dtype: dtypeFor(false, bw), bitwidth: bw, scale, zeroPoint, origin: ctx.origin };
}

export function floatEncoding(ctx: Ctx, bw: number, path: string): FloatEncoding {
  if (bw !== 16 && bw !== 32)
    fail(
      ctx,
      'unsupported',
      `float bitwidth ${bw} is not supported`,
      'QNN HTP keeps float tensors in 16 or 32 bits; use 16 or 32.',
      path,
    );
  return { dtype: 'float', bitwidth: bw, origin: ctx.origin };
}

// --- 0.4.0 .. 0.6.1 ------------------------------------------------------------------------------

/**
 * A list of entries named by their "name" field (1.0.0's sections, 2.0.0's "encodings"): each
 * name once, read by `readEntry`, in file order.
 */
export function readNamedList<T>(
  ctx: Ctx,
  key: string,
  list: Json[],
  readEntry: (name: string, entry: JsonObject, path: string) => T,
): Map<string, T> {
  const out = new Map<string, T>();
  const where = new Map<string, number>();
  list.forEach((entry, i) => {
    const path = `${key}[${i}]`;
    if (!isObject(entry))
      fail(ctx, 'wrong-type', `entry ${i} is ${typeName(entry)}, not an object`, HINT_REEXPORT, path);
    const name = readString(ctx, entry.name, `${path}.name`, '"name"');
    if (name === '')
      fail(ctx, 'bad-value', '"name" is empty', 'Every entry names the tensor it quantizes.', `${path}.name`);
    const prev = where.get(name);
    if (prev !== undefined)
      fail(
        ctx,
        'duplicate',
        `tensor ${JSON.stringify(name)} appears twice (entries ${prev} and ${i})`,
        'Keep one entry per tensor.',
        `${path}.name`,
      );
    where.set(name, i);
    out.set(name, readEntry(name, entry, path));
  });
  return out;
}

/** A "block_size": a positive integer. */
export function readBlockSize(ctx: Ctx, v: Json | undefined, path: string, what = '"block_size"'): number {
  const blockSize = readInt(ctx, v, path, what);
  if (blockSize < 1)
    fail(
      ctx,
      'bad-value',
      `"block_size" is ${blockSize}`,
      'The block size is a positive count of input channels.',
      path,
    );
  return blockSize;
}
