/** Search nodes by name or op type; Enter or a click jumps to the hit. */
import { useMemo, useState } from 'react';
import { searchShown, useSearch } from '../actions/search';
import { useApp } from '../state/app-store';
import { revealNode } from '../actions/view';

export function SearchBox() {
  const query = useSearch((s) => s.query);
  const setQuery = useSearch((s) => s.setQuery);
  // Search every node of the model, folded Q/DQ included: a hit on one reveals the node it is folded into.
  const view = useApp((s) => s.view);
  const full = useApp((s) => s.fullView);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const hits = useMemo(
    () => (view && query.trim() ? searchShown(useApp.getState(), query).slice(0, 50) : []),
    [view, full, query],
  );

  const jump = (i: number) => {
    const hit = hits[i];
    if (!hit) return;
    void revealNode(hit.id);
    setActive(i);
  };

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
            jump(e.shiftKey ? (active - 1 + hits.length) % Math.max(hits.length, 1) : active);
            if (!e.shiftKey) setActive((active + 1) % Math.max(hits.length, 1));
          }
          if (e.key === 'ArrowDown') {
            e.preventDefault();
            setActive((a) => Math.min(a + 1, hits.length - 1));
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
          {hits.length === 0 && <li className="px-2 py-1 text-slate-500">No node matches “{query}”.</li>}
          {hits.map((n, i) => (
            <li key={n.id} role="option" aria-selected={i === active}>
              <button
                type="button"
                className={`flex w-full gap-2 px-2 py-1 text-left hover:bg-slate-100 ${i === active ? 'bg-slate-100' : ''}`}
                onClick={() => jump(i)}
              >
                <span className="font-semibold">{n.opType}</span>
                <span className="truncate text-slate-600">{n.name}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
