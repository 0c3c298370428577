/**
 * IEEE half precision (float16) in both directions, and the rounding a quantizer needs when a
 * scale must be stored as float16: ONNX's QuantizeLinear binds its scale to the type of the tensor
 * it quantizes (opset 19), so a float16 model's Q/DQ carry float16 scales.
 */
import { halfToFloat } from './tensor-values';

export { halfToFloat };

const MAX_HALF = 65504;

/**
 * The half-precision bits of a number, rounded to nearest (ties away from zero); past the
 * largest half, infinity.
 */
export function halfBits(x: number): number {
  if (Number.isNaN(x)) return 0x7e00;
  const sign = x < 0 ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a < 2 ** -24) return sign;
  if (a < 2 ** -14) return sign | Math.round(a / 2 ** -24);
  let e = Math.floor(Math.log2(a));
  // Math.log2 can land one off next to a power of two.
  if (a / 2 ** e >= 2) e++;
  else if (a / 2 ** e < 1) e--;
  const m = Math.round((a / 2 ** e - 1) * 1024);
  const bits = m === 1024 ? (e + 16) << 10 : ((e + 15) << 10) | m;
  return a > MAX_HALF + 16 || bits >= 0x7c00 ? sign | 0x7c00 : sign | bits;
}

/** The float16 nearest to `x`, as a number. */
export function halfNearest(x: number): number {
  return halfToFloat(halfBits(x));
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
