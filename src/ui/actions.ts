/**
 * What the UI asks of the workers. Each load carries a sequence number so that a slow, older
 * load can never overwrite a newer one; a failed load leaves the current model as it was.
 */
import type { GraphView } from '../core/model/graph-view';
import type { LayoutResult } from '../core/layout/layout-graph';
import { EngineCrashedError, engineClient, layoutClient, progressProxy } from '../worker/client';
import type { LoadResult } from '../core/session/api';
import { layoutInputOf } from '../core/view/drawing';
import { ancestorGroups, GROUP_BUDGET, GROUP_THRESHOLD, initialExpansion, nodeScopes, visibleGraph } from '../core/view/scopes';
import { neighbourhoodOfFindings } from './findings-filter';
import { useApp } from './store';
import { runCheck } from './check-actions';
import { useCheck } from './check-store';
import { runQuantize } from './quant-actions';
import { useQuant } from './quant-store';
import { onModelLoaded, useShare } from './share';

/** Float models up to this many nodes are quantized automatically on load. */
export const AUTO_QUANTIZE_MAX_NODES = 3000;

let loadSeq = 0;
/** Loads the user asked for (files, URLs, samples picked); the start-up model never replaces one. */
let userLoads = 0;

/**
 * Ends the current task. Receiving a large result from the worker already costs one task (the
 * message is deserialized); the work on it goes in the next one, so neither grows past ~100 ms.
 */
export function nextTask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** The last model source, so that a restarted engine can open it again. */
let lastSource: { files: File[] } | { url: string; kind: 'url' | 'sample' } | undefined;

/** After the engine died: reopen the last model (unless it died while opening that model). */
export function recoverFromCrash(reason: string): void {
  const wasLoading = !!useApp.getState().loading;
  useApp.setState({ loading: undefined });
  useApp.getState().pushError({
    code: 'engine', fileName: 'the QuantLens engine', message: reason,
    problem: `stopped: ${reason}`,
    hint: wasLoading || !lastSource ? 'It was restarted and your settings are kept; open the model again.' : 'It was restarted with your settings kept, and the model is being opened again.',
  });
  if (!wasLoading && lastSource) {
    if ('files' in lastSource) void openFiles(lastSource.files);
    else void loadUrl(lastSource.url, lastSource.kind);
  }
}

async function runLoad(source: string, origin: { kind: 'url' | 'sample' | 'file'; label: string; url?: string }, start: (progress: ReturnType<typeof progressProxy>) => Promise<LoadResult>) {
  const seq = ++loadSeq;
  useApp.setState({ loading: { source, phase: 'Starting' } });
  // Progress arrives on its own message port, so a report can land after the result; once the
  // result is in, late reports are dropped.
  let finished = false;
  const progress = progressProxy((phase, fraction) => {
    if (seq === loadSeq && !finished) useApp.setState({ loading: { source, phase, fraction } });
  });
  let result: LoadResult;
  try {
    result = await start(progress);
  } catch (err) {
    if (err instanceof EngineCrashedError) { if (seq === loadSeq) useApp.setState({ loading: undefined }); return; }
    result = { ok: false, error: { code: 'malformed', fileName: source, problem: `the engine stopped unexpectedly (${(err as Error).message})`, hint: 'Try again; if it repeats, reload the page.', message: String(err) } };
  }
  finished = true;
  await nextTask();
  if (seq !== loadSeq) return;
  useApp.setState({ loading: undefined });
  if (!result.ok) {
    useApp.getState().pushError(result.error);
    return;
  }
  useApp.setState({ summary: result.summary, origin, parseMs: result.parseMs, selectedId: undefined });
  // Calibration files belong to the previous model's inputs.
  useQuant.setState((q) => ({ outcome: undefined, target: 'model', error: undefined, cancelled: false, settings: { ...q.settings, inputFiles: undefined } }));
  if (useShare.getState().pending) { await showView(result.view, result.expanded); await onModelLoaded(); return; }
  if (useShare.getState().opening) { await showView(result.view, result.expanded); return; }
  void runCheck().then(() => {
    // A float model has nothing to check but op support: quantize it with the panel's settings
    // (8a8w by default) so its findings show at once. Large graphs wait for the button.
    const r = useCheck.getState().result;
    if (r?.encodings === 'float' && result.summary.nodeCount <= AUTO_QUANTIZE_MAX_NODES && useQuant.getState().settings.calibration.samples <= 64) void runQuantize();
  });
  await showView(result.view, result.expanded);
}

export { GROUP_BUDGET, GROUP_THRESHOLD } from '../core/view/scopes';

/** Shows a graph view: grouped by name scope when large, laid out off the main thread. */
export async function showView(view: GraphView, groups?: string[]): Promise<void> {
  const expanded = groups ? new Set(groups) : view.nodes.length > GROUP_THRESHOLD ? initialExpansion(view, GROUP_BUDGET) : undefined;
  useApp.setState({ view, expanded, findingsOnly: false, layout: undefined, visible: undefined, layingOut: true, selectedId: undefined });
  await relayout();
}

let layoutSeq = 0;
/** Layouts per view, keyed by what was drawn (at most 16 per view). */
const layoutCache = new WeakMap<GraphView, Map<string, LayoutResult>>();

/** Recomputes what is drawn (groups, filter) and lays out exactly that. */
export async function relayout(): Promise<void> {
  const mine = ++layoutSeq;
  const { view, expanded, findingsOnly } = useApp.getState();
  if (!view) return;
  let visible = visibleGraph(view, expanded ?? ALL);
  if (findingsOnly) visible = neighbourhoodOfFindings(view, useCheck.getState().marks);
  useApp.setState({ layingOut: true });
  const input = layoutInputOf(visible);
  // Re-opening a group or toggling the filter back returns to a drawing already laid out.
  const key = `${visible.items.map((i) => i.id).join('|')}#${visible.edges.length}`;
  const cache = layoutCache.get(view) ?? new Map<string, LayoutResult>();
  layoutCache.set(view, cache);
  let layout = cache.get(key);
  if (!layout) {
    layout = await layoutClient().layout(input);
    if (cache.size >= 16) cache.delete(cache.keys().next().value!);
    cache.set(key, layout);
  }
  if (mine !== layoutSeq || useApp.getState().view !== view) return;
  useApp.setState({ visible, layout, layingOut: false });
}

/** Marker for "every group expanded": visibleGraph treats a group as open when the set has it. */
const ALL: ReadonlySet<string> = { has: () => true } as unknown as ReadonlySet<string>;

/** Opens or closes a name-scope group. */
export function toggleGroup(id: string): Promise<void> {
  const expanded = new Set(useApp.getState().expanded ?? []);
  if (expanded.has(id)) {
    // Closing a group closes its sub-groups too.
    for (const g of [...expanded]) if (g === id || g.startsWith(`${id}/`)) expanded.delete(g);
  } else expanded.add(id);
  useApp.setState({ expanded });
  return relayout();
}

/** Draws only nodes with findings and their neighbours, or everything again. */
export function setFindingsOnly(on: boolean): Promise<void> {
  useApp.setState({ findingsOnly: on });
  return relayout();
}

/** Selects and centers a node, opening the groups that hide it. */
export async function revealNode(id: string): Promise<void> {
  const { view, visible, expanded, findingsOnly } = useApp.getState();
  const node = view?.nodes.find((n) => n.id === id);
  if (!node) return;
  const hidden = findingsOnly ? !visible?.items.some((i) => i.id === id) : expanded && visible?.shownBy.get(id) !== id;
  if (hidden) {
    const next = new Set(expanded ?? []);
    for (const g of ancestorGroups(nodeScopes(view!).get(id) ?? [])) next.add(g);
    useApp.setState({ expanded: expanded ? next : undefined, findingsOnly: false });
    await relayout();
  }
  useApp.getState().focusNode(id);
}

export function openFiles(files: File[]): Promise<void> {
  userLoads++;
  lastSource = { files };
  const model = files.find((f) => /\.(onnx|ort)$/i.test(f.name)) ?? files[0];
  const label = files.length > 1 && model ? `${model.name} (+${files.length - 1} file${files.length > 2 ? 's' : ''})` : files.map((f) => f.name).join(', ');
  return runLoad(label, { kind: 'file', label }, (p) => engineClient().openFiles(files, p));
}

export function openUrl(url: string, kind: 'url' | 'sample' = 'url'): Promise<void> {
  userLoads++;
  return loadUrl(url, kind);
}

function loadUrl(url: string, kind: 'url' | 'sample'): Promise<void> {
  const absolute = new URL(url, window.location.href).href;
  lastSource = { url: absolute, kind };
  return runLoad(absolute, { kind, url: absolute, label: kind === 'sample' ? decodeURIComponent(absolute.split('/').pop() ?? absolute) : absolute }, (p) => engineClient().openUrl(absolute, p));
}

/**
 * Opens what the page starts with (`?model=` or the bundled sample), unless the user has already
 * opened something: the latest user action wins over start-up work. A user load that starts
 * while this one runs wins too (the later load is the one shown; the engine keeps the later model).
 */
export function openStartupModel(url: string, kind: 'url' | 'sample'): Promise<void> {
  return userLoads > 0 ? Promise.resolve() : loadUrl(url, kind);
}

/** Switches the canvas to a sub-graph (or back to the main graph with ''). */
export async function openGraph(path: string): Promise<void> {
  const got = await engineClient().graphView(path);
  if (got) await showView(got.view, got.expanded);
}
