/**
 * Share links: the payload is built from what the user sees and lives in the URL fragment, so
 * no server ever sees it. Opening a link restores the settings, then either loads the model from
 * its URL and reproduces the run, or shows the sender's snapshot and asks for the same file.
 */
import { create } from 'zustand';
import { decodeShareFragment, encodeShareLink, snapshotOf, compareDroppedModel, ShareLinkError, type SharePayload, type ShareSnapshot } from '../core/report/share-link';
import { DEFAULT_FLOW } from '../../rules/types';
import { isConfigName } from '../core/quant/configs';
import { openUrl } from './actions';
import { loadSocs, runCheck } from './check-actions';
import { useCheck, saveSettings } from './check-store';
import { runQuantize } from './quant-actions';
import { useQuant, DEFAULT_QUANT } from './quant-store';
import { useApp } from './store';
import { useList } from './FindingsList';
import { revealNode } from './actions';

export interface ShareState {
  /** A link opened for a local model: its snapshot, until the user drops the file. */
  pending?: { payload: SharePayload; snapshot?: ShareSnapshot };
  /** Warning after the dropped file differs from the shared one. */
  mismatch?: string;
  /** An error opening a link. */
  error?: string;
  /** The last link made with Copy link. */
  link?: string;
  /** True while a link is being opened (the load it starts must not auto-quantize on its own). */
  opening?: boolean;
}

export const useShare = create<ShareState>()(() => ({}));

/** Builds the link for the current state. */
export async function makeShareLink(): Promise<string> {
  const { summary, origin, selectedId, view } = useApp.getState();
  const { settings, report } = useCheck.getState();
  const quant = useQuant.getState();
  if (!summary || !report) throw new Error('Open a model first.');
  const plan = quant.target === 'plan' && quant.outcome;
  const url = origin && origin.kind !== 'file' && /^https?:/.test(origin.url ?? '') ? origin.url : undefined;
  const selected = selectedId ? view?.nodes.find((n) => n.id === selectedId)?.name || undefined : undefined;
  const payload: SharePayload = {
    v: 2,
    settings: {
      backend: settings.backend, soc: settings.soc, strict: settings.strict, flow: settings.flow ?? DEFAULT_FLOW,
      ...(plan ? {
        config: quant.settings.config,
        overrides: quant.settings.overrides.map((o) => ({ pattern: o.pattern, config: o.config })),
        calibration: { mode: 'random' as const, samples: quant.settings.calibration.samples, seed: quant.settings.calibration.seed },
      } : {}),
    },
    model: { name: summary.fileName, size: summary.byteLength, sha256: report.model.sha256, ...(url ? { url } : {}) },
    view: {
      ...(selected ? { selected } : {}),
      ...listFilters(),
    },
    // A local file never leaves the machine, so the receiver gets the results to read at once.
    ...(url ? {} : { snapshot: snapshotOf(report) }),
  };
  const link = await encodeShareLink(payload, `${window.location.origin}${window.location.pathname}`);
  useShare.setState({ link });
  return link;
}

/** The findings-list filters, when they differ from showing everything. */
function listFilters(): { filters?: { severity?: ('error' | 'warning' | 'info')[]; text?: string } } {
  const l = useList.getState();
  const severity = (['error', 'warning', 'info'] as const).filter((s) => l.severities.has(s));
  const filters = { ...(severity.length < 3 ? { severity } : {}), ...(l.text ? { text: l.text.slice(0, 200) } : {}) };
  return Object.keys(filters).length ? { filters } : {};
}

function applySettings(payload: SharePayload): void {
  const f = payload.view?.filters;
  if (f) useList.setState({ ...(f.severity ? { severities: new Set(f.severity) } : {}), ...(f.text ? { text: f.text } : {}) });
  const s = payload.settings;
  useCheck.setState((c) => ({ settings: { ...c.settings, backend: s.backend, soc: s.soc, strict: s.strict, flow: s.flow } }));
  saveSettings(useCheck.getState().settings);
  if (s.config && isConfigName(s.config)) {
    useQuant.setState({
      settings: {
        ...DEFAULT_QUANT,
        config: s.config,
        overrides: (s.overrides ?? []).map((o) => ({ pattern: o.pattern, config: (o.config === 'float' || isConfigName(o.config) ? o.config : 'float') as never })),
        calibration: { ...DEFAULT_QUANT.calibration, samples: s.calibration?.samples ?? DEFAULT_QUANT.calibration.samples, seed: s.calibration?.seed ?? DEFAULT_QUANT.calibration.seed },
      },
    });
  }
}

/** Selects the shared node, by name, once the graph is there. */
function selectByName(name: string | undefined): void {
  if (!name) return;
  const node = useApp.getState().view?.nodes.find((n) => n.name === name);
  if (node) void revealNode(node.id);
}

/**
 * Opens the link in the page's fragment, if any. Returns true when it took over the initial load.
 */
export async function openShareFromLocation(): Promise<boolean> {
  const hash = window.location.hash;
  if (!hash.includes('s=')) return false;
  let payload: SharePayload;
  try {
    payload = await decodeShareFragment(hash);
  } catch (err) {
    useShare.setState({ error: err instanceof ShareLinkError ? err.message : `This share link could not be read: ${(err as Error).message}` });
    return false;
  }
  applySettings(payload);
  await loadSocs(payload.settings.backend);
  if (payload.model.url) {
    useShare.setState({ opening: true });
    try {
      await openUrl(payload.model.url, 'url');
      if (useApp.getState().summary) await afterModel(payload);
    } finally {
      useShare.setState({ opening: false });
    }
  } else {
    useShare.setState({ pending: { payload, snapshot: payload.snapshot } });
  }
  return true;
}

/** After a shared model loaded: reproduce the run, compare identity, select the node. */
export async function afterModel(payload: SharePayload): Promise<void> {
  useQuant.setState({ target: 'model' });
  await runCheck();
  const hash = useCheck.getState().report?.model.sha256;
  const summary = useApp.getState().summary;
  const cmp = hash && summary ? compareDroppedModel(payload.model, { name: summary.fileName, size: summary.byteLength, sha256: hash }) : { warning: undefined };
  useShare.setState({ mismatch: cmp.warning, pending: undefined });
  if (payload.settings.config) await runQuantize();
  selectByName(payload.view?.selected);
}

/** Called after every successful load: a pending shared snapshot is resolved by the dropped file. */
export async function onModelLoaded(): Promise<void> {
  const pending = useShare.getState().pending;
  if (pending) await afterModel(pending.payload);
}
