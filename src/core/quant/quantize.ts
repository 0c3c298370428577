/**
 * The quantizer, end to end: annotate by the backend's rules, calibrate with onnxruntime-web,
 * compute encodings, validate the plan for the chosen SoC, export QDQ ONNX and AIMET encodings,
 * and measure SQNR per output. Runs the same in the worker and in Node.
 */
import { DEFAULT_FLOW, type Flow, type RulePack, type SocInfo } from '../../../rules/types';
import { DATA_MOVEMENT } from '../qgraph/from-qdq';
import { qgraphFromTensorEncodings } from '../qgraph/from-aimet';
import { findTarget, INTEGER_OPS, validate, type ValidationResult } from '../check/validate';
import { mapOp } from '../check/map-op';
import { floatLeavesNpu } from '../check/rules/context';
import type { QGraph } from '../qgraph/qgraph';
import type { Model } from '../model/types';
import {
  CalibrationCancelled,
  calibrate,
  checkpoint,
  type ObserverKind,
  type Range,
  type SessionFactory,
} from './calibrate';
import { CalibrationMemo, samplesDigest, type MemoEntry } from './calibration-memo';
import { computeEncodings, type Encodings } from './compute';
import { CONFIGS, refusingGate, type ConfigName, type QuantOptions } from './configs';
import { AimetEncodingsError, writeAimetEncodings } from '../formats/aimet';
import type { QuantEncoding } from '../encoding/encoding';
import { exportQdq, type ExportResult } from './export-qdq';
import { sampleDimSizes, type CalibrationSample } from './expose';
import { annotate, observedTensors, type Override, type Plan } from './plan';
import { outputNumbers, outputSqnr, selectionSqnr, tensorSums, type OutputSqnr, type TensorSums } from './sqnr';
import { selectionSources } from './selection';
import { RuntimeStoppedError } from './runtime';
import { traceError, type ErrorTrace, type TraceOptions, type WiderRun } from './error-trace';
import { foldControlFlow, type ControlFlowFold } from './fold-control-flow';
import { foldGemmScalars, gemmFoldNotes } from './fold-gemm-scalars';
import { readOnnx } from '../model/read-onnx';
import { SentenceError } from '../model/errors';
import { isEpContext } from '../model/external-data';
import { fixInputSizes, sizesFromSamples } from './fix-sizes';
import { onnxOpset } from '../model/opset';
import { declaredTypes } from '../model/declared-types';
import { untieConstants, type Untied } from './untie-constants';

export interface QuantizeRequest {
  model: Model;
  bytes: Uint8Array;
  pack: RulePack;
  soc: string;
  strict: boolean;
  flow?: Flow;
  options: QuantOptions;
  overrides?: Override[];
  samples: CalibrationSample[];
  observer?: ObserverKind;
  percentile?: number;
  createSession: SessionFactory;
  signal?: AbortSignal;
  onProgress?: (phase: string, fraction: number | undefined) => void;
  /** Skip the SQNR runs (two more inference passes). */
  skipSqnr?: boolean;
  /**
   * Leave the SQNR for later: the result comes without it and with {@link QuantizeResult.measureSqnr},
   * so the plan, its findings and its exports can be shown while the export's session is created
   * (most of a large model's quantization: 14.5 of 22 s on a 10k-node decoder).
   */
  deferSqnr?: boolean;
  /** Write the inputs' dynamic dimensions as the samples' sizes (fix-sizes.ts) before anything else. */
  fixSizes?: boolean;
  /**
   * Ranges kept from earlier runs on the same bytes (the same object), samples and observer: only
   * the observed tensors it lacks are measured, and what is measured is added to it.
   */
  memo?: CalibrationMemo;
}

/** A node the plan keeps in float: its id in the model as opened, its name, and why. */
export interface FloatNode {
  node: string;
  name: string;
  reason: string;
}

export interface QuantizeResult {
  plan: Plan;
  /** The plan as the validator sees it (re-checkable for other SoCs without recalibrating). */
  graph: QGraph;
  encodings: Encodings;
  validation: ValidationResult;
  qdq: ExportResult;
  /** AIMET 1.0.0 encodings text. */
  aimet: string;
  /** AIMET 0.6.1 encodings text, or why the format cannot express this plan. */
  aimet061: { ok: true; text: string } | { ok: false; reason: string };
  sqnr: OutputSqnr[];
  /**
   * With `deferSqnr`: measures the SQNR of the export on the same samples, against the float
   * outputs calibration kept, as the run would have (once; `signal` stops it between samples).
   */
  measureSqnr?: (signal?: AbortSignal) => Promise<OutputSqnr[]>;
  /**
   * Where the export's error comes from (error-trace.ts): the float model and the export run once
   * more on each sample, every quantized activation compared, read out of both or (where that takes
   * several runs a sample) summed inside one graph holding both. On request only.
   */
  traceError: (how?: TraceOptions) => Promise<ErrorTrace>;
  /** The plan's nodes that stay float, each with its id in the model as opened and why. */
  floatNodes: FloatNode[];
  notes: string[];
  /** Inputs whose dynamic dimensions the export has at the samples' sizes (fixSizes), as `name: before -> after`. */
  fixedSizes: string[];
  /** Observed tensors whose ranges came from {@link QuantizeRequest.memo}, of `observed` in all. */
  calibration: { reused: number; observed: number };
  timings: Record<string, number>;
}

function aimetInput(enc: Encodings) {
  const activations = new Map<string, QuantEncoding>();
  const params = new Map<string, QuantEncoding>();
  for (const [t, e] of enc.tensors)
    (enc.constants.has(t) && e.origin !== 'quantizer (shared)' ? params : activations).set(t, e);
  return { activations, params };
}

/**
 * An output whose RMS is at most this many steps of its encoding gets an SQNR caveat: rounding
 * alone keeps its figure below about 23 dB (10·log10(12 · 4²)), where a calibrated 8-bit output
 * reaches 40 dB or more.
 */
const COARSE_STEPS = 4;

/**
 * How far above the figure rounding at an upstream encoding alone would give an output's SQNR may
 * be for that rounding to explain it (a factor of two in the error's amplitude).
 */
const EXPLAINED_DB = 6;

/**
 * Ops whose output holds its first input's values, some of them, or their means: an output taken
 * from a tensor through them is no finer than that tensor's encoding.
 */
const KEEPS_VALUES = new Set([
  ...DATA_MOVEMENT,
  'Slice',
  'Gather',
  'ReduceMean',
  'ReduceMax',
  'ReduceMin',
  'AveragePool',
  'GlobalAveragePool',
  'MaxPool',
  'GlobalMaxPool',
]);

/**
 * The SQNR figures with, for each output whose float RMS on the samples is {@link COARSE_STEPS}
 * steps or less of a per-tensor encoding it passes through, those steps and the figure rounding
 * alone would give (and the op when the plan fixed that encoding, as for a Sigmoid): such a figure
 * says more about the samples than about the model. The encoding is the output's own, or else a
 * fixed one of a tensor the output is taken from through ops that keep or average its values,
 * where the figure is no more than {@link EXPLAINED_DB} above what that rounding would give.
 */
function withSteps(list: OutputSqnr[], encodings: Encodings, plan: Plan, model: Model): OutputSqnr[] {
  const producer = new Map<string, { op: string; input?: string }>();
  for (const n of model.graph.nodes)
    for (const o of n.outputs) if (o) producer.set(o, { op: n.opType, input: n.inputs[0] });
  const perTensorScale = (tensor: string) => {
    const enc = encodings.tensors.get(tensor);
    const scale = enc?.scale.length === 1 ? enc.scale[0]! : undefined;
    return enc && scale && scale > 0 ? { enc, scale } : undefined;
  };
  /** The coarse figure of `tensor`'s encoding for an output of this RMS; `upstream`: not the output's own. */
  const coarse = (rms: number, tensor: string, upstream = false) => {
    const own = perTensorScale(tensor);
    if (!own) return undefined;
    const steps = rms / own.scale;
    if (!(steps <= COARSE_STEPS)) return undefined;
    const fixed = plan.tensors.get(tensor)?.kind === 'fixed';
    if (upstream && !fixed) return undefined;
    const fixedFor = fixed ? producer.get(tensor)?.op : undefined;
    return {
      scale: own.scale,
      dtype: own.enc.dtype,
      steps,
      idealDb: 10 * Math.log10(12 * steps * steps),
      ...(fixedFor ? { fixedFor } : {}),
      ...(upstream ? { from: tensor } : {}),
    };
  };
  return list.map((s) => {
    if (s.rms === undefined) return s;
    let found = coarse(s.rms, s.output);
    // Up through ops that keep or average the values, to the nearest fixed encoding.
    for (
      let at = producer.get(s.output), hops = 0;
      !found && at && KEEPS_VALUES.has(at.op) && at.input && hops < 8;
      hops++
    ) {
      const upstream: string = at.input;
      if (plan.tensors.get(upstream)?.kind === 'fixed') {
        found = coarse(s.rms, upstream, true);
        // An average of many such values can win the precision back where they vary about the
        // steps (Silero's ReduceMean over its scores: 2.2 dB at the Sigmoid, 29.6 at the output on
        // audio-like samples): only a figure that rounding there explains gets the caveat.
        if (found && !(s.db <= found.idealDb + EXPLAINED_DB)) found = undefined;
        break;
      }
      at = producer.get(upstream);
    }
    return found ? { ...s, coarse: found } : s;
  });
}

/** Most bytes of float outputs kept from calibration for the SQNR; past it, the float model runs again. */
const SQNR_REFERENCE_MAX_BYTES = 256 * 2 ** 20;

/** The first tensor the plan quantizes that is float16 (an input, output, weight or typed intermediate), if any. */
function float16Quantized(model: Model, plan: Plan): string | undefined {
  const types = declaredTypes(model.graph);
  for (const name of plan.tensors.keys()) if (types.get(name) === 'float16') return name;
  return undefined;
}

export async function quantize(req: QuantizeRequest): Promise<QuantizeResult> {
  const t0 = performance.now();
  const timings: Record<string, number> = {};
  const lap = (name: string, since: number) => {
    timings[name] = performance.now() - since;
    return performance.now();
  };
  // A compiled model's graph is inside its context binaries, which no runtime here can run.
  const contexts = req.model.graph.nodes.filter(isEpContext);
  if (contexts.length > 0)
    throw new SentenceError(
      'compiled-model',
      `The model is compiled: ${contexts.length === 1 ? 'its EPContext node holds' : `its ${contexts.length} EPContext nodes hold`} a context binary that only the execution provider which wrote it can run, so it cannot be calibrated or quantized here. Quantize the model it was compiled from, then compile that.`,
    );
  // A quantized model's ops are not float ops to quantize: the run would quantize around its Q/DQ
  // (its exported nodes clashed with the model's own names, or its biases stayed float).
  const quantOps = new Map<string, number>();
  for (const n of req.model.graph.nodes)
    if (n.opType === 'QuantizeLinear' || n.opType === 'DequantizeLinear' || INTEGER_OPS.has(n.opType))
      quantOps.set(n.opType, (quantOps.get(n.opType) ?? 0) + 1);
  if (quantOps.size > 0)
    throw new SentenceError(
      'quantized-model',
      `The model is quantized already (${[...quantOps].map(([op, k]) => `${k} ${op}`).join(', ')}): the quantizer starts from a float model. The check judges the model's own encodings as they are; to quantize it another way, quantize the float model it was made from.`,
    );
  // A SoC or a flow the backend does not have is said now, not after calibration.
  const soc = findTarget(req.pack, req.soc, req.flow ?? DEFAULT_FLOW);
  // Fixed sizes first (when asked): the whole run, and so the export and its validation, see the
  // sizes the samples have.
  const sized = req.fixSizes ? fixInputSizes(req.bytes, sizesFromSamples(req.samples)) : undefined;
  const source = sized?.fixed.length ? sized.bytes : req.bytes;
  const sourceModel = source !== req.bytes ? readOnnx(source, { fileName: req.model.fileName }) : req.model;
  // If nodes every sample takes one way through are folded to that branch, so its work is quantized.
  const fold = await foldControlFlow(source, req.samples, req.createSession, req.signal);
  const folded = fold?.folded.length ? fold.bytes : source;
  const foldedModel = folded !== source ? readOnnx(folded, { fileName: req.model.fileName }) : sourceModel;
  // A bias shared between nodes gets a constant per node (each is quantized at its own node's
  // scales), and a float constant PyTorch copied through an Identity a constant of its own.
  const untied = untieConstants(foldedModel, folded);
  const untiedBytes = untied?.bytes ?? folded;
  const untiedModel = untied ? readOnnx(untiedBytes, { fileName: req.model.fileName }) : foldedModel;
  // A Gemm's alpha and beta go into its constant weight and bias (QNN's FullyConnected has neither).
  const gemms = foldGemmScalars(untiedModel, untiedBytes);
  const bytes = gemms?.bytes ?? untiedBytes;
  const model = bytes !== untiedBytes ? readOnnx(bytes, { fileName: req.model.fileName }) : untiedModel;
  let t = lap('fold', t0);
  req.onProgress?.('Annotating', undefined);
  await checkpoint(req.signal);
  const plan = annotate(model, req.pack, req.options, req.overrides, soc.htpArch, req.flow ?? DEFAULT_FLOW);
  if (gemms) plan.notes.push(...gemmFoldNotes(gemms.folds));
  // ONNX's QuantizeLinear takes float16 only from opset 19: a QDQ export of float16 tensors below
  // it would not load (onnxruntime: "Type 'tensor(float16)' of input parameter ... QuantizeLinear").
  // From opset 11 the export raises the model to 19 (exportQdq); below it, Pad, Clip and others
  // whose attributes became inputs at 11 make that no change it makes.
  const opset = onnxOpset(model) ?? 0;
  const half = float16Quantized(model, plan);
  if (half !== undefined && opset < 11)
    throw new SentenceError(
      'float16-model',
      `The model computes in float16 (tensor "${half}") at opset ${opset}, and ONNX's QuantizeLinear takes float16 only from opset 19, which QuantLens raises a model to from opset 11 on. Convert the model to opset 13 or later (python3-onnx: onnx.version_converter.convert_version(model, 17)) and quantize that, or quantize the float32 model it was made from.`,
    );
  // LPBQ's per-block scales are an integer times the channel's scale: products that float16
  // (the scale type of a float16 model's Q/DQ) does not hold in general.
  if (half !== undefined && [...plan.tensors.values()].some((spec) => spec.kind === 'weight' && spec.blockSize))
    throw new SentenceError(
      'float16-model',
      `The model computes in float16 (tensor "${half}"), whose Q/DQ store their scales in float16, and LPBQ's block scales (an integer times the channel's scale) do not fit float16 in general. Quantize the float32 model for block-wise weights, or pick a per-channel config (16a4w, 16a8w) for this one.`,
    );
  t = lap('annotate', t);
  const observed = observedTensors(model, plan);
  const observer = req.observer ?? 'minmax';
  const optimize = plan.supergroups.length > 0;
  // Ranges an earlier run measured on the same model, samples and observer are taken as they are.
  // The CLI holds no memo: one of its own lets the error trace run the plan again at another
  // config without calibrating again (see widerRun).
  const memoStore = req.memo ?? new CalibrationMemo();
  const memo: MemoEntry | undefined = memoStore.entry({
    bytes: req.bytes,
    fixSizes: !!req.fixSizes,
    observer,
    percentile: observer === 'percentile' ? req.percentile : undefined,
    optimize,
    samples: await samplesDigest(req.samples),
  });
  const missing = memo ? new Set([...observed].filter((t) => !memo.seen.has(t))) : observed;
  req.onProgress?.('Calibrating', 0);
  // Calibration runs the float model on every sample: its outputs are kept for the SQNR, which
  // then runs only the quantized model (up to a bound on what they hold: past it, the samples not
  // kept make the SQNR run the float model again).
  let reference: Record<string, ArrayLike<number>>[] | undefined = req.skipSqnr ? undefined : [];
  let referenceBytes = 0;
  const outputNames = model.graph.outputs.map((o) => o.name);
  // A run that measures nothing still runs the samples when the SQNR needs float outputs the memo
  // lacks (and always without a memo, as it always did).
  const measured =
    memo && missing.size === 0 && (!reference || memo.reference)
      ? new Map<string, Range>()
      : await calibrate(bytes, req.samples, req.createSession, {
          observer,
          percentile: req.percentile,
          tensors: missing,
          known: memo?.ranges,
          model,
          optimize,
          signal: req.signal,
          onProgress: (done, total) => req.onProgress?.('Calibrating', done / total),
          // The float outputs, unless the SQNR is skipped or the memo holds them.
          onOutputs:
            !reference || memo?.reference
              ? undefined
              : (i, outputs) => {
                  if (!reference || referenceBytes > SQNR_REFERENCE_MAX_BYTES) return;
                  const kept: Record<string, ArrayLike<number>> = {};
                  for (const name of outputNames) {
                    const data = outputNumbers(outputs[name]);
                    if (!data) continue;
                    kept[name] = data;
                    referenceBytes += (data as unknown as ArrayBufferView).byteLength ?? 0;
                  }
                  reference![i] = kept;
                },
        });
  const ranges = new Map<string, Range>();
  for (const name of observed) {
    const r = missing.has(name) ? measured.get(name) : memo!.ranges.get(name);
    if (r) ranges.set(name, r);
  }
  if (memo) {
    for (const name of missing) {
      memo.seen.add(name);
      const r = measured.get(name);
      if (r) memo.ranges.set(name, r);
    }
    // The float outputs of a run that ran every sample; a run that measured nothing takes the kept ones.
    if (reference && req.samples.every((_, i) => reference![i])) memo.reference = reference;
    else if (reference) reference = memo.reference;
  }
  // A tensor that holds ±inf (an attention mask added or filled in) reduces to ±inf in the graph:
  // it is read out again over the samples for the extent of its finite values, which is what an
  // encoding can hold, and the run says what becomes of the infinities.
  const unbounded = [...ranges].filter(([, r]) => !Number.isFinite(r.min) || !Number.isFinite(r.max));
  const finite = memo?.finite ?? new Map<string, Range>();
  const unread = unbounded.filter(([name]) => !finite.has(name));
  if (unread.length) {
    const read = await calibrate(bytes, req.samples, req.createSession, {
      observer: 'minmax',
      tensors: new Set(unread.map(([name]) => name)),
      signal: req.signal,
      readOut: true,
    });
    for (const [name] of unread) finite.set(name, read.get(name) ?? { min: 0, max: 0 });
  }
  for (const [name, r] of unbounded) {
    const f = finite.get(name)!;
    ranges.set(name, f);
    const ends = [r.min === -Infinity ? '-inf' : '', r.max === Infinity ? '+inf' : ''].filter(Boolean).join(' and ');
    plan.notes.push(
      `${name}: holds ${ends} on the calibration samples (an attention mask, say). Its encoding covers its finite values (${f.min.toPrecision(4)} to ${f.max.toPrecision(4)}), and ${ends} quantize${ends.includes(' and ') ? '' : 's'} to that range's end: a Softmax after it gives masked positions a weight instead of none. Mask with a finite value about 10 below the lowest score instead (a weight of e^-10), which the encoding then holds, or keep the mask in float.`,
    );
  }
  // A tensor empty on every sample (a detector's pyramid level no box was assigned to) has no
  // range: it stays float, and so do the nodes that read it unless they share another's encoding.
  const unfilled = [...observed].filter((name) => !ranges.has(name));
  if (unfilled.length)
    plan.notes.push(
      `${unfilled.length === 1 ? '1 tensor' : `${unfilled.length} tensors`} held no value on any calibration sample (${unfilled.slice(0, 3).join(', ')}${unfilled.length > 3 ? ', …' : ''}): empty, or NaN throughout, so ${unfilled.length === 1 ? 'it has' : 'they have'} no range and no encoding, and the export leaves ${unfilled.length === 1 ? 'it' : 'them'} in float, with the nodes around ${unfilled.length === 1 ? 'it' : 'them'} only partly in QDQ. Calibrate with inputs that fill ${unfilled.length === 1 ? 'it' : 'them'}: real images for a detector whose feature levels got no boxes, say.`,
    );
  t = lap('calibrate', t);
  const encodings = computeEncodings(model, plan, ranges, req.options, half !== undefined);
  const graph = qgraphFromTensorEncodings(
    model,
    (tensor, _c, node, index) =>
      (node !== undefined ? encodings.edges.get(`${node}:${index}`)?.encoding : undefined) ??
      encodings.tensors.get(tensor),
    'quantizer',
  );
  // Static computations of the main graph (ids are positions there), before the ids move.
  const staticNodes = new Set(graph.nodes.filter((n) => n.folded && /^\d+$/.test(n.id)).map((n) => n.id));
  // Findings point at the nodes of the model as the person opened it.
  if (fold?.folded.length) for (const n of graph.nodes) n.id = fold.originalId(n.id);
  t = lap('encode', t);
  await checkpoint(req.signal);
  req.onProgress?.('Exporting', undefined);
  const ranks = new Map<string, number>();
  for (const n of graph.nodes)
    for (const p of [...n.inputs, ...n.outputs]) if (p.shape) ranks.set(p.tensor, p.shape.length);
  const qdq = exportQdq(bytes, encodings, (t) => ranks.get(t), staticNodes);
  t = lap('export', t);
  // An op's version is the export's: raised, a MaxPool-11 exports as MaxPool-12.
  if (qdq.opset !== undefined && qdq.opset !== graph.opset) graph.deployedOpset = qdq.opset;
  const validation = validate(graph, req.pack, { soc: req.soc, strict: req.strict, flow: req.flow });
  t = lap('validate', t);
  const input = aimetInput(encodings);
  const aimet = writeAimetEncodings(input, '1.0.0');
  let aimet061: QuantizeResult['aimet061'];
  try {
    aimet061 = { ok: true, text: writeAimetEncodings(input, '0.6.1') };
  } catch (err) {
    aimet061 = { ok: false, reason: err instanceof AimetEncodingsError ? err.problem : String(err) };
  }
  t = lap('encodings', t);
  /** The export's SQNR on the samples, with each output's steps (timed as `sqnr`). */
  const measure = async (signal?: AbortSignal) => {
    const started = performance.now();
    const sizes = sampleDimSizes(req.model.graph.inputs, req.samples);
    const out = await outputSqnr(req.bytes, qdq.bytes, req.samples, req.createSession, signal, reference, sizes);
    const figures = await withSelections(withSteps(out, encodings, plan, model), sizes, signal);
    lap('sqnr', started);
    sqnrMeasured = figures;
    return figures;
  };
  /** The figures once measured (the error trace's comparison with a wider config reads them). */
  let sqnrMeasured: OutputSqnr[] | undefined;
  /**
   * The figures with, for each output that follows a selection made on its values, the SQNR of
   * the values it selects from (selection.ts), read from the float model as calibrated (control
   * flow folded) and the export in one more run of each a sample. A figure that cannot be had
   * (a model whose tensors will not be read out) leaves the output's own figure as it is.
   */
  const withSelections = async (list: OutputSqnr[], sizes: Record<string, number>, signal?: AbortSignal) => {
    const staticTensors = new Set(
      model.graph.nodes.filter((_, i) => staticNodes.has(String(i))).flatMap((n) => n.outputs),
    );
    const sources = selectionSources(model, (t) => staticTensors.has(t));
    const wanted = list.filter((s) => sources.has(s.output));
    if (!wanted.length) return list;
    const all = new Set(wanted.flatMap((s) => sources.get(s.output)!.tensors));
    let sums = new Map<string, TensorSums>();
    try {
      sums = await tensorSums(bytes, qdq.bytes, all, req.samples, req.createSession, signal, sizes);
    } catch (err) {
      if (err instanceof RuntimeStoppedError || err instanceof CalibrationCancelled) throw err;
    }
    return list.map((s) => {
      const src = sources.get(s.output);
      return src ? { ...s, selection: selectionSqnr(src.selections, src.tensors, sums) } : s;
    });
  };
  let sqnr: QuantizeResult['sqnr'] = [];
  let measureSqnr: QuantizeResult['measureSqnr'];
  if (req.deferSqnr && !req.skipSqnr) measureSqnr = measure;
  else if (!req.skipSqnr) {
    await checkpoint(req.signal);
    req.onProgress?.('Measuring SQNR', undefined);
    sqnr = await measure(req.signal);
  }
  return {
    plan,
    graph,
    encodings,
    validation,
    qdq,
    aimet,
    aimet061,
    sqnr,
    measureSqnr,
    traceError: async (how) => {
      const trace = await traceError(
        bytes,
        qdq.bytes,
        model,
        encodings.tensors,
        new Set(encodings.constants.keys()),
        req.samples,
        req.createSession,
        how,
      );
      // Nodes named as the person opened the model, as the findings are.
      if (fold?.folded.length) {
        for (const e of trace.tensors) if (e.node) e.node = fold.originalId(e.node);
        for (const e of trace.sources) e.node = fold.originalId(e.node);
      }
      markRefusedWideWeights(trace, graph, req.pack, soc);
      if (!trace.sources.length) {
        const wider = await widerRun(req, soc, memoStore, sqnrMeasured ?? (await measure(how?.signal)), how);
        if (wider) trace.wider = wider;
      }
      return trace;
    },
    floatNodes: plan.nodes
      .filter((n) => n.floatReason)
      .map((n) => ({
        node: fold?.folded.length ? fold.originalId(n.id) : n.id,
        name: n.name,
        reason: n.floatReason!,
      })),
    notes: [
      ...(sized?.kept ?? []),
      ...foldNotes(fold, req.samples.length),
      ...untieNotes(untied),
      ...subgraphNote(model),
      ...encodings.notes,
      ...qdq.notes,
    ],
    fixedSizes: sized?.fixed ?? [],
    calibration: { reused: observed.size - missing.size, observed: observed.size },
    timings,
  };
}

/** What folding control flow did, and what it left. */
function foldNotes(fold: ControlFlowFold | undefined, samples: number): string[] {
  if (!fold) return [];
  const notes: string[] = [];
  if (fold.folded.length)
    notes.push(
      `Control flow folded for the calibration inputs: ${fold.folded.map((f) => `If "${f.node}" -> ${f.branch}`).join(', ')} (every one of the ${samples} samples took that branch). The exported model computes only those branches, as HTP needs a static graph; inputs that would take the other branch need a model quantized for them.`,
    );
  for (const k of fold.kept) notes.push(`If "${k.node}" was not folded: ${k.reason}; its branches stay float.`);
  return notes;
}

/** Which biases and copied constants were given constants of their own. */
function untieNotes(untied: Untied | undefined): string[] {
  if (!untied) return [];
  const listed = (cs: Untied['copies']) =>
    cs
      .slice(0, 3)
      .map((c) => `${c.tensor} (from ${c.from})`)
      .join(', ') + (cs.length > 3 ? ', …' : '');
  const biases = untied.copies.filter((c) => c.bias);
  const others = untied.copies.filter((c) => !c.bias);
  const notes: string[] = [];
  const n = biases.length;
  if (n)
    notes.push(
      `${n} bias${n === 1 ? '' : 'es'} shared with another node (${listed(biases)}) got a constant of ${n === 1 ? 'its' : 'their'} own in the export: a bias is quantized at its own node's input scale × weight scale, so one constant cannot serve two nodes.`,
    );
  const k = others.length;
  if (k)
    notes.push(
      `${k} float constant${k === 1 ? '' : 's'} the model reads as a copy of another (an Identity, as torch.onnx.export writes for equal initializers: ${listed(others)}) got a constant of ${k === 1 ? 'its' : 'their'} own in the export, quantized for the node that reads ${k === 1 ? 'it' : 'them'}.`,
    );
  return notes;
}

/** Counts the nodes held in sub-graphs (at any depth). */
function nodesInside(graph: Model['graph']): number {
  let count = 0;
  for (const n of graph.nodes) for (const s of n.subgraphs) count += s.graph.nodes.length + nodesInside(s.graph);
  return count;
}

/**
 * What the plan leaves out when a model keeps work in If / Loop / Scan bodies: the quantizer
 * annotates and calibrates the main graph (onnxruntime cannot hand out a body's tensors).
 */
function subgraphNote(model: Model): string[] {
  const owners = model.graph.nodes.filter((n) => n.subgraphs.length > 0);
  const inside = nodesInside(model.graph);
  if (!inside) return [];
  const named = owners
    .slice(0, 3)
    .map((n) => `${n.opType} "${n.name || n.id}"`)
    .join(', ');
  const share = Math.round((100 * inside) / (inside + model.graph.nodes.length));
  const ops = new Set(owners.map((n) => n.opType));
  const fixes: string[] = [];
  if (ops.has('If'))
    fixes.push(
      "an If folds by itself when every calibration sample takes the same branch: calibrate with the inputs of one deployment (or fix the condition's input and constant-fold, e.g. with onnxsim)",
    );
  if (ops.has('Loop') || ops.has('Scan'))
    fixes.push(
      'a Loop or Scan has to be unrolled for a fixed trip count before conversion (trace the model instead of scripting it, or export it with the count fixed)',
    );
  return [
    `${inside} nodes (${share}% of the model) sit inside the sub-graphs of ${owners.length} control-flow node${owners.length === 1 ? '' : 's'} (${named}${owners.length > 3 ? ', ...' : ''}) and stay float: the quantizer covers the main graph only, and HTP has no control-flow ops.${fixes.length ? ` To quantize them: ${fixes.join('; ')}.` : ''}`,
  ];
}

/**
 * The config that widens one side of `config` only, for the error trace's second run: its weights
 * where a config has the same activations and wider weights, else its activations.
 */
const WIDER: Partial<Record<ConfigName, { config: ConfigName; widens: 'weights' | 'activations' }>> = {
  '16a8w': { config: '16a16w', widens: 'weights' },
  '16a4w': { config: '16a8w', widens: 'weights' },
  '16a4w_block': { config: '16a8w', widens: 'weights' },
  '16a2w': { config: '16a8w', widens: 'weights' },
  '8a4w': { config: '8a8w', widens: 'weights' },
  '8a8w': { config: '16a8w', widens: 'activations' },
};

/** The worst finite SQNR among the outputs (undefined where none is finite). */
function worstDb(list: readonly OutputSqnr[]): number | undefined {
  const finite = list.map((s) => s.db).filter((d) => Number.isFinite(d));
  return finite.length ? Math.min(...finite) : undefined;
}

/**
 * {@link ErrorTrace.wider}: the plan quantized again at the config that widens one side of the
 * request's, on the same samples, its ranges taken from `memo` (no calibration), and the worst
 * output's SQNR both ways. Undefined where no config widens it, the SoC refuses that config, or no
 * output has a finite figure.
 */
async function widerRun(
  req: QuantizeRequest,
  soc: SocInfo,
  memo: CalibrationMemo,
  figures: readonly OutputSqnr[],
  how: TraceOptions | undefined,
): Promise<WiderRun | undefined> {
  const config = req.options.config;
  const step = WIDER[config];
  const db = worstDb(figures);
  if (!step || db === undefined || (step.config === '16a16w' && refusingGate(req.pack.gates, '16a16w', soc)))
    return undefined;
  how?.onWider?.(step.config);
  const again = await quantize({
    ...req,
    options: { ...req.options, config: step.config },
    memo,
    deferSqnr: false,
    skipSqnr: false,
    signal: how?.signal,
    onProgress: undefined,
  });
  const widerDb = worstDb(again.sqnr);
  if (widerDb === undefined) return undefined;
  const [from, to] = [CONFIGS[config], CONFIGS[step.config]];
  const bits: [number, number] =
    step.widens === 'weights'
      ? [from.weight.bitwidth, to.weight.bitwidth]
      : [from.act === 'uint16' ? 16 : 8, to.act === 'uint16' ? 16 : 8];
  return { config: step.config, widens: step.widens, bits, db, widerDb };
}

/**
 * Marks the trace's weight-caused losses whose remedy, 16-bit weights, the SoC refuses on that node
 * (the pack's 16a16w gate): on SM8450 (V69) the trace told a MobileNetV3's Convs to take 16a16w,
 * which the same check then rejects.
 */
function markRefusedWideWeights(trace: ErrorTrace, graph: QGraph, pack: RulePack, soc: SocInfo): void {
  const gate = refusingGate(pack.gates, '16a16w', soc);
  if (!gate) return;
  const nodes = new Map(graph.nodes.map((n) => [n.id, n]));
  for (const s of trace.sources) {
    const node = s.cause === 'weights' && s.weight ? nodes.get(s.node) : undefined;
    const mapped = node ? mapOp(pack, node) : undefined;
    if (mapped?.kind !== 'mapped' || !gate.ops.includes(mapped.qnnOp)) continue;
    s.wideWeightsRefused = {
      qnnOp: mapped.qnnOp,
      minArch: gate.minArch,
      soc: soc.model,
      arch: soc.htpArch,
      floatLeavesNpu: floatLeavesNpu(pack, soc),
    };
  }
}
