/**
 * Ranges that follow exactly from other tensors' ranges. A Relu's output holds max(0, x) of each
 * of its input's values, so its minimum and maximum are those of its input put through max(0, ·):
 * calibration that observes the input need not reduce the output too. Min/max calibration only:
 * the extremes of a sample, and so of all samples, commute with a monotone function of each
 * element, where a moving average or a percentile's tails would not come out the same.
 *
 * Only ops whose outputs are computed exactly, element by element, from values the range already
 * holds are derived (no op whose kernel approximates, as onnxruntime's Sigmoid and Tanh do):
 * - the same values rearranged (Identity, Reshape, Flatten, Squeeze, Unsqueeze, Transpose,
 *   DepthToSpace, SpaceToDepth), from the input or, through such ops whose outputs are not
 *   observed, from the tensor they rearrange;
 * - Relu and Clip with constant bounds (clamps: monotone), Neg (swaps the ends);
 * - Concat: the union of its inputs' ranges (an input may be a float constant);
 * - Add, Sub, Mul and Div of a float32 tensor and a float32 constant of one value (a Mul or Div by a
 *   finite value other than 0; a Div of the tensor by it, not of it by the tensor): each output
 *   value is its input value with the constant, rounded once to float32 as IEEE arithmetic rounds,
 *   and that rounding never reverses an order. So the ends of the output are the input's ends
 *   put through the same step (a negative factor swaps them), computed here in double and rounded
 *   once to float32, which gives the float32 result exactly (a double holds more than twice a
 *   float32's digits). PP-OCRv4's hard-swish activations (x + 3, then / 6) and a scaled attention
 *   (q · 0.125) are such steps;
 * - Sqrt of a float32 tensor (IEEE square roots are correctly rounded, so monotone), and Pow of a
 *   float32 tensor by the constant 2 (a float32's square is exact in a double: rounded once to
 *   float32, it is what onnxruntime gives, bit for bit on PyTorch's and paddle2onnx's models in the
 *   tests): the layer and RMS norms PyTorch decomposes (Pow, ReduceMean, Add, Sqrt, Div) have two
 *   such ops each. Float16 tensors are left to the measurement: onnxruntime computes these in
 *   float32 and may drop the cast back between two of them, so a value's rounding depends on the
 *   rest of the graph.
 *
 * And the other way: a tensor that Slices take apart whole holds exactly the values they hold, so its
 * range is the union of theirs when each is measured. PyTorch's rotate_half (x[..., :h] and
 * x[..., h:], on the heads of a query or key projection) and roll (two slices joined) export so:
 * the projection's output is then not measured. Each Slice must have step 1 along one axis and
 * constant bounds, and together they must run from 0 to an end past 2^31 (exporters write INT64_MAX)
 * or to the axis's size (declared, or given by a Reshape to a constant shape, or a Transpose).
 *
 * A square's smallest value is not its input's smallest squared when the input changes sign: it is
 * the square of the value nearest 0, which no range tells. Such a derived range has 0 for that end
 * (a "loose" end: the true end lies on the same side of 0), which gives the same encoding, since
 * every activation encoding covers 0 (math.ts's activationEncoding). A loose range may feed only the
 * ops that keep that equivalence (they map 0 to 0 and keep each end's side: rearranging, Relu, Neg,
 * Concat, Mul and Div by a constant, Sqrt, the square); a shift (Add, Sub) or a Clip needs its
 * source's range exact.
 */
import { constValues, lookupConstant, smallIntValues } from '../model/constants';
import { dtypeFromCode } from '../model/dtype';
import { declaredShapes, declaredTypes } from '../model/declared-types';
import { producerIndex, readerIndex } from '../model/graph-index';
import type { Dim, Model, Node } from '../model/types';

/** A tensor's minimum and maximum (calibrate.ts's Range, which imports this module). */
interface Range {
  min: number;
  max: number;
}

/** The same values in another order or shape: the output's range is the input's. */
const REARRANGING = new Set([
  'Identity',
  'Reshape',
  'Flatten',
  'Squeeze',
  'Unsqueeze',
  'Transpose',
  'DepthToSpace',
  'SpaceToDepth',
]);

/**
 * How a derived tensor's range is computed from its sources' ranges. `loose`: an end may be 0 where
 * the true one is on the same side of 0 (see the module's comment): the same encoding, not the
 * same range.
 */
type Rule = { sources: string[]; constants: Range[]; map: (lo: number, hi: number) => Range; loose?: boolean };

/** Ops that map 0 to 0 and keep each end of a range on its side of 0: a loose source stays loose. */
const KEEPS_LOOSE = new Set([...REARRANGING, 'Relu', 'Neg', 'Concat', 'Mul', 'Div', 'Sqrt', 'Pow']);

export interface DerivedRanges {
  /** The observed tensors calibration still has to measure. */
  measure: Set<string>;
  /** The tensors whose ranges are derived, each from its sources' ranges and constants, in graph order. */
  derived: Map<string, Rule>;
}

/**
 * Splits `observed` into what calibration measures and what follows from it. A tensor is derived
 * when its node is one of the ops above and each of its sources is measured, derived before it,
 * or a float constant; anything else is measured. With `sameValues`, only the rearranging ops
 * derive (their output holds its source's very values, so any observer's range of it, a moving
 * average of extremes or a percentile, is the source's): for observers other than min/max.
 */
export function deriveRanges(
  model: Model,
  observed: ReadonlySet<string>,
  { sameValues = false }: { sameValues?: boolean } = {},
): DerivedRanges {
  const measure = new Set(observed);
  const derived = new Map<string, Rule>();
  const float32 = float32Tensors(model);
  const producers = producerIndex(model.graph);
  for (const node of model.graph.nodes) {
    const out = node.outputs[0];
    if (!out || !observed.has(out) || node.domain !== '' || node.outputs.filter(Boolean).length !== 1) continue;
    // A source is known when measured or derived before; a loose one only to the ops that keep it so.
    const keepsLoose = KEEPS_LOOSE.has(node.opType);
    const known = (t: string) => measure.has(t) || (derived.has(t) && (keepsLoose || !derived.get(t)!.loose));
    const rule =
      rearrangedFrom(node, known, producers) ?? (sameValues ? undefined : ruleFor(model, node, known, float32));
    if (!rule) continue;
    if (rule.sources.some((t) => derived.get(t)?.loose)) rule.loose = true;
    measure.delete(out);
    derived.set(out, rule);
  }
  // Then the other way: a measured tensor that Slices take apart whole (PyTorch's rotate_half,
  // x[..., :h] and x[..., h:], on a rearranged copy of a projection's output) holds exactly the
  // values its slices hold, so its range is the union of theirs when each slice is measured. Those
  // rules go first: their sources are measured, and forward rules may read the tensor they give.
  const covered = new Map<string, Rule>();
  const sources = new Set<string>();
  const readers = readerIndex(model.graph);
  const shapes = declaredShapes(model.graph);
  for (const t of sameValues ? [] : measure) {
    if (sources.has(t)) continue;
    const parts = slicedWhole(model, t, readers, shapes, (x) => measure.has(x) && !covered.has(x));
    if (!parts) continue;
    covered.set(t, { sources: parts, constants: [], map: same });
    for (const part of parts) sources.add(part);
  }
  for (const t of covered.keys()) measure.delete(t);
  return { measure, derived: new Map([...covered, ...derived]) };
}

/** Slice ends at or past this reach a tensor's end whatever its size (exporters write INT64_MAX). */
const TO_THE_END = 2 ** 31 - 1;

/**
 * The outputs of Slices that, between them, hold every value of `root` (or of a copy of it that
 * rearranging ops make), each output `measured`: Slices with step 1 along one axis, constant
 * bounds, whose spans from 0 leave no gap up to the end (an end past 2^31, or the axis's declared
 * size). Undefined when there are none.
 */
function slicedWhole(
  model: Model,
  root: string,
  readers: ReadonlyMap<string, Node[]>,
  shapes: ReadonlyMap<string, Dim[] | undefined>,
  measured: (t: string) => boolean,
): string[] | undefined {
  const seen = new Set([root]);
  // Sizes a rearranging op gives its output, where the graph does not declare them.
  const sized = new Map<string, Dim[] | undefined>();
  for (const x of seen) {
    const declared = shapes.get(x) ?? sized.get(x);
    const byAxis = new Map<number, { start: number; end: number; output: string }[]>();
    for (const n of readers.get(x) ?? []) {
      if (n.domain !== '' || n.inputs[0] !== x) continue;
      const out = n.outputs[0];
      if (!out || n.outputs.filter(Boolean).length !== 1) continue;
      if (REARRANGING.has(n.opType)) {
        seen.add(out);
        sized.set(out, rearrangedDims(model, n, declared));
      }
      if (n.opType !== 'Slice' || !measured(out)) continue;
      const span = sliceSpan(model, n, declared);
      if (span) (byAxis.get(span.axis) ?? byAxis.set(span.axis, []).get(span.axis)!).push({ ...span, output: out });
    }
    for (const [axis, spans] of byAxis) {
      const size = declared?.[axis];
      const end = typeof size === 'number' && size > 0 ? Math.min(size, TO_THE_END) : TO_THE_END;
      spans.sort((a, b) => a.start - b.start);
      let reach = 0;
      for (const s of spans) if (s.start <= reach) reach = Math.max(reach, s.end);
      if (reach >= end) return spans.map((s) => s.output);
    }
  }
  return undefined;
}

/**
 * The sizes of a Reshape's output when its shape is a constant of positive sizes, and of a
 * Transpose's when its input's sizes are known: undefined otherwise (and for other ops).
 */
function rearrangedDims(model: Model, node: Node, input: readonly Dim[] | undefined): Dim[] | undefined {
  if (node.opType === 'Reshape') {
    const shape = node.inputs[1] ? smallIntValues(lookupConstant(model, '', node.inputs[1])) : undefined;
    return shape?.every((d) => d > 0) ? shape : undefined;
  }
  if (node.opType !== 'Transpose' || !input?.every((d) => typeof d === 'number')) return undefined;
  const perm = node.attributes.find((a) => a.name === 'perm')?.attr;
  if (!perm) return [...input].reverse();
  return perm.type === 'ints' && perm.value.length === input.length ? perm.value.map((p) => input[p]!) : undefined;
}

/**
 * A Slice's span along its one axis, with step 1 and constant bounds (inputs from opset 10,
 * attributes before): negative bounds and axes counted from the declared shape when there is one.
 */
function sliceSpan(
  model: Model,
  node: Node,
  declared: readonly Dim[] | undefined,
): { axis: number; start: number; end: number } | undefined {
  const ints = (index: number, attribute: string): number[] | undefined => {
    if (node.inputs.length > 1) {
      const name = node.inputs[index];
      if (!name) return undefined;
      return smallIntValues(lookupConstant(model, '', name));
    }
    const a = node.attributes.find((x) => x.name === attribute)?.attr;
    return a?.type === 'ints' ? a.value : undefined;
  };
  const starts = ints(1, 'starts');
  const ends = ints(2, 'ends');
  // Without axes, a one-axis Slice slices the first.
  const axesGiven = node.inputs.length > 1 ? !!node.inputs[3] : node.attributes.some((x) => x.name === 'axes');
  const axes = axesGiven ? ints(3, 'axes') : [0];
  const steps = node.inputs[4] ? ints(4, '') : [1];
  if (starts?.length !== 1 || ends?.length !== 1 || axes?.length !== 1 || steps?.length !== 1 || steps[0] !== 1)
    return undefined;
  const rank = declared?.length;
  let [axis, start, end] = [axes[0]!, starts[0]!, ends[0]!];
  if (axis < 0) {
    if (rank === undefined) return undefined;
    axis += rank;
  }
  const size = declared?.[axis];
  if (start < 0 || end < 0) {
    if (typeof size !== 'number') return undefined;
    if (start < 0) start = Math.max(0, start + size);
    if (end < 0) end += size;
  }
  return { axis, start, end };
}

/**
 * Adds the derived tensors' ranges to `ranges` (the measured ones), in graph order so that a
 * source derived itself is there first. A tensor none of whose sources has a range (never observed:
 * empty on every sample, or not float) gets none either.
 */
export function completeRanges(derivation: DerivedRanges, ranges: Map<string, Range>): void {
  for (const [tensor, rule] of derivation.derived) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const r of [...rule.sources.map((s) => ranges.get(s)), ...rule.constants]) {
      if (!r) continue;
      lo = Math.min(lo, r.min);
      hi = Math.max(hi, r.max);
    }
    if (lo > hi) continue;
    ranges.set(tensor, rule.map(lo, hi));
  }
}

const same = (min: number, max: number): Range => ({ min, max });

/** Whether `node` only rearranges its first input's values (one output, ONNX's own domain). */
const rearranges = (node: Node) =>
  REARRANGING.has(node.opType) && node.domain === '' && node.outputs.filter(Boolean).length === 1;

/**
 * A rearranging node's rule: its input's range when that is known, else that of the tensor its
 * input comes from through rearranging nodes only, when that one's is known (a Transpose of an
 * unobserved Reshape of a projection's output, as attention heads are split).
 */
function rearrangedFrom(
  node: Node,
  known: (t: string) => boolean,
  producers: ReadonlyMap<string, Node>,
): Rule | undefined {
  if (!rearranges(node)) return undefined;
  let source = node.inputs[0];
  for (let hops = 0; source && !known(source) && hops < MAX_REARRANGING_HOPS; hops++) {
    const from = producers.get(source);
    if (!from || !rearranges(from)) return undefined;
    source = from.inputs[0];
  }
  return source && known(source) ? { sources: [source], constants: [], map: same } : undefined;
}

/** Most unobserved rearranging nodes a derivation looks back through. */
const MAX_REARRANGING_HOPS = 8;

function ruleFor(
  model: Model,
  node: Node,
  known: (t: string) => boolean,
  float32: (t: string) => boolean,
): Rule | undefined {
  const input = node.inputs[0];
  if (!input) return undefined;
  const one = (map: Rule['map']): Rule | undefined =>
    known(input) ? { sources: [input], constants: [], map } : undefined;
  switch (node.opType) {
    case 'Relu':
      return one((lo, hi) => ({ min: Math.max(0, lo), max: Math.max(0, hi) }));
    case 'Neg':
      return one((lo, hi) => ({ min: -hi, max: -lo }));
    case 'Sqrt': {
      // A negative value's root is NaN: of an input that reaches below 0, the roots that are
      // numbers start at 0 or above, so that end is loose (only a run would tell where).
      if (!float32(input)) return undefined;
      const root = (x: number) => Math.fround(Math.sqrt(x));
      const rule = one((lo, hi) => ({ min: lo >= 0 ? root(lo) : 0, max: root(hi) }));
      return rule && { ...rule, loose: true };
    }
    case 'Pow': {
      // Squaring only (another exponent goes through a pow function whose rounding is its own).
      const exponent = node.inputs[1] ? floatScalar(model, node.inputs[1]) : undefined;
      if (exponent?.value !== 2 || !float32(input)) return undefined;
      const square = (x: number) => Math.fround(x * x);
      const rule = one((lo, hi) =>
        lo >= 0
          ? { min: square(lo), max: square(hi) }
          : hi <= 0
            ? { min: square(hi), max: square(lo) }
            : { min: 0, max: square(Math.max(-lo, hi)) },
      );
      return rule && { ...rule, loose: true };
    }
    case 'Clip': {
      const bounds = clipBounds(model, node);
      if (!bounds) return undefined;
      const [low, high] = bounds;
      // onnxruntime clamps each value to min(max(x, low), high): monotone in x.
      const clamp = (x: number) => Math.min(Math.max(x, low), high);
      return one((lo, hi) => ({ min: clamp(lo), max: clamp(hi) }));
    }
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Div':
      return scalarStep(model, node, known);
    case 'Concat': {
      const sources: string[] = [];
      const constants: Range[] = [];
      for (const t of node.inputs) {
        if (!t) continue;
        if (known(t)) {
          sources.push(t);
          continue;
        }
        const c = constantRange(model, t);
        if (!c) return undefined;
        if (c.min <= c.max) constants.push(c);
      }
      return sources.length ? { sources, constants, map: same } : undefined;
    }
    default:
      return undefined;
  }
}

/**
 * The rule of an Add, Sub, Mul or Div of one observed float32 tensor and a float32 constant of one
 * value (see the module's comment); undefined for anything else.
 */
function scalarStep(model: Model, node: Node, known: (t: string) => boolean): Rule | undefined {
  if (node.inputs.length !== 2) return undefined;
  const [a, b] = node.inputs as [string, string];
  const ca = scalarFloat32(model, a);
  const cb = scalarFloat32(model, b);
  // Exactly one side a constant, the other a tensor whose range is known.
  if ((ca === undefined) === (cb === undefined)) return undefined;
  const constantFirst = ca !== undefined;
  const tensor = constantFirst ? b : a;
  const c = (constantFirst ? ca : cb)!;
  if (!known(tensor)) return undefined;
  const f = Math.fround;
  // Each step is monotone in the tensor's value: increasing unless it says otherwise.
  let step: (x: number) => number;
  let decreasing = false;
  switch (node.opType) {
    case 'Add':
      step = (x) => f(x + c);
      break;
    case 'Sub':
      step = constantFirst ? (x) => f(c - x) : (x) => f(x - c);
      decreasing = constantFirst;
      break;
    case 'Mul':
      // x · 0 is NaN for an infinite x, and 0 otherwise: left to the measurement.
      if (c === 0) return undefined;
      step = (x) => f(x * c);
      decreasing = c < 0;
      break;
    case 'Div':
      // c / x is not monotone where x changes sign.
      if (constantFirst || c === 0) return undefined;
      step = (x) => f(x / c);
      decreasing = c < 0;
      break;
    default:
      return undefined;
  }
  return {
    sources: [tensor],
    constants: [],
    map: decreasing ? (lo, hi) => ({ min: step(hi), max: step(lo) }) : (lo, hi) => ({ min: step(lo), max: step(hi) }),
  };
}

/**
 * Whether a tensor is surely float32: declared so, or undeclared in a model that declares no other
 * float type anywhere (float16, bfloat16, float64: in inputs, outputs, value infos, initializers,
 * Constant nodes, Casts to it).
 */
function float32Tensors(model: Model): (tensor: string) => boolean {
  const g = model.graph;
  const declared = declaredTypes(g);
  const other = (dtype: string) => dtype === 'float16' || dtype === 'bfloat16' || dtype === 'float64';
  let mixed = [...declared.values()].some(other);
  for (const n of g.nodes) {
    if (mixed) break;
    for (const a of n.attributes)
      if (
        (a.attr.type === 'tensor' && other(String(a.attr.value.dtype))) ||
        (n.opType === 'Cast' && a.name === 'to' && a.attr.type === 'int' && other(dtypeFromCode(a.attr.value)))
      )
        mixed = true;
  }
  return (t) => {
    const d = declared.get(t);
    return d === 'float32' || (!mixed && (d === undefined || d === 'undefined'));
  };
}

/** The value of a float32 constant of exactly one element, when it is one and finite. */
function scalarFloat32(model: Model, tensor: string): number | undefined {
  const c = floatScalar(model, tensor);
  return c?.dtype === 'float32' && Number.isFinite(c.value) ? c.value : undefined;
}

/** A float constant of exactly one element that is not NaN: its value and type. */
function floatScalar(model: Model, tensor: string): { value: number; dtype: string } | undefined {
  const c = lookupConstant(model, '', tensor);
  const values = c && /^float/.test(String(c.dtype)) ? constValues(c) : undefined;
  if (!values || values.length !== 1 || Number.isNaN(values[0]!)) return undefined;
  return { value: Number(values[0]), dtype: String(c!.dtype) };
}

/** A float constant's extent (min > max when it is empty), or undefined when it is not one. */
function constantRange(model: Model, tensor: string): Range | undefined {
  const c = lookupConstant(model, '', tensor);
  if (!c || !/^float/.test(String(c.dtype))) return undefined;
  const values = constValues(c);
  if (!values) return undefined;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    // A NaN would make the reduction's result depend on where it stands: not derived.
    if (Number.isNaN(v)) return undefined;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}

/**
 * A Clip's bounds: its `min` and `max` attributes before opset 11, its constant inputs from 11;
 * undefined when a bound is computed in the graph, or absent (onnxruntime then clamps to the
 * type's own limits, which an infinite value would show).
 */
function clipBounds(model: Model, node: Node): [number, number] | undefined {
  const bound = (index: number, attribute: string): number | undefined => {
    const name = node.inputs[index];
    if (!name) {
      const a = node.attributes.find((x) => x.name === attribute)?.attr;
      return a?.type === 'float' ? a.value : undefined;
    }
    return floatScalar(model, name)?.value;
  };
  const low = bound(1, 'min');
  const high = bound(2, 'max');
  return low === undefined || high === undefined ? undefined : [low, high];
}
