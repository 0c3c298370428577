/**
 * The QDQ-folded drawing of a quantized graph: compute nodes only, with the quantization on the
 * edges. QuantizeLinear / DequantizeLinear nodes and the nodes that compute only from constants
 * (scales, zero points, weights, shapes) are folded away; an edge A -> Q -> DQ -> B becomes A -> B carrying the
 * tensor B reads, and a weight DQ from an initializer leaves no edge (the weight shows on B's
 * port). Every folded node names the visible node that stands for it, so findings, search hits and
 * share links that point at a Q or DQ land on a node that is drawn. Pure and linear in nodes + edges.
 */
import {
  edgeId,
  portReader,
  shareLazyDetails,
  type GraphView,
  type PortReader,
  type ViewEdge,
  type ViewNode,
} from '../model/graph-view';
import { constantOnlyIndices } from './scopes';
import { viewIndex } from './view-index';

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
  const nodes = view.nodes;
  const n = nodes.length;
  const folded = new Uint8Array(n);
  let any = false;
  for (let i = 0; i < n; i++)
    if (isQdqNode(nodes[i]!)) {
      folded[i] = 1;
      any = true;
    }
  if (!any) return undefined;
  // Integer adjacency (view-index.ts): this pass ran 0.8 s at 100k nodes on string-keyed maps.
  const { source, target, inStart, inEdges, outStart, outEdges } = viewIndex(view);
  const ports = portReader(view);
  const edges = view.edges;

  // Nodes that compute only from constants (Constant, an Identity of an initializer as PyTorch writes
  // shared scales and biases, a Reshape of a weight) fold too: they hold scales, weights and shapes.
  const constantOnly = constantOnlyIndices(view);
  for (let j = constantOnly.length - 1; j >= 0; j--) {
    const i = constantOnly[j]!;
    if (folded[i]) continue;
    // Weights, biases and shapes show on their consumers' ports; a constant graph output stays drawn.
    let feedsOutput = false;
    for (let k = outStart[i]!; k < outStart[i + 1]!; k++) {
      const t = target[outEdges[k]!]!;
      if (t >= 0 && nodes[t]!.kind === 'output') feedsOutput = true;
    }
    if (!feedsOutput) folded[i] = 1;
  }

  // The drawn node a folded node's data comes from: follow input 0 up through folded nodes (-1: none).
  const UNKNOWN = -2;
  const upstream = new Int32Array(n).fill(UNKNOWN);
  const path: number[] = [];
  const sourceOf = (start: number): number => {
    path.length = 0;
    let at = start;
    while (at >= 0 && folded[at]) {
      if (upstream[at] !== UNKNOWN) {
        at = upstream[at]!;
        break;
      }
      path.push(at);
      const data = ports.names(at, 'inputs')[0];
      let next = -1;
      if (data)
        for (let k = inStart[at]!; k < inStart[at + 1]!; k++)
          if (edges[inEdges[k]!]!.tensor === data) {
            next = source[inEdges[k]!]!;
            break;
          }
      at = next >= 0 && path.includes(next) ? -1 : next;
    }
    for (const p of path) upstream[p] = at;
    return at;
  };
  // The first drawn node a folded node's output reaches (breadth-first through folded nodes).
  const downstreamOf = (start: number): number => {
    const seen = new Set([start]);
    let frontier = [start];
    while (frontier.length) {
      const next: number[] = [];
      for (const f of frontier)
        for (let k = outStart[f]!; k < outStart[f + 1]!; k++) {
          const t = target[outEdges[k]!]!;
          if (t < 0) continue;
          if (!folded[t]) return t;
          if (!seen.has(t)) {
            seen.add(t);
            next.push(t);
          }
        }
      frontier = next;
    }
    return -1;
  };

  const out: ViewEdge[] = [];
  // One edge per (drawn source, target): the targets' sources seen so far, per target.
  const lastSources = new Map<number, number[]>();
  for (let k = 0; k < edges.length; k++) {
    const e = edges[k]!;
    const t = target[k]!;
    const s0 = source[k]!;
    if (t < 0 || s0 < 0) {
      out.push(e); // an edge to or from outside the view is kept as it is
      continue;
    }
    if (folded[t]) continue;
    const s = folded[s0] ? sourceOf(s0) : s0;
    if (s < 0 || s === t) continue;
    const seenFrom = lastSources.get(t);
    if (seenFrom?.includes(s)) continue;
    if (seenFrom) seenFrom.push(s);
    else lastSources.set(t, [s]);
    if (s === s0) {
      out.push(e);
      continue;
    }
    // The edge carries the tensor its consumer reads; its dtype is the quantized one it travelled as.
    const dq = nodes[s0]!;
    const quantized = dq.opType === 'DequantizeLinear' ? ports.dtype(s0, 'inputs', 0) : ports.dtype(s0, 'outputs', 0);
    const sourceId = nodes[s]!.id;
    out.push({
      id: edgeId(sourceId, e.target, e.tensor),
      source: sourceId,
      target: e.target,
      tensor: e.tensor,
      dtype: quantized && quantized !== 'unknown' ? quantized : e.dtype,
      shape: e.shape ?? upstreamShape(view, ports, s0, s, inStart, inEdges),
    });
  }

  const foldedInto: Record<string, string> = {};
  const names: [string, string, string][] = [];
  for (let i = 0; i < n; i++) {
    if (!folded[i]) continue;
    const node = nodes[i]!;
    // A Q quantizes its producer's output; a DQ (and a scale Constant) serves its consumer.
    const isQ = node.opType === 'QuantizeLinear';
    const first = isQ ? sourceOf(i) : downstreamOf(i);
    const other = first >= 0 ? first : isQ ? downstreamOf(i) : sourceOf(i);
    foldedInto[node.id] = other >= 0 ? nodes[other]!.id : '';
    names.push([node.id, node.name, node.opType]);
  }
  return { edges: out, foldedInto, hidden: names.length, names };
}

function upstreamShape(
  view: GraphView,
  ports: PortReader,
  at: number,
  source: number,
  inStart: Int32Array,
  inEdges: Int32Array,
): ViewEdge['shape'] {
  const own = ports.shape(at, 'outputs', 0) ?? ports.shape(at, 'inputs', 0);
  if (own) return own;
  if (source < 0) return undefined;
  const into: string[] = [];
  for (let k = inStart[at]!; k < inStart[at + 1]!; k++) into.push(view.edges[inEdges[k]!]!.tensor);
  const k = ports.names(source, 'outputs').findIndex((name) => into.includes(name));
  return k >= 0 ? ports.shape(source, 'outputs', k) : undefined;
}

/** The folded drawing as a view: the same nodes minus the folded ones, with the folded edges. */
export function foldedView(view: GraphView, fold: QdqFold): GraphView {
  const keep = view.nodes.map((n) => !(n.id in fold.foldedInto));
  const folded = { ...view, nodes: view.nodes.filter((_, i) => keep[i]), edges: fold.edges };
  shareLazyDetails(view, folded, (i) => keep[i]!);
  return folded;
}

/** The drawn node that shows a node: itself, or the node a folded Q/DQ stands in for. */
export function shownNode(id: string, fold: QdqFold | undefined): string {
  return fold && id in fold.foldedInto ? fold.foldedInto[id] || id : id;
}
