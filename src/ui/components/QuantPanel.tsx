/**
 * The quantizer panel: config, calibration, per-node overrides and dynamic input shapes; run
 * and cancel with progress; SQNR, notes and downloads of the result.
 */
import { useState } from 'react';
import { CONFIG_NAMES, MAX_CALIBRATION_SAMPLES, configArchNote, type ConfigName } from '../../core/quant/configs';
import { fedDtype, guessedDims } from '../../core/quant/inputs';
import type { ObserverKind } from '../../core/quant/calibrate';
import type { FloatNode } from '../../core/quant/quantize';
import { cancelQuantize, download, runQuantize, showTarget, traceQuantError } from '../actions/quant';
import { revealNode } from '../actions/view';
import { setQuantSettings, useQuant } from '../state/quant-store';
import { useApp } from '../state/app-store';
import { useConfigArchNote, useNotFloat } from '../state/check-store';
import {
  calibrationText,
  errorSourceParts,
  errorTraceMethod,
  errorTraceMethodText,
  errorTraceText,
  sqnrCaveat,
  sqnrText,
} from '../../core/report/report-text';

const patch = setQuantSettings;

const field = 'rounded border border-slate-300 px-1 py-0.5 text-xs';

function CalibrationFiles() {
  const files = useQuant((x) => x.settings.inputFiles);
  return (
    <div className="mt-1 flex items-center gap-1 text-xs">
      <span>Data:</span>
      {files?.length ? <span data-testid="calib-files">{files.length} file(s)</span> : <span>random (seeded)</span>}
      <label className="cursor-pointer rounded border border-slate-300 px-1.5 hover:bg-slate-100">
        Files…
        <input
          type="file"
          multiple
          hidden
          accept=".npy,.pb,image/*"
          aria-label="Calibration input files (.npy, .pb or images)"
          onChange={(e) => {
            const f = [...(e.target.files ?? [])];
            e.target.value = '';
            if (f.length) patch({ inputFiles: f });
          }}
        />
      </label>
      {files?.length ? (
        <button
          type="button"
          className="px-1 text-slate-500"
          aria-label="Use random calibration data"
          onClick={() => patch({ inputFiles: undefined })}
        >
          ✕
        </button>
      ) : null}
    </div>
  );
}

/** Most nodes kept in float that the plan lists by name (the rest are counted). */
const FLOAT_NODES_LISTED = 100;

/** The plan's nodes kept in float: how many, and each one's name (it shows the node) and reason. */
function FloatNodes({ nodes }: { nodes: FloatNode[] }) {
  const listed = nodes.slice(0, FLOAT_NODES_LISTED);
  return (
    <details className="text-slate-600" data-testid="quant-float-nodes">
      <summary className="cursor-pointer">
        {nodes.length} node{nodes.length === 1 ? '' : 's'} kept in float
      </summary>
      <ul className="mt-0.5 space-y-0.5 pl-2">
        {listed.map((n) => (
          <li key={n.node} data-testid="quant-float-node" data-node={n.name}>
            <button
              type="button"
              title="Show this node"
              className="break-all text-left font-mono text-blue-700 hover:underline"
              onClick={() => void revealNode(n.node)}
            >
              {n.name}
            </button>
            : {n.reason}
          </li>
        ))}
        {nodes.length > listed.length && <li>and {nodes.length - listed.length} more</li>}
      </ul>
    </details>
  );
}

/** A config in a Config menu: marked, with the reason as its tooltip, when the SoC refuses it. */
function ConfigOption({ config, note }: { config: ConfigName; note: ReturnType<typeof configArchNote> }) {
  return (
    <option value={config} title={note?.text}>
      {note ? `${config} (${note.label})` : config}
    </option>
  );
}

/** What an override raises nodes to by default, finest first. */
const OVERRIDE_DEFAULTS: readonly ConfigName[] = ['16a16w', '16a8w', '8a8w'];

function Overrides() {
  const overrides = useQuant((s) => s.settings.overrides);
  const archNote = useConfigArchNote();
  const [pattern, setPattern] = useState('');
  // Until one is picked: the finest config the SoC takes (16a16w needs V73, so 16a8w before it).
  const [picked, setConfig] = useState<ConfigName | 'float'>();
  const config: ConfigName | 'float' = picked ?? OVERRIDE_DEFAULTS.find((c) => !archNote(c)) ?? '16a16w';
  return (
    <div className="mt-2">
      <div className="text-[11px] font-semibold uppercase tracking-wide text-slate-500">Per-node overrides</div>
      <ul className="mt-1 space-y-0.5" data-testid="overrides">
        {overrides.map((o, i) => (
          <li key={`${o.pattern}:${i}`} className="flex items-center gap-1 text-xs">
            <code className="min-w-0 flex-1 truncate rounded bg-slate-100 px-1" title={o.pattern}>
              {o.pattern}
            </code>
            <span>→ {o.config}</span>
            <button
              type="button"
              aria-label={`Remove override ${o.pattern}`}
              className="px-1 text-slate-500 hover:text-red-700"
              onClick={() => patch({ overrides: overrides.filter((_, k) => k !== i) })}
            >
              ✕
            </button>
          </li>
        ))}
      </ul>
      <form
        className="mt-1 flex items-center gap-1"
        onSubmit={(e) => {
          e.preventDefault();
          if (pattern.trim()) {
            patch({ overrides: [...overrides, { pattern: pattern.trim(), config }] });
            setPattern('');
          }
        }}
      >
        <input
          aria-label="Override pattern (regular expression on node names)"
          placeholder="/layers\..*/attn/.*MatMul"
          className={`${field} min-w-0 flex-1 font-mono`}
          value={pattern}
          onChange={(e) => setPattern(e.target.value)}
        />
        <select
          aria-label="Override config"
          className={`${field} max-w-24`}
          value={config}
          onChange={(e) => setConfig(e.target.value as ConfigName | 'float')}
        >
          {CONFIG_NAMES.map((c) => (
            <ConfigOption key={c} config={c} note={archNote(c)} />
          ))}
          <option value="float">float</option>
        </select>
        <button type="submit" className="rounded border border-slate-300 px-1.5 text-xs hover:bg-slate-100">
          Add
        </button>
      </form>
    </div>
  );
}

function DynamicShapes() {
  const summary = useApp((s) => s.summary);
  const storedShapes = useQuant((s) => s.settings.shapes);
  const fixSizes = useQuant((s) => !!s.settings.fixSizes);
  const inputs = summary?.inputs ?? [];
  const shapes = storedShapes ?? {};
  // A sequence or map input has no shape to give (the run says what it is instead).
  const dynamic = inputs.filter(
    (i) => fedDtype(String(i.dtype)) !== undefined && (!i.shape || i.shape.some((d) => typeof d !== 'number')),
  );
  if (dynamic.length === 0) return null;
  return (
    <div className="mt-2 space-y-1">
      <div className="text-[11px] font-semibold uppercase tracking-wide text-slate-500">Dynamic input shapes</div>
      {dynamic.map((i) => {
        // The dims the quantizer sets when none are given (an image's height and width 224, else 1).
        const dflt = guessedDims(i).dims.join(',');
        return (
          // Keyed by what it shows, so that the next model's field does not keep this one's text.
          <label
            key={`${i.name}|${dflt}|${shapes[i.name]?.join(',') ?? ''}`}
            className="flex items-center gap-1 text-xs"
          >
            <span
              className="min-w-0 flex-1 truncate font-mono"
              title={`${i.name}: [${(i.shape ?? []).map((d) => d ?? '?').join(', ')}]`}
            >
              {i.name}
            </span>
            <input
              aria-label={`Shape of ${i.name}`}
              className={`${field} w-28 font-mono`}
              defaultValue={shapes[i.name]?.join(',') ?? dflt}
              onBlur={(e) => {
                const dims = e.target.value.split(',').map((x) => Number(x.trim()));
                if (dims.every((d) => Number.isInteger(d) && d > 0)) patch({ shapes: { ...shapes, [i.name]: dims } });
              }}
            />
          </label>
        );
      })}
      <label
        className="flex items-center gap-1 text-xs"
        title="ONNX Runtime's QNN EP takes only nodes of static shapes: write these sizes into the QDQ export (as make_dynamic_shape_fixed does), and judge the plan with them"
      >
        <input type="checkbox" checked={fixSizes} onChange={(e) => patch({ fixSizes: e.target.checked })} /> fix these
        sizes in the export
      </label>
    </div>
  );
}

/**
 * One value for every element of an integer input in random samples (a sample rate): random
 * integers from 0 to 9 break a model that reads the input as a rate, a length or an id. Empty is
 * random. Calibration files, when given, carry their own values.
 */
function InputValues() {
  const summary = useApp((s) => s.summary);
  const stored = useQuant((s) => s.settings.values);
  const files = useQuant((s) => !!s.settings.inputFiles?.length);
  const [invalid, setInvalid] = useState<Record<string, string>>({});
  const values = stored ?? {};
  // Integer inputs always (random 0 to 9 breaks a rate or a length); float ones too when the model
  // has several inputs (a recurrent state to start at zero, as --value gives on the command line),
  // not a model's one image or waveform.
  const fed = (summary?.inputs ?? []).filter((i) => fedDtype(String(i.dtype)) !== undefined);
  const listed = fed.filter((i) => /int|bool/.test(String(i.dtype)) || Object.hasOwn(values, i.name) || fed.length > 1);
  if (listed.length === 0) return null;
  const set = (name: string, text: string) => {
    const trimmed = text.trim();
    const rest = Object.fromEntries(Object.entries(values).filter(([k]) => k !== name));
    const value = Number(trimmed);
    const integer = /int|bool/.test(String(listed.find((i) => i.name === name)?.dtype));
    if (trimmed === '') {
      setInvalid(({ [name]: _, ...others }) => others);
      patch({ values: rest });
    } else if (!Number.isFinite(value) || (integer && !Number.isInteger(value))) {
      setInvalid((x) => ({ ...x, [name]: `${integer ? 'an integer' : 'a number'}, or empty for random values` }));
    } else {
      setInvalid(({ [name]: _, ...others }) => others);
      patch({ values: { ...rest, [name]: value } });
    }
  };
  return (
    <div className="mt-2 space-y-1" data-testid="input-values">
      <div
        className="text-[11px] font-semibold uppercase tracking-wide text-slate-500"
        title="Random samples fill integer inputs with 0 to 9, which breaks a model that reads one as a sample rate, a length or an id, and float inputs with random values, where a model may want a state of zeros: give such an input its value"
      >
        Input values{files ? ' (random samples only: your files carry their own)' : ''}
      </div>
      {listed.map((i) => (
        <div key={`${i.name}|${values[i.name] ?? ''}`}>
          <label className="flex items-center gap-1 text-xs">
            <span className="min-w-0 flex-1 truncate font-mono" title={`${i.name}: ${String(i.dtype)}`}>
              {i.name}
            </span>
            <input
              aria-label={`Value of ${i.name}`}
              aria-invalid={!!invalid[i.name] || undefined}
              className={`${field} w-28 font-mono ${invalid[i.name] ? 'border-red-500' : ''}`}
              placeholder="random"
              inputMode="decimal"
              defaultValue={values[i.name] ?? ''}
              onBlur={(e) => set(i.name, e.target.value)}
            />
          </label>
          {invalid[i.name] && (
            <div role="alert" className="text-[11px] text-red-700">
              {i.name}: {invalid[i.name]}
            </div>
          )}
        </div>
      ))}
    </div>
  );
}

/**
 * Where the SQNR is lost: a button that traces the export tensor by tensor (the float model and
 * the export run again on the samples), then the nodes where it falls, each jumping to its node.
 */
function ErrorTraceView() {
  const trace = useQuant((s) => s.trace);
  const outcome = useQuant((s) => s.outcome);
  const measuring = useQuant((s) => !!s.sqnr?.measuring);
  if (!outcome || outcome.sqnr.length === 0) return null;
  if (!trace)
    return (
      <button
        type="button"
        data-testid="trace-error"
        disabled={measuring}
        title="Compares every quantized activation between the float model and the export on the calibration samples, and names the nodes where the SQNR falls, with the cause and what to change"
        className="mt-1 rounded border border-slate-300 bg-white px-1.5 hover:bg-slate-100 disabled:opacity-40"
        onClick={() => void traceQuantError()}
      >
        Where is the error lost?
      </button>
    );
  if (trace.running)
    return (
      <div data-testid="trace-running" className="mt-1 flex items-center gap-2 text-slate-600">
        {trace.phase ? (
          <span>{trace.phase}…</span>
        ) : (
          <span>
            Tracing: every quantized tensor, float against the export, on {outcome.calibration.samples} sample
            {outcome.calibration.samples === 1 ? '' : 's'}
            {trace.fraction !== undefined ? ` (${Math.round(trace.fraction * 100)}%)` : '…'}
          </span>
        )}
        <button
          type="button"
          className="rounded border border-slate-300 bg-white px-1.5 hover:bg-slate-100"
          onClick={() => void cancelQuantize()}
        >
          Cancel
        </button>
      </div>
    );
  if ('error' in trace)
    return (
      <div data-testid="trace-failed" className="mt-1 text-amber-800">
        Error trace not made: {trace.error}
      </div>
    );
  return (
    <div data-testid="error-trace" className="mt-1">
      <div
        className="text-slate-700"
        data-method={errorTraceMethod(trace.trace)}
        title={errorTraceMethodText(trace.trace)}
      >
        {errorTraceText(trace.trace)}
      </div>
      <ul className="mt-0.5 space-y-0.5">
        {trace.trace.sources.map((s) => {
          const { head, why } = errorSourceParts(s);
          return (
            <li key={`${s.node}:${s.tensor}`}>
              <button
                type="button"
                data-testid="error-source"
                data-node={s.name}
                title="Show this node"
                className="w-full rounded border border-amber-200 bg-white px-1.5 py-0.5 text-left hover:bg-amber-50"
                onClick={() => void revealNode(s.node)}
              >
                <div className="break-words font-medium text-slate-900">{head}</div>
                <div className="break-words text-slate-600">{why}</div>
              </button>
            </li>
          );
        })}
      </ul>
    </div>
  );
}

function Results() {
  const outcome = useQuant((s) => s.outcome);
  const sqnr = useQuant((s) => s.sqnr);
  const target = useQuant((s) => s.target);
  const [error, setError] = useState<string>();
  if (!outcome) return null;
  return (
    <div className="mt-2 rounded border border-slate-200 bg-slate-50 p-2 text-xs" data-testid="quant-result">
      <div className="flex items-center gap-2">
        <span className="font-semibold">Plan</span>
        <span>{outcome.quantizedTensors} tensors quantized</span>
      </div>
      {outcome.sqnr.map((s) => {
        const caveat = sqnrCaveat(s);
        return (
          <div key={s.output} data-testid="sqnr">
            SQNR <span className="font-mono">{s.output}</span>: {sqnrText(s.db, s.sizes)}
            {caveat && (
              <div data-testid="sqnr-caveat" className="mb-1 text-amber-800">
                {caveat}
              </div>
            )}
          </div>
        );
      })}
      {sqnr?.measuring && (
        <div data-testid="sqnr-pending" className="text-slate-600">
          SQNR: measuring the export on {outcome.calibration.samples} sample
          {outcome.calibration.samples === 1 ? '' : 's'}…
        </div>
      )}
      {sqnr && !sqnr.measuring && (
        <div data-testid="sqnr-error" className="text-amber-800">
          SQNR not measured: {sqnr.error}
        </div>
      )}
      <ErrorTraceView />
      <div
        data-testid="quant-calibration"
        className={outcome.calibration.source === 'random' ? 'text-amber-800' : 'text-slate-600'}
      >
        calibrated on {calibrationText(outcome.calibration)}
      </div>
      {!!outcome.calibration.reused && (
        <div data-testid="quant-ranges-reused" className="text-slate-600">
          ranges of {outcome.calibration.reused} tensor{outcome.calibration.reused === 1 ? '' : 's'} reused from an
          earlier run on these samples (a range does not depend on the config)
        </div>
      )}
      {outcome.assumed.map((a) => (
        <div key={a} className="text-amber-800">
          assumed: {a}
        </div>
      ))}
      {outcome.fixedSizes.map((a) => (
        <div key={a} className="text-slate-600" data-testid="quant-fixed-size">
          fixed size: {a}
        </div>
      ))}
      {outcome.floatNodes.length > 0 && <FloatNodes nodes={outcome.floatNodes} />}
      {outcome.notes.map((n) => (
        <div key={n} className="text-slate-600">
          note: {n}
        </div>
      ))}
      <div className="mt-1 flex flex-wrap gap-1">
        <button
          type="button"
          className="rounded border border-slate-300 bg-white px-1.5 hover:bg-slate-100"
          onClick={async () => setError(await download('qdq'))}
        >
          QDQ .onnx
        </button>
        <button
          type="button"
          className="rounded border border-slate-300 bg-white px-1.5 hover:bg-slate-100"
          onClick={async () => setError(await download('aimet-1.0.0'))}
        >
          AIMET 1.0.0
        </button>
        <button
          type="button"
          disabled={!!outcome.aimet061}
          title={outcome.aimet061 ?? ''}
          className="rounded border border-slate-300 bg-white px-1.5 hover:bg-slate-100 disabled:opacity-40"
          onClick={async () => setError(await download('aimet-0.6.1'))}
        >
          AIMET 0.6.1
        </button>
      </div>
      {error && (
        <div role="alert" className="text-red-700">
          {error}
        </div>
      )}
      <label className="mt-1 flex items-center gap-1">
        <input
          type="checkbox"
          checked={target === 'plan'}
          onChange={(e) => void showTarget(e.target.checked ? 'plan' : 'model')}
        />
        Show findings of the plan (off: the model's own encodings)
      </label>
    </div>
  );
}

export function QuantPanel() {
  const s = useQuant((x) => x.settings);
  const running = useQuant((x) => x.running);
  const error = useQuant((x) => x.error);
  const offer = useQuant((x) => x.offer);
  const cancelled = useQuant((x) => x.cancelled);
  const hasModel = useApp((x) => !!x.summary);
  const notFloat = useNotFloat();
  const archNote = useConfigArchNote();
  const refused = archNote(s.config);
  return (
    <details className="border-b border-slate-200 px-3 py-2" open aria-label="Quantizer">
      <summary className="cursor-pointer text-xs font-semibold uppercase tracking-wide text-slate-500">
        Quantizer
      </summary>
      <div className="mt-2 grid grid-cols-[auto_1fr] items-center gap-x-2 gap-y-1 text-xs">
        <label htmlFor="q-config">Config</label>
        <select
          id="q-config"
          aria-label="Quant config"
          className={field}
          value={s.config}
          onChange={(e) => patch({ config: e.target.value as ConfigName })}
        >
          {CONFIG_NAMES.map((c) => (
            <ConfigOption key={c} config={c} note={archNote(c)} />
          ))}
        </select>
        {refused && (
          <p className="col-span-2 text-amber-800" data-testid="config-arch-note">
            {refused.text}
          </p>
        )}
        <label htmlFor="q-observer">Observer</label>
        <select
          id="q-observer"
          className={field}
          value={s.calibration.observer}
          onChange={(e) => patch({ calibration: { ...s.calibration, observer: e.target.value as ObserverKind } })}
        >
          <option value="minmax">min/max</option>
          <option value="moving-average">moving-average min/max</option>
          <option value="percentile">percentile 99.99</option>
        </select>
        <label htmlFor="q-samples">Samples</label>
        <input
          id="q-samples"
          aria-label="Calibration samples"
          type="number"
          min={1}
          max={4096}
          className={field}
          value={s.calibration.samples}
          onChange={(e) =>
            patch({
              calibration: {
                ...s.calibration,
                samples: Math.max(1, Math.min(MAX_CALIBRATION_SAMPLES, Number(e.target.value) || 1)),
              },
            })
          }
        />
        <label htmlFor="q-seed">Seed</label>
        <input
          id="q-seed"
          type="number"
          className={field}
          value={s.calibration.seed}
          onChange={(e) => patch({ calibration: { ...s.calibration, seed: Number(e.target.value) || 0 } })}
        />
        {s.config === '16a4w_block' && (
          <>
            <label htmlFor="q-block">Block size</label>
            <input
              id="q-block"
              type="number"
              min={1}
              className={field}
              value={s.blockSize}
              onChange={(e) => patch({ blockSize: Math.max(1, Number(e.target.value) || 32) })}
            />
          </>
        )}
      </div>
      <CalibrationFiles />
      <label className="mt-1 flex items-center gap-1 text-xs">
        <input
          type="checkbox"
          checked={s.perChannelLinear}
          onChange={(e) => patch({ perChannelLinear: e.target.checked })}
        />{' '}
        per-channel linear weights
      </label>
      <label className="flex items-center gap-1 text-xs">
        <input
          type="checkbox"
          checked={!!s.perChannelEmbedding}
          onChange={(e) => patch({ perChannelEmbedding: e.target.checked })}
        />{' '}
        per-channel embedding tables
      </label>
      <label className="flex items-center gap-1 text-xs">
        <input type="checkbox" checked={s.actSymmetric} onChange={(e) => patch({ actSymmetric: e.target.checked })} />{' '}
        symmetric activations
      </label>
      <Overrides />
      <DynamicShapes />
      <InputValues />
      <div className="mt-2 flex items-center gap-2">
        <button
          type="button"
          disabled={!hasModel || !!running || !!notFloat}
          className="rounded bg-indigo-600 px-3 py-1 text-xs font-medium text-white hover:bg-indigo-700 disabled:opacity-50"
          onClick={() => void runQuantize()}
        >
          Quantize
        </button>
        {running && (
          <button
            type="button"
            className="rounded border border-slate-300 px-2 py-1 text-xs hover:bg-slate-100"
            onClick={() => void cancelQuantize()}
          >
            Cancel
          </button>
        )}
      </div>
      {notFloat && (
        <div role="note" data-testid="quant-not-float" className="mt-1 text-xs text-slate-600">
          {notFloat}
        </div>
      )}
      {offer && !running && (
        <div role="status" data-testid="quant-offer" className="mt-1 text-xs text-slate-700">
          {offer}
        </div>
      )}
      {running && (
        <div role="status" data-testid="quant-progress" className="mt-1 text-xs text-slate-700">
          {running.phase}
          {running.fraction !== undefined ? ` ${Math.round(running.fraction * 100)}%` : '…'}
          {running.fraction !== undefined && (
            <div className="mt-0.5 h-1 rounded bg-slate-200">
              <div className="h-1 rounded bg-indigo-600" style={{ width: `${Math.round(running.fraction * 100)}%` }} />
            </div>
          )}
        </div>
      )}
      {cancelled && (
        <div role="status" data-testid="quant-cancelled" className="mt-1 text-xs text-slate-600">
          Quantization cancelled.
        </div>
      )}
      {error && (
        <div role="alert" data-testid="quant-error" className="mt-1 text-xs text-red-700">
          {error}
        </div>
      )}
      <Results />
    </details>
  );
}
