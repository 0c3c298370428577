/** Node search by name or op type, shared by the search box and the canvas highlight. */
import { useMemo } from 'react';
import { create } from 'zustand';
import type { ViewNode } from '../../core/model/graph-view';
import { drawnNodeOf, useApp, type AppState } from '../state/app-store';

export const useSearch = create<{ query: string; setQuery(q: string): void }>()((set) => ({
  query: '',
  setQuery: (query) => set({ query }),
}));

/** What search needs of a node. */
export type SearchItem = Pick<ViewNode, 'id' | 'name' | 'opType'>;

/** Every node of the shown graph: drawn ones, and those folded into them. */
export function searchItems(s: AppState): readonly SearchItem[] {
  if (s.fullView) return s.fullView.nodes;
  const drawn = s.view?.nodes ?? [];
  if (!s.drawnFolded || !s.fold) return drawn;
  return [...drawn, ...s.fold.names.map(([id, name, opType]) => ({ id, name, opType }))];
}

/** Nodes whose name or op type contains the query (case-insensitive); exact op-type matches first. */
export function searchNodes<T extends SearchItem>(nodes: readonly T[], query: string, limit = 200): T[] {
  const q = query.trim().toLowerCase();
  if (!q) return [];
  const exact: T[] = [];
  const partial: T[] = [];
  for (const n of nodes) {
    const op = n.opType.toLowerCase();
    if (op === q) exact.push(n);
    else if (op.includes(q) || n.name.toLowerCase().includes(q)) partial.push(n);
    if (exact.length >= limit) break;
  }
  return [...exact, ...partial].slice(0, limit);
}

/** Ids of the drawn nodes matching the current query (a folded Q/DQ lights the node it is folded into). */
export function useSearchHits(): Set<string> {
  const query = useSearch((s) => s.query);
  // The items follow the drawn and the full view; reading them subscribes the hook to both.
  const drawn = useApp((s) => s.view);
  const full = useApp((s) => s.fullView);
  return useMemo(
    // No query, no hits: listing every node (folded ones included) costs ~15 ms at 10k nodes per drawing.
    () =>
      query.trim()
        ? new Set(searchNodes(searchItems(useApp.getState()), query).map((n) => drawnNodeOf(n.id)))
        : new Set<string>(),
    [drawn, full, query],
  );
}
