/** The findings, worst first; each row jumps to its node. */
import { useMemo } from 'react';
import type { Finding } from '../core/check/finding';
import { useCheck } from './check-store';
import { SeverityBadge } from './severity';
import { useApp } from './store';
import { revealNode } from './actions';
import { QuantPanel } from './QuantPanel';

const ORDER = { error: 0, warning: 1, info: 2 } as const;

export function FindingsList() {
  const findings = useCheck((s) => s.result?.findings);
  const selectedId = useApp((s) => s.selectedId);
  const sorted = useMemo(() => [...(findings ?? [])].sort((a, b) => ORDER[a.severity] - ORDER[b.severity]), [findings]);
  return (
    <aside className="flex h-full w-80 shrink-0 flex-col overflow-y-auto border-r border-slate-200 bg-white" aria-label="Findings">
      <QuantPanel />
      {findings && (<>
      <h2 className="border-b border-slate-200 px-3 py-2 text-xs font-semibold uppercase tracking-wide text-slate-500">Findings ({findings.length})</h2>
      {sorted.length === 0 && <p className="p-3 text-sm text-emerald-800">No findings: every checked constraint holds.</p>}
      <ul className="min-h-0 flex-1 overflow-y-auto">
        {sorted.map((f: Finding, i) => (
          <li key={`${f.nodeId}:${f.rule}:${f.port}:${i}`}>
            <button type="button" data-testid="finding" data-rule={f.rule} data-node={f.node}
              className={`w-full border-b border-slate-100 px-3 py-2 text-left text-xs hover:bg-slate-50 ${f.nodeId && f.nodeId === selectedId ? 'bg-blue-50' : ''}`}
              onClick={() => { if (f.nodeId) void revealNode(f.nodeId); }}>
              <div className="flex items-center gap-1.5">
                <SeverityBadge severity={f.severity} />
                <span className="font-mono text-slate-500">{f.rule}</span>
              </div>
              <div className="mt-0.5 truncate font-medium text-slate-900" title={f.node}>{f.node}{f.qnnOp ? ` · ${f.qnnOp}` : ''}</div>
              <div className="mt-0.5 text-slate-700">{f.message}</div>
            </button>
          </li>
        ))}
      </ul>
      </>)}
    </aside>
  );
}
