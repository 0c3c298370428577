/**
 * The error trace's figures computed inside one graph: the QDQ export and its float twin side by
 * side, sharing their inputs, and for each traced tensor the sums the trace needs, gathered into
 * one output. One run a sample, however large the model's activations: read out in 48 MB parts,
 * IS-Net in float16 at 1024x1024 needs some forty runs of each model a sample, each of the whole
 * model, since onnxruntime runs every node whatever outputs a run asks for.
 *
 * The float twin is the export with its Q/DQ taken out: each DequantizeLinear's output read as the
 * float tensor its QuantizeLinear took, or as the float constant the model held under its name (the
 * export names a quantized weight's DequantizeLinear output as the weight). Both sides so have the
 * export's opset and node order, and compute the same ops.
 *
 * How the figures are taken decides how long onnxruntime takes to create the session: its memory
 * planner reuses a freed buffer only for a tensor of the same shape and type, and looks through
 * every freed buffer for each new tensor, so each buffer of a shape or type the model does not use
 * costs time at every later node. Hence the values keep their own shapes, there is no mask of
 * booleans (a value that is not finite makes its sums not finite, and the caller reads the tensors
 * out instead), and a Cast only for float16 (after an Identity: see traceGraph). PP-OCRv4's
 * recogniser, 404 traced tensors: 20.5 s with masks and Casts to float everywhere, 7.2 s with the
 * values flattened, 3.6 s so.
 */
import { onnx } from '../model/onnx/generated/onnx-pb.js';
import { attr, freshNamer, makeAttribute, makeTensor, writeOnnx } from '../model/write-onnx';
import type { QuantEncoding } from '../encoding/encoding';
import { concatInOrder, knownDim, nodeAdder } from './expose';

/**
 * A merged model. Its one output, `output`, a float32 vector, holds for each tensor of `tensors`
 * in turn, for each of {@link TRACE_FIGURES} in turn, the figure's partial sums over the tensor's
 * `rows` rows (add them up in float64: {@link eachTraceSum}).
 */
export interface TraceGraph {
  bytes: Uint8Array;
  tensors: string[];
  rows: number[];
  output: string;
}

/**
 * The sums of one tensor, in order: the float value's power, the power of its difference from
 * the export's, the power of its own rounding (through the export's Q/DQ for it), how many float
 * values are not zero, and how many of them the rounding keeps from zero (a zero rounds to zero:
 * the zero point is an integer).
 */
export const TRACE_FIGURES = ['signal', 'noise', 'own', 'nonzero', 'kept'] as const;

/**
 * Calls `visit` with each tensor of `graph` and its figures' sums from one run's `output`; false,
 * visiting nothing, when the output is not of the length the rows give (the run's sizes are not
 * those the graph was cut for) or a sum is not finite (a value that is not finite).
 */
export function eachTraceSum(
  graph: TraceGraph,
  output: ArrayLike<number>,
  visit: (tensor: string, sums: number[]) => void,
): boolean {
  const expected = graph.rows.reduce((a, r) => a + r * TRACE_FIGURES.length, 0);
  if (output.length !== expected) return false;
  const all: number[][] = [];
  let at = 0;
  for (const rows of graph.rows) {
    const sums = TRACE_FIGURES.map(() => {
      let s = 0;
      for (let i = 0; i < rows; i++) s += output[at + i]!;
      at += rows;
      return s;
    });
    if (!sums.every(Number.isFinite)) return false;
    all.push(sums);
  }
  graph.tensors.forEach((t, j) => visit(t, all[j]!));
  return true;
}

/** A traced tensor's dimensions as onnxruntime inferred them (a name where it could not tell). */
export type InferredDims = readonly (number | string)[];

const FLOAT_PREFIX = '__ql_float/';
const FLOAT = 1;
/**
 * Values a row holds (see rowSums). onnxruntime adds a tensor up in float32 one value after
 * another: a count stops at 2^24, and a sum of squares came out 12% short on 2^26 values, 1.1% on
 * 2^24, 0.007% on 2^16. The caller adds the rows' sums in float64.
 */
const ROW_VALUES = 2 ** 16;
/** A row shorter than this takes in the next dimension even past ROW_VALUES, up to MAX_ROW. */
const SHORT_ROW = 1024;
/** Most values a row holds: a float32 count is exact up to 2^24. */
const MAX_ROW = 2 ** 24;
const isQdq = (n: onnx.INodeProto) => n.opType === 'QuantizeLinear' || n.opType === 'DequantizeLinear';

/**
 * The merged model for `tensors` (main-graph activations the export writes as a DequantizeLinear
 * output of the same name, with a per-tensor entry in `encodings`), or undefined where it cannot
 * be built: below opset 10, control flow (its sub-graphs read names this renames), a dequantized
 * constant the float model does not hold, or a traced tensor that is not of that form.
 * `dims` gives each tensor's rank (and sizes where known), for cutting it into rows.
 */
export function traceGraph(
  floatBytes: Uint8Array,
  qdqBytes: Uint8Array,
  tensors: readonly string[],
  encodings: ReadonlyMap<string, QuantEncoding>,
  dims: ReadonlyMap<string, InferredDims>,
): TraceGraph | undefined {
  const model = onnx.ModelProto.decode(qdqBytes);
  const g = model.graph as onnx.GraphProto | null;
  if (!g || tensors.length === 0) return undefined;
  const opset = Number(model.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx')?.version ?? 0);
  if (opset < 10) return undefined;
  if (g.node.some((n) => (n.attribute ?? []).some((a) => a.g || (a.graphs?.length ?? 0) > 0))) return undefined;
  // The float model's constants by name: initializers, and Constant nodes (paddle2onnx's weights).
  const floatModel = onnx.ModelProto.decode(floatBytes);
  const floatConstants = new Map<string, onnx.ITensorProto>();
  for (const t of floatModel.graph?.initializer ?? []) if (t.name) floatConstants.set(t.name, t);
  for (const n of floatModel.graph?.node ?? []) {
    const value = n.opType === 'Constant' ? n.attribute?.find((a) => a.name === 'value')?.t : undefined;
    if (value && n.output?.[0]) floatConstants.set(n.output[0], value);
  }
  const initializerType = new Map<string, number>();
  for (const t of g.initializer) if (t.name) initializerType.set(t.name, t.dataType ?? 0);
  const producer = new Map<string, onnx.INodeProto>();
  for (const n of g.node) for (const o of n.output ?? []) if (o) producer.set(o, n);

  // The float twin's name for a tensor of the export (null: none).
  const constants: onnx.ITensorProto[] = [];
  const floatNames = new Map<string, string | null>();
  const floatOf = (name: string): string | null => {
    if (!name) return name;
    const known = floatNames.get(name);
    if (known !== undefined) return known;
    const p = producer.get(name);
    let out: string | null;
    if (!p) out = name;
    else if (p.opType === 'DequantizeLinear') {
      const source = producer.get(p.input?.[0] ?? '');
      if (source?.opType === 'QuantizeLinear') out = floatOf(source.input?.[0] ?? '');
      else {
        const value = floatConstants.get(name);
        out = value ? FLOAT_PREFIX + name : null;
        if (value) constants.push(new onnx.TensorProto({ ...value, name: out! }));
      }
    } else if (p.opType === 'QuantizeLinear') out = null;
    else out = FLOAT_PREFIX + name;
    floatNames.set(name, out);
    return out;
  };
  const twin = new Map<onnx.INodeProto, onnx.NodeProto>();
  for (const n of g.node) {
    if (isQdq(n)) continue;
    const input = (n.input ?? []).map(floatOf);
    if (input.some((i) => i === null)) return undefined;
    twin.set(
      n,
      new onnx.NodeProto({
        ...n,
        name: FLOAT_PREFIX + (n.name ?? ''),
        input: input as string[],
        output: (n.output ?? []).map((o) => (o ? FLOAT_PREFIX + o : o)),
      }),
    );
  }

  const fresh = freshNamer(g);
  const added: onnx.NodeProto[] = [];
  const node = nodeAdder(fresh, added);
  const int64s = (base: string, values: number[]) => {
    const name = fresh(base);
    constants.push(makeTensor(name, values, [values.length], 'int64'));
    return name;
  };
  let flat: string | undefined;
  const axesInputs = new Map<string, string>();
  /**
   * How a tensor of dimensions `d` is cut into rows: the axes a row spans (undefined: all of
   * them) and how many rows. A row is the values of the trailing dimensions, as many as make up to
   * {@link ROW_VALUES} values (at least the last, and more while a row is under
   * {@link SHORT_ROW} values: a [1, 100000, 4] tensor is not cut into rows of 4); without every
   * size known, the whole tensor.
   */
  const rowsOf = (d: InferredDims | undefined): { axes?: number[]; rows: number } => {
    if (!d || d.length === 0 || !d.every(knownDim)) return { rows: 1 };
    let axis = d.length - 1;
    let values = d[axis]!;
    const longer = (n: number) => n <= ROW_VALUES || (values < SHORT_ROW && n <= MAX_ROW);
    while (axis > 1 && longer(values * d[axis - 1]!)) values *= d[--axis]!;
    return {
      axes: d.slice(axis).map((_, i) => axis + i),
      rows: d.slice(0, axis).reduce((x, y) => x * y, 1),
    };
  };
  /** `v`'s sums of squares over `axes` (all when undefined), in its own shape, as a vector. */
  const rowSums = (v: string, axes: number[] | undefined, base: string) => {
    const input = [v];
    const attribute = [makeAttribute('keepdims', attr.int(0))];
    if (axes && opset >= 18) {
      const key = axes.join(',');
      let name = axesInputs.get(key);
      if (!name) axesInputs.set(key, (name = int64s('__ql_trace_axes', axes)));
      input.push(name);
    } else if (axes) attribute.push(makeAttribute('axes', attr.ints(axes)));
    const sums = node('ReduceSumSquare', input, base, attribute);
    flat ??= int64s('__ql_trace_flat', [-1]);
    return node('Reshape', [sums, flat], `${base}_rows`);
  };
  const partials: string[] = [];
  const rowCounts: number[] = [];
  const traced: string[] = [];
  // Each tensor's nodes, placed right after the DequantizeLinear that makes its exported value
  // (the float twin of its producer comes right after that producer): each is summed as soon as
  // both sides exist, and onnxruntime creates the session faster (see augmentWithRanges).
  const placed = new Map<onnx.INodeProto, onnx.NodeProto[]>();
  for (const t of tensors) {
    const enc = encodings.get(t);
    const f = floatOf(t);
    const dq = producer.get(t);
    const q = dq?.opType === 'DequantizeLinear' ? producer.get(dq.input?.[0] ?? '') : undefined;
    if (!enc || enc.scale.length !== 1 || !f || !dq || q?.opType !== 'QuantizeLinear') return undefined;
    const from = added.length;
    const base = `__ql_trace_${traced.length}`;
    // Summed in float32: a float16 value (its QuantizeLinear's scale is float16) is cast first,
    // through an Identity. onnxruntime's CPU kernels for most ops (and com.microsoft's
    // DequantizeLinear, which 16-bit Q/DQ use below opset 21) take float32 only: it runs them
    // between Casts it inserts, and then removes each pair of Casts float32 -> float16 -> float32,
    // however lossy (RemoveDuplicateCast). A Cast right after such an op would hand on its float32
    // result unrounded: ConvNeXt's float16 layer scale gave values of about 1e-7 that float16
    // rounds to zero on 12% of them, and the trace counted none. The Identity (a float16 kernel)
    // keeps each value as the model states it, which is what reading it out gives.
    const float = initializerType.get(q.input?.[1] ?? '') === FLOAT;
    const asFloat = (v: string, what: string) =>
      float
        ? v
        : node('Cast', [node('Identity', [v], `${base}_${what}_half`)], `${base}_${what}`, [
            makeAttribute('to', attr.int(FLOAT)),
          ]);
    const d = dims.get(t);
    const x = asFloat(f, 'float');
    // A size onnxruntime could not tell before a run may follow the values (a detector's boxes),
    // and differ between the two models: the export's value is given the float one's shape, which
    // fails the run unless both hold as many values (the reads then say which tensor changed),
    // rather than letting Sub broadcast a size of 1 against the other.
    const sized = !!d && d.every(knownDim);
    const y = asFloat(
      sized ? t : node('Reshape', [t, node('Shape', [f], `${base}_shape`)], `${base}_as_float`),
      'export',
    );
    // Its own rounding: the float value through a copy of the export's own QuantizeLinear and
    // DequantizeLinear for it (their domain, scale, zero point and attributes).
    const copy = (of: onnx.INodeProto, input: string, what: string) => {
      const out = fresh(`${base}_${what}`);
      added.push(
        new onnx.NodeProto({
          name: fresh(`${base}_${what}_node`),
          opType: of.opType,
          domain: of.domain,
          input: [input, ...(of.input ?? []).slice(1)],
          output: [out],
          attribute: of.attribute ?? [],
        }),
      );
      return out;
    };
    const r = asFloat(copy(dq, copy(q, f, 'q'), 'dq'), 'rounded');
    const { axes, rows } = rowsOf(d);
    const figure = (v: string, what: string) => rowSums(v, axes, `${base}_${what}`);
    partials.push(
      figure(x, 'signal'),
      figure(node('Sub', [x, y], `${base}_diff`), 'noise'),
      figure(node('Sub', [x, r], `${base}_owndiff`), 'own'),
      // Sign is 0 at zero and ±1 elsewhere: the sum of its squares counts what is not zero.
      figure(node('Sign', [x], `${base}_xsign`), 'nonzero'),
      figure(node('Sign', [r], `${base}_rsign`), 'kept'),
    );
    rowCounts.push(rows);
    placed.set(dq, added.splice(from));
    traced.push(t);
  }
  const output = concatInOrder(node, partials, '__ql_trace');
  g.node = [...g.node.flatMap((n) => [n, ...(twin.has(n) ? [twin.get(n)!] : []), ...(placed.get(n) ?? [])]), ...added];
  g.initializer = [...g.initializer, ...constants.map((c) => new onnx.TensorProto(c))];
  g.output = [new onnx.ValueInfoProto({ name: output })] as onnx.GraphProto['output'];
  g.valueInfo = [];
  return { bytes: writeOnnx(model), tensors: traced, rows: rowCounts, output };
}
