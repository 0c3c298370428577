/** "Show only nodes with findings": those nodes and their direct neighbours, ungrouped. */
import type { GraphView } from '../core/model/graph-view';
import type { VisibleGraph } from '../core/view/scopes';
import type { NodeMarks } from './state/check-store';

export function neighbourhoodOfFindings(view: GraphView, marks: ReadonlyMap<string, NodeMarks>): VisibleGraph {
  const keep = new Set<string>();
  for (const id of marks.keys()) keep.add(id);
  for (const e of view.edges) {
    if (marks.has(e.source)) keep.add(e.target);
    if (marks.has(e.target)) keep.add(e.source);
  }
  const items = view.nodes.filter((n) => keep.has(n.id)).map((node) => ({ kind: 'node' as const, id: node.id, node }));
  const edges = view.edges
    .filter((e) => keep.has(e.source) && keep.has(e.target))
    .map((e) => ({ id: e.id, source: e.source, target: e.target, count: 1 }));
  return { items, edges, shownBy: new Map(items.map((i) => [i.id, i.id])), members: new Map() };
}
