/**
 * Node search by name or op type: the page's search box over the shown graph, and the engine's
 * over the model's other graphs (an If's branches, a Loop's body).
 */
import type { ViewNode } from '../model/graph-view';
import type { Graph, Model } from '../model/types';

/** What search needs of a node. */
export type SearchItem = Pick<ViewNode, 'id' | 'name' | 'opType'>;

/** Hits a search lists at most (the canvas lights them all; the search box lists the first ones). */
export const SEARCH_LIMIT = 200;

/** `text` as a regular expression that matches it literally. */
const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Nodes whose name or op type contains the query (case-insensitive); exact op-type matches first.
 * Matched by a case-insensitive regular expression rather than by lower-casing every name: lower-
 * casing a 100k-node view's names and op types once took 114 ms in Chromium here, and on every
 * search 8-10 ms in Node; the expression searches them in 4-6 ms.
 */
export function searchNodes<T extends SearchItem>(nodes: readonly T[], query: string, limit = SEARCH_LIMIT): T[] {
  const q = query.trim();
  if (!q) return [];
  const contains = new RegExp(literal(q), 'i');
  const lower = q.toLowerCase();
  const exact: T[] = [];
  const partial: T[] = [];
  for (const n of nodes) {
    if (n.opType.length === lower.length && n.opType.toLowerCase() === lower) exact.push(n);
    else if (contains.test(n.opType) || contains.test(n.name)) partial.push(n);
    if (exact.length >= limit) break;
  }
  return [...exact, ...partial].slice(0, limit);
}

/** A node of another graph than the one shown, found by {@link searchOtherGraphs}. */
export interface GraphSearchHit extends SearchItem {
  /** The path of its graph ('' for the main graph) and that graph as the page's trail names it. */
  path: string;
  graph: string;
}

/**
 * Every node of every graph of the model but the one at `shownPath` (the main graph and the
 * sub-graphs of its control-flow nodes, however deep), each with its graph.
 */
function otherGraphNodes(model: Model, shownPath: string): GraphSearchHit[] {
  const nodes: GraphSearchHit[] = [];
  const walk = (graph: Graph, label: string) => {
    for (const n of graph.nodes) {
      if (graph.path !== shownPath)
        nodes.push({ id: n.id, name: n.name, opType: n.opType, path: graph.path, graph: label });
      for (const s of n.subgraphs) walk(s.graph, `${n.name}.${s.attribute}`);
    }
  };
  walk(model.graph, model.graph.name || 'main graph');
  return nodes;
}

/**
 * Nodes of the model's graphs but the one at `shownPath` whose name or op type contains `query`, as
 * {@link searchNodes} orders them, at most `limit`; `more` when there were others. A node in an If's
 * branch was not found from the main graph ("No node matches").
 */
export function searchOtherGraphs(
  model: Model,
  shownPath: string,
  query: string,
  limit = 50,
): { hits: GraphSearchHit[]; more: boolean } {
  const found = searchNodes(otherGraphNodes(model, shownPath), query, limit + 1);
  return { hits: found.slice(0, limit), more: found.length > limit };
}

/** The first node called exactly `name` in the model's graphs but the one at `shownPath`. */
export function otherGraphNodeNamed(model: Model, shownPath: string, name: string): GraphSearchHit | undefined {
  return otherGraphNodes(model, shownPath).find((n) => n.name === name);
}
