/** Explicit node sizes: React Flow then never has to measure before laying out or culling. */
import type { ViewNode } from '../core/model/graph-view';

export const OP_NODE = { width: 190, height: 46 };
export const IO_NODE = { width: 170, height: 38 };

export function nodeSize(node: ViewNode): { width: number; height: number } {
  return node.kind === 'op' ? OP_NODE : IO_NODE;
}

export const GROUP_NODE = { width: 230, height: 56 };
