/** Node search by name or op type, shared by the search box and the canvas highlight. */
import { useMemo } from 'react';
import { create } from 'zustand';
import type { ViewNode } from '../../core/model/graph-view';
import { drawnNodeOf, useApp } from '../state/app-store';

export const useSearch = create<{ query: string; setQuery(q: string): void }>()((set) => ({
  query: '',
  setQuery: (query) => set({ query }),
}));

/** Nodes whose name or op type contains the query (case-insensitive); exact op-type matches first. */
export function searchNodes(nodes: readonly ViewNode[], query: string, limit = 200): ViewNode[] {
  const q = query.trim().toLowerCase();
  if (!q) return [];
  const exact: ViewNode[] = [];
  const partial: ViewNode[] = [];
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
  const full = useApp((s) => s.fullView ?? s.view);
  const drawn = useApp((s) => s.view);
  return useMemo(
    () => new Set(full && drawn ? searchNodes(full.nodes, query).map((n) => drawnNodeOf(n.id)) : []),
    [full, drawn, query],
  );
}
