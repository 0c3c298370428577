/**
 * `transformer-block`: one pre-norm self-attention block, the shape of every decoder layer, for
 * the 16-bit activation rules (uint16 per tensor, int8 per-tensor MatMul weights) and the
 * math-invariant ops (Reshape, Transpose) that must keep their input's encoding.
 *
 * x [1,16,64] -> LayerNorm -> q/k/v = MatMul + Add -> Reshape [1,16,4,16] -> Transpose
 *   -> softmax(q k^T * 0.25) v -> Transpose -> Reshape [1,16,64] -> o_proj MatMul + Add
 *   -> + x -> y [1,16,64]
 */
import { attr } from '../../src/core/model/write-onnx';
import type { Emitter } from './emitter';
import { Prng } from './prng';

const SEQ = 16;
const HIDDEN = 64;
const HEADS = 4;
const HEAD_DIM = HIDDEN / HEADS;

export const TRANSFORMER_INPUT_SHAPE = [1, SEQ, HIDDEN] as const;

/** Float weights of the block, drawn from a fixed seed. */
export interface TransformerWeights {
  lnScale: Float32Array;
  lnBias: Float32Array;
  /** q, k, v, o projections: weight [in, out] (MatMul layout) and bias [out]. */
  proj: Record<'q' | 'k' | 'v' | 'o', { w: Float32Array; b: Float32Array }>;
}

/** Weights with the 1/sqrt(fan_in) bound nn.Linear uses. */
export function transformerWeights(seed = 0x7f0_b10c): TransformerWeights {
  const rng = new Prng(seed);
  const bound = 1 / Math.sqrt(HIDDEN);
  const linear = () => ({ w: rng.floats(HIDDEN * HIDDEN, -bound, bound), b: rng.floats(HIDDEN, -bound, bound) });
  const lnScale = rng.floats(HIDDEN, 0.8, 1.2);
  const lnBias = rng.floats(HIDDEN, -0.1, 0.1);
  return { lnScale, lnBias, proj: { q: linear(), k: linear(), v: linear(), o: linear() } };
}

/** Writes the block through `e` (float or QDQ). */
export function describeTransformer(e: Emitter, w: TransformerWeights): void {
  const L = '/layers.0';
  const A = `${L}/attn`;
  const x = e.input('x', TRANSFORMER_INPUT_SHAPE);

  const gamma = e.weight('layers.0.input_layernorm.weight', w.lnScale, [HIDDEN]);
  const beta = e.bias('layers.0.input_layernorm.bias', w.lnBias, x, gamma);
  const h = e.op('LayerNormalization', [x, gamma, beta], `${L}/input_layernorm/LayerNormalization_output_0`, {
    name: `${L}/input_layernorm/LayerNormalization`,
    attrs: { axis: attr.int(-1), epsilon: attr.float(1e-5) },
  });

  const linear = (input: string, which: 'q' | 'k' | 'v' | 'o'): string => {
    const scope = `${A}/${which}_proj`;
    const param = `layers.0.attn.${which}_proj`;
    // HTP MatMul takes per-tensor weights only, so no axis here.
    const weight = e.weight(`${param}.weight`, w.proj[which].w, [HIDDEN, HIDDEN]);
    const mm = e.op('MatMul', [input, weight], `${scope}/MatMul_output_0`, { name: `${scope}/MatMul` });
    // A bias Add is an elementwise op: its constant is quantized like an activation.
    const bias = e.constant(`${param}.bias`, w.proj[which].b, [HIDDEN]);
    return e.op('Add', [mm, bias], `${scope}/Add_output_0`, { name: `${scope}/Add` });
  };

  const headsShape = e.raw('layers.0.attn.heads_shape', [1, SEQ, HEADS, HEAD_DIM], [4], 'int64');
  const invariant = { kind: 'share-input' } as const;
  const split = (t: string, suffix: string, perm: readonly number[]): string => {
    const r = e.op('Reshape', [t, headsShape], `${A}/Reshape${suffix}_output_0`, {
      name: `${A}/Reshape${suffix}`,
      quant: invariant,
    });
    return e.op('Transpose', [r], `${A}/Transpose${suffix}_output_0`, {
      name: `${A}/Transpose${suffix}`,
      attrs: { perm: attr.ints(perm) },
      quant: invariant,
    });
  };
  const q = split(linear(h, 'q'), '', [0, 2, 1, 3]); // [1, heads, seq, dim]
  const kT = split(linear(h, 'k'), '_1', [0, 2, 3, 1]); // [1, heads, dim, seq]: K transposed for q k^T
  const v = split(linear(h, 'v'), '_2', [0, 2, 1, 3]);

  // The attention MatMuls read their second input as uint8 (16x8), as ExecuTorch's
  // annotate_matmul_16a8w does: an int16 second input (16x16) needs V73+, and ONNX Runtime
  // converts a uint16 one to uint8 itself; 16x8 runs the same on every HTP arch and flow.
  const kT8 = e.requantize(kT, `${A}/Transpose_1_output_0`, 'uint8');
  const v8 = e.requantize(v, `${A}/Transpose_2_output_0`, 'uint8');
  const scores = e.op('MatMul', [q, kT8], `${A}/MatMul_output_0`, { name: `${A}/MatMul` });
  const scale = e.constant('layers.0.attn.scale', Float32Array.of(1 / Math.sqrt(HEAD_DIM)), []);
  const scaled = e.op('Mul', [scores, scale], `${A}/Mul_output_0`, { name: `${A}/Mul` });
  const probs = e.op('Softmax', [scaled], `${A}/Softmax_output_0`, {
    name: `${A}/Softmax`,
    attrs: { axis: attr.int(-1) },
  });
  const ctx = e.op('MatMul', [probs, v8], `${A}/MatMul_1_output_0`, { name: `${A}/MatMul_1` });
  const merged = e.op('Transpose', [ctx], `${A}/Transpose_3_output_0`, {
    name: `${A}/Transpose_3`,
    attrs: { perm: attr.ints([0, 2, 1, 3]) },
    quant: invariant,
  });
  const hiddenShape = e.raw('layers.0.attn.hidden_shape', [1, SEQ, HIDDEN], [3], 'int64');
  const flat = e.op('Reshape', [merged, hiddenShape], `${A}/Reshape_3_output_0`, {
    name: `${A}/Reshape_3`,
    quant: invariant,
  });
  const attnOut = linear(flat, 'o');
  e.op('Add', [x, attnOut], `${L}/Add_output_0`, { name: `${L}/Add`, graphOutput: 'y' });
  e.output('y', [...TRANSFORMER_INPUT_SHAPE]);
}
