/**
 * A tensor's quantization encoding, in one shape whatever it was read from (QDQ nodes, an AIMET
 * .encodings file) or computed by the quantizer. ONNX convention throughout:
 * real = (q - zeroPoint) * scale. The QNN offset is -zeroPoint.
 */

/** Integer container types a quantized tensor can have. */
export type QuantDType =
  'uint8' | 'int8' | 'uint16' | 'int16' | 'int32' | 'uint4' | 'int4' | 'uint2' | 'int2' | 'uint32';

/** How scales apply across the tensor. */
export type Granularity = 'per-tensor' | 'per-channel' | 'per-block' | 'lpbq';

export interface QuantEncoding {
  dtype: QuantDType;
  /** Bits actually used; smaller than the container for 4-bit and 2-bit weights in an 8-bit container. */
  bitwidth: number;
  granularity: Granularity;
  /** One scale per tensor, per channel, or per block (channel-major). For LPBQ: the per-channel float scales. */
  scale: number[];
  /** Same length as scale. */
  zeroPoint: number[];
  /** Channel axis for per-channel, per-block and LPBQ encodings. */
  axis?: number;
  /**
   * The axis blocks run along (per-block, LPBQ): an ONNX DQ's `axis` with `block_size`; for AIMET,
   * the consumer's input-channel axis. Undefined: axis 1.
   */
  blockAxis?: number;
  /** Block length along the blocked axis (per-block and LPBQ). */
  blockSize?: number;
  /** LPBQ: integer scale per block, in [1, 2^(bitwidth - compressedBitwidth)]. */
  perBlockIntScale?: number[];
  /** LPBQ: the stored (compressed) bitwidth, e.g. 4. */
  compressedBitwidth?: number;
  /** Where the encoding came from, for messages: `QDQ`, `AIMET 1.0.0`, `quantizer`. */
  origin: string;
  /**
   * The scales are float16 values (a float16 model's Q/DQ store their scale in the tensor's type):
   * a product of them, such as a bias scale, is exact only to float16 precision.
   */
  scaleType?: 'float16';
}

/** Integer range of a dtype at a bitwidth. */
export function quantRange(dtype: QuantDType, bitwidth?: number): { qmin: number; qmax: number } {
  const bits = bitwidth ?? containerBits(dtype);
  const signed = dtype.startsWith('int');
  return signed ? { qmin: -(2 ** (bits - 1)), qmax: 2 ** (bits - 1) - 1 } : { qmin: 0, qmax: 2 ** bits - 1 };
}

export function containerBits(dtype: QuantDType): number {
  switch (dtype) {
    case 'uint2':
    case 'int2':
      return 2;
    case 'uint4':
    case 'int4':
      return 4;
    case 'uint8':
    case 'int8':
      return 8;
    case 'uint16':
    case 'int16':
      return 16;
    default:
      return 32;
  }
}

export function isSigned(dtype: QuantDType): boolean {
  return dtype.startsWith('int');
}

/**
 * Whether an encoding is symmetric: zero point 0 for signed types, or the midpoint
 * (2^(bits-1), e.g. 128) for unsigned ones, on every channel.
 */
export function isSymmetric(enc: QuantEncoding): boolean {
  const mid = isSigned(enc.dtype) ? 0 : 2 ** (enc.bitwidth - 1);
  return enc.zeroPoint.every((z) => z === mid);
}

/** A short human-readable form, e.g. `uint8 scale 0.0039 zp 0` or `int8 per-channel(axis 0, 16 ch)`. */
export function describeEncoding(enc: QuantEncoding): string {
  const bits = enc.bitwidth !== containerBits(enc.dtype) ? ` (${enc.bitwidth}-bit)` : '';
  if (enc.granularity === 'per-tensor') return `${enc.dtype}${bits} scale ${fmt(enc.scale[0])} zp ${enc.zeroPoint[0]}`;
  const along = enc.blockAxis !== undefined ? ` along axis ${enc.blockAxis}` : '';
  if (enc.granularity === 'lpbq')
    // LPBQ's stored bits are what the weights take (4); the per-block integer scales expand them.
    return `int${enc.compressedBitwidth ?? enc.bitwidth} LPBQ(${enc.scale.length} channels on axis ${enc.axis ?? '?'}, blocks of ${enc.blockSize}${along})`;
  if (enc.granularity === 'per-block')
    return `${enc.dtype}${bits} per-block(${enc.scale.length} scales, blocks of ${enc.blockSize}${along})`;
  return `${enc.dtype}${bits} ${enc.granularity}(axis ${enc.axis ?? '?'}, ${enc.scale.length} scales)`;
}

/**
 * Block scales laid out as their weight (`dims`, row-major) in the channel-major order
 * QuantEncoding keeps: for each channel on `channelAxis`, its blocks along `blockAxis`; any other
 * axis (a Conv kernel's, where the scale repeats) is read at its first position.
 */
export function channelMajorBlocks(
  values: readonly number[],
  dims: readonly number[],
  channelAxis: number,
  blockAxis: number,
): number[] {
  const stride = (a: number) => dims.slice(a + 1).reduce((x, y) => x * y, 1);
  const [cs, bs] = [stride(channelAxis), stride(blockAxis)];
  const out: number[] = [];
  for (let c = 0; c < dims[channelAxis]!; c++)
    for (let b = 0; b < dims[blockAxis]!; b++) out.push(values[c * cs + b * bs]!);
  return out;
}

/** Formats a scale compactly, with exact fractions for the powers of two QNN rules use. */
export function fmt(x: number | undefined): string {
  if (x === undefined) return '?';
  if (x > 0) {
    const inv = 1 / x;
    if (Number.isInteger(inv) && inv >= 2 && (inv & (inv - 1)) === 0) return `1/${inv}`;
  }
  return Number(x.toPrecision(6)).toString();
}

/**
 * A scale as the fraction a range gives it, when it is one (1/65535: a [0, 1] range calibrated over
 * uint16; 2/65535: [-1, 1]), to within float32's precision: ` ≈ 1/65535`, or '' when it is not
 * one or `fmt` already writes it whole. Beside a required 1/65536, 0.000015259 alone hides why.
 */
export function nearFraction(x: number): string {
  const shown = fmt(x);
  // Exact already: a power-of-two fraction, or a decimal that six digits write whole (0.1, 0.0025).
  if (!(x > 0) || shown.includes('/') || Math.abs(Number(shown) - x) <= 1e-7 * x) return '';
  for (const k of [1, 2]) {
    const n = Math.round(k / x);
    if (n > k && n < 2 ** 32 && Math.abs(k / x - n) <= 1e-6 * n && (k === 1 || n % 2 === 1)) return ` ≈ ${k}/${n}`;
  }
  return '';
}

/** Two encodings are the same quantization when dtype, bitwidth, scales and zero points agree. */
export function sameQuantization(a: QuantEncoding, b: QuantEncoding, rtol = 1e-6): boolean {
  if (a.dtype !== b.dtype || a.bitwidth !== b.bitwidth || a.scale.length !== b.scale.length) return false;
  for (let i = 0; i < a.scale.length; i++) {
    if (Math.abs(a.scale[i]! - b.scale[i]!) > rtol * Math.max(Math.abs(a.scale[i]!), Math.abs(b.scale[i]!)))
      return false;
    if (a.zeroPoint[i] !== b.zeroPoint[i]) return false;
  }
  return true;
}
