/** Canvas options: findings-only view, what edges say, and group expansion. */
import { collapseAll, setFindingsOnly, setQdqFolded } from '../actions/view';
import { requestFit, setEdgeLabels, useApp } from '../state/app-store';

export function CanvasTools() {
  const findingsOnly = useApp((s) => s.findingsOnly);
  const edgeLabels = useApp((s) => s.edgeLabels);
  const grouped = useApp((s) => !!s.expanded);
  const visible = useApp((s) => s.visible);
  const total = useApp((s) => s.view?.nodes.length ?? 0);
  const folding = useApp((s) => s.fold?.hidden);
  // The box shows what was asked at once; the drawing follows when the full graph has arrived.
  const folded = useApp((s) => s.qdqFolded);
  return (
    <div
      className="absolute top-2 right-2 z-20 flex flex-col gap-1 rounded border border-slate-200 bg-white/95 p-2 text-xs shadow-sm"
      role="group"
      aria-label="View options"
    >
      <label className="flex items-center gap-1">
        <input
          type="checkbox"
          checked={findingsOnly}
          onChange={async (e) => {
            await setFindingsOnly(e.target.checked);
            requestFit();
          }}
        />
        Only nodes with findings (and neighbours)
      </label>
      {folding !== undefined && (
        <label className="flex items-center gap-1" data-testid="qdq-fold">
          <input type="checkbox" checked={folded} onChange={(e) => void setQdqFolded(e.target.checked)} />
          Fold Q/DQ onto edges ({folding.toLocaleString()} nodes)
        </label>
      )}
      <label className="flex items-center gap-1">
        Edges
        <select
          aria-label="Edge labels"
          className="rounded border border-slate-300 px-1"
          value={edgeLabels}
          onChange={(e) => setEdgeLabels(e.target.value as 'auto' | 'shape' | 'quant' | 'none')}
        >
          <option value="auto">auto (encodings when folded or planned)</option>
          <option value="shape">shapes</option>
          <option value="quant">dtype, scale, zero point</option>
          <option value="none">no labels</option>
        </select>
      </label>
      {grouped && (
        <div className="flex items-center gap-1" data-testid="group-tools">
          <span className="text-slate-500">
            {visible?.items.length.toLocaleString()} items of {total.toLocaleString()} nodes
          </span>
          <button
            type="button"
            className="rounded border border-slate-300 px-1 hover:bg-slate-100"
            onClick={() => void collapseAll()}
          >
            Collapse all
          </button>
        </div>
      )}
    </div>
  );
}
