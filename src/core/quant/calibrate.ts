/**
 * Calibration: runs the float model on sample inputs with every intermediate tensor exposed as an
 * output, and feeds each float tensor to an observer. Observers: min/max, moving-average min/max
 * (upstream's default for activations, averaging constant 0.01), and percentile (a histogram
 * that clips outliers). Cancellable between samples; reports progress per sample.
 */
import type * as ortTypes from 'onnxruntime-common';
import { halfToFloat } from '../model/tensor-values';
import { QuantLensError } from '../model/errors';
import {
  augmentWithGroupedRanges,
  augmentWithRanges,
  exposeTensors,
  type CalibrationSample,
  type RangeModel,
  type TensorShape,
} from './expose';

export type ObserverKind = 'minmax' | 'moving-average' | 'percentile';

export interface Range {
  min: number;
  max: number;
}

/** Creates an inference session from model bytes (onnxruntime-web in a worker or in Node). */
export type SessionFactory = (
  bytes: Uint8Array,
  options?: { graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all' },
) => Promise<ortTypes.InferenceSession>;

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
}

export type CalibrationMethod = 'grouped' | 'per-tensor' | 'read-out';

export class CalibrationCancelled extends Error {
  constructor() {
    super('calibration was cancelled');
  }
}

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
    const text = err instanceof Error ? err.message : String(err);
    const names = [...text.matchAll(/Name:'([^']*)'/g)].map((m) => m[1]!);
    const cut = text.lastIndexOf('Status Message:');
    const status = (cut >= 0 ? text.slice(cut + 'Status Message:'.length) : text.replace(/^.*ERROR_MESSAGE:\s*/s, ''))
      .trim()
      .replace(/\.$/, '');
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

/** Keeps a sample of values and takes symmetric percentiles of it: outliers do not stretch the range. */
class PercentileObserver implements Observer {
  private readonly kept: number[] = [];
  private seen = 0;
  constructor(
    private readonly pct: number,
    private readonly cap = 200_000,
  ) {}
  observe(v: ArrayLike<number>) {
    const stride = Math.max(1, Math.floor(v.length / 20_000));
    for (let i = 0; i < v.length; i += stride) {
      const x = v[i]!;
      if (Number.isNaN(x)) continue;
      this.seen++;
      if (this.kept.length < this.cap) this.kept.push(x);
      else {
        // Reservoir sampling keeps an unbiased sample whatever the number of batches.
        const j = Math.floor(pseudoRandom(this.seen) * this.seen);
        if (j < this.cap) this.kept[j] = x;
      }
    }
  }
  range() {
    if (this.kept.length === 0) return undefined;
    const sorted = Float64Array.from(this.kept).sort();
    const q = (p: number) =>
      sorted[Math.min(sorted.length - 1, Math.max(0, Math.round((p / 100) * (sorted.length - 1))))]!;
    return { min: q(100 - this.pct), max: q(this.pct) };
  }
}

function pseudoRandom(n: number): number {
  const x = Math.sin(n * 12.9898) * 43758.5453;
  return x - Math.floor(x);
}

function extent(v: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  return [lo, hi];
}

function makeObserver(options: CalibrateOptions): Observer {
  if (options.observer === 'moving-average') return new MovingAverageObserver();
  if (options.observer === 'percentile') return new PercentileObserver(options.percentile ?? 99.99);
  return new MinMaxObserver();
}

function floatData(t: ortTypes.Tensor): ArrayLike<number> | undefined {
  if (t.type === 'float32') return t.data as Float32Array;
  if (t.type === 'float16') {
    const d = t.data as unknown;
    if (d instanceof Uint16Array) return Float32Array.from(d, halfToFloat);
    return d as ArrayLike<number>;
  }
  return undefined;
}

/**
 * Observed ranges of float tensors (graph inputs and node outputs) over the samples. With
 * `tensors` given and a min/max observer, ranges are computed inside the graph: the first sample
 * runs with the listed tensors as outputs, which gives their shapes; the rest run on a model that
 * reduces tensors of one shape together (augmentWithGroupedRanges), so a sample costs about one
 * plain inference. When shapes change between samples, or the grouped model cannot be built, a
 * ReduceMin/ReduceMax pair per tensor takes over (augmentWithRanges), and failing that the tensors
 * are read out. The percentile observer needs the values and reads the tensors out throughout.
 */
export async function calibrate(
  modelBytes: Uint8Array,
  samples: readonly CalibrationSample[],
  createSession: SessionFactory,
  options: CalibrateOptions,
): Promise<Map<string, Range>> {
  const observers = new Map<string, Observer>();
  const inGraph = options.tensors !== undefined && options.observer !== 'percentile';
  const want = (name: string) => !options.tensors || options.tensors.has(name);
  const observer = (name: string) => {
    let o = observers.get(name);
    if (!o) {
      o = makeObserver(options);
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
      return { augmented, session: await createSession(augmented.bytes, plain) };
    } catch {
      // An observed tensor the runtime cannot reduce or concatenate (an integer one the model never
      // typed): another way is taken.
      return undefined;
    }
  };
  const shapes = new Map<string, TensorShape>();
  // The observed tensors the first sample showed to be float: the only ones a reduction can take.
  let floats: Set<string> | undefined;
  let ranged: { augmented: RangeModel; session: ortTypes.InferenceSession } | undefined;
  let session = await createSession(exposeTensors(modelBytes, options.tensors), inGraph ? plain : undefined);
  let method = 'read-out' as CalibrationMethod;
  const use = (next: CalibrationMethod, fromSample: number) => {
    method = next;
    options.onMethod?.(next, fromSample);
  };
  use('read-out', 0);
  let lastYield = performance.now();
  let retry = false;
  try {
    for (let i = 0; i < samples.length; i++) {
      // A wasm run resolves through microtasks only; give the event loop a turn now and then so
      // a cancel message (a macrotask) is seen within a sample or two.
      if (performance.now() - lastYield > 30) {
        await new Promise((resolve) => setTimeout(resolve, 0));
        lastYield = performance.now();
      }
      if (options.signal?.aborted) throw new CalibrationCancelled();
      const sample = samples[i]!;
      if (!retry) for (const [name, t] of Object.entries(sample)) feed(name, t as ortTypes.Tensor);
      retry = false;
      if (ranged) {
        let outputs: Record<string, ortTypes.Tensor> | undefined;
        try {
          outputs = await ranged.session.run(sample as Record<string, ortTypes.Tensor>);
        } catch (err) {
          if (method !== 'grouped') throw CalibrationRunError.fromRuntime(i, err);
          // The shapes changed from the first sample's: one reduction pair per tensor from here on.
          await ranged.session.release();
          ranged = await rangeSession(augmentWithRanges(modelBytes, floats ?? options.tensors!));
          if (!ranged) session = await createSession(exposeTensors(modelBytes, options.tensors), plain);
          use(ranged ? 'per-tensor' : 'read-out', i);
          retry = true;
          i--;
          continue;
        }
        const { augmented } = ranged;
        const lo = augmented.tensors.length ? floatData(outputs[augmented.mins]!) : undefined;
        const hi = augmented.tensors.length ? floatData(outputs[augmented.maxs]!) : undefined;
        augmented.tensors.forEach((tensor, k) =>
          (observer(tensor) as ExtentObserver).observeExtent(Number(lo![k]), Number(hi![k])),
        );
        for (const t of Object.values(outputs)) t.dispose();
      } else {
        let outputs: Record<string, ortTypes.Tensor>;
        try {
          outputs = await session.run(sample as Record<string, ortTypes.Tensor>);
        } catch (err) {
          // The float model itself (with outputs added) fails on this sample: say which node.
          throw CalibrationRunError.fromRuntime(i, err);
        }
        for (const [name, t] of Object.entries(outputs)) {
          feed(name, t);
          if (inGraph && i === 0 && want(name) && (t.type === 'float32' || t.type === 'float16'))
            shapes.set(name, { dims: t.dims, type: t.type });
        }
        for (const t of Object.values(outputs)) t.dispose();
        if (inGraph && i === 0 && samples.length > 1) {
          // The first sample gave the shapes: the rest run with ranges computed in the graph.
          floats = new Set(shapes.keys());
          ranged = await rangeSession(augmentWithGroupedRanges(modelBytes, shapes));
          let next: CalibrationMethod = 'grouped';
          if (!ranged) {
            next = 'per-tensor';
            ranged = await rangeSession(augmentWithRanges(modelBytes, floats));
          }
          if (ranged) {
            await session.release();
            use(next, 1);
          }
        }
      }
      options.onProgress?.(i + 1, samples.length);
    }
  } finally {
    if (ranged) await ranged.session.release();
    else await session.release();
  }
  const ranges = new Map<string, Range>();
  for (const [name, o] of observers) {
    const r = o.range();
    if (r) ranges.set(name, r);
  }
  return ranges;
}
