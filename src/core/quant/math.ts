/**
 * Encoding math: scales and zero points from ranges, weight quantization per tensor, per
 * channel and per block (LPBQ), derived int32 bias. ONNX convention: real = (q - zp) * scale.
 */
import type { QuantDType, QuantEncoding } from '../encoding/encoding';
import { quantRange } from '../encoding/encoding';
import type { WeightSpec } from './configs';

/** Activation encoding from an observed range; the range always includes 0 so 0 is exact. */
export function activationEncoding(
  min: number,
  max: number,
  dtype: 'uint8' | 'uint16' | 'int16',
  symmetric: boolean,
  eps: number,
  origin = 'quantizer',
): QuantEncoding {
  let lo = Math.min(min, 0);
  let hi = Math.max(max, 0);
  if (!Number.isFinite(lo)) lo = 0;
  if (!Number.isFinite(hi)) hi = 0;
  if (dtype === 'int16') {
    // A 16-bit MatMul second input: int16 symmetric on [-32767, 32767], zero point 0.
    const scale = Math.max(Math.max(-lo, hi) / 32767, eps);
    return { dtype, bitwidth: 16, granularity: 'per-tensor', scale: [Math.fround(scale)], zeroPoint: [0], origin };
  }
  const { qmin, qmax } = quantRange(dtype);
  let scale: number;
  let zp: number;
  if (symmetric) {
    const amax = Math.max(-lo, hi);
    scale = Math.max((2 * amax) / (qmax - qmin), eps);
    zp = (qmin + qmax + 1) / 2;
  } else {
    scale = Math.max((hi - lo) / (qmax - qmin), eps);
    zp = Math.min(qmax, Math.max(qmin, Math.round(qmin - lo / scale)));
  }
  return {
    dtype,
    bitwidth: dtype === 'uint8' ? 8 : 16,
    granularity: 'per-tensor',
    scale: [Math.fround(scale)],
    zeroPoint: [zp],
    origin,
  };
}

/** A fixed encoding (Sigmoid, Tanh). */
export function fixedEncoding(dtype: QuantDType, scale: number, zeroPoint: number): QuantEncoding {
  return {
    dtype,
    bitwidth: dtype.endsWith('16') ? 16 : 8,
    granularity: 'per-tensor',
    scale: [scale],
    zeroPoint: [zeroPoint],
    origin: 'quantizer (fixed)',
  };
}

function symmetricScale(amax: number, spec: WeightSpec, eps: number): number {
  return Math.fround(Math.max(amax / ((spec.qmax - spec.qmin) / 2), eps));
}

/** Max |x| per slice along `axis` (or over everything when axis is undefined). */
export function absMaxAlong(values: ArrayLike<number>, dims: readonly number[], axis?: number): number[] {
  if (axis === undefined) {
    let m = 0;
    for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i]!));
    return [m];
  }
  const channels = dims[axis]!;
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const out = new Array<number>(channels).fill(0);
  for (let i = 0; i < values.length; i++) {
    const c = Math.floor(i / inner) % channels;
    out[c] = Math.max(out[c]!, Math.abs(values[i]!));
  }
  return out;
}

export interface QuantizedWeight {
  encoding: QuantEncoding;
  /** Quantized values, in the container's range. */
  q: Int32Array;
}

/** Symmetric weight quantization, per tensor or per channel along `axis`. */
export function quantizeWeight(
  values: ArrayLike<number>,
  dims: readonly number[],
  spec: WeightSpec,
  eps: number,
  axis?: number,
): QuantizedWeight {
  const amax = absMaxAlong(values, dims, axis);
  const scale = amax.map((a) => symmetricScale(a, spec, eps));
  const inner = axis === undefined ? values.length : dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const q = roundToScales(values, scale, inner, spec);
  return {
    encoding: {
      dtype: spec.dtype,
      bitwidth: spec.bitwidth,
      granularity: axis === undefined ? 'per-tensor' : 'per-channel',
      scale,
      zeroPoint: scale.map(() => 0),
      axis,
      origin: 'quantizer',
    },
    q,
  };
}

/** Symmetric weight values quantized with given scales (one, or one per channel along `axis`). */
export function requantizeWeight(
  values: ArrayLike<number>,
  dims: readonly number[],
  scale: readonly number[],
  spec: WeightSpec,
  axis?: number,
): Int32Array {
  const perChannel = scale.length > 1 && axis !== undefined;
  const inner = perChannel ? dims.slice(axis + 1).reduce((a, b) => a * b, 1) : values.length;
  return roundToScales(values, perChannel ? scale : scale.slice(0, 1), inner, spec);
}

/**
 * Each value divided by its channel's scale, rounded and clamped to the spec's range: runs of
 * `inner` values share a scale, the channels cycling through `scale` (one scale: the whole tensor
 * is one run). A loop per run, not a division per value to find its channel: it runs over every
 * weight value of the model (10 million on a 10k-node decoder).
 */
function roundToScales(
  values: ArrayLike<number>,
  scale: readonly number[],
  inner: number,
  spec: { qmin: number; qmax: number },
): Int32Array {
  const q = new Int32Array(values.length);
  const { qmin, qmax } = spec;
  scaleRuns(values.length, inner, scale, (start, end, s) => {
    for (let i = start; i < end; i++) q[i] = Math.min(qmax, Math.max(qmin, Math.round(values[i]! / s)));
  });
  return q;
}

/**
 * Calls `visit` with each run of `inner` values of a tensor of `length` values and the scale of
 * its channel, the channels cycling through `scale` (one scale: the whole tensor is one run): a
 * weight's values walked channel by channel, with no division per value to find its channel.
 */
export function scaleRuns(
  length: number,
  inner: number,
  scale: readonly number[],
  visit: (start: number, end: number, scale: number) => void,
): void {
  for (let start = 0, c = 0; start < length; start += inner, c = (c + 1) % scale.length)
    visit(start, Math.min(length, start + inner), scale[c]!);
}

/**
 * Where a weight's blocks run: output channels on `axis`, blocks along `blockAxis`. A Conv
 * weight [O, I, k...] has them on 0 and 1; a linear weight is [N, K] (Gemm with transB) or
 * [K, N] (MatMul, Gemm without transB), blocked along K.
 */
export interface BlockLayout {
  axis: number;
  blockAxis: number;
}

/**
 * For each element of a tensor laid out as `dims`, the index of its block in channel-major order
 * (channel × blocks + block along the blocked axis), blocks being `blockSize` long. No allocation
 * per element: it runs over every weight value.
 */
export function blockIndexer(dims: readonly number[], layout: BlockLayout, blockSize: number): (i: number) => number {
  const stride = (a: number) => dims.slice(a + 1).reduce((x, y) => x * y, 1);
  const cs = stride(layout.axis),
    cd = dims[layout.axis]!,
    bs = stride(layout.blockAxis),
    bd = dims[layout.blockAxis]!;
  const blocks = Math.ceil(bd / blockSize);
  return (i) => (Math.floor(i / cs) % cd) * blocks + Math.floor((Math.floor(i / bs) % bd) / blockSize);
}

/**
 * LPBQ: symmetric 4-bit blocks along the input-channel axis of a weight (`layout`). Per-channel
 * float scale = max block scale / 2^(8 - 4); per-block integer scales round(block /
 * per-channel) in [1, 16], channel-major. Values are quantized with the effective block scale
 * (int scale × per-channel scale), as the hardware expands them.
 */
export function quantizeLpbq(
  values: ArrayLike<number>,
  dims: readonly number[],
  blockSize: number,
  eps: number,
  layout: BlockLayout = { axis: 0, blockAxis: 1 },
): QuantizedWeight & { effectiveScales: number[] } {
  const outC = dims[layout.axis]!;
  const inC = dims[layout.blockAxis] ?? 1;
  const blocks = Math.ceil(inC / blockSize);
  const steps = 16; // 2^(decompressed 8 - compressed 4)
  const blockOf = blockIndexer(dims, layout, blockSize);
  // One pass for the block maxima, one for the values.
  const amax = new Float64Array(outC * blocks);
  for (let i = 0; i < values.length; i++) {
    const k = blockOf(i);
    amax[k] = Math.max(amax[k]!, Math.abs(values[i]!));
  }
  const pcScale: number[] = [];
  const intScale: number[] = [];
  const effective: number[] = [];
  for (let o = 0; o < outC; o++) {
    const blockScale = Array.from({ length: blocks }, (_, b) => Math.max(amax[o * blocks + b]! / 7, eps));
    const pc = Math.fround(Math.max(...blockScale) / steps);
    pcScale.push(pc);
    for (const b of blockScale) {
      const k = Math.min(steps, Math.max(1, Math.round(b / pc)));
      intScale.push(k);
      effective.push(Math.fround(k * pc));
    }
  }
  const q = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++)
    q[i] = Math.min(7, Math.max(-7, Math.round(values[i]! / effective[blockOf(i)]!)));
  return {
    encoding: {
      dtype: 'int8',
      bitwidth: 8,
      granularity: 'lpbq',
      scale: pcScale,
      zeroPoint: pcScale.map(() => 0),
      axis: layout.axis,
      blockAxis: layout.blockAxis,
      blockSize,
      perBlockIntScale: intScale,
      compressedBitwidth: 4,
      origin: 'quantizer',
    },
    q,
    effectiveScales: effective,
  };
}

/** Derived int32 bias: scale = input scale × weight scale (per channel), zero point 0. */
export function quantizeBias(
  values: ArrayLike<number>,
  inputScale: number,
  weightScales: readonly number[],
  store: (scale: number) => number = Math.fround,
): QuantizedWeight {
  const scale = weightScales.map((s) => store(s * inputScale));
  const q = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const s = scale[scale.length === 1 ? 0 : i]!;
    q[i] = Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, Math.round(values[i]! / s)));
  }
  return {
    encoding: {
      dtype: 'int32',
      bitwidth: 32,
      granularity: scale.length === 1 ? 'per-tensor' : 'per-channel',
      scale,
      zeroPoint: scale.map(() => 0),
      axis: scale.length === 1 ? undefined : 0,
      origin: 'quantizer (derived)',
    },
    q,
  };
}
