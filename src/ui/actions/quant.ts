/** Runs, cancels and exports quantization in the engine worker. */
import { engineClient, progressProxy } from '../../worker/client';
import type { ArtifactKind } from '../../core/session/api';
import { runCheck } from './check';
import { drawnNodeOf } from '../state/app-store';
import { indexFindings, useCheck } from '../state/check-store';
import { useQuant } from '../state/quant-store';
import { setTraceMarks } from '../state/trace-store';

let seq = 0;

export async function runQuantize(): Promise<void> {
  const mine = ++seq;
  const started = performance.now();
  let finished = false;
  useQuant.setState({
    running: { phase: 'Starting', started },
    error: undefined,
    cancelled: false,
    offer: undefined,
    sqnr: undefined,
    trace: undefined,
  });
  setTraceMarks([]);
  const progress = progressProxy((phase, fraction) => {
    if (mine === seq && !finished) useQuant.setState({ running: { phase, fraction, started } });
  });
  // The toolbar's settings, the flow among them: the run validates its plan under the flow shown.
  const { backend, soc, strict, flow } = useCheck.getState().settings;
  let out;
  try {
    // The plan first, its SQNR after: the export's session is most of a large model's run.
    out = await engineClient().quantize(
      { ...useQuant.getState().settings, backend, soc, strict, flow, deferSqnr: true },
      progress,
    );
  } catch (err) {
    finished = true;
    if (mine === seq)
      useQuant.setState({ running: undefined, error: `Quantization stopped: ${(err as Error).message}` });
    return;
  }
  finished = true;
  if (mine !== seq) return;
  if (!out.ok) {
    const cancelled = out.error.code === 'cancelled';
    useQuant.setState({ running: undefined, error: cancelled ? undefined : out.error.message, cancelled });
    return;
  }
  useQuant.setState({
    running: undefined,
    outcome: out,
    target: 'plan',
    sqnr: out.sqnrPending ? { measuring: true } : undefined,
  });
  useCheck.setState({
    result: out.result,
    report: out.report,
    error: undefined,
    marks: indexFindings(out.result.findings, drawnNodeOf),
    offNpu: new Set(out.result.delegation.offNpuIds),
    partitionOf: out.result.delegation.partitionOf,
    tensorEncodings: out.tensorEncodings ?? {},
    labelsComplete: !!out.tensorEncodings,
  });
  if (out.sqnrPending) await measureSqnr(mine);
}

/** Measures the SQNR run `mine` left pending and adds it to the outcome shown, if that is still its. */
async function measureSqnr(mine: number): Promise<void> {
  let answer;
  try {
    answer = await engineClient().measureSqnr();
  } catch (err) {
    answer = { ok: false as const, error: { code: 'failed', message: (err as Error).message } };
  }
  const { outcome } = useQuant.getState();
  if (mine !== seq || !outcome) return;
  if (answer.ok) useQuant.setState({ outcome: { ...outcome, sqnr: answer.sqnr, sqnrPending: false }, sqnr: undefined });
  else if (answer.error.code === 'cancelled') useQuant.setState({ sqnr: undefined });
  else useQuant.setState({ sqnr: { measuring: false, error: answer.error.message } });
}

/**
 * Traces where the error of the outcome shown comes from (engine.traceError), once its SQNR is in
 * (the engine runs one job on the export at a time: a trace would stop the measuring).
 */
export async function traceQuantError(): Promise<void> {
  const mine = seq;
  useQuant.setState({ trace: { running: true } });
  // The trace's own phase is its fraction of the samples; another (its run at a wider config) is said.
  const progress = progressProxy((phase, fraction) => {
    if (mine === seq && useQuant.getState().trace?.running)
      useQuant.setState({ trace: { running: true, fraction, ...(phase !== 'Tracing' ? { phase } : {}) } });
  });
  let answer;
  try {
    answer = await engineClient().traceError(progress);
  } catch (err) {
    answer = { ok: false as const, error: { code: 'failed', message: (err as Error).message } };
  }
  if (mine !== seq) return;
  if (answer.ok) {
    useQuant.setState({ trace: { running: false, trace: answer.trace } });
    setTraceMarks(answer.trace.sources.map((s) => ({ node: drawnNodeOf(s.node), drop: s.drop, db: s.db })));
  } else if (answer.error.code === 'cancelled') useQuant.setState({ trace: undefined });
  else useQuant.setState({ trace: { running: false, error: answer.error.message } });
}

/**
 * A new model replaced the one being quantized (the engine stopped that run when the new one was
 * opened): whatever the old run answers, late or not, is not about this model. (The caller clears
 * the panel's running state with the rest of it.)
 */
export function forgetQuantize(): void {
  seq++;
}

export async function cancelQuantize(): Promise<void> {
  await engineClient().cancelQuantize();
}

/** Switches the banner, list and marks between the model's own encodings and the plan. */
export async function showTarget(target: 'model' | 'plan'): Promise<void> {
  useQuant.setState({ target });
  await runCheck();
}

export async function download(kind: ArtifactKind): Promise<string | undefined> {
  const a = await engineClient().exportArtifact(kind);
  if (!a.ok) return a.error.message;
  saveBytes(a.bytes, a.name, kind === 'qdq' ? 'application/octet-stream' : 'application/json');
  return undefined;
}

export function saveBytes(bytes: Uint8Array | string, name: string, type: string): void {
  const blob = new Blob([bytes as BlobPart], { type });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
