/**
 * Reads NumPy .npy files (format versions 1 to 3, little-endian or byte-sized dtypes, C order)
 * into flat typed arrays, for user-supplied calibration inputs.
 */
import { SentenceError } from '../model/errors';
import { halfBits, halfValues } from '../model/half';
import type { TensorClass } from './inputs';

export interface NpyArray {
  dtype: 'float32' | 'float64' | 'int64' | 'int32' | 'uint8' | 'int8' | 'bool' | 'float16';
  shape: number[];
  data: Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array | Int8Array | Uint16Array;
}

export class NpyError extends SentenceError<'npy'> {
  override readonly name = 'NpyError';
  constructor(sentence: string) {
    super('npy', sentence);
  }
}

const DTYPES: Record<string, NpyArray['dtype']> = {
  '<f4': 'float32',
  '<f8': 'float64',
  '<i8': 'int64',
  '<i4': 'int32',
  '|u1': 'uint8',
  '|i1': 'int8',
  '|b1': 'bool',
  '<f2': 'float16',
};

/** The typed array that holds each element type calibration feeds (bool as bytes, float16 as its bits). */
export const ARRAY_OF: Record<
  NpyArray['dtype'],
  { new (buffer: ArrayBuffer): NpyArray['data']; readonly BYTES_PER_ELEMENT: number }
> = {
  float32: Float32Array,
  float64: Float64Array,
  int64: BigInt64Array,
  int32: Int32Array,
  uint8: Uint8Array,
  int8: Int8Array,
  bool: Uint8Array,
  float16: Uint16Array,
};

export function parseNpy(bytes: Uint8Array, fileName: string): NpyArray {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (bytes.length < 10 || !magic.every((b, i) => bytes[i] === b))
    throw new NpyError(`${fileName}: not a NumPy .npy file (bad magic bytes)`);
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  if (start + headerLen > bytes.length) throw new NpyError(`${fileName}: the header runs past the end of the file`);
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*True/.test(header);
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || shapeText === undefined) throw new NpyError(`${fileName}: the header has no dtype or shape`);
  if (fortran)
    throw new NpyError(`${fileName}: Fortran-ordered arrays are not supported; save with np.ascontiguousarray`);
  const dtype = DTYPES[descr];
  if (!dtype)
    throw new NpyError(
      `${fileName}: dtype ${descr} is not supported (use float32, float64, int64, int32, uint8, int8, bool or float16, little-endian)`,
    );
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const body = bytes.slice(start + headerLen);
  const size = ARRAY_OF[dtype].BYTES_PER_ELEMENT;
  if (body.length < count * size)
    throw new NpyError(
      `${fileName}: shape (${shape.join(', ')}) needs ${count * size} bytes of data, the file has ${body.length}`,
    );
  const buf = body.buffer.slice(body.byteOffset, body.byteOffset + count * size);
  return { dtype, shape, data: new ARRAY_OF[dtype](buf) };
}

/** An array as a model input takes it: onnxruntime's element type name, the data and the shape. */
export interface InputArray {
  type: NpyArray['dtype'];
  data: NpyArray['data'];
  dims: number[];
}

const INTEGERS = new Set<NpyArray['dtype']>(['int64', 'int32', 'uint8', 'int8']);

/** The values as numbers (float16 decoded). */
function numbers(a: NpyArray): ArrayLike<number> {
  if (a.dtype === 'float16') return halfValues(a.data);
  if (a.dtype === 'int64') return Array.from(a.data as BigInt64Array, Number);
  return a.data as ArrayLike<number>;
}

/**
 * `a`, read from `fileName`, in the element type of the model input `input` (`dtype`, the model's
 * own type name), so that onnxruntime takes it: NumPy writes float64 unless told otherwise, so a
 * float input takes any float or integer array (cast; float16 rounds to nearest, ties to even, as
 * onnxruntime's Cast does), and an integer input any integer array whose values it holds. A float
 * array for an integer input, or anything for a boolean input but booleans, is refused with what
 * to save instead: truncating them would calibrate on other inputs than the person meant. Without
 * `dtype` (not known), float64 becomes float32 and the rest stays as it is.
 */
export function npyAsInput(a: NpyArray, dtype: string | undefined, fileName: string, input: string): InputArray {
  const dims = a.shape;
  const known = dtype && dtype !== 'undefined' ? dtype : undefined;
  const target = known ?? (a.dtype === 'float64' ? 'float32' : a.dtype);
  if (target === a.dtype) return { type: a.dtype, data: a.data, dims };
  const refuse = (): never => {
    throw new NpyError(
      `${fileName}: holds ${a.dtype} values, and input "${input}" takes ${target}: save it as ${target} (numpy: array.astype(numpy.${target === 'bool' ? 'bool_' : target}))`,
    );
  };
  if (target === 'float32' || target === 'float64') {
    if (a.dtype === 'bool') refuse();
    const values = numbers(a);
    return { type: target, data: target === 'float32' ? Float32Array.from(values) : Float64Array.from(values), dims };
  }
  if (target === 'float16') {
    if (a.dtype === 'bool') refuse();
    return { type: 'float16', data: Uint16Array.from(numbers(a), (x) => halfBits(x, 'even')), dims };
  }
  if ((target === 'int64' || target === 'int32') && INTEGERS.has(a.dtype)) {
    if (target === 'int64') return { type: 'int64', data: BigInt64Array.from(numbers(a), (x) => BigInt(x)), dims };
    const values = a.dtype === 'int64' ? Array.from(a.data as BigInt64Array) : numbers(a);
    const out = new Int32Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v < -2147483648 || v > 2147483647)
        throw new NpyError(
          `${fileName}: value ${v} at index ${i} does not fit input "${input}", which takes int32: save values in int32's range`,
        );
      out[i] = Number(v);
    }
    return { type: 'int32', data: out, dims };
  }
  return refuse();
}

/** A model input calibration feeds: its name and element type. */
export interface FedInput {
  name: string;
  dtype: string;
}

/** `a` as the onnxruntime tensor the model input `input` takes ({@link npyAsInput}). */
export function inputTensor(
  Tensor: TensorClass,
  a: NpyArray,
  fileName: string,
  input: FedInput,
): InstanceType<TensorClass> {
  const x = npyAsInput(a, input.dtype, fileName, input.name);
  return new Tensor(x.type as 'float32', x.data as Float32Array, x.dims);
}
