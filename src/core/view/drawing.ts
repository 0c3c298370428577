/**
 * What is drawn, as a layout sees it: explicit node and group box sizes (React Flow then never
 * has to measure before laying out or culling) and the layout input of a visible graph. The app
 * and the benchmark share this, so the bench measures the layout the app really asks for.
 */
import type { LayoutInput } from '../layout/types';
import type { ViewNode } from '../model/graph-view';
import type { VisibleGraph } from './scopes';

export const OP_NODE = { width: 190, height: 46 };
export const IO_NODE = { width: 170, height: 38 };

export function nodeSize(node: ViewNode): { width: number; height: number } {
  return node.kind === 'op' ? OP_NODE : IO_NODE;
}

export const GROUP_NODE = { width: 230, height: 56 };

/** The layout input for what is drawn: one box per visible node or group, and the visible edges. */
export function layoutInputOf(visible: VisibleGraph): LayoutInput {
  return {
    nodes: visible.items.map((i) => ({ id: i.id, ...(i.kind === 'group' ? GROUP_NODE : nodeSize(i.node)) })),
    edges: visible.edges.map((e) => ({ source: e.source, target: e.target })),
  };
}
