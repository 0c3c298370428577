/** The Export menu: the view as SVG or PNG; findings as JSON, Markdown or a standalone HTML report. */
import { useState } from 'react';
import { exportAs, type ExportKind } from '../actions/exports';
import { useCheck } from '../state/check-store';

const ITEMS: [ExportKind, string][] = [
  ['html', 'HTML report'],
  ['markdown', 'Markdown'],
  ['json', 'Findings JSON'],
  ['svg', 'View as SVG'],
  ['png', 'View as PNG'],
];

export function ExportMenu() {
  const [error, setError] = useState<string>();
  const hasReport = useCheck((s) => !!s.report);
  return (
    <label className="flex items-center gap-1 text-sm text-slate-600">
      Export
      <select
        aria-label="Export"
        className="rounded border border-slate-300 px-1 py-0.5 text-sm"
        value=""
        disabled={!hasReport}
        onChange={async (e) => {
          const k = e.target.value as ExportKind;
          e.target.value = '';
          if (k) setError(await exportAs(k));
        }}
      >
        <option value="">…</option>
        {ITEMS.map(([k, label]) => (
          <option key={k} value={k}>
            {label}
          </option>
        ))}
      </select>
      {error && (
        <span role="alert" className="text-xs text-red-700">
          {error}
        </span>
      )}
    </label>
  );
}
