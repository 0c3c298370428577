/**
 * Breadcrumbs over a grouped drawing: the open groups around the selected node (or the group
 * opened last). A crumb closes its group and everything inside it; "Overview" closes them all.
 */
import { collapseAll, scopeTrail, toggleGroup } from '../actions/view';
import { useApp } from '../state/app-store';

export function ScopeTrail() {
  // The trail depends on these; reading them subscribes the crumbs to changes.
  useApp((s) => s.expanded);
  useApp((s) => s.selectedId);
  useApp((s) => s.openedGroup);
  // A new drawing's scopes are worked out while it is laid out: the crumbs follow its layout.
  useApp((s) => s.layout);
  const grouped = useApp((s) => !!s.expanded);
  if (!grouped) return null;
  const trail = scopeTrail();
  return (
    <nav
      aria-label="Open groups"
      data-testid="scope-trail"
      className="absolute top-2 left-2 z-20 flex max-w-[60%] flex-wrap items-center gap-1 rounded border border-slate-200 bg-white/95 px-2 py-1 text-xs shadow-sm"
    >
      <button
        type="button"
        className="rounded px-1 text-blue-700 hover:bg-slate-100"
        onClick={() => void collapseAll(true)}
      >
        Overview
      </button>
      {trail.map((g) => (
        <span key={g.id} className="flex items-center gap-1">
          <span aria-hidden="true" className="text-slate-400">
            ›
          </span>
          <button
            type="button"
            className="rounded px-1 font-mono hover:bg-slate-100"
            title={`Close ${g.id.slice('group:'.length)}`}
            onClick={() => void toggleGroup(g.id)}
          >
            {g.label}
          </button>
        </span>
      ))}
    </nav>
  );
}
