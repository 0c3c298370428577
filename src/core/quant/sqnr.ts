/** Signal-to-quantization-noise ratio between float and quantized outputs, in dB. */
import type * as ortTypes from 'onnxruntime-common';
import { CalibrationRunError, checkpoint, type SessionFactory } from './calibrate';
import { exposeTensors, type CalibrationSample } from './expose';
import { halfValues } from '../model/half';
import { QuantLensError } from '../model/errors';
import { RuntimeStoppedError } from './runtime';
import { sessionRefusalText } from './runtime-status';
import type { Selection } from './selection';

export function sqnrDb(reference: ArrayLike<number>, test: ArrayLike<number>): number {
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < reference.length; i++) {
    const r = reference[i]!;
    const d = r - test[i]!;
    signal += r * r;
    noise += d * d;
  }
  return ratioDb(signal, noise);
}

/**
 * An output's values as numbers, or undefined for non-numeric ones (strings, 64-bit integers):
 * onnxruntime hands a float16 output over as its raw bit patterns (a Uint16Array), which are
 * decoded here (compared as they came, a float16 model's SQNR read 75 dB where it is 49).
 */
export function outputNumbers(t: { type: string; data: unknown } | undefined): ArrayLike<number> | undefined {
  const data = t?.data;
  if (!data || typeof data === 'string' || data instanceof BigInt64Array || data instanceof BigUint64Array) return;
  if (Array.isArray(data) && typeof data[0] !== 'number') return;
  if (t.type === 'float16') return halfValues(data);
  return data as ArrayLike<number>;
}

/** One output's SQNR over the samples. */
export interface OutputSqnr {
  output: string;
  db: number;
  /** The float output over the samples: its extent (finite values) and root mean square. */
  range?: { min: number; max: number };
  rms?: number;
  /**
   * Set when the output's RMS is a few steps of its encoding or less: rounding to that step alone
   * keeps the figure near `idealDb` (uniform rounding noise, step²/12 a value), so it describes
   * the samples more than the model (a detector's Sigmoid at its fixed 8-bit scale, 1/256, on
   * random images whose scores stay near 0).
   */
  coarse?: {
    scale: number;
    dtype: string;
    steps: number;
    idealDb: number;
    fixedFor?: string;
    /**
     * The tensor whose encoding it is, when not the output's own: a fixed one the output is taken
     * from through ops that keep or average its values (Silero VAD's Sigmoid at 1/256, then a
     * ReduceMean whose own encoding is calibrated to the small mean).
     */
    from?: string;
  };
  /**
   * The first sample on which the quantized output holds another number of values than the float
   * one (a detector's boxes: quantization changed what passed a threshold): `db` is NaN then, as
   * the two cannot be compared value by value.
   */
  sizes?: OutputSizes;
  /**
   * Set when the output follows a selection made on its values (selection.ts): the selecting nodes,
   * and the SQNR of the values they select from, which quantization changes before anything is
   * selected. `db` is over all those tensors (signal and noise summed over them and the samples),
   * absent when none could be compared; `lowest` is the tensor with the lowest figure.
   */
  selection?: SelectionSqnr;
}

export interface SelectionSqnr {
  selections: Selection[];
  /** Source tensors compared (float values of the same size in both models on every sample). */
  tensors: number;
  db?: number;
  lowest?: { tensor: string; db: number };
}

/** The element counts of one output, float and quantized, on the first sample where they differ (0-based). */
export interface OutputSizes {
  sample: number;
  float: number;
  quantized: number;
}

/** SQNR per model output over all samples (signal and noise summed over samples). */
export async function outputSqnr(
  floatBytes: Uint8Array,
  quantBytes: Uint8Array,
  samples: readonly CalibrationSample[],
  createSession: SessionFactory,
  /** Stops the runs between samples (CalibrationCancelled), as calibration does. */
  signal?: AbortSignal,
  /**
   * The float model's outputs on each sample, when calibration kept them (its runs compute them
   * anyway): the float model is then not run again.
   */
  reference?: readonly (Readonly<Record<string, ArrayLike<number>>> | undefined)[],
  /**
   * The size every sample gives each named dimension of the inputs (sampleDimSizes): both sessions
   * are planned for them. Unknown, onnxruntime took 0.4-0.7 s to create the session of PP-OCRv4's
   * recogniser's export (dynamic batch and width), 0.07-0.09 s with them.
   */
  freeDimensionOverrides: Record<string, number> = {},
): Promise<OutputSqnr[]> {
  const given = reference && samples.every((_, k) => reference[k]) ? reference : undefined;
  const a = given ? undefined : await createSession(floatBytes, { freeDimensionOverrides });
  // The QDQ graph as written (graph optimizations off): each op computes in float between its
  // DequantizeLinear and QuantizeLinear, which is what the encodings mean and what the NPU
  // approximates. With onnxruntime's default optimizations its CPU integer kernels ran instead:
  // its QLinearSoftmax saturated every output of a uint8 Softmax whose scale is not 1/256 (a
  // bilinear segmentation head: 10.7 dB, 54.8 as written). At "basic", which fuses no Q/DQ either
  // and gave the same figures on every float-corpus case, creating the session of a 10k-node
  // decoder's export took 21.5 s against 8.9 s: it was most of that model's quantization.
  let b: ortTypes.InferenceSession;
  try {
    b = await createSession(quantBytes, { graphOptimizationLevel: 'disabled', freeDimensionOverrides });
  } catch (err) {
    await a?.release();
    if (err instanceof RuntimeStoppedError) throw err;
    // The float model ran for calibration: a refusal here is the export's fault, not the model's.
    // (A float16 model's export, whose scales were float32, read as "cannot load this model to
    // calibrate it: check that the float model loads".)
    throw new QuantLensError(
      'export-refused',
      `onnxruntime does not load the QDQ model QuantLens exported from this model: ${sessionRefusalText(err)}`,
      "The float model calibrated, so this is a fault in QuantLens's export: report it to QuantLens with the model and the settings. Another config or opset may export cleanly meanwhile.",
    );
  }
  const acc = new Map<
    string,
    { signal: number; noise: number; min: number; max: number; count: number; sizes?: OutputSizes }
  >();
  try {
    for (const [k, s] of samples.entries()) {
      // A cancel (or a new model, which stops the run) is seen between samples.
      await checkpoint(signal);
      const ra = given ? undefined : await a!.run(s as Record<string, ortTypes.Tensor>);
      let rb: ortTypes.InferenceSession.ReturnType;
      try {
        rb = await b.run(s as Record<string, ortTypes.Tensor>);
      } catch (err) {
        // The float model ran on this sample: a failure here is the export's, said as such (an
        // opset-9 Upsample whose quantized scales read 0.996 reached the person as onnxruntime's
        // raw "failed to call OrtRun()").
        const f = CalibrationRunError.fromRuntime(k, err);
        throw new QuantLensError(
          'export-run',
          `onnxruntime could not run the QDQ model QuantLens exported from this model, on sample ${k + 1}${f.node ? ` at node "${f.node}"` : ''}: ${f.status}`,
          "The float model ran on this sample, so this is a fault in QuantLens's export: report it to QuantLens with the model and the settings. Another config may export cleanly meanwhile.",
        );
      }
      for (const name of given ? Object.keys(given[k]!) : a!.outputNames) {
        const x = given ? given[k]![name] : outputNumbers(ra![name]);
        const y = outputNumbers(rb[name]);
        if (!x || !y) continue;
        const e = acc.get(name) ?? { signal: 0, noise: 0, min: Infinity, max: -Infinity, count: 0 };
        acc.set(name, e);
        if (x.length !== y.length) {
          // Compared index by index, the shorter one's missing values read as NaN: the figure was
          // NaN, shown as "the output is zero on every sample".
          e.sizes ??= { sample: k, float: x.length, quantized: y.length };
          continue;
        }
        e.count += x.length;
        for (let i = 0; i < x.length; i++) {
          const v = x[i]!;
          const d = v - y[i]!;
          e.signal += v * v;
          e.noise += d * d;
          if (v < e.min) e.min = v;
          if (v > e.max) e.max = v;
        }
      }
    }
  } finally {
    await a?.release();
    await b.release();
  }
  return [...acc].map(([output, e]) => ({
    output,
    db: e.sizes ? NaN : ratioDb(e.signal, e.noise),
    ...(e.sizes ? { sizes: e.sizes } : {}),
    ...(Number.isFinite(e.min) && Number.isFinite(e.max) ? { range: { min: e.min, max: e.max } } : {}),
    ...(e.count > 0 && Number.isFinite(e.signal) ? { rms: Math.sqrt(e.signal / e.count) } : {}),
  }));
}

/**
 * Signal over noise in dB: Infinity when the outputs match exactly, -Infinity when only the float
 * output is zero, NaN when both are zero on every sample (an untrained torchvision ViT's
 * zero-initialized head gives that: no ratio to report).
 */
export function ratioDb(signal: number, noise: number): number {
  if (signal === 0 && noise === 0) return NaN;
  return 10 * Math.log10(signal / noise);
}

/** Whether a run's value is a float tensor (the only ones an SQNR of rounding is taken of). */
const isFloat = (t: ortTypes.Tensor | undefined) => !!t && (t.type === 'float32' || t.type === 'float16');

/** Signal and noise of one tensor, summed over the samples. */
export interface TensorSums {
  signal: number;
  noise: number;
}

/**
 * The float model's and the export's values of `tensors` compared on every sample (the export names
 * each quantized activation's DequantizeLinear output as the tensor, so one name reads both):
 * signal and noise per tensor, for the float tensors of one size in both on every sample. A tensor
 * either model lacks, or that changes size or type on a sample, is left out.
 */
export async function tensorSums(
  floatBytes: Uint8Array,
  qdqBytes: Uint8Array,
  tensors: ReadonlySet<string>,
  samples: readonly CalibrationSample[],
  createSession: SessionFactory,
  signal: AbortSignal | undefined,
  freeDimensionOverrides: Record<string, number>,
): Promise<Map<string, TensorSums>> {
  const sums = new Map<string, TensorSums>();
  if (tensors.size === 0) return sums;
  const a = await createSession(exposeTensors(floatBytes, tensors), { freeDimensionOverrides, handOver: true });
  let b: ortTypes.InferenceSession;
  try {
    b = await createSession(exposeTensors(qdqBytes, tensors), {
      graphOptimizationLevel: 'disabled',
      freeDimensionOverrides,
      handOver: true,
    });
  } catch (err) {
    await a.release();
    throw err;
  }
  const inB = new Set(b.outputNames);
  const names = a.outputNames.filter((n) => tensors.has(n) && inB.has(n));
  const dropped = new Set<string>();
  try {
    for (const s of samples) {
      await checkpoint(signal);
      const feeds = s as Record<string, ortTypes.Tensor>;
      const ra = await a.run(feeds, names);
      const rb = await b.run(feeds, names);
      for (const name of names) {
        const x = ra[name];
        const y = rb[name];
        const xs = isFloat(x) ? outputNumbers(x) : undefined;
        const ys = isFloat(y) ? outputNumbers(y) : undefined;
        if (!xs || !ys || xs.length !== ys.length) {
          dropped.add(name);
          continue;
        }
        let e = sums.get(name);
        if (!e) sums.set(name, (e = { signal: 0, noise: 0 }));
        for (let i = 0; i < xs.length; i++) {
          const v = xs[i]!;
          const d = v - ys[i]!;
          // A masked score (-inf in both) says nothing of rounding.
          if (!Number.isFinite(v) || !Number.isFinite(d)) continue;
          e.signal += v * v;
          e.noise += d * d;
        }
      }
      for (const t of [...Object.values(ra), ...Object.values(rb)]) t.dispose();
    }
  } finally {
    await a.release();
    await b.release();
  }
  for (const name of dropped) sums.delete(name);
  return sums;
}

/** The figures of one output's selection from the tensors' sums (see {@link OutputSqnr.selection}). */
export function selectionSqnr(
  selections: Selection[],
  tensors: readonly string[],
  sums: ReadonlyMap<string, TensorSums>,
): SelectionSqnr {
  let signal = 0;
  let noise = 0;
  let count = 0;
  let lowest: SelectionSqnr['lowest'];
  for (const t of tensors) {
    const e = sums.get(t);
    if (!e || !(e.signal > 0)) continue;
    count++;
    signal += e.signal;
    noise += e.noise;
    const db = ratioDb(e.signal, e.noise);
    if (!lowest || db < lowest.db) lowest = { tensor: t, db };
  }
  const db = count ? ratioDb(signal, noise) : undefined;
  return {
    selections,
    tensors: count,
    ...(db !== undefined && !Number.isNaN(db) ? { db } : {}),
    ...(lowest && count > 1 ? { lowest } : {}),
  };
}
