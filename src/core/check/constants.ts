/**
 * Numeric values of small constants (scales, zero points, shapes), decoded in full. Used for
 * quantization parameters, which are a handful of numbers per tensor.
 */
import { decodeRaw, elementCount } from '../model/tensor-values';
import type { ConstTensor } from '../model/types';

/** Largest constant decoded in full; quantization parameters are far smaller. */
export const MAX_PARAM_ELEMENTS = 1 << 20;

/** All values of a constant as numbers, or undefined when they are not inline (external, too big, strings). */
export function constNumbers(t: ConstTensor): number[] | undefined {
  const count = elementCount(t.dims);
  if (count > MAX_PARAM_ELEMENTS) return undefined;
  const d = t.data;
  if (d.kind === 'typed') return Array.from(d.values, Number).slice(0, count);
  if (d.kind === 'raw') {
    const values = decodeRaw(d.bytes, String(t.dtype), count);
    return values?.map(Number);
  }
  if (d.kind === 'empty' && count === 0) return [];
  return undefined;
}
