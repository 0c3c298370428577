/** Every finding on one node: reason, expected vs actual, what happens under the flow, the fix, and the source with its confidence. */
import { outcomeText } from '../../core/check/finding';
import { DEFAULT_FLOW } from '../../../rules/types';
import { useCheck } from '../state/check-store';
import { drawnNodeOf, useApp } from '../state/app-store';
import { FLOW_LABEL } from '../format';
import { SeverityBadge } from './severity';

const KIND_TEXT = {
  'backend-limit': 'a backend limit',
  'toolchain-repair': 'a limit some toolchains repair',
  performance: 'a performance cost',
  'toolchain-default': "one toolchain's default, not required",
} as const;

export function NodeFindings({ nodeId }: { nodeId: string }) {
  const findings = useCheck((s) => s.result?.findings);
  const flow = useCheck((s) => s.result?.flow ?? DEFAULT_FLOW);
  useApp((s) => s.view); // which findings a node shows depends on whether Q/DQ are folded into it
  // In the folded drawing a node also shows the findings of the Q/DQ nodes folded into it.
  const mine = findings?.filter((f) => f.nodeId && drawnNodeOf(f.nodeId) === nodeId) ?? [];
  if (mine.length === 0) return null;
  return (
    <section className="border-t border-slate-200 px-3 py-2" data-testid="node-findings">
      <h3 className="mb-1 text-[11px] font-semibold uppercase tracking-wide text-slate-500">
        Findings ({mine.length})
      </h3>
      <ul className="space-y-2">
        {mine.map((f, i) => (
          <li key={`${f.rule}:${i}`} className="rounded border border-slate-200 p-2 text-xs">
            <div className="flex items-center gap-1.5">
              <SeverityBadge severity={f.severity} />
              <span className="font-mono text-slate-500">{f.rule}</span>
              {f.port && <span className="text-slate-500">· {f.port}</span>}
            </div>
            <p className="mt-1 break-words text-slate-900">{f.message}</p>
            <dl className="mt-1 grid grid-cols-[auto_minmax(0,1fr)] gap-x-2 gap-y-0.5 [&_dd]:break-words">
              <dt className="text-slate-500">expected</dt>
              <dd className="font-mono" data-testid="finding-expected">
                {f.expected}
              </dd>
              <dt className="text-slate-500">actual</dt>
              <dd className="font-mono" data-testid="finding-actual">
                {f.actual}
              </dd>
              {f.tensor && (
                <>
                  <dt className="text-slate-500">tensor</dt>
                  <dd className="font-mono break-all">{f.tensor}</dd>
                </>
              )}
              <dt className="text-slate-500">outcome</dt>
              <dd data-testid="finding-outcome">
                {FLOW_LABEL[flow]}: {outcomeText(f.outcome, flow)}{' '}
                <span className="text-slate-500">({KIND_TEXT[f.constraintKind]})</span>
              </dd>
              <dt className="text-slate-500">fix</dt>
              <dd>{f.fix}</dd>
              <dt className="text-slate-500">source</dt>
              <dd className="break-words text-slate-600">{f.source}</dd>
              {f.sourceNote && (
                <>
                  <dt className="text-slate-500">note</dt>
                  <dd className="text-amber-800">{f.sourceNote}</dd>
                </>
              )}
            </dl>
          </li>
        ))}
      </ul>
    </section>
  );
}
