/**
 * A broadcast source (a mask, a rotary table: one tensor read by every layer) draws an edge to
 * every reader. In a large drawing those edges run the length of the graph, faint, and React Flow
 * draws an edge wherever the box between its ends crosses the view: in the 100k-node decoder, 1,704
 * of the 1,720 edges drawn around one layer were the three broadcast inputs' (11 boxes on screen).
 * A large drawing keeps the edges to a broadcast source's nearest readers and leaves out the far
 * ones; the reader's own edge comes back when either end is selected.
 */
import type { Point } from './mount-order';

/** A broadcast source keeps at least this many edges, to its nearest readers. */
export const BROADCAST_KEPT = 6;
/** ...and every edge to a reader this close (drawing units: about a screen at the readable zoom). */
export const BROADCAST_REACH = 1200;

export interface FarEdges {
  /** Ids of the edges left out. */
  far: Set<string>;
  /** Per broadcast source that lost edges: its readers, and how many of its edges are left out. */
  sources: Map<string, { readers: number; far: number }>;
}

/**
 * The edges of broadcast sources (more than `fanout` edges) to readers that are neither among the
 * source's {@link BROADCAST_KEPT} nearest nor within {@link BROADCAST_REACH} of it.
 */
export function farBroadcastEdges(
  edges: readonly { id: string; source: string; target: string }[],
  fanout: number,
  centre: (id: string) => Point | undefined,
): FarEdges {
  const bySource = new Map<string, { id: string; target: string }[]>();
  for (const e of edges) {
    let list = bySource.get(e.source);
    if (!list) bySource.set(e.source, (list = []));
    list.push(e);
  }
  const far = new Set<string>();
  const sources = new Map<string, { readers: number; far: number }>();
  for (const [source, list] of bySource) {
    if (list.length <= fanout) continue;
    const from = centre(source);
    if (!from) continue;
    const distance = (target: string) => {
      const to = centre(target);
      return to ? Math.hypot(to.x - from.x, to.y - from.y) : Infinity;
    };
    const ranked = list.map((e) => ({ e, d: distance(e.target) })).sort((a, b) => a.d - b.d);
    let left = 0;
    ranked.forEach(({ e, d }, i) => {
      if (i < BROADCAST_KEPT || d <= BROADCAST_REACH) return;
      far.add(e.id);
      left++;
    });
    if (left) sources.set(source, { readers: list.length, far: left });
  }
  return { far, sources };
}
