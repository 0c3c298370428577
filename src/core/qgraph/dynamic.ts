/**
 * Tensors whose size is not fixed before a run. ONNX Runtime's QNN EP builds a QNN graph only
 * from nodes whose inputs and outputs have a static shape (QnnModelWrapper::GetOnnxShape refuses a
 * dimension it does not know; microsoft/onnxruntime pull 22066 "Ensure QNN EP rejects nodes with
 * I/O of dynamic shape", its EPRejectsDynamicShapesF32 test). A size is unknown when it follows
 * from a graph input declared with a symbolic or missing dimension (a dynamic batch or sequence
 * length, as torch.onnx.export's dynamic_axes writes it), from a shape computed from values at run
 * time (a Reshape whose shape input is a graph input), or from the values themselves (NonZero).
 * What cannot be told from the file counts as dynamic only when it must: a declared static input
 * keeps everything it feeds static unless one of those causes meets it.
 */
import type { ConstTensor, Dim, Graph, Node } from '../model/types';
import { constNumbers } from '../model/constants';
import { producerIndex } from '../model/graph-index';

/** Inputs (by position) that set an op's output shape by their values, not their sizes. */
const SHAPE_INPUTS: ReadonlyMap<string, readonly number[]> = new Map(
  Object.entries({
    Reshape: [1],
    Expand: [1],
    ConstantOfShape: [0],
    Tile: [1],
    Range: [0, 1, 2],
    OneHot: [1],
    Resize: [1, 2, 3],
    Upsample: [1],
    Slice: [1, 2, 3, 4],
    Pad: [1, 3],
    TopK: [1],
    Squeeze: [1],
    Unsqueeze: [1],
    Split: [1],
    ReduceMax: [1],
    ReduceMin: [1],
    ReduceMean: [1],
    ReduceSum: [1],
    ReduceProd: [1],
    ReduceL1: [1],
    ReduceL2: [1],
    ReduceLogSum: [1],
    ReduceLogSumExp: [1],
    ReduceSumSquare: [1],
    CenterCropPad: [1],
  }),
);

/** Ops whose output size follows from their input values. */
const DATA_DEPENDENT = new Set(['NonZero', 'Unique', 'Compress', 'NonMaxSuppression']);

export interface DynamicShapes {
  /** Graph inputs with a dimension of no fixed size, with their declared dims (undefined: no shape at all). */
  inputs: { name: string; dims?: Dim[] }[];
  /** Nodes that make sizes dynamic from static inputs: a shape computed at run time, or a size set by values. */
  causes: { node: string; opType: string; why: string }[];
  /** Every tensor of the main graph whose size is not known before a run. */
  tensors: string[];
}

const fixed = (d: Dim) => typeof d === 'number' && d >= 0;
/**
 * Ops of the ONNX domain, and the com.microsoft QuantizeLinear/DequantizeLinear that ONNX Runtime's
 * quantizer writes for 16-bit types before opset 21: a constant through them stays known.
 */
const standard = (n: Node) =>
  n.domain === '' ||
  n.domain === 'ai.onnx' ||
  (n.domain === 'com.microsoft' && (n.opType === 'QuantizeLinear' || n.opType === 'DequantizeLinear'));

/**
 * The graph's dynamic tensors (see the module comment), in one pass over its nodes in order;
 * `constant` gives the initializers and Constant outputs.
 */
export function dynamicShapes(graph: Graph, constant: (t: string) => ConstTensor | undefined): DynamicShapes {
  const dynamic = new Set<string>();
  const producer = producerIndex(graph);
  // Whether a value is known before a run: a constant, or what shape-only ops and constant
  // arithmetic make of constants and of static sizes. Asked of shape inputs only, so worked out
  // on demand (nodes before the asking one are settled: the pass runs in order).
  const knownMemo = new Map<string, boolean>();
  const known = (t: string, depth = 0): boolean => {
    if (!t || constant(t) !== undefined) return true;
    const memo = knownMemo.get(t);
    if (memo !== undefined) return memo;
    const p = producer.get(t);
    let value = false;
    if (p && standard(p) && depth < 64) {
      if (p.opType === 'Shape' || p.opType === 'Size') value = !!p.inputs[0] && !dynamic.has(p.inputs[0]);
      else {
        const ins = p.inputs.filter((x) => !!x);
        value = ins.length > 0 && ins.every((x) => known(x, depth + 1));
      }
    }
    knownMemo.set(t, value);
    return value;
  };
  // Values that follow from a dynamic size (the Shape of a dynamic tensor, and what is computed
  // from it): a shape made of them is dynamic because of that size, not a cause of its own.
  const fromDynamic = new Set<string>();
  const tainted = (t: string) => dynamic.has(t) || fromDynamic.has(t);
  const inputs: DynamicShapes['inputs'] = [];
  for (const v of graph.inputs) {
    if (graph.initializers.has(v.name)) continue;
    if (!v.shape || !v.shape.every(fixed)) {
      inputs.push({ name: v.name, dims: v.shape });
      dynamic.add(v.name);
    }
  }
  const causes: DynamicShapes['causes'] = [];
  // Without a dynamic input, only a shape computed at run time or a data-dependent op can start
  // one: most graphs have neither, and need no ordered pass (a 100k-node graph: 60-100 ms).
  const starts = (n: Node) =>
    standard(n) &&
    (DATA_DEPENDENT.has(n.opType) || (SHAPE_INPUTS.get(n.opType) ?? []).some((i) => !known(n.inputs[i] ?? '')));
  if (inputs.length === 0 && !graph.nodes.some(starts)) return { inputs, causes, tensors: [] };
  knownMemo.clear();
  for (const n of inOrder(graph)) {
    const data = n.inputs.filter((t) => !!t);
    if (n.opType === 'Constant') continue;
    if (standard(n) && (n.opType === 'Shape' || n.opType === 'Size')) {
      // A fixed length; a value that follows from a dynamic size where the input's is one.
      if (n.inputs[0] && dynamic.has(n.inputs[0])) for (const o of n.outputs) if (o) fromDynamic.add(o);
      continue;
    }
    const shapeInputs = standard(n) ? (SHAPE_INPUTS.get(n.opType) ?? []) : [];
    const runtimeShape = shapeInputs.find((i) => n.inputs[i] && !known(n.inputs[i]!));
    let isDynamic = data.some((t) => dynamic.has(t));
    if (standard(n) && n.opType === 'Reshape' && isDynamic && n.inputs[1] && runtimeShape === undefined) {
      // A target of positive sizes only sets every dim, whatever the input's.
      const target = constant(n.inputs[1]);
      const values = target ? constNumbers(target) : undefined;
      if (values && values.length > 0 && values.every((d) => d > 0)) isDynamic = false;
    }
    if (runtimeShape !== undefined && !data.some(tainted)) {
      causes.push({
        node: n.name || `${n.opType}_${n.index}`,
        opType: n.opType,
        why: `takes input ${runtimeShape} (${n.inputs[runtimeShape]}) from a value computed at run time`,
      });
      isDynamic = true;
    } else if (runtimeShape !== undefined) isDynamic = true;
    if (standard(n) && DATA_DEPENDENT.has(n.opType)) {
      if (!isDynamic)
        causes.push({
          node: n.name || `${n.opType}_${n.index}`,
          opType: n.opType,
          why: 'has an output whose size follows from its input values',
        });
      isDynamic = true;
    }
    const into = isDynamic ? dynamic : data.some(tainted) ? fromDynamic : undefined;
    if (into) for (const o of n.outputs) if (o) into.add(o);
  }
  return { inputs, causes, tensors: [...dynamic] };
}

/**
 * The nodes with every producer before its consumers. ONNX asks files for that order, and
 * exporters keep it, but ONNX Runtime sorts a graph that does not (some of its own test models):
 * file order where it already holds, else a stable topological sort (nodes in a cycle, which no
 * valid graph has, go last in file order).
 */
function inOrder(graph: Graph): readonly Node[] {
  const { nodes } = graph;
  const producer = producerIndex(graph);
  const before = (t: string, i: number) => !t || (producer.get(t)?.index ?? -1) < i;
  if (nodes.every((n) => n.inputs.every((t) => before(t, n.index)))) return nodes;
  const waiting = nodes.map(
    (n) => new Set(n.inputs.flatMap((t) => (t && producer.has(t) ? [producer.get(t)!.index] : []))),
  );
  const readers = new Map<number, number[]>();
  waiting.forEach((w, i) => w.forEach((p) => readers.set(p, [...(readers.get(p) ?? []), i])));
  const ready = waiting.map((w, i) => (w.size === 0 ? i : -1)).filter((i) => i >= 0);
  const out: Node[] = [];
  const placed = new Set<number>();
  while (ready.length > 0) {
    ready.sort((a, b) => a - b);
    const i = ready.shift()!;
    placed.add(i);
    out.push(nodes[i]!);
    for (const r of readers.get(i) ?? []) {
      const w = waiting[r]!;
      w.delete(i);
      if (w.size === 0 && !placed.has(r)) ready.push(r);
    }
  }
  nodes.forEach((n, i) => placed.has(i) || out.push(n));
  return out;
}
