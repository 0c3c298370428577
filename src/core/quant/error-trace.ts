/**
 * Where a quantized model's error comes from: every activation the export quantizes, compared
 * between the float model and the QDQ model on the calibration samples, as ONNX Runtime's
 * qdq_loss_debug does (its `xmodel_err` and `qdq_err`) and AIMET's per-layer analysis. Each tensor
 * gets two figures: the SQNR of the quantized model's value against the float one (the error
 * carried to it from every node before), and the SQNR of its own encoding alone (the float value
 * rounded to it). A node whose output is far worse than its inputs is where the error enters.
 */
import type * as ortTypes from 'onnxruntime-common';
import { checkpoint, type SessionFactory } from './calibrate';
import {
  exposeJoined,
  exposeTensors,
  exposeTensorsForShapes,
  sampleDimSizes,
  splitJoined,
  type CalibrationSample,
  type JoinedBlock,
} from './expose';
import { floatShapes } from './float-shapes';
import { outputNumbers, ratioDb } from './sqnr';
import { eachTraceSum, traceGraph, type InferredDims } from './trace-graph';
import { RuntimeStoppedError } from './runtime';
import { quantRange, type QuantEncoding } from '../encoding/encoding';
import { halfBits, halfToFloat, roundHalfEven } from '../model/half';
import { producerIndex, readerIndex } from '../model/graph-index';
import type { Model } from '../model/types';

/** One quantized activation, over the samples. */
export interface TensorError {
  tensor: string;
  /** The node that writes it (its id in the model), or undefined for a graph input. */
  node?: string;
  op?: string;
  /** SQNR of the quantized model's value against the float model's, in dB. */
  db: number;
  /** SQNR of the float value rounded to this tensor's encoding alone, in dB. */
  ownDb: number;
  /**
   * Share of the float values that are not zero but round to zero at this encoding: values below
   * half a step, which a Log, a division or a normalization downstream needs.
   */
  underflow: number;
  /**
   * The first sample (0-based) on which the quantized model's tensor holds another number of
   * values than the float one (what passed a threshold changed): `db` is NaN then, as for the
   * SQNR of such an output.
   */
  resized?: number;
}

/** A node whose output is much worse than its inputs: the error enters there. */
export interface ErrorSource {
  node: string;
  name: string;
  op: string;
  tensor: string;
  /** The output's SQNR and the worst of its quantized inputs' (dB). */
  db: number;
  inputDb: number;
  /** inputDb - db. */
  drop: number;
  /** The output encoding's own SQNR: high when the loss is the inputs' error made larger, low when it is this rounding. */
  ownDb: number;
  /** The input whose error the node carried, with its underflow share. */
  input: string;
  inputUnderflow: number;
  /** The output encoding's bits. */
  bits: number;
  /** The node's quantized constant input (its weight), if it has one. */
  weight?: { tensor: string; bits: number; granularity: string };
  /**
   * What the loss is, from the figures: `rounding` when the output's own encoding accounts for at
   * least half the noise (ownDb within 3 dB of db), else `weights` when the node has a quantized
   * weight, else `amplified` (the op makes its inputs' error larger: a Log, a division).
   */
  cause: 'rounding' | 'weights' | 'amplified';
  /**
   * Set by the quantizer when 16-bit weights, the remedy for a loss its weight causes, are refused
   * on this node for the SoC (the rule pack's 16a16w gate: HTP V73 or newer for Conv,
   * FullyConnected, MatMul, LayerNorm and TransposeConv): the node's QNN op, the arch the gate
   * needs, the SoC and its arch, and whether a float node leaves the NPU there (no FP16, or a
   * backend that runs quantized ops only).
   */
  wideWeightsRefused?: { qnnOp: string; minArch: number; soc: string; arch: number; floatLeavesNpu: boolean };
}

export interface ErrorTrace {
  /** Every traced activation, in graph order. */
  tensors: TensorError[];
  /**
   * Nodes where the SQNR falls by at least {@link SOURCE_DROP_DB}, the largest drop first (at most
   * {@link MAX_SOURCES}), each once, at its output that falls most.
   */
  sources: ErrorSource[];
  samples: number;
  /** The fall that makes a source ({@link SOURCE_DROP_DB}). */
  dropDb: number;
  /** Runs of each model per sample: more than one where the traced tensors outgrow one read. */
  runs: number;
  /**
   * Every sample's figures were summed inside one graph holding both models (trace-graph.ts), one
   * run a sample.
   */
  inGraph: boolean;
  /**
   * How many samples, from the first, were summed in that graph: all of them with `inGraph`, none
   * when the tensors were read out from the start, and some where the graph could not run a later
   * sample (a size that follows the values): the rest were read out, in `runs` runs a sample.
   */
  samplesInGraph: number;
  /**
   * Where no node is named (the error builds up a little at each), the same plan measured again at
   * the config that widens one side only, on the same samples and ranges: weights (16a8w to 16a16w,
   * 16a4w to 16a8w) or, where no config widens the weights alone, activations (8a8w to 16a8w). Set
   * by the quantizer, which can run the plan again; absent where the SoC refuses that config.
   * A MaxViT at 16a8w keeps 23.5 dB, no node losing 6 dB near that level: at 16a16w, 68.8.
   */
  wider?: WiderRun;
}

/** {@link ErrorTrace.wider}: the config run, which side it widens, and the worst output's SQNR both ways. */
export interface WiderRun {
  config: string;
  widens: 'weights' | 'activations';
  /** Bits of the side it widens, before and after. */
  bits: [number, number];
  /** The worst output's SQNR at the traced config and at `config` (dB). */
  db: number;
  widerDb: number;
}

export interface TraceOptions {
  /** Stops the runs between reads (CalibrationCancelled), as calibration does. */
  signal?: AbortSignal;
  /** Most bytes one run reads out of each model ({@link TRACE_READ_BYTES}). */
  readBytes?: number;
  /**
   * false: read the tensors out of both models (in parts of `readBytes`) rather than sum the
   * figures inside one graph holding both.
   */
  inGraph?: boolean;
  /**
   * false: read each of the float model's traced tensors as an output of its own, even where the
   * graph gives their sizes and they fit one read (then they are read in joined blocks).
   */
  joinFloat?: boolean;
  /** Samples done, of how many: a fraction within a sample read in several runs. */
  onProgress?: (done: number, total: number) => void;
  /** The quantizer starts its run at a wider config (ErrorTrace.wider), named. */
  onWider?: (config: string) => void;
}

/** A fall of the SQNR across one node worth naming: a quarter of the signal's power as noise, or worse. */
export const SOURCE_DROP_DB = 6;
export const MAX_SOURCES = 8;
/** How far above the worst output's SQNR a fall still counts (see traceError). */
export const MATTERS_DB = 20;

/**
 * How the trace rounds a tensor as ONNX's QuantizeLinear does (half to even) and dequantizes it
 * back: the per-tensor scale, zero point and integer range, which the comparison loop applies
 * itself; for a float16 tensor also the function that gives the float16 value its
 * DequantizeLinear gives (onnxruntime's: the product in float32, rounded to float16), the value
 * the export hands on and the merged trace (trace-graph.ts) rounds through. Undefined for an
 * encoding of several scales, or a scale that is not positive.
 */
function fakeQuant(enc: QuantEncoding): Rounder | undefined {
  if (enc.scale.length !== 1) return undefined;
  const s = enc.scale[0]!;
  const zp = enc.zeroPoint[0] ?? 0;
  if (!(s > 0)) return undefined;
  const { qmin, qmax } = quantRange(enc.dtype, enc.bitwidth);
  if (enc.scaleType !== 'float16') return { s, zp, qmin, qmax };
  const quantize = (x: number) => Math.min(qmax, Math.max(qmin, roundHalfEven(x / s) + zp));
  // Each level's float16 value, worked out the first time a value rounds to it.
  const levels = new Float64Array(qmax - qmin + 1).fill(NaN);
  return {
    s,
    zp,
    qmin,
    qmax,
    half: (x) => {
      const i = quantize(x) - qmin;
      let v = levels[i]!;
      if (Number.isNaN(v)) levels[i] = v = halfToFloat(halfBits(Math.fround((i + qmin - zp) * s), 'even'));
      return v;
    },
  };
}

/**
 * One tensor's encoding as the trace rounds through it (fakeQuant): a per-tensor scale and zero
 * point with the integer range, and for a float16 tensor the function that gives its float16
 * value.
 */
interface Rounder {
  s: number;
  zp: number;
  qmin: number;
  qmax: number;
  half?: (x: number) => number;
}

/**
 * Most bytes of traced tensors one run reads out of each model: a sample of PP-OCRv4's recogniser
 * holds 134 MB of them, which read at once took the process from 466 to 1,085 MB. A model holding
 * more runs again on the same sample for the rest.
 */
export const TRACE_READ_BYTES = 48 * 2 ** 20;

/**
 * The traced tensors cut into the reads of one run each, of at most `most` bytes by the sizes
 * onnxruntime inferred (a tensor of a size it could not tell is read alone).
 */
function readsOf(session: ortTypes.InferenceSession, traced: ReadonlySet<string>, most: number): string[][] {
  const size = new Map<string, number>();
  for (const m of session.outputMetadata ?? []) {
    if (!m.isTensor || !traced.has(m.name)) continue;
    const known = m.shape.every((d) => typeof d === 'number' && d >= 0);
    const numel = known ? (m.shape as number[]).reduce((x, y) => x * y, 1) : Infinity;
    size.set(m.name, numel * (m.type === 'float16' ? 2 : 4));
  }
  const reads: string[][] = [];
  let bytes = 0;
  for (const name of traced) {
    const b = size.get(name) ?? Infinity;
    const last = reads[reads.length - 1];
    if (!last || bytes + b > most) {
      reads.push([name]);
      bytes = b;
    } else {
      last.push(name);
      bytes += b;
    }
  }
  return reads;
}

interface Acc {
  resized?: number;
  signal: number;
  noise: number;
  own: number;
  nonzero: number;
  zeroed: number;
}

/**
 * Runs the float model and its QDQ export on each sample and compares every quantized activation
 * tensor by tensor: read out of both (as outputs), or, where the activations outgrow one read,
 * summed inside one graph holding both (trace-graph.ts). `floatBytes` is the model the export was
 * made from (after the quantizer's folds); `encodings` the export's tensors (constants are not
 * traced).
 */
export async function traceError(
  floatBytes: Uint8Array,
  qdqBytes: Uint8Array,
  model: Model,
  encodings: ReadonlyMap<string, QuantEncoding>,
  constants: ReadonlySet<string>,
  samples: readonly CalibrationSample[],
  createSession: SessionFactory,
  how: TraceOptions = {},
): Promise<ErrorTrace> {
  const { signal, readBytes = TRACE_READ_BYTES, onProgress } = how;
  const g = model.graph;
  const producer = producerIndex(g);
  const inputs = new Set(g.inputs.map((i) => i.name));
  const rounders = new Map<string, Rounder>();
  for (const [t, enc] of encodings) {
    if (constants.has(t) || (!producer.has(t) && !inputs.has(t))) continue;
    const fq = fakeQuant(enc);
    if (fq) rounders.set(t, fq);
  }
  const traced = new Set([...rounders.keys()].filter((t) => producer.has(t)));
  const acc = new Map<string, Acc>();
  /** The sums of `name` so far, started at zero. */
  const accOf = (name: string) => {
    let e = acc.get(name);
    if (!e) acc.set(name, (e = { signal: 0, noise: 0, own: 0, nonzero: 0, zeroed: 0 }));
    return e;
  };
  const add = (name: string, x: ArrayLike<number>, y: ArrayLike<number> | undefined) => {
    const { s, zp, qmin, qmax, half } = rounders.get(name)!;
    const e = accOf(name);
    // The sums in locals, added to in the same order as into `e`: the same figures. Rounded here,
    // not through a function of each tensor's own, which kept this loop (10M values a sample at
    // 10k traced tensors) from being optimized as one; clamped by comparisons, not Math.min and
    // Math.max (10 of 27 ns a value), to the same values.
    let { signal, noise, own, nonzero, zeroed } = e;
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      if (!Number.isFinite(v)) continue;
      let r: number;
      if (half) r = half(v);
      else {
        const q = roundHalfEven(v / s) + zp;
        r = ((q < qmin ? qmin : q > qmax ? qmax : q) - zp) * s;
      }
      signal += v * v;
      own += (v - r) * (v - r);
      const d = v - (y ? y[i]! : r);
      noise += d * d;
      if (v !== 0) {
        nonzero++;
        if (r === 0) zeroed++;
      }
    }
    Object.assign(e, { signal, noise, own, nonzero, zeroed });
  };
  /** A graph input's quantized value is its own rounding: its figures from the sample's values. */
  const addInputs = (feeds: Record<string, ortTypes.Tensor>) => {
    for (const name of inputs) if (rounders.has(name)) add(name, outputNumbers(feeds[name]) ?? [], undefined);
  };
  /**
   * The sums from the merged model (trace-graph.ts), one run a sample, and how many samples it
   * took: it stops at a sample it cannot run, or that gives a sum that is not finite (a value that
   * is not finite, which the reads below leave out), and takes none where it cannot be built. The
   * reads take over from there: the samples before keep their sums (the two ways agree within
   * 0.002 dB), and the progress goes on from where it was.
   */
  async function inOneGraph(
    dims: ReadonlyMap<string, InferredDims>,
    freeDimensionOverrides: Record<string, number>,
  ): Promise<number> {
    const built = traceGraph(floatBytes, qdqBytes, [...traced], encodings, dims);
    if (!built) return 0;
    let session: ortTypes.InferenceSession;
    try {
      // With the inputs' named dimensions at the samples' sizes, onnxruntime's memory planner
      // knows the figures' sizes and reuses their buffers; unknown, each freed buffer stayed on a
      // list it searched at every later node: PP-OCRv4's recogniser (dynamic batch and width,
      // 8,524 nodes merged) took 3.8-4.7 s to create the session, 0.64-0.66 s so.
      session = await createSession(built.bytes, {
        graphOptimizationLevel: 'disabled',
        freeDimensionOverrides,
        handOver: true,
      });
    } catch (err) {
      if (err instanceof RuntimeStoppedError) throw err;
      return 0;
    }
    try {
      for (const [k, s] of samples.entries()) {
        await checkpoint(signal);
        const feeds = s as Record<string, ortTypes.Tensor>;
        let out: Record<string, ortTypes.Tensor>;
        try {
          out = await session.run(feeds, [built.output]);
        } catch (err) {
          // A tensor of another size in the export (a detector's boxes), say.
          if (err instanceof RuntimeStoppedError) throw err;
          return k;
        }
        // eachTraceSum visits every tensor or none: a sample adds all its sums or none.
        const whole = eachTraceSum(built, out[built.output]!.data as Float32Array, (name, sums) => {
          const [signal, noise, own, nonzero, kept] = sums as [number, number, number, number, number];
          const e = accOf(name);
          e.signal += signal;
          e.noise += noise;
          e.own += own;
          e.nonzero += nonzero;
          e.zeroed += nonzero - kept;
        });
        out[built.output]!.dispose();
        if (!whole) return k;
        addInputs(feeds);
        onProgress?.(k + 1, samples.length);
      }
    } finally {
      await session.release();
    }
    return samples.length;
  }
  // Each model, its traced tensors read out, as the SQNR runs it (each op computes in float
  // between its DequantizeLinear and QuantizeLinear), with the inputs' named dimensions at the
  // samples' sizes: onnxruntime then knows most tensors' sizes before a run, which the reads are
  // cut by.
  // Where the graph gives every traced tensor's size and they fit one read, the float model's are
  // read in joined blocks (exposeJoined), with no session created to learn their sizes.
  const joined = how.joinFloat === false ? undefined : joinedFloat();
  const floatSide = joined
    ? {
        bytes: joined.bytes,
        freeDimensionOverrides: sampleDimSizes(
          g.inputs.map((i) => ({ name: i.name, shape: i.shape })),
          samples,
        ),
      }
    : exposeTensorsForShapes(floatBytes, traced, samples);
  const options = {
    graphOptimizationLevel: 'disabled',
    freeDimensionOverrides: floatSide.freeDimensionOverrides,
    handOver: true,
  } as const;
  let a = await createSession(floatSide.bytes, options);
  const reads = joined ? [[...traced]] : readsOf(a, traced, readBytes);
  // Where that takes more than one run a sample, both models in one graph instead, the figures
  // summed inside it: one run a sample. (For a model read in one run, the merged session costs
  // more to create than the reads: 237 ms against 111 for openWakeWord's log-mel, both in all.)
  // The first sample the reads take (those before were summed in one graph).
  let from = 0;
  if (reads.length > 1 && how.inGraph !== false) {
    const dims = new Map<string, InferredDims>();
    for (const m of a.outputMetadata ?? []) if (m.isTensor && traced.has(m.name)) dims.set(m.name, m.shape);
    await a.release();
    from = await inOneGraph(dims, floatSide.freeDimensionOverrides);
    if (from === samples.length) return finish(1, from);
    // Written again: the bytes handed over to the first session are the runtime's now (the page's
    // runtime transfers them to its worker, leaving them empty here).
    a = await createSession(exposeTensorsForShapes(floatBytes, traced, samples).bytes, options);
  }
  let b: ortTypes.InferenceSession;
  try {
    // The export names each quantized activation's DequantizeLinear output as the tensor. Each is
    // an output of its own: onnxruntime looks through the fetched outputs for every value it
    // makes (10k-node decoder, 9,991 fetches: 3.2 s of a profile's 18 runs of both models), but
    // the tensors joined by Concats into 159 outputs made its allocation planner take 9.5-12.4 s to
    // create the session instead of 5.3-5.6 s, more than the runs saved (whole trace 16.4-19.9 s
    // against 17.1-18.2 s).
    b = await createSession(exposeTensors(qdqBytes, traced), options);
  } catch (err) {
    await a.release();
    throw err;
  }
  // One read takes every traced tensor, so each model is asked for all its outputs (the traced
  // ones and the model's own) without a list of names: onnxruntime checks such a list against its
  // outputs, which at 10k traced tensors cost about 60 ms a run when it scanned them
  // (10k-node decoder: 250 ms a run without the list, 320 with it; runtime.ts's fastNameLookup
  // has since made each name one lookup).
  const whole = reads.length === 1;
  /** Both models' values of read `r` of sample `k`. */
  const runRead = ([k, r]: readonly [number, number]) => {
    const feeds = samples[k] as Record<string, ortTypes.Tensor>;
    const names = reads[r]!;
    return Promise.all([whole ? a.run(feeds) : a.run(feeds, names), whole ? b.run(feeds) : b.run(feeds, names)]);
  };
  const jobs: [number, number][] = [];
  for (let k = from; k < samples.length; k++) for (let r = 0; r < reads.length; r++) jobs.push([k, r]);
  // The next read's runs, started before this one's values are compared: in the app onnxruntime
  // has a worker of its own, which runs them while this one compares (10k-node decoder, 16
  // samples: the comparison took about 0.37 s a sample beside 0.75 s of runs). Only where a sample
  // is one read, so that at most two reads (each of at most `readBytes` a model) are held at once.
  let ahead: ReturnType<typeof runRead> | undefined;
  try {
    for (const [j, job] of jobs.entries()) {
      const [k, r] = job;
      const names = reads[r]!;
      if (r === 0) addInputs(samples[k] as Record<string, ortTypes.Tensor>);
      await checkpoint(signal);
      // Within a sample read in several runs, each run is progress (IS-Net at 1024x1024 needs
      // some forty a sample, minutes before a sample is done).
      if (r > 0) onProgress?.(k + r / reads.length, samples.length);
      const running = ahead ?? runRead(job);
      ahead = undefined;
      const [ra, rb] = await running;
      if (whole && j + 1 < jobs.length) {
        ahead = runRead(jobs[j + 1]!);
        ahead.catch(() => undefined);
      }
      const floats = joined ? splitJoined(joined.blocks, ra, outputNumbers) : undefined;
      for (const name of names) {
        const x = floats ? floats.get(name) : outputNumbers(ra[name]);
        const y = outputNumbers(rb[name]);
        if (!x || !y) continue;
        if (x.length === y.length) add(name, x, y);
        else {
          // Another size in the quantized model (a detector's boxes): not comparable value by value.
          add(name, [], undefined);
          acc.get(name)!.resized ??= k;
        }
      }
      if (r === reads.length - 1) onProgress?.(k + 1, samples.length);
    }
  } finally {
    // A read started ahead is waited for (its failure is this one's, or a cancel's) before the
    // sessions go.
    await ahead?.catch(() => undefined);
    await a.release();
    await b.release();
  }
  return finish(reads.length, from);

  /**
   * The float model with its traced tensors in joined blocks, when the graph gives each one's size
   * and type (static-shapes.ts) and all of a sample fit one read; else undefined.
   */
  function joinedFloat(): { bytes: Uint8Array; blocks: JoinedBlock[] } | undefined {
    const known = floatShapes(model, samples, traced);
    if (!known) return undefined;
    let bytes = 0;
    for (const { dims, type } of known.values())
      bytes += dims.reduce((x, y) => x * y, 1) * (type === 'float16' ? 2 : 4);
    return bytes <= readBytes ? exposeJoined(floatBytes, known) : undefined;
  }

  /**
   * The trace from the sums in `acc`: the first `samplesInGraph` samples summed in one graph, each
   * model run `runs` times a sample for the rest.
   */
  function finish(runs: number, samplesInGraph: number): ErrorTrace {
    const tensors: TensorError[] = [];
    const byName = new Map<string, TensorError>();
    const record = (name: string) => {
      const e = acc.get(name);
      if (!e || byName.has(name)) return;
      const n = producer.get(name);
      const t: TensorError = {
        tensor: name,
        ...(n ? { node: n.id, op: n.opType } : {}),
        db: e.resized === undefined ? ratioDb(e.signal, e.noise) : NaN,
        ownDb: ratioDb(e.signal, e.own),
        underflow: e.nonzero ? e.zeroed / e.nonzero : 0,
        ...(e.resized === undefined ? {} : { resized: e.resized }),
      };
      tensors.push(t);
      byName.set(name, t);
    };
    for (const i of g.inputs) record(i.name);
    for (const n of g.nodes) for (const o of n.outputs) if (o) record(o);
    // A fall far above what reaches the outputs costs them nothing (a 16-bit Conv from 96 to 87 dB
    // before a model output of 42): named only within MATTERS_DB of the worst traced output.
    const outputDbs = g.outputs.map((o) => byName.get(o.name)?.db).filter((d): d is number => Number.isFinite(d));
    const ceiling = outputDbs.length ? Math.min(...outputDbs) + MATTERS_DB : Infinity;
    // A fall its readers undo did not reach the outputs: a Conv output clamped at its Relu's
    // encoding (the pair runs as one op, so the export's value before the Relu drops the negatives
    // the Relu drops anyway), a written-out LayerNorm's mean of values near zero (its error is small
    // beside the values it is taken from). Such a tensor is no source.
    const readers = readerIndex(g);
    const graphOutputs = new Set(g.outputs.map((o) => o.name));
    const undone = (t: TensorError) => {
      const by = readers.get(t.tensor);
      if (!by?.length || graphOutputs.has(t.tensor)) return false;
      return by.every((n) =>
        n.outputs.some((o) => {
          const after = o ? byName.get(o)?.db : undefined;
          return after !== undefined && after >= t.db + SOURCE_DROP_DB;
        }),
      );
    };
    const sources: ErrorSource[] = [];
    for (const n of g.nodes) {
      let worst: TensorError | undefined;
      for (const i of n.inputs) {
        const t = i ? byName.get(i) : undefined;
        if (t && Number.isFinite(t.db) && (!worst || t.db < worst.db)) worst = t;
      }
      if (!worst) continue;
      for (const o of n.outputs) {
        const t = o ? byName.get(o) : undefined;
        if (!t || Number.isNaN(t.db)) continue;
        const drop = worst.db - t.db;
        if (!(drop >= SOURCE_DROP_DB) || t.db > ceiling || undone(t)) continue;
        const w = n.inputs.find((i) => i && constants.has(i) && encodings.has(i));
        const we = w ? encodings.get(w)! : undefined;
        const cause = t.ownDb - t.db <= 3 ? 'rounding' : we ? 'weights' : 'amplified';
        sources.push({
          node: n.id,
          name: n.name || n.id,
          op: n.opType,
          tensor: t.tensor,
          db: t.db,
          inputDb: worst.db,
          drop,
          ownDb: t.ownDb,
          input: worst.tensor,
          inputUnderflow: worst.underflow,
          bits: encodings.get(t.tensor)!.bitwidth,
          ...(we ? { weight: { tensor: w!, bits: we.bitwidth, granularity: we.granularity } } : {}),
          cause,
        });
      }
    }
    sources.sort((x, y) => y.drop - x.drop);
    // One source per node, at its worst output (an LSTM's Y, Y_h and Y_c fall together).
    const named = new Set<string>();
    const worstFirst = sources.filter((x) => (named.has(x.node) ? false : (named.add(x.node), true)));
    return {
      tensors,
      sources: worstFirst.slice(0, MAX_SOURCES),
      samples: samples.length,
      dropDb: SOURCE_DROP_DB,
      runs,
      inGraph: samplesInGraph > 0 && samplesInGraph === samples.length,
      samplesInGraph,
    };
  }
}
