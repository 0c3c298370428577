/**
 * Patterns the toolchains fuse into one quantized node, so that the float tensors between their
 * nodes never exist on the NPU. Exporters leave them split (PyTorch's Conv/Add → ReLU before one
 * Q, opset-13 HardSwish as HardSigmoid × x, GELU as Div/Erf/Add/Mul/Mul, Linear on 3-D input as
 * MatMul + Add); reading them as float islands would be a false finding.
 *
 * - Any op → Relu/Clip whose output is quantized: the Q makes the activation redundant (ONNX
 *   Runtime qnn_node_group/conv_activation_fusion.cc for Conv, its ReluQuantFusion in general;
 *   the QNN converter folds activations into their producer; PyTorch quantizes op+relu as one).
 * - HardSigmoid → Mul(x): HardSwish (qnn_node_group/hardsigmoid_mul_fusion.cc).
 * - Div → Erf → Add → Mul (→ Mul): GELU (qnn_node_group/gelu_fusion.cc); QNN has no Erf op.
 * - MatMul(constant B) → Add(constant bias): FullyConnected with bias under the QNN converter
 *   and ExecuTorch (nn.Linear is one op); ONNX Runtime's MatMulAddFusion makes them one Gemm
 *   where the sizes allow it (matmulAddIntoGemm), else its QNN EP keeps them two nodes.
 *
 * - Pad (constant 0) → Conv/AveragePool/MaxPool: ONNX Runtime's PadFusion, a Level 1 rule that
 *   runs before its QNN EP partitions, moves the padding into the next op (PyTorch exports
 *   avg_pool2d as a Pad of zeros before the AveragePool, with no Q/DQ between).
 *
 * And two patterns whose rank-6 tensors ONNX Runtime's QNN EP rewrites to rank 5, which the HTP
 * takes (qnn_node_group/reshape_transpose_rank5.cc, gather_transpose_reshape_fusion.cc).
 */
import { FLOWS, type Flow } from '../../../rules/types';
import { opVersionAt } from '../model/opset';
import type { QNode, QPort } from './qgraph';

const ALL: readonly Flow[] = FLOWS;
/** The flows that read encodings per tensor, with no node groups. */
const CONVERTERS: readonly Flow[] = ['qnn', 'executorch'];

export interface Fusions {
  /** Float tensors inside a fused pattern, with the flows that fuse it. */
  tensors: Map<string, readonly Flow[]>;
  /** Node id → the op its pattern becomes (Erf in a GELU pattern → Gelu), and the flows that fuse it. */
  nodes: Map<string, { op: string; flows: readonly Flow[] }>;
  /** Node id → the flows that rewrite its rank-6 tensors to rank 5, and what that assumes. */
  rank5: Map<string, Rank5>;
  /**
   * Float tensors ONNX Runtime quantizes rather than fuses (its QDQ propagation moves a Q back, or
   * a DQ forward, across the op next to them), with what it does, for the finding's words.
   */
  ortQuantized: Map<string, string>;
  /**
   * MatMul products read by the Add of their bias, which every flow fuses here (ONNX Runtime where
   * the sizes are fixed): the quantizer still quantizes them, so its export has both nodes in QDQ
   * under every flow whatever the sizes, as it always had.
   */
  matmulAdd: Set<string>;
  /**
   * Float tensors of a HardSigmoid × x or a written-out GELU whose x is float here: ONNX Runtime's
   * QNN EP fuses the pattern only while x stays float (or every node in it is a QDQ node group), so
   * a quantizer that quantizes x for that flow quantizes these too.
   */
  ortWhileFloat: Set<string>;
  /** Float tensors the converters fuse away and ONNX Runtime does not, with why, for the finding's words. */
  ortUnfused: Map<string, string>;
}

const ORT_NO_HARDSWISH =
  "its QNN EP fuses HardSigmoid × x into HardSwish only for float nodes that read x by one name, and each reader of x's DequantizeLinear gets a copy of its own (EnsureUniqueDQForNodeUnit)";
const ORT_NO_GELU =
  'its QNN EP fuses a written-out GELU around a quantized x only where each of its nodes is a QDQ node group (only then do the Div and the Mul read x by one name), so the Erf, which QNN has no op for, runs on the CPU';
const ORT_RESHAPED_GEMM =
  'its MatMulAddFusion writes the MatMul and Add as a Gemm between two Reshapes (an input of rank 3 or more), so the activation reads the Reshape and the Gemm, with no QuantizeLinear right after it, forms no QDQ node group';

/**
 * How the flows treat a rank-6 pattern: those that rewrite it to rank 5 and what that assumes, or,
 * with no flow, why ONNX Runtime does not (the sizes it sees).
 */
export interface Rank5 {
  flows: readonly Flow[];
  assumes?: string;
  refused?: string;
}

const add = (m: Map<string, QNode[]>, key: string, n: QNode) => {
  const list = m.get(key);
  if (list) list.push(n);
  else m.set(key, [n]);
};

/** A tensor's size worked out from the graph (model/static-shapes.ts), where the graph fixes it. */
export type SizeOf = (tensor: string) => readonly number[] | undefined;

/**
 * `statics`: tensors computed from constants and static shapes only (foldStatic). `sizeOf`: the
 * sizes the model's static input sizes fix, for a shape no value_info declares (PyTorch writes
 * none for intermediate tensors; ONNX Runtime folds its Shape computations before partitioning).
 */
export function findFusions(
  nodes: readonly QNode[],
  statics: ReadonlySet<string> = new Set(),
  sizeOf: SizeOf = () => undefined,
  /** The model's ai.onnx opset: ONNX Runtime's PadFusion matches some op versions only. */
  opset?: number,
): Fusions {
  const readers = new Map<string, QNode[]>();
  /** Readers through a Q/DQ pair, by the compute producer's output (`from`). */
  const quantizedReaders = new Map<string, QNode[]>();
  const producer = new Map<string, QNode>();
  for (const n of nodes) {
    for (const p of n.inputs) {
      add(readers, p.tensor, n);
      add(quantizedReaders, p.from ?? p.tensor, n);
    }
    for (const p of n.outputs) producer.set(p.tensor, n);
  }
  const tensors = new Map<string, readonly Flow[]>();
  const matmulAdd = new Set<string>();
  const ortWhileFloat = new Set<string>();
  const ortUnfused = new Map<string, string>();
  const fusedNodes = new Map<string, { op: string; flows: readonly Flow[] }>();
  /**
   * The single reader of a node's only output (not a graph output), also through its Q/DQ pair:
   * ONNX Runtime's quantizer and its fusion tests quantize every tensor inside a GELU, and its QNN
   * EP fuses the QDQ form too.
   */
  const onlyReaderThroughQdq = (n: QNode): QNode | undefined => {
    const o = n.outputs[0];
    if (!o || o.graphOutput || n.outputs.length !== 1) return undefined;
    const r = o.encoding ? (quantizedReaders.get(o.tensor) ?? []) : (readers.get(o.tensor) ?? []);
    return r.length === 1 ? r[0] : undefined;
  };
  /** The single reader of a float (unquantized) output. */
  const onlyReader = (n: QNode): QNode | undefined => (n.outputs[0]?.encoding ? undefined : onlyReaderThroughQdq(n));
  /** Adds of a MatMul that ONNX Runtime turns into a Gemm between two Reshapes (A not of rank 2). */
  const reshapedGemm = new Map<string, string>();
  for (const n of nodes) {
    const next = onlyReader(n);
    if (!next) continue;
    const out = n.outputs[0]!.tensor;
    if ((next.opType === 'Relu' || next.opType === 'Clip') && next.outputs[0]?.encoding) {
      // ONNX Runtime's Gemm from a MatMul and Add on A of rank 3 or more writes its output through
      // a Reshape: the activation reads the Reshape, so the Gemm has no QuantizeLinear after it and
      // no node group there (the activation is folded only right after its op).
      const product = reshapedGemm.get(n.id);
      if (!product) tensors.set(out, ALL);
      else
        for (const t of [product, out]) {
          tensors.set(t, CONVERTERS);
          ortUnfused.set(t, ORT_RESHAPED_GEMM);
        }
    } else if (
      n.opType === 'HardSigmoid' &&
      next.opType === 'Mul' &&
      next.inputs.some((p) => sameValue(p, n.inputs[0]))
    ) {
      // ONNX Runtime's QNN EP fuses only a float HardSigmoid and Mul (node units of their own) that
      // read one tensor by name; a quantized x reaches them through two DequantizeLinear copies
      // (EnsureUniqueDQForNodeUnit), so there the pair stays two float ops.
      const quantized = ortSeesDq(n.inputs[0], opset);
      tensors.set(out, quantized ? CONVERTERS : ALL);
      if (quantized) ortUnfused.set(out, ORT_NO_HARDSWISH);
      else ortWhileFloat.add(out);
    } else if (n.opType === 'Pad' && padFusesInto(n, next, opset)) tensors.set(out, ['ort']);
    else if (
      n.opType === 'MatMul' &&
      n.inputs[1]?.constant &&
      next.opType === 'Add' &&
      next.inputs.some((p) => p.constant)
    ) {
      const gemm = matmulAddIntoGemm(n, next, sizeOf);
      tensors.set(out, gemm ? ALL : CONVERTERS);
      if (gemm) matmulAdd.add(out);
      if (gemm === 'reshaped') reshapedGemm.set(next.id, out);
    }
  }
  // GELU: x / sqrt(2) → Erf → + 1 → × x (→ × 0.5, in either order).
  for (const erf of nodes) {
    if (erf.opType !== 'Erf') continue;
    const div = producer.get(erf.inputs[0]?.from ?? erf.inputs[0]?.tensor ?? '');
    const add = onlyReaderThroughQdq(erf);
    const mul = add?.opType === 'Add' ? onlyReaderThroughQdq(add) : undefined;
    if (div?.opType !== 'Div' || !add || mul?.opType !== 'Mul' || onlyReaderThroughQdq(div) !== erf) continue;
    const x = div.inputs.find((p) => p.index === 0);
    const flows = ortFusesGelu(div, mul, producer, opset) ? ALL : CONVERTERS;
    const inner = [div, erf, add].map((t) => t.outputs[0]!.tensor);
    const last = onlyReaderThroughQdq(mul);
    if (last?.opType === 'Mul') inner.push(mul.outputs[0]!.tensor);
    for (const t of inner) tensors.set(t, flows);
    if (flows === CONVERTERS) for (const t of inner) ortUnfused.set(t, ORT_NO_GELU);
    if (!ortSeesDq(x, opset)) for (const t of inner) ortWhileFloat.add(t);
    fusedNodes.set(erf.id, { op: 'Gelu', flows });
  }
  const ortQuantized = propagatedByOrt(nodes, readers, producer, statics, opset);
  for (const t of ortQuantized.keys()) tensors.set(t, [...new Set([...(tensors.get(t) ?? []), 'ort' as const])]);
  const rank5 = new Map<string, Rank5>();
  for (const t of nodes) {
    if (t.opType !== 'Transpose') continue;
    const perm = t.attrs?.perm;
    if (!Array.isArray(perm) || perm.length !== 6) continue;
    const first = producer.get(t.inputs[0]?.from ?? t.inputs[0]?.tensor ?? '');
    const last = onlyReaderThroughQdq(t);
    if (!first || last?.opType !== 'Reshape' || onlyReaderThroughQdq(first) !== t) continue;
    const lowered = gatherTransposeReshape(first, last, perm as number[], sizeOf)
      ? {}
      : rank6ToRank5(first, last, perm as number[], statics, sizeOf);
    if (lowered)
      for (const n of [first, t, last])
        rank5.set(n.id, 'refused' in lowered ? { flows: [], ...lowered } : { flows: ['ort'], ...lowered });
  }
  return { tensors, nodes: fusedNodes, rank5, ortQuantized, matmulAdd, ortWhileFloat, ortUnfused };
}

/**
 * Float tensors that ONNX Runtime's QDQPropagationTransformer (a Level 1 optimizer, run before its
 * QNN EP partitions) puts a Q → DQ pair on (qdq_propagation.cc):
 * - backward: the float input of an op it carries Q/DQ across (Reshape, Transpose, Squeeze,
 *   Unsqueeze, Slice, MaxPool-12) whose output only a Q reads, where that input has no other
 *   reader and is no graph output; on back across such ops until a DQ (PropagateQBackward);
 * - forward: the float output of a MaxPool-12 that reads a DQ only it reads, and on across such
 *   ops (PropagateDQForward; the data-movement ops' outputs already carry the encoding here).
 */
const BACKWARD =
  'ONNX Runtime copies the QuantizeLinear after them back across the Reshape, Transpose, Squeeze, Unsqueeze, Slice or MaxPool before it (its QDQ propagation), so nothing stays float.';
const FORWARD =
  'ONNX Runtime copies the DequantizeLinear before a MaxPool forward across it and the data-movement ops after it (its QDQ propagation), so nothing stays float.';

function propagatedByOrt(
  nodes: readonly QNode[],
  readers: ReadonlyMap<string, QNode[]>,
  producer: ReadonlyMap<string, QNode>,
  statics: ReadonlySet<string>,
  opset: number | undefined,
): Map<string, string> {
  const out = new Map<string, string>();
  const carries = (n: QNode) => (!n.domain || n.domain === 'ai.onnx') && ortCarriesQdq(n.opType, opset);
  const float = (p: QPort | undefined) => !!p && !p.encoding && !p.constant && !statics.has(p.tensor);
  for (const m of nodes) {
    const o = m.outputs[0];
    if (!carries(m) || m.outputs.length !== 1 || !o?.encoding || o.inherited || o.feedsFloat || o.graphOutput) continue;
    if (o.encoding.granularity !== 'per-tensor') continue;
    for (let cur = m, depth = 0; depth < 32; depth++) {
      const input = cur.inputs.find((p) => p.index === 0);
      if (!float(input) || (readers.get(input!.tensor) ?? []).length !== 1) break;
      const from = producer.get(input!.tensor);
      if (from?.outputs.find((p) => p.tensor === input!.tensor)?.graphOutput) break;
      out.set(input!.tensor, BACKWARD);
      if (!from || !carries(from)) break;
      cur = from;
    }
  }
  for (const m of nodes) {
    if (m.opType !== 'MaxPool' || !carries(m)) continue;
    const input = m.inputs.find((p) => p.index === 0);
    // A DQ other nodes read too is no obstacle: ONNX Runtime first gives each reader a DQ of its
    // own (EnsureUniqueDQForNodeUnit, before the Level 1 optimizers).
    if (!input || !ortSeesDq(input, opset) || input.encoding!.granularity !== 'per-tensor') continue;
    const queue = [m];
    for (let n = queue.shift(), steps = 0; n && steps < 64; n = queue.shift(), steps++) {
      const o = n.outputs[0];
      if (!o || !float(o) || o.graphOutput) continue;
      out.set(o.tensor, FORWARD);
      for (const r of readers.get(o.tensor) ?? []) if (carries(r) && r.inputs[0]?.tensor === o.tensor) queue.push(r);
    }
  }
  return out;
}

/**
 * Whether ONNX Runtime's MatMulAddFusion (a Level 1 optimizer, matmul_add_fusion.cc) turns this
 * MatMul and the Add of its bias into a Gemm, which its QDQ propagation and WeightBiasQuantization
 * then make one QDQ node group: B of rank 2 with known sizes [K, N]; A of rank 2, or of fixed sizes
 * (it reshapes A to [M, K] and the result back); the bias [N], or for a rank-2 A [1, N], [M, 1] or
 * [M, N] (Gemm broadcasts C one way only). 'reshaped' where it writes Reshapes around the Gemm.
 */
function matmulAddIntoGemm(matmul: QNode, add: QNode, sizeOf: SizeOf): false | 'rank2' | 'reshaped' {
  const a = matmul.inputs.find((p) => p.index === 0);
  const b = matmul.inputs.find((p) => p.index === 1);
  const bias = add.inputs.find((p) => p.tensor !== matmul.outputs[0]?.tensor);
  const known = (dims: readonly unknown[] | undefined) =>
    dims?.every((d) => typeof d === 'number' && d >= 0) ? (dims as number[]) : undefined;
  const bDims = known(b?.shape);
  if (!a || !bias || bDims?.length !== 2) return false;
  const n = bDims[1];
  const rank = a.shape?.length ?? sizeOf(a.tensor)?.length;
  const biasDims = known(bias.shape) ?? known(sizeOf(bias.tensor));
  if (!biasDims) return false;
  if (rank === 2) {
    const m = known(a.shape)?.[0] ?? known(sizeOf(a.tensor))?.[0];
    const [r, c] = biasDims;
    const fits =
      (biasDims.length === 1 && r === n) ||
      (biasDims.length === 2 && ((r === 1 && c === n) || (m !== undefined && r === m && (c === 1 || c === n))));
    return fits && 'rank2';
  }
  // Another rank: every size of A must be fixed (it writes the Reshapes' shapes as constants).
  if (!known(a.shape) && !known(sizeOf(a.tensor))) return false;
  return biasDims.length === 1 && biasDims[0] === n && 'reshaped';
}

/**
 * Whether two inputs read one value: one tensor, or one tensor through two copies of its Q → DQ
 * pair (a graph ONNX Runtime has optimized, whose EnsureUniqueDQForNodeUnit gives each reader a
 * DequantizeLinear of its own).
 */
const sameValue = (a: QPort | undefined, b: QPort | undefined) =>
  !!a && !!b && (a.from ?? a.tensor) === (b.from ?? b.tensor);

/**
 * Whether ONNX Runtime's QNN EP fuses this written-out GELU (qnn_node_group/gelu_fusion.cc). It
 * matches the Div's first input and the Mul's root input by name, each as its node unit names it:
 * a QDQ node group by the quantized tensor its DequantizeLinear reads, a lone node by its own
 * input. InferenceSession gives each reader of a DequantizeLinear a copy of its own first
 * (EnsureUniqueDQForNodeUnit), so a quantized x keeps one name for both only where the Div and
 * that Mul are each a QDQ node group (ONNX Runtime's quantizer, its QDQ GELU tests); a float x
 * has one name anyway.
 */
function ortFusesGelu(
  div: QNode,
  mul: QNode,
  producer: ReadonlyMap<string, QNode>,
  opset: number | undefined,
): boolean {
  const x = div.inputs.find((p) => p.index === 0);
  if (!ortSeesDq(x, opset)) return true;
  const root = (n: QNode) => n.inputs.some((p) => sameValue(p, x));
  // Pattern 2 (x · (erf + 1), then · 0.5) reads x in the last but one Mul; pattern 1 in the
  // Mul that halves x before it.
  const halves = mul.inputs.map((p) => producer.get(p.from ?? p.tensor)).find((n) => n?.opType === 'Mul' && root(n));
  const rootMul = root(mul) ? mul : halves;
  const group = (n: QNode) =>
    n.inputs.every((p) => ortSeesDq(p, opset)) &&
    n.outputs.every((o) => !!o.encoding && !o.inherited && !o.feedsFloat && !o.graphOutput);
  return !!rootMul && group(div) && group(rootMul);
}

/**
 * The ops ONNX Runtime's QDQPropagationTransformer moves Q/DQ across (qdq_propagation.cc,
 * CanNodePropagate), with the versions it lists among those each op has had; and the ones its
 * Level 1 rules remove (EliminateIdentity, EliminateDropout), across which a DQ reaches the reader.
 */
const ORT_PROPAGATES = new Map<string, readonly number[]>([
  ['MaxPool', [12]],
  ['Reshape', [5, 13, 14, 19, 21]],
  ['Transpose', [1, 13, 21]],
  ['Squeeze', [1, 11, 13, 21]],
  ['Unsqueeze', [1, 11, 13, 21]],
  ['Slice', [1, 10, 11, 13]],
]);
const ORT_REMOVES = new Set(['Identity', 'Dropout']);

/**
 * Whether ONNX Runtime carries Q/DQ across `op` at `opset` (an unknown opset: the versions of
 * opsets 13 to 20, which it lists all of).
 */
export function ortCarriesQdq(op: string, opset: number | undefined): boolean {
  if (ORT_REMOVES.has(op)) return true;
  const listed = ORT_PROPAGATES.get(op);
  const v = opVersionAt(op, opset ?? 13);
  return !!listed && v !== undefined && listed.includes(v);
}

/**
 * Whether ONNX Runtime sees a DequantizeLinear right before this quantized input: the encoding was
 * written there, or carried only across ops it moves Q/DQ across too (not Flatten, Expand, Tile,
 * Gather, Split or DepthToSpace).
 */
export function ortSeesDq(p: QPort | undefined, opset: number | undefined): boolean {
  return !!p?.encoding && (!p.inherited || (p.inheritedThrough ?? []).every((op) => ortCarriesQdq(op, opset)));
}

/** The ops PadFusion moves a Pad into, with the versions VerifyNotCastChild lists. */
const PAD_FUSES_INTO = new Map<string, readonly number[]>([
  ['Conv', [1, 11]],
  ['AveragePool', [7, 10, 11, 19]],
  ['MaxPool', [1, 8, 10, 11, 12]],
]);

/**
 * Whether ONNX Runtime's PadFusion (optimizer/pad_fusion.cc) removes this float Pad, read only by
 * `next`, into `next`'s padding: Pad-2 to Pad-19 (SatisfyCondition lists 1, 2, 11, 13, 18, 19) in
 * constant mode with a constant value of 0 and constant pads, no axes input; next a Conv (1, 11),
 * AveragePool (7 to 19) or MaxPool (1 to 12) with one output and explicit padding, not an
 * AveragePool that already pads with count_include_pad 0; and (Apply) no padding of the batch or
 * channel axis, none negative.
 */
function padFusesInto(pad: QNode, next: QNode, opset: number | undefined): boolean {
  if (opset === undefined || (pad.domain && pad.domain !== 'ai.onnx') || (next.domain && next.domain !== 'ai.onnx'))
    return false;
  const padVersion = opVersionAt('Pad', opset);
  if (!padVersion || padVersion > 19 || pad.inputs.length > 3 || pad.inputs.some((p) => p.index > 2)) return false;
  if ((pad.attrs?.mode ?? 'constant') !== 'constant') return false;
  let pads: readonly number[] | undefined;
  if (padVersion >= 11) {
    const [, padsPort, valuePort] = [0, 1, 2].map((i) => pad.inputs.find((p) => p.index === i));
    if (!padsPort?.constant || !padsPort.values) return false;
    if (valuePort && (!valuePort.constant || !valuePort.values || valuePort.values.some((v) => v !== 0))) return false;
    pads = padsPort.values;
  } else {
    const value = pad.attrs?.value;
    if (value !== undefined && value !== 0) return false;
    pads = Array.isArray(pad.attrs?.pads) ? (pad.attrs.pads as number[]) : undefined;
  }
  if (!pads || pads.length < 4 || pads.length % 2 !== 0) return false;
  const half = pads.length / 2;
  if (pads[0] !== 0 || pads[1] !== 0 || pads[half] !== 0 || pads[half + 1] !== 0 || pads.some((v) => v < 0))
    return false;
  const fused = PAD_FUSES_INTO.get(next.opType);
  const v = opVersionAt(next.opType, opset);
  if (!fused || v === undefined || !fused.includes(v) || next.outputs.length > 1) return false;
  if (next.inputs[0]?.tensor !== pad.outputs[0]?.tensor) return false;
  const autoPad = next.attrs?.auto_pad;
  if (autoPad !== undefined && autoPad !== 'NOTSET') return false;
  if (next.opType === 'AveragePool') {
    const own = Array.isArray(next.attrs?.pads) ? (next.attrs.pads as number[]) : [];
    // ONNX Runtime fills in the default (0) when it loads the model.
    if (own.some((p) => p !== 0) && (next.attrs?.count_include_pad ?? 0) === 0) return false;
  }
  return true;
}

/**
 * Reshape → Transpose → Reshape through rank-6 tensors, both shapes static, whose first axis of
 * size 1 before and after the Transpose is one it leaves in place: ONNX Runtime drops that axis
 * (reshape_transpose_rank5.cc, ValidatePatternConditions). The size comes from the declared shape
 * or the Reshape's constant shape (a 0 there copies the input's dimension), else from the sizes the
 * model's static input sizes fix (a shape computed from Shape ops, as ONNX Runtime folds it before
 * its QNN EP partitions). Where none of these gives a size for the axes the Transpose keeps (an
 * input of dynamic size), the rewrite is assumed for the first of them, and the result says so.
 */
function rank6ToRank5(
  r1: QNode,
  r2: QNode,
  perm: number[],
  statics: ReadonlySet<string>,
  sizeOf: SizeOf,
): { assumes?: string } | { refused: string } | undefined {
  const isStatic = (p: QPort | undefined) => !!p && (p.constant || statics.has(p.tensor));
  if (r1.opType !== 'Reshape' || !isStatic(r1.inputs[1]) || !isStatic(r2.inputs[1])) return undefined;
  if ((r1.outputs[0]?.shape?.length ?? r1.inputs[1]?.values?.length) !== 6) return undefined;
  const declared = r1.outputs[0]?.shape;
  const spec = r1.inputs[1]?.values;
  const input = r1.inputs[0]?.shape;
  const worked = sizeOf(r1.outputs[0]!.tensor);
  const size = (d: unknown) => (typeof d === 'number' && d >= 0 ? d : undefined);
  const dim = (i: number) => size(declared?.[i]) ?? size(spec?.[i] === 0 ? input?.[i] : spec?.[i]) ?? size(worked?.[i]);
  // With every size known, ONNX Runtime's own test: the first axis of size 1 before and after the
  // Transpose must be one it leaves in place.
  const dims = [0, 1, 2, 3, 4, 5].map(dim);
  if (dims.every((d) => d !== undefined)) {
    const unit = dims.findIndex((d, i) => d === 1 && dims[perm[i]!] === 1);
    if (unit >= 0 && perm[unit] === unit) return {};
    return {
      refused: `${r1.outputs[0]!.tensor} is [${dims.join(', ')}]: ${unit < 0 ? (dims.includes(1) ? 'no axis has size 1 both before and after the Transpose' : 'no axis has size 1') : `the first axis of size 1 before and after the Transpose, ${unit}, is not one it leaves in place`}`,
    };
  }
  const kept = perm.flatMap((p, i) => (p === i ? [i] : []));
  if (kept.some((i) => dim(i) === 1)) return {};
  const unknown = kept.find((i) => dim(i) === undefined);
  return unknown === undefined ? undefined : { assumes: `dimension ${unknown} of ${r1.outputs[0]!.tensor} is 1` };
}

/**
 * Gather(axis 4) of a rank-5 input with constant rank-2 indices that cover the axis in row- or
 * column-major order, then a Transpose keeping axes 0-2, then a Reshape below rank 6: ONNX Runtime
 * rewrites it as rank-4 Reshape and Transpose (gather_transpose_reshape_fusion.cc).
 */
function gatherTransposeReshape(g: QNode, r: QNode, perm: number[], sizeOf: SizeOf): boolean {
  if (g.opType !== 'Gather') return false;
  const data = g.inputs[0];
  // The declared size, axis by axis, else the one the model's fixed input sizes give.
  const worked = data ? sizeOf(data.tensor) : undefined;
  const x = Array.from({ length: data?.shape?.length ?? worked?.length ?? 0 }, (_, i) => {
    const d = data?.shape?.[i];
    return typeof d === 'number' && d > 0 ? d : worked?.[i];
  });
  const idx = g.inputs[1];
  const axis = typeof g.attrs?.axis === 'number' ? g.attrs.axis : 0;
  if (x.length !== 5 || x.includes(undefined)) return false;
  if ((axis < 0 ? axis + 5 : axis) !== 4) return false;
  const [rows, cols] = (idx?.shape ?? []).map((d) => (typeof d === 'number' ? d : undefined));
  const v = idx?.values;
  if (idx?.shape?.length !== 2 || !rows || !cols || !v || v.length !== rows * cols || x[4] !== rows * cols)
    return false;
  const rowMajor = v.every((k, n) => k === n);
  const colMajor = v.every((k, n) => k === (n % cols) * rows + Math.floor(n / cols));
  if (!rowMajor && !colMajor) return false;
  if (perm[0] !== 0 || perm[1] !== 1 || perm[2] !== 2 || [...perm.slice(3)].sort().join() !== '3,4,5') return false;
  const outRank = r.outputs[0]?.shape?.length ?? r.inputs[1]?.values?.length;
  return outRank !== undefined && outRank < 6;
}
