/**
 * Calibration inputs: random tensors drawn from the model's input shapes and dtypes with a fixed
 * seed (the default), with dynamic dimensions fixed by the caller or set to 1 (and said so).
 */
import { halfBits } from '../model/half';
import type { Dim, Model, ValueInfo } from '../model/types';
import type * as ortTypes from 'onnxruntime-common';
import type { CalibrationSample } from './expose';
import { SentenceError } from '../model/errors';

/** The Tensor class of the onnxruntime instance that will run the samples (tensors must come from it). */
export type TensorClass = typeof ortTypes.Tensor;

/** A small, fast, seedable PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface InputShapes {
  /** input name -> concrete shape */
  shapes: Map<string, number[]>;
  /** What was assumed, e.g. `x: dimension "batch" set to 1`. */
  assumed: string[];
}

export class InputShapeError extends SentenceError<'input-shape'> {
  override readonly name = 'InputShapeError';
  constructor(sentence: string) {
    super('input-shape', sentence);
  }
}

/** The inputs a caller feeds: graph inputs that are not initializers (old IRs list weights as inputs too). */
export function feedInputs(model: Model): ValueInfo[] {
  return model.graph.inputs
    .filter((v) => !model.graph.initializers.has(v.name))
    .map((v) => {
      const fed = fedDtype(String(v.dtype));
      return fed && fed !== v.dtype ? { ...v, dtype: fed } : v;
    });
}

/**
 * The element type of the tensor an input of type `dtype` is fed: its own for a tensor, its
 * element's for an optional tensor (onnxruntime-web takes a tensor for it); undefined for a
 * sequence, map, optional sequence, sparse tensor or opaque value, which take no tensor and have
 * no shape to give.
 */
export function fedDtype(dtype: string): string | undefined {
  if (!dtype.includes('<')) return dtype;
  return /^optional<([a-z0-9]+)>$/.exec(dtype)?.[1];
}

/** The side a dynamic height or width of an image input defaults to (a multiple of 32, as strides need). */
export const IMAGE_SIDE = 224;

/**
 * Dimensions of a float rank-4 input that are image height and width: NCHW when dimension 1 is a
 * small fixed channel count (1 to 4), NHWC when dimension 3 is. Empty for anything else.
 */
function imageSpatialDims(v: Pick<ValueInfo, 'dtype' | 'shape'>): number[] {
  const s = v.shape;
  if (!s || s.length !== 4 || !String(v.dtype).startsWith('float')) return [];
  const channels = (d: Dim | undefined) => typeof d === 'number' && d >= 1 && d <= 4;
  if (channels(s[1])) return [2, 3];
  if (channels(s[3])) return [1, 2];
  return [];
}

/**
 * What a dynamic dimension of an input is set to when nobody gives it: the image side for the
 * height and width of an image input, else 1. The quantizer panel shows the same guess.
 */
export function guessedDims(v: Pick<ValueInfo, 'dtype' | 'shape'>): { dims: number[]; spatial: number[] } {
  const spatial = imageSpatialDims(v);
  const dims = (v.shape ?? []).map((d: Dim, i) =>
    typeof d === 'number' && d > 0 ? d : spatial.includes(i) ? IMAGE_SIDE : 1,
  );
  return { dims, spatial };
}

/** Concrete shapes for the model inputs: given ones win; dynamic dimensions are guessed (and said so). */
export function resolveInputShapes(
  inputs: readonly ValueInfo[],
  given: ReadonlyMap<string, number[]> = new Map(),
): InputShapes {
  const shapes = new Map<string, number[]>();
  const assumed: string[] = [];
  for (const [name] of given)
    if (!inputs.some((v) => v.name === name))
      throw new InputShapeError(
        `a shape is given for "${name}", which is not a model input (inputs: ${inputs.map((v) => v.name).join(', ')})`,
      );
  for (const v of inputs) {
    if (fedDtype(String(v.dtype)) === undefined)
      throw new InputShapeError(
        `Input "${v.name}" has type ${v.dtype}, not a tensor type: calibration runs the model in onnxruntime-web, which takes tensors only as inputs, and the HTP runs tensors only. Export the model so that it takes tensors (for a sequence, its tensors as inputs of their own, or stacked into one).`,
      );
    const g = given.get(v.name);
    if (g) {
      if (v.shape && v.shape.length !== g.length)
        throw new InputShapeError(
          `input "${v.name}" has rank ${v.shape.length}, but the given shape [${g.join(', ')}] has rank ${g.length}`,
        );
      v.shape?.forEach((d, i) => {
        if (typeof d === 'number' && d !== g[i])
          throw new InputShapeError(
            `input "${v.name}" has dimension ${i} fixed at ${d}, but the given shape says ${g[i]}`,
          );
      });
      shapes.set(v.name, g);
      continue;
    }
    if (!v.shape)
      throw new InputShapeError(
        `input "${v.name}" has no shape in the model; give one (the quantizer panel's dynamic input shapes, or the CLI's --shape ${v.name}=1,3,224,224)`,
      );
    const { dims, spatial } = guessedDims(v);
    v.shape.forEach((d: Dim, i) => {
      if (typeof d === 'number' && d > 0) return;
      const why = spatial.includes(i)
        ? ' (a spatial dimension of an image input; 1 would shrink to nothing in the model)'
        : '';
      assumed.push(`${v.name}: dimension ${i}${typeof d === 'string' ? ` ("${d}")` : ''} set to ${dims[i]}${why}`);
    });
    shapes.set(v.name, dims);
  }
  return { shapes, assumed };
}

const floats = (r: () => number) => r() * 2 - 1;
const tenths = (r: () => number) => Math.floor(r() * 10);

/**
 * Each input type random samples cover: its array, how a number is stored in it, and how a random
 * value is drawn (one draw per element).
 */
interface ElementType {
  array: (n: number) => { [i: number]: unknown; fill(value: never): unknown };
  of: (x: number) => unknown;
  draw: (r: () => number) => number;
}
const same = (x: number) => x;
const ELEMENTS: Record<string, ElementType> = {
  float32: { array: (n) => new Float32Array(n), of: same, draw: floats },
  float64: { array: (n) => new Float64Array(n), of: same, draw: floats },
  float16: { array: (n) => new Uint16Array(n), of: (x) => halfBits(x), draw: floats },
  int64: { array: (n) => new BigInt64Array(n), of: (x) => BigInt(x), draw: tenths },
  uint64: { array: (n) => new BigUint64Array(n), of: (x) => BigInt(x), draw: tenths },
  int32: { array: (n) => new Int32Array(n), of: same, draw: tenths },
  uint32: { array: (n) => new Uint32Array(n), of: same, draw: tenths },
  int16: { array: (n) => new Int16Array(n), of: same, draw: tenths },
  uint16: { array: (n) => new Uint16Array(n), of: same, draw: tenths },
  uint8: { array: (n) => new Uint8Array(n), of: same, draw: (r) => Math.floor(r() * 256) },
  int8: { array: (n) => new Int8Array(n), of: same, draw: (r) => Math.floor(r() * 256) - 128 },
  bool: { array: (n) => new Uint8Array(n), of: same, draw: (r) => (r() < 0.5 ? 1 : 0) },
};

/** The integer range of each integer input type, for a value given to fill one. */
const INTEGER_RANGE: Record<string, [number, number]> = {
  int64: [-(2 ** 53), 2 ** 53],
  uint64: [0, 2 ** 53],
  int32: [-(2 ** 31), 2 ** 31 - 1],
  uint32: [0, 2 ** 32 - 1],
  int16: [-(2 ** 15), 2 ** 15 - 1],
  uint16: [0, 2 ** 16 - 1],
  int8: [-128, 127],
  uint8: [0, 255],
  bool: [0, 1],
};

/**
 * Checks the values given for inputs of random samples (a sample rate, a state of zeros) against
 * the inputs and their types; returns them by name.
 * @throws InputShapeError naming the input, its type and what fits it.
 */
export function checkInputValues(
  inputs: readonly ValueInfo[],
  values: Readonly<Record<string, number>>,
): Map<string, number> {
  const byName = new Map(inputs.map((v) => [v.name, v]));
  const out = new Map<string, number>();
  for (const [name, value] of Object.entries(values)) {
    const v = byName.get(name);
    if (!v)
      throw new InputShapeError(
        `There is no input "${name}" to give a value: the model's inputs are ${inputs.map((i) => `"${i.name}"`).join(', ') || 'none'}.`,
      );
    const type = v.dtype === 'undefined' ? 'float32' : String(v.dtype);
    if (!Number.isFinite(value))
      throw new InputShapeError(`The value given for input "${name}" is not a finite number (${value}).`);
    const range = Object.hasOwn(INTEGER_RANGE, type) ? INTEGER_RANGE[type]! : undefined;
    if (range && (!Number.isInteger(value) || value < range[0] || value > range[1]))
      throw new InputShapeError(
        `Input "${name}" is ${type}: its value must be an integer from ${range[0]} to ${range[1]}, not ${value}.`,
      );
    if (!range && !Object.hasOwn(ELEMENTS, type))
      throw new InputShapeError(`Input "${name}" is ${v.dtype}: QuantLens cannot fill it with a number.`);
    out.set(name, value);
  }
  return out;
}

/**
 * `count` random samples: floats (float32, float64, float16) uniform in [-1, 1), other integers
 * in [0, 10), 8-bit integers over their range, booleans; an input given a value in `values` (a
 * sample rate, a state of zeros) holds it in every element of every sample.
 * @throws InputShapeError for an input no random value fits (strings), or a value that does not fit.
 */
export function randomSamples(
  Tensor: TensorClass,
  inputs: readonly ValueInfo[],
  shapes: ReadonlyMap<string, number[]>,
  count: number,
  seed = 1234,
  values: Readonly<Record<string, number>> = {},
): CalibrationSample[] {
  const fixed = checkInputValues(inputs, values);
  const rand = prng(seed);
  const out: CalibrationSample[] = [];
  for (let k = 0; k < count; k++) {
    const sample: CalibrationSample = {};
    for (const v of inputs) {
      const shape = shapes.get(v.name)!;
      const n = shape.reduce((a, b) => a * b, 1);
      const type = v.dtype === 'undefined' ? 'float32' : String(v.dtype);
      const element = Object.hasOwn(ELEMENTS, type) ? ELEMENTS[type] : undefined;
      // Strings and the rest: no random value means anything to the model.
      if (!element)
        throw new InputShapeError(
          `Input "${v.name}" is ${v.dtype}: QuantLens makes random samples for float32, float16, float64, integer and boolean inputs only. Give real inputs (calibration files in the Quantizer panel; \`quantlens quantize --inputs DIR\`), or export the model so it takes numbers.`,
        );
      // A fixed input still draws its random values, so that the other inputs get the values
      // they would get without it (a run with a sample rate given differs only in that input).
      const data = element.array(n);
      for (let i = 0; i < n; i++) data[i] = element.of(element.draw(rand));
      const given = fixed.get(v.name);
      if (given !== undefined) data.fill(element.of(given) as never);
      sample[v.name] = new Tensor(type as never, data as never, shape);
    }
    out.push(sample);
  }
  return out;
}
