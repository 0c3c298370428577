/**
 * Wording shared by the Markdown and HTML reports, so both say the same thing in the same
 * words: verdict, settings, counts, severity icons, and the distinct sources behind findings.
 * Returns plain text; each report escapes it for its own format.
 */
import { delegationText } from '../check/delegation';
import { archName } from '../check/rules/context';
import type { Severity, Verdict } from '../check/finding';
import type { Outcome } from '../../../rules/types';
import type { CheckReport, CheckReportFinding } from './check-report';
import type { OutputSqnr } from '../quant/sqnr';
import type { ErrorSource, ErrorTrace, WiderRun } from '../quant/error-trace';

/** What a caller may add to a report beyond the {@link CheckReport} itself. */
export interface ReportExtras {
  /** Document title; default `QuantLens check report: <model name>`. */
  title?: string;
  /** When the report was made; default now. Shown as an ISO 8601 UTC time. */
  generatedAt?: Date | string;
  /** SQNR per model output, when the app quantized the model itself and measured it. */
  sqnr?: readonly OutputSqnr[];
  /** What that SQNR (and the plan's ranges) were measured on. */
  calibration?: CalibrationSource;
  /** Where that SQNR is lost, when the person traced it. */
  errorTrace?: ErrorTrace;
  /** Quantization config name (e.g. `8a8w`), when the app quantized the model. */
  config?: string;
  /**
   * What the quantizer said of its run: where its export differs from the model as opened (a
   * Gemm's alpha folded into its weight, a shared bias copied, weight scales raised for an int32
   * bias) and what it left float or assumed. A reviewer of the plan needs them beside its findings.
   */
  notes?: readonly string[];
  /** QuantLens version string, e.g. `0.1.0`. */
  version?: string;
}

/** Severities worst first. */
export const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info'];

/**
 * Severity icons. Colour never carries meaning alone; U+FE0E asks for the text (not emoji)
 * presentation so the icon takes the colour it is given.
 */
export const SEVERITY_ICON: Record<Severity, string> = { error: '✖', warning: '⚠\uFE0E', info: 'ℹ\uFE0E' };

export const VERDICT_ICON: Record<Verdict, string> = { fail: '✖', 'pass-with-warnings': '⚠\uFE0E', pass: '✔' };

export const VERDICT_LABEL: Record<Verdict, string> = {
  fail: 'FAIL',
  'pass-with-warnings': 'PASS WITH WARNINGS',
  pass: 'PASS',
};

/** Rank of a severity, 0 for the worst. */
export const severityRank = (s: Severity): number => SEVERITIES.indexOf(s);

/** The worse of two severities. */
export const worse = (a: Severity, b: Severity): Severity => (severityRank(a) <= severityRank(b) ? a : b);

export function defaultTitle(report: CheckReport): string {
  return `QuantLens check report: ${report.model.name || 'unnamed model'}`;
}

/** e.g. `1 error, 2 warnings, 0 notes`. */
export function countsText(counts: CheckReport['counts']): string {
  const n = (k: number, one: string, many: string) => `${k} ${k === 1 ? one : many}`;
  return [
    n(counts.error, 'error', 'errors'),
    n(counts.warning, 'warning', 'warnings'),
    n(counts.info, 'note', 'notes'),
  ].join(', ');
}

/**
 * What the verdict means for the settings checked, and what the flow would do with the model
 * (the delegation, when the report has it: reports from before it was added do not).
 */
export function verdictSentence(report: CheckReport): string {
  const target = `${report.backend.toUpperCase()} on ${report.soc} (${report.arch})`;
  const d = report.delegation;
  const flow = d ? ` Under the ${flowText(report.flow)}: ${delegationText({ rejected: 0, ...d }, report.flow)}.` : '';
  switch (report.verdict) {
    case 'fail':
      return `The model would not fully delegate to ${target}.${flow}`;
    case 'pass-with-warnings': {
      // Lenient mode turns what stops delegation into warnings; otherwise the warnings are
      // repairs and slower paths, which warn in either mode.
      const lenient =
        !report.strict && report.findings.some((f) => f.outcome === 'rejected' || f.outcome === 'cpu-fallback');
      return lenient
        ? `No error for ${target}, but what stops full delegation was reported as warnings (lenient mode).${flow}`
        : `Nothing stops full delegation to ${target}; the warnings are repairs and slower paths.${flow}`;
    }
    default:
      return `Every checked constraint holds for ${target}.${flow}`;
  }
}

const ENCODINGS: Record<string, string> = {
  qdq: 'QDQ nodes in the model',
  aimet: 'AIMET .encodings file',
  quantizer: 'quantized by QuantLens',
  float: 'none: a float model',
};

/**
 * What the checked model's encodings are. The result's own source (qdq, aimet, quantizer, float),
 * except for a model without Q/DQ that is not float either, as its findings tell: `integer-ops`,
 * quantized with integer ops (ONNX Runtime's dynamic quantization, or the QOperator format), or
 * `compiled`, its quantization inside EPContext binaries. The check reads both as "no Q/DQ nodes",
 * but calling them float models misled (IS-Net from ONNX Runtime's quantize_dynamic: "encodings:
 * none (float model)" above a finding that says it is dynamically quantized).
 */
export function encodingsKind(encodings: string, findings: readonly { rule: string }[]): string {
  if (encodings !== 'float') return encodings;
  if (findings.some((f) => f.rule === 'precompiled-context')) return 'compiled';
  if (findings.some((f) => f.rule === 'not-qdq')) return 'integer-ops';
  return 'float';
}

/** The kinds {@link encodingsKind} tells from the findings, in words (the JSON report says `float`). */
const DERIVED: Record<string, string> = {
  'integer-ops': 'none as QDQ: the model is quantized with integer ops (dynamic or QOperator)',
  compiled: 'inside the compiled contexts (EPContext)',
};

/**
 * e.g. `qdq (QDQ nodes in the model)`; a kind the findings tell ({@link encodingsKind}) in words
 * alone; unknown values are shown as they are.
 */
export function encodingsText(encodings: string, findings: readonly { rule: string }[] = []): string {
  const kind = encodingsKind(encodings, findings);
  const derived = DERIVED[kind];
  if (derived) return derived;
  const label = ENCODINGS[encodings];
  return label ? `${encodings} (${label})` : encodings;
}

const SHORT: Record<string, string> = {
  qdq: 'QDQ',
  aimet: 'AIMET',
  quantizer: 'quantizer plan',
  float: 'none (float model)',
  'integer-ops': 'none (integer ops, not QDQ)',
  compiled: 'inside the compiled contexts',
};

/** The few words the verdict line gives the encodings (the page's banner, the CLI's text). */
export function encodingsShortText(encodings: string, findings: readonly { rule: string }[]): string {
  const kind = encodingsKind(encodings, findings);
  return SHORT[kind] ?? kind.toUpperCase();
}

/** The deployment flow, as the report names it. */
export function flowText(flow: string): string {
  return (
    (
      { qnn: 'QNN converter (qnn)', ort: 'ONNX Runtime QNN EP (ort)', executorch: 'ExecuTorch (executorch)' } as Record<
        string,
        string
      >
    )[flow] ?? flow
  );
}

export function strictText(strict: boolean): string {
  return strict
    ? 'strict: what stops full delegation under the flow is an error'
    : 'lenient: what stops full delegation under the flow is a warning';
}

/** ISO 8601 time of `at` (default now); a string is shown as given. */
export function generatedAtText(at: Date | string | undefined): string {
  if (typeof at === 'string') return at;
  return (at ?? new Date()).toISOString();
}

/** `QuantLens 0.1.0`, or `QuantLens` without a version. */
export function productText(version: string | undefined): string {
  return version ? `QuantLens ${version}` : 'QuantLens';
}

/** SQNR in dB with one decimal; an exact match is infinite. */
export function dbText(db: number): string {
  if (Number.isFinite(db)) return db.toFixed(1);
  if (Number.isNaN(db)) return 'n/a';
  return db > 0 ? '∞' : '−∞';
}

/**
 * SQNR for people, in the app's panel and the command line: the figure in dB, or what an edge
 * case means (an exact match is infinite; both outputs zero on every sample has no ratio, as an
 * untrained torchvision ViT's zero-initialized head gives).
 */
export function sqnrText(
  db: number,
  /** The output's element counts where float and quantized differ (OutputSqnr.sizes). */
  sizes?: { sample: number; float: number; quantized: number },
): string {
  if (sizes)
    return `none: on sample ${sizes.sample + 1} the quantized output holds ${sizes.quantized} values and the float one ${sizes.float}, so they cannot be compared value by value (an output whose size follows from its values, a detector's boxes: quantization changed what passed a threshold)`;
  if (Number.isFinite(db)) return `${dbText(db)} dB`;
  if (db === Infinity) return '∞ dB (the quantized output matches the float one exactly)';
  if (db === -Infinity) return '−∞ dB (the float output is zero, the quantized one is not)';
  return 'none (the output is zero on every sample, float and quantized)';
}

/** Why an op makes the error of its input larger, for the ops that do it most. */
const AMPLIFIES: Record<string, string> = {
  Log: 'a Log turns a small error in a small value into a large one',
  Div: 'dividing by a quantized value magnifies its error where it is small',
  Reciprocal: 'a reciprocal magnifies the error of small values',
  Sqrt: 'a square root magnifies the error of values near zero',
  Pow: 'a power magnifies the error of its input',
  Exp: 'an Exp multiplies the error of large values',
  Softmax: 'a Softmax exponentiates its input, so the error of the largest scores grows',
  Sub: 'the difference of two close values (coordinates and their update, a value and its mean) is small beside the errors of both',
  RoiAlign:
    'its boxes say where it samples, so a box one step off moves every sample (NNAPI and Arm Compute Library keep boxes in 16 bits beside 8-bit features)',
  Gather: 'where its indices follow quantized values (a TopK of scores), it picks other elements',
  GatherElements: 'where its indices follow quantized values, it picks other elements',
  GatherND: 'where its indices follow quantized values, it picks other elements',
};

/**
 * Where the error enters, for people: the node, the SQNR before and after it, what the figures say
 * the loss is (see ErrorSource.cause), and what to change. Shared by the app and the CLI.
 */
export function errorSourceText(s: ErrorSource): string {
  const { head, why } = errorSourceParts(s);
  return `${head}. ${why}`;
}

/** {@link errorSourceText} in two parts: the node and its figures, and the cause with its remedy. */
export function errorSourceParts(s: ErrorSource): { head: string; why: string } {
  const head = `${s.name} (${s.op}): ${dbText(s.inputDb)} dB in, ${dbText(s.db)} dB out (${s.input} → ${s.tensor})`;
  const own = `its output's own rounding keeps ${dbText(s.ownDb)} dB`;
  // A Softmax whose input mostly rounds to zero: a few values far below the scores (an attention
  // mask of -100, as Swin's shifted windows add) set the range, and the scores get a step or two.
  const masked =
    s.op === 'Softmax' && s.inputUnderflow >= 0.25
      ? ' Its range is set by a few values far below the rest: an attention mask of -100 or -1e4 added to the scores leaves them a step or two. Add the mask in float, or make it a value about 10 below the lowest score (a weight of e^-10), which the encoding then holds.'
      : '';
  const feeders =
    s.inputUnderflow >= 0.01
      ? ` ${(100 * s.inputUnderflow).toFixed(s.inputUnderflow < 0.1 ? 1 : 0)}% of ${s.input}'s nonzero values round to zero at its encoding.${masked}`
      : '';
  let why: string;
  if (s.cause === 'rounding')
    why =
      s.bits < 16
        ? `Its output's ${s.bits}-bit encoding accounts for most of it (rounding alone keeps ${dbText(s.ownDb)} dB): give this node 16-bit activations (a per-node override to 16a8w), or calibrate on inputs without rare outliers, which widen the range.`
        : `Its output's ${s.bits}-bit encoding accounts for most of it (rounding alone keeps ${dbText(s.ownDb)} dB): its range is wide for the values it holds (an outlier, or values over many orders of magnitude); keep the node in float (a per-node override to float), or narrow the range.`;
  else if (s.cause === 'weights' && s.weight) {
    // Per-channel weights where the HTP takes them: a Conv's always, a Gemm's as an option AIMET's
    // HTP configs leave off; not a MatMul's, a norm's or a Gather's (per_channel_quantization False).
    const perChannel =
      s.weight.granularity !== 'per-tensor'
        ? ''
        : s.op === 'Conv' || s.op === 'ConvTranspose'
          ? ', or per-channel weights'
          : s.op === 'Gemm'
            ? ', or per-channel linear weights ("per-channel linear weights" in the app, --per-channel-linear)'
            : '';
    const refused = s.wideWeightsRefused;
    why = refused
      ? `Its ${s.weight.bits}-bit ${s.weight.granularity} weight ${s.weight.tensor} accounts for it (${own}). 16-bit weights would narrow it, but 16a16w on ${refused.qnnOp} needs HTP ${archName(refused.minArch)} or newer and ${refused.soc} is ${archName(refused.arch)}: on this SoC keep the node in float (a per-node override to float${refused.floatLeavesNpu ? ', which runs it off the NPU here' : ': FP16 on the HTP, slower'})${perChannel}, or target an SoC with HTP ${archName(refused.minArch)} or newer.`
      : `Its ${s.weight.bits}-bit ${s.weight.granularity} weight ${s.weight.tensor} accounts for it (${own}): give the node wider weights (a per-node override to a config with 16-bit weights, such as 16a16w)${perChannel}.`;
  } else {
    const how = AMPLIFIES[s.op];
    why = `The ${s.op} makes its input's error larger (${own})${how ? `: ${how}` : ''}. Give the nodes that feed it finer encodings (16-bit activations by a per-node override), or keep it in float (an override to float).`;
  }
  return { head, why: `${why}${feeders}` };
}

/** The trace's summary line: how many tensors, and whether any node loses much. */
export function errorTraceText(t: ErrorTrace): string {
  const n = `${t.tensors.length} quantized tensor${t.tensors.length === 1 ? '' : 's'} compared on ${t.samples} sample${t.samples === 1 ? '' : 's'}`;
  if (!t.sources.length)
    return `${n}: no node loses ${t.dropDb} dB or more against its inputs; the error builds up a little at each node.${t.wider ? ` ${widerText(t.wider)}` : ''}`;
  return t.sources.length === 1
    ? `${n}: one node loses ${t.dropDb} dB or more against its inputs.`
    : `${n}: ${t.sources.length} nodes lose ${t.dropDb} dB or more against their inputs, the largest loss first.`;
}

/** A gain from the wider run at which the side it widens is said to lose the SQNR. */
const WIDER_GAIN_DB = 6;

/** The error trace's second run at a config that widens one side (ErrorTrace.wider), and what it shows. */
export function widerText(w: WiderRun): string {
  const [from, to] = w.bits;
  const side = w.widens === 'weights' ? 'weights' : 'activations';
  const other = w.widens === 'weights' ? 'activations' : 'weights';
  const head = `The same plan at ${w.config}, ${to}-bit ${side} for the ${from}-bit ones and the ${other} as they are, keeps ${dbText(w.widerDb)} dB where this one keeps ${dbText(w.db)}`;
  if (w.widerDb - w.db >= WIDER_GAIN_DB)
    return `${head}: the ${from}-bit ${side} lose it, a little at each layer. Take ${w.config}, or a per-node override to ${w.config} on the layers that matter${w.widens === 'weights' ? ', or per-channel weights where the HTP takes them' : ''}.`;
  return `${head}: the ${from}-bit ${side} are not what loses it, so the ${other}' rounding is${w.widens === 'weights' ? '; keep the layers that matter in float (a per-node override)' : ': per-channel weights where the HTP takes them, or wider weights on the layers that matter'}.`;
}

/** How the trace's figures were taken: in one graph, read out, or the first samples one way and the rest the other. */
export function errorTraceMethod(t: ErrorTrace): 'one-graph' | 'read-out' | 'mixed' {
  if (t.inGraph) return 'one-graph';
  return t.samplesInGraph > 0 ? 'mixed' : 'read-out';
}

/** {@link errorTraceMethod} in words, with the runs it took. */
export function errorTraceMethodText(t: ErrorTrace): string {
  const runs = `${t.runs} run${t.runs === 1 ? '' : 's'} of each a sample`;
  switch (errorTraceMethod(t)) {
    case 'one-graph':
      return 'Summed inside one graph holding the float model and the export: one run a sample';
    case 'read-out':
      return `Every activation read out of both models: ${runs}`;
    case 'mixed':
      return `Summed inside one graph holding both models for the first ${t.samplesInGraph} of ${t.samples} samples; that graph could not run the next one (an output whose size follows its values, or a value that is not finite), so the rest were read out of both models: ${runs}`;
  }
}

/** A value in three significant digits, or 1/n for a scale that is one (1/256). */
function numberText(x: number): string {
  const inverse = 1 / x;
  if (x > 0 && Number.isInteger(inverse) && inverse > 1) return `1/${inverse}`;
  return String(Number(x.toPrecision(3)));
}

/**
 * What an SQNR figure cannot tell, when its output's float values are a few steps of its encoding
 * on the samples (OutputSqnr.coarse): undefined otherwise.
 */
export function sqnrCaveat(s: OutputSqnr): string | undefined {
  const parts = [coarseCaveat(s), selectionCaveat(s)].filter((x): x is string => !!x);
  return parts.length ? parts.join(' ') : undefined;
}

/**
 * How far an output's figure may fall below that of the values it selects from before the
 * selection is said to explain it: rounding alone costs an op a dB or two.
 */
export const SELECTION_GAP_DB = 3;

/**
 * For an output that follows a selection made on its values (OutputSqnr.selection), when its
 * figure is well below that of the values selected from, or none: what the figure compares, and
 * the figure before the selection.
 */
export function selectionCaveat(s: OutputSqnr): string | undefined {
  const sel = s.selection;
  if (!sel) return undefined;
  // An exact match (∞) or a figure near the one before the selection: the selection changed nothing.
  if (!Number.isNaN(s.db) && sel.db !== undefined && !(s.db < sel.db - SELECTION_GAP_DB)) return undefined;
  const shown = sel.selections.slice(0, 3).map((x) => `${x.op} "${x.node}"${x.within ? ` in ${x.within}` : ''}`);
  const more = sel.selections.length - shown.length;
  const ops = `${shown.join(', ')}${more > 0 ? `, ${more} more` : ''}`;
  const before =
    sel.db === undefined
      ? 'the values it selects from could not be compared between the two models'
      : `the ${sel.tensors === 1 ? 'tensor' : `${sel.tensors} tensors`} it selects from ${sel.tensors === 1 ? 'keeps' : 'keep'} ${dbText(sel.db)} dB${sel.lowest ? ` (lowest: ${sel.lowest.tensor}, ${dbText(sel.lowest.db)} dB)` : ''}`;
  // Zero on every sample in both models (a detector whose random heads pass no box): nothing was
  // selected to compare, only what it would be selected from.
  if (Number.isNaN(s.db) && !s.sizes)
    return `This output is selected by its values (${ops}). Before the selection, ${before}.`;
  // Without a figure (the sizes differ), there is nothing to say of it.
  const figure = Number.isNaN(s.db) ? '' : ', so the figure compares two selections more than it measures rounding';
  return `This output is selected by its values (${ops}): where quantization moves a value across a threshold or past another, another element is kept or the order changes${figure}. Before the selection, ${before}.`;
}

function coarseCaveat(s: OutputSqnr): string | undefined {
  const c = s.coarse;
  if (!c || s.rms === undefined) return undefined;
  const below = c.steps < 1;
  const steps = below ? `${c.steps.toPrecision(1)} of a step` : `${c.steps.toFixed(1)} steps`;
  const fixed = c.fixedFor ? `, fixed for ${c.fixedFor}` : '';
  const span = s.range ? ` (values in [${numberText(s.range.min)}, ${numberText(s.range.max)}])` : '';
  const effect = below
    ? 'most values round to one code, an error as large as the value'
    : `rounding to that step alone would keep the figure near ${dbText(c.idealDb)} dB`;
  const encoding = c.from ? `the ${c.dtype} encoding of ${c.from}, which it is taken from` : `its ${c.dtype} encoding`;
  return `On these samples the float output's RMS is ${numberText(s.rms)}${span}, ${steps} of ${encoding} (scale ${numberText(c.scale)}${fixed}): ${effect}, so the figure describes the samples more than the model. Calibrate on real inputs to measure it.`;
}

/** What a quantization's ranges and SQNR were measured on (see QuantizeOutcome.calibration). */
export interface CalibrationSource {
  samples: number;
  source: 'random' | 'files' | 'given';
  observer: string;
}

const OBSERVER_TEXT: Record<string, string> = {
  minmax: 'min/max',
  percentile: 'percentile',
  'moving-average': 'moving-average min/max',
};

/**
 * What the ranges and the SQNR were measured on, for people: random samples are said to be made
 * up, since an SQNR on them says little about the person's data.
 */
export function calibrationText(c: CalibrationSource): string {
  const n = `${c.samples} sample${c.samples === 1 ? '' : 's'}`;
  const observer = OBSERVER_TEXT[c.observer] ?? c.observer;
  if (c.source === 'random')
    return `${c.samples} random sample${c.samples === 1 ? '' : 's'} (${observer}): ranges and SQNR follow made-up inputs; calibrate with real ones for figures that hold on your data`;
  return `${n} ${c.source === 'files' ? 'from your calibration files' : 'given with the run'} (${observer})`;
}

export interface SourceSummary {
  /** The source reference without its `[confidence]` suffix. */
  ref: string;
  confidence: string;
  /** Findings citing it. */
  count: number;
  /** Distinct caveats attached to those findings. */
  notes: string[];
}

/** Distinct sources of the findings, in order of first citation. */
export function distinctSources(findings: readonly CheckReportFinding[]): SourceSummary[] {
  const out = new Map<string, SourceSummary>();
  for (const f of findings) {
    const key = `${f.source}\u0000${f.confidence}`;
    let s = out.get(key);
    if (!s) {
      const suffix = ` [${f.confidence}]`;
      const ref = f.source.endsWith(suffix) ? f.source.slice(0, -suffix.length) : f.source;
      s = { ref, confidence: f.confidence, count: 0, notes: [] };
      out.set(key, s);
    }
    s.count++;
    if (f.sourceNote && !s.notes.includes(f.sourceNote)) s.notes.push(f.sourceNote);
  }
  return [...out.values()];
}

/**
 * Findings that share a rule, a severity, an outcome and a fix: one change to make, however many
 * nodes it touches (a per-channel asymmetric export breaks the same rule at every Conv).
 */
export interface RuleSummary {
  rule: string;
  severity: Severity;
  outcome: Outcome;
  fix: string;
  /** Distinct messages, in order of first appearance (they name the op: Conv2d, DepthWiseConv2d). */
  messages: string[];
  /** Indexes of the findings, in report order. */
  findings: number[];
  /** Distinct nodes, in report order. */
  nodes: string[];
  /** For each of `nodes`, the index of its first finding here. */
  firstFindings: number[];
}

/** The findings grouped into {@link RuleSummary}s: worst severity first, then the most nodes. */
export function findingsByRule(findings: readonly CheckReportFinding[]): RuleSummary[] {
  const out = new Map<string, { summary: RuleSummary; messages: Set<string>; nodes: Set<string> }>();
  findings.forEach((f, i) => {
    const key = [f.rule, f.severity, f.outcome, f.fix].join('\u0000');
    let g = out.get(key);
    if (!g) {
      const summary = {
        rule: f.rule,
        severity: f.severity,
        outcome: f.outcome,
        fix: f.fix,
        messages: [],
        findings: [],
        nodes: [],
        firstFindings: [],
      };
      g = { summary, messages: new Set(), nodes: new Set() };
      out.set(key, g);
    }
    g.summary.findings.push(i);
    // Sets beside the lists: a model may break one rule at tens of thousands of nodes.
    if (!g.messages.has(f.message)) {
      g.messages.add(f.message);
      g.summary.messages.push(f.message);
    }
    if (!g.nodes.has(f.node)) {
      g.nodes.add(f.node);
      g.summary.nodes.push(f.node);
      g.summary.firstFindings.push(i);
    }
  });
  return [...out.values()]
    .map((g) => g.summary)
    .sort((a, b) => severityRank(a.severity) - severityRank(b.severity) || b.nodes.length - a.nodes.length);
}

/** "54 nodes", "1 node". */
export const nodeCountText = (n: number): string => `${n} node${n === 1 ? '' : 's'}`;

/** The sentence under the "What to fix" heading of both reports. */
export const RULE_SUMMARY_INTRO =
  'The findings grouped by rule and fix: each row is one change, however many nodes it touches, or says that the chosen flow needs none.';

/**
 * Whether a row's fix asks for a change: the rules word a fix under a flow that takes the nodes as
 * they are (rewrites, fuses or builds them) "Nothing to change…".
 */
export const needsChange = (row: Pick<RuleSummary, 'fix'>): boolean => !row.fix.startsWith('Nothing to change');

/** The count in the reports' "What to fix" heading: the changes, then the rows that need none. */
export function ruleSummaryCount(rows: readonly Pick<RuleSummary, 'fix'>[]): string {
  const changes = rows.filter(needsChange).length;
  const none = rows.length - changes;
  return none ? `${changes}; ${none} with nothing to change under this flow` : String(changes);
}

/** How many nodes and messages a summary row names before "and N more". */
export const SUMMARY_NAMES = 3;

/**
 * Whether the reports show the by-rule summary: when some rule is broken at more than one node
 * (otherwise it would repeat the findings table row for row).
 */
export const showsRuleSummary = (findings: number, groups: number): boolean => groups < findings;
