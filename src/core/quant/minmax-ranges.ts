/**
 * Min/max calibration: run a model on sample inputs and record, for every float tensor, the
 * smallest and largest value seen. This is the MinMax observer of ORT's and AIMET's
 * quantizers; encodings (scale, zero point) are derived from these ranges elsewhere.
 *
 * Intermediate tensors are exposed by adding every node output of the main graph as a graph
 * output, without type information: onnxruntime accepts untyped outputs and reports each one's
 * actual element type, so no shape inference is needed here and non-float tensors (shapes,
 * indices, quantized integers) are simply skipped.
 */
import { exposeTensors } from './expose';
import { halfValues } from '../model/half';
import { createOrtSession, ort, type OrtExternalFile } from './ort-node';

/** Observed range of one tensor over all calibration samples. */
export interface MinMax {
  min: number;
  max: number;
}

/** One calibration sample: graph input name -> tensor. */
export type { CalibrationSample } from './expose';
import type { CalibrationSample } from './expose';

export interface MinMaxOptions {
  /** Side files, when the model has external data. */
  externalData?: readonly OrtExternalFile[];
  /** Element types that count as float (default float32 and float16). */
  floatTypes?: readonly ort.Tensor.Type[];
}

/**
 * Runs `samples` through the model and returns per-tensor ranges for graph inputs, node
 * outputs and graph outputs of a float type. NaNs are ignored; a tensor that only ever held
 * NaN or was empty gets no entry.
 * @example
 * const ranges = await collectMinMaxRanges(bytes, [{ image: new ort.Tensor('float32', data, [1, 3, 32, 32]) }]);
 * ranges.get('/backbone/conv1/Relu_output_0'); // { min: 0, max: 3.2 }
 */
export async function collectMinMaxRanges(
  modelBytes: Uint8Array,
  samples: readonly CalibrationSample[],
  options: MinMaxOptions = {},
): Promise<Map<string, MinMax>> {
  const floatTypes = new Set<string>(options.floatTypes ?? ['float32', 'float16']);
  const session = await createOrtSession(exposeTensors(modelBytes), {}, options.externalData);
  const ranges = new Map<string, MinMax>();
  try {
    for (const sample of samples) {
      for (const [name, tensor] of Object.entries(sample)) observe(ranges, name, tensor, floatTypes);
      const outputs = await session.run(sample);
      for (const [name, tensor] of Object.entries(outputs)) {
        observe(ranges, name, tensor, floatTypes);
        tensor.dispose();
      }
    }
  } finally {
    await session.release();
  }
  return ranges;
}

function observe(ranges: Map<string, MinMax>, name: string, tensor: ort.Tensor, floatTypes: Set<string>): void {
  if (!floatTypes.has(tensor.type)) return;
  const data = tensor.type === 'float16' ? halfValues(tensor.data) : (tensor.data as Float32Array);
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min > max) return; // empty or all NaN
  const seen = ranges.get(name);
  if (seen) {
    seen.min = Math.min(seen.min, min);
    seen.max = Math.max(seen.max, max);
  } else {
    ranges.set(name, { min, max });
  }
}
