/**
 * IEEE half precision (float16) in both directions, and the rounding a quantizer needs when a
 * scale must be stored as float16: ONNX's QuantizeLinear binds its scale to the type of the tensor
 * it quantizes (opset 19), so a float16 model's Q/DQ carry float16 scales.
 */
const MAX_HALF = 65504;

/** Converts an IEEE half-precision bit pattern to a number. */
export function halfToFloat(h: number): number {
  return (table ?? halfTable())[h & 0xffff]!;
}

/** The number of a half-precision bit pattern, worked out. */
function decodeHalf(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/**
 * Every half's value by its bit pattern (256 KB; float32 holds each one exactly), made on first
 * use: a lookup is some twenty times faster than working a value out, which a float16 model's
 * activations (2 GB a sample for IS-Net at 1024x1024) made the larger part of calibrating it.
 */
let table: Float32Array | undefined;
function halfTable(): Float32Array {
  table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) table[h] = decodeHalf(h);
  return table;
}

/**
 * A float16 tensor's values as numbers: onnxruntime hands them over as raw Uint16 bit patterns
 * (or as a Float16Array where the runtime has one, which reads as numbers already).
 */
export function halfValues(data: unknown): ArrayLike<number> {
  if (!(data instanceof Uint16Array)) return data as ArrayLike<number>;
  const values = table ?? halfTable();
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = values[data[i]!]!;
  return out;
}

/**
 * The half-precision bits of a number, rounded to nearest, ties away from zero or (`even`) to
 * even as a float32-to-float16 cast rounds; past the largest half, infinity.
 */
export function halfBits(x: number, ties: 'away' | 'even' = 'away'): number {
  if (Number.isNaN(x)) return 0x7e00;
  const sign = x < 0 ? 0x8000 : 0;
  const a = Math.abs(x);
  const round = ties === 'even' ? roundHalfEven : Math.round;
  if (a < 2 ** -14) return sign | round(a / 2 ** -24);
  let e = Math.floor(Math.log2(a));
  // Math.log2 can land one off next to a power of two.
  if (a / 2 ** e >= 2) e++;
  else if (a / 2 ** e < 1) e--;
  const m = round((a / 2 ** e - 1) * 1024);
  const bits = m === 1024 ? (e + 16) << 10 : ((e + 15) << 10) | m;
  return a > MAX_HALF + 16 || bits >= 0x7c00 ? sign | 0x7c00 : sign | bits;
}

/** `v` rounded to the nearest integer, ties to even (as IEEE casts and ONNX's QuantizeLinear round). */
export function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  // Up by the comparison's value rather than through a branch: which way a value rounds is a coin
  // toss the processor mispredicted half the time (19 ns a value against 6, in a loop over random
  // quotients as the error trace's rounds 10M a sample). A tie, rare, takes the branch.
  // (Subtracting 0 or -1 keeps -0 as -0, which adding +0 would not.)
  const up = f - (0 - +(d > 0.5));
  return d === 0.5 && f % 2 !== 0 ? f + 1 : up;
}

/** The float16 nearest to `x`, as a number (ties away from zero). */
export function halfNearest(x: number): number {
  return halfToFloat(halfBits(x));
}

/**
 * The float16 a float32-to-float16 cast makes of `x` (nearest, ties to even; infinity past the
 * largest half).
 */
export function halfCast(x: number): number {
  return Number.isFinite(x) ? halfToFloat(halfBits(x, 'even')) : x;
}

/**
 * The smallest float16 at least `x` (`x` > 0): a scale rounded so, with its zero point kept, still
 * covers the range it was computed for. Undefined past the largest float16.
 */
export function halfCeil(x: number): number | undefined {
  const h = halfBits(x);
  const v = halfToFloat(h);
  const up = v >= x ? v : halfToFloat(h + 1);
  return Number.isFinite(up) ? up : undefined;
}
