/** Search nodes by name or op type; Enter or a click jumps to the hit. */
import { useEffect, useMemo, useState } from 'react';
import { searchShown, useSearch } from '../actions/search';
import { useApp } from '../state/app-store';
import { revealNode } from '../actions/view';
import { engineClient } from '../../worker/client';
import type { GraphSearchHit } from '../../core/view/node-search';

/** Hits of the shown graph the list shows, and of the model's other graphs after them. */
const SHOWN_HITS = 50;

/** How long the query rests before the engine searches the other graphs (ms). */
const OTHER_GRAPHS_DELAY = 120;

/**
 * The model's other graphs' hits for the query (an If's branches, a Loop's body; the main graph
 * from a sub-graph), asked of the engine when the model has any: undefined until they are in.
 */
function useOtherGraphHits(query: string, shownPath: string | undefined) {
  const withSubgraphs = useApp((s) => !!s.summary && s.summary.nodeCountWithSubgraphs > s.summary.nodeCount);
  const [found, setFound] = useState<{ key: string; hits: GraphSearchHit[]; more: boolean }>();
  const q = query.trim();
  const key = `${shownPath}\n${q}`;
  useEffect(() => {
    if (!q || shownPath === undefined || !withSubgraphs) return;
    let live = true;
    const timer = setTimeout(() => {
      engineClient()
        .searchOtherGraphs(shownPath, q)
        .then((got) => {
          if (live && got.ok) setFound({ key, hits: got.hits, more: got.more });
        })
        .catch(() => undefined);
    }, OTHER_GRAPHS_DELAY);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [q, shownPath, withSubgraphs, key]);
  if (!withSubgraphs) return { hits: [], more: false, pending: false };
  return found?.key === key ? { ...found, pending: false } : { hits: [], more: false, pending: !!q };
}

export function SearchBox() {
  const query = useSearch((s) => s.query);
  const setQuery = useSearch((s) => s.setQuery);
  // Search every node of the model, folded Q/DQ included: a hit on one reveals the node it is folded into.
  const view = useApp((s) => s.view);
  const full = useApp((s) => s.fullView);
  // The folded nodes' names follow the first paint: until they are all in, a query may match one
  // of them that is not listed yet.
  const names = useApp((s) => s.foldNames);
  const namesComing = useApp((s) => !s.fullView && s.drawnFolded && !!s.fold && s.fold.names.length < s.fold.hidden);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  /** Enter was pressed before any node matched, while names were still coming: the first hit then. */
  const [jumpWhenFound, setJumpWhenFound] = useState<string>();
  const hits = useMemo(
    () => (view && query.trim() ? searchShown(useApp.getState(), query).slice(0, SHOWN_HITS) : []),
    [view, full, names, query],
  );
  const others = useOtherGraphHits(query, view?.path);
  // One list for the keys: the shown graph's hits, then the other graphs'.
  const all: { id: string; name: string; opType: string; graph?: string }[] = [...hits, ...others.hits];

  const jump = (i: number) => {
    const hit = all[i];
    if (!hit) return;
    void revealNode(hit.id);
    setActive(i);
  };
  const firstHit = all[0]?.id;
  useEffect(() => {
    if (jumpWhenFound === undefined) return;
    // The query changed since: that Enter was for another one.
    if (jumpWhenFound !== query) setJumpWhenFound(undefined);
    else if (firstHit !== undefined) {
      setJumpWhenFound(undefined);
      void revealNode(firstHit);
      setActive(1 % Math.max(all.length, 1));
    } else if (!namesComing && !others.pending) setJumpWhenFound(undefined);
  }, [jumpWhenFound, query, firstHit, namesComing, others.pending, all.length]);

  return (
    <div
      className="relative"
      onBlur={(e) => {
        if (!e.currentTarget.contains(e.relatedTarget)) setOpen(false);
      }}
    >
      <input
        type="search"
        aria-label="Search nodes by name or op type"
        placeholder="Search nodes (name or op)…"
        className="w-40 rounded border border-slate-300 px-2 py-1 text-sm xl:w-64"
        value={query}
        onChange={(e) => {
          setQuery(e.target.value);
          setOpen(true);
          setActive(0);
        }}
        onFocus={() => setOpen(true)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            if (all.length === 0 && (namesComing || others.pending)) setJumpWhenFound(query);
            jump(e.shiftKey ? (active - 1 + all.length) % Math.max(all.length, 1) : active);
            if (!e.shiftKey) setActive((active + 1) % Math.max(all.length, 1));
          }
          if (e.key === 'ArrowDown') {
            e.preventDefault();
            setActive((a) => Math.min(a + 1, all.length - 1));
          }
          if (e.key === 'ArrowUp') {
            e.preventDefault();
            setActive((a) => Math.max(a - 1, 0));
          }
          if (e.key === 'Escape') {
            setOpen(false);
          }
        }}
      />
      {open && query.trim() && (
        <ul
          role="listbox"
          aria-label="Search results"
          className="absolute z-20 mt-1 max-h-80 w-96 overflow-y-auto rounded border border-slate-200 bg-white text-sm shadow-lg"
        >
          {all.length === 0 && (namesComing || others.pending) && (
            <li className="px-2 py-1 text-slate-500">
              {namesComing ? 'Searching the folded Q/DQ nodes too…' : "Searching the model's other graphs…"}
            </li>
          )}
          {all.length === 0 && !namesComing && !others.pending && (
            <li className="px-2 py-1 text-slate-500">No node matches “{query}”.</li>
          )}
          {all.map((n, i) => (
            <li key={`${n.graph ?? ''}:${n.id}`} role="option" aria-selected={i === active}>
              {i === hits.length && (
                <div className="border-t border-slate-200 px-2 pt-1 text-xs text-slate-500" role="presentation">
                  In the model&apos;s other graphs
                </div>
              )}
              <button
                type="button"
                className={`flex w-full gap-2 px-2 py-1 text-left hover:bg-slate-100 ${i === active ? 'bg-slate-100' : ''}`}
                onClick={() => jump(i)}
                data-testid={n.graph === undefined ? 'search-hit' : 'search-hit-other-graph'}
              >
                <span className="font-semibold">{n.opType}</span>
                <span className="truncate text-slate-600">{n.name}</span>
                {n.graph !== undefined && <span className="ml-auto shrink-0 text-xs text-slate-500">in {n.graph}</span>}
              </button>
            </li>
          ))}
          {others.more && (
            <li className="px-2 py-1 text-xs text-slate-500">More in the other graphs: type more of the name.</li>
          )}
        </ul>
      )}
    </div>
  );
}
