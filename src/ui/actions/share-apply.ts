/**
 * Applying a share link to the app: its settings, and once its model is open, the run it
 * recorded (check, quantization), the identity comparison and the selected node. Never loads a
 * model itself, so the load path can call it without a circle.
 */
import { compareDroppedModel, replayCalibrationWarning, sharedQuantization, type SharePayload } from '../../core/share';
import { reportWithHash, runCheck } from './check';
import { runQuantize } from './quant';
import { revealNode } from './view';
import { engineClient } from '../../worker/client';
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

/**
 * Selects the shared node, by name, once the graph is there: in the shown graph, else in the
 * model's other graphs (the sender had opened an If's branch), whose graph it opens.
 */
async function selectByName(name: string | undefined): Promise<void> {
  if (!name) return;
  const id = nodeIdByName(name) ?? (await otherGraphNodeByName(name));
  if (id) void revealNode(id);
}

/** The id of the node called `name` in a graph of the model other than the one shown. */
async function otherGraphNodeByName(name: string): Promise<string | undefined> {
  const got = await engineClient()
    .otherGraphNodeNamed(useApp.getState().view?.path ?? '', name)
    .catch(() => undefined);
  return got?.ok ? got.node?.id : undefined;
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
  await selectByName(payload.view?.selected);
}

/** Called after every successful load: a pending shared snapshot is resolved by the dropped file. */
export async function onModelLoaded(): Promise<void> {
  const pending = useShare.getState().pending;
  if (pending) await afterModel(pending.payload);
}
