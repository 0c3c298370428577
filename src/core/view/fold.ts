/**
 * The QDQ-folded drawing of a quantized graph: compute nodes only, with the quantization on the
 * edges. QuantizeLinear / DequantizeLinear nodes and the nodes that compute only from constants
 * (scales, zero points, weights, shapes) are folded away; an edge A -> Q -> DQ -> B becomes A -> B carrying the
 * tensor B reads, and a weight DQ from an initializer leaves no edge (the weight shows on B's
 * port). Every folded node names the visible node that stands for it, so findings, search hits and
 * share links that point at a Q or DQ land on a node that is drawn. Pure and linear in nodes + edges.
 */
import { edgeId, type GraphView, type ViewEdge, type ViewNode } from '../model/graph-view';
import { constantOnlyNodes } from './scopes';

export interface QdqFold {
  /** The edges of the folded drawing. */
  edges: ViewEdge[];
  /** Every folded node id -> the drawn node that stands for it ('' for one that reaches nothing drawn). */
  foldedInto: Record<string, string>;
  /** How many nodes were folded away. */
  hidden: number;
  /** Every folded node as [id, name, op type]: what search and share links need of them. */
  names: [string, string, string][];
  /** Initial group expansion of the folded drawing (large views only). */
  expanded?: string[];
}

const QDQ_DOMAINS = new Set(['', 'ai.onnx', 'com.microsoft']);

function isQdqNode(n: ViewNode): boolean {
  return (
    n.kind === 'op' &&
    (n.opType === 'QuantizeLinear' || n.opType === 'DequantizeLinear') &&
    QDQ_DOMAINS.has(n.domain) &&
    n.subgraphs.length === 0
  );
}

/** Folds the Q/DQ nodes of a view; undefined when it has none. */
export function foldQdq(view: GraphView): QdqFold | undefined {
  const byId = new Map<string, ViewNode>();
  for (const n of view.nodes) byId.set(n.id, n);
  const folded = new Set<string>();
  for (const n of view.nodes) if (isQdqNode(n)) folded.add(n.id);
  if (folded.size === 0) return undefined;

  const into = new Map<string, ViewEdge[]>();
  const out = new Map<string, ViewEdge[]>();
  for (const e of view.edges) {
    (into.get(e.target) ?? into.set(e.target, []).get(e.target)!).push(e);
    (out.get(e.source) ?? out.set(e.source, []).get(e.source)!).push(e);
  }
  // Nodes that compute only from constants (Constant, an Identity of an initializer as PyTorch writes
  // shared scales and biases, a Reshape of a weight) fold too: they hold scales, weights and shapes.
  const constantOnly = constantOnlyNodes(view);
  for (const id of folded) constantOnly.delete(id);
  for (let i = view.nodes.length - 1; i >= 0; i--) {
    const n = view.nodes[i]!;
    if (!constantOnly.has(n.id)) continue;
    // Weights, biases and shapes show on their consumers' ports; a constant graph output stays drawn.
    if (!(out.get(n.id) ?? []).some((e) => byId.get(e.target)?.kind === 'output')) folded.add(n.id);
  }

  // The drawn node a folded node's data comes from: follow input 0 up through folded nodes.
  const upstream = new Map<string, string | null>();
  const sourceOf = (id: string): string | null => {
    const path: string[] = [];
    let at: string | null = id;
    while (at !== null && folded.has(at)) {
      const known = upstream.get(at);
      if (known !== undefined) {
        at = known;
        break;
      }
      path.push(at);
      const node: ViewNode = byId.get(at)!;
      const data: string | undefined = node.inputs[0]?.name;
      const edge: ViewEdge | undefined = data ? (into.get(at) ?? []).find((e) => e.tensor === data) : undefined;
      at = edge ? edge.source : null;
      if (at !== null && path.includes(at)) at = null;
    }
    for (const p of path) upstream.set(p, at);
    return at;
  };
  // The first drawn node a folded node's output reaches (breadth-first through folded nodes).
  const downstreamOf = (id: string): string | null => {
    const seen = new Set([id]);
    let frontier = [id];
    while (frontier.length) {
      const next: string[] = [];
      for (const f of frontier)
        for (const e of out.get(f) ?? []) {
          if (!folded.has(e.target)) return e.target;
          if (!seen.has(e.target)) {
            seen.add(e.target);
            next.push(e.target);
          }
        }
      frontier = next;
    }
    return null;
  };

  const edges: ViewEdge[] = [];
  const seen = new Set<string>();
  for (const e of view.edges) {
    if (folded.has(e.target)) continue;
    const source = folded.has(e.source) ? sourceOf(e.source) : e.source;
    if (source === null || source === e.target) continue;
    const key = `${source}->${e.target}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (source === e.source) {
      edges.push(e);
      continue;
    }
    // The edge carries the tensor its consumer reads; its dtype is the quantized one it travelled as.
    const dq = byId.get(e.source)!;
    const quantized = dq.opType === 'DequantizeLinear' ? dq.inputs[0]?.dtype : dq.outputs[0]?.dtype;
    edges.push({
      id: edgeId(source, e.target, e.tensor),
      source,
      target: e.target,
      tensor: e.tensor,
      dtype: quantized && quantized !== 'unknown' ? quantized : e.dtype,
      shape: e.shape ?? upstreamShape(byId.get(e.source)!, sourceOf(e.source), byId, into),
    });
  }

  const foldedInto: Record<string, string> = {};
  for (const id of folded) {
    const n = byId.get(id)!;
    // A Q quantizes its producer's output; a DQ (and a scale Constant) serves its consumer.
    const first = n.opType === 'QuantizeLinear' ? sourceOf(id) : downstreamOf(id);
    const other = first ?? (n.opType === 'QuantizeLinear' ? downstreamOf(id) : sourceOf(id));
    foldedInto[id] = other ?? '';
  }
  const names: [string, string, string][] = [];
  for (const id of folded) {
    const n = byId.get(id)!;
    names.push([id, n.name, n.opType]);
  }
  return { edges, foldedInto, hidden: folded.size, names };
}

function upstreamShape(
  n: ViewNode,
  source: string | null,
  byId: Map<string, ViewNode>,
  into: Map<string, ViewEdge[]>,
): ViewEdge['shape'] {
  if (n.outputs[0]?.shape) return n.outputs[0].shape;
  if (n.inputs[0]?.shape) return n.inputs[0].shape;
  if (source === null) return undefined;
  const src = byId.get(source);
  return src?.outputs.find((o) => (into.get(n.id) ?? []).some((e) => e.tensor === o.name))?.shape;
}

/** The folded drawing as a view: the same nodes minus the folded ones, with the folded edges. */
export function foldedView(view: GraphView, fold: QdqFold): GraphView {
  return { ...view, nodes: view.nodes.filter((n) => !(n.id in fold.foldedInto)), edges: fold.edges };
}

/** The drawn node that shows a node: itself, or the node a folded Q/DQ stands in for. */
export function shownNode(id: string, fold: QdqFold | undefined): string {
  return fold && id in fold.foldedInto ? fold.foldedInto[id] || id : id;
}
