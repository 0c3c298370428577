/**
 * Turns a plan and calibrated ranges into encodings: activations from their (grouped) ranges,
 * fixed encodings, shared encodings resolved through their chain, weights and biases quantized
 * from the initializers' values.
 */
import { constValues, lookupConstant } from '../model/constants';
import type { Model } from '../model/types';
import { CONFIGS, type QuantOptions } from './configs';
import type { QuantEncoding } from '../encoding/encoding';
import {
  activationEncoding,
  fixedEncoding,
  quantizeBias,
  quantizeLpbq,
  quantizeWeight,
  type QuantizedWeight,
} from './math';
import type { Plan, TensorSpec } from './plan';
import type { Range } from './calibrate';

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

export function computeEncodings(
  model: Model,
  plan: Plan,
  ranges: ReadonlyMap<string, Range>,
  options: QuantOptions,
): Encodings {
  const eps = CONFIGS[options.config].eps;
  const tensors = new Map<string, QuantEncoding>();
  const constants = new Map<string, QuantizedConstant>();
  const notes = [...plan.notes];

  // One common range for each Concat group.
  const merged = new Map<string, Range>(ranges);
  for (const group of plan.groups) {
    const rs = group.map((t) => ranges.get(t)).filter((r): r is Range => !!r);
    if (rs.length === 0) continue;
    const common = { min: Math.min(...rs.map((r) => r.min)), max: Math.max(...rs.map((r) => r.max)) };
    for (const t of group) if (plan.tensors.get(t)?.kind === 'observe') merged.set(t, common);
  }

  const values = (name: string) => {
    const c = lookupConstant(model, '', name);
    if (!c) return undefined;
    const v = constValues(c);
    return v ? { values: v, dims: c.dims } : undefined;
  };

  const pending: [string, TensorSpec][] = [];
  for (const [tensor, spec] of plan.tensors) {
    switch (spec.kind) {
      case 'observe': {
        const r = merged.get(tensor);
        if (r) tensors.set(tensor, activationEncoding(r.min, r.max, spec.dtype, spec.symmetric, eps));
        break;
      }
      case 'fixed':
        tensors.set(tensor, fixedEncoding(spec.dtype, spec.scale, spec.zeroPoint));
        break;
      case 'const-act': {
        const v = values(tensor);
        if (!v) {
          notes.push(`${tensor}: constant values could not be read; left in float.`);
          break;
        }
        let lo = Infinity,
          hi = -Infinity;
        for (let i = 0; i < v.values.length; i++) {
          lo = Math.min(lo, v.values[i]!);
          hi = Math.max(hi, v.values[i]!);
        }
        const enc = activationEncoding(lo, hi, spec.dtype, spec.symmetric, eps);
        const s = enc.scale[0]!,
          z = enc.zeroPoint[0]!;
        const qmax = spec.dtype === 'uint8' ? 255 : 65535;
        const q = Int32Array.from(v.values, (x) => Math.min(qmax, Math.max(0, Math.round(x / s) + z)));
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
        if (spec.blockSize && v.dims.length >= 2 && v.dims[1]! % spec.blockSize === 0) {
          const r = quantizeLpbq(v.values, v.dims, spec.blockSize, eps);
          tensors.set(tensor, r.encoding);
          constants.set(tensor, { ...r, dims: v.dims });
        } else {
          if (spec.blockSize)
            notes.push(
              `${tensor}: block size ${spec.blockSize} does not divide ${v.dims[1]} input channels; quantized per channel instead.`,
            );
          const axis =
            spec.axis !== undefined && spec.axis < v.dims.length ? spec.axis : spec.blockSize ? 0 : undefined;
          const r = quantizeWeight(v.values, v.dims, spec.spec, eps, axis);
          tensors.set(tensor, r.encoding);
          constants.set(tensor, { ...r, dims: v.dims });
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
  for (const [tensor, spec] of pending) {
    if (spec.kind !== 'bias') continue;
    const input = tensors.get(spec.input);
    const weight = tensors.get(spec.weight);
    const v = values(tensor);
    if (!input || !weight || !v) continue;
    // LPBQ: upstream derives the bias from the max block scale / 16, which is the per-channel scale.
    const wScales = weight.scale;
    const r = quantizeBias(v.values, input.scale[0]!, wScales);
    tensors.set(tensor, r.encoding);
    constants.set(tensor, { ...r, dims: v.dims });
  }
  const edges = new Map<string, { tensor: string; encoding: QuantEncoding }>();
  const byId = new Map<string, Model['graph']['nodes'][number]>(model.graph.nodes.map((n) => [n.id, n]));
  for (const [key, spec] of plan.edges) {
    const [id, index] = key.split(':') as [string, string];
    const tensor = byId.get(id)?.inputs[Number(index)];
    const r = tensor ? ranges.get(tensor) : undefined;
    if (tensor && r && spec.kind === 'observe')
      edges.set(key, {
        tensor,
        encoding: activationEncoding(r.min, r.max, spec.dtype, spec.symmetric, eps, 'quantizer (requantized edge)'),
      });
  }
  return { tensors, edges, constants, notes };
}
