/**
 * The ONNX reader: bytes in, {@link Model} out, or a {@link ModelLoadError} that says why not.
 *
 * Decoding uses protobufjs (static code generated from our onnx.proto). Byte fields decode as
 * views into the input, so weights are never copied; external data is only described here and
 * read later, on demand (see tensor-values.ts).
 *
 * @example
 * const model = readOnnx(new Uint8Array(await file.arrayBuffer()), { fileName: file.name });
 */
import { onnx } from './onnx/onnx-pb.js';
import { dtypeFromCode } from './dtype';
import { ModelLoadError } from './errors';
import { sniffForeignFormat } from './sniff';
import type {
  Attribute, AttributeValue, ConstTensor, Dim, Graph, Model, Node, NodeId, TensorData, TensorType, ValueInfo,
} from './types';

/** Limits that stop hostile or absurd files early; each can be raised by the caller. */
export interface ReadLimits {
  /** Largest number of nodes over all graphs. */
  maxNodes: number;
  /** Deepest nesting of sub-graphs (If inside Loop inside ...). */
  maxGraphDepth: number;
}

export const DEFAULT_READ_LIMITS: ReadLimits = { maxNodes: 2_000_000, maxGraphDepth: 32 };

export interface ReadOptions {
  fileName?: string;
  limits?: Partial<ReadLimits>;
}

/** Highest IR version whose fields this reader knows. Newer files are read with a warning. */
export const MAX_KNOWN_IR_VERSION = 10;

const ATTR_TYPE_NAMES: Record<number, AttributeValue['type']> = {
  0: 'undefined', 1: 'float', 2: 'int', 3: 'string', 4: 'tensor', 5: 'graph', 6: 'floats', 7: 'ints', 8: 'strings',
  9: 'tensors', 10: 'graphs', 11: 'sparse_tensor', 12: 'sparse_tensors', 13: 'type_proto', 14: 'type_protos',
};

const utf8 = new TextDecoder('utf-8', { fatal: false });

/**
 * Reads an ONNX model from its bytes.
 * @throws ModelLoadError when the bytes are not a readable ONNX model.
 */
export function readOnnx(bytes: Uint8Array, options: ReadOptions = {}): Model {
  const fileName = options.fileName ?? 'model.onnx';
  const limits = { ...DEFAULT_READ_LIMITS, ...options.limits };
  if (bytes.length === 0) {
    throw new ModelLoadError('empty-file', fileName, 'the file is empty (0 bytes)', 'Export the model again, or pick the .onnx file itself rather than an empty placeholder.');
  }
  const foreign = sniffForeignFormat(bytes);
  if (foreign) {
    throw new ModelLoadError('not-onnx', fileName, `this is ${foreign}, not an ONNX model`, 'Open an .onnx file (a protobuf ModelProto), for example one exported with torch.onnx.export.');
  }

  let proto: onnx.ModelProto;
  try {
    proto = onnx.ModelProto.decode(bytes);
  } catch (err) {
    throw decodeError(err, fileName, bytes.length);
  }

  const irVersion = Number(proto.irVersion ?? 0);
  if (!proto.graph) {
    if (irVersion > 0) {
      throw new ModelLoadError('truncated', fileName, `the file has an ONNX header (IR version ${irVersion}) but no graph; it is probably cut short`, 'Copy or download the file again; check that its size matches the original.');
    }
    throw new ModelLoadError('not-onnx', fileName, 'the bytes decode as protobuf but hold no ONNX graph', 'Open an .onnx model file; tensors (.pb) and other protobuf files are not models.');
  }

  const warnings: string[] = [];
  if (irVersion === 0) warnings.push('The model has no IR version; it was read as if it were IR version 3.');
  if (irVersion > MAX_KNOWN_IR_VERSION) warnings.push(`IR version ${irVersion} is newer than ${MAX_KNOWN_IR_VERSION}, the newest QuantLens knows; fields added since are ignored.`);

  const counter = { nodes: 0 };
  const graph = convertGraph(proto.graph, '', 0, { fileName, limits, counter });

  const metadata: Record<string, string> = {};
  for (const entry of proto.metadataProps ?? []) metadata[entry.key ?? ''] = entry.value ?? '';

  return {
    fileName,
    byteLength: bytes.length,
    irVersion,
    opsetImports: (proto.opsetImport ?? []).map((o) => ({ domain: o.domain ?? '', version: Number(o.version ?? 0) })),
    producerName: proto.producerName ?? '',
    producerVersion: proto.producerVersion ?? '',
    modelVersion: Number(proto.modelVersion ?? 0),
    docString: proto.docString ?? '',
    metadata,
    graph,
    functions: (proto.functions ?? []).map((f) => `${f.domain ?? ''}::${f.name ?? ''}`),
    warnings,
  };
}

function decodeError(err: unknown, fileName: string, size: number): ModelLoadError {
  const text = err instanceof Error ? err.message : String(err);
  // protobufjs reports reads past the end as "index out of range: <pos> + <len> > <end>".
  const range = /index out of range: (\d+) \+ (\d+) > (\d+)/.exec(text);
  if (range || err instanceof RangeError) {
    const at = range ? Number(range[1]) : undefined;
    const need = range ? Number(range[1]) + Number(range[2]) : undefined;
    const problem = need !== undefined && need > size
      ? `the file ends at byte ${size} but a field needs bytes up to ${need}; it is truncated or corrupt`
      : 'a length field points past the end of its message; the file is truncated or corrupt';
    return new ModelLoadError('truncated', fileName, problem, 'Copy or download the file again; check that its size matches the original.', at);
  }
  if (/max depth/i.test(text)) {
    return new ModelLoadError('limit', fileName, 'messages are nested deeper than the reader allows', 'This is not a normal model; if it is, raise the nesting limit.');
  }
  return new ModelLoadError('malformed', fileName, `the bytes are not a valid ONNX protobuf (${text})`, 'Check that this is an .onnx file and that it was saved completely.');
}

interface Ctx {
  fileName: string;
  limits: ReadLimits;
  counter: { nodes: number };
}

function convertGraph(g: onnx.IGraphProto, path: string, depth: number, ctx: Ctx): Graph {
  if (depth > ctx.limits.maxGraphDepth) {
    throw new ModelLoadError('limit', ctx.fileName, `sub-graphs are nested ${depth} deep, more than the limit of ${ctx.limits.maxGraphDepth}`, 'Raise the nesting limit if this model is genuine.');
  }
  const initializers = new Map<string, ConstTensor>();
  for (const t of g.initializer ?? []) {
    const tensor = convertTensor(t);
    initializers.set(tensor.name, tensor);
  }
  for (const s of g.sparseInitializer ?? []) {
    const values = s.values ? convertTensor(s.values) : undefined;
    if (values) initializers.set(values.name, { ...values, dims: (s.dims ?? []).map(Number), docString: 'sparse initializer' });
  }
  const valueInfo = new Map<string, ValueInfo>();
  for (const v of g.valueInfo ?? []) {
    const info = convertValueInfo(v);
    valueInfo.set(info.name, info);
  }
  const nodes: Node[] = [];
  const protoNodes = g.node ?? [];
  ctx.counter.nodes += protoNodes.length;
  if (ctx.counter.nodes > ctx.limits.maxNodes) {
    throw new ModelLoadError('limit', ctx.fileName, `the model has more than ${ctx.limits.maxNodes} nodes`, 'Raise the node limit if this model is genuine.');
  }
  for (let i = 0; i < protoNodes.length; i++) {
    nodes.push(convertNode(protoNodes[i]!, i, path, depth, ctx));
  }
  return {
    name: g.name ?? '',
    path,
    nodes,
    inputs: (g.input ?? []).map(convertValueInfo),
    outputs: (g.output ?? []).map(convertValueInfo),
    initializers,
    valueInfo,
    docString: g.docString || undefined,
  };
}

function convertNode(n: onnx.INodeProto, index: number, graphPath: string, depth: number, ctx: Ctx): Node {
  const id = (graphPath ? `${graphPath}/${index}` : String(index)) as NodeId;
  const attributes: Attribute[] = [];
  const subgraphs: Node['subgraphs'] = [];
  for (const a of n.attribute ?? []) {
    const name = a.name ?? '';
    const attr = convertAttribute(a, `${id}/${name}`, depth, ctx);
    attributes.push({ name, refAttrName: a.refAttrName || undefined, attr });
    if (attr.type === 'graph') subgraphs.push({ attribute: name, graph: attr.value });
    if (attr.type === 'graphs') attr.value.forEach((graph, k) => subgraphs.push({ attribute: `${name}[${k}]`, graph }));
  }
  return {
    id,
    index,
    name: n.name ?? '',
    opType: n.opType ?? '',
    domain: n.domain ?? '',
    inputs: [...(n.input ?? [])],
    outputs: [...(n.output ?? [])],
    attributes,
    docString: n.docString || undefined,
    subgraphs,
  };
}

function convertAttribute(a: onnx.IAttributeProto, path: string, depth: number, ctx: Ctx): AttributeValue {
  if (a.refAttrName) return { type: 'ref', value: a.refAttrName };
  let type = ATTR_TYPE_NAMES[a.type ?? 0] ?? 'undefined';
  if (type === 'undefined') type = inferAttributeType(a);
  switch (type) {
    case 'float': return { type, value: a.f ?? 0 };
    case 'int': return { type, value: Number(a.i ?? 0) };
    case 'string': return { type, value: utf8.decode(a.s ?? new Uint8Array()) };
    case 'tensor': return { type, value: convertTensor(a.t ?? {}) };
    case 'graph': return { type, value: convertGraph(a.g ?? {}, path, depth + 1, ctx) };
    case 'floats': return { type, value: [...(a.floats ?? [])] };
    case 'ints': return { type, value: (a.ints ?? []).map(Number) };
    case 'strings': return { type, value: (a.strings ?? []).map((s) => utf8.decode(s)) };
    case 'tensors': return { type, value: (a.tensors ?? []).map(convertTensor) };
    case 'graphs': return { type, value: (a.graphs ?? []).map((g, k) => convertGraph(g, `${path}[${k}]`, depth + 1, ctx)) };
    case 'sparse_tensor': case 'sparse_tensors': case 'type_proto': case 'type_protos':
      return { type, value: `(${type.replace('_', ' ')})` };
    default: return { type: 'undefined', value: null };
  }
}

/** Very old files (IR < 3) may omit the attribute type; infer it from the field that is set. */
function inferAttributeType(a: onnx.IAttributeProto): AttributeValue['type'] {
  if (a.g) return 'graph';
  if (a.t) return 'tensor';
  if (a.s && a.s.length) return 'string';
  if (a.floats && a.floats.length) return 'floats';
  if (a.ints && a.ints.length) return 'ints';
  if (a.strings && a.strings.length) return 'strings';
  if (a.graphs && a.graphs.length) return 'graphs';
  if (a.tensors && a.tensors.length) return 'tensors';
  if (a.i) return 'int';
  if (a.f) return 'float';
  return 'undefined';
}

/** Converts a TensorProto without copying its bytes. */
export function convertTensor(t: onnx.ITensorProto): ConstTensor {
  const dims = (t.dims ?? []).map(Number);
  return {
    name: t.name ?? '',
    dtype: dtypeFromCode(t.dataType ?? 0),
    dims,
    data: tensorData(t),
    docString: t.docString || undefined,
  };
}

function tensorData(t: onnx.ITensorProto): TensorData {
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
    const entries = new Map((t.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
    const offset = entries.has('offset') ? Number(entries.get('offset')) : 0;
    const lengthText = entries.get('length');
    return {
      kind: 'external',
      location: entries.get('location') ?? '',
      offset: Number.isFinite(offset) ? offset : -1,
      length: lengthText !== undefined && lengthText !== '' ? Number(lengthText) : null,
      checksum: entries.get('checksum'),
    };
  }
  if (t.rawData && t.rawData.length > 0) return { kind: 'raw', bytes: t.rawData };
  if (t.floatData && t.floatData.length) return { kind: 'typed', field: 'float', values: t.floatData };
  if (t.int32Data && t.int32Data.length) return { kind: 'typed', field: 'int32', values: t.int32Data };
  if (t.int64Data && t.int64Data.length) return { kind: 'typed', field: 'int64', values: t.int64Data.map(Number) };
  if (t.doubleData && t.doubleData.length) return { kind: 'typed', field: 'double', values: t.doubleData };
  if (t.uint64Data && t.uint64Data.length) return { kind: 'typed', field: 'uint64', values: t.uint64Data.map(Number) };
  if (t.stringData && t.stringData.length) return { kind: 'strings', values: t.stringData };
  return { kind: 'empty' };
}

function convertValueInfo(v: onnx.IValueInfoProto): ValueInfo {
  return { name: v.name ?? '', ...convertType(v.type ?? undefined), docString: v.docString || undefined };
}

function convertType(tp: onnx.ITypeProto | undefined): TensorType {
  if (!tp) return { dtype: 'unknown' };
  if (tp.tensorType) return { dtype: dtypeFromCode(tp.tensorType.elemType ?? 0), shape: convertShape(tp.tensorType.shape) };
  if (tp.sparseTensorType) return { dtype: `sparse<${dtypeFromCode(tp.sparseTensorType.elemType ?? 0)}>`, shape: convertShape(tp.sparseTensorType.shape) };
  if (tp.sequenceType) return { dtype: `sequence<${convertType(tp.sequenceType.elemType ?? undefined).dtype}>` };
  if (tp.optionalType) return { dtype: `optional<${convertType(tp.optionalType.elemType ?? undefined).dtype}>` };
  if (tp.mapType) return { dtype: `map<${dtypeFromCode(tp.mapType.keyType ?? 0)}, ${convertType(tp.mapType.valueType ?? undefined).dtype}>` };
  if (tp.opaqueType) return { dtype: `opaque<${tp.opaqueType.domain ?? ''}.${tp.opaqueType.name ?? ''}>` };
  return { dtype: 'unknown' };
}

function convertShape(shape: onnx.ITensorShapeProto | null | undefined): Dim[] | undefined {
  if (!shape) return undefined;
  return (shape.dim ?? []).map((d): Dim => {
    if (d.dimValue !== undefined && d.dimValue !== null) return Number(d.dimValue);
    if (d.dimParam) return d.dimParam;
    return null;
  });
}
