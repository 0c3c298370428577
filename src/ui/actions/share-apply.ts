/**
 * Applying a share link to the app: its settings, and once its model is open, the run it
 * recorded (check, quantization), the identity comparison and the selected node. Never loads a
 * model itself, so the load path can call it without a circle.
 */
import { compareDroppedModel, replayCalibrationWarning, sharedQuantization, type SharePayload } from '../../core/share';
import { reportWithHash, runCheck } from './check';
import { runQuantize } from './quant';
import { revealNode } from './view';
import { nodeIdByName, useApp } from '../state/app-store';
import { saveSettings, useCheck } from '../state/check-store';
import { setList } from '../state/list-store';
import { DEFAULT_QUANT, useQuant } from '../state/quant-store';
import { useShare } from '../state/share-store';

export function applySettings(payload: SharePayload): void {
  const f = payload.view?.filters;
  if (f) setList({ ...(f.severity ? { severities: new Set(f.severity) } : {}), ...(f.text ? { text: f.text } : {}) });
  const s = payload.settings;
  useCheck.setState((c) => ({
    settings: { ...c.settings, backend: s.backend, soc: s.soc, strict: s.strict, flow: s.flow },
  }));
  saveSettings(useCheck.getState().settings);
  const run = sharedQuantization(s);
  if (run) useQuant.setState({ settings: { ...DEFAULT_QUANT, ...run } });
}

/** Selects the shared node, by name, once the graph is there. */
function selectByName(name: string | undefined): void {
  if (!name) return;
  const id = nodeIdByName(name);
  if (id) void revealNode(id);
}

/** After a shared model loaded: reproduce the run, compare identity, select the node. */
export async function afterModel(payload: SharePayload): Promise<void> {
  useQuant.setState({ target: 'model' });
  await runCheck();
  const hash = (await reportWithHash())?.model.sha256;
  const summary = useApp.getState().summary;
  const cmp =
    hash && summary
      ? compareDroppedModel(payload.model, { name: summary.fileName, size: summary.byteLength, sha256: hash })
      : { warning: undefined };
  useShare.setState({
    mismatch: cmp.warning,
    replay: payload.settings.config ? replayCalibrationWarning(payload.settings.calibration) : undefined,
    pending: undefined,
  });
  if (payload.settings.config) await runQuantize();
  selectByName(payload.view?.selected);
}

/** Called after every successful load: a pending shared snapshot is resolved by the dropped file. */
export async function onModelLoaded(): Promise<void> {
  const pending = useShare.getState().pending;
  if (pending) await afterModel(pending.payload);
}
