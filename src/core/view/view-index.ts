/**
 * Integer adjacency of a view, built once per view and shared by the passes that walk it (the
 * QDQ fold, constant detection). A 100k-node view has 110k edges; each pass building its own
 * string-keyed maps of them cost 0.1-0.5 s, most of it hashing ids and growing maps.
 */
import type { GraphView } from '../model/graph-view';

export interface ViewIndex {
  /** Node id -> position in view.nodes. */
  index: Map<string, number>;
  /** Per edge (view.edges order): source and target node positions (-1: not a node of the view). */
  source: Int32Array;
  target: Int32Array;
  /** Edges into node i: inEdges[inStart[i] .. inStart[i + 1]), in view.edges order. */
  inStart: Int32Array;
  inEdges: Int32Array;
  /** Edges out of node i, likewise. */
  outStart: Int32Array;
  outEdges: Int32Array;
}

const cache = new WeakMap<GraphView, ViewIndex>();

export function viewIndex(view: GraphView): ViewIndex {
  const known = cache.get(view);
  if (known) return known;
  const n = view.nodes.length;
  const m = view.edges.length;
  const index = new Map<string, number>();
  for (let i = 0; i < n; i++) index.set(view.nodes[i]!.id, i);
  const source = new Int32Array(m);
  const target = new Int32Array(m);
  const inStart = new Int32Array(n + 1);
  const outStart = new Int32Array(n + 1);
  for (let k = 0; k < m; k++) {
    const e = view.edges[k]!;
    const s = index.get(e.source) ?? -1;
    const t = index.get(e.target) ?? -1;
    source[k] = s;
    target[k] = t;
    if (s >= 0) outStart[s + 1]!++;
    if (t >= 0) inStart[t + 1]!++;
  }
  for (let i = 0; i < n; i++) {
    inStart[i + 1]! += inStart[i]!;
    outStart[i + 1]! += outStart[i]!;
  }
  const inEdges = new Int32Array(inStart[n]!);
  const outEdges = new Int32Array(outStart[n]!);
  const inFill = inStart.slice(0, n);
  const outFill = outStart.slice(0, n);
  for (let k = 0; k < m; k++) {
    if (source[k]! >= 0) outEdges[outFill[source[k]!]!++] = k;
    if (target[k]! >= 0) inEdges[inFill[target[k]!]!++] = k;
  }
  const built = { index, source, target, inStart, inEdges, outStart, outEdges };
  cache.set(view, built);
  return built;
}
