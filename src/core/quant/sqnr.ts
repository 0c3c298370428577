/** Signal-to-quantization-noise ratio between float and quantized outputs, in dB. */
import type * as ortTypes from 'onnxruntime-common';
import { checkpoint, type SessionFactory } from './calibrate';
import type { CalibrationSample } from './expose';

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
): Promise<{ output: string; db: number }[]> {
  const given = reference && samples.every((_, k) => reference[k]) ? reference : undefined;
  const a = given ? undefined : await createSession(floatBytes);
  // The QDQ graph as written (graph optimizations at "basic", which fuse no Q/DQ): each op
  // computes in float between its DequantizeLinear and QuantizeLinear, which is what the
  // encodings mean and what the NPU approximates. With onnxruntime's default optimizations its
  // CPU integer kernels ran instead: its QLinearSoftmax saturated every output of a uint8
  // Softmax whose scale is not 1/256 (a bilinear segmentation head: 10.7 dB, 54.8 as written).
  let b: ortTypes.InferenceSession;
  try {
    b = await createSession(quantBytes, { graphOptimizationLevel: 'basic' });
  } catch (err) {
    await a?.release();
    throw err;
  }
  const acc = new Map<string, { signal: number; noise: number }>();
  try {
    for (const [k, s] of samples.entries()) {
      // A cancel (or a new model, which stops the run) is seen between samples.
      await checkpoint(signal);
      const ra: Readonly<Record<string, { data: unknown } | undefined>> = given
        ? Object.fromEntries(Object.entries(given[k]!).map(([name, data]) => [name, { data }]))
        : await a!.run(s as Record<string, ortTypes.Tensor>);
      const rb = await b.run(s as Record<string, ortTypes.Tensor>);
      for (const name of given ? Object.keys(given[k]!) : a!.outputNames) {
        const x = ra[name]?.data as ArrayLike<number> | undefined;
        const y = rb[name]?.data as ArrayLike<number> | undefined;
        if (!x || !y || typeof x[0] === 'bigint') continue;
        const e = acc.get(name) ?? { signal: 0, noise: 0 };
        for (let i = 0; i < x.length; i++) {
          const d = x[i]! - y[i]!;
          e.signal += x[i]! * x[i]!;
          e.noise += d * d;
        }
        acc.set(name, e);
      }
    }
  } finally {
    await a?.release();
    await b.release();
  }
  return [...acc].map(([output, e]) => ({ output, db: ratioDb(e.signal, e.noise) }));
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
