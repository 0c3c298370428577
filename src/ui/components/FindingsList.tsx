/**
 * The findings beside the graph: grouped by rule, op or severity, filtered by severity and text;
 * each row jumps to its node (centered and selected). `n` / `p` step through them.
 */
import { useEffect, useMemo } from 'react';
import { useMountedSteps } from '../use-mounted-steps';
import type { Finding } from '../../core/check/finding';
import { revealNode } from '../actions/view';
import { useCheck } from '../state/check-store';
import { filteredFindings, setList, useList, type ListState } from '../state/list-store';
import { SeverityBadge } from './severity';
import { drawnNodeOf, useApp } from '../state/app-store';

function keyOf(f: Finding, by: ListState['groupBy']): string {
  return by === 'rule'
    ? f.rule
    : by === 'op'
      ? `${f.op}${f.qnnOp ? ` → ${f.qnnOp}` : ''}`
      : by === 'severity'
        ? f.severity
        : '';
}

function Row({ f }: { f: Finding }) {
  const selected = useApp((s) => !!f.nodeId && s.selectedId === drawnNodeOf(f.nodeId));
  // Rows out of sight are not laid out (content-visibility): laying out and shaping the text of a
  // 100k-node model's 147 findings held the page 50-70 ms per mounting step.
  return (
    <li className="[contain-intrinsic-size:auto_72px] [content-visibility:auto]">
      <button
        type="button"
        data-testid="finding"
        data-rule={f.rule}
        data-node={f.node}
        aria-current={selected || undefined}
        className={`w-full border-b border-slate-100 px-3 py-2 text-left text-xs hover:bg-slate-50 ${selected ? 'bg-blue-50' : ''}`}
        onClick={() => {
          if (f.nodeId) void revealNode(f.nodeId);
        }}
      >
        <div className="flex items-center gap-1.5">
          <SeverityBadge severity={f.severity} />
          <span className="font-mono text-slate-600">{f.rule}</span>
        </div>
        <div className="mt-0.5 truncate font-medium text-slate-900" title={f.node}>
          {f.node}
          {f.qnnOp ? ` · ${f.qnnOp}` : ''}
        </div>
        <div className="mt-0.5 break-words text-slate-700">{f.message}</div>
      </button>
    </li>
  );
}

/**
 * Rows mounted per task when a list appears: a 100k-node decoder's 147 findings held the page
 * 100-200 ms when mounted in one piece; in slices of this many, each is a short task.
 */
const ROWS_PER_TASK = 40;

export function FindingsList() {
  const findings = useCheck((s) => s.result?.findings);
  const { groupBy, severities, text } = useList();
  const shown = useMemo(() => filteredFindings(findings, { severities, text }), [findings, severities, text]);
  const groups = useMemo(() => {
    const m = new Map<string, Finding[]>();
    for (const f of shown) {
      const k = keyOf(f, groupBy);
      // Appended in place: copying the group at each finding was quadratic in a group's size.
      const list = m.get(k);
      if (list) list.push(f);
      else m.set(k, [f]);
    }
    return [...m];
  }, [shown, groupBy]);
  useEffect(() => setList({ cursor: -1 }), [findings]);
  const mounted = useMountedSteps(shown, Math.ceil(shown.length / ROWS_PER_TASK)) * ROWS_PER_TASK;
  // The rows each group may mount now, in list order.
  const quota = useMemo(() => {
    let left = mounted;
    return groups.map(([, list]) => {
      const n = Math.max(0, Math.min(list.length, left));
      left -= n;
      return n;
    });
  }, [groups, mounted]);

  return (
    <section aria-label="Findings">
      {findings && (
        <>
          <div className="border-b border-slate-200 px-3 py-2">
            <h2 className="text-xs font-semibold uppercase tracking-wide text-slate-500">
              Findings ({shown.length}
              {shown.length !== findings.length ? ` of ${findings.length}` : ''})
            </h2>
            <div className="mt-1 flex flex-wrap items-center gap-2 text-xs">
              {(['error', 'warning', 'info'] as const).map((s) => (
                <label key={s} className="flex items-center gap-0.5">
                  <input
                    type="checkbox"
                    aria-label={`Show ${s}s`}
                    checked={severities.has(s)}
                    onChange={(e) => {
                      const next = new Set(severities);
                      if (e.target.checked) next.add(s);
                      else next.delete(s);
                      setList({ severities: next });
                    }}
                  />
                  {s}
                </label>
              ))}
              <select
                aria-label="Group findings by"
                className="rounded border border-slate-300 px-1"
                value={groupBy}
                onChange={(e) => setList({ groupBy: e.target.value as ListState['groupBy'] })}
              >
                <option value="none">no grouping</option>
                <option value="rule">by rule</option>
                <option value="op">by op</option>
                <option value="severity">by severity</option>
              </select>
            </div>
            <input
              type="search"
              aria-label="Filter findings"
              placeholder="Filter findings…"
              className="mt-1 w-full rounded border border-slate-300 px-1 py-0.5 text-xs"
              value={text}
              onChange={(e) => setList({ text: e.target.value })}
            />
          </div>
          {shown.length === 0 && (
            <p className="p-3 text-sm text-emerald-800">
              {findings.length === 0
                ? 'No findings: every checked constraint holds.'
                : 'No finding matches the filter.'}
            </p>
          )}
          <ul className="min-h-0 flex-1">
            {groups.map(([key, list], g) => (
              <li key={key || 'all'}>
                {key && (
                  <div
                    className="sticky top-0 bg-slate-100 px-3 py-1 text-[11px] font-semibold text-slate-700"
                    data-testid="finding-group"
                  >
                    {key} ({list.length})
                  </div>
                )}
                <ul>
                  {(quota[g]! < list.length ? list.slice(0, quota[g]) : list).map((f, i) => (
                    <Row key={`${f.nodeId}:${f.rule}:${f.port}:${i}`} f={f} />
                  ))}
                </ul>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
