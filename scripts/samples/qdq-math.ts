/**
 * Quantization arithmetic for the sample generator, following ONNX QuantizeLinear semantics
 * (round half to even, saturate) and ORT's quantizer conventions (ranges widened to include 0,
 * symmetric int8 weights in [-127, 127], int32 bias with scale = input scale x weight scale).
 * Every scale is rounded to float32 here, because that is what the model file stores and what
 * tests compare against.
 */

/** Integer types a Q/DQ pair can use in the samples. */
export type QType = 'uint8' | 'int8' | 'uint16' | 'int16' | 'int32';

const LIMITS: Record<QType, [number, number]> = {
  uint8: [0, 255],
  int8: [-128, 127],
  uint16: [0, 65535],
  int16: [-32768, 32767],
  int32: [-2147483648, 2147483647],
};

/** Smallest real range ORT's QNN config allows (MinimumRealRange), so scales never hit 0. */
export const MIN_REAL_RANGE = 1e-4;

/** Per-tensor quantization parameters. */
export interface QParams {
  dtype: QType;
  scale: number;
  zeroPoint: number;
}

/** Rounds to nearest, ties to even, as QuantizeLinear does. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The integer range of a type. */
export function qLimits(dtype: QType): [number, number] {
  return LIMITS[dtype];
}

/** Asymmetric per-tensor parameters covering [min, max] (widened to include 0). */
export function asymmetricQParams(min: number, max: number, dtype: QType): QParams {
  const [qmin, qmax] = LIMITS[dtype];
  let lo = Math.min(min, 0);
  let hi = Math.max(max, 0);
  if (hi - lo < MIN_REAL_RANGE) hi = lo + MIN_REAL_RANGE;
  const scale = Math.fround((hi - lo) / (qmax - qmin));
  const zeroPoint = Math.min(qmax, Math.max(qmin, roundHalfEven(qmin - lo / scale)));
  return { dtype, scale, zeroPoint };
}

/** Quantizes one value. */
export function quantize(x: number, scale: number, zeroPoint: number, dtype: QType): number {
  const [qmin, qmax] = LIMITS[dtype];
  return Math.min(qmax, Math.max(qmin, roundHalfEven(x / scale) + zeroPoint));
}

/** A quantized weight: integer values and one scale per channel (one in all for per-tensor). */
export interface QuantizedWeight {
  values: Int8Array;
  scales: Float32Array;
}

/**
 * Symmetric int8 quantization, per channel along `axis` or per tensor (`axis` undefined).
 * Scale = max|w| / 127, zero point 0, values in [-127, 127].
 */
export function quantizeSymmetricInt8(w: Float32Array, dims: readonly number[], axis?: number): QuantizedWeight {
  const channels = axis === undefined ? 1 : dims[axis]!;
  // Elements between consecutive steps of `axis` (the product of the dims after it).
  const inner = axis === undefined ? w.length : dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const channelOf = (i: number): number => (axis === undefined ? 0 : Math.floor(i / inner) % channels);
  const absMax = new Float64Array(channels);
  for (let i = 0; i < w.length; i++) absMax[channelOf(i)] = Math.max(absMax[channelOf(i)]!, Math.abs(w[i]!));
  const scales = new Float32Array(channels);
  for (let c = 0; c < channels; c++) scales[c] = Math.max(absMax[c]!, MIN_REAL_RANGE / 2) / 127;
  const values = new Int8Array(w.length);
  for (let i = 0; i < w.length; i++) {
    values[i] = Math.min(127, Math.max(-127, roundHalfEven(w[i]! / scales[channelOf(i)]!)));
  }
  return { values, scales };
}

/**
 * int32 bias for a node with input scale `inputScale` and weight scales `weightScales`
 * (one per output channel, or one for per-tensor): scale_c = inputScale x weightScale_c in
 * float32, zero point 0, so the bias adds straight into the int32 accumulator.
 */
export function quantizeBiasInt32(
  b: Float32Array,
  inputScale: number,
  weightScales: Float32Array,
): { values: Int32Array; scales: Float32Array } {
  const scales = new Float32Array(weightScales.length);
  for (let c = 0; c < scales.length; c++) scales[c] = Math.fround(inputScale * weightScales[c]!);
  const values = new Int32Array(b.length);
  for (let i = 0; i < b.length; i++) {
    const s = scales.length === 1 ? scales[0]! : scales[i]!;
    values[i] = quantize(b[i]!, s, 0, 'int32');
  }
  return { values, scales };
}

/** Signal-to-quantization-noise ratio in dB of `test` against `reference`. */
export function sqnrDb(reference: ArrayLike<number>, test: ArrayLike<number>): number {
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < reference.length; i++) {
    signal += reference[i]! ** 2;
    noise += (reference[i]! - test[i]!) ** 2;
  }
  return noise === 0 ? Infinity : 10 * Math.log10(signal / noise);
}
