/**
 * What happens when a model arrives, in one place: the quantizer state of the old model is
 * cleared; a share link waiting for this model is applied; otherwise the model is checked, and a
 * small float model is quantized at once so its findings show. Then the graph is drawn.
 */
import type { LoadResult } from '../../core/session/api';
import { useCheck } from '../state/check-store';
import { useQuant } from '../state/quant-store';
import { useShare } from '../state/share-store';
import { setTraceMarks } from '../state/trace-store';
import { runCheck } from './check';
import { forgetQuantize, runQuantize } from './quant';
import { onModelLoaded } from './share-apply';
import { showView } from './view';
import { seedScopes } from '../../core/view/scopes';
import { encodingsKind } from '../../core/report/report-text';
import { useApp } from '../state/app-store';

/**
 * Resolves once the browser has painted the frame that follows the current task's changes, or
 * after `limit` ms if no frame comes first (a hidden tab paints none).
 */
export function painted(limit = 200): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, limit);
    if (typeof requestAnimationFrame !== 'function') return;
    requestAnimationFrame(() =>
      setTimeout(() => {
        clearTimeout(timer);
        resolve();
      }, 0),
    );
  });
}

/**
 * Float models within both limits are quantized on load. Calibration runs in the engine worker,
 * after the drawing and the check, but it shares the machine's cores with them: past these sizes
 * (calibration of a 10k-node decoder: ~3 s of sessions and ~50 ms per sample here) a run the person
 * did not ask for would slow what they did ask for, so the panel offers it instead.
 */
export const AUTO_QUANTIZE_MAX_NODES = 3000;
export const AUTO_QUANTIZE_MAX_BYTES = 64 * 2 ** 20;

/**
 * `checked`: the engine checked the model while opening it, with the current settings; a promise:
 * that verdict is on its way (settled once it is shown).
 */
export async function afterLoad(
  result: Extract<LoadResult, { ok: true }>,
  checked: boolean | Promise<void> = false,
  onShown?: () => void,
): Promise<void> {
  // A thin view grouped by structure comes with its scopes (the grouping needs ports it lacks).
  if (result.scopes) seedScopes(result.view, result.scopes);
  // A quantization of the previous model is over (the engine stopped it): its answer is not shown.
  forgetQuantize();
  setTraceMarks([]);
  // Calibration files, input shapes and values belong to the previous model's inputs; the ones a
  // share link being opened recorded belong to this one (its replay runs with them).
  const { pending, opening } = useShare.getState();
  useQuant.setState((q) => ({
    running: undefined,
    outcome: undefined,
    trace: undefined,
    target: 'model',
    error: undefined,
    cancelled: false,
    offer: undefined,
    settings: { ...q.settings, inputFiles: undefined, ...(pending || opening ? {} : { shapes: {}, values: {} }) },
  }));
  if (useShare.getState().pending) {
    await showView(result.view, result.expanded, result.fold, result.folded, result.overview);
    onShown?.();
    await onModelLoaded();
    return;
  }
  if (useShare.getState().opening) {
    await showView(result.view, result.expanded, result.fold, result.folded, result.overview);
    onShown?.();
    return;
  }
  const verdict = checked === true ? Promise.resolve() : checked === false ? runCheck() : checked;
  // The drawing first: a quantization started on load would compete with it for the machine.
  await showView(result.view, result.expanded, result.fold, result.folded, result.overview);
  onShown?.();
  await verdict;
  // A float model has nothing to check but op support: quantize it with the panel's settings
  // (8a8w by default) so its findings show at once. Large graphs wait for the button.
  // A dynamically quantized model is not a float model to quantize again, nor is a compiled one:
  // their findings say what to do.
  const r = useCheck.getState().result;
  if (!r || encodingsKind(r.encodings, r.findings) !== 'float') return;
  const { nodeCount } = result.summary;
  // Weights in external-data files are read in for the run: they count as much as inline ones.
  const byteLength = result.summary.byteLength + result.summary.externalBytes;
  const samples = useQuant.getState().settings.calibration.samples;
  if (nodeCount <= AUTO_QUANTIZE_MAX_NODES && byteLength <= AUTO_QUANTIZE_MAX_BYTES && samples <= 64) {
    // Not before the drawing is on screen: the run's start (its panel, its progress, the message
    // to the engine) would otherwise render in the same task as the drawing, ahead of its paint.
    await painted();
    if (useApp.getState().summary !== result.summary) return;
    void runQuantize();
    return;
  }
  const size =
    nodeCount > AUTO_QUANTIZE_MAX_NODES
      ? `${nodeCount.toLocaleString('en-US')} nodes (quantized on load up to ${AUTO_QUANTIZE_MAX_NODES.toLocaleString('en-US')})`
      : byteLength > AUTO_QUANTIZE_MAX_BYTES
        ? `${Math.round(byteLength / 2 ** 20)} MiB (quantized on load up to ${AUTO_QUANTIZE_MAX_BYTES / 2 ** 20} MiB)`
        : `${samples} calibration samples (on load up to 64)`;
  useQuant.setState({
    offer: `This float model was not quantized on load: it has ${size}, and a run would compete with the drawing for the machine. Press Quantize to run it.`,
  });
}
