/** Node search by name or op type, shared by the search box and the canvas highlight. */
import { useMemo } from 'react';
import { create } from 'zustand';
import type { GraphView } from '../../core/model/graph-view';
import type { QdqFold } from '../../core/view/fold';
import { drawnNodeOf, useApp, type AppState } from '../state/app-store';
import { searchNodes, SEARCH_LIMIT, type SearchItem } from '../../core/view/node-search';

export const useSearch = create<{ query: string; setQuery(q: string): void }>()((set) => ({
  query: '',
  setQuery: (query) => set({ query }),
}));

export { searchNodes, SEARCH_LIMIT, type SearchItem };

/**
 * The items of a folded drawing: its drawn nodes, then the folded ones, as long as the fold has
 * `count` names (they arrive after the first paint and are appended to the same list).
 */
const foldedItems = new WeakMap<GraphView, { fold: QdqFold; count: number; items: readonly SearchItem[] }>();

/**
 * Every node of the shown graph: drawn ones, and those folded into them. The same array for the
 * same graph, so that a search of it is made once for the search box and the canvas: at 100k
 * nodes, a fold toggled with a query in the box listed the folded nodes anew, lower-cased them and
 * searched them twice in one 140-200 ms task.
 */
export function searchItems(s: AppState): readonly SearchItem[] {
  if (s.fullView) return s.fullView.nodes;
  const drawn = s.view?.nodes ?? [];
  if (!s.drawnFolded || !s.fold || !s.view) return drawn;
  const known = foldedItems.get(s.view);
  if (known && known.fold === s.fold && known.count === s.fold.names.length) return known.items;
  const items = [...drawn, ...s.fold.names.map(([id, name, opType]) => ({ id, name, opType }))];
  foldedItems.set(s.view, { fold: s.fold, count: s.fold.names.length, items });
  return items;
}

/** The last search of each item list: the search box and the canvas ask for the same one. */
const lastSearch = new WeakMap<readonly SearchItem[], { query: string; hits: SearchItem[] }>();

/**
 * The first {@link SEARCH_LIMIT} hits of `query` among the shown graph's nodes, searched once for
 * both the search box (which lists the first of them) and the canvas (which lights them all).
 */
export function searchShown(s: AppState, query: string): readonly SearchItem[] {
  const items = searchItems(s);
  let last = lastSearch.get(items);
  if (last?.query !== query) lastSearch.set(items, (last = { query, hits: searchNodes(items, query) }));
  return last.hits;
}

/** Ids of the drawn nodes matching the current query (a folded Q/DQ lights the node it is folded into). */
export function useSearchHits(): Set<string> {
  const query = useSearch((s) => s.query);
  // The items follow the drawn and the full view; reading them subscribes the hook to both.
  const drawn = useApp((s) => s.view);
  const full = useApp((s) => s.fullView);
  const names = useApp((s) => s.foldNames);
  return useMemo(
    // No query, no hits: listing every node (folded ones included) costs ~15 ms at 10k nodes per drawing.
    () =>
      query.trim() ? new Set(searchShown(useApp.getState(), query).map((n) => drawnNodeOf(n.id))) : new Set<string>(),
    [drawn, full, names, query],
  );
}
