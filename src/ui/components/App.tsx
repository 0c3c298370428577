/** The app shell: header, graph, details panel, load progress and errors. */
import { useEffect, useState } from 'react';
import { openStartupModel, recoverFromCrash } from '../actions/load';
import { onEngineCrash } from '../../worker/client';
import { DropZone } from './DropZone';
import { GraphCanvas } from './GraphCanvas';
import { Header, sampleUrl, useSamples } from './Header';
import { NodePanel } from './NodePanel';
import { Notices } from './Notices';
import { useApp } from '../state/app-store';
import { CheckBar } from './CheckBar';
import { FindingsList } from './FindingsList';
import { QuantPanel } from './QuantPanel';
import { VerdictBanner } from './VerdictBanner';
import { loadSocs } from '../actions/check';
import { useCheck } from '../state/check-store';
import { encodingsKind } from '../../core/report/report-text';
import { useQuant } from '../state/quant-store';
import { ShortcutHelp, useShortcuts } from './Shortcuts';
import { startTheme } from '../theme';
import { followShareLinks, openShareFromLocation } from '../actions/share';
import { SharedSnapshot, ShareNotices } from './SharePanel';
import { startHistory } from '../actions/history';

/** The sample shown when the page opens without ?model=. */
export const DEFAULT_SAMPLE = 'cnn-sigmoid.qdq.onnx';

function LoadingBar() {
  const loading = useApp((s) => s.loading);
  const layingOut = useApp((s) => s.layingOut);
  if (!loading && !layingOut) return null;
  const text = loading
    ? `${loading.phase}${loading.fraction !== undefined ? ` ${Math.round(loading.fraction * 100)}%` : '…'}`
    : 'Laying out graph…';
  return (
    <div
      role="status"
      aria-live="polite"
      data-testid="loading"
      className="absolute top-2 left-2 z-20 rounded bg-white/95 px-3 py-1.5 text-sm text-slate-700 shadow"
    >
      {text}
      {loading?.fraction !== undefined && (
        <div className="mt-1 h-1 w-48 rounded bg-slate-200">
          <div className="h-1 rounded bg-blue-600" style={{ width: `${Math.round(loading.fraction * 100)}%` }} />
        </div>
      )}
    </div>
  );
}

/**
 * A large model's verdict came ahead of its drawing: the canvas says the drawing is on its way
 * rather than showing the previous model under the new one's findings.
 */
function DrawingComing() {
  const coming = useApp((s) => s.drawingComing);
  if (!coming) return null;
  return (
    <div
      role="status"
      data-testid="drawing-coming"
      className="absolute inset-0 z-10 flex items-center justify-center bg-slate-50 p-6 text-center text-sm text-slate-600"
    >
      <p className="max-w-md">
        Drawing <span className="font-medium break-all text-slate-800">{coming.model}</span>
        {coming.nodesChecked !== undefined ? ` (${coming.nodesChecked.toLocaleString()} nodes checked)` : ''}… Its
        findings are listed already.
      </p>
    </div>
  );
}

function EmptyState() {
  const summary = useApp((s) => s.summary);
  const loading = useApp((s) => s.loading);
  if (summary || loading) return null;
  return (
    <div className="absolute inset-0 flex items-center justify-center text-slate-500">
      Drop an .onnx model anywhere on the page, or use “Open model…”.
    </div>
  );
}

/**
 * The left panel, ordered by the task at hand: for a quantized model, reviewing findings comes
 * first and the quantizer second; for a float model the quantizer leads. Nothing shows before a
 * model is open.
 */
function SidePanel() {
  const open = useApp((s) => !!s.summary);
  // A model quantized with integer ops, or compiled, is no float model: its findings lead.
  const floatModel = useCheck((s) => !!s.result && encodingsKind(s.result.encodings, s.result.findings) === 'float');
  const planShown = useQuantIsPlan();
  const float = floatModel || planShown;
  const rendered = useRenderedWhenIdle();
  if (!open && !rendered) return null;
  return (
    <aside
      hidden={!open}
      className="flex h-full w-80 shrink-0 flex-col overflow-y-auto border-r border-slate-200 bg-white"
      aria-label="Findings and quantizer"
      data-testid="side-panel"
      data-order={float ? 'quantizer-first' : 'findings-first'}
    >
      {float ? (
        <>
          <QuantPanel />
          <FindingsList />
        </>
      ) : (
        <>
          <FindingsList />
          <QuantPanel />
        </>
      )}
    </aside>
  );
}

/**
 * True once the page has been idle after its start (or 300 ms on): the side panel is rendered then,
 * hidden, so that its first render, with code not yet compiled, is not part of the first model's
 * (the render of the start-up sample's summary and panels took 54-120 ms here with it, 42-71 ms
 * without; see load.ts).
 */
function useRenderedWhenIdle(): boolean {
  const [idle, setIdle] = useState(false);
  useEffect(() => {
    if (typeof requestIdleCallback === 'function') {
      const id = requestIdleCallback(() => setIdle(true), { timeout: 300 });
      return () => cancelIdleCallback(id);
    }
    const id = setTimeout(() => setIdle(true), 300);
    return () => clearTimeout(id);
  }, []);
  return idle;
}

/** A float model's findings are those of its quantization plan: it stays a float model for the panel order. */
function useQuantIsPlan(): boolean {
  return useQuant((s) => s.target === 'plan' && !!s.outcome);
}

export function App() {
  const samples = useSamples();
  const [help, setHelp] = useShortcuts();
  useEffect(startTheme, []);
  useEffect(() => onEngineCrash((reason) => recoverFromCrash(reason)), []);
  useEffect(() => startHistory(), []);
  useEffect(() => followShareLinks(), []);
  useEffect(() => {
    void (async () => {
      if (await openShareFromLocation()) return;
      await loadSocs(useCheck.getState().settings.backend);
      const model = new URLSearchParams(window.location.search).get('model');
      await openStartupModel(model ?? sampleUrl(DEFAULT_SAMPLE), model ? 'url' : 'sample');
    })();
  }, []);
  const warmedUp = useApp((s) => !!s.warmedUp);
  return (
    <div className="flex h-full flex-col bg-slate-50 text-slate-900" data-warmed-up={warmedUp}>
      <Header samples={samples} />
      <CheckBar />
      <ShareNotices />
      <VerdictBanner />
      <div className="flex min-h-0 flex-1">
        <SidePanel />
        <main className="relative min-w-0 flex-1">
          <GraphCanvas />
          <DrawingComing />
          <SharedSnapshot />
          <LoadingBar />
          <EmptyState />
          <Notices />
        </main>
        <NodePanel />
      </div>
      <DropZone />
      {help && <ShortcutHelp onClose={() => setHelp(false)} />}
    </div>
  );
}
