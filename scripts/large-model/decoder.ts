/**
 * A decoder-only transformer (Llama-shaped), described once against {@link LargeEmitter} so the
 * float model and its QDQ twin have the same node and tensor names. Names follow what
 * torch.onnx / optimum exports look like, scoped per layer for grouping in the viewer:
 * `/model/layers.3/self_attn/q_proj/MatMul`, `/model/layers.3/mlp/act_fn/Sigmoid`.
 *
 * Per layer: RMSNorm (Pow, ReduceMean, Add, Sqrt, Div, Mul) or LayerNormalization; attention
 * with Q/K/V MatMuls, Reshape/Transpose to heads, rotary embedding (Slice, Neg, Concat, Mul,
 * Add) on Q and K, scaled masked Softmax(q kᵀ) v, output projection; a residual Add; the same
 * norm again; a SiLU MLP (gate and up MatMuls, Sigmoid, Mul, Mul, down MatMul); a residual Add.
 * Graph inputs follow the Qualcomm AI Hub LLM exports: embeddings, rotary cos/sin and an
 * additive attention mask come in as inputs.
 */
import { attr } from '../../src/core/model/write-onnx';
import type { ActQuant, LargeEmitter } from './emitter';

/** Dimensions of the generated decoder. */
export interface DecoderShape {
  layers: number;
  hidden: number;
  heads: number;
  /** MLP inner size. */
  ffn: number;
  /** Sequence length (static, as QNN requires). */
  seq: number;
  vocab: number;
  norm: 'rms' | 'layernorm';
  /**
   * Every `flawEvery`-th layer (0: none) gets a calibrated Sigmoid output encoding instead of
   * HTP's fixed one, so the validator has findings to list (fixed-qparams).
   */
  flawEvery: number;
}

/** Names nodes inside one scope the way exporters do: `Mul`, `Mul_1`, `Mul_2`, ... */
class Scope {
  private readonly used = new Map<string, number>();
  constructor(readonly path: string) {}
  /** The next node name for `opType` in this scope. */
  name(opType: string): string {
    const n = this.used.get(opType) ?? 0;
    this.used.set(opType, n + 1);
    return `${this.path}/${n === 0 ? opType : `${opType}_${n}`}`;
  }
  child(name: string): Scope {
    return new Scope(`${this.path}/${name}`);
  }
}

const range = (min: number, max: number): ActQuant => ({ kind: 'range', min, max });
const SHARE: ActQuant = { kind: 'share-input' };

/** Writes the decoder through `e` (float or QDQ). */
export function describeDecoder(e: LargeEmitter, d: DecoderShape): void {
  const headDim = d.hidden / d.heads;
  if (!Number.isInteger(headDim) || headDim % 2 !== 0)
    throw new Error(`decoder: hidden ${d.hidden} must split into ${d.heads} heads of even size`);
  const S = d.seq;

  const op = (
    scope: Scope,
    opType: string,
    inputs: readonly string[],
    quant?: ActQuant,
    attrs?: Parameters<LargeEmitter['op']>[3]['attrs'],
  ): string => {
    const name = scope.name(opType);
    return e.op(opType, inputs, `${name}_output_0`, { name, quant, attrs });
  };

  let x = e.input('inputs_embeds', [1, S, d.hidden], { min: -4, max: 4 });
  const cos = e.input('position_cos', [1, 1, S, headDim], { min: -1, max: 1 });
  const sin = e.input('position_sin', [1, 1, S, headDim], { min: -1, max: 1 });
  const mask = e.input('attention_mask', [1, 1, S, S], { min: -100, max: 0 });

  // Shapes, axes and slice bounds are int64 and shared by every layer, as exporters fold them.
  const headsShape = e.int64('shape.heads', [1, S, d.heads, headDim]);
  const hiddenShape = e.int64('shape.hidden', [1, S, d.hidden]);
  const lastAxis = e.int64('axes.last', [-1]);
  const zero = e.int64('rope.start', [0]);
  const half = e.int64('rope.half', [headDim / 2]);
  const end = e.int64('rope.end', [headDim]);

  const norm = (scope: Scope, param: string, input: string): string => {
    if (d.norm === 'layernorm') {
      const gamma = e.weight(`${param}.weight`, [d.hidden]);
      const beta = e.constant(`${param}.bias`, [d.hidden], 0.01);
      return op(scope, 'LayerNormalization', [input, gamma, beta], range(-8, 8), {
        axis: attr.int(-1),
        epsilon: attr.float(1e-5),
      });
    }
    const two = e.constant(`${param}.pow_exponent`, [], 2);
    const eps = e.constant(`${param}.eps`, [], 1e-5);
    const gamma = e.constant(`${param}.weight`, [d.hidden], 1);
    const sq = op(scope, 'Pow', [input, two], range(0, 64));
    const mean = op(scope, 'ReduceMean', [sq, lastAxis], range(0, 64), { keepdims: attr.int(1) });
    const shifted = op(scope, 'Add', [mean, eps], range(0, 64));
    const rms = op(scope, 'Sqrt', [shifted], range(0, 8));
    const normed = op(scope, 'Div', [input, rms], range(-8, 8));
    return op(scope, 'Mul', [normed, gamma], range(-8, 8));
  };

  const linear = (
    scope: Scope,
    param: string,
    input: string,
    inDim: number,
    outDim: number,
    quant = range(-8, 8),
  ): string => {
    const w = e.weight(`${param}.weight`, [inDim, outDim]);
    return op(scope, 'MatMul', [input, w], quant);
  };

  const rotary = (scope: Scope, t: string): string => {
    const first = op(scope, 'Slice', [t, zero, half, lastAxis], SHARE);
    const second = op(scope, 'Slice', [t, half, end, lastAxis], SHARE);
    const negated = op(scope, 'Neg', [second], range(-8, 8));
    const rotated = op(scope, 'Concat', [negated, first], range(-8, 8), { axis: attr.int(-1) });
    const a = op(scope, 'Mul', [t, cos], range(-8, 8));
    const b = op(scope, 'Mul', [rotated, sin], range(-8, 8));
    return op(scope, 'Add', [a, b], range(-8, 8));
  };

  for (let l = 0; l < d.layers; l++) {
    const L = new Scope(`/model/layers.${l}`);
    const A = L.child('self_attn');
    const M = L.child('mlp');
    const P = `model.layers.${l}`;

    const h = norm(L.child('input_layernorm'), `${P}.input_layernorm`, x);
    const toHeads = (t: string): string => {
      const r = op(A, 'Reshape', [t, headsShape], SHARE);
      return op(A, 'Transpose', [r], SHARE, { perm: attr.ints([0, 2, 1, 3]) });
    };
    const q = toHeads(linear(A.child('q_proj'), `${P}.self_attn.q_proj`, h, d.hidden, d.hidden));
    const k = toHeads(linear(A.child('k_proj'), `${P}.self_attn.k_proj`, h, d.hidden, d.hidden));
    const v = toHeads(linear(A.child('v_proj'), `${P}.self_attn.v_proj`, h, d.hidden, d.hidden));
    const qr = rotary(A.child('q_rotary'), q);
    const kr = rotary(A.child('k_rotary'), k);
    const kT = op(A, 'Transpose', [kr], SHARE, { perm: attr.ints([0, 1, 3, 2]) });
    const scores = op(A, 'MatMul', [qr, e.matmulSecondInput(kT, { min: -8, max: 8 })], range(-64, 64));
    const scale = e.constant(`${P}.self_attn.scale`, [], 1 / Math.sqrt(headDim));
    const scaled = op(A, 'Mul', [scores, scale], range(-16, 16));
    const masked = op(A, 'Add', [scaled, mask], range(-100, 16));
    const probs = op(A, 'Softmax', [masked], range(0, 1), { axis: attr.int(-1) });
    const ctx = op(A, 'MatMul', [probs, e.matmulSecondInput(v, { min: -8, max: 8 })], range(-8, 8));
    const ctxT = op(A, 'Transpose', [ctx], SHARE, { perm: attr.ints([0, 2, 1, 3]) });
    const merged = op(A, 'Reshape', [ctxT, hiddenShape], SHARE);
    const attnOut = linear(A.child('o_proj'), `${P}.self_attn.o_proj`, merged, d.hidden, d.hidden);
    x = op(L, 'Add', [x, attnOut], range(-16, 16));

    const h2 = norm(L.child('post_attention_layernorm'), `${P}.post_attention_layernorm`, x);
    const gate = linear(M.child('gate_proj'), `${P}.mlp.gate_proj`, h2, d.hidden, d.ffn);
    const up = linear(M.child('up_proj'), `${P}.mlp.up_proj`, h2, d.hidden, d.ffn);
    const flawed = d.flawEvery > 0 && l % d.flawEvery === d.flawEvery - 1;
    const act = M.child('act_fn');
    const sig = op(act, 'Sigmoid', [gate], flawed ? range(0, 1.2) : { kind: 'fixed-sigmoid' });
    const silu = op(act, 'Mul', [gate, sig], range(-8, 8));
    const gated = op(M, 'Mul', [silu, up], range(-8, 8));
    const down = linear(M.child('down_proj'), `${P}.mlp.down_proj`, gated, d.ffn, d.hidden);
    x = op(L, 'Add', [x, down], range(-16, 16));
  }

  const final = norm(new Scope('/model/norm'), 'model.norm', x);
  const head = new Scope('/lm_head');
  const w = e.weight('lm_head.weight', [d.hidden, d.vocab]);
  const name = head.name('MatMul');
  e.op('MatMul', [final, w], `${name}_output_0`, { name, quant: range(-32, 32), graphOutput: 'logits' });
  e.output('logits', [1, S, d.vocab]);
}
