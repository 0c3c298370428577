/**
 * Calibration: runs the float model on sample inputs with every intermediate tensor exposed as an
 * output, and feeds each float tensor to an observer. Observers: min/max, moving-average min/max
 * (upstream's default for activations, averaging constant 0.01), and percentile (a histogram
 * that clips outliers). Cancellable between samples; reports progress per sample.
 */
import type * as ortTypes from 'onnxruntime-common';
import { halfToFloat } from '../model/tensor-values';
import { augmentWithRanges, exposeTensors, type CalibrationSample } from './expose';

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
}

export class CalibrationCancelled extends Error {
  constructor() {
    super('calibration was cancelled');
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
 * `tensors` given and a min/max observer, the ranges are computed inside the graph (a ReduceMin
 * and a ReduceMax per tensor), so a sample costs about one plain inference; the percentile
 * observer needs the values and gets the listed tensors (or every node output) as outputs.
 */
export async function calibrate(
  modelBytes: Uint8Array,
  samples: readonly CalibrationSample[],
  createSession: SessionFactory,
  options: CalibrateOptions,
): Promise<Map<string, Range>> {
  const observers = new Map<string, Observer>();
  const inGraph = options.tensors !== undefined && options.observer !== 'percentile';
  // Below opset 6 the augmentation cannot be written: read the tensors out instead.
  let augmented = inGraph ? augmentWithRanges(modelBytes, options.tensors!) : undefined;
  let session: ortTypes.InferenceSession | undefined;
  if (augmented) {
    try {
      // The float graph as written: graph optimizations would only slow the session's creation
      // (about 30% on a 10k-node decoder) for a model that runs a handful of times.
      session = await createSession(augmented.bytes, { graphOptimizationLevel: 'disabled' });
    } catch {
      // An observed tensor the runtime cannot reduce or concatenate (an integer one the model never
      // typed): read the tensors out instead, as slowly as that is.
      augmented = undefined;
    }
  }
  session ??= await createSession(exposeTensors(modelBytes, options.tensors));
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
  let lastYield = performance.now();
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
      for (const [name, t] of Object.entries(sample)) feed(name, t as ortTypes.Tensor);
      const outputs = await session.run(sample as Record<string, ortTypes.Tensor>);
      if (augmented) {
        const lo = augmented.tensors.length ? floatData(outputs[augmented.mins]!) : undefined;
        const hi = augmented.tensors.length ? floatData(outputs[augmented.maxs]!) : undefined;
        augmented.tensors.forEach((tensor, k) =>
          (observer(tensor) as ExtentObserver).observeExtent(Number(lo![k]), Number(hi![k])),
        );
      } else for (const [name, t] of Object.entries(outputs)) feed(name, t);
      for (const t of Object.values(outputs)) t.dispose();
      options.onProgress?.(i + 1, samples.length);
    }
  } finally {
    await session.release();
  }
  const ranges = new Map<string, Range>();
  for (const [name, o] of observers) {
    const r = o.range();
    if (r) ranges.set(name, r);
  }
  return ranges;
}
