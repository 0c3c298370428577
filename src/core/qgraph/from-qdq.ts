/**
 * Reads the encodings of a QDQ model: every QuantizeLinear / DequantizeLinear (ai.onnx or
 * com.microsoft; 8-, 16-, 4- and 2-bit; per-tensor, per-axis, blocked, LPBQ) is attached to the
 * ports of the compute node it feeds or follows.
 *
 * Real exporters do not write the tidy form. PyTorch's `torch.onnx.export` deduplicates equal
 * constants and feeds scales and zero points through `Identity` nodes, keeps weights as float
 * initializers behind a QuantizeLinear → DequantizeLinear pair, and writes a Linear as
 * `DequantizeLinear(weight) → Transpose → MatMul`. ONNX Runtime's quantizer writes LPBQ weights
 * as a DQ whose scale is itself a DQ of per-block integer scales. All of these are read here:
 * - constants are followed through Identity, Cast, Reshape, Squeeze, Unsqueeze and Flatten;
 * - Q(constant) → DQ is a quantized constant weight;
 * - data movement applied to a quantized constant weight is folded into the consumer's weight
 *   port (with the per-channel axis mapped through it) and is not a compute node;
 * - a tensor with no Q/DQ after a data-movement op inherits its input's encoding.
 */
import { constantNodeValue, constNumbers, smallConstValues } from '../model/constants';
import { dtypeFromCode } from '../model/dtype';
import { declaredShapes, declaredTypes } from '../model/declared-types';
import { producerIndex } from '../model/graph-index';
import { nonFloatOutputTypes } from '../model/graph-view';
import type { ConstTensor, Dim, Graph, Model, Node } from '../model/types';
import type { QuantDType, QuantEncoding } from '../encoding/encoding';
import { channelMajorBlocks, containerBits } from '../encoding/encoding';
import { dynamicShapes } from './dynamic';
import { inferRanks } from './ranks';
import { finishGraph } from './finish';
import { onnxOpset } from '../model/opset';
import { staticShapes } from '../model/static-shapes';
import { displayName, inChannelAxis, inputRole, simpleAttrs, type QGraph, type QNode, type QPort } from './qgraph';

const QDQ_DOMAINS = new Set(['', 'ai.onnx', 'com.microsoft']);
const QUANT_DTYPES = new Set<string>(['uint8', 'int8', 'uint16', 'int16', 'int32', 'uint4', 'int4', 'uint2', 'int2']);

/** Ops that only move or reshape data: constants stay constants through them, encodings pass through. */
export const DATA_MOVEMENT = new Set(['Identity', 'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Transpose']);
/** Ops whose output carries its input's encoding when no Q is written after them (converters propagate it). */
export const ENCODING_PASSES = new Set([
  ...DATA_MOVEMENT,
  'Expand',
  'Tile',
  'DepthToSpace',
  'SpaceToDepth',
  'Gather',
  'GatherElements',
  'GatherND',
  'Split',
  'Slice',
  'Dropout',
]);

export function isQ(n: Node): boolean {
  return n.opType === 'QuantizeLinear' && QDQ_DOMAINS.has(n.domain);
}
export function isDQ(n: Node): boolean {
  return n.opType === 'DequantizeLinear' && QDQ_DOMAINS.has(n.domain);
}

const isDefault = (n: Node) => n.domain === '' || n.domain === 'ai.onnx';

/**
 * Lookups over one graph. Built to stay cheap on 100k-node models: initializers are read from
 * the graph's own map rather than copied, and derived constants are resolved once, on demand.
 */
interface Index {
  graph: Graph;
  producer: Map<string, Node>;
  /** Every node reading each tensor. */
  consumers(tensor: string): readonly Node[];
  /** Initializers, `Constant` outputs, and what Identity/Cast/Reshape-family nodes make of them. */
  constant(name: string): ConstTensor | undefined;
  /** Declared shapes: graph inputs, then outputs, then value_info (later wins). */
  declared: Map<string, Dim[] | undefined>;
  /** Declared element types of the same. */
  declaredType: Map<string, string>;
  graphOutputs: Set<string>;
}

function attrInt(n: Node, name: string): number | undefined {
  const a = n.attributes.find((x) => x.name === name)?.attr;
  return a?.type === 'int' ? a.value : undefined;
}
function attrInts(n: Node, name: string): number[] | undefined {
  const a = n.attributes.find((x) => x.name === name)?.attr;
  return a?.type === 'ints' ? a.value : undefined;
}

/**
 * The dims a data-movement node gives a tensor of `dims`, or undefined when they cannot be known
 * statically (a shape computed at run time). Identity keeps them.
 */
function movedDims(n: Node, dims: readonly number[], ix: Index): number[] | undefined {
  const rank = dims.length;
  const norm = (a: number, r: number) => (a < 0 ? a + r : a);
  switch (n.opType) {
    case 'Identity':
      return [...dims];
    case 'Transpose': {
      const perm = attrInts(n, 'perm') ?? dims.map((_, i) => rank - 1 - i);
      return perm.length === rank ? perm.map((p) => dims[p]!) : undefined;
    }
    case 'Flatten': {
      const axis = norm(attrInt(n, 'axis') ?? 1, rank);
      const prod = (xs: readonly number[]) => xs.reduce((a, b) => a * b, 1);
      return [prod(dims.slice(0, axis)), prod(dims.slice(axis))];
    }
    case 'Squeeze':
    case 'Unsqueeze': {
      const axesT = n.inputs[1] ? ix.constant(n.inputs[1]) : undefined;
      const axes = attrInts(n, 'axes') ?? (axesT ? constNumbers(axesT) : undefined);
      if (n.opType === 'Squeeze') {
        if (!axes) return dims.filter((d) => d !== 1);
        const drop = new Set(axes.map((a) => norm(a, rank)));
        return dims.filter((_, i) => !drop.has(i));
      }
      if (!axes) return undefined;
      const outRank = rank + axes.length;
      const add = new Set(axes.map((a) => norm(a, outRank)));
      const out: number[] = [];
      let j = 0;
      for (let i = 0; i < outRank; i++) out.push(add.has(i) ? 1 : dims[j++]!);
      return out;
    }
    case 'Reshape': {
      const shapeT = n.inputs[1] ? ix.constant(n.inputs[1]) : undefined;
      const shape = shapeT ? constNumbers(shapeT) : undefined;
      if (!shape) return undefined;
      const total = dims.reduce((a, b) => a * b, 1);
      const allowZero = attrInt(n, 'allowzero') === 1;
      const out = shape.map((d, i) => (d === 0 && !allowZero ? dims[i]! : d));
      const known = out.reduce((a, d) => (d === -1 ? a : a * d), 1);
      return out.map((d) => (d === -1 ? (known === 0 ? 0 : total / known) : d));
    }
    default:
      return undefined;
  }
}

function indexGraph(graph: Graph): Index {
  const producer = producerIndex(graph);
  // A tensor's only reader is kept as itself, not in an array of one (most tensors have one).
  const readers = new Map<string, Node | Node[]>();
  const constantNodes = new Map<string, ConstTensor>();
  const declared = declaredShapes(graph);
  // The declared types alone: a constant's is looked up after (stated, below).
  const declaredType = declaredTypes(graph, []);
  for (const n of graph.nodes) {
    for (const i of n.inputs)
      if (i) {
        const known = readers.get(i);
        if (known === undefined) readers.set(i, n);
        else if (Array.isArray(known)) known.push(n);
        else readers.set(i, [known, n]);
      }
    if (n.opType === 'Constant' && isDefault(n) && n.outputs[0]) {
      const value = constantNodeValue(n);
      if (value) constantNodes.set(n.outputs[0], value);
    }
  }
  // Tensors the model leaves undeclared that are surely not float (a comparison's booleans, a
  // Shape's int64s): rules about float data must not take them for float (the Or of two
  // comparisons read as a float island).
  const stated = (name: string) => {
    const t = declaredType.get(name);
    if (t !== undefined && t !== 'undefined') return t;
    const c = graph.initializers.get(name) ?? constantNodes.get(name);
    return c ? String(c.dtype) : undefined;
  };
  for (const [tensor, dtype] of nonFloatOutputTypes(graph, stated)) declaredType.set(tensor, dtype);
  /**
   * Constants derived from other constants, resolved once (null: not a constant). Initializers and
   * Constant outputs are looked up where they are, and tensors whose producer cannot derive one
   * are not remembered at all: remembering every name asked about (3-5 times each) cost a 100k-node
   * graph's check ~0.2 s of map upkeep.
   */
  const resolved = new Map<string, ConstTensor | null>();
  /** Whether `p`'s output can be a constant worked out from its first input. */
  const derives = (p: Node) =>
    !!p.inputs[0] && (p.opType === 'Cast' || (DATA_MOVEMENT.has(p.opType) && p.opType !== 'Transpose')) && isDefault(p);
  const ix: Index = {
    graph,
    producer,
    consumers(tensor) {
      const known = readers.get(tensor);
      return known === undefined ? [] : Array.isArray(known) ? known : [known];
    },
    declared,
    declaredType,
    graphOutputs: new Set(graph.outputs.map((o) => o.name)),
    constant(name) {
      const direct = constantNodes.get(name) ?? graph.initializers.get(name);
      if (direct) return direct;
      const p = producer.get(name);
      if (!p || !derives(p)) return undefined;
      const known = resolved.get(name);
      if (known !== undefined) return known ?? undefined;
      resolved.set(name, null); // guards against cycles in malformed graphs
      const value = derive(name, p);
      resolved.set(name, value ?? null);
      return value;
    },
  };
  inferRanks(graph, declared, ix.constant);
  /** A constant produced from other constants by a shape-only or cast op (`p`: one that {@link derives}). */
  function derive(name: string, p: Node): ConstTensor | undefined {
    if (p.opType === 'Cast') {
      const src = ix.constant(p.inputs[0]!);
      const to = attrInt(p, 'to');
      const values = src ? constNumbers(src) : undefined;
      if (!src || to === undefined || !values) return undefined;
      const dtype = dtypeFromCode(to);
      const isInt = !dtype.startsWith('float') && dtype !== 'bfloat16';
      return {
        name,
        dtype,
        dims: src.dims,
        data: { kind: 'typed', field: 'double', values: isInt ? values.map(Math.trunc) : values },
      };
    }
    const src = ix.constant(p.inputs[0]!);
    if (!src) return undefined;
    const dims = movedDims(p, src.dims, ix);
    return dims ? { ...src, name, dims } : undefined;
  }
  return ix;
}

/**
 * A tensor's shape: a constant's dims, else its declared shape, else (Q and DQ keep shapes) the
 * shape of the Q or DQ input it was made from: ONNX Runtime's test models and many exports
 * declare the graph input's shape but not its quantized copies'.
 */
function shapeOf(ix: Index, name: string, constant = ix.constant(name)): Dim[] | undefined {
  if (constant) return constant.dims;
  let tensor = name;
  let first: Dim[] | undefined;
  for (let hop = 0; hop < 8; hop++) {
    const declared = ix.declared.get(tensor);
    // A rank without sizes (dims inferred as unknown) may have sizes further up.
    if (declared && declared.every((d) => typeof d === 'number')) return declared;
    first ??= declared;
    const p = ix.producer.get(tensor);
    if (!p || !QDQ_DOMAINS.has(p.domain) || (!isQ(p) && !isDQ(p)) || !p.inputs[0]) break;
    tensor = p.inputs[0];
  }
  return first;
}

/** The dtype a Q produces or a DQ consumes. */
function qdqDtype(n: Node, ix: Index): string | undefined {
  const zp = n.inputs[2] ? ix.constant(n.inputs[2]) : undefined;
  if (zp) return String(zp.dtype);
  if (isQ(n)) {
    const out = attrInt(n, 'output_dtype');
    return out !== undefined && out !== 0 ? dtypeFromCode(out) : 'uint8';
  }
  const x = n.inputs[0] ?? '';
  const c = ix.constant(x);
  if (c) return String(c.dtype);
  const p = ix.producer.get(x);
  if (p && isQ(p)) return qdqDtype(p, ix);
  // A DQ of a graph input or another tensor: its declared type says what it holds.
  return ix.declaredType.get(x) ?? 'uint8';
}

export interface ReadEncodingResult {
  encoding?: QuantEncoding;
  note?: string;
}

/**
 * ONNX Runtime's LPBQ form: the weight DQ's scale is the output of a DQ of per-block unsigned
 * integer scales with a per-channel float scale (optionally behind a Q). See
 * onnxruntime/core/providers/qnn/builder/qnn_node_group/lpbqgemm_fusion.cc and lpbqmatmul_fusion.cc.
 */
function lpbqScales(
  n: Node,
  ix: Index,
): { intScales: number[]; channelScales: number[]; channelAxis: number } | undefined {
  let p = ix.producer.get(n.inputs[1] ?? '');
  if (p && isQ(p)) p = ix.producer.get(p.inputs[0] ?? '');
  if (!p || !isDQ(p)) return undefined;
  const ints = ix.constant(p.inputs[0] ?? '');
  const sc = ix.constant(p.inputs[1] ?? '');
  if (!ints || !sc || !String(ints.dtype).startsWith('uint')) return undefined;
  const intScales = constNumbers(ints);
  const channelScales = constNumbers(sc);
  if (!intScales || !channelScales) return undefined;
  let axis = attrInt(p, 'axis') ?? 1;
  if (axis < 0) axis += ints.dims.length;
  const channelAxis = channelScales.length === 1 ? 0 : axis;
  // Channel-major, one per (channel, block), as QuantEncoding keeps them: the tensor is laid out as
  // the weight ([blocks, N] for a MatMul weight [K, N]), and a Conv's repeats over its kernel.
  let blockAxis = attrInt(n, 'axis') ?? 1;
  if (blockAxis < 0) blockAxis += ints.dims.length;
  const dims = ints.dims.map(Number);
  if (dims.length >= 2 && blockAxis !== channelAxis && blockAxis < dims.length)
    return { intScales: channelMajorBlocks(intScales, dims, channelAxis, blockAxis), channelScales, channelAxis };
  return { intScales, channelScales, channelAxis };
}

/** The encoding a Q or DQ node applies, read from its scale, zero point and attributes. */
export function qdqEncoding(n: Node, ix: Index, dataRank: number | undefined): ReadEncodingResult {
  const dtype = qdqDtype(n, ix);
  if (!dtype || !QUANT_DTYPES.has(dtype))
    return { note: `${n.opType} "${n.name}" uses dtype ${dtype}, which QuantLens does not read as a quantized type` };
  const qdtype = dtype as QuantDType;
  let axis = attrInt(n, 'axis') ?? 1;
  if (axis < 0 && dataRank !== undefined) axis += dataRank;
  const block = attrInt(n, 'block_size');
  const blockSize = block !== undefined && block > 0 ? block : undefined;
  const scaleT = ix.constant(n.inputs[1] ?? '');
  if (!scaleT) {
    const lpbq = blockSize ? lpbqScales(n, ix) : undefined;
    if (lpbq) {
      const bits = containerBits(qdtype);
      return {
        encoding: {
          dtype: qdtype,
          bitwidth: bits,
          granularity: 'lpbq',
          scale: lpbq.channelScales,
          zeroPoint: lpbq.channelScales.map(() => 0),
          axis: lpbq.channelAxis,
          blockAxis: axis,
          blockSize,
          perBlockIntScale: lpbq.intScales,
          compressedBitwidth: bits,
          origin: 'QDQ (LPBQ)',
        },
      };
    }
    return { note: `the scale of ${n.opType} "${n.name}" is computed at run time, not a constant` };
  }
  const scale = constNumbers(scaleT);
  if (!scale)
    return { note: `the scale of ${n.opType} "${n.name}" is stored where QuantLens cannot read it (external data)` };
  const zpT = n.inputs[2] ? ix.constant(n.inputs[2]) : undefined;
  if (n.inputs[2] && !zpT)
    return { note: `the zero point of ${n.opType} "${n.name}" is computed at run time, not a constant` };
  const zeroPoint = zpT ? constNumbers(zpT) : scale.map(() => 0);
  if (!zeroPoint) return { note: `the zero point of ${n.opType} "${n.name}" could not be read` };
  // ONNX Runtime's rule: more than one scale element is per-channel, whatever the scale's rank.
  const perTensor = scale.length === 1 && !blockSize;
  return {
    encoding: {
      dtype: qdtype,
      bitwidth: containerBits(qdtype),
      granularity: blockSize ? 'per-block' : perTensor ? 'per-tensor' : 'per-channel',
      scale,
      zeroPoint:
        zeroPoint.length === scale.length
          ? zeroPoint
          : zeroPoint.length === 1
            ? scale.map(() => zeroPoint[0]!)
            : zeroPoint,
      // A blocked DQ's axis is the block axis; its channels are on the other axis of a linear
      // weight ([K, N] blocked on 0, [N, K] on 1) and on 0 of a Conv weight blocked on 1.
      axis: perTensor ? undefined : blockSize ? (axis === 0 ? 1 : 0) : axis,
      blockAxis: blockSize ? axis : undefined,
      blockSize,
      origin: 'QDQ',
      ...(scaleT.dtype === 'float16' ? { scaleType: 'float16' as const } : {}),
    },
  };
}

/** Ops that only carry quantization or are folded away: not compute nodes of their own. */
export const PLUMBING = new Set(['QuantizeLinear', 'DequantizeLinear', 'Constant']);

/** Where a compute node's input really comes from, looking through DQ, Q(constant) and folded data movement. */
interface Traced {
  dq?: Node;
  /** The quantized or float constant behind the port, if any. */
  constant: boolean;
  /** Shape at the port (after folded data movement). */
  shape?: Dim[];
  /** Shape of the tensor the DQ reads (where its axis applies). */
  dqShape?: Dim[];
  /** Folded data-movement nodes, nearest the DQ first. */
  through: Node[];
}

/** Maps an axis of `from` dims onto `to` dims across a data-movement node; undefined when it does not survive. */
function mapAxis(node: Node, axis: number, from: readonly number[], to: readonly number[]): number | undefined {
  if (node.opType === 'Transpose') {
    const perm = attrInts(node, 'perm') ?? from.map((_, i) => from.length - 1 - i);
    const k = perm.indexOf(axis);
    return k >= 0 ? k : undefined;
  }
  // Reshape family: the axis survives where the same dim starts after the same number of elements.
  const before = from.slice(0, axis).reduce((a, b) => a * b, 1);
  let acc = 1;
  for (let k = 0; k < to.length; k++) {
    if (acc === before && to[k] === from[axis]) return k;
    acc *= to[k]!;
  }
  return undefined;
}

/** The smallest and largest integer of a quantized type (ONNX Runtime's std::numeric_limits). */
const INT_RANGE: Partial<Record<QuantDType, [number, number]>> = {
  uint8: [0, 255],
  int8: [-128, 127],
  uint16: [0, 65535],
  int16: [-32768, 32767],
};

/**
 * The encoding ONNX Runtime's DoubleQDQPairsRemover gives Q1 → DQ1 → Q2 → DQ2 in place of the two
 * pairs (double_qdq_pairs_remover.cc, FindNewZeroPointAndScale): the range both represent, in
 * float32 as it computes it. Equal pairs are left as they are.
 */
function mergedPairs(a: QuantEncoding, b: QuantEncoding): QuantEncoding {
  const [sa, sb] = [a.scale[0]!, b.scale[0]!];
  const [za, zb] = [a.zeroPoint[0]!, b.zeroPoint[0]!];
  const range = INT_RANGE[a.dtype];
  if ((za === zb && Math.abs(sa - sb) < 1e-20) || !range) return a;
  const f = Math.fround;
  const [qmin, qmax] = range;
  const lo = Math.max(f((qmin - za) * sa), f((qmin - zb) * sb));
  const hi = Math.min(f((qmax - za) * sa), f((qmax - zb) * sb));
  const scale = f(f(hi - lo) / (qmax - qmin));
  const v = f(qmin - f(lo / scale));
  // std::round: halves away from zero.
  const zeroPoint = Math.sign(v) * Math.round(Math.abs(v));
  return { ...a, scale: [scale], zeroPoint: [zeroPoint] };
}

/**
 * Where ONNX Runtime's DoubleQDQPairsRemover (a Level 1 optimizer, run until nothing changes)
 * merges back-to-back Q/DQ pairs (PyTorch writes Q → DQ → Q → DQ where two observers meet): the
 * encoding it leaves on the tensor the first Q reads, and on the tensors the last DQs write. It
 * merges a Q whose only reader is a DQ whose only reader is a Q whose readers are all DQs, each
 * pair per tensor with equal parameters and one integer type. Worked out only where asked, per
 * first Q.
 */
function ortMergedStages(ix: Index): (q1: Node) => { enc: QuantEncoding; last: string[] } | undefined {
  const memo = new Map<string, { enc: QuantEncoding; last: string[] } | undefined>();
  const perTensor = (n: Node) => {
    const e = qdqEncoding(n, ix, undefined).encoding;
    return e && e.granularity === 'per-tensor' && e.scale.length === 1 ? e : undefined;
  };
  const same = (a: QuantEncoding | undefined, b: QuantEncoding | undefined) =>
    !!a && !!b && a.dtype === b.dtype && a.scale[0] === b.scale[0] && a.zeroPoint[0] === b.zeroPoint[0];
  const only = (tensor: string | undefined) => {
    const r = tensor && !ix.graphOutputs.has(tensor) ? ix.consumers(tensor) : [];
    return r.length === 1 ? r[0] : undefined;
  };
  /** Whether a Q → DQ → Q follows: most pairs feed an op, and are left at that. */
  const backToBack = (q1: Node) => {
    const dq = only(q1.outputs[0]);
    return !!dq && isDQ(dq) && isQ(only(dq.outputs[0]) ?? dq);
  };
  const chain = (q1: Node) => {
    let dq = only(q1.outputs[0])!;
    let enc = perTensor(q1);
    if (!enc || !same(perTensor(dq), enc)) return undefined;
    let last: string[] = [];
    let lastEnc: QuantEncoding | undefined;
    for (let hop = 0; hop < 8; hop++) {
      const q2 = only(dq.outputs[0]);
      const e2 = q2 && isQ(q2) ? perTensor(q2) : undefined;
      const dq2s = q2 && e2 && !ix.graphOutputs.has(q2.outputs[0] ?? '') ? ix.consumers(q2.outputs[0] ?? '') : [];
      if (!e2 || e2.dtype !== enc.dtype || dq2s.length === 0 || !dq2s.every((d) => isDQ(d) && same(perTensor(d), e2)))
        break;
      enc = mergedPairs(enc, e2);
      last = dq2s.map((d) => d.outputs[0] ?? '');
      lastEnc = e2;
      // The merged Q reads straight into the DQ2, which now carries its parameters.
      if (dq2s.length !== 1) break;
      dq = dq2s[0]!;
    }
    // A change on either side: the producer's Q (the last pair's range the narrower), or the
    // readers' DQ (the first pair's: Inception's pool output at its own scale, then at the
    // classifier's wider one, merges to the pool's, which the Flatten after it now reads).
    return last.length > 0 && (!same(enc, perTensor(q1)) || !same(enc, lastEnc)) ? { enc, last } : undefined;
  };
  // Keyed by the Q's output tensor, not by node: object keys would give every node an identity
  // hash, slowing the reader's later reads of them (40 ms on a 100k-node graph).
  return (q1) => {
    if (!backToBack(q1)) return undefined;
    const key = q1.outputs[0] ?? '';
    if (!memo.has(key)) memo.set(key, chain(q1));
    return memo.get(key);
  };
}

/**
 * Builds the quantized-graph view of a model's main graph from its Q/DQ nodes. A float model
 * yields ports without encodings.
 */
export function qgraphFromQdq(model: Model): QGraph {
  const ix = indexGraph(model.graph);
  const merged = ortMergedStages(ix);
  /** Tensors that are constant at run time after folding: constants, DQ(constant), and data movement of them. */
  const constLike = new Map<string, Traced>();
  const folded = new Set<Node>();
  const traceConst = (t: string): Traced | undefined => {
    const known = constLike.get(t);
    if (known) return known;
    const c = ix.constant(t);
    if (c) return { constant: true, shape: c.dims, through: [] };
    const p = ix.producer.get(t);
    if (p && isDQ(p)) {
      const x = p.inputs[0] ?? '';
      const q = ix.producer.get(x);
      const src = ix.constant(x) ?? (q && isQ(q) ? ix.constant(q.inputs[0] ?? '') : undefined);
      if (src) return { dq: p, constant: true, shape: src.dims, dqShape: src.dims, through: [] };
    }
    return undefined;
  };
  // Data movement on constants is folded (converters and ONNX Runtime constant-fold it).
  for (const n of model.graph.nodes) {
    if (!DATA_MOVEMENT.has(n.opType) || !isDefault(n) || !n.inputs[0] || !n.outputs[0]) continue;
    const src = traceConst(n.inputs[0]);
    if (!src || !src.dq) continue; // plain constants are resolved by ix.constant already
    if (n.inputs.slice(1).some((i) => i && !ix.constant(i))) continue;
    const dims =
      src.shape && src.shape.every((d) => typeof d === 'number') ? movedDims(n, src.shape as number[], ix) : undefined;
    constLike.set(n.outputs[0], { ...src, shape: dims ?? ix.declared.get(n.outputs[0]), through: [...src.through, n] });
    folded.add(n);
  }

  const nodes: QNode[] = [];
  const outputPorts = new Map<string, QPort>();
  /** Merged encodings for outputs whose node comes later in the file than a reader of the chain. */
  const ortPending = new Map<string, QuantEncoding>();
  const ortOutput = (tensor: string, enc: QuantEncoding) => {
    const port = outputPorts.get(tensor);
    if (port) {
      if (port.encoding) port.ortEncoding = enc;
    } else ortPending.set(tensor, enc);
  };
  /**
   * The stages that end in `q`, read from where they are met: the compute producer's output they
   * start from, and the pair ONNX Runtime merges them into, which is set on that output too (set
   * from here rather than looked for at every output: that look cost the 100k-node decoder 50 ms).
   */
  const stagesEndingIn = (q: Node) => {
    const { from, first } = firstOfStages(q, ix);
    const ortMerged = first !== q ? merged(first) : undefined;
    if (ortMerged && from) ortOutput(from, ortMerged.enc);
    return { from, ortMerged };
  };
  const quantizedOutputs = graphOutputsOfQ(model.graph.outputs, ix);
  let quantized = false;
  model.graph.nodes.forEach((n, index) => {
    if (PLUMBING.has(n.opType) && QDQ_DOMAINS.has(n.domain)) return;
    const attrs = simpleAttrs(n.attributes);
    const inputs: QPort[] = [];
    n.inputs.forEach((tensor, i) => {
      if (!tensor) return;
      const traced = traceConst(tensor);
      const producer = ix.producer.get(tensor);
      const dq = traced?.dq ?? (producer && isDQ(producer) ? producer : undefined);
      const source = dq ? (dq.inputs[0] ?? tensor) : tensor;
      const shape = traced?.shape ?? shapeOf(ix, source);
      const dqShape = traced?.dqShape ?? shape;
      const enc: ReadEncodingResult = dq ? qdqEncoding(dq, ix, dqShape?.length) : {};
      let encoding = enc.encoding;
      const through = traced?.through ?? [];
      if (encoding && through.length > 0 && encoding.granularity !== 'per-tensor')
        encoding = remapAxes(encoding, through, dqShape, ix);
      const constant = traced?.constant ?? false;
      const role = inputRole(n.opType, i, constant);
      if (encoding && role === 'weight' && encoding.granularity === 'per-block' && encoding.blockAxis === undefined) {
        encoding = { ...encoding, blockAxis: inChannelAxis(n.opType, attrs, shape?.length) };
      }
      if (encoding) quantized = true;
      const constT = !dq && traced?.constant ? ix.constant(tensor) : undefined;
      const q = dq && !traced?.constant ? ix.producer.get(dq.inputs[0] ?? '') : undefined;
      // Back-to-back fake-quant stages (PyTorch exports Q -> DQ -> Q -> DQ where a Dropout was)
      // are one hop: `from` is the compute producer's output.
      const { from, ortMerged } = q && isQ(q) ? stagesEndingIn(q) : { from: undefined, ortMerged: undefined };
      const dtype = dq ? 'float32' : constT ? String(constT.dtype) : ix.declaredType.get(tensor);
      const values = smallConstValues(constT);
      inputs.push({
        index: i,
        tensor,
        role,
        constant,
        encoding,
        shape,
        note: enc.note,
        dtype,
        ...(values ? { values } : {}),
        ...(from ? { from } : {}),
        ...(through.length ? { foldedThrough: through.map((t) => t.name || t.opType) } : {}),
        ...(ortMerged?.last.includes(tensor) ? { ortEncoding: ortMerged.enc } : {}),
      });
    });
    const outputs: QPort[] = [];
    n.outputs.forEach((tensor, i) => {
      if (!tensor) return;
      const readers = ix.consumers(tensor);
      const q = readers.find(isQ);
      const shape = shapeOf(ix, tensor);
      const enc = q ? qdqEncoding(q, ix, shape?.length) : {};
      if (enc.encoding) quantized = true;
      const port: QPort = {
        index: i,
        tensor,
        role: 'activation',
        constant: false,
        encoding: enc.encoding,
        shape,
        note: enc.note,
        dtype: ix.declaredType.get(tensor),
      };
      // Readers of the shape only, or pass-through ops, do not make the tensor a float input.
      if (readers.some((r) => !isQ(r) && !(r.opType === 'Shape' || r.opType === 'Identity'))) port.feedsFloat = true;
      if (ix.graphOutputs.has(tensor)) port.graphOutput = true;
      const made = enc.encoding && q ? quantizedOutputs.get(q) : undefined;
      if (made) port.quantizedAs = made;
      const ort = enc.encoding ? ortPending.get(tensor) : undefined;
      if (ort) port.ortEncoding = ort;
      outputs.push(port);
      outputPorts.set(tensor, port);
    });
    // Encodings carried through data movement that has no Q/DQ of its own.
    if (ENCODING_PASSES.has(n.opType) && isDefault(n)) {
      const data = inputs.find((p) => p.index === 0);
      const carried = data && !data.encoding ? outputPorts.get(data.tensor) : undefined;
      const src = data?.encoding ?? (carried?.inherited ? carried.encoding : undefined);
      if (src && src.granularity === 'per-tensor') {
        const through = [...(data?.inheritedThrough ?? carried?.inheritedThrough ?? []), n.opType];
        for (const o of outputs)
          if (!o.encoding && !o.note) {
            o.encoding = src;
            o.inherited = true;
            o.inheritedThrough = through;
          }
      }
    }
    for (const p of inputs) {
      if (p.encoding || p.note || p.constant) continue;
      const from = outputPorts.get(p.tensor);
      if (from?.encoding && from.inherited) {
        p.encoding = from.encoding;
        p.inherited = true;
        if (from.inheritedThrough) p.inheritedThrough = from.inheritedThrough;
      }
    }
    nodes.push({
      id: n.id,
      name: displayName(n.name, n.opType, index),
      opType: n.opType,
      domain: n.domain,
      inputs,
      outputs,
      attrs,
      ...(folded.has(n) ? { folded: true } : {}),
    });
  });
  // A chain no node reads, only a graph output.
  for (const { name } of model.graph.outputs) {
    const dq = ix.producer.get(name);
    const q = dq && isDQ(dq) ? ix.producer.get(dq.inputs[0] ?? '') : undefined;
    if (q && isQ(q)) stagesEndingIn(q);
  }
  return finishGraph(nodes, 'qdq', quantized, dynamicShapes(model.graph, ix.constant), onnxOpset(model), () =>
    staticShapes(model, []),
  );
}

/**
 * The first QuantizeLinear of back-to-back stages that end in `q` (Q -> DQ -> Q -> DQ, up to 8
 * pairs), and the tensor it reads: the compute producer's output.
 */
function firstOfStages(q: Node, ix: Index): { from: string | undefined; first: Node } {
  let from = q.inputs[0];
  let first = q;
  for (let hop = 0; from && hop < 8; hop++) {
    const dq2 = ix.producer.get(from);
    const q2 = dq2?.opType === 'DequantizeLinear' ? ix.producer.get(dq2.inputs[0] ?? '') : undefined;
    if (!q2 || !isQ(q2)) break;
    from = q2.inputs[0];
    first = q2;
  }
  return { from, first };
}

/**
 * The graph outputs a QuantizeLinear makes, by that Q: its own output, or that of the DQ right
 * after it (a model that ends in Q -> DQ). From the outputs, so it costs nothing per node.
 */
function graphOutputsOfQ(outputs: readonly { name: string }[], ix: Index): Map<Node, string> {
  const out = new Map<Node, string>();
  for (const { name } of outputs) {
    let p = ix.producer.get(name);
    if (p && isDQ(p)) p = ix.producer.get(p.inputs[0] ?? '');
    if (p && isQ(p) && !out.has(p)) out.set(p, name);
  }
  return out;
}

/** The encoding of a weight seen through folded data movement: its axes follow the data. */
function remapAxes(enc: QuantEncoding, through: readonly Node[], dqShape: Dim[] | undefined, ix: Index): QuantEncoding {
  if (!dqShape || !dqShape.every((d) => typeof d === 'number')) return { ...enc, axis: undefined };
  let dims = dqShape as number[];
  let axis = enc.axis;
  let blockAxis = enc.blockAxis;
  for (const n of through) {
    const next = movedDims(n, dims, ix);
    if (!next) return { ...enc, axis: undefined, blockAxis: undefined };
    if (axis !== undefined) axis = mapAxis(n, axis, dims, next);
    if (blockAxis !== undefined) blockAxis = mapAxis(n, blockAxis, dims, next);
    dims = next;
  }
  return { ...enc, axis, blockAxis };
}
