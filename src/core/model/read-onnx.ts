/**
 * The ONNX reader: bytes in, {@link Model} out, or a {@link ModelLoadError} that says why not.
 * Nothing else escapes: an unexpected exception while reading becomes a `malformed` error that
 * keeps the original as its `cause` (see {@link isInternalLoadError}).
 *
 * A well-formed file decodes straight into the IR (read-direct.ts); any other, and any file that
 * reaches a limit or needs a warning, through protobufjs (static code generated from our
 * onnx.proto), whose errors say what is wrong. Both give the same model for the same bytes. Byte
 * fields decode as views into the input, so weights are never copied; external data is only
 * described here and read later, on demand (see tensor-values.ts). Every size the file controls is checked against
 * a configurable limit (see limits.ts) before it can cost memory or time.
 *
 * @example
 * const model = readOnnx(new Uint8Array(await file.arrayBuffer()), { fileName: file.name });
 */
import { orderAfter } from './node-order';
import { walkFields } from './protobuf-wire';
import { readDirect } from './read-direct';
import { onnx } from './onnx/generated/onnx-pb.js';
import $protobuf, { internStrings } from './onnx/pb-runtime.js';
import { dtypeFromCode } from './dtype';
import { ModelLoadError } from './errors';
import { DEFAULT_LOAD_LIMITS, describeLimit, resolveLimits, type LoadLimits } from './limits';
import { sniffForeignFormat } from './sniff';
import { ATTR_TYPE_NAMES, externalData, selfDeferred, textOf, unusableExternal, utf8 } from './proto-values';
import type {
  Attribute,
  AttributeValue,
  ConstTensor,
  Dim,
  Graph,
  Model,
  Node,
  NodeId,
  TensorData,
  TensorType,
  ValueInfo,
} from './types';

/** The limits {@link readOnnx} applies; all of {@link LoadLimits}, of which it uses the model ones. */
export type ReadLimits = LoadLimits;

/** The default limits (see limits.ts for what each one means). */
export const DEFAULT_READ_LIMITS: Readonly<ReadLimits> = DEFAULT_LOAD_LIMITS;

export interface ReadOptions {
  fileName?: string;
  /** Overrides of single limits; the others keep their defaults. */
  limits?: Partial<ReadLimits>;
  /**
   * The bytes are a skeleton of the file (io/skeleton.ts): tensors pointing at SELF_LOCATION are
   * `deferred`, their data at that offset of the model file itself, whose size `fileBytes` is.
   * Elsewhere that location (it holds a NUL) is refused like any other unsafe one.
   */
  skeleton?: { fileBytes: number };
  /**
   * Reads through protobufjs only, never the direct decoder (read-direct.ts): the tests that hold
   * the two to the same model use it.
   */
  general?: boolean;
}

/** Highest IR version whose fields this reader knows. Newer files are read with a warning. */
export const MAX_KNOWN_IR_VERSION = 10;

/** At most this many warnings of one kind are listed; the rest are counted. */
const MAX_WARNINGS_PER_KIND = 5;

const RAISE_HINT = (key: keyof LoadLimits) =>
  `If the model is genuine, raise ${key} in the load limits; otherwise the file is corrupt.`;
const TRUNCATED_HINT = 'Copy or download the file again; check that its size matches the original.';

/**
 * Reads an ONNX model from its bytes.
 * @throws ModelLoadError when the bytes are not a readable ONNX model, or exceed a limit.
 */
export function readOnnx(bytes: Uint8Array, options: ReadOptions = {}): Model {
  const fileName = options.fileName ?? 'model.onnx';
  try {
    return readUnguarded(bytes, fileName, resolveLimits(options.limits), options.skeleton, options.general);
  } catch (err) {
    if (err instanceof ModelLoadError) throw err;
    if (isStackOverflow(err)) {
      throw new ModelLoadError(
        'limit',
        fileName,
        'the model is nested too deeply to read (beyond what maxGraphDepth and maxMessageDepth allowed)',
        'Lower maxGraphDepth or maxMessageDepth in the load limits; no real model nests this deep.',
      );
    }
    const why = err instanceof Error ? err.message : String(err);
    const wrapped = new ModelLoadError(
      'malformed',
      fileName,
      `could not be read: QuantLens failed on this file (${why})`,
      'This is a QuantLens bug if the file opens in other tools (for example Netron); please report it with the file.',
    );
    (wrapped as Error).cause = err;
    throw wrapped;
  }
}

/**
 * True for the error {@link readOnnx} throws when its own code failed (as opposed to the file
 * being bad): a `malformed` error carrying the original exception as `cause`. Fuzz tests count
 * these as crashes.
 */
export function isInternalLoadError(err: unknown): err is ModelLoadError & { cause: unknown } {
  return err instanceof ModelLoadError && (err as Error).cause !== undefined;
}

function readUnguarded(
  bytes: Uint8Array,
  fileName: string,
  limits: LoadLimits,
  skeleton?: { fileBytes: number },
  general = false,
): Model {
  if (bytes.length === 0) {
    throw new ModelLoadError(
      'empty-file',
      fileName,
      'the file is empty (0 bytes)',
      'Export the model again, or pick the .onnx file itself rather than an empty placeholder.',
    );
  }
  const fileBytes = skeleton?.fileBytes ?? bytes.length;
  if (fileBytes > limits.maxFileBytes) {
    throw new ModelLoadError(
      'limit',
      fileName,
      `the file is ${fileBytes.toLocaleString('en-US')} bytes, more than ${describeLimit(limits, 'maxFileBytes')}`,
      `${RAISE_HINT('maxFileBytes')} Models over 2 GiB must keep their weights in external-data files.`,
    );
  }
  const foreign = sniffForeignFormat(bytes);
  if (foreign) {
    throw new ModelLoadError(
      'not-onnx',
      fileName,
      `this is ${foreign}, not an ONNX model`,
      'Open an .onnx file (a protobuf ModelProto), for example one exported with torch.onnx.export.',
    );
  }

  // Well-formed files decode straight into the IR (read-direct.ts); any other file, and every
  // file the direct decoder leaves, through protobufjs, whose errors and warnings say what is wrong.
  const direct = general ? undefined : withDecoderSettings(limits, () => readDirect(bytes, limits, !!skeleton));
  const proto = direct ? undefined : decodeModel(bytes, fileName, limits);
  if (proto && !proto.graph) {
    // Serializers write fields in number order: opset imports (8) and later fields after the graph
    // (7) mean the file is complete and simply has no graph.
    if (
      (proto.opsetImport?.length ?? 0) > 0 ||
      (proto.metadataProps?.length ?? 0) > 0 ||
      (proto.functions?.length ?? 0) > 0
    ) {
      throw new ModelLoadError(
        'malformed',
        fileName,
        'the file is a complete ONNX model (it has opset imports or fields written after the graph) but holds no graph',
        'Export the model again; an ONNX model must hold a graph.',
      );
    }
    if (Number(proto.irVersion ?? 0) > 0) {
      throw new ModelLoadError(
        'truncated',
        fileName,
        `the file has an ONNX header (IR version ${Number(proto.irVersion)}) but no graph; it is probably cut short`,
        TRUNCATED_HINT,
      );
    }
    throw new ModelLoadError(
      'not-onnx',
      fileName,
      'the bytes decode as protobuf but hold no ONNX graph',
      'Open an .onnx model file; tensors (.pb) and other protobuf files are not models.',
    );
  }
  const head = direct ?? {
    irVersion: Number(proto!.irVersion ?? 0),
    opsetImports: (proto!.opsetImport ?? []).map((o) => ({ domain: o.domain ?? '', version: Number(o.version ?? 0) })),
    producerName: proto!.producerName ?? '',
    producerVersion: proto!.producerVersion ?? '',
    modelVersion: Number(proto!.modelVersion ?? 0),
    docString: proto!.docString ?? '',
    metadata: (proto!.metadataProps ?? []).map((e): [string, string] => [e.key ?? '', e.value ?? '']),
    functions: (proto!.functions ?? []).map((f) => `${f.domain ?? ''}::${f.name ?? ''}`),
  };
  const irVersion = head.irVersion;

  const warnings = new Warnings();
  if (irVersion === 0) warnings.add('ir', 'The model has no IR version; it was read as if it were IR version 3.');
  if (irVersion > MAX_KNOWN_IR_VERSION)
    warnings.add(
      'ir',
      `IR version ${irVersion} is newer than ${MAX_KNOWN_IR_VERSION}, the newest QuantLens knows; fields added since are ignored.`,
    );

  const ctx: Ctx = { fileName, skeleton: !!skeleton, limits, counter: { nodes: 0 }, warnings };
  const graph = direct ? direct.graph : convertGraph(proto!.graph!, '', 0, ctx);
  checkStructure(graph, NO_NAMES, ctx);

  // Keys are arbitrary strings from the file: define them, so `__proto__` is a key like any other.
  const metadata: Record<string, string> = {};
  for (const [key, value] of head.metadata) {
    Object.defineProperty(metadata, key, { value, enumerable: true, writable: true, configurable: true });
  }

  return {
    fileName,
    byteLength: fileBytes,
    irVersion,
    opsetImports: head.opsetImports,
    producerName: head.producerName,
    producerVersion: head.producerVersion,
    modelVersion: head.modelVersion,
    docString: head.docString,
    metadata,
    graph,
    functions: head.functions,
    warnings: warnings.list(),
  };
}

/**
 * Runs `decode` with protobufjs set up as both decoders need it: its recursion limit at
 * maxMessageDepth (the generated decoders read it from the Reader class on every call; decoding
 * is synchronous, so setting it for the call is safe) and strings interned.
 */
function withDecoderSettings<T>(limits: LoadLimits, decode: () => T): T {
  const saved = $protobuf.Reader.recursionLimit;
  $protobuf.Reader.recursionLimit = limits.maxMessageDepth;
  internStrings(true);
  try {
    return decode();
  } finally {
    internStrings(false);
    $protobuf.Reader.recursionLimit = saved;
  }
}

function decodeModel(bytes: Uint8Array, fileName: string, limits: LoadLimits): onnx.ModelProto {
  const reader = $protobuf.Reader.create(bytes);
  try {
    return withDecoderSettings(limits, () => onnx.ModelProto.decode(reader));
  } catch (err) {
    throw decodeError(err, fileName, bytes, reader.pos, limits);
  }
}

function isStackOverflow(err: unknown): boolean {
  return err instanceof RangeError && /call stack/i.test(err.message);
}

/** Turns a protobufjs decode failure into an error that says what broke and where. */
function decodeError(
  err: unknown,
  fileName: string,
  bytes: Uint8Array,
  pos: number,
  limits: LoadLimits,
): ModelLoadError {
  const text = err instanceof Error ? err.message : String(err);
  if (/max depth/i.test(text) || isStackOverflow(err)) {
    return new ModelLoadError(
      'limit',
      fileName,
      `protobuf messages are nested deeper than ${describeLimit(limits, 'maxMessageDepth')}`,
      RAISE_HINT('maxMessageDepth'),
      pos,
    );
  }
  // A field that runs past the end of the file is the signature of a cut-short file.
  const cut = findTruncation(bytes);
  if (cut) {
    const problem =
      cut.need !== undefined
        ? `the file ends at byte ${bytes.length} but the field starting at byte ${cut.at} needs bytes up to ${cut.need}; it is truncated (or that field's length is corrupt)`
        : `the file ends in the middle of the field starting at byte ${cut.at}; it is truncated`;
    return new ModelLoadError('truncated', fileName, problem, TRUNCATED_HINT, cut.at);
  }
  // protobufjs reports reads past the end of a message as "index out of range: <pos> + <len> > <end>".
  const range = /index out of range: (\d+) \+ (\d+) > (\d+)/.exec(text);
  const at = range ? Number(range[1]) : pos;
  const hint = 'The file is corrupt: check that it is an .onnx file and was saved and copied completely.';
  if (range || err instanceof RangeError) {
    return new ModelLoadError(
      'malformed',
      fileName,
      'a length field points past the end of its enclosing message, or a packed field does not fill its length',
      hint,
      at,
    );
  }
  const wire = /invalid wire type (\d+)/.exec(text);
  if (wire)
    return new ModelLoadError('malformed', fileName, `a field has the invalid protobuf wire type ${wire[1]}`, hint, at);
  if (/end group/i.test(text))
    return new ModelLoadError('malformed', fileName, 'a protobuf group is not closed properly', hint, at);
  if (/varint|tag encoding|length encoding/i.test(text))
    return new ModelLoadError(
      'malformed',
      fileName,
      `a number is not valid protobuf varint encoding (${text})`,
      hint,
      at,
    );
  if (/field number 0/.test(text))
    return new ModelLoadError('malformed', fileName, 'a field has the invalid number 0', hint, at);
  return new ModelLoadError(
    'malformed',
    fileName,
    `the bytes are not a valid ONNX protobuf (${text})`,
    'Check that this is an .onnx file and that it was saved completely.',
    at,
  );
}

/**
 * The first top-level field of the ModelProto that runs past the end of the bytes, if any (nested
 * messages are not entered: a cut anywhere inside the graph shows up as the top-level graph field
 * running past the end); undefined for bytes that are complete, or corrupt rather than cut.
 */
function findTruncation(bytes: Uint8Array): { at: number; need?: number } | undefined {
  const walk = walkFields(bytes, () => undefined);
  return walk.kind === 'truncated' ? walk : undefined;
}

/** Warnings grouped by kind, each kind listed at most {@link MAX_WARNINGS_PER_KIND} times. */
class Warnings {
  private readonly out: string[] = [];
  private readonly counts = new Map<string, number>();
  add(kind: string, text: string): void {
    const n = (this.counts.get(kind) ?? 0) + 1;
    this.counts.set(kind, n);
    if (n <= MAX_WARNINGS_PER_KIND) this.out.push(text);
  }
  list(): string[] {
    const out = [...this.out];
    for (const [kind, n] of this.counts) {
      if (n > MAX_WARNINGS_PER_KIND) out.push(`… and ${n - MAX_WARNINGS_PER_KIND} more warnings like these (${kind}).`);
    }
    return out;
  }
}

interface Ctx {
  fileName: string;
  skeleton: boolean;
  limits: LoadLimits;
  counter: { nodes: number };
  warnings: Warnings;
}

/** "the main graph" or "sub-graph 12/then_branch", for messages. */
function graphLabel(path: string): string {
  return path ? `sub-graph ${clipPath(path)}` : 'the main graph';
}

/** A node or graph path short enough for a message: deep nesting keeps its start and its end. */
function clipPath(path: string): string {
  return path.length <= 90 ? path : `${path.slice(0, 30)}…${path.slice(-55)}`;
}

function limitError(ctx: Ctx, key: keyof LoadLimits, problem: string): ModelLoadError {
  return new ModelLoadError(
    'limit',
    ctx.fileName,
    `${problem}, more than ${describeLimit(ctx.limits, key)}`,
    RAISE_HINT(key),
  );
}

function convertGraph(g: onnx.IGraphProto, path: string, depth: number, ctx: Ctx): Graph {
  if (depth > ctx.limits.maxGraphDepth) {
    throw limitError(ctx, 'maxGraphDepth', `sub-graphs are nested ${depth} deep (at ${graphLabel(path)})`);
  }
  const protoNodes = g.node ?? [];
  ctx.counter.nodes += protoNodes.length;
  if (ctx.counter.nodes > ctx.limits.maxNodes) {
    throw limitError(
      ctx,
      'maxNodes',
      `the model has at least ${ctx.counter.nodes.toLocaleString('en-US')} nodes (counted up to ${graphLabel(path)})`,
    );
  }
  const where = graphLabel(path);
  const initializers = new Map<string, ConstTensor>();
  const addInitializer = (tensor: ConstTensor) => {
    if (initializers.has(tensor.name))
      ctx.warnings.add(
        'duplicate initializer',
        `In ${where}, more than one initializer is named "${tensor.name}"; the last one is used.`,
      );
    initializers.set(tensor.name, tensor);
  };
  for (const t of g.initializer ?? [])
    addInitializer(checkedTensor(t, `initializer "${t.name ?? ''}" in ${where}`, ctx));
  for (const s of g.sparseInitializer ?? []) {
    const values = s.values
      ? checkedTensor(s.values, `sparse initializer "${s.values.name ?? ''}" in ${where}`, ctx)
      : undefined;
    if (!values) continue;
    const dims = (s.dims ?? []).map(Number);
    checkDims(dims, `sparse initializer "${values.name}" in ${where}`, ctx);
    addInitializer({ ...values, dims, docString: 'sparse initializer' });
  }
  const valueInfo = new Map<string, ValueInfo>();
  for (const v of g.valueInfo ?? []) {
    const info = convertValueInfo(v, where, ctx);
    valueInfo.set(info.name, info);
  }
  const nodes: Node[] = [];
  for (let i = 0; i < protoNodes.length; i++) {
    nodes.push(convertNode(protoNodes[i]!, i, path, depth, ctx));
  }
  return {
    name: g.name ?? '',
    path,
    nodes,
    inputs: (g.input ?? []).map((v) => convertValueInfo(v, where, ctx)),
    outputs: (g.output ?? []).map((v) => convertValueInfo(v, where, ctx)),
    initializers,
    valueInfo,
    docString: g.docString || undefined,
  };
}

function convertNode(n: onnx.INodeProto, index: number, graphPath: string, depth: number, ctx: Ctx): Node {
  const id = (graphPath ? `${graphPath}/${index}` : String(index)) as NodeId;
  const attributes: Attribute[] = [];
  const subgraphs: Node['subgraphs'] = [];
  const where = `node ${clipPath(id)} (${n.opType || 'no op type'}${n.name ? ` "${n.name}"` : ''})`;
  for (const a of n.attribute ?? []) {
    const name = a.name ?? '';
    const attr = convertAttribute(a, `${id}/${name}`, `attribute "${name}" of ${where}`, depth, ctx);
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

function convertAttribute(
  a: onnx.IAttributeProto,
  path: string,
  where: string,
  depth: number,
  ctx: Ctx,
): AttributeValue {
  if (a.refAttrName) return { type: 'ref', value: a.refAttrName };
  let type = ATTR_TYPE_NAMES[a.type ?? 0] ?? 'undefined';
  if (type === 'undefined') type = inferAttributeType(a);
  switch (type) {
    case 'float':
      return { type, value: a.f ?? 0 };
    case 'int':
      return { type, value: Number(a.i ?? 0) };
    case 'string': {
      const text = textOf(a.s ?? new Uint8Array());
      return text === undefined ? { type: 'bytes', value: a.s!.length } : { type, value: text };
    }
    case 'tensor':
      return { type, value: checkedTensor(a.t ?? {}, `tensor ${where}`, ctx) };
    case 'graph':
      return { type, value: convertGraph(a.g ?? {}, path, depth + 1, ctx) };
    case 'floats':
      return { type, value: [...(a.floats ?? [])] };
    case 'ints':
      return { type, value: (a.ints ?? []).map(Number) };
    case 'strings':
      return { type, value: (a.strings ?? []).map((s) => utf8.decode(s)) };
    case 'tensors':
      return { type, value: (a.tensors ?? []).map((t, k) => checkedTensor(t, `tensor ${k} of ${where}`, ctx)) };
    case 'graphs':
      return { type, value: (a.graphs ?? []).map((g, k) => convertGraph(g, `${path}[${k}]`, depth + 1, ctx)) };
    case 'sparse_tensor':
    case 'sparse_tensors':
    case 'type_proto':
    case 'type_protos':
      return { type, value: `(${type.replace('_', ' ')})` };
    default:
      return { type: 'undefined', value: null };
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

/** Converts a TensorProto without copying its bytes. Checks nothing; see {@link readOnnx} for limits. */
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

/** {@link convertTensor} under the rank and element-count limits, warning about odd values. */
function checkedTensor(t: onnx.ITensorProto, where: string, ctx: Ctx): ConstTensor {
  const tensor = convertTensor(t);
  checkDims(tensor.dims, where, ctx);
  const d = tensor.data;
  const deferred = ctx.skeleton ? selfDeferred(d) : undefined;
  if (deferred) return { ...tensor, data: deferred };
  if (d.kind === 'external') {
    const unusable = unusableExternal(d);
    if (unusable.offset)
      ctx.warnings.add(
        'external offset',
        `The external-data offset of ${where} is not a non-negative integer; its values cannot be shown.`,
      );
    if (unusable.length) {
      ctx.warnings.add(
        'external length',
        `The external-data length of ${where} is not a non-negative integer; its values cannot be shown.`,
      );
    }
  }
  return tensor;
}

function checkDims(dims: readonly number[], where: string, ctx: Ctx): void {
  if (dims.length > ctx.limits.maxTensorRank) {
    throw limitError(ctx, 'maxTensorRank', `${where} has ${dims.length.toLocaleString('en-US')} dims`);
  }
  let elements = 1;
  for (const d of dims) {
    if (d < 0) {
      ctx.warnings.add(
        'negative dim',
        `${capitalize(where)} has a negative dimension (${d}); its shape is shown as written.`,
      );
      return;
    }
    elements *= d;
  }
  if (elements > ctx.limits.maxTensorElements) {
    throw limitError(
      ctx,
      'maxTensorElements',
      `${where} has dims [${dims.join(', ')}], ${elements.toExponential(3)} elements`,
    );
  }
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function tensorData(t: onnx.ITensorProto): TensorData {
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL)
    return externalData((t.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
  if (t.rawData && t.rawData.length > 0) return { kind: 'raw', bytes: t.rawData };
  if (t.floatData && t.floatData.length) return { kind: 'typed', field: 'float', values: t.floatData };
  if (t.int32Data && t.int32Data.length) return { kind: 'typed', field: 'int32', values: t.int32Data };
  if (t.int64Data && t.int64Data.length) return { kind: 'typed', field: 'int64', values: t.int64Data.map(Number) };
  if (t.doubleData && t.doubleData.length) return { kind: 'typed', field: 'double', values: t.doubleData };
  if (t.uint64Data && t.uint64Data.length) return { kind: 'typed', field: 'uint64', values: t.uint64Data.map(Number) };
  if (t.stringData && t.stringData.length) return { kind: 'strings', values: t.stringData };
  return { kind: 'empty' };
}

function convertValueInfo(v: onnx.IValueInfoProto, where: string, ctx: Ctx): ValueInfo {
  const name = v.name ?? '';
  const type = convertType(v.type ?? undefined);
  if (type.shape && type.shape.length > ctx.limits.maxTensorRank) {
    throw limitError(
      ctx,
      'maxTensorRank',
      `the declared shape of "${name}" in ${where} has ${type.shape.length.toLocaleString('en-US')} dims`,
    );
  }
  return { name, ...type, docString: v.docString || undefined };
}

function convertType(tp: onnx.ITypeProto | undefined): TensorType {
  if (!tp) return { dtype: 'unknown' };
  if (tp.tensorType)
    return { dtype: dtypeFromCode(tp.tensorType.elemType ?? 0), shape: convertShape(tp.tensorType.shape) };
  if (tp.sparseTensorType)
    return {
      dtype: `sparse<${dtypeFromCode(tp.sparseTensorType.elemType ?? 0)}>`,
      shape: convertShape(tp.sparseTensorType.shape),
    };
  if (tp.sequenceType) return { dtype: `sequence<${convertType(tp.sequenceType.elemType ?? undefined).dtype}>` };
  if (tp.optionalType) {
    // An optional tensor has its element's shape (onnxruntime takes a tensor for it).
    const inner = convertType(tp.optionalType.elemType ?? undefined);
    return { dtype: `optional<${inner.dtype}>`, ...(inner.shape ? { shape: inner.shape } : {}) };
  }
  if (tp.mapType)
    return {
      dtype: `map<${dtypeFromCode(tp.mapType.keyType ?? 0)}, ${convertType(tp.mapType.valueType ?? undefined).dtype}>`,
    };
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

/** The tensor names a graph's nodes may read besides what its own nodes produce. */
interface Names {
  has(name: string): boolean;
}
const NO_NAMES: Names = { has: () => false };

/**
 * Whether a graph's nodes, by the tensors they read of one another (names `outer` provides aside),
 * form a cycle: none can be put in an order where each comes after what it reads.
 */
function formsCycle(graph: Graph, producedAt: ReadonlyMap<string, number>, outer: Names): boolean {
  const before = (i: number) =>
    graph.nodes[i]!.inputs.flatMap((name) => {
      const at = name && !outer.has(name) ? producedAt.get(name) : undefined;
      return at === undefined ? [] : [at];
    });
  return orderAfter(graph.nodes.length, before) === undefined;
}

/**
 * Structural problems that do not stop reading but that a user should know about, because
 * runtimes refuse such models: a tensor produced twice, an input that names no tensor, and a
 * node that reads what a later node produces (out of order, or a cycle). One warning per graph
 * and kind, naming the first case.
 */
function checkStructure(graph: Graph, outer: Names, ctx: Ctx): void {
  const where = graphLabel(graph.path);
  const producedAt = new Map<string, number>();
  let duplicate: { name: string; count: number } | undefined;
  graph.nodes.forEach((n, i) => {
    for (const o of n.outputs) {
      if (!o) continue;
      if (producedAt.has(o))
        duplicate = duplicate ? { ...duplicate, count: duplicate.count + 1 } : { name: o, count: 1 };
      else producedAt.set(o, i);
    }
  });
  if (duplicate)
    ctx.warnings.add(
      'duplicate output',
      `In ${where}, ${duplicate.count === 1 ? 'a tensor is' : `${duplicate.count} tensors are`} produced by more than one node (first: "${duplicate.name}"); ONNX requires one producer per tensor, so runtimes will refuse the model.`,
    );

  // Looked up through the enclosing graphs rather than copied into each sub-graph's own set: a
  // model with dozens of nested If branches (Silero VAD) spent 8-18 ms copying them.
  const inputs = new Set(graph.inputs.map((v) => v.name));
  const available: Names = {
    has: (name) => inputs.has(name) || graph.initializers.has(name) || outer.has(name),
  };
  let dangling: { node: Node; name: string; count: number } | undefined;
  let later: { node: Node; name: string; count: number } | undefined;
  // Sub-graphs see every name of their enclosing graphs, what their nodes produce included.
  const inner: Names = { has: (name) => available.has(name) || producedAt.has(name) };
  graph.nodes.forEach((n, i) => {
    for (const name of n.inputs) {
      if (!name || available.has(name)) continue;
      const at = producedAt.get(name);
      if (at === undefined)
        dangling = dangling ? { ...dangling, count: dangling.count + 1 } : { node: n, name, count: 1 };
      else if (at >= i) later = later ? { ...later, count: later.count + 1 } : { node: n, name, count: 1 };
    }
    for (const s of n.subgraphs) {
      checkStructure(s.graph, inner, ctx);
    }
  });
  const nodeLabel = (n: Node) => `node ${clipPath(n.id)} (${n.opType || 'no op type'}${n.name ? ` "${n.name}"` : ''})`;
  if (dangling)
    ctx.warnings.add(
      'dangling input',
      `In ${where}, ${dangling.count === 1 ? 'a node input names' : `${dangling.count} node inputs name`} no tensor of the model (first: "${dangling.name}" of ${nodeLabel(dangling.node)}); the graph is shown without that edge.`,
    );
  if (later) {
    const reads = `In ${where}, ${later.count === 1 ? 'a node reads' : `${later.count} node inputs read`} a tensor produced by a later node (first: "${later.name}" of ${nodeLabel(later.node)})`;
    ctx.warnings.add(
      'order',
      formsCycle(graph, producedAt, available)
        ? `${reads}, and the nodes form a cycle: no runtime runs such a graph.`
        : `${reads}: the nodes are out of the topological order ONNX requires, so onnx.checker refuses the model. ONNX Runtime sorts them itself and runs it; a tool that takes nodes in file order may not. onnx-graphsurgeon's graph.toposort() writes them in order.`,
    );
  }
  const missing = graph.outputs.filter((v) => v.name && !available.has(v.name) && !producedAt.has(v.name));
  if (missing.length)
    ctx.warnings.add(
      'dangling output',
      `In ${where}, ${missing.length === 1 ? 'the graph output' : `${missing.length} graph outputs, e.g.`} "${missing[0]!.name}" ${missing.length === 1 ? 'is' : 'are'} produced by no node.`,
    );
}
