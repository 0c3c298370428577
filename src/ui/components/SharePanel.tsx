/** "Copy link", and what a received link shows before its model is here. */
import { useState } from 'react';
import { SeverityBadge } from './severity';
import { makeShareLink } from '../actions/share';
import { dismissShareNotices, useShare } from '../state/share-store';
import { useApp } from '../state/app-store';
import { FLOW_LABEL } from '../format';
import { quantizationText, sharedQuantization } from '../../core/share';

export function CopyLinkButton() {
  const link = useShare((s) => s.link);
  const [status, setStatus] = useState<string>();
  const hasModel = useApp((s) => !!s.summary);
  return (
    <span className="flex items-center gap-1">
      <button
        type="button"
        disabled={!hasModel}
        className="rounded border border-slate-300 px-2 py-0.5 text-slate-700 hover:bg-slate-100 disabled:opacity-40"
        onClick={async () => {
          try {
            const l = await makeShareLink();
            try {
              await navigator.clipboard.writeText(l);
              setStatus('Link copied');
            } catch {
              setStatus('Link ready: copy it from the box');
            }
          } catch (err) {
            setStatus((err as Error).message);
          }
        }}
      >
        Copy link
      </button>
      {link && (
        <input
          readOnly
          aria-label="Share link"
          data-testid="share-link"
          className="w-40 rounded border border-slate-200 px-1 text-xs text-slate-600"
          value={link}
          onFocus={(e) => e.target.select()}
        />
      )}
      {status && (
        <span role="status" className="text-xs text-slate-500" data-testid="share-status">
          {status}
        </span>
      )}
    </span>
  );
}

export function ShareNotices() {
  const error = useShare((s) => s.error);
  const mismatch = useShare((s) => s.mismatch);
  const replay = useShare((s) => s.replay);
  if (!error && !mismatch && !replay) return null;
  return (
    <div
      className="border-b border-amber-300 bg-amber-50 px-3 py-1.5 text-sm text-amber-900"
      role="alert"
      data-testid="share-notice"
    >
      {error ?? mismatch}
      {!error && replay && (
        <span data-testid="share-replay" className={mismatch ? 'ml-1' : ''}>
          {replay}
        </span>
      )}
      <button type="button" aria-label="Dismiss" className="ml-2 px-1" onClick={dismissShareNotices}>
        ✕
      </button>
    </div>
  );
}

/** The sender's verdict and findings, shown until the same model is dropped. */
export function SharedSnapshot() {
  const pending = useShare((s) => s.pending);
  if (!pending) return null;
  const { payload, snapshot } = pending;
  const m = payload.model;
  // The quantization the sender ran, which the drop will replay: every choice the link recorded.
  const run = sharedQuantization(payload.settings);
  return (
    <div className="absolute inset-0 z-10 overflow-y-auto bg-white p-4" data-testid="shared-snapshot">
      <h2 className="text-lg font-semibold">
        Shared validation of <span className="font-mono">{m.name}</span>
      </h2>
      <p className="mt-1 text-sm text-slate-700" data-testid="drop-prompt">
        Drop <span className="font-mono">{m.name}</span> ({m.size.toLocaleString()} bytes, SHA-256{' '}
        <span className="font-mono">{m.sha256.slice(0, 12)}…</span>) onto the page to see the graph and re-run the check
        here. The model itself was not shared.
      </p>
      <p className="mt-1 text-sm text-slate-600" data-testid="snapshot-settings">
        Settings: {payload.settings.backend.toUpperCase()} · {payload.settings.soc} ·{' '}
        {FLOW_LABEL[payload.settings.flow]} · {payload.settings.strict ? 'strict' : 'lenient'}
        {run ? ` · quantized ${quantizationText(run)}` : ''}
      </p>
      {snapshot && (
        <div className="mt-3">
          <div className="text-sm font-semibold" data-testid="snapshot-verdict" data-verdict={snapshot.verdict}>
            {snapshot.verdict.toUpperCase()} · {snapshot.counts.error} errors · {snapshot.counts.warning} warnings ·{' '}
            {snapshot.counts.info} notes · {snapshot.soc} ({snapshot.arch})
          </div>
          {snapshot.total > snapshot.findings.length && (
            <div className="text-xs text-slate-500">
              showing the first {snapshot.findings.length} of {snapshot.total} findings
            </div>
          )}
          <ul className="mt-2 space-y-1">
            {snapshot.findings.map((f, i) => (
              <li key={i} className="rounded border border-slate-200 p-2 text-xs" data-testid="snapshot-finding">
                <div className="flex items-center gap-1.5">
                  <SeverityBadge severity={f.severity} />
                  <span className="font-mono text-slate-500">{f.rule}</span>
                  <span className="font-medium">{f.node}</span>
                  {f.port && <span className="text-slate-500">· {f.port}</span>}
                </div>
                <div className="mt-0.5">{f.message}</div>
                <div className="mt-0.5 text-slate-600">
                  expected <span className="font-mono">{f.expected}</span> · actual{' '}
                  <span className="font-mono">{f.actual}</span>
                </div>
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}
