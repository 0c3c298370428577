/**
 * Rank propagation for graphs without shape information. Exporters often write no value_info
 * (PyTorch 1.13 writes none for intermediate tensors), and rank limits (rank-5 MaxPool, ArgMax
 * over rank 5, LayerNorm on a non-last axis) need ranks, not dims. Ranks follow from the op
 * types and the few constants that reshape; what cannot be known stays unknown.
 */
import { constNumbers } from '../model/constants';
import type { ConstTensor, Dim, Graph, Node } from '../model/types';

/** Ops whose output 0 (and every output) has input 0's rank. */
const SAME_RANK = new Set([
  'QuantizeLinear',
  'DequantizeLinear',
  'Identity',
  'Dropout',
  'Relu',
  'Clip',
  'Sigmoid',
  'Tanh',
  'HardSigmoid',
  'HardSwish',
  'Gelu',
  'Elu',
  'LeakyRelu',
  'PRelu',
  'Softmax',
  'LogSoftmax',
  'Cast',
  'Neg',
  'Abs',
  'Sqrt',
  'Exp',
  'Log',
  'Erf',
  'Reciprocal',
  'Floor',
  'Ceil',
  'Round',
  'Sign',
  'Sin',
  'Cos',
  'Tan',
  'Atan',
  'Asin',
  'Softplus',
  'Not',
  'IsNaN',
  'BatchNormalization',
  'InstanceNormalization',
  'LayerNormalization',
  'GroupNormalization',
  'RMSNormalization',
  'SimplifiedLayerNormalization',
  'LpNormalization',
  'LRN',
  'Conv',
  'ConvTranspose',
  'MaxPool',
  'AveragePool',
  'GlobalAveragePool',
  'GlobalMaxPool',
  'Resize',
  'Upsample',
  'Pad',
  'Slice',
  'DepthToSpace',
  'SpaceToDepth',
  'CumSum',
  'Tile',
  'TopK',
  'Split',
  'Concat',
  'GatherElements',
  'ScatterElements',
  'ScatterND',
  'QuickGelu',
]);
/** Elementwise ops with broadcasting: the largest input rank. */
const BROADCAST = new Set([
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Pow',
  'Max',
  'Min',
  'Sum',
  'Mean',
  'Mod',
  'Equal',
  'Greater',
  'GreaterOrEqual',
  'Less',
  'LessOrEqual',
  'And',
  'Or',
  'Xor',
  'Where',
]);
const REDUCE = new Set([
  'ReduceMean',
  'ReduceSum',
  'ReduceMax',
  'ReduceMin',
  'ReduceProd',
  'ReduceL2',
  'ReduceL1',
  'ReduceSumSquare',
  'ReduceLogSumExp',
]);

function attr(n: Node, name: string): number | number[] | undefined {
  const a = n.attributes.find((x) => x.name === name)?.attr;
  return a?.type === 'int' || a?.type === 'ints' ? a.value : undefined;
}

/** The rank of output 0 of `n`, from its inputs' ranks, or undefined. */
function outputRank(
  n: Node,
  rankOf: (t: string) => number | undefined,
  constant: (t: string) => ConstTensor | undefined,
  lengthOf: (t: string) => number | undefined = () => undefined,
): number | undefined {
  const r0 = n.inputs[0] ? rankOf(n.inputs[0]) : undefined;
  const constLen = (i: number) => {
    const t = n.inputs[i];
    if (!t) return undefined;
    const c = constant(t);
    return c ? constNumbers(c)?.length : lengthOf(t);
  };
  if (n.domain !== '' && n.domain !== 'ai.onnx' && n.domain !== 'com.microsoft') return undefined;
  if (SAME_RANK.has(n.opType)) return r0;
  if (BROADCAST.has(n.opType)) {
    const ranks = n.inputs.filter(Boolean).map((t) => rankOf(t));
    return ranks.every((r) => r !== undefined) ? Math.max(...(ranks as number[])) : undefined;
  }
  switch (n.opType) {
    case 'Flatten':
    case 'Gemm':
      return 2;
    case 'Shape':
    case 'Size':
      return n.opType === 'Shape' ? 1 : 0;
    case 'Transpose': {
      const p = attr(n, 'perm');
      return Array.isArray(p) ? p.length : r0;
    }
    case 'Reshape':
      return constLen(1);
    case 'Expand': {
      const l = constLen(1);
      return l !== undefined && r0 !== undefined ? Math.max(l, r0) : undefined;
    }
    case 'MatMul':
    case 'FusedMatMul': {
      const r1 = n.inputs[1] ? rankOf(n.inputs[1]) : undefined;
      if (r0 === undefined || r1 === undefined) return undefined;
      return r0 === 1 || r1 === 1 ? Math.max(r0, r1) - 1 : Math.max(r0, r1);
    }
    case 'MatMulNBits':
      // ONNX Runtime's contrib op: Y is A with its last dimension K made N.
      return n.domain === 'com.microsoft' ? r0 : undefined;
    case 'Squeeze':
    case 'Unsqueeze': {
      const a = attr(n, 'axes');
      const count = Array.isArray(a) ? a.length : constLen(1);
      if (r0 === undefined || count === undefined) return undefined;
      return n.opType === 'Squeeze' ? r0 - count : r0 + count;
    }
    case 'Gather': {
      const r1 = n.inputs[1] ? rankOf(n.inputs[1]) : undefined;
      return r0 !== undefined && r1 !== undefined ? r0 + r1 - 1 : undefined;
    }
    case 'ArgMax':
    case 'ArgMin':
      return r0 === undefined ? undefined : attr(n, 'keepdims') === 0 ? r0 - 1 : r0;
    default:
      break;
  }
  if (REDUCE.has(n.opType)) {
    if (r0 === undefined) return undefined;
    if (attr(n, 'keepdims') !== 0) return r0;
    const a = attr(n, 'axes');
    const count = Array.isArray(a) ? a.length : constLen(1);
    return count === undefined ? (n.inputs[1] ? undefined : 0) : r0 - count;
  }
  return undefined;
}

/**
 * Fills `declared` with rank-only shapes (every dim unknown) for tensors that have none, in
 * graph order. Declared and constant shapes win.
 */
export function inferRanks(
  graph: Graph,
  declared: Map<string, Dim[] | undefined>,
  constant: (t: string) => ConstTensor | undefined,
): void {
  const rankOf = (t: string) => constant(t)?.dims.length ?? declared.get(t)?.length;
  // Lengths of computed 1-D shape tensors (Shape → Gather → Unsqueeze → Concat → Reshape, as
  // PyTorch exports x.view(b, h, ...)): a Reshape's output rank is its shape input's length.
  const lengths = new Map<string, number>();
  const lengthOf = (t: string) => {
    const c = constant(t);
    if (c) return c.dims.length === 0 ? 0 : c.dims.length === 1 ? c.dims[0] : undefined;
    return lengths.get(t);
  };
  for (const n of graph.nodes) {
    const out = n.outputs[0];
    if (out && (n.domain === '' || n.domain === 'ai.onnx')) {
      const axes = attr(n, 'axes');
      let len: number | undefined;
      if (n.opType === 'Shape' && attr(n, 'start') === undefined && attr(n, 'end') === undefined)
        len = n.inputs[0] ? rankOf(n.inputs[0]) : undefined;
      else if (n.opType === 'Unsqueeze' && n.inputs[0] && lengthOf(n.inputs[0]) === 0) {
        const count = Array.isArray(axes) ? axes.length : constant(n.inputs[1] ?? '')?.dims[0];
        len = count === 1 ? 1 : undefined;
      } else if (n.opType === 'Concat' && attr(n, 'axis') === 0) {
        const parts = n.inputs.map((t) => (t ? lengthOf(t) : undefined));
        len = parts.every((p) => p !== undefined && p > 0) ? (parts as number[]).reduce((a, b) => a + b, 0) : undefined;
      } else if (n.opType === 'Gather' && n.inputs[1] && constant(n.inputs[1])?.dims.length === 0) len = 0;
      else if ((n.opType === 'Cast' || n.opType === 'Floor') && n.inputs[0]) len = lengthOf(n.inputs[0]);
      else if (['Add', 'Sub', 'Mul', 'Div'].includes(n.opType) && n.inputs.every((t) => !!t && lengthOf(t) === 0))
        len = 0;
      if (len !== undefined) lengths.set(out, len);
    }
    const r = outputRank(n, rankOf, constant, lengthOf);
    if (r === undefined || r < 0 || r > 64) continue;
    const outs = n.opType === 'TopK' || n.opType === 'Split' ? n.outputs : n.outputs.slice(0, 1);
    for (const o of outs) if (o && declared.get(o) === undefined) declared.set(o, new Array<Dim>(r).fill(null));
  }
  // Back through Q/DQ, which keep a shape as it is: a QDQ export's graph output is its last DQ's,
  // declared, while the tensor the model computed before the Q (renamed by the export) often has
  // no value_info and comes from an op whose rank cannot be worked out forward (an Unsqueeze of
  // axes given at run time), yet it is the one a rank limit judges.
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const n = graph.nodes[i]!;
    if (n.opType !== 'QuantizeLinear' && n.opType !== 'DequantizeLinear') continue;
    const [input] = n.inputs;
    const shape = n.outputs[0] ? declared.get(n.outputs[0]) : undefined;
    if (input && shape && declared.get(input) === undefined && !constant(input)) declared.set(input, [...shape]);
  }
}
