/**
 * Turns a plan and calibrated ranges into encodings: activations from their (grouped) ranges,
 * fixed encodings, shared encodings resolved through their chain, weights and biases quantized
 * from the initializers' values.
 */
import { constValues, lookupConstant } from '../model/constants';
import type { Model } from '../model/types';
import { CONFIGS, type QuantOptions, type WeightSpec } from './configs';
import { quantRange, type QuantEncoding } from '../encoding/encoding';
import {
  activationEncoding,
  fixedEncoding,
  quantizeBias,
  quantizeLpbq,
  quantizeWeight,
  requantizeWeight,
  scaleRuns,
  type QuantizedWeight,
} from './math';
import type { Plan, TensorSpec } from './plan';
import type { Range } from './calibrate';
import { ratioDb } from './sqnr';
import { halfBits, halfCeil, halfToFloat } from '../model/half';
import { SentenceError } from '../model/errors';

export interface QuantizedConstant extends QuantizedWeight {
  dims: number[];
  /** LPBQ: the effective per-block scales (int scale × per-channel scale). */
  effectiveScales?: number[];
}

export interface Encodings {
  /** Encoding per tensor name. */
  tensors: Map<string, QuantEncoding>;
  /** Requantized inputs, keyed `nodeId:inputIndex`, with the tensor they copy. */
  edges: Map<string, { tensor: string; encoding: QuantEncoding }>;
  /** Quantized values of constants (weights, biases, constant activations). */
  constants: Map<string, QuantizedConstant>;
  notes: string[];
}

/**
 * @param half the model computes in float16: its Q/DQ store their scales in float16 (ONNX's
 *   QuantizeLinear binds the scale to the tensor's type), so every scale is a float16 value,
 *   rounded up (its range stays covered with the zero point kept), and values are quantized with it.
 */
export function computeEncodings(
  model: Model,
  plan: Plan,
  ranges: ReadonlyMap<string, Range>,
  options: QuantOptions,
  half = false,
): Encodings {
  const eps = CONFIGS[options.config].eps;
  const tensors = new Map<string, QuantEncoding>();
  const constants = new Map<string, QuantizedConstant>();
  const notes = [...plan.notes];
  const outlierWeights: ({ tensor: string } & CoarseWeight)[] = [];
  const store = half ? halfScale : Math.fround;
  const fit = (e: QuantEncoding): QuantEncoding =>
    half ? { ...e, scale: e.scale.map(halfScale), scaleType: 'float16' } : e;

  const values = (name: string) => {
    const c = lookupConstant(model, '', name);
    if (!c) return undefined;
    const v = constValues(c);
    return v ? { values: v, dims: c.dims } : undefined;
  };
  /** A tensor's range: observed, or, for a constant, its values' extent. */
  const rangeOf = (tensor: string): Range | undefined => {
    const r = ranges.get(tensor);
    if (r) return r;
    const v = values(tensor);
    if (!v || v.values.length === 0) return undefined;
    let min = Infinity,
      max = -Infinity;
    for (let i = 0; i < v.values.length; i++) {
      min = Math.min(min, v.values[i]!);
      max = Math.max(max, v.values[i]!);
    }
    return { min, max };
  };
  // The tensor whose encoding a shared one takes (Reshape's input for its output, and on).
  const holder = (tensor: string) => {
    let t = tensor;
    for (let hops = 0; hops < plan.tensors.size; hops++) {
      const spec = plan.tensors.get(t);
      if (spec?.kind !== 'shared') break;
      t = spec.with;
    }
    return t;
  };
  // Ranges an encoding must cover besides its own tensor's (a Scatter's updates and output).
  const widened = new Map<string, Range>();
  for (const [tensor, extra] of plan.widen) {
    const at = holder(tensor);
    const rs = [widened.get(at), rangeOf(at), ...extra.map(rangeOf)].filter((r): r is Range => !!r);
    if (rs.length) widened.set(at, { min: Math.min(...rs.map((r) => r.min)), max: Math.max(...rs.map((r) => r.max)) });
  }

  // One common range for each Concat group.
  const merged = new Map<string, Range>(ranges);
  for (const [tensor, r] of widened) if (plan.tensors.get(tensor)?.kind === 'observe') merged.set(tensor, r);
  for (const group of plan.groups) {
    const rs = group.map((t) => ranges.get(t)).filter((r): r is Range => !!r);
    if (rs.length === 0) continue;
    const common = { min: Math.min(...rs.map((r) => r.min)), max: Math.max(...rs.map((r) => r.max)) };
    for (const t of group) if (plan.tensors.get(t)?.kind === 'observe') merged.set(t, common);
  }

  const pending: [string, TensorSpec][] = [];
  for (const [tensor, spec] of plan.tensors) {
    switch (spec.kind) {
      case 'observe': {
        const r = merged.get(tensor);
        if (r) tensors.set(tensor, fit(activationEncoding(r.min, r.max, spec.dtype, spec.symmetric, eps)));
        break;
      }
      case 'fixed':
        tensors.set(tensor, fit(fixedEncoding(spec.dtype, spec.scale, spec.zeroPoint)));
        break;
      case 'const-act': {
        const v = values(tensor);
        if (!v) {
          notes.push(`${tensor}: constant values could not be read; left in float.`);
          break;
        }
        // A constant whose encoding a Scatter's output shares covers what that output holds too.
        let lo = widened.get(tensor)?.min ?? Infinity,
          hi = widened.get(tensor)?.max ?? -Infinity;
        for (let i = 0; i < v.values.length; i++) {
          lo = Math.min(lo, v.values[i]!);
          hi = Math.max(hi, v.values[i]!);
        }
        const plain = activationEncoding(lo, hi, spec.dtype, spec.symmetric, eps);
        // A float16 model's constant of one value (a Pow's exponent, an epsilon, a Gelu's 0.5):
        // its float16 scale, rounded up from the range's, makes the value come back a little off
        // (a Pow exponent of 2 as 1.9999924, which gives NaN for every negative base).
        const exact =
          half && !widened.has(tensor) && Array.prototype.every.call(v.values, (x: number) => x === v.values[0])
            ? exactHalfEncoding(plain, v.values[0]!)
            : undefined;
        const enc = exact?.encoding ?? fit(plain);
        const s = enc.scale[0]!,
          z = enc.zeroPoint[0]!;
        const qmax = spec.dtype === 'uint8' ? 255 : 65535;
        const q = exact
          ? Int32Array.from(v.values, () => exact.q)
          : Int32Array.from(v.values, (x) => Math.min(qmax, Math.max(0, Math.round(x / s) + z)));
        tensors.set(tensor, enc);
        constants.set(tensor, { encoding: enc, q, dims: v.dims });
        break;
      }
      case 'weight': {
        const v = values(tensor);
        if (!v) {
          notes.push(`${tensor}: weight values could not be read (external data?); left in float.`);
          break;
        }
        // Blocks run along the input channels: axis 1 of a Conv weight [O, I, k...], the other
        // axis of a linear weight ([N, K] or [K, N], output channels on spec.axis).
        const layout = { axis: spec.axis ?? 0, blockAxis: v.dims.length === 2 && spec.axis === 1 ? 0 : 1 };
        const inC = v.dims[layout.blockAxis];
        if (spec.blockSize && v.dims.length >= 2 && inC! % spec.blockSize === 0) {
          const r = quantizeLpbq(v.values, v.dims, spec.blockSize, eps, layout);
          tensors.set(tensor, r.encoding);
          constants.set(tensor, { ...r, dims: v.dims });
        } else {
          if (spec.blockSize)
            notes.push(
              `${tensor}: block size ${spec.blockSize} does not divide ${inC} input channels; quantized per channel instead.`,
            );
          const axis =
            spec.axis !== undefined && spec.axis < v.dims.length ? spec.axis : spec.blockSize ? 0 : undefined;
          const r = quantizeWeight(v.values, v.dims, spec.spec, eps, axis);
          if (axis === undefined && spec.linearAxis !== undefined && spec.linearAxis < v.dims.length) {
            const coarse = coarsePerTensor(v.values, v.dims, r, spec.spec, eps, spec.linearAxis);
            if (coarse) outlierWeights.push({ tensor, ...coarse });
          }
          const encoding = fit(r.encoding);
          const q = half ? requantizeWeight(v.values, v.dims, encoding.scale, spec.spec, encoding.axis) : r.q;
          tensors.set(tensor, encoding);
          constants.set(tensor, { ...r, encoding, q, dims: v.dims });
        }
        break;
      }
      default:
        pending.push([tensor, spec]);
    }
  }
  // Shared encodings follow their source; biases then need their (possibly shared) input's encoding.
  for (const [tensor, spec] of pending) {
    if (spec.kind !== 'shared') continue;
    let source = spec.with;
    const seen = new Set<string>([tensor]);
    for (;;) {
      const s = plan.tensors.get(source);
      if (s?.kind !== 'shared' || seen.has(source)) break;
      seen.add(source);
      source = s.with;
    }
    const enc = tensors.get(source);
    if (enc) tensors.set(tensor, { ...enc, origin: `quantizer (shared with ${source})` });
  }
  // A bias is int32 at the input scale × the weight scale. With 16-bit activations and 16-bit
  // weights that product can be so small that the bias does not fit: ResNet-18 (PyTorch) at 16a16w
  // had 1,702 bias values clamped to the int32 limits (SQNR -1.4 dB against 30.7 at 16a8w). As
  // ONNX Runtime's quantizer does (qdq_quantizer.py, _adjust_weight_scale_for_int32_bias), such a
  // channel's weight scale is raised until its bias fits, and the weight is quantized again.
  if (outlierWeights.length) notes.push(outlierWeightsNote(outlierWeights));
  const raised = fitWeightScalesToBiases(plan, pending, tensors, constants, values, store);
  if (raised.length)
    notes.push(
      `${raised.length} weight${raised.length === 1 ? '' : 's'} (${raised.slice(0, 3).join(', ')}${raised.length > 3 ? ', …' : ''}) got a larger scale on some channels so that their int32 bias (input scale × weight scale) holds the bias values, as ONNX Runtime's quantizer does; otherwise those bias values would be clipped.`,
    );
  // Requantized edges (a 16-bit MatMul's second input, a weight computed at run time): a bias
  // derives its scale from its weight's edge.
  const edges = new Map<string, { tensor: string; encoding: QuantEncoding }>();
  const byId = new Map<string, Model['graph']['nodes'][number]>(model.graph.nodes.map((n) => [n.id, n]));
  for (const [key, spec] of plan.edges) {
    const [id, index] = key.split(':') as [string, string];
    const tensor = byId.get(id)?.inputs[Number(index)];
    const r = tensor ? ranges.get(tensor) : undefined;
    if (tensor && r && spec.kind === 'observe')
      edges.set(key, {
        tensor,
        encoding: fit(
          activationEncoding(r.min, r.max, spec.dtype, spec.symmetric, eps, 'quantizer (requantized edge)'),
        ),
      });
  }
  for (const [tensor, spec] of pending) {
    if (spec.kind !== 'bias') continue;
    const input = tensors.get(spec.input);
    const weight = spec.weightEdge ? edges.get(spec.weightEdge)?.encoding : tensors.get(spec.weight);
    const v = values(tensor);
    if (!input || !weight || !v) continue;
    // LPBQ: upstream derives the bias from the max block scale / 16, which is the per-channel scale.
    const wScales = biasWeightScales(weight.scale, v.values.length);
    const r = quantizeBias(v.values, input.scale[0]!, wScales, store);
    tensors.set(tensor, half ? { ...r.encoding, scaleType: 'float16' } : r.encoding);
    constants.set(tensor, { ...r, dims: v.dims });
  }
  return { tensors, edges, constants, notes };
}

/**
 * The weight scale of each bias value. A grouped ConvTranspose's weight is [C_in, C_out/group,
 * ...]: its per-channel scales cover one group's outputs and apply again to each group's, so a
 * bias of C_out values repeats them group times (PyTorch's ConvTranspose2d(groups=2) failed to
 * export with 4 bias scales for 8 outputs). The validator's bias rule reads them the same way.
 */
function biasWeightScales(scale: readonly number[], biasLength: number): readonly number[] {
  if (scale.length <= 1 || biasLength <= scale.length || biasLength % scale.length !== 0) return scale;
  return Array.from({ length: biasLength / scale.length }, () => scale).flat();
}

/** Largest int32, as a float: the bias range is [-INT32_MAX, INT32_MAX] (symmetric). */
const INT32_MAX = 2 ** 31 - 1;
/** Headroom on the smallest bias scale that fits, as ONNX Runtime's quantizer keeps (1.0001). */
const BIAS_HEADROOM = 1.0001;

/**
 * Raises weight scales, channel by channel, where the int32 bias derived from them (input scale ×
 * weight scale) could not hold the bias values, and quantizes those weights again with the new
 * scales. All biases of a weight are looked at before it changes, so every bias is then derived
 * from the weight scale the export carries. LPBQ weights keep their blocks (their per-channel
 * scale is the largest block's). Returns the weights changed.
 */
function fitWeightScalesToBiases(
  plan: Plan,
  pending: readonly [string, TensorSpec][],
  tensors: Map<string, QuantEncoding>,
  constants: Map<string, QuantizedConstant>,
  values: (name: string) => { values: ArrayLike<number>; dims: number[] } | undefined,
  store: (scale: number) => number,
): string[] {
  const needed = new Map<string, number[]>();
  for (const [tensor, spec] of pending) {
    // A weight computed at run time has no scales to raise.
    if (spec.kind !== 'bias' || spec.weightEdge || plan.tensors.get(spec.weight)?.kind !== 'weight') continue;
    const input = tensors.get(spec.input);
    const weight = tensors.get(spec.weight);
    const bias = values(tensor);
    if (!input || !weight || !bias || weight.granularity === 'lpbq' || weight.granularity === 'per-block') continue;
    const inputScale = input.scale[0]!;
    const scales = needed.get(spec.weight) ?? [...weight.scale];
    let changed = false;
    for (let c = 0; c < scales.length; c++) {
      // Per tensor: one scale for every bias value; per channel: bias value c for channel c.
      let amax = 0;
      if (scales.length === 1)
        for (let i = 0; i < bias.values.length; i++) amax = Math.max(amax, Math.abs(bias.values[i]!));
      else for (let i = c; i < bias.values.length; i += scales.length) amax = Math.max(amax, Math.abs(bias.values[i]!));
      const smallest = (BIAS_HEADROOM * amax) / INT32_MAX / inputScale;
      if (scales[c]! < smallest) {
        scales[c] = store(smallest);
        changed = true;
      }
    }
    if (changed) needed.set(spec.weight, scales);
  }
  const changed: string[] = [];
  for (const [name, scales] of needed) {
    const spec = plan.tensors.get(name);
    const weight = values(name);
    const before = tensors.get(name)!;
    if (spec?.kind !== 'weight' || !weight || scales.every((s, i) => s === before.scale[i])) continue;
    const q = requantizeWeight(weight.values, weight.dims, scales, spec.spec, before.axis);
    const encoding = { ...before, scale: scales };
    tensors.set(name, encoding);
    constants.set(name, { encoding, q, dims: weight.dims });
    changed.push(name);
  }
  return changed;
}

/**
 * An encoding that gives `value` back exactly when a float16 model's DequantizeLinear computes
 * (q − zero point) × scale, in float16 or in float32 (onnxruntime computes it in float32 where the
 * reader runs in float32): `plain`'s zero point and the value as a power of two times a float16
 * scale, the power as large as the zero point leaves room for and the scale a normal float16.
 * Undefined for zero (which any encoding gives back) or when no such scale holds the value.
 */
function exactHalfEncoding(plain: QuantEncoding, value: number): { encoding: QuantEncoding; q: number } | undefined {
  if (value === 0 || !Number.isFinite(value)) return undefined;
  const { qmin, qmax } = quantRange(plain.dtype, plain.bitwidth);
  const zp = plain.zeroPoint[0]!;
  const room = value > 0 ? qmax - zp : zp - qmin;
  if (room < 1) return undefined;
  const magnitude = Math.abs(value);
  let k = Math.floor(Math.log2(room));
  // A subnormal float16 scale holds fewer bits than the value.
  while (k > 0 && magnitude / 2 ** k < 2 ** -14) k--;
  const scale = magnitude / 2 ** k;
  if (halfToFloat(halfBits(scale)) !== scale) return undefined;
  const q = zp + Math.sign(value) * 2 ** k;
  return { encoding: { ...plain, scale: [scale], scaleType: 'float16' }, q };
}

/**
 * A scale as a float16 model stores it: the smallest float16 at least as large.
 * @throws SentenceError past float16's largest value (a range beyond about 65504 × 255).
 */
function halfScale(scale: number): number {
  const up = halfCeil(scale);
  if (up === undefined)
    throw new SentenceError(
      'float16-model',
      `A scale of ${scale} is beyond what float16 holds (65504), and this float16 model's Q/DQ store their scales in float16. A tensor's range is too wide for its bit width: look for values that overflow in the float model.`,
    );
  return up;
}

/**
 * A per-tensor linear weight is told of when it keeps less than {@link COARSE_BELOW_DB} (a weight
 * of normally spread values keeps about 39 dB at 8 bits) and per-channel weights would keep at
 * least {@link COARSE_DB} more. PP-OCRv4's recogniser (trained, paddle2onnx) has two linear
 * weights at 27-28 dB per tensor and 43-44 per channel: per-channel linear weights raise its
 * output's SQNR by 1.9 dB at 16a8w and not at all at 8a8w, not worth a note.
 */
const COARSE_BELOW_DB = 20;
const COARSE_DB = 12;

/** What a per-tensor weight kept, against the same weight per channel. */
interface CoarseWeight {
  perTensorDb: number;
  perChannelDb: number;
  /** Its largest magnitude, and that over the RMS of its values. */
  absMax: number;
  ratio: number;
}

/** SQNR (dB) of `values` against `q` dequantized at `scale` (one, or one per channel along `axis`). */
function weightSqnr(
  values: ArrayLike<number>,
  dims: readonly number[],
  q: Int32Array,
  scale: readonly number[],
  axis?: number,
): number {
  const inner = axis === undefined ? values.length : dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  // sqnrDb's sums over the dequantized values, computed in place: a Float64Array.from with a map
  // took 0.9 s of each 10k-node decoder's quantization.
  let signal = 0;
  let noise = 0;
  // Per tensor, one run of every value; per channel, a scale per channel along `axis`.
  scaleRuns(values.length, inner, scale, (start, end, s) => {
    for (let i = start; i < end; i++) {
      const r = values[i]!;
      const d = r - q[i]! * s;
      signal += r * r;
      noise += d * d;
    }
  });
  return ratioDb(signal, noise);
}

/**
 * A per-tensor linear weight whose scale a few large values set, so that most of its values fall
 * on a handful of levels: its SQNR, and what per-channel weights along `axis` keep instead (see
 * {@link COARSE_BELOW_DB}). (torchvision's ConvNeXt-Tiny classifier, from its own
 * initialisation: one value of -2 beside values of RMS 0.02 gave the weight 13 dB per tensor,
 * the model's output 12.9 dB at 16a8w, and 34.7 dB with per-channel linear weights.)
 */
function coarsePerTensor(
  values: ArrayLike<number>,
  dims: readonly number[],
  perTensor: { q: Int32Array; encoding: QuantEncoding },
  spec: WeightSpec,
  eps: number,
  axis: number,
): CoarseWeight | undefined {
  if (dims[axis]! < 2) return undefined;
  const perTensorDb = weightSqnr(values, dims, perTensor.q, perTensor.encoding.scale);
  if (!(perTensorDb < COARSE_BELOW_DB)) return undefined;
  const channel = quantizeWeight(values, dims, spec, eps, axis);
  const perChannelDb = weightSqnr(values, dims, channel.q, channel.encoding.scale, axis);
  if (perChannelDb - perTensorDb < COARSE_DB) return undefined;
  let sum = 0;
  let absMax = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    sum += x * x;
    absMax = Math.max(absMax, Math.abs(x));
  }
  return { perTensorDb, perChannelDb, absMax, ratio: absMax / Math.sqrt(sum / values.length) };
}

function outlierWeightsNote(weights: readonly ({ tensor: string } & CoarseWeight)[]): string {
  const db = (x: number) => (Number.isFinite(x) ? `${x.toFixed(1)} dB` : 'exact');
  const listed = [...weights]
    .sort((a, b) => a.perTensorDb - b.perTensorDb)
    .slice(0, 5)
    .map(
      (w) =>
        `${w.tensor} (${db(w.perTensorDb)}; its largest magnitude, ${w.absMax.toPrecision(3)}, is ${Math.round(w.ratio)}× the RMS of its values; per channel ${db(w.perChannelDb)})`,
    );
  const more = weights.length > 5 ? `, and ${weights.length - 5} more` : '';
  const n = weights.length;
  return `${n} linear weight${n === 1 ? '' : 's'} quantized per tensor keep${n === 1 ? 's' : ''} little of ${n === 1 ? 'its' : 'their'} values, ${n === 1 ? 'its' : 'their'} scale set by a few large ones: ${listed.join(', ')}${more}. Per-channel weights ("per-channel linear weights" in the app, --per-channel-linear) give each output channel a scale of its own. Per-tensor Gemm and MatMul weights are AIMET's default in its HTP configs, a toolchain default rather than a backend limit: ExecuTorch quantizes linear weights per channel (is_linear_per_channel).`;
}
