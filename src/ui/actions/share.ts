/**
 * Share links: the payload is built from what the user sees and lives in the URL fragment, so
 * no server ever sees it. Opening a link restores the settings, then either loads the model from
 * its URL and reproduces the run, or shows the sender's snapshot and asks for the same file.
 */
import {
  decodeShareFragment,
  encodeShareLink,
  quantizationForLink,
  snapshotOf,
  ShareLinkError,
  type SharePayload,
} from '../../core/share';
import { DEFAULT_FLOW } from '../../../rules/types';
import { loadSocs, reportWithHash } from './check';
import { openUrl } from './load';
import { afterModel, applySettings } from './share-apply';
import { useApp } from '../state/app-store';
import { useCheck } from '../state/check-store';
import { useList } from '../state/list-store';
import { useQuant } from '../state/quant-store';
import { useShare } from '../state/share-store';

/** Builds the link for the current state. */
export async function makeShareLink(): Promise<string> {
  const { summary, origin, selectedId, view } = useApp.getState();
  const report = await reportWithHash();
  const { settings } = useCheck.getState();
  const quant = useQuant.getState();
  if (!summary || !report) throw new Error('Open a model first.');
  const plan = quant.target === 'plan' && quant.outcome;
  const url = origin && origin.kind !== 'file' && /^https?:/.test(origin.url ?? '') ? origin.url : undefined;
  const selected = selectedId ? view?.nodes.find((n) => n.id === selectedId)?.name || undefined : undefined;
  const payload: SharePayload = {
    v: 5,
    settings: {
      backend: settings.backend,
      soc: settings.soc,
      strict: settings.strict,
      flow: settings.flow ?? DEFAULT_FLOW,
      // Every choice of the run, so that the receiver's replay quantizes as this one did; a plan
      // calibrated on the person's files says so: the receiver cannot have them.
      ...(plan
        ? quantizationForLink(
            {
              ...quant.settings,
              shapes: quant.settings.shapes ?? {},
              fixSizes: !!quant.settings.fixSizes,
              values: quant.settings.values ?? {},
            },
            plan.calibration.source === 'random'
              ? { kind: 'random' }
              : { kind: 'files', samples: plan.calibration.samples },
          )
        : {}),
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

/**
 * A link pasted into the address bar of a tab that already shows QuantLens changes only the
 * fragment: the page does not reload, so the link is opened from here. Returns the unsubscriber.
 */
export function followShareLinks(): () => void {
  const onHash = () => {
    if (/[#&]s=/.test(window.location.hash)) {
      useShare.setState({ error: undefined, mismatch: undefined, replay: undefined });
      void openShareFromLocation();
    }
  };
  window.addEventListener('hashchange', onHash);
  return () => window.removeEventListener('hashchange', onHash);
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
    useShare.setState({
      error:
        err instanceof ShareLinkError ? err.message : `This share link could not be read: ${(err as Error).message}`,
    });
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
