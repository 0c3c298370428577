/**
 * The sizes calibration and the error trace need, in the float types they read: the graph's own
 * sizes (model/static-shapes.ts) at the samples' input sizes, with the tensors' element types.
 */
import type { Model } from '../model/types';
import { staticShapes } from '../model/static-shapes';
import type { CalibrationSample } from './expose';
import { tensorTypes } from './plan';

/**
 * The size and element type of each of `tensors` (float32 or float16, as calibration and the
 * error trace read them), or undefined unless the graph gives every one.
 */
export function floatShapes(
  model: Model,
  samples: readonly CalibrationSample[],
  tensors: Iterable<string>,
): Map<string, { dims: readonly number[]; type: 'float32' | 'float16' }> | undefined {
  const sizes = staticShapes(model, samples);
  const types = tensorTypes(model);
  const out = new Map<string, { dims: readonly number[]; type: 'float32' | 'float16' }>();
  for (const name of tensors) {
    const dims = sizes.get(name);
    const type = types.get(name);
    if (!dims || (type !== 'float32' && type !== 'float16')) return undefined;
    out.set(name, { dims, type });
  }
  return out;
}
