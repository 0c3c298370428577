/**
 * Top-to-bottom layered layout of a graph view with dagre. Pure and synchronous; the app runs it
 * in a worker (src/worker/layout.worker.ts). Above a few thousand nodes dagre's network-simplex
 * ranker becomes quadratic or worse, so larger graphs use the longest-path ranker.
 */
import dagre from '@dagrejs/dagre';

export interface LayoutInput {
  nodes: { id: string; width: number; height: number }[];
  edges: { source: string; target: string }[];
}

export interface LayoutResult {
  positions: Record<string, { x: number; y: number }>;
  width: number;
  height: number;
  ranker: string;
  ms: number;
}

/** Node count above which the cheaper ranker is used. */
export const TIGHT_TREE_LIMIT = 400;
export const LONGEST_PATH_LIMIT = 3000;

export function layoutGraph(input: LayoutInput): LayoutResult {
  const started = performance.now();
  const n = input.nodes.length;
  const ranker = n <= TIGHT_TREE_LIMIT ? 'network-simplex' : n <= LONGEST_PATH_LIMIT ? 'tight-tree' : 'longest-path';
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
