/** Load errors: what went wrong with which file, and what to do. Dismissible; the app stays usable. */
import { useApp } from '../state/app-store';

export function Notices() {
  const notices = useApp((s) => s.notices);
  if (notices.length === 0) return null;
  return (
    <div className="pointer-events-none absolute bottom-3 left-1/2 z-30 flex w-[36rem] max-w-[90vw] -translate-x-1/2 flex-col gap-2">
      {notices.map((n) => (
        <div
          key={n.id}
          role="alert"
          data-testid="load-error"
          className="pointer-events-auto rounded border border-red-300 bg-red-50 p-3 text-sm text-red-900 shadow"
        >
          <div className="flex items-start gap-2">
            <div className="min-w-0 flex-1">
              <div className="font-semibold break-all">
                {n.error.code === 'engine' ? 'The QuantLens engine stopped' : `Could not open ${n.error.fileName}`}
              </div>
              <div className="mt-0.5">
                {n.error.code === 'engine'
                  ? n.error.message
                  : n.error.problem.charAt(0).toUpperCase() + n.error.problem.slice(1)}
                {n.error.offset !== undefined ? ` (at byte ${n.error.offset})` : ''}.
              </div>
              <div className="mt-0.5 text-red-800">{n.error.hint}</div>
            </div>
            <button
              type="button"
              aria-label="Dismiss"
              className="rounded px-1.5 text-red-700 hover:bg-red-100"
              onClick={() => useApp.getState().dismiss(n.id)}
            >
              ✕
            </button>
          </div>
        </div>
      ))}
    </div>
  );
}
