/**
 * Top-to-bottom layered layout of a graph view. Pure and synchronous; the app runs it in a
 * worker (src/worker/layout.worker.ts). Small graphs use dagre, whose crossing reduction and
 * edge routing look best; dagre's cost grows super-linearly (about 1.2 s at 1,000 nodes here)
 * and its recursive phases overflow the stack on chains of about 2,000 nodes, so larger graphs
 * use our iterative layered layout (fast-layered.ts).
 */
import dagre from '@dagrejs/dagre';
import { fastLayered } from './fast-layered';
import type { LayoutInput, LayoutResult } from './types';

export type { LayoutInput, LayoutResult } from './types';

/** Largest graph laid out with dagre's network-simplex ranker. */
export const DAGRE_LIMIT = 150;

export function layoutGraph(input: LayoutInput): LayoutResult {
  if (input.nodes.length > DAGRE_LIMIT) return fastLayered(input);
  try {
    return dagreLayout(input);
  } catch {
    // Deep graphs can still overflow dagre's recursion; the iterative layout always finishes.
    return fastLayered(input);
  }
}

function dagreLayout(input: LayoutInput): LayoutResult {
  const started = performance.now();
  const ranker = 'network-simplex';
  const g = new dagre.graphlib.Graph({ multigraph: false });
  g.setGraph({ rankdir: 'TB', nodesep: 24, ranksep: 36, edgesep: 8, marginx: 16, marginy: 16, ranker });
  g.setDefaultEdgeLabel(() => ({}));
  const known = new Set<string>();
  for (const node of input.nodes) {
    g.setNode(node.id, { width: node.width, height: node.height });
    known.add(node.id);
  }
  for (const e of input.edges) {
    if (known.has(e.source) && known.has(e.target) && e.source !== e.target) g.setEdge(e.source, e.target);
  }
  dagre.layout(g);
  const positions: LayoutResult['positions'] = {};
  for (const node of input.nodes) {
    const p = g.node(node.id);
    // dagre gives centers; React Flow wants top-left corners.
    positions[node.id] = { x: (p?.x ?? 0) - node.width / 2, y: (p?.y ?? 0) - node.height / 2 };
  }
  const graph = g.graph();
  return { positions, width: graph.width ?? 0, height: graph.height ?? 0, ranker, ms: performance.now() - started };
}
