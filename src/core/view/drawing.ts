/**
 * What is drawn, as a layout sees it: explicit node and group box sizes (React Flow then never
 * has to measure before laying out or culling) and the layout input of a visible graph. The app
 * and the benchmark share this, so the bench measures the layout the app really asks for.
 */
import type { LayoutInput } from '../layout/types';
import type { ViewNode } from '../model/graph-view';
import { BROADCAST_FANOUT, type VisibleGraph } from './scopes';

export const OP_NODE = { width: 190, height: 46 };
export const IO_NODE = { width: 170, height: 38 };

export function nodeSize(node: ViewNode): { width: number; height: number } {
  return node.kind === 'op' ? OP_NODE : IO_NODE;
}

export const GROUP_NODE = { width: 230, height: 56 };

/** The box of one drawn item: a group's, or its node's. */
export function itemSize(item: VisibleGraph['items'][number]): { width: number; height: number } {
  return item.kind === 'group' ? GROUP_NODE : nodeSize(item.node);
}

/**
 * The layout input for what is drawn: one box per visible node or group, and the visible edges,
 * except that a broadcast source keeps only its edge to its first consumer. Every layer of a
 * decoder reads the same position and mask inputs; laid out, those edges pull each layer sideways
 * into a diagonal staircase. Without them the layers stack in one column; the edges are still drawn.
 */
export function layoutInputOf(visible: VisibleGraph): LayoutInput {
  const fanout = new Map<string, number>();
  for (const e of visible.edges) fanout.set(e.source, (fanout.get(e.source) ?? 0) + 1);
  const order = new Map(visible.items.map((i, k) => [i.id, k]));
  const firstTarget = new Map<string, string>();
  for (const e of visible.edges) {
    if (fanout.get(e.source)! <= BROADCAST_FANOUT) continue;
    const seen = firstTarget.get(e.source);
    if (seen === undefined || (order.get(e.target) ?? 0) < (order.get(seen) ?? 0)) firstTarget.set(e.source, e.target);
  }
  return {
    nodes: visible.items.map((i) => ({ id: i.id, ...itemSize(i) })),
    edges: visible.edges
      .filter((e) => fanout.get(e.source)! <= BROADCAST_FANOUT || firstTarget.get(e.source) === e.target)
      .map((e) => ({ source: e.source, target: e.target })),
  };
}
