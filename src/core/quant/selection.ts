/**
 * Outputs that follow a selection made on their values: a detector's boxes and scores come out of
 * a TopK of the scores, a NonMaxSuppression, or a NonZero of a comparison with a threshold. Where
 * quantization moves a score across the threshold, or past another score, a different box is kept
 * or the order changes, and the output's SQNR compares two selections element by element (a
 * torchvision RetinaNet's boxes: 2.8 dB at 16a8w, its heads' outputs over 30 dB). So the SQNR also
 * measures the values the selection is made from: the float activations that the selecting nodes,
 * and what follows them, read from the part of the graph no selection has reached yet.
 */
import { producerIndex } from '../model/graph-index';
import type { Model, Node } from '../model/types';
import { tensorTypes } from './plan';

/** Ops whose outputs follow from comparing their input's values: which values pass, or in what order. */
export const SELECTING = new Set(['NonMaxSuppression', 'TopK', 'NonZero', 'ArgMax', 'ArgMin', 'Unique', 'Compress']);

const FLOAT_TYPES = new Set(['float32', 'float16', 'float', 'double', 'bfloat16']);

/** Most source tensors kept per output (each is one more output of both models in the run that measures them). */
export const MAX_SELECTION_SOURCES = 256;

/** A selecting node: its op, its name (else its op), and the main-graph node that holds it, if any. */
export interface Selection {
  op: string;
  node: string;
  /** `If "If_750"`: the node of the main graph whose sub-graph holds it. */
  within?: string;
}

export interface SelectionSources {
  /**
   * The selecting nodes the output comes from, nearest the output first.
   */
  selections: Selection[];
  /**
   * The float activations the selection is made from: read by a selecting node, or by a node after
   * one, and computed without any selection. Static values (sizes, anchors computed from them) and
   * the graph's inputs are left out: quantization changes neither.
   */
  tensors: string[];
}

/** Whether a node selects itself. */
const selecting = (n: Node) => SELECTING.has(n.opType) && (!n.domain || n.domain === 'ai.onnx');

/** Whether a node selects, itself or in a sub-graph it holds (an If whose branch runs a NonMaxSuppression). */
function selects(n: Node): boolean {
  return selecting(n) || n.subgraphs.some((s) => s.graph.nodes.some(selects));
}

/** The selecting nodes a node is or holds, each inside a sub-graph named with the node that holds it. */
function selectionsOf(n: Node, within?: string): Selection[] {
  const name = n.name || n.opType;
  if (selecting(n)) return [{ op: n.opType, node: name, ...(within ? { within } : {}) }];
  // The main graph's node that holds it, however deep.
  const holder = within ?? `${n.opType} "${name}"`;
  return n.subgraphs.flatMap((s) => s.graph.nodes.flatMap((inner) => selectionsOf(inner, holder)));
}

/** Ops whose output follows from their inputs' sizes alone, or from nothing. */
const FROM_SIZES = new Set(['Constant', 'Shape', 'Size']);

/**
 * The main graph's tensors computed from constants and sizes only (anchors from a feature map's
 * size, a Constant node's value): the same in the float model and its export.
 */
function staticValues(model: Model): Set<string> {
  const graph = model.graph;
  const fixed = new Set<string>();
  const constant = (t: string) => !t || graph.initializers.has(t) || fixed.has(t);
  for (let changed = true; changed;) {
    changed = false;
    for (const n of graph.nodes) {
      if (n.outputs.every((o) => !o || fixed.has(o))) continue;
      // A node with sub-graphs may read values of the graph around it: not taken as static.
      if (n.subgraphs.length) continue;
      if (FROM_SIZES.has(n.opType) || (n.inputs.length > 0 && n.inputs.every(constant)))
        for (const o of n.outputs) if (o && !fixed.has(o)) (fixed.add(o), (changed = true));
    }
  }
  return fixed;
}

/**
 * For each main-graph output that follows a selection, the selections and the tensors they select
 * from (see {@link SelectionSources}). `isStatic`: a tensor computed from constants and sizes only.
 */
export function selectionSources(model: Model, isStatic: (tensor: string) => boolean): Map<string, SelectionSources> {
  const graph = model.graph;
  const result = new Map<string, SelectionSources>();
  if (!graph.nodes.some(selects)) return result;
  const producer = producerIndex(graph);
  // Declared, else inferred from the op (a comparison's bool, a Cast's target).
  const types = tensorTypes(model);
  // Tensors a selection has reached, to a fixed point (the file's node order is not trusted).
  const selected = new Set<string>();
  for (let changed = true; changed;) {
    changed = false;
    for (const n of graph.nodes) {
      if (n.outputs.every((o) => !o || selected.has(o))) continue;
      if (selects(n) || n.inputs.some((i) => i && selected.has(i))) {
        for (const o of n.outputs) if (o && !selected.has(o)) (selected.add(o), (changed = true));
      }
    }
  }
  const inputs = new Set(graph.inputs.map((i) => i.name));
  const fixed = staticValues(model);
  for (const out of graph.outputs) {
    if (!selected.has(out.name)) continue;
    const selections: Selection[] = [];
    const tensors: string[] = [];
    const seen = new Set<string>([out.name]);
    const queue = [out.name];
    const seenSource = new Set<string>();
    /** A tensor no selection reached, read after one: its float sources. */
    const source = (t: string) => {
      const stack = [t];
      while (stack.length && tensors.length < MAX_SELECTION_SOURCES) {
        const s = stack.pop()!;
        if (seenSource.has(s)) continue;
        seenSource.add(s);
        const p = producer.get(s);
        if (!p || inputs.has(s) || isStatic(s) || fixed.has(s)) continue;
        const type = types.get(s);
        // An unknown type is taken as float: the run reads only float values.
        if (type === undefined || type === 'undefined' || FLOAT_TYPES.has(type)) tensors.push(s);
        // A comparison's or a cast's source is what it compares or casts.
        else for (const i of p.inputs) if (i) stack.push(i);
      }
    };
    while (queue.length) {
      const t = queue.shift()!;
      const n = producer.get(t);
      if (!n) continue;
      selections.push(...selectionsOf(n));
      for (const i of n.inputs) {
        if (!i) continue;
        if (selected.has(i)) {
          if (!seen.has(i)) (seen.add(i), queue.push(i));
        } else source(i);
      }
    }
    // The same node reached through several paths is listed once.
    const unique = selections.filter(
      (s, k) => selections.findIndex((x) => x.node === s.node && x.within === s.within) === k,
    );
    result.set(out.name, { selections: unique, tensors });
  }
  return result;
}
