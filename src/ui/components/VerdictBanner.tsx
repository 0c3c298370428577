/** The verdict: pass / pass with warnings / fail, with counts, SoC and arch, backend and mode. */
import { delegationText } from '../../core/check/delegation';
import { encodingsKind, encodingsShortText } from '../../core/report/report-text';
import { partitionColour } from './OpNode';
import { FLOW_LABEL } from '../format';
import { useCheck } from '../state/check-store';
import { useApp } from '../state/app-store';
import { updateSettings } from '../actions/check';

/**
 * ONNX Runtime's quantizer names itself as the producer: its models are most often deployed
 * through ONNX Runtime's QNN EP, where several outcomes differ from the QNN converter's (a uint8
 * bias runs slower there; the converter rejects it).
 */
const ORT_QUANTIZER = /^onnx\.quantize\b/;

const STYLE = {
  pass: 'bg-emerald-50 text-emerald-900 border-emerald-300',
  'pass-with-warnings': 'bg-amber-50 text-amber-900 border-amber-300',
  fail: 'bg-red-50 text-red-900 border-red-300',
} as const;
const LABEL = { pass: '✔ PASS', 'pass-with-warnings': '⚠ PASS WITH WARNINGS', fail: '✖ FAIL' } as const;
const NEUTRAL = 'bg-slate-100 text-slate-800 border-slate-300';

export function VerdictBanner() {
  const result = useCheck((s) => s.result);
  const reportModel = useCheck((s) => s.report?.model.name);
  const error = useCheck((s) => s.error);
  const running = useCheck((s) => s.running);
  const producer = useApp((s) => s.summary?.producer);
  const ortUnavailable = useCheck((s) => !!s.flowsWithout.ort);
  if (error)
    return (
      <div
        role="alert"
        className="border-b border-red-300 bg-red-50 px-3 py-1.5 text-sm text-red-900"
        data-testid="check-error"
      >
        {error}
      </div>
    );
  if (!result) {
    if (!running) return null;
    // The banner's line is held while the first verdict is on its way: the drawing is often on
    // screen before it, and a banner appearing above the canvas then moved every node down under
    // the pointer (and refitted the drawing to the shorter canvas).
    return (
      <div
        role="status"
        className={`border-b px-3 py-1.5 text-sm ${NEUTRAL}`}
        data-testid="verdict-pending"
        aria-live="polite"
      >
        <span className="opacity-80">Checking the model against the backend's rules…</span>
      </div>
    );
  }
  const c = result.counts;
  // A float model that passes has had only its op support checked: not "ready for the NPU". A
  // compiled model, or one quantized with integer ops, has no Q/DQ either, but is no float model.
  const neutral = encodingsKind(result.encodings, result.findings) === 'float' && result.verdict !== 'fail';
  return (
    <div
      className={`flex flex-wrap items-center gap-x-4 gap-y-1 border-b px-3 py-1.5 text-sm ${neutral ? NEUTRAL : STYLE[result.verdict]}`}
      data-testid="verdict"
      data-verdict={result.verdict}
      data-model={reportModel}
      aria-live="polite"
    >
      <span className="font-bold tracking-wide" data-testid="verdict-label">
        {neutral ? '○ FLOAT MODEL: op support checked, quantization not' : LABEL[result.verdict]}
      </span>
      <span data-testid="verdict-counts">
        {c.error} error{c.error === 1 ? '' : 's'} · {c.warning} warning{c.warning === 1 ? '' : 's'} · {c.info} note
        {c.info === 1 ? '' : 's'}
      </span>
      <span>
        {result.soc} ({result.arch}) · {result.backend.toUpperCase()} · {FLOW_LABEL[result.flow]} ·{' '}
        {result.strict ? 'strict' : 'lenient'}
      </span>
      <span className="text-xs opacity-80" data-testid="verdict-encodings">
        encodings: {encodingsShortText(result.encodings, result.findings)} · {result.nodesChecked} nodes checked
      </span>
      <span
        className="text-xs"
        data-testid="delegation"
        title="Predicted under the chosen flow: nodes with a finding whose outcome is CPU fallback are off the NPU and the rest form partitions, connected groups the NPU runs. A rejected node fails the whole conversion: then nothing runs on the NPU."
      >
        {delegationText(result.delegation, result.flow)}
      </span>
      {result.delegation.partitionOf && <PartitionLegend partitionOf={result.delegation.partitionOf} />}
      {producer && ORT_QUANTIZER.test(producer) && result.flow !== 'ort' && !ortUnavailable && (
        <span className="text-xs" data-testid="flow-hint">
          Written by ONNX Runtime&apos;s quantizer ({producer}).{' '}
          <button
            type="button"
            className="underline"
            onClick={() => void updateSettings({ flow: 'ort' })}
            title="Judge the same model for ONNX Runtime's QNN EP, the flow most models from its quantizer are deployed through. The Flow menu switches back."
          >
            Judge it for {FLOW_LABEL.ort}
          </button>
        </span>
      )}
      {running && <span className="text-xs opacity-70">re-checking…</span>}
    </div>
  );
}

/** The outline colour of each NPU partition on the graph, with its size. */
function PartitionLegend({ partitionOf }: { partitionOf: Readonly<Record<string, number>> }) {
  const sizes = new Map<number, number>();
  for (const k of Object.values(partitionOf)) sizes.set(k, (sizes.get(k) ?? 0) + 1);
  const shown = [...sizes].sort((a, b) => a[0] - b[0]).slice(0, 6);
  return (
    <span className="flex items-center gap-2 text-xs" data-testid="partition-legend" aria-label="NPU partitions">
      {shown.map(([k, n]) => (
        <span key={k} className="flex items-center gap-1">
          <span
            aria-hidden="true"
            className="inline-block h-2.5 w-2.5 rounded-full"
            style={{ background: partitionColour(k) }}
          />
          partition {k}: {n} node{n === 1 ? '' : 's'}
        </span>
      ))}
      {sizes.size > shown.length && <span>+{sizes.size - shown.length} more</span>}
    </span>
  );
}
