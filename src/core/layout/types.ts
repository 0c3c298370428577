/** What a layout takes (node boxes and edges) and gives back (positions), shared by every layout engine. */
/** Node boxes and the edges between them. */
export interface LayoutInput {
  nodes: { id: string; width: number; height: number }[];
  edges: { source: string; target: string }[];
}

/** Top-left positions by node id, the drawing's size, which ranker ran and how long it took. */
export interface LayoutResult {
  positions: Record<string, { x: number; y: number }>;
  width: number;
  height: number;
  ranker: string;
  ms: number;
  /**
   * Lane points of the edges that span several ranks, by routeKey(source, target) (route.ts):
   * [x, y, x, y, ...], centres on the ranks crossed, top to bottom.
   */
  bends?: Record<string, number[]>;
  /**
   * The edges that close a cycle (routeKey), left out of the ranking and drawn pointing up: groups
   * of a drawing can feed each other (fast-layered.ts). Absent when there are none.
   */
  closing?: string[];
}
