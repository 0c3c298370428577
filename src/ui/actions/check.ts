/**
 * Runs the validator in the worker whenever the model or the settings change. A newer run
 * supersedes an older one: results of a stale run are dropped.
 */
import { engineClient } from '../../worker/client';
import type { CheckOutcome, CheckSettings } from '../../core/session/api';
import { DEFAULT_FLOW } from '../../../rules/types';
import { indexFindings, saveSettings, useCheck } from '../state/check-store';
import { useQuant } from '../state/quant-store';
import { drawnNodeOf, useApp } from '../state/app-store';
import { relayout } from './view';
import type { CheckReport } from '../../core/report/check-report';

let seq = 0;

export async function runCheck(): Promise<void> {
  const mine = beginCheck();
  const { settings } = useCheck.getState();
  let out;
  try {
    out = await engineClient().check({ ...settings, target: useQuant.getState().target });
  } catch (err) {
    if (mine === seq) useCheck.setState({ running: false });
    void err; // an engine crash is reported once, by the crash handler
    return;
  }
  applyCheckOutcome(out, mine);
}

/** Starts a check: a later one supersedes it. Returns its number for applyCheckOutcome. */
export function beginCheck(): number {
  useCheck.setState({ running: true });
  return ++seq;
}

/** Whether check `mine` is still the latest. */
export function isLatestCheck(mine: number): boolean {
  return mine === seq;
}

/**
 * Shows the outcome of check `mine` unless a later check superseded it. `early`: the outcome of
 * a model still being opened (its drawing is not there yet; draw() re-marks the nodes).
 */
export function applyCheckOutcome(out: CheckOutcome, mine: number, early = false): void {
  if (mine !== seq) return;
  performance.mark('ql:checked');
  if (out.ok) {
    useCheck.setState({
      running: false,
      result: out.result,
      report: out.report,
      packTitle: out.packTitle,
      error: undefined,
      marks: indexFindings(out.result.findings, drawnNodeOf),
      offNpu: new Set(out.result.delegation.offNpuIds),
      partitionOf: out.result.delegation.partitionOf,
      tensorEncodings: out.tensorEncodings ?? {},
      labelsComplete: !!out.tensorEncodings,
    });
    if (early) return;
    if (useApp.getState().findingsOnly) void relayout();
    if (useApp.getState().drawn) hashWhenIdle();
  } else {
    useCheck.setState({
      running: false,
      result: undefined,
      report: undefined,
      error: out.error.message,
      marks: new Map(),
      offNpu: new Set(),
      partitionOf: undefined,
      tensorEncodings: undefined,
    });
  }
}

/**
 * Fetches the encoding labels of these tensors when the last result did not carry them all (a
 * large graph): what the canvas shows and the selected node's ports. Dropped if a newer check or
 * plan has replaced the labels meanwhile.
 */
export async function ensureLabels(tensors: readonly string[]): Promise<void> {
  const { labelsComplete, tensorEncodings } = useCheck.getState();
  if (labelsComplete || !tensorEncodings) return;
  const missing = tensors.filter((t) => t && !(t in tensorEncodings));
  if (missing.length === 0) return;
  const out = await engineClient().tensorLabels(missing, useQuant.getState().target, useCheck.getState().settings.flow);
  const now = useCheck.getState().tensorEncodings;
  if (!out.ok || now !== tensorEncodings) return;
  // Tensors with no encoding are remembered as such, so they are not asked for again.
  const unlabeled = Object.fromEntries(missing.filter((t) => !(t in out.labels)).map((t) => [t, '']));
  useCheck.setState({ tensorEncodings: { ...now, ...unlabeled, ...out.labels } });
}

/** Loads the SoC list of a backend; keeps the chosen SoC when the backend has it. */
export async function loadSocs(backend: CheckSettings['backend']): Promise<void> {
  const info = await engineClient().socs(backend);
  if (!info.ok) {
    useCheck.setState({ error: info.error.message });
    return;
  }
  const { settings } = useCheck.getState();
  const soc = info.socs.some((s) => s.model === settings.soc) ? settings.soc : info.defaultSoc;
  // A flow that cannot deploy to this backend gives way to the default (the menu says why).
  const flow = settings.flow && info.flowsWithout[settings.flow] ? DEFAULT_FLOW : settings.flow;
  useCheck.setState({
    socs: info.socs,
    packTitle: info.title,
    packUnknowns: info.unknowns,
    flowsWithout: info.flowsWithout,
    limits: info.limits,
    settings: { ...settings, backend, soc, flow },
  });
}

export async function updateSettings(patch: Partial<CheckSettings>): Promise<void> {
  const next = { ...useCheck.getState().settings, ...patch };
  useCheck.setState({ settings: next });
  if (patch.backend) await loadSocs(patch.backend);
  saveSettings(useCheck.getState().settings);
  await runCheck();
}

/**
 * Takes settings without checking the open model again: for a model about to be opened, which is
 * checked with them as it opens (a sample that demonstrates a flaw on its own SoC and flow).
 */
export async function presetSettings(patch: Partial<CheckSettings>): Promise<void> {
  const before = useCheck.getState().settings;
  useCheck.setState({ settings: { ...before, ...patch } });
  if (patch.backend && patch.backend !== before.backend) await loadSocs(patch.backend);
  saveSettings(useCheck.getState().settings);
}

export async function loadConstraintPack(file: File | undefined): Promise<string | undefined> {
  const out = await engineClient().setConstraintPack(file ? await file.text() : undefined, file?.name ?? '');
  if (!out.ok) return out.error.message;
  useCheck.setState({ userPack: file ? out.name : undefined });
  await loadSocs(useCheck.getState().settings.backend);
  await runCheck();
  return undefined;
}

/**
 * The current report with the model file's hash in it. The engine hashes a file only when asked
 * (hashing beside the first drawing slowed it by a third), so a fresh report may carry an empty
 * hash: this asks for it and keeps it in the report. Share links, exports and the comparison of a
 * dropped file with a shared one go through here.
 */
export async function reportWithHash(): Promise<CheckReport | undefined> {
  for (;;) {
    const report = useCheck.getState().report;
    if (!report || report.model.sha256) return report;
    const summary = useApp.getState().summary;
    let out;
    try {
      out = await engineClient().modelHash();
    } catch {
      return useCheck.getState().report; // an engine crash is reported once, by the crash handler
    }
    // Another model opened meanwhile: ask again for that one.
    if (useApp.getState().summary !== summary) continue;
    const now = useCheck.getState().report;
    if (!out.ok || !now) return now;
    if (now.model.sha256) return now;
    const patched = { ...now, model: { ...now.model, sha256: out.sha256 } };
    useCheck.setState({ report: patched });
    return patched;
  }
}

/** Fetches the hash once the page is idle (after the drawing), so that it is there before it is needed. */
export function hashWhenIdle(): void {
  setTimeout(() => {
    if (useCheck.getState().report?.model.sha256 === '') void reportWithHash();
  }, 0);
}
