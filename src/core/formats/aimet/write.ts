/** Writes encodings as an AIMET .encodings file (1.0.0 or 0.6.1), refusing what the version cannot hold. */
import { containerBits, isSigned, QuantEncoding } from '../../encoding/encoding';
import { fail } from './read-common';
import { AimetEncodingsError, AimetEncodingsInput, AimetQuantizerArgs, TensorEncoding, isFloatEncoding } from './types';

const WRITE_FILE = '(encodings export)';

/**
 * Serializes encodings as an AIMET `.encodings` file, the inverse of {@link parseAimetEncodings}:
 * `parseAimetEncodings(writeAimetEncodings(x, v))` gives back `x` for everything version `v` can
 * express. What it cannot: neither version stores an axis (dropped); 0.6.1 has no per-block or
 * LPBQ (throws, naming the tensor) and no one-channel per-channel (reads back per-tensor); neither has a
 * signed zero point other than 0, so a signed asymmetric encoding is written on the unsigned grid
 * (same real values, reads back unsigned); 4-bit containers (`int4`/`uint4`) read back as
 * 8-bit containers with bitwidth 4.
 *
 * @example
 * const text = writeAimetEncodings({ activations, params }, '1.0.0');
 */
export function writeAimetEncodings(enc: AimetEncodingsInput, version: '1.0.0' | '0.6.1'): string {
  try {
    return version === '1.0.0' ? writeV1(enc) : writeLegacy(enc);
  } catch (err) {
    if (err instanceof AimetEncodingsError) throw err;
    const why = err instanceof Error ? err.message : String(err);
    throw new AimetEncodingsError(
      'internal',
      WRITE_FILE,
      `could not be written (${why})`,
      'This is a QuantLens bug; please report it.',
    );
  }
}

const wctx = { fileName: WRITE_FILE };

/** The QNN form of a quantized encoding: symmetric flag and offsets on the unsigned grid. */
function qnnForm(name: string, e: QuantEncoding, path: string): { sym: boolean; offset: number[] } {
  const bw = e.bitwidth;
  if (!Number.isInteger(bw) || bw < 2 || bw > 32 || bw > containerBits(e.dtype)) {
    fail(
      wctx,
      'bad-value',
      `${JSON.stringify(name)} has bitwidth ${bw}, which does not fit its ${e.dtype} container`,
      'Use a bitwidth from 2 up to the container size.',
      path,
    );
  }
  if (e.scale.length === 0 || e.scale.length !== e.zeroPoint.length) {
    fail(
      wctx,
      'length-mismatch',
      `${JSON.stringify(name)} has ${e.scale.length} scales and ${e.zeroPoint.length} zero points`,
      'Give one zero point per scale.',
      path,
    );
  }
  if (e.granularity === 'per-tensor' && e.scale.length !== 1) {
    fail(
      wctx,
      'length-mismatch',
      `${JSON.stringify(name)} is per-tensor with ${e.scale.length} scales`,
      'Use per-channel for several scales.',
      path,
    );
  }
  e.scale.forEach((s) => {
    if (!Number.isFinite(s) || s <= 0)
      fail(wctx, 'bad-value', `${JSON.stringify(name)} has scale ${s}`, 'Scales must be positive and finite.', path);
  });
  e.zeroPoint.forEach((z) => {
    if (!Number.isInteger(z))
      fail(wctx, 'bad-value', `${JSON.stringify(name)} has zero point ${z}`, 'Zero points are integers.', path);
  });
  const half = 2 ** (bw - 1);
  if (isSigned(e.dtype)) {
    if (e.zeroPoint.every((z) => z === 0)) return { sym: true, offset: e.zeroPoint.map(() => -half) };
    // Signed with a non-zero zero point: same grid shifted onto AIMET's unsigned one.
    return { sym: false, offset: e.zeroPoint.map((z) => 0 - (z + half)) };
  }
  return { sym: false, offset: e.zeroPoint.map((z) => 0 - z) };
}

function checkBlocked(name: string, e: QuantEncoding, path: string): number {
  const bs = e.blockSize;
  if (bs === undefined || !Number.isInteger(bs) || bs < 1) {
    fail(
      wctx,
      'missing-key',
      `${JSON.stringify(name)} is ${e.granularity} without a positive integer blockSize`,
      'Set blockSize on per-block and LPBQ encodings.',
      path,
    );
  }
  return bs;
}

function writeV1Entry(name: string, e: TensorEncoding, path: string): Record<string, unknown> {
  if (isFloatEncoding(e)) return { name, dtype: 'FLOAT', enc_type: 'PER_TENSOR', bw: e.bitwidth };
  const { sym, offset } = qnnForm(name, e, path);
  const encType = { 'per-tensor': 'PER_TENSOR', 'per-channel': 'PER_CHANNEL', 'per-block': 'PER_BLOCK', lpbq: 'LPBQ' }[
    e.granularity
  ];
  const out: Record<string, unknown> = {
    name,
    dtype: 'INT',
    enc_type: encType,
    bw: e.bitwidth,
    is_sym: sym,
    scale: e.scale,
    offset,
  };
  if (e.granularity === 'per-block' || e.granularity === 'lpbq') out.block_size = checkBlocked(name, e, path);
  if (e.granularity === 'lpbq') {
    const cbw = e.compressedBitwidth;
    const ints = e.perBlockIntScale;
    if (cbw === undefined || ints === undefined || ints.length === 0 || ints.length % e.scale.length !== 0) {
      fail(
        wctx,
        'missing-key',
        `LPBQ encoding ${JSON.stringify(name)} lacks compressedBitwidth or a perBlockIntScale whose length is a multiple of its ${e.scale.length} channels`,
        'Set both on LPBQ encodings.',
        path,
      );
    }
    out.compressed_bw = cbw;
    out.per_block_int_scale = ints;
  }
  return out;
}

function writeV1(enc: AimetEncodingsInput): string {
  const section = (key: string, m: ReadonlyMap<string, TensorEncoding>): Record<string, unknown>[] =>
    [...m].map(([name, e], i) => writeV1Entry(name, e, `${key}[${i}]`));
  const root: Array<[string, unknown]> = [
    ['version', '1.0.0'],
    ['activation_encodings', section('activation_encodings', enc.activations)],
    ['param_encodings', section('param_encodings', enc.params)],
  ];
  if (enc.quantizerArgs) root.push(['quantizer_args', quantizerArgsOut(enc.quantizerArgs, false)]);
  if (enc.excludedLayers) root.push(['excluded_layers', [...enc.excludedLayers]]);
  return `${pretty(new Ordered(root), '')}\n`;
}

function writeLegacyTensor(name: string, e: TensorEncoding, path: string): Record<string, unknown>[] {
  if (isFloatEncoding(e)) return [{ bitwidth: e.bitwidth, dtype: 'float' }];
  if (e.granularity === 'per-block' || e.granularity === 'lpbq') {
    fail(
      wctx,
      'unsupported',
      `${JSON.stringify(name)} is ${e.granularity === 'lpbq' ? 'LPBQ' : 'per-block'}, which version 0.6.1 cannot express`,
      'Export with version 1.0.0.',
      path,
    );
  }
  const { sym, offset } = qnnForm(name, e, path);
  const steps = 2 ** e.bitwidth - 1;
  return e.scale.map((s, i) => {
    const o = offset[i]!;
    // Keys in AIMET's (sorted) order; min/max are what scale/offset imply on the unsigned grid.
    return {
      bitwidth: e.bitwidth,
      dtype: 'int',
      is_symmetric: sym ? 'True' : 'False',
      max: (o + steps) * s,
      min: o * s,
      offset: o,
      scale: s,
    };
  });
}

function writeLegacy(enc: AimetEncodingsInput): string {
  const section = (key: string, m: ReadonlyMap<string, TensorEncoding>): Ordered =>
    new Ordered([...m].map(([name, e]) => [name, writeLegacyTensor(name, e, `${key}[${JSON.stringify(name)}]`)]));
  const root: Array<[string, unknown]> = [
    ['version', '0.6.1'],
    ['activation_encodings', section('activation_encodings', enc.activations)],
    ['param_encodings', section('param_encodings', enc.params)],
  ];
  if (enc.quantizerArgs) root.push(['quantizer_args', quantizerArgsOut(enc.quantizerArgs, true)]);
  if (enc.excludedLayers) root.push(['excluded_layers', [...enc.excludedLayers]]);
  return `${pretty(new Ordered(root), '')}\n`;
}

function quantizerArgsOut(a: AimetQuantizerArgs, legacy: boolean): Record<string, unknown> {
  const b = (x: boolean): boolean | string => (legacy ? (x ? 'True' : 'False') : x);
  const out: Record<string, unknown> = {};
  if (a.activationBitwidth !== undefined) out.activation_bitwidth = a.activationBitwidth;
  if (a.dtype !== undefined) out.dtype = a.dtype;
  if (a.isSymmetric !== undefined) out.is_symmetric = b(a.isSymmetric);
  if (a.paramBitwidth !== undefined) out.param_bitwidth = a.paramBitwidth;
  if (a.perChannelQuantization !== undefined) out.per_channel_quantization = b(a.perChannelQuantization);
  if (a.quantScheme !== undefined) out.quant_scheme = a.quantScheme;
  return out;
}

/** An object whose key order must survive (a plain object puts integer-like tensor names first). */
class Ordered {
  constructor(readonly entries: Array<[string, unknown]>) {}
}

/** JSON with 4-space indents like AIMET's, but number lists on one line so per-channel files stay readable. */
function pretty(v: unknown, indent: string): string {
  const inner = `${indent}    `;
  if (v instanceof Ordered || (typeof v === 'object' && v !== null && !Array.isArray(v))) {
    const entries = v instanceof Ordered ? v.entries : Object.entries(v);
    if (entries.length === 0) return '{}';
    return `{\n${entries.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${pretty(x, inner)}`).join(',\n')}\n${indent}}`;
  }
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    if (v.every((x) => typeof x !== 'object' || x === null)) return `[${v.map((x) => JSON.stringify(x)).join(', ')}]`;
    return `[\n${v.map((x) => `${inner}${pretty(x, inner)}`).join(',\n')}\n${indent}]`;
  }
  return JSON.stringify(v);
}
