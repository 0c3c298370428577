/**
 * Opening models: files, URLs and the start-up model. Each load carries a sequence number so that
 * a slow, older load can never overwrite a newer one; a failed load leaves the current model as it
 * was; the start-up model never replaces one the user opened.
 */
import { EngineCrashedError, earlyCheckProxy, engineClient, progressProxy } from '../../worker/client';
import type { CheckSettings, EarlyCheck, LoadResult } from '../../core/session/api';
import { applyCheckOutcome, beginCheck, isLatestCheck } from './check';
import { useCheck } from '../state/check-store';
import { appendNames, fetchDrawingParts } from '../../core/session/load-parts';
import { useShare } from '../state/share-store';
import { useApp } from '../state/app-store';
import { afterLoad, painted } from './after-load';
import { MAIN_THREAD_LAYOUT_MAX, nextTask, revealNode } from './view';

let loadSeq = 0;
/** Loads the user asked for (files, URLs, samples picked); the start-up model never replaces one. */
let userLoads = 0;

/** The last model source, so that a restarted engine can open it again. */
let lastSource: { files: File[] } | { url: string; kind: 'url' | 'sample' } | undefined;

/** After the engine died: reopen the last model (unless it died while opening that model). */
export function recoverFromCrash(reason: string): void {
  const wasLoading = !!useApp.getState().loading;
  useApp.setState({ loading: undefined, drawingComing: undefined });
  useApp.getState().pushError({
    code: 'engine',
    fileName: 'the QuantLens engine',
    message: reason,
    problem: `stopped: ${reason}`,
    hint:
      wasLoading || !lastSource
        ? 'It was restarted and your settings are kept; open the model again.'
        : 'It was restarted with your settings kept, and the model is being opened again.',
  });
  if (!wasLoading && lastSource) {
    if ('files' in lastSource) void openFiles(lastSource.files);
    else void loadUrl(lastSource.url, lastSource.kind);
  }
}

async function runLoad(
  source: string,
  origin: { kind: 'url' | 'sample' | 'file'; label: string; url?: string },
  start: (
    progress: ReturnType<typeof progressProxy>,
    check: CheckSettings,
    onChecked: EarlyCheck,
  ) => Promise<LoadResult>,
) {
  const seq = ++loadSeq;
  // A node asked for in an earlier model's findings is not looked for in this one.
  useApp.setState({ revealOnDraw: undefined });
  // The engine checks the model as it opens it: a large one's verdict comes before its drawing, a
  // small one's (drawn first) after it.
  const check = beginCheck();
  const settings: CheckSettings = { ...useCheck.getState().settings, target: 'model' };
  // A verdict that comes after the drawing is waited for by afterLoad (which would otherwise check).
  let verdictIn!: () => void;
  const verdict = new Promise<void>((resolve) => (verdictIn = resolve));
  // Progress arrives on its own message port, so a report can land after the result; once the
  // result is in, late reports are dropped.
  let finished = false;
  // A small graph is drawn first and its verdict follows the engine's answer. When the page lays
  // the drawing out itself, the verdict is shown once the drawing has been painted: shown on
  // arrival, its render (17 ms for Silero VAD in Chromium) sat between the answer and the layout
  // and delayed the first paint. A drawing the layout worker lays out leaves the page idle
  // meanwhile: the verdict is shown at once (a 1k-node decoder's findings came 70 ms later held).
  let holdVerdict = false;
  let drawingPainted!: () => void;
  const paintedDrawing = new Promise<void>((resolve) => (drawingPainted = resolve));
  const onChecked = earlyCheckProxy((out) => {
    if (!finished || !holdVerdict) {
      // A large graph's verdict, ahead of its drawing, or one the page can show while it waits.
      if (seq === loadSeq) {
        // Ahead of the drawing: the previous model's drawing is not left under these findings.
        if (!finished)
          useApp.setState({
            drawingComing: {
              model: out.ok ? out.report.model.name : source,
              nodesChecked: out.ok ? out.result.nodesChecked : undefined,
            },
          });
        applyCheckOutcome(out, check, true);
      }
      verdictIn();
      return;
    }
    void paintedDrawing.then(() => {
      // On the drawing now on screen: its marks, and the findings-only filter, follow the verdict.
      if (seq === loadSeq) applyCheckOutcome(out, check);
      verdictIn();
    });
  });
  useApp.setState({ loading: { source, phase: 'Starting' } });
  const progress = progressProxy((phase, fraction) => {
    if (seq === loadSeq && !finished) useApp.setState({ loading: { source, phase, fraction } });
  });
  let result: LoadResult;
  /** The folded nodes' names, fetched once the drawing is on screen (load-parts.ts). */
  let rest: () => Promise<[string, string, string][] | undefined> = async () => [];
  // Phase marks (performance.getEntriesByName), read by the bench's breakdown.
  performance.mark('ql:open');
  try {
    // A large drawing comes in parts, each its own short task here (load-parts.ts).
    const got = await fetchDrawingParts(engineClient(), await start(progress, settings, onChecked));
    result = got.drawing;
    rest = got.rest;
    // A share link may name a folded node: its names are in before the link is applied.
    if (result.ok && result.fold && useShare.getState().pending) {
      const names = await rest();
      if (names) appendNames(result.fold.names, names);
      rest = async () => [];
    }
  } catch (err) {
    if (err instanceof EngineCrashedError) {
      if (seq === loadSeq) useApp.setState({ loading: undefined, drawingComing: undefined });
      if (isLatestCheck(check)) useCheck.setState({ running: false });
      return;
    }
    result = {
      ok: false,
      error: {
        code: 'malformed',
        fileName: source,
        problem: `the engine stopped unexpectedly (${(err as Error).message})`,
        hint: 'Try again; if it repeats, reload the page.',
        message: String(err),
      },
    };
  }
  // (A drawing in parts has no nodes in the answer: it is a large one.)
  holdVerdict = result.ok && !result.parts && result.view.nodes.length <= MAIN_THREAD_LAYOUT_MAX;
  finished = true;
  // The engine's own phases ride on the mark (the bench and profiles print them).
  performance.mark('ql:opened', { detail: result.ok ? result.phases : undefined });
  await nextTask();
  if (seq !== loadSeq || !result.ok) drawingPainted();
  if (seq !== loadSeq) return;
  useApp.setState({ loading: undefined });
  if (!result.ok) {
    // The model shown is still the last one: its drawing is uncovered, its verdict stands.
    useApp.setState({ drawingComing: undefined, revealOnDraw: undefined });
    if (isLatestCheck(check)) useCheck.setState({ running: false });
    useApp.getState().pushError(result.error);
    return;
  }
  // A model opened: the errors of earlier attempts are settled (an engine restart notice stays).
  useApp.setState((s) => ({
    summary: result.summary,
    origin,
    parseMs: result.parseMs,
    selectedId: undefined,
    // The last model's focus is not this one's: left, the canvas centred the new drawing on the
    // node that has its id there (a finding clicked in PyTorch's encoder, then a CNN opened: drawn
    // half above the canvas).
    focus: undefined,
    notices: s.notices.filter((n) => n.error.code === 'engine'),
  }));
  // The page's first model renders the panels for the first time as well as the drawing, with code
  // not yet compiled: the panels are rendered in this task and the drawing in the next (the start-up
  // sample's render was one task of 84-163 ms here; split, and with the side panel rendered ahead
  // (App.tsx), the longest was 52-92 ms in 7 of 8 loads). Later loads render both at once: one
  // render, not two, is what a small model's drawing waits for.
  if (!useApp.getState().drawn) {
    await nextTask();
    if (seq !== loadSeq) {
      drawingPainted();
      return;
    }
  }
  // The early verdict stands unless settings changed meanwhile (a later check superseded it).
  const early = isLatestCheck(check);
  const { fold } = result;
  // Search and links find folded nodes by name: their names follow the first paint, into the
  // same list the drawn fold holds.
  const fillNames = () =>
    void rest()
      .then((names) => {
        if (names?.length && fold) {
          appendNames(fold.names, names);
          if (useApp.getState().fold === fold) useApp.setState({ foldNames: fold.names.length });
        }
      })
      .catch(() => undefined);
  const shown = () => {
    fillNames();
    void painted().then(drawingPainted);
    // A finding clicked while the drawing was on its way: its node now.
    const { revealOnDraw } = useApp.getState();
    if (revealOnDraw && seq === loadSeq) {
      useApp.setState({ revealOnDraw: undefined });
      void revealNode(revealOnDraw);
    }
  };
  await afterLoad(result, result.verdictComing && early ? verdict : early && !!useCheck.getState().report, shown);
  warmUpOnce(settings);
}

/** How long after the first model is on screen the engine warms up (warm-up.ts): the page is idle. */
export const WARM_UP_DELAY_MS = 300;
/**
 * How long after that the engine warms its runtime up (a quantization of its own): a float model
 * dropped later shows its plan sooner (PyTorch's rotary decoder: 0.4-0.6 s from the drop instead
 * of 1.8-2.3 s in Chromium); one dropped before is not slowed by it.
 */
export const RUNTIME_WARM_UP_DELAY_MS = 3000;
let warmUpAsked = false;

/** Once per page, after its first model is shown: the engine opens its warm-up model while the page is idle. */
function warmUpOnce(settings: CheckSettings): void {
  if (warmUpAsked) return;
  warmUpAsked = true;
  setTimeout(() => {
    Promise.resolve()
      .then(() => engineClient().warmUp(settings, RUNTIME_WARM_UP_DELAY_MS))
      .catch(() => undefined)
      .then(() => useApp.setState({ warmedUp: true }));
  }, WARM_UP_DELAY_MS);
}

/**
 * A model is on its way (files dragged over the page, the file dialog opened): the engine's
 * runtime warm-up, if it is running, gives the machine back before the model arrives.
 */
export function makeWayForModel(): void {
  Promise.resolve()
    .then(() => engineClient().stopWarmUp())
    .catch(() => undefined);
}

export function openFiles(files: File[]): Promise<void> {
  userLoads++;
  lastSource = { files };
  const model = files.find((f) => /\.(onnx|ort)$/i.test(f.name)) ?? files[0];
  const label =
    files.length > 1 && model
      ? `${model.name} (+${files.length - 1} file${files.length > 2 ? 's' : ''})`
      : files.map((f) => f.name).join(', ');
  return runLoad(label, { kind: 'file', label }, (p, check, onChecked) =>
    engineClient().openFiles(files, p, check, onChecked),
  );
}

export function openUrl(url: string, kind: 'url' | 'sample' = 'url'): Promise<void> {
  userLoads++;
  return loadUrl(url, kind);
}

function loadUrl(url: string, kind: 'url' | 'sample'): Promise<void> {
  const absolute = new URL(url, window.location.href).href;
  lastSource = { url: absolute, kind };
  return runLoad(
    absolute,
    {
      kind,
      url: absolute,
      label: kind === 'sample' ? decodeURIComponent(absolute.split('/').pop() ?? absolute) : absolute,
    },
    (p, check, onChecked) => engineClient().openUrl(absolute, p, check, onChecked),
  );
}

/**
 * Opens what the page starts with (`?model=` or the bundled sample), unless the user has already
 * opened something: the latest user action wins over start-up work. A user load that starts
 * while this one runs wins too (the later load is the one shown; the engine keeps the later model).
 */
export function openStartupModel(url: string, kind: 'url' | 'sample'): Promise<void> {
  return userLoads > 0 ? Promise.resolve() : loadUrl(url, kind);
}
