/**
 * The sizes of a model's tensors worked out from the graph alone, for given input sizes (or the
 * graph's own, where it fixes them): what calibration's grouped ranges need
 * (augmentWithGroupedRanges), without a session created only to ask onnxruntime (on a 10k-node
 * decoder, creating that session took 1.2-2.4 s of a 3.4-5.9 s calibration); and what the checker
 * needs where a rule turns on a size no value_info declares, as ONNX Runtime folds a model's Shape
 * computations before its QNN EP partitions it (a rank-6 window partition's size-1 axes).
 *
 * A size is given only where it follows for certain: the ops below, with every input's size known
 * and every value a size depends on a constant of the graph (or computed from sizes: Shape, Gather,
 * Concat...). Anything else (an op not listed, a sub-graph, a length that follows the values, a
 * size the samples do not share) leaves the tensor, and every tensor computed from it, unsized, and
 * calibration asks onnxruntime as before. A size worked out wrong would cut a group's rows wrongly:
 * the tests compare every size given here with the one a run gives, on ONNX's conformance models
 * and on real exporters' models, and calibration cuts each group to exactly the rows it expects, so
 * a mistake fails the run (and calibration takes another way) rather than mixing tensors' values.
 */
import { constantNodeValue, smallConstValues, smallIntValues } from './constants';
import type { AttributeValue, ConstTensor, Model, Node } from './types';

type Shape = readonly number[];

/** The sizes a run is given: an onnxruntime tensor per input fits, or `{ dims }` alone. */
export type SizedInputs = Readonly<Record<string, { readonly dims: readonly number[] }>>;

/** Ops whose first output has their first input's size. */
const SAME_SHAPE = new Set([
  'Abs', 'Acos', 'Acosh', 'Asin', 'Asinh', 'Atan', 'Atanh', 'BatchNormalization', 'Cast', 'CastLike',
  'Ceil', 'Celu', 'Clip', 'Cos', 'Cosh', 'CumSum', 'DequantizeLinear', 'Dropout', 'Elu', 'Erf', 'Exp',
  'Floor', 'Gelu', 'HardSigmoid', 'HardSwish', 'Hardmax', 'Identity', 'InstanceNormalization', 'IsInf',
  'IsNaN', 'LayerNormalization', 'LeakyRelu', 'Log', 'LogSoftmax', 'LpNormalization', 'LRN',
  'MeanVarianceNormalization', 'Mish', 'Neg', 'Not', 'QuantizeLinear', 'Reciprocal', 'Relu', 'Round',
  'ScatterElements', 'ScatterND', 'Selu', 'Shrink', 'Sigmoid', 'Sign', 'Sin', 'Sinh', 'Softmax', 'Softplus',
  'Softsign', 'Sqrt', 'Tan',
  'Tanh', 'ThresholdedRelu', 'Trilu',
]); // prettier-ignore

/** Ops whose output has their inputs' sizes broadcast together (NumPy's rules). */
const BROADCAST = new Set([
  'Add', 'And', 'BitShift', 'Div', 'Equal', 'Greater', 'GreaterOrEqual', 'Less', 'LessOrEqual', 'Max',
  'Mean', 'Min', 'Mod', 'Mul', 'Or', 'Pow', 'PRelu', 'Sub', 'Sum', 'Where', 'Xor',
]); // prettier-ignore

/**
 * Ops whose integer values (sizes, a Pad's amounts, booleans as 0 and 1) are worked out when their
 * inputs' are known and of rank 0 or 1: PyTorch's and paddle2onnx's shape computations.
 */
const INT_ARITHMETIC = new Set(['Add', 'Sub', 'Mul', 'Div', 'Mod', 'Equal', 'Less', 'Greater', 'Where']);

/** Reductions, whose axes are an attribute, or an input from `inputFrom` on. */
const REDUCTIONS: Record<string, number> = {
  ReduceL1: 18,
  ReduceL2: 18,
  ReduceLogSum: 18,
  ReduceLogSumExp: 18,
  ReduceMax: 18,
  ReduceMean: 18,
  ReduceMin: 18,
  ReduceProd: 18,
  ReduceSum: 13,
  ReduceSumSquare: 18,
};

/** The sizes of the tensors of `model`'s main graph the samples fix, by name. */
export function staticShapes(model: Model, samples: readonly SizedInputs[]): Map<string, Shape> {
  const g = model.graph;
  const opset = model.opsetImports.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version ?? 1;
  const shapes = new Map<string, Shape>();
  /** Integer values known before a run: constants, and what is computed from sizes. */
  const values = new Map<string, number[]>();
  /** Small float constants (a Resize's scales). */
  const floats = new Map<string, number[]>();
  const setConst = (t: ConstTensor) => {
    shapes.set(t.name, t.dims);
    const v = smallIntValues(t) ?? (t.dtype === 'bool' ? smallIntValues({ ...t, dtype: 'uint8' }) : undefined);
    if (v) values.set(t.name, v);
    else {
      const f = smallConstValues(t);
      if (f) floats.set(t.name, f);
    }
  };
  for (const t of g.initializers.values()) setConst(t);
  // An input's size: where every sample gives it the same, axis by axis (a graph input that is also
  // an initializer is fed by the samples when they hold it).
  for (const input of g.inputs) {
    const given = samples.map((s) => s[input.name]?.dims);
    if (!given.length || given.some((d) => !d)) {
      if (!given.length && input.shape?.every((d) => typeof d === 'number' && d >= 0))
        shapes.set(input.name, input.shape as number[]);
      continue;
    }
    const first = given[0]!;
    if (given.some((d) => d!.length !== first.length || d!.some((x, i) => x !== first[i]))) {
      shapes.delete(input.name);
      continue;
    }
    shapes.set(input.name, [...first]);
    values.delete(input.name);
    floats.delete(input.name);
  }
  for (const node of g.nodes) {
    if (node.domain === 'com.microsoft' && node.opType === 'MatMulNBits') {
      // ONNX Runtime's 4-bit MatMul: A's size with its last axis N (an attribute).
      const a = shapes.get(node.inputs[0] ?? '');
      const n = intAttr(node, 'N');
      if (a && a.length >= 1 && n !== undefined && n > 0 && node.outputs[0])
        shapes.set(node.outputs[0], [...a.slice(0, -1), n]);
      continue;
    }
    if (node.domain && node.domain !== 'ai.onnx') continue;
    try {
      if (node.opType === 'Constant') {
        const t = constantNodeValue(node);
        if (t && node.outputs[0]) setConst({ ...t, name: node.outputs[0] });
        continue;
      }
      infer(node, opset, shapes, values, floats);
    } catch {
      // A size not worked out (Unsized), or an input that breaks the op's rules (onnxruntime will
      // say so when it runs): the node's outputs are left unsized.
    }
  }
  return shapes;
}

/** A size this module does not work out. */
class Unsized extends Error {}
const unsized = (): never => {
  throw new Unsized();
};

/** The value of `node`'s attribute `name` when it is of `type`. */
function attrOf(node: Node, name: string, type: AttributeValue['type']): unknown {
  const a = node.attributes.find((x) => x.name === name)?.attr;
  return a?.type === type ? a.value : undefined;
}
const intAttr = (node: Node, name: string) => attrOf(node, name, 'int') as number | undefined;
const intsAttr = (node: Node, name: string) => attrOf(node, name, 'ints') as number[] | undefined;
const stringAttr = (node: Node, name: string) => attrOf(node, name, 'string') as string | undefined;
const floatsAttr = (node: Node, name: string) => attrOf(node, name, 'floats') as number[] | undefined;

/** An axis in [0, rank), from a possibly negative one. */
function axisOf(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) return unsized();
  return a;
}

function broadcast(shapes: Shape[]): Shape {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    let d = 1;
    for (const s of shapes) {
      const x = s[s.length - rank + i] ?? 1;
      if (x === 1) continue;
      if (d !== 1 && d !== x) return unsized();
      d = x;
    }
    out.push(d);
  }
  return out;
}

const product = (s: Shape) => s.reduce((a, b) => a * b, 1);

/** The spatial output size of a convolution or pooling window along one axis. */
function windowed(
  size: number,
  kernel: number,
  stride: number,
  dilation: number,
  padBegin: number,
  padEnd: number,
  autoPad: string,
  ceil: boolean,
): number {
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') return Math.ceil(size / stride);
  const span = dilation * (kernel - 1) + 1;
  const pads = autoPad === 'VALID' ? 0 : padBegin + padEnd;
  const steps = (size + pads - span) / stride;
  // With ceil_mode, where a last window starting in the end padding is kept or dropped has varied
  // between runtimes' versions: such a size is left to onnxruntime.
  if (ceil && Math.ceil(steps) !== Math.floor(steps)) return unsized();
  const out = Math.floor(steps) + 1;
  if (out < 0) return unsized();
  return out;
}

/**
 * The values of a tensor of shape `out` taken from `values` (of shape `from`, row-major):
 * `source` maps each output index to the input index it holds.
 */
function pick(
  out: Shape,
  values: readonly number[],
  from: Shape,
  source: (index: number[]) => number[],
): number[] | undefined {
  if (values.length !== product(from)) return undefined;
  const strides = from.map((_, a) => product(from.slice(a + 1)));
  const picked: number[] = [];
  const index = out.map(() => 0);
  for (let n = product(out); n > 0; n--) {
    const at = source(index).reduce((sum, i, a) => sum + i * strides[a]!, 0);
    const got = values[at];
    if (got === undefined) return undefined;
    picked.push(got);
    for (let a = index.length - 1; a >= 0; a--) {
      if (++index[a]! < out[a]!) break;
      index[a] = 0;
    }
  }
  return picked;
}

function infer(
  node: Node,
  opset: number,
  shapes: Map<string, Shape>,
  values: Map<string, number[]>,
  floats: ReadonlyMap<string, number[]>,
): void {
  const op = node.opType;
  const input = (i: number): Shape | undefined => {
    const name = node.inputs[i];
    return name ? shapes.get(name) : undefined;
  };
  const need = (i: number): Shape => input(i) ?? unsized();
  const value = (i: number): number[] | undefined => {
    const name = node.inputs[i];
    return name ? values.get(name) : undefined;
  };
  const needValue = (i: number): number[] => value(i) ?? unsized();
  const set = (shape: Shape, k = 0, v?: number[]) => {
    const name = node.outputs[k];
    if (!name) return;
    if (shape.some((d) => !Number.isInteger(d) || d < 0)) return unsized();
    shapes.set(name, shape);
    if (v && v.length === product(shape)) values.set(name, v);
  };
  if (SAME_SHAPE.has(op)) {
    const s = need(0);
    // Integer values go through an Identity, a Cast to int32 or int64 as they are, a Cast to bool
    // or a Not as 0 and 1.
    const to = intAttr(node, 'to');
    const v = value(0);
    set(
      s,
      0,
      op === 'Identity' || (op === 'Cast' && (to === 6 || to === 7))
        ? v
        : op === 'Cast' && to === 9
          ? v?.map((x) => (x ? 1 : 0))
          : op === 'Not'
            ? v?.map((x) => (x ? 0 : 1))
            : undefined,
    );
    // Dropout's mask has its output's size.
    if (op === 'Dropout' && node.outputs[1]) set(s, 1);
    // A LayerNormalization's mean and inverse standard deviation: one value per normalized row.
    if (op === 'LayerNormalization' && node.outputs.length > 1) {
      const a = axisOf(intAttr(node, 'axis') ?? -1, s.length);
      const stats = s.map((d, i) => (i < a ? d : 1));
      set(stats, 1);
      set(stats, 2);
    }
    return;
  }
  if (BROADCAST.has(op)) {
    const all = node.inputs.map((_, i) => need(i));
    const out = broadcast(all);
    // Integer arithmetic on sizes (PyTorch's and paddle2onnx's shape computations).
    let v: number[] | undefined;
    const vs = node.inputs.map((_, i) => value(i));
    if (vs.every((x) => x) && all.every((s) => s.length <= 1) && INT_ARITHMETIC.has(op)) {
      const [a, b, c] = vs as number[][];
      const n = product(out);
      const at = (x: number[], i: number) => (x.length === 1 ? x[0]! : x[i]!);
      // An integer Mod takes the divisor's sign, unless fmod asks for the dividend's (C's %).
      const fmod = intAttr(node, 'fmod') === 1;
      v = Array.from({ length: n }, (_, i) => {
        const p = at(a!, i);
        const q = at(b!, i);
        // Comparisons give booleans as 0 and 1; Where picks between its last two inputs.
        if (op === 'Where') return p ? q : at(c!, i);
        if (op === 'Equal') return p === q ? 1 : 0;
        if (op === 'Less') return p < q ? 1 : 0;
        if (op === 'Greater') return p > q ? 1 : 0;
        if (op === 'Add') return p + q;
        if (op === 'Sub') return p - q;
        if (op === 'Mul') return p * q;
        if (q === 0) return NaN;
        if (op === 'Div') return Math.trunc(p / q);
        return fmod ? p % q : (((p % q) + q) % q) + 0;
      });
      if (v.some((x) => !Number.isFinite(x))) v = undefined;
    }
    set(out, 0, v);
    return;
  }
  if (op in REDUCTIONS) {
    const s = need(0);
    const keep = (intAttr(node, 'keepdims') ?? 1) !== 0;
    const axes = opset >= REDUCTIONS[op]! ? (node.inputs[1] ? needValue(1) : undefined) : intsAttr(node, 'axes');
    if (axes === undefined || axes.length === 0) {
      // From the opset that takes the axes as an input, no axes may mean no reduction at all.
      if (opset >= REDUCTIONS[op]! && intAttr(node, 'noop_with_empty_axes')) return set(s);
      return set(keep ? s.map(() => 1) : []);
    }
    const reduced = new Set(axes.map((a) => axisOf(a, s.length)));
    return set(keep ? s.map((d, i) => (reduced.has(i) ? 1 : d)) : s.filter((_, i) => !reduced.has(i)));
  }
  switch (op) {
    case 'Shape': {
      const s = need(0);
      const start = intAttr(node, 'start') ?? 0;
      const end = intAttr(node, 'end') ?? s.length;
      const clamp = (x: number) => Math.min(Math.max(x < 0 ? x + s.length : x, 0), s.length);
      const dims = s.slice(clamp(start), clamp(end));
      return set([dims.length], 0, [...dims]);
    }
    case 'Size':
      return set([], 0, [product(need(0))]);
    case 'ConstantOfShape': {
      const dims = needValue(0);
      // Its value, when it is an integer (a run of zero pads, say), repeated.
      const a = node.attributes.find((x) => x.name === 'value')?.attr;
      const fill = a?.type === 'tensor' ? smallIntValues(a.value)?.[0] : undefined;
      return set(dims, 0, fill === undefined ? undefined : Array<number>(product(dims)).fill(fill));
    }
    case 'MatMul': {
      const a = need(0);
      const b = need(1);
      if (a.length === 0 || b.length === 0) return unsized();
      const a2 = a.length === 1 ? [1, a[0]!] : a;
      const b2 = b.length === 1 ? [b[0]!, 1] : b;
      if (a2[a2.length - 1] !== b2[b2.length - 2]) return unsized();
      const batch = broadcast([a2.slice(0, -2), b2.slice(0, -2)]);
      const out = [
        ...batch,
        ...(a.length === 1 ? [] : [a2[a2.length - 2]!]),
        ...(b.length === 1 ? [] : [b2[b2.length - 1]!]),
      ];
      return set(out);
    }
    case 'Gemm': {
      const a = need(0);
      const b = need(1);
      if (a.length !== 2 || b.length !== 2) return unsized();
      const m = intAttr(node, 'transA') ? a[1]! : a[0]!;
      const n = intAttr(node, 'transB') ? b[0]! : b[1]!;
      return set([m, n]);
    }
    case 'Conv':
    case 'MaxPool':
    case 'AveragePool':
    case 'LpPool': {
      const x = need(0);
      if (x.length < 3) return unsized();
      const spatial = x.length - 2;
      let kernel = intsAttr(node, 'kernel_shape');
      let channels = x[1]!;
      if (op === 'Conv') {
        const w = need(1);
        if (w.length !== x.length) return unsized();
        kernel ??= w.slice(2);
        channels = w[0]!;
      }
      if (!kernel || kernel.length !== spatial) return unsized();
      const strides = intsAttr(node, 'strides') ?? kernel.map(() => 1);
      const dilations = intsAttr(node, 'dilations') ?? kernel.map(() => 1);
      const pads = intsAttr(node, 'pads') ?? kernel.flatMap(() => [0, 0]);
      const autoPad = stringAttr(node, 'auto_pad') ?? 'NOTSET';
      const ceil = (intAttr(node, 'ceil_mode') ?? 0) !== 0;
      const out = kernel.map((k, i) =>
        windowed(x[i + 2]!, k, strides[i]!, dilations[i]!, pads[i]!, pads[i + spatial]!, autoPad, ceil),
      );
      set([x[0]!, channels, ...out]);
      // MaxPool's indices have the values' size.
      if (op === 'MaxPool' && node.outputs[1]) set([x[0]!, channels, ...out], 1);
      return;
    }
    case 'ConvTranspose': {
      const x = need(0);
      const w = need(1);
      if (x.length < 3 || w.length !== x.length) return unsized();
      const spatial = x.length - 2;
      const kernel = intsAttr(node, 'kernel_shape') ?? w.slice(2);
      const group = intAttr(node, 'group') ?? 1;
      const channels = w[1]! * group;
      const given = intsAttr(node, 'output_shape');
      if (given) return set([x[0]!, channels, ...given.slice(-spatial)]);
      const strides = intsAttr(node, 'strides') ?? kernel.map(() => 1);
      const dilations = intsAttr(node, 'dilations') ?? kernel.map(() => 1);
      const outPad = intsAttr(node, 'output_padding') ?? kernel.map(() => 0);
      const autoPad = stringAttr(node, 'auto_pad') ?? 'NOTSET';
      if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER')
        return set([x[0]!, channels, ...kernel.map((_, i) => x[i + 2]! * strides[i]!)]);
      const pads =
        autoPad === 'VALID' ? kernel.flatMap(() => [0, 0]) : (intsAttr(node, 'pads') ?? kernel.flatMap(() => [0, 0]));
      return set([
        x[0]!,
        channels,
        ...kernel.map(
          (k, i) =>
            strides[i]! * (x[i + 2]! - 1) + outPad[i]! + (k - 1) * dilations[i]! + 1 - pads[i]! - pads[i + spatial]!,
        ),
      ]);
    }
    case 'GlobalAveragePool':
    case 'GlobalMaxPool':
    case 'GlobalLpPool': {
      const x = need(0);
      if (x.length < 3) return unsized();
      return set([x[0]!, x[1]!, ...x.slice(2).map(() => 1)]);
    }
    case 'Flatten': {
      const x = need(0);
      const axis = intAttr(node, 'axis') ?? 1;
      const a = axis < 0 ? axis + x.length : axis;
      if (a < 0 || a > x.length) return unsized();
      return set([product(x.slice(0, a)), product(x.slice(a))]);
    }
    case 'Reshape': {
      const x = need(0);
      const target = opset >= 5 ? needValue(1) : intsAttr(node, 'shape');
      if (!target) return unsized();
      const allowZero = (intAttr(node, 'allowzero') ?? 0) !== 0;
      const out = target.map((d, i) => (d === 0 && !allowZero ? (x[i] ?? unsized()) : d));
      const minus = out.filter((d) => d === -1).length;
      if (minus > 1 || out.some((d) => d < -1)) return unsized();
      if (minus === 1) {
        const known = product(out.filter((d) => d !== -1));
        if (known === 0 || product(x) % known !== 0) return unsized();
        out[out.indexOf(-1)] = product(x) / known;
      }
      if (product(out) !== product(x)) return unsized();
      return set(out, 0, value(0));
    }
    case 'Transpose': {
      const x = need(0);
      const perm = (intsAttr(node, 'perm') ?? x.map((_, i) => x.length - 1 - i)).map((p) => axisOf(p, x.length));
      if (perm.length !== x.length) return unsized();
      const out = perm.map((p) => x[p]!);
      // Integer values moved with their positions (PyTorch writes a Pad's amounts through one).
      const v = value(0);
      // Output axis k is input axis perm[k].
      const source = (i: number[]) => {
        const at = Array<number>(x.length);
        i.forEach((j, k) => (at[perm[k]!] = j));
        return at;
      };
      return set(out, 0, v && pick(out, v, x, source));
    }
    case 'Squeeze': {
      const x = need(0);
      const axes = opset >= 13 ? (node.inputs[1] ? needValue(1) : undefined) : intsAttr(node, 'axes');
      if (!axes)
        return set(
          x.filter((d) => d !== 1),
          0,
          value(0),
        );
      const drop = new Set(axes.map((a) => axisOf(a, x.length)));
      if ([...drop].some((a) => x[a] !== 1)) return unsized();
      return set(
        x.filter((_, i) => !drop.has(i)),
        0,
        value(0),
      );
    }
    case 'Unsqueeze': {
      const x = need(0);
      const axes = opset >= 13 ? needValue(1) : intsAttr(node, 'axes');
      if (!axes) return unsized();
      const rank = x.length + axes.length;
      const added = new Set(axes.map((a) => axisOf(a, rank)));
      if (added.size !== axes.length) return unsized();
      const out: number[] = [];
      let k = 0;
      for (let i = 0; i < rank; i++) out.push(added.has(i) ? 1 : x[k++]!);
      return set(out, 0, value(0));
    }
    case 'Concat': {
      const all = node.inputs.map((_, i) => need(i));
      const rank = all[0]!.length;
      const axis = axisOf(intAttr(node, 'axis') ?? unsized(), rank);
      if (all.some((s) => s.length !== rank || s.some((d, i) => i !== axis && d !== all[0]![i]))) return unsized();
      const out = all[0]!.map((d, i) => (i === axis ? all.reduce((n, s) => n + s[axis]!, 0) : d));
      const vs = node.inputs.map((_, i) => value(i));
      return set(out, 0, rank === 1 && vs.every((v) => v) ? (vs as number[][]).flat() : undefined);
    }
    case 'Split': {
      const x = need(0);
      const axis = axisOf(intAttr(node, 'axis') ?? 0, x.length);
      let parts = opset >= 13 ? (node.inputs[1] ? needValue(1) : undefined) : intsAttr(node, 'split');
      const n = node.outputs.length;
      if (!parts) {
        const num = intAttr(node, 'num_outputs') ?? n;
        const each = Math.ceil(x[axis]! / num);
        parts = Array.from({ length: num }, (_, i) => Math.max(0, Math.min(each, x[axis]! - i * each)));
        // Before opset 18, an even split only.
        if (opset < 18 && x[axis]! % num !== 0) return unsized();
      }
      if (parts.length !== n || parts.reduce((a, b) => a + b, 0) !== x[axis]) return unsized();
      parts.forEach((p, k) =>
        set(
          x.map((d, i) => (i === axis ? p : d)),
          k,
        ),
      );
      return;
    }
    case 'Slice': {
      const x = need(0);
      const starts = opset >= 10 ? needValue(1) : intsAttr(node, 'starts');
      const ends = opset >= 10 ? needValue(2) : intsAttr(node, 'ends');
      const axes =
        (opset >= 10 ? (node.inputs[3] ? needValue(3) : undefined) : intsAttr(node, 'axes')) ??
        starts?.map((_, i) => i);
      const steps = (opset >= 10 && node.inputs[4] ? needValue(4) : undefined) ?? starts?.map(() => 1);
      if (!starts || !ends || !axes || !steps || ends.length !== starts.length || axes.length !== starts.length)
        return unsized();
      const out = [...x];
      const ranges = x.map((d) => ({ start: 0, step: 1, count: d }));
      axes.forEach((a0, k) => {
        const a = axisOf(a0, x.length);
        const d = x[a]!;
        const step = steps[k]!;
        if (step === 0) return unsized();
        const big = 2 ** 53;
        let s = starts[k]!;
        let e = ends[k]!;
        s = s < 0 ? s + d : s;
        e = e < 0 && e > -big ? e + d : e;
        let count: number;
        if (step > 0) {
          s = Math.min(Math.max(s, 0), d);
          e = Math.min(Math.max(e, 0), d);
          count = Math.max(0, Math.ceil((e - s) / step));
        } else {
          s = Math.min(Math.max(s, 0), d - 1);
          e = Math.min(Math.max(e, -1), d - 1);
          count = Math.max(0, Math.ceil((s - e) / -step));
        }
        out[a] = count;
        ranges[a] = { start: s, step, count };
      });
      // Integer values (a size vector, a Pad's amounts), sliced.
      const v = value(0);
      return set(out, 0, v && pick(out, v, x, (i) => i.map((j, a) => ranges[a]!.start + j * ranges[a]!.step)));
    }
    case 'Gather': {
      const x = need(0);
      const idx = need(1);
      const axis = axisOf(intAttr(node, 'axis') ?? 0, x.length);
      const out = [...x.slice(0, axis), ...idx, ...x.slice(axis + 1)];
      const v = value(0);
      const iv = value(1);
      const picked =
        v && iv && x.length === 1
          ? iv.map((i) => v[i < 0 ? i + v.length : i]).filter((y): y is number => y !== undefined)
          : undefined;
      return set(out, 0, picked && picked.length === (iv?.length ?? -1) ? picked : undefined);
    }
    case 'Einsum': {
      // Letters only (no "...", whose broadcasting is left to onnxruntime), each of one size.
      const eq = (stringAttr(node, 'equation') ?? '').replace(/\s/g, '');
      const [lhs, rhs] = eq.split('->');
      const terms = lhs?.split(',') ?? [];
      if (!lhs || eq.includes('.') || terms.length !== node.inputs.length) return unsized();
      const size = new Map<string, number>();
      terms.forEach((term, i) => {
        const x = need(i);
        if (term.length !== x.length) return unsized();
        [...term].forEach((c, k) => {
          if (size.has(c) && size.get(c) !== x[k]) return unsized();
          size.set(c, x[k]!);
        });
      });
      // Without "->", the letters that appear once, in alphabetical order.
      const out =
        rhs ??
        [...size.keys()]
          .filter((c) => lhs.split(c).length === 2)
          .sort()
          .join('');
      return set([...out].map((c) => size.get(c) ?? unsized()));
    }
    case 'GatherElements':
      need(0);
      return set(need(1));
    case 'Expand': {
      const x = need(0);
      return set(broadcast([x, needValue(1)]));
    }
    case 'Tile': {
      const x = need(0);
      const reps = opset >= 6 ? needValue(1) : unsized();
      if (reps.length !== x.length) return unsized();
      return set(x.map((d, i) => d * reps[i]!));
    }
    case 'Pad': {
      const x = need(0);
      const pads = opset >= 11 ? needValue(1) : (intsAttr(node, 'pads') ?? intsAttr(node, 'paddings'));
      if (!pads) return unsized();
      const axes = opset >= 18 && node.inputs[3] ? needValue(3).map((a) => axisOf(a, x.length)) : x.map((_, i) => i);
      if (pads.length !== 2 * axes.length) return unsized();
      const out = [...x];
      axes.forEach((a, k) => (out[a] = x[a]! + pads[k]! + pads[k + axes.length]!));
      return set(out);
    }
    case 'DepthToSpace':
    case 'SpaceToDepth': {
      const x = need(0);
      const b = intAttr(node, 'blocksize') ?? unsized();
      if (x.length !== 4) return unsized();
      if (op === 'DepthToSpace') {
        if (x[1]! % (b * b)) return unsized();
        return set([x[0]!, x[1]! / (b * b), x[2]! * b, x[3]! * b]);
      }
      if (x[2]! % b || x[3]! % b) return unsized();
      return set([x[0]!, x[1]! * b * b, x[2]! / b, x[3]! / b]);
    }
    case 'Resize':
    case 'Upsample': {
      const x = need(0);
      if (op === 'Resize' && stringAttr(node, 'coordinate_transformation_mode') === 'tf_crop_and_resize')
        return unsized();
      const policy = stringAttr(node, 'keep_aspect_ratio_policy');
      if (intsAttr(node, 'axes') || (policy !== undefined && policy !== 'stretch')) return unsized();
      if (op === 'Resize' && opset >= 11 && node.inputs[3]) {
        const sizes = needValue(3);
        if (sizes.length !== x.length) return unsized();
        return set(sizes);
      }
      // Scales: only whole ones (an upsampling by 2), whose product with a size is exact.
      const at = op === 'Resize' ? (opset >= 11 ? 2 : 1) : 1;
      const scales =
        op === 'Upsample' && opset < 9
          ? floatsAttr(node, 'scales')
          : node.inputs[at]
            ? floats.get(node.inputs[at]!)
            : undefined;
      if (!scales || scales.length !== x.length || scales.some((f) => !Number.isInteger(f) || f < 1)) return unsized();
      return set(x.map((d, i) => d * scales[i]!));
    }
    case 'TopK': {
      const x = need(0);
      const axis = axisOf(intAttr(node, 'axis') ?? -1, x.length);
      const k = opset >= 10 ? needValue(1)[0] : intAttr(node, 'k');
      if (k === undefined) return unsized();
      const out = x.map((d, i) => (i === axis ? k : d));
      set(out, 0);
      set(out, 1);
      return;
    }
    case 'Range': {
      const [start, limit, delta] = [needValue(0)[0], needValue(1)[0], needValue(2)[0]];
      if (start === undefined || limit === undefined || !delta) return unsized();
      const n = Math.max(Math.ceil((limit - start) / delta), 0);
      return set(
        [n],
        0,
        Array.from({ length: n }, (_, i) => start + i * delta),
      );
    }
    case 'LSTM':
    case 'GRU':
    case 'RNN': {
      const x = need(0);
      if (x.length !== 3 || (intAttr(node, 'layout') ?? 0) !== 0) return unsized();
      const hidden = intAttr(node, 'hidden_size') ?? unsized();
      const dirs = stringAttr(node, 'direction') === 'bidirectional' ? 2 : 1;
      set([x[0]!, dirs, x[1]!, hidden], 0);
      set([dirs, x[1]!, hidden], 1);
      if (op === 'LSTM') set([dirs, x[1]!, hidden], 2);
      return;
    }
    default:
      return;
  }
}
