/**
 * The reader's fast path: decodes a well-formed ONNX file's protobuf straight into the IR, with no
 * protobufjs message objects on the way. Those objects were half of what a read allocated, and they
 * survived every young-generation collection of the read: on a 100k-node QDQ decoder the garbage
 * collector took about 440 ms of a 1.1-1.6 s read. Strings are read as protobufjs reads them (the
 * same interning function), byte fields are views into the input, and the IR is built exactly as
 * the general path (read-onnx.ts) builds it from protobufjs's objects.
 *
 * It only takes the files it can read exactly as the general path would, which is every file a
 * real exporter writes. Anything else makes it give up (returns undefined) and the general path
 * reads the file, with its error messages, limits and warnings: framing that is not valid protobuf,
 * a field of an unexpected wire type, a message field given twice (protobuf merges them), a limit
 * reached, anything the general path would warn about (a negative dimension, a duplicate
 * initializer, an external-data offset that is not a number), a sparse initializer, or a
 * sub-message the IR does not use where the IR does not expect one. Sub-messages the IR does not
 * use at all (functions, training info, metadata) are decoded by protobufjs, for the same
 * acceptance of a corrupt one as the general path.
 */
import $protobuf from './onnx/pb-runtime.js';
import { onnx } from './onnx/generated/onnx-pb.js';
import { dtypeFromCode } from './dtype';
import type { LoadLimits } from './limits';
import { ATTR_TYPE_NAMES, externalData, selfDeferred, textOf, unusableExternal, utf8 } from './proto-values';
import type {
  Attribute,
  AttributeValue,
  ConstTensor,
  Dim,
  Graph,
  Node,
  NodeId,
  TensorData,
  TensorType,
  ValueInfo,
} from './types';

/** The model's fields, decoded; what readOnnx adds (warnings, checks) comes after. */
export interface DirectModel {
  irVersion: number;
  opsetImports: { domain: string; version: number }[];
  producerName: string;
  producerVersion: string;
  modelVersion: number;
  docString: string;
  /** metadata_props in file order (readOnnx defines them as keys). */
  metadata: [string, string][];
  graph: Graph;
  functions: string[];
}

/** The names and attributes of the nodes being read (see node). */
const IN: string[] = [];
const OUT: string[] = [];
const ATTRS: Attribute[] = [];

/** Items pushed on `stack` from `base` on, as an array of their own length; the stack is cut back. */
function take<T>(stack: T[], base: number): T[] {
  const items = stack.slice(base);
  stack.length = base;
  return items;
}

/** Thrown to leave the file to the general path (no stack trace taken: it is not an error). */
const GIVE_UP = Object.freeze({ giveUp: true });
function giveUp(): never {
  throw GIVE_UP;
}

const LEN = 2;
const EXTERNAL = 1;
const EMPTY = new Uint8Array(0);
const readString = $protobuf.util.utf8.read as (buf: Uint8Array, start: number, end: number) => string;

interface Ctx {
  limits: LoadLimits;
  skeleton: boolean;
  nodes: number;
  /** A protobufjs reader over the same bytes, for the sub-messages it decodes (see validate). */
  reader?: $protobuf.Reader;
}

/**
 * A cursor over the bytes: each read checks the bound it is given and gives up past it. (Not
 * protobuf-wire's readVarint: that allocates a result per call, and reads int64 fields unsigned
 * where protobufjs reads them in two's complement.)
 */
class Wire {
  pos = 0;
  private readonly view: DataView;
  constructor(readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  /** A varint of at most 32 bits (tags, lengths), unsigned. */
  u32(end: number): number {
    const buf = this.buf;
    let pos = this.pos;
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (pos >= end) giveUp();
      const b = buf[pos++]!;
      if (shift === 28) {
        if (b > 15) giveUp();
        value += b * 268435456;
        this.pos = pos;
        return value;
      }
      value |= (b & 127) << shift;
      if (b < 128) {
        this.pos = pos;
        return value >>> 0;
      }
    }
    return giveUp();
  }
  /** A varint of up to 64 bits as protobufjs turns it into a number (two's complement when signed). */
  n64(end: number, signed: boolean): number {
    const buf = this.buf;
    let pos = this.pos;
    let lo = 0;
    let hi = 0;
    let b = 0;
    let i = 0;
    for (; i < 4; i++) {
      if (pos >= end) giveUp();
      b = buf[pos++]!;
      lo = (lo | ((b & 127) << (i * 7))) >>> 0;
      if (b < 128) {
        this.pos = pos;
        return lo;
      }
    }
    if (pos >= end) giveUp();
    b = buf[pos++]!;
    lo = (lo | ((b & 127) << 28)) >>> 0;
    hi = (hi | ((b & 127) >> 4)) >>> 0;
    if (b >= 128) {
      for (i = 0; i < 5; i++) {
        if (pos >= end) giveUp();
        b = buf[pos++]!;
        hi = (hi | ((b & 127) << (i * 7 + 3))) >>> 0;
        if (b < 128) break;
      }
      if (b >= 128) giveUp();
    }
    this.pos = pos;
    if (signed && hi >>> 31) {
      let l = (~lo + 1) >>> 0;
      let h = ~hi >>> 0;
      if (!l) h = (h + 1) >>> 0;
      l >>>= 0;
      return -(l + h * 4294967296);
    }
    return lo + hi * 4294967296;
  }
  /** An int32 field (protobufjs: the low 32 bits, signed). */
  i32(end: number): number {
    return this.n64(end, false) | 0;
  }
  f32(end: number): number {
    if (this.pos + 4 > end) giveUp();
    const v = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }
  f64(end: number): number {
    if (this.pos + 8 > end) giveUp();
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }
  /** The end of a length-delimited body starting at pos. */
  body(end: number): number {
    const n = this.u32(end);
    const stop = this.pos + n;
    if (stop > end) giveUp();
    return stop;
  }
  string(end: number): string {
    const stop = this.body(end);
    const s = stop === this.pos ? '' : readString(this.buf, this.pos, stop);
    this.pos = stop;
    return s;
  }
  bytes(end: number): Uint8Array {
    const stop = this.body(end);
    const b = this.buf.subarray(this.pos, stop);
    this.pos = stop;
    return b;
  }
  /** Steps over a field of an unknown number (a group, or wire type 6 or 7, is given up on). */
  skip(wire: number, end: number): void {
    if (wire === 0) this.n64(end, false);
    else if (wire === 1) this.pos += 8;
    else if (wire === LEN) this.pos = this.body(end);
    else if (wire === 5) this.pos += 4;
    else giveUp();
    if (this.pos > end) giveUp();
  }
}

/** The next field's tag at pos; gives up on field number 0. */
function tag(w: Wire, end: number): number {
  const t = w.u32(end);
  if (t < 8) giveUp();
  return t;
}

/**
 * Decodes a sub-message the IR does not use with protobufjs, over the same bytes, so that a corrupt
 * one is refused as the general path refuses it; returns the message.
 */
function validate(
  w: Wire,
  end: number,
  depth: number,
  ctx: Ctx,
  decode: (r: $protobuf.Reader, length: number, e: undefined, depth: number) => unknown,
): unknown {
  const stop = w.body(end);
  const r = (ctx.reader ??= $protobuf.Reader.create(w.buf));
  r.pos = w.pos;
  r.len = w.buf.length;
  const message = decode(r, stop - w.pos, undefined, depth);
  w.pos = stop;
  return message;
}

/** A repeated numeric field, packed (wire type 2) or one value (its own wire type). */
function numbers(w: Wire, wire: number, end: number, one: number, into: number[], read: (stop: number) => number) {
  if (wire === LEN) {
    const stop = w.body(end);
    while (w.pos < stop) into.push(read(stop));
    if (w.pos !== stop) giveUp();
  } else if (wire === one) into.push(read(end));
  else giveUp();
}

/**
 * Reads the model from `bytes`; undefined when the general path must (see the module's comment).
 * Runs with protobufjs's string interning on and its recursion limit set, as readOnnx sets them.
 */
export function readDirect(bytes: Uint8Array, limits: LoadLimits, skeleton: boolean): DirectModel | undefined {
  const ctx: Ctx = { limits, skeleton, nodes: 0 };
  IN.length = OUT.length = ATTRS.length = 0;
  try {
    return model(new Wire(bytes), ctx);
  } catch (err) {
    // Given up, or failed (a stack overflow on deep nesting, say): the general path says why.
    if (err === GIVE_UP || err instanceof Error) return undefined;
    throw err;
  }
}

function model(w: Wire, ctx: Ctx): DirectModel | undefined {
  const end = w.buf.length;
  const out: DirectModel = {
    irVersion: 0,
    opsetImports: [],
    producerName: '',
    producerVersion: '',
    modelVersion: 0,
    docString: '',
    metadata: [],
    graph: undefined as unknown as Graph,
    functions: [],
  };
  let graphAt = -1;
  let graphEnd = -1;
  while (w.pos < end) {
    const t = tag(w, end);
    const field = t >>> 3;
    const wire = t & 7;
    switch (field) {
      case 1:
        if (wire !== 0) giveUp();
        out.irVersion = w.n64(end, true);
        break;
      case 2:
        if (wire !== LEN) giveUp();
        out.producerName = w.string(end);
        break;
      case 3:
        if (wire !== LEN) giveUp();
        out.producerVersion = w.string(end);
        break;
      case 4:
      case 6:
        if (wire !== LEN) giveUp();
        if (field === 6) out.docString = w.string(end);
        else w.string(end);
        break;
      case 5:
        if (wire !== 0) giveUp();
        out.modelVersion = w.n64(end, true);
        break;
      case 7:
        // Decoded last: nothing in the model's other fields changes how, and a second graph field
        // (protobuf would merge the two) is seen before any work is spent.
        if (wire !== LEN || graphAt >= 0) giveUp();
        graphEnd = w.body(end);
        graphAt = w.pos;
        w.pos = graphEnd;
        break;
      case 8: {
        if (wire !== LEN) giveUp();
        const stop = w.body(end);
        let domain = '';
        let version = 0;
        while (w.pos < stop) {
          const u = tag(w, stop);
          if (u === (1 << 3) + LEN) domain = w.string(stop);
          else if (u === 2 << 3) version = w.n64(stop, true);
          else if (u >>> 3 === 1 || u >>> 3 === 2) giveUp();
          else w.skip(u & 7, stop);
        }
        if (w.pos !== stop) giveUp();
        out.opsetImports.push({ domain, version });
        break;
      }
      case 14:
        if (wire !== LEN) giveUp();
        out.metadata.push(entry(w, end));
        break;
      case 20:
        if (wire !== LEN) giveUp();
        validate(w, end, 1, ctx, onnx.TrainingInfoProto.decode as never);
        break;
      case 25: {
        if (wire !== LEN) giveUp();
        const f = validate(w, end, 1, ctx, onnx.FunctionProto.decode as never) as onnx.FunctionProto;
        out.functions.push(`${f.domain ?? ''}::${f.name ?? ''}`);
        break;
      }
      default:
        w.skip(wire, end);
    }
  }
  if (w.pos !== end || graphAt < 0) return undefined;
  w.pos = graphAt;
  out.graph = graph(w, graphEnd, '', 0, 1, ctx);
  return out;
}

/** A StringStringEntryProto: key and value. */
function entry(w: Wire, end: number): [string, string] {
  const stop = w.body(end);
  let key = '';
  let value = '';
  while (w.pos < stop) {
    const u = tag(w, stop);
    if (u === (1 << 3) + LEN) key = w.string(stop);
    else if (u === (2 << 3) + LEN) value = w.string(stop);
    else if (u >>> 3 === 1 || u >>> 3 === 2) giveUp();
    else w.skip(u & 7, stop);
  }
  if (w.pos !== stop) giveUp();
  return [key, value];
}

/** A GraphProto, from pos to `end`; `depth` counts graphs (maxGraphDepth), `msg` messages. */
function graph(w: Wire, end: number, path: string, depth: number, msg: number, ctx: Ctx): Graph {
  if (depth > ctx.limits.maxGraphDepth || msg > ctx.limits.maxMessageDepth) giveUp();
  let name = '';
  let docString = '';
  const nodes: Node[] = [];
  const inputs: ValueInfo[] = [];
  const outputs: ValueInfo[] = [];
  const initializers = new Map<string, ConstTensor>();
  const valueInfo = new Map<string, ValueInfo>();
  while (w.pos < end) {
    const t = tag(w, end);
    const field = t >>> 3;
    const wire = t & 7;
    if (wire !== LEN) {
      if (field === 1 || field === 2 || field === 5 || (field >= 10 && field <= 16)) giveUp();
      w.skip(wire, end);
      continue;
    }
    switch (field) {
      case 1: {
        if (++ctx.nodes > ctx.limits.maxNodes) giveUp();
        const stop = w.body(end);
        nodes.push(node(w, stop, nodes.length, path, depth, msg + 1, ctx));
        break;
      }
      case 2:
        name = w.string(end);
        break;
      case 5: {
        const stop = w.body(end);
        const tensor = checkedTensor(w, stop, msg + 1, ctx);
        if (initializers.has(tensor.name)) giveUp();
        initializers.set(tensor.name, tensor);
        break;
      }
      case 10:
        docString = w.string(end);
        break;
      case 11:
        inputs.push(valueInfoOf(w, w.body(end), msg + 1, ctx));
        break;
      case 12:
        outputs.push(valueInfoOf(w, w.body(end), msg + 1, ctx));
        break;
      case 13: {
        const v = valueInfoOf(w, w.body(end), msg + 1, ctx);
        valueInfo.set(v.name, v);
        break;
      }
      case 14:
        validate(w, end, msg + 1, ctx, onnx.TensorAnnotation.decode as never);
        break;
      case 16:
        validate(w, end, msg + 1, ctx, onnx.StringStringEntryProto.decode as never);
        break;
      case 15:
        // Sparse initializers: the general path's.
        giveUp();
        break;
      default:
        w.skip(wire, end);
    }
  }
  if (w.pos !== end) giveUp();
  return { name, path, nodes, inputs, outputs, initializers, valueInfo, docString: docString || undefined };
}

function node(w: Wire, end: number, index: number, graphPath: string, depth: number, msg: number, ctx: Ctx): Node {
  if (msg > ctx.limits.maxMessageDepth) giveUp();
  const id = (graphPath ? `${graphPath}/${index}` : String(index)) as NodeId;
  let name = '';
  let opType = '';
  let domain = '';
  let docString = '';
  // Collected on the shared stacks (a sub-graph's nodes push above this node's and cut back to
  // them), then copied out: arrays grown by push keep room for 17 items, 24 MiB more on a 100k-node
  // model than arrays of their own length.
  const inBase = IN.length;
  const outBase = OUT.length;
  const attrBase = ATTRS.length;
  const subgraphs: Node['subgraphs'] = [];
  while (w.pos < end) {
    const t = tag(w, end);
    const field = t >>> 3;
    const wire = t & 7;
    if (wire !== LEN) {
      if (field >= 1 && field <= 9) giveUp();
      w.skip(wire, end);
      continue;
    }
    switch (field) {
      case 1:
        IN.push(w.string(end));
        break;
      case 2:
        OUT.push(w.string(end));
        break;
      case 3:
        name = w.string(end);
        break;
      case 4:
        opType = w.string(end);
        break;
      case 7:
        domain = w.string(end);
        break;
      case 6:
        docString = w.string(end);
        break;
      case 8:
        w.string(end);
        break;
      case 5: {
        const stop = w.body(end);
        const a = attribute(w, stop, id, depth, msg + 1, ctx);
        ATTRS.push(a);
        const attr = a.attr;
        if (attr.type === 'graph') subgraphs.push({ attribute: a.name, graph: attr.value });
        if (attr.type === 'graphs')
          attr.value.forEach((graph, k) => subgraphs.push({ attribute: `${a.name}[${k}]`, graph }));
        break;
      }
      case 9:
        validate(w, end, msg + 1, ctx, onnx.StringStringEntryProto.decode as never);
        break;
      default:
        w.skip(wire, end);
    }
  }
  if (w.pos !== end) giveUp();
  return {
    id,
    index,
    name,
    opType,
    domain,
    inputs: take(IN, inBase),
    outputs: take(OUT, outBase),
    attributes: take(ATTRS, attrBase),
    docString: docString || undefined,
    subgraphs,
  };
}

/** Where a sub-message lies: its body's start and end. */
type Span = [number, number];

function span(w: Wire, end: number): Span {
  const stop = w.body(end);
  const s: Span = [w.pos, stop];
  w.pos = stop;
  return s;
}

function attribute(w: Wire, end: number, nodeId: string, depth: number, msg: number, ctx: Ctx): Attribute {
  if (msg > ctx.limits.maxMessageDepth) giveUp();
  let name = '';
  let ref = '';
  let type = 0;
  let f = 0;
  let i = 0;
  let s: Uint8Array | undefined;
  let t: Span | undefined;
  let g: Span | undefined;
  const floats: number[] = [];
  const ints: number[] = [];
  const strings: Uint8Array[] = [];
  const tensors: Span[] = [];
  const graphs: Span[] = [];
  while (w.pos < end) {
    const u = tag(w, end);
    const field = u >>> 3;
    const wire = u & 7;
    switch (field) {
      case 1:
        if (wire !== LEN) giveUp();
        name = w.string(end);
        break;
      case 21:
        if (wire !== LEN) giveUp();
        ref = w.string(end);
        break;
      case 13:
        if (wire !== LEN) giveUp();
        w.string(end);
        break;
      case 20:
        if (wire !== 0) giveUp();
        type = w.i32(end);
        break;
      case 2:
        if (wire !== 5) giveUp();
        f = w.f32(end);
        break;
      case 3:
        if (wire !== 0) giveUp();
        i = w.n64(end, true);
        break;
      case 4:
        if (wire !== LEN) giveUp();
        s = w.bytes(end);
        break;
      case 5:
        if (wire !== LEN || t) giveUp();
        t = span(w, end);
        break;
      case 6:
        if (wire !== LEN || g) giveUp();
        g = span(w, end);
        break;
      case 7:
        numbers(w, wire, end, 5, floats, (stop) => w.f32(stop));
        break;
      case 8:
        numbers(w, wire, end, 0, ints, (stop) => w.n64(stop, true));
        break;
      case 9:
        if (wire !== LEN) giveUp();
        strings.push(w.bytes(end));
        break;
      case 10:
        if (wire !== LEN) giveUp();
        tensors.push(span(w, end));
        break;
      case 11:
        if (wire !== LEN) giveUp();
        graphs.push(span(w, end));
        break;
      case 14:
      case 15:
      case 22:
      case 23:
        if (wire !== LEN) giveUp();
        validate(
          w,
          end,
          msg + 1,
          ctx,
          (field === 22 || field === 23 ? onnx.SparseTensorProto.decode : onnx.TypeProto.decode) as never,
        );
        break;
      default:
        w.skip(wire, end);
    }
  }
  if (w.pos !== end) giveUp();
  const attr = (value: AttributeValue): Attribute => ({ name, refAttrName: ref || undefined, attr: value });
  if (ref) {
    if (t || g || tensors.length || graphs.length) giveUp();
    return attr({ type: 'ref', value: ref });
  }
  let kind = ATTR_TYPE_NAMES[type] ?? 'undefined';
  if (kind === 'undefined') {
    // As the general path infers it for files older than IR 3.
    if (g) kind = 'graph';
    else if (t) kind = 'tensor';
    else if (s && s.length) kind = 'string';
    else if (floats.length) kind = 'floats';
    else if (ints.length) kind = 'ints';
    else if (strings.length) kind = 'strings';
    else if (graphs.length) kind = 'graphs';
    else if (tensors.length) kind = 'tensors';
    else if (i) kind = 'int';
    else if (f) kind = 'float';
  }
  // A tensor or graph the attribute's type leaves unused: the general path's.
  if ((t && kind !== 'tensor') || (g && kind !== 'graph')) giveUp();
  if ((tensors.length && kind !== 'tensors') || (graphs.length && kind !== 'graphs')) giveUp();
  const path = `${nodeId}/${name}`;
  const at = (sp: Span | undefined) => {
    w.pos = sp ? sp[0] : 0;
    return sp ? sp[1] : 0;
  };
  switch (kind) {
    case 'float':
      return attr({ type: kind, value: f });
    case 'int':
      return attr({ type: kind, value: i });
    case 'string': {
      const bytes = s ?? EMPTY;
      const text = textOf(bytes);
      return attr(text === undefined ? { type: 'bytes', value: bytes.length } : { type: kind, value: text });
    }
    case 'tensor': {
      const value = checkedTensor(w, at(t), msg + 1, ctx);
      w.pos = end;
      return attr({ type: kind, value });
    }
    case 'graph': {
      const value = graph(w, at(g), path, depth + 1, msg + 1, ctx);
      w.pos = end;
      return attr({ type: kind, value });
    }
    case 'floats':
      return attr({ type: kind, value: floats.slice() });
    case 'ints':
      return attr({ type: kind, value: ints.slice() });
    case 'strings':
      return attr({ type: kind, value: strings.map((b) => utf8.decode(b)) });
    case 'tensors': {
      const value = tensors.map((sp) => checkedTensor(w, at(sp), msg + 1, ctx));
      w.pos = end;
      return attr({ type: kind, value });
    }
    case 'graphs': {
      const value = graphs.map((sp, k) => graph(w, at(sp), `${path}[${k}]`, depth + 1, msg + 1, ctx));
      w.pos = end;
      return attr({ type: kind, value });
    }
    case 'sparse_tensor':
    case 'sparse_tensors':
    case 'type_proto':
    case 'type_protos':
      return attr({ type: kind, value: `(${kind.replace('_', ' ')})` });
    default:
      return attr({ type: 'undefined', value: null });
  }
}

/** A TensorProto from pos to `end`, under the limits; gives up where the general path would warn. */
function checkedTensor(w: Wire, end: number, msg: number, ctx: Ctx): ConstTensor {
  if (msg > ctx.limits.maxMessageDepth) giveUp();
  const dims: number[] = [];
  let dataType = 0;
  let name = '';
  let docString = '';
  let raw: Uint8Array | undefined;
  let location = 0;
  let floatData: number[] | undefined;
  let int32Data: number[] | undefined;
  let int64Data: number[] | undefined;
  let doubleData: number[] | undefined;
  let uint64Data: number[] | undefined;
  let stringData: Uint8Array[] | undefined;
  let external: [string, string][] | undefined;
  while (w.pos < end) {
    const u = tag(w, end);
    const field = u >>> 3;
    const wire = u & 7;
    switch (field) {
      case 1:
        numbers(w, wire, end, 0, dims, (stop) => w.n64(stop, true));
        break;
      case 2:
        if (wire !== 0) giveUp();
        dataType = w.i32(end);
        break;
      case 4:
        numbers(w, wire, end, 5, (floatData ??= []), (stop) => w.f32(stop));
        break;
      case 5:
        numbers(w, wire, end, 0, (int32Data ??= []), (stop) => w.i32(stop));
        break;
      case 6:
        if (wire !== LEN) giveUp();
        (stringData ??= []).push(w.bytes(end));
        break;
      case 7:
        numbers(w, wire, end, 0, (int64Data ??= []), (stop) => w.n64(stop, true));
        break;
      case 8:
        if (wire !== LEN) giveUp();
        name = w.string(end);
        break;
      case 9:
        if (wire !== LEN) giveUp();
        raw = w.bytes(end);
        break;
      case 10:
        numbers(w, wire, end, 1, (doubleData ??= []), (stop) => w.f64(stop));
        break;
      case 11:
        numbers(w, wire, end, 0, (uint64Data ??= []), (stop) => w.n64(stop, false));
        break;
      case 12:
        if (wire !== LEN) giveUp();
        docString = w.string(end);
        break;
      case 13:
        if (wire !== LEN) giveUp();
        (external ??= []).push(entry(w, end));
        break;
      case 14:
        if (wire !== 0) giveUp();
        location = w.i32(end);
        break;
      case 3:
      case 16:
        if (wire !== LEN) giveUp();
        validate(
          w,
          end,
          msg + 1,
          ctx,
          (field === 3 ? onnx.TensorProto.Segment.decode : onnx.StringStringEntryProto.decode) as never,
        );
        break;
      default:
        w.skip(wire, end);
    }
  }
  if (w.pos !== end) giveUp();
  // The general path's checkDims: over a limit, or a negative dimension (a warning), is its to say.
  if (dims.length > ctx.limits.maxTensorRank) giveUp();
  let elements = 1;
  for (const d of dims) {
    if (d < 0) giveUp();
    elements *= d;
  }
  if (elements > ctx.limits.maxTensorElements) giveUp();
  let data: TensorData;
  if (location === EXTERNAL) {
    const ext = externalData(external ?? []);
    const deferred = ctx.skeleton ? selfDeferred(ext) : undefined;
    // An unusable offset or length is the general path's to warn about.
    const unusable = unusableExternal(ext);
    if (!deferred && (unusable.offset || unusable.length)) giveUp();
    data = deferred ?? ext;
  } else if (raw && raw.length > 0) data = { kind: 'raw', bytes: raw };
  else if (floatData?.length) data = { kind: 'typed', field: 'float', values: floatData };
  else if (int32Data?.length) data = { kind: 'typed', field: 'int32', values: int32Data };
  else if (int64Data?.length) data = { kind: 'typed', field: 'int64', values: int64Data };
  else if (doubleData?.length) data = { kind: 'typed', field: 'double', values: doubleData };
  else if (uint64Data?.length) data = { kind: 'typed', field: 'uint64', values: uint64Data };
  else if (stringData?.length) data = { kind: 'strings', values: stringData };
  else data = { kind: 'empty' };
  return { name, dtype: dtypeFromCode(dataType), dims: dims.slice(), data, docString: docString || undefined };
}

function valueInfoOf(w: Wire, end: number, msg: number, ctx: Ctx): ValueInfo {
  if (msg > ctx.limits.maxMessageDepth) giveUp();
  let name = '';
  let docString = '';
  let type: TensorType | undefined;
  while (w.pos < end) {
    const u = tag(w, end);
    const field = u >>> 3;
    const wire = u & 7;
    if (field >= 1 && field <= 4 && wire !== LEN) giveUp();
    if (field === 1) name = w.string(end);
    else if (field === 2) {
      if (type) giveUp();
      type = typeOf(w, w.body(end), msg + 1, ctx);
    } else if (field === 3) docString = w.string(end);
    else if (field === 4) validate(w, end, msg + 1, ctx, onnx.StringStringEntryProto.decode as never);
    else w.skip(wire, end);
  }
  if (w.pos !== end) giveUp();
  const t = type ?? { dtype: 'unknown' };
  if (t.shape && t.shape.length > ctx.limits.maxTensorRank) giveUp();
  return { name, ...t, docString: docString || undefined };
}

/** A TypeProto from pos to `end`, as the general path's convertType gives it. */
function typeOf(w: Wire, end: number, msg: number, ctx: Ctx): TensorType {
  if (msg > ctx.limits.maxMessageDepth) giveUp();
  // The kinds given, by field number (protobufjs keeps each one it meets; a repeat merges).
  const kinds = new Map<number, TensorType>();
  while (w.pos < end) {
    const u = tag(w, end);
    const field = u >>> 3;
    const wire = u & 7;
    if (field === 6) {
      if (wire !== LEN) giveUp();
      w.string(end);
      continue;
    }
    if (field !== 1 && (field < 4 || field > 9)) {
      w.skip(wire, end);
      continue;
    }
    if (wire !== LEN || kinds.has(field)) giveUp();
    const stop = w.body(end);
    kinds.set(field, typeKind(w, field, stop, msg + 1, ctx));
    if (w.pos !== stop) giveUp();
  }
  if (w.pos !== end) giveUp();
  // The general path's order: tensor, sparse tensor, sequence, optional, map, opaque.
  for (const field of [1, 8, 4, 9, 5, 7]) {
    const t = kinds.get(field);
    if (t) return t;
  }
  return { dtype: 'unknown' };
}

/** One kind of TypeProto (tensor_type, sequence_type, ...) by its field number. */
function typeKind(w: Wire, field: number, end: number, msg: number, ctx: Ctx): TensorType {
  if (msg > ctx.limits.maxMessageDepth) giveUp();
  let elem = 0;
  let shape: Dim[] | undefined;
  let inner: TensorType | undefined;
  let key = 0;
  let text1 = '';
  let text2 = '';
  while (w.pos < end) {
    const u = tag(w, end);
    const f = u >>> 3;
    const wire = u & 7;
    if (field === 1 || field === 8) {
      // Tensor, SparseTensor: elem_type, shape.
      if (f === 1) {
        if (wire !== 0) giveUp();
        elem = w.i32(end);
      } else if (f === 2) {
        if (wire !== LEN || shape) giveUp();
        shape = shapeOf(w, w.body(end), msg + 1, ctx);
      } else w.skip(wire, end);
    } else if (field === 4 || field === 9) {
      // Sequence, Optional: elem_type (a TypeProto).
      if (f === 1) {
        if (wire !== LEN || inner) giveUp();
        inner = typeOf(w, w.body(end), msg + 1, ctx);
      } else w.skip(wire, end);
    } else if (field === 5) {
      // Map: key_type, value_type.
      if (f === 1) {
        if (wire !== 0) giveUp();
        key = w.i32(end);
      } else if (f === 2) {
        if (wire !== LEN || inner) giveUp();
        inner = typeOf(w, w.body(end), msg + 1, ctx);
      } else w.skip(wire, end);
    } else {
      // Opaque: domain, name.
      if (f === 1 || f === 2) {
        if (wire !== LEN) giveUp();
        if (f === 1) text1 = w.string(end);
        else text2 = w.string(end);
      } else w.skip(wire, end);
    }
  }
  if (w.pos !== end) giveUp();
  const unknown: TensorType = { dtype: 'unknown' };
  switch (field) {
    case 1:
      return { dtype: dtypeFromCode(elem), shape };
    case 8:
      return { dtype: `sparse<${dtypeFromCode(elem)}>`, shape };
    case 4:
      return { dtype: `sequence<${(inner ?? unknown).dtype}>` };
    case 9: {
      const i = inner ?? unknown;
      return { dtype: `optional<${i.dtype}>`, ...(i.shape ? { shape: i.shape } : {}) };
    }
    case 5:
      return { dtype: `map<${dtypeFromCode(key)}, ${(inner ?? unknown).dtype}>` };
    default:
      return { dtype: `opaque<${text1}.${text2}>` };
  }
}

/** A TensorShapeProto's dims: a size, a symbolic name, or null. */
function shapeOf(w: Wire, end: number, msg: number, ctx: Ctx): Dim[] {
  if (msg + 1 > ctx.limits.maxMessageDepth) giveUp();
  const dims: Dim[] = [];
  while (w.pos < end) {
    const u = tag(w, end);
    if (u >>> 3 !== 1) {
      w.skip(u & 7, end);
      continue;
    }
    if ((u & 7) !== LEN) giveUp();
    const stop = w.body(end);
    let value: number | undefined;
    let param = '';
    while (w.pos < stop) {
      const v = tag(w, stop);
      const f = v >>> 3;
      const wire = v & 7;
      if (f === 1) {
        if (wire !== 0) giveUp();
        value = w.n64(stop, true);
      } else if (f === 2 || f === 3) {
        if (wire !== LEN) giveUp();
        if (f === 2) param = w.string(stop);
        else w.string(stop);
      } else w.skip(wire, stop);
    }
    if (w.pos !== stop) giveUp();
    dims.push(value !== undefined ? value : param ? param : null);
  }
  if (w.pos !== end) giveUp();
  return dims.slice();
}
