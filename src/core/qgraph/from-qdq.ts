/**
 * Reads the encodings of a QDQ model: every QuantizeLinear / DequantizeLinear (ai.onnx or
 * com.microsoft; 8-, 16- and 4-bit; per-tensor, per-axis, blocked) is attached to the ports of
 * the compute node it feeds or follows.
 */
import { dtypeFromCode } from '../model/dtype';
import { constantNodeValue } from '../model/constants';
import type { ConstTensor, Dim, Graph, Model, Node } from '../model/types';
import type { QuantDType, QuantEncoding } from '../encoding/encoding';
import { containerBits } from '../encoding/encoding';
import { constNumbers } from '../model/constants';
import { displayName, inputRole, type QGraph, type QNode, type QPort } from './qgraph';

const QDQ_DOMAINS = new Set(['', 'ai.onnx', 'com.microsoft']);
const QUANT_DTYPES = new Set<string>(['uint8', 'int8', 'uint16', 'int16', 'int32', 'uint4', 'int4']);

export function isQ(n: Node): boolean {
  return n.opType === 'QuantizeLinear' && QDQ_DOMAINS.has(n.domain);
}
export function isDQ(n: Node): boolean {
  return n.opType === 'DequantizeLinear' && QDQ_DOMAINS.has(n.domain);
}

/**
 * Lookups over one graph. Built to stay cheap on 100k-node models: initializers are read from
 * the graph's own map rather than copied, and for consumers only the first QuantizeLinear
 * reading each tensor is kept, which is all the extraction asks.
 */
interface Index {
  graph: Graph;
  producer: Map<string, Node>;
  /** The first Q node (in graph order) that reads each tensor, at any input. */
  firstQ: Map<string, Node>;
  /** Initializers and `Constant` outputs; a `Constant` wins over an initializer of the same name. */
  constant(name: string): ConstTensor | undefined;
  /** Declared shapes: graph inputs, then outputs, then value_info (later wins). */
  declared: Map<string, Dim[] | undefined>;
}

/** A tensor's shape: a constant's dims, else its declared shape. */
function shapeOf(ix: Index, name: string, constant = ix.constant(name)): Dim[] | undefined {
  return constant ? constant.dims : ix.declared.get(name);
}

function indexGraph(graph: Graph): Index {
  const producer = new Map<string, Node>();
  const firstQ = new Map<string, Node>();
  const constantNodes = new Map<string, ConstTensor>();
  const declared = new Map<string, Dim[] | undefined>();
  for (const v of graph.inputs) declared.set(v.name, v.shape);
  for (const v of graph.outputs) declared.set(v.name, v.shape);
  for (const v of graph.valueInfo.values()) declared.set(v.name, v.shape);
  for (const n of graph.nodes) {
    for (const o of n.outputs) if (o) producer.set(o, n);
    if (isQ(n)) for (const i of n.inputs) if (i && !firstQ.has(i)) firstQ.set(i, n);
    if (n.opType === 'Constant' && n.domain === '' && n.outputs[0]) {
      const value = constantNodeValue(n);
      if (value) constantNodes.set(n.outputs[0], value);
    }
  }
  const initializers = graph.initializers;
  return {
    graph, producer, firstQ, declared,
    constant: (name) => constantNodes.get(name) ?? initializers.get(name),
  };
}

/** The dtype a Q produces or a DQ consumes. */
function qdqDtype(n: Node, ix: Index): string | undefined {
  const zp = n.inputs[2] ? ix.constant(n.inputs[2]) : undefined;
  if (zp) return String(zp.dtype);
  if (isQ(n)) {
    const out = n.attributes.find((a) => a.name === 'output_dtype')?.attr;
    return out?.type === 'int' && out.value !== 0 ? dtypeFromCode(out.value) : 'uint8';
  }
  const x = n.inputs[0] ?? '';
  const c = ix.constant(x);
  if (c) return String(c.dtype);
  const p = ix.producer.get(x);
  if (p && isQ(p)) return qdqDtype(p, ix);
  return 'uint8';
}

export interface ReadEncodingResult {
  encoding?: QuantEncoding;
  note?: string;
}

/** The encoding a Q or DQ node applies, read from its scale, zero point and attributes. */
export function qdqEncoding(n: Node, ix: Index, dataRank: number | undefined): ReadEncodingResult {
  const dtype = qdqDtype(n, ix);
  if (!dtype || !QUANT_DTYPES.has(dtype)) return { note: `${n.opType} "${n.name}" uses dtype ${dtype}, which QuantLens does not read as a quantized type` };
  const scaleT = ix.constant(n.inputs[1] ?? '');
  if (!scaleT) return { note: `the scale of ${n.opType} "${n.name}" is computed at run time, not a constant` };
  const scale = constNumbers(scaleT);
  if (!scale) return { note: `the scale of ${n.opType} "${n.name}" is stored where QuantLens cannot read it (external data)` };
  const zpT = n.inputs[2] ? ix.constant(n.inputs[2]) : undefined;
  const zeroPoint = zpT ? constNumbers(zpT) : scale.map(() => 0);
  if (!zeroPoint) return { note: `the zero point of ${n.opType} "${n.name}" could not be read` };
  const attr = (name: string) => n.attributes.find((a) => a.name === name)?.attr;
  const axisAttr = attr('axis');
  const blockAttr = attr('block_size');
  let axis = axisAttr?.type === 'int' ? axisAttr.value : 1;
  if (axis < 0 && dataRank !== undefined) axis += dataRank;
  const blockSize = blockAttr?.type === 'int' && blockAttr.value > 0 ? blockAttr.value : undefined;
  const perTensor = scaleT.dims.length === 0 || (scale.length === 1 && !blockSize);
  const qdtype = dtype as QuantDType;
  return {
    encoding: {
      dtype: qdtype,
      bitwidth: containerBits(qdtype),
      granularity: blockSize ? 'per-block' : perTensor ? 'per-tensor' : 'per-channel',
      scale,
      zeroPoint: zeroPoint.length === scale.length ? zeroPoint : zeroPoint.length === 1 ? scale.map(() => zeroPoint[0]!) : zeroPoint,
      axis: perTensor ? undefined : axis,
      blockSize,
      origin: 'QDQ',
    },
  };
}

/** Ops that only carry quantization or are folded away: not compute nodes of their own. */
export const PLUMBING = new Set(['QuantizeLinear', 'DequantizeLinear', 'Constant']);

/**
 * Builds the quantized-graph view of a model's main graph from its Q/DQ nodes. A float model
 * yields ports without encodings.
 */
export function qgraphFromQdq(model: Model): QGraph {
  const ix = indexGraph(model.graph);
  const nodes: QNode[] = [];
  let quantized = false;
  model.graph.nodes.forEach((n, index) => {
    if (PLUMBING.has(n.opType) && QDQ_DOMAINS.has(n.domain)) return;
    const inputs: QPort[] = [];
    n.inputs.forEach((tensor, i) => {
      if (!tensor) return;
      const producer = ix.producer.get(tensor);
      const dq = producer && isDQ(producer) ? producer : undefined;
      const source = dq ? dq.inputs[0] ?? tensor : tensor;
      const value = ix.constant(source);
      const shape = shapeOf(ix, source, value);
      const enc: ReadEncodingResult = dq ? qdqEncoding(dq, ix, shape?.length) : {};
      const constant = value !== undefined;
      if (enc.encoding) quantized = true;
      inputs.push({ index: i, tensor, role: inputRole(n.opType, i, constant), constant, encoding: enc.encoding, shape, note: enc.note });
    });
    const outputs: QPort[] = [];
    n.outputs.forEach((tensor, i) => {
      if (!tensor) return;
      const q = ix.firstQ.get(tensor);
      const shape = shapeOf(ix, tensor);
      const enc = q ? qdqEncoding(q, ix, shape?.length) : {};
      if (enc.encoding) quantized = true;
      outputs.push({ index: i, tensor, role: 'activation', constant: false, encoding: enc.encoding, shape, note: enc.note });
    });
    nodes.push({ id: n.id, name: displayName(n.name, n.opType, index), opType: n.opType, domain: n.domain, inputs, outputs });
  });
  return { nodes, source: quantized ? 'qdq' : 'float', quantized };
}
