/**
 * Calibration: runs the float model on sample inputs with every intermediate tensor exposed as an
 * output, and feeds each float tensor to an observer. Observers: min/max, moving-average min/max
 * (upstream's default for activations, averaging constant 0.01), and percentile (symmetric
 * percentiles of every value seen, which clip outliers). Cancellable between samples; reports
 * progress per sample.
 */
import type * as ortTypes from 'onnxruntime-common';
import { halfCast, halfValues } from '../model/half';
import { QuantLensError } from '../model/errors';
import { RuntimeStoppedError, type SessionFactory } from './runtime';
import { plainRuntimeStatus } from './runtime-status';
import { completeRanges, deriveRanges } from './derived-ranges';
import type { Model } from '../model/types';
import {
  augmentWithGroupedRanges,
  augmentWithRanges,
  eachRange,
  eachTail,
  exposeTensors,
  exposeTensorsForShapes,
  knownDim,
  type CalibrationSample,
  type RangeModel,
  type TensorShape,
} from './expose';
import { floatShapes } from './float-shapes';

export type ObserverKind = 'minmax' | 'moving-average' | 'percentile';

export interface Range {
  min: number;
  max: number;
}

export type { SessionFactory } from './runtime';

export interface CalibrateOptions {
  observer: ObserverKind;
  /** Percentile kept for the percentile observer (e.g. 99.99). */
  percentile?: number;
  /** Only these tensors are observed (others are skipped to save time). */
  tensors?: ReadonlySet<string>;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /** Says how ranges are taken from the next sample on: in shape groups, per tensor, or read out. */
  onMethod?: (method: CalibrationMethod, fromSample: number) => void;
  /**
   * Each sample's outputs as it ran (the model's own among them, computed anyway), before they are
   * let go: a tensor's `data` read now stays valid.
   */
  onOutputs?: (sample: number, outputs: Readonly<Record<string, ortTypes.Tensor>>) => void;
  /**
   * Reads the observed tensors out of the runtime on every sample, never reducing them in the
   * graph: a reduction's extreme of a tensor that holds -inf is -inf, where a read-out gives the
   * extent of its finite values (see {@link extent}).
   */
  readOut?: boolean;
  /**
   * The model `modelBytes` holds, read: with it, a min/max run measures only the observed tensors
   * whose ranges do not follow exactly from others' (a Relu's output from its input's: see
   * derived-ranges.ts) and computes the rest from theirs; another observer's run, only those that
   * are not the same values rearranged (a Transpose's output).
   */
  model?: Model;
  /**
   * The range session runs with onnxruntime's extended graph optimizations, which fuse a Conv,
   * Gemm or Add with the Relu or Clip after it where calibration reads nothing between them (the
   * plan's supergroups): MobileNetV2 runs 1.8x slower with its pairs apart. Off otherwise, where
   * they would fuse nothing and only slow the session's creation.
   */
  optimize?: boolean;
  /**
   * Ranges of other tensors measured before on the same model and samples (calibration-memo.ts):
   * none of them is measured again, and a min/max run derives from them as from its own.
   */
  known?: ReadonlyMap<string, Range>;
}

export type CalibrationMethod = 'grouped' | 'per-tensor' | 'read-out';

/**
 * Runs without onnxruntime's own error log: a failed run is reported in QuantLens's words, with
 * onnxruntime's message in them (CalibrationRunError).
 */
export const QUIET = { logSeverityLevel: 4 } as const;

export class CalibrationCancelled extends Error {
  constructor() {
    super('calibration was cancelled');
  }
}

/**
 * Between two long steps of a quantization (a session's creation, a run): gives the event loop a
 * turn, since a wasm run or creation resolves through microtasks only and a cancel, or a new model
 * (which stops the run), arrives as a message; then stops if it was cancelled.
 */
export async function checkpoint(signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return;
  // Not more often than every 30 ms: timers set from a timer's own task are held back 4 ms each
  // after the fifth.
  if (performance.now() - lastTurn > 30) {
    await new Promise((resolve) => setTimeout(resolve, 0));
    lastTurn = performance.now();
  }
  if (signal.aborted) throw new CalibrationCancelled();
}
let lastTurn = 0;

/**
 * onnxruntime failed to run the float model on a calibration sample. Carries what its message
 * names (the innermost failing node, its status) so the engine can say which node stopped the run,
 * where it sits, and what about the inputs to change.
 */
export class CalibrationRunError extends QuantLensError<'calibration-run'> {
  override readonly name = 'CalibrationRunError';
  constructor(
    /** Index of the sample that failed. */
    readonly sample: number,
    /** Name of the innermost node onnxruntime names, when it names one. */
    readonly node: string | undefined,
    /** onnxruntime's own status message for that node (or its whole message). */
    readonly status: string,
    problem = `onnxruntime could not run calibration sample ${sample + 1}${node ? `: node "${node}" failed (${status})` : ` (${status})`}`,
    hint = 'Check that the calibration inputs are ones the model accepts (shapes and values).',
  ) {
    super('calibration-run', problem, hint);
  }

  /** The same failure with the problem and hint put in the caller's words. */
  reworded(problem: string, hint: string): CalibrationRunError {
    return new CalibrationRunError(this.sample, this.node, this.status, problem, hint);
  }

  /** Reads onnxruntime's message: nested "Name:'X' Status Message: ..." parts, innermost last. */
  static fromRuntime(sample: number, err: unknown): CalibrationRunError {
    // onnxruntime itself stopping is not the model's failure: it goes up as it is.
    if (err instanceof RuntimeStoppedError) throw err;
    const text = err instanceof Error ? err.message : String(err);
    const names = [...text.matchAll(/Name:'([^']*)'/g)].map((m) => m[1]!);
    const cut = text.lastIndexOf('Status Message:');
    const status = plainRuntimeStatus(
      cut >= 0 ? text.slice(cut + 'Status Message:'.length) : text.replace(/^.*ERROR_MESSAGE:\s*/s, ''),
    );
    return new CalibrationRunError(sample, names[names.length - 1], status);
  }
}

interface Observer {
  observe(values: ArrayLike<number>): void;
  range(): Range | undefined;
}

/** An observer that needs only each batch's minimum and maximum (the in-graph path feeds those). */
interface ExtentObserver extends Observer {
  observeExtent(lo: number, hi: number): void;
}

class MinMaxObserver implements ExtentObserver {
  protected lo = Infinity;
  protected hi = -Infinity;
  observe(v: ArrayLike<number>) {
    const [a, b] = extent(v);
    this.observeExtent(a, b);
  }
  observeExtent(a: number, b: number) {
    if (a <= b) {
      this.lo = Math.min(this.lo, a);
      this.hi = Math.max(this.hi, b);
    }
  }
  range() {
    return this.lo <= this.hi ? { min: this.lo, max: this.hi } : undefined;
  }
}

/** torch's MovingAverageMinMaxObserver: the first batch sets the range, later ones move it by 1%. */
class MovingAverageObserver implements ExtentObserver {
  private lo = NaN;
  private hi = NaN;
  observe(v: ArrayLike<number>) {
    const [a, b] = extent(v);
    this.observeExtent(a, b);
  }
  observeExtent(a: number, b: number) {
    if (!(a <= b)) return;
    if (Number.isNaN(this.lo)) {
      this.lo = a;
      this.hi = b;
      return;
    }
    this.lo += 0.01 * (a - this.lo);
    this.hi += 0.01 * (b - this.hi);
  }
  range() {
    return Number.isNaN(this.lo) ? undefined : { min: this.lo, max: this.hi };
  }
}

/**
 * Symmetric percentiles over every value seen, exactly: only the tails can hold a percentile
 * (the 99.99th of 16 samples of 100k values is among the 161 largest), so the observer keeps the
 * `tail(n)` largest and smallest values, fed either whole tensors (read out) or their tails as the
 * graph computed them (TopK: see augmentWithGroupedRanges). `samples` is how many batches will come.
 */
class PercentileObserver implements Observer {
  /** Largest values kept, descending; smallest, ascending. */
  private top: number[] = [];
  private bottom: number[] = [];
  private count = 0;
  private keep = 1;
  constructor(
    private readonly pct: number,
    private readonly samples: number,
  ) {}
  /** How many values of a batch of `numel` each tail needs (for this many batches of that size). */
  static tail(pct: number, samples: number, numel: number): number {
    return Math.min(numel, Math.ceil(((100 - pct) / 100) * numel * Math.max(1, samples)) + 1);
  }
  observe(v: ArrayLike<number>) {
    const values = withoutNaN(v);
    const n = values.length;
    const k = PercentileObserver.tail(this.pct, this.samples, n);
    if (k * 4 >= n) {
      values.sort();
      this.observeTails(values.slice(n - k).reverse(), values.subarray(0, k), n);
      return;
    }
    // A small tail of a large tensor: partition around it (linear) and sort only the tail.
    select(values, n - k);
    const hi = values
      .slice(n - k)
      .sort()
      .reverse();
    select(values, k - 1, 0, n - k - 1);
    this.observeTails(hi, values.slice(0, k).sort(), n);
  }
  observeTails(hi: ArrayLike<number>, lo: ArrayLike<number>, numel: number) {
    if (numel === 0) return;
    this.count += numel;
    this.keep = Math.max(this.keep, PercentileObserver.tail(this.pct, this.samples, numel));
    this.top = merge(this.top, hi, this.keep, (a, b) => b - a);
    this.bottom = merge(this.bottom, lo, this.keep, (a, b) => a - b);
  }
  range() {
    if (this.count === 0 || this.top.length === 0) return undefined;
    // The value at rank round(p * (n - 1)) of all n values in ascending order, as a sort would give.
    const at = (p: number) => Math.round((p / 100) * (this.count - 1));
    const fromTop = this.count - 1 - at(this.pct);
    const fromBottom = at(100 - this.pct);
    return {
      min: this.bottom[Math.min(fromBottom, this.bottom.length - 1)]!,
      max: this.top[Math.min(fromTop, this.top.length - 1)]!,
    };
  }
}

/** A float32 copy of the values that are numbers. */
function withoutNaN(v: ArrayLike<number>): Float32Array {
  const out = new Float32Array(v.length);
  let n = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (x === x) out[n++] = x;
  }
  return out.subarray(0, n);
}

/**
 * Partially orders `a[lo..hi]` so that `a[k]` holds the value a sort would put there, smaller or
 * equal values before it and larger or equal after it (quickselect, median of three).
 */
function select(a: Float32Array, k: number, lo = 0, hi = a.length - 1): void {
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    // Median of three as the pivot, which keeps sorted and constant runs linear.
    const x = a[lo]!;
    const y = a[mid]!;
    const z = a[hi]!;
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

/** The first `keep` values of two lists in `order`, NaN dropped. */
function merge(a: number[], b: ArrayLike<number>, keep: number, order: (x: number, y: number) => number): number[] {
  const all = a.slice();
  for (let i = 0; i < b.length; i++) if (!Number.isNaN(b[i]!)) all.push(b[i]!);
  return all.sort(order).slice(0, keep);
}

/**
 * The least and greatest finite values of `v` (an empty extent, lo > hi, when none): an
 * encoding cannot hold ±inf, and an attention mask's -inf would otherwise take the whole range.
 */
function extent(v: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (x < lo && x !== -Infinity) lo = x;
    if (x > hi && x !== Infinity) hi = x;
  }
  return [lo, hi];
}

function makeObserver(options: CalibrateOptions, samples: number): Observer {
  if (options.observer === 'moving-average') return new MovingAverageObserver();
  if (options.observer === 'percentile') return new PercentileObserver(options.percentile ?? 99.99, samples);
  return new MinMaxObserver();
}

function floatData(t: ortTypes.Tensor): ArrayLike<number> | undefined {
  if (t.type === 'float32') return t.data as Float32Array;
  if (t.type === 'float16') return halfValues(t.data);
  return undefined;
}

/**
 * What the per-tensor fallback and the read-out cost, measured with onnxruntime-web in Node on a
 * 10k-node decoder (250 to 8,075 observed tensors, 4 KB each) and PP-OCRv4's recogniser (372
 * tensors, 134 MB a sample); Chromium is slower at both alike. Seconds.
 */
const COST = {
  /** Creating the per-tensor model's session, beyond a plain one: per observed tensor. */
  perTensorSession: 0.6e-3,
  /** Running it, beyond a plain run: per observed tensor and sample (its four nodes). */
  perTensorRun: 5e-6,
  /** Reading the tensors out, beyond a plain run: per byte and sample (copy out, scan)... */
  readOutByte: 5e-9,
  /** ...and per tensor and sample (one output each). */
  readOutTensor: 2e-6,
} as const;

/**
 * Whether one reduction pair per tensor (augmentWithRanges) finishes the `samplesLeft` samples
 * sooner than reading the `tensors` observed tensors (`bytes` a sample) out of the runtime. Its
 * session costs more to create the more tensors there are, and saves the more a sample the more
 * bytes they hold: on a 10k-node decoder (8,075 tensors, 32 MB) it pays after about 35 samples;
 * on PP-OCRv4's recogniser (372 tensors, 134 MB) after one. `readOutSessionMs`: the read-out's
 * session is in hand already (the per-tensor one is created on top: about as long again, plus its
 * nodes' share); else either needs a session of its own.
 */
export function perTensorPays(tensors: number, bytes: number, samplesLeft: number, readOutSessionMs?: number): boolean {
  const create = tensors * COST.perTensorSession + (readOutSessionMs ?? 0) / 1000;
  const perTensor = create + samplesLeft * tensors * COST.perTensorRun;
  const readOut = samplesLeft * (bytes * COST.readOutByte + tensors * COST.readOutTensor);
  return perTensor < readOut;
}

/**
 * The bytes a sample gives the tensors of `shapes`, those of unknown size counted at the mean of
 * the others; undefined when no size is known.
 */
function observedBytes(shapes: ReadonlyMap<string, TensorShape>): number | undefined {
  let known = 0;
  let bytes = 0;
  for (const t of shapes.values()) {
    if (!t.dims) continue;
    known++;
    bytes += t.dims.reduce((a, b) => a * b, 1) * (t.type === 'float16' ? 2 : 4);
  }
  return known ? (bytes * shapes.size) / known : undefined;
}

/**
 * Whether reducing the tensors of `shapes` in the graph from the first of `samples` samples on
 * finishes sooner than reading the first one out: always with more samples than one; with one,
 * when the read-out costs more than a session like the one in hand (`sessionMs`), which the grouped
 * model needs. IS-Net at 1024x1024 in float16: one sample read out took 41 s (2 GB of activations
 * copied and widened), reduced in the graph 9 s.
 */
function inGraphPays(shapes: ReadonlyMap<string, TensorShape>, samples: number, sessionMs: number): boolean {
  if (samples > 1) return true;
  const bytes = observedBytes(shapes) ?? 0;
  return (bytes * COST.readOutByte + shapes.size * COST.readOutTensor) * 1000 > sessionMs;
}

/** Observed tensors of unknown size that let ranges start in the graph whatever their share. */
const MAX_UNSIZED = 8;

/**
 * What onnxruntime inferred of the observed float tensors among the session's outputs when it
 * created the session: each one's shape, with its dims where it knew every one (a group by shape
 * takes them) and without where it did not (each is reduced on its own), and the first dimensions
 * it knew. No dimensions at all reads the same for a scalar and for a rank it could not infer.
 */
function inferredOutputs(session: ortTypes.InferenceSession, want: (name: string) => boolean) {
  const shapes = new Map<string, TensorShape>();
  const firstDims = new Map<string, number>();
  for (const m of session.outputMetadata ?? []) {
    if (!m.isTensor || !want(m.name) || (m.type !== 'float32' && m.type !== 'float16')) continue;
    if (knownDim(m.shape[0])) firstDims.set(m.name, m.shape[0]);
    const dims = m.shape.length > 0 && m.shape.every(knownDim) ? (m.shape as number[]) : undefined;
    shapes.set(m.name, { dims, type: m.type, firstDimFixed: dims !== undefined });
  }
  return { shapes, firstDims };
}

/**
 * The sizes and types of the observed float tensors that `model`'s nodes make, worked out from the
 * graph for the samples (static-shapes.ts), as {@link inferredOutputs} gives onnxruntime's;
 * undefined unless every one is sized and typed float32 or float16 (onnxruntime is asked then).
 */
function graphShapes(model: Model, tensors: ReadonlySet<string>, samples: readonly CalibrationSample[]) {
  const made = model.graph.nodes.flatMap((n) => n.outputs.filter((o) => o && tensors.has(o)));
  const known = floatShapes(model, samples, made);
  if (!known) return undefined;
  const shapes = new Map<string, TensorShape>();
  const firstDims = new Map<string, number>();
  for (const [name, { dims, type }] of known) {
    shapes.set(name, { dims, type, firstDimFixed: true });
    if (dims.length) firstDims.set(name, dims[0]!);
  }
  return { shapes, firstDims };
}

/**
 * What a session with constant folding (onnxruntime's basic optimizations) infers of the observed
 * tensors, at the samples' sizes; undefined when the runtime refuses it. Never run.
 */
async function foldedShapes(
  modelBytes: Uint8Array,
  tensors: ReadonlySet<string>,
  samples: readonly CalibrationSample[],
  createSession: SessionFactory,
  want: (name: string) => boolean,
) {
  const exposed = exposeTensorsForShapes(modelBytes, tensors, samples);
  let session: ortTypes.InferenceSession;
  try {
    session = await createSession(exposed.bytes, {
      graphOptimizationLevel: 'basic',
      freeDimensionOverrides: exposed.freeDimensionOverrides,
      handOver: true,
    });
  } catch (err) {
    if (err instanceof RuntimeStoppedError) throw err;
    return undefined;
  }
  try {
    return inferredOutputs(session, want);
  } finally {
    await session.release();
  }
}

/**
 * Observed ranges of float tensors (graph inputs and node outputs) over the samples. With
 * `tensors` given and a min/max observer, ranges are computed inside the graph, on a model that
 * reduces tensors of one shape together (augmentWithGroupedRanges), so a sample costs about one
 * plain inference. The groups need the tensors' sizes: worked out from the graph when `model` is
 * given and its ops allow (static-shapes.ts), else inferred by onnxruntime as it creates a session
 * with the tensors as outputs, else read out of that session's run of the first sample. When
 * shapes change between samples, or the grouped model cannot be built, a
 * ReduceMin/ReduceMax pair per tensor takes over (augmentWithRanges) where it finishes the
 * samples left sooner than reading the tensors out (perTensorPays), and the tensors are read out
 * otherwise. The percentile observer takes each tensor's tails the same way (TopK of its shape
 * group: the values a percentile can fall on), which gives the exact percentile of every value
 * seen; a sample of another size than the first, or a model the grouped augmentation cannot
 * take, is read out.
 */
export async function calibrate(
  modelBytes: Uint8Array,
  samples: readonly CalibrationSample[],
  createSession: SessionFactory,
  options: CalibrateOptions,
): Promise<Map<string, Range>> {
  if (!options.model || !options.tensors || options.readOut)
    return measure(modelBytes, samples, createSession, {
      ...options,
      tensors:
        options.known && options.tensors
          ? new Set([...options.tensors].filter((t) => !options.known!.has(t)))
          : options.tensors,
    });
  const known = options.known ?? new Map<string, Range>();
  const derivation = deriveRanges(options.model, new Set([...options.tensors, ...known.keys()]), {
    sameValues: options.observer !== 'minmax',
  });
  const unknown = new Set([...derivation.measure].filter((t) => !known.has(t)));
  // Nothing left to measure of what a memo did not give: no run, unless the caller wants the
  // samples' outputs.
  const ranges =
    unknown.size || options.onOutputs || !options.known
      ? await measure(modelBytes, samples, createSession, { ...options, tensors: unknown })
      : new Map<string, Range>();
  for (const [t, r] of known) if (!ranges.has(t)) ranges.set(t, r);
  completeRanges(derivation, ranges);
  return ranges;
}

/** {@link calibrate}, every tensor of `options.tensors` measured. */
async function measure(
  modelBytes: Uint8Array,
  samples: readonly CalibrationSample[],
  createSession: SessionFactory,
  options: CalibrateOptions,
): Promise<Map<string, Range>> {
  const observers = new Map<string, Observer>();
  const inGraph = options.tensors !== undefined && !options.readOut;
  const percentile = options.observer === 'percentile' ? (options.percentile ?? 99.99) : undefined;
  // The percentile observer takes each tensor's tails from the graph (TopK); it has no per-tensor
  // path, so where the grouped one fails it reads tensors out.
  const tails =
    percentile === undefined
      ? undefined
      : (numel: number) => PercentileObserver.tail(percentile, samples.length, numel);
  const want = (name: string) => !options.tensors || options.tensors.has(name);
  const observer = (name: string) => {
    let o = observers.get(name);
    if (!o) {
      o = makeObserver(options, samples.length);
      observers.set(name, o);
    }
    return o;
  };
  const feed = (name: string, t: ortTypes.Tensor) => {
    if (!want(name)) return;
    const data = floatData(t);
    if (data) observer(name).observe(data);
  };
  // The float graph as written: graph optimizations would only slow the session's creation
  // (about 30% on a 10k-node decoder) for a model that runs a handful of times.
  const plain = { graphOptimizationLevel: 'disabled' } as const;
  /** A session on the range-augmented model, or undefined when the runtime refuses it. */
  const rangeSession = async (augmented: RangeModel | undefined) => {
    if (!augmented) return undefined;
    try {
      const level = options.optimize ? ({ graphOptimizationLevel: 'extended' } as const) : plain;
      return {
        augmented,
        // Handed over only when written for it: a model with nothing to add is the caller's own
        // bytes, which the page's runtime would take from it (the export then read an empty model).
        session: await createSession(augmented.bytes, {
          ...level,
          handOver: augmented.bytes !== modelBytes,
          reuseMemory: true,
        }),
      };
    } catch (err) {
      if (err instanceof RuntimeStoppedError) throw err;
      // An observed tensor the runtime cannot reduce or concatenate (an integer one the model never
      // typed): another way is taken.
      return undefined;
    }
  };
  const shapes = new Map<string, TensorShape>();
  // The observed tensors the first sample showed to be float: the only ones a reduction can take.
  let floats: Set<string> | undefined;
  let ranged: { augmented: RangeModel; session: ortTypes.InferenceSession } | undefined;
  // The observed tensors' sizes from the graph itself, when it gives every one: the grouped model
  // is then built at once, and no session is created only to ask onnxruntime for them (which cost
  // a 10k-node decoder 1.2-2.4 s of its calibration).
  const known = inGraph && options.model ? graphShapes(options.model, options.tensors!, samples) : undefined;
  await checkpoint(options.signal);
  if (known) ranged = await rangeSession(augmentWithGroupedRanges(modelBytes, known.shapes, tails, true));
  let session: ortTypes.InferenceSession | undefined;
  let sessionMs = 0;
  let inferred: ReturnType<typeof inferredOutputs> | undefined;
  let inputsSized = false;
  if (ranged) inferred = known;
  else {
    // In-graph ranges start from the observed tensors as outputs, with the inputs' named dimensions
    // set to the samples' sizes: onnxruntime then says which first dimensions are fixed before the
    // first run (see augmentWithGroupedRanges).
    const exposed = inGraph
      ? exposeTensorsForShapes(modelBytes, options.tensors!, samples)
      : {
          bytes: exposeTensors(modelBytes, options.readOut ? options.tensors : undefined),
          freeDimensionOverrides: {},
          inputsSized: false,
        };
    inputsSized = exposed.inputsSized;
    await checkpoint(options.signal);
    const creating = performance.now();
    session = await createSession(
      exposed.bytes,
      inGraph
        ? { ...plain, freeDimensionOverrides: exposed.freeDimensionOverrides, handOver: true }
        : { handOver: true },
    );
    sessionMs = performance.now() - creating;
    inferred = inGraph ? inferredOutputs(session, want) : undefined;
  }
  // For min/max, what onnxruntime inferred as it created the session is enough to reduce in the
  // graph from the first sample on: the read-out of every observed tensor is left out (PP-OCRv4's
  // recogniser: 134 MB copied out of the runtime and scanned, 0.6-0.9 s in Node, 1.6 s in Chromium).
  // Tensors whose size it could not tell (named dimensions the samples size differently, values
  // that decide a length; scalars read the same as an unknown rank) are each reduced on their own,
  // some microseconds per sample each: when they are many, the first sample's read-out, which
  // groups them by the sizes it gives, is worth its cost. The percentile observer's tails need
  // every size (their length follows it): with each one inferred, they are taken in the graph from
  // the first sample on too (a sample of other sizes is seen and read out, below).
  const unsizedIn = (i: NonNullable<typeof inferred>) => [...i.shapes.values()].filter((t) => !t.dims).length;
  const sizedEnough = (i: NonNullable<typeof inferred>) =>
    tails ? unsizedIn(i) === 0 : unsizedIn(i) <= Math.max(MAX_UNSIZED, i.shapes.size * 0.3);
  try {
    await checkpoint(options.signal);
    // Without graph optimizations onnxruntime infers no size past a shape the graph computes
    // (paddle2onnx's Shape → Gather → Concat → Reshape): with every input's size fixed, a session
    // that folds constants knows them (PP-OCRv4's recogniser: 99 of its 372 observed tensors). It
    // is created only to be asked, and only when its answer saves the first sample's read-out.
    if (!ranged && inferred && samples.length > 1 && !sizedEnough(inferred) && inputsSized) {
      const folded = await foldedShapes(modelBytes, options.tensors!, samples, createSession, want);
      if (folded && unsizedIn(folded) < unsizedIn(inferred)) inferred = folded;
      await checkpoint(options.signal);
    }
  } catch (err) {
    await (ranged?.session ?? session)?.release();
    throw err;
  }
  // The observed float16 tensors.
  const half = new Set<string>();
  for (const [name, t] of inferred?.shapes ?? []) if (t.type === 'float16') half.add(name);
  let method = 'read-out' as CalibrationMethod;
  const use = (next: CalibrationMethod, fromSample: number) => {
    method = next;
    options.onMethod?.(next, fromSample);
  };
  if (ranged && inferred) {
    floats = new Set(inferred.shapes.keys());
    if (tails) for (const [name, t] of inferred.shapes) shapes.set(name, t);
    use('grouped', 0);
  } else if (inferred && sizedEnough(inferred) && inGraphPays(inferred.shapes, samples.length, sessionMs)) {
    floats = new Set(inferred.shapes.keys());
    ranged = await rangeSession(augmentWithGroupedRanges(modelBytes, inferred.shapes, tails));
    if (ranged) {
      if (tails) for (const [name, t] of inferred.shapes) shapes.set(name, t);
      await session!.release();
      session = undefined;
      use('grouped', 0);
    }
  }
  if (!ranged) use('read-out', 0);
  /** Leaves the range session from sample `from` on: for `next` when given and taken, else reading tensors out. */
  const leaveRanged = async (from: number, next: RangeModel | undefined) => {
    await ranged!.session.release();
    ranged = await rangeSession(next);
    if (!ranged)
      session = await createSession(exposeTensors(modelBytes, options.tensors), { ...plain, handOver: true });
    use(ranged ? 'per-tensor' : 'read-out', from);
  };
  let retry = false;
  try {
    for (let i = 0; i < samples.length; i++) {
      // A cancel (or a new model, which stops the run) is seen within a sample or two.
      await checkpoint(options.signal);
      const sample = samples[i]!;
      if (!retry) for (const [name, t] of Object.entries(sample)) feed(name, t as ortTypes.Tensor);
      retry = false;
      if (ranged) {
        let outputs: Record<string, ortTypes.Tensor> | undefined;
        try {
          outputs = await ranged.session.run(sample as Record<string, ortTypes.Tensor>, QUIET);
        } catch (err) {
          if (method !== 'grouped' || err instanceof RuntimeStoppedError) throw CalibrationRunError.fromRuntime(i, err);
          // The shapes changed from the first sample's: one reduction pair per tensor from here on
          // (the percentile observer has no such path: it reads tensors out). Unless reading them
          // out finishes the samples left sooner (many small tensors, few samples).
          const observed = floats ?? options.tensors!;
          const bytes = observedBytes(shapes.size ? shapes : (inferred?.shapes ?? shapes));
          const perTensor = !tails && (bytes === undefined || perTensorPays(observed.size, bytes, samples.length - i));
          await leaveRanged(i, perTensor ? augmentWithRanges(modelBytes, observed) : undefined);
          retry = true;
          i--;
          continue;
        }
        const { augmented } = ranged;
        if (augmented.tails) {
          const data = floatData(outputs[augmented.ranges]!) as Float32Array;
          // A sample of another size needs longer tails than the graph takes: read it out instead.
          let resized = false;
          eachTail(augmented, data, (tensor, _his, _los, numel) => {
            if (numel !== shapes.get(tensor)!.dims!.reduce((a, b) => a * b, 1)) resized = true;
          });
          if (resized) {
            for (const t of Object.values(outputs)) t.dispose();
            await leaveRanged(i, undefined);
            retry = true;
            i--;
            continue;
          }
          eachTail(augmented, data, (tensor, his, los, numel) =>
            (observer(tensor) as PercentileObserver).observeTails(his, los, numel),
          );
          options.onOutputs?.(i, outputs);
          for (const t of Object.values(outputs)) t.dispose();
          options.onProgress?.(i + 1, samples.length);
          continue;
        }
        if (augmented.tensors.length)
          eachRange(augmented, floatData(outputs[augmented.ranges]!)!, (tensor, lo, hi) => {
            // A float16 tensor's extremes are float16s: onnxruntime, which reduces float16 in
            // float32, may have dropped the cast before the reduction (a Conv's float32 output, not
            // yet rounded), and where it did depends on the rest of the graph.
            const as = half.has(tensor) ? halfCast : Number;
            (observer(tensor) as ExtentObserver).observeExtent(as(lo), as(hi));
          });
        options.onOutputs?.(i, outputs);
        for (const t of Object.values(outputs)) t.dispose();
      } else {
        let outputs: Record<string, ortTypes.Tensor>;
        try {
          outputs = await session!.run(sample as Record<string, ortTypes.Tensor>, QUIET);
        } catch (err) {
          // The float model itself (with outputs added) fails on this sample: say which node.
          throw CalibrationRunError.fromRuntime(i, err);
        }
        for (const [name, t] of Object.entries(outputs)) {
          feed(name, t);
          if (inGraph && i === 0 && want(name) && (t.type === 'float32' || t.type === 'float16')) {
            const first = inferred?.firstDims.get(name);
            const firstDimFixed = first !== undefined && first === t.dims[0];
            shapes.set(name, { dims: t.dims, type: t.type, firstDimFixed });
            if (t.type === 'float16') half.add(name);
          }
        }
        options.onOutputs?.(i, outputs);
        for (const t of Object.values(outputs)) t.dispose();
        if (inGraph && i === 0 && samples.length > 1) {
          // The first sample gave the shapes: the rest run with ranges computed in the graph.
          // (Each step here holds the thread for a while on a large model: a cancel, or a new
          // model, is looked for between them.)
          await checkpoint(options.signal);
          floats = new Set(shapes.keys());
          const grouped = augmentWithGroupedRanges(modelBytes, shapes, tails);
          await checkpoint(options.signal);
          ranged = await rangeSession(grouped);
          let next: CalibrationMethod = 'grouped';
          // Else one reduction pair per tensor, when it finishes the samples left sooner than
          // reading them out with the session in hand.
          if (
            !ranged &&
            !tails &&
            perTensorPays(floats.size, observedBytes(shapes) ?? 0, samples.length - 1, sessionMs)
          ) {
            next = 'per-tensor';
            ranged = await rangeSession(augmentWithRanges(modelBytes, floats));
          }
          if (ranged) {
            await session!.release();
            session = undefined;
            use(next, 1);
          }
          await checkpoint(options.signal);
        }
      }
      options.onProgress?.(i + 1, samples.length);
    }
  } finally {
    if (ranged) await ranged.session.release();
    else await session?.release();
  }
  const ranges = new Map<string, Range>();
  for (const [name, o] of observers) {
    const r = o.range();
    if (r) ranges.set(name, r);
  }
  return ranges;
}
