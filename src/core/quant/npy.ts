/**
 * Reads NumPy .npy files (format versions 1 to 3, little-endian or byte-sized dtypes, C order)
 * into flat typed arrays, for user-supplied calibration inputs.
 */
import { SentenceError } from '../model/errors';
import { halfBits, halfValues } from '../model/half';
import { fedDtype, type TensorClass } from './inputs';

export interface NpyArray {
  dtype:
    | 'float32'
    | 'float64'
    | 'int64'
    | 'uint64'
    | 'int32'
    | 'uint32'
    | 'int16'
    | 'uint16'
    | 'uint8'
    | 'int8'
    | 'bool'
    | 'float16';
  shape: number[];
  data:
    | Float32Array
    | Float64Array
    | BigInt64Array
    | BigUint64Array
    | Int32Array
    | Uint32Array
    | Int16Array
    | Uint16Array
    | Uint8Array
    | Int8Array;
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
  '<u8': 'uint64',
  '<i4': 'int32',
  '<u4': 'uint32',
  '<i2': 'int16',
  '<u2': 'uint16',
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
  uint64: BigUint64Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int16: Int16Array,
  uint16: Uint16Array,
  uint8: Uint8Array,
  int8: Int8Array,
  bool: Uint8Array,
  float16: Uint16Array,
};

/** The element types calibration files may hold, for messages: "float32, float64, ... or float16". */
export const FED_TYPES_TEXT = ((types) => `${types.slice(0, -1).join(', ')} or ${types.at(-1)}`)(Object.keys(ARRAY_OF));

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
  if (!dtype) throw new NpyError(`${fileName}: dtype ${descr} is not supported (use ${FED_TYPES_TEXT}, little-endian)`);
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

/** Each integer element type with its least and greatest value. */
const INTEGER_RANGE: Partial<Record<NpyArray['dtype'], readonly [bigint, bigint]>> = {
  int8: [-(2n ** 7n), 2n ** 7n - 1n],
  uint8: [0n, 2n ** 8n - 1n],
  int16: [-(2n ** 15n), 2n ** 15n - 1n],
  uint16: [0n, 2n ** 16n - 1n],
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
};

/** The values as numbers (float16 decoded). */
function numbers(a: NpyArray): ArrayLike<number> {
  if (a.dtype === 'float16') return halfValues(a.data as Uint16Array);
  if (a.data instanceof BigInt64Array || a.data instanceof BigUint64Array) return Array.from(a.data, Number);
  return a.data as ArrayLike<number>;
}

/**
 * `a`'s integers in the integer type `target`, each checked against its range: a value that does
 * not fit is refused, never wrapped (NumPy saves integers as int64 unless told otherwise).
 */
function integersAs(a: NpyArray, target: NpyArray['dtype'], fileName: string, input: string): InputArray {
  const [lo, hi] = INTEGER_RANGE[target]!;
  const [least, greatest] = [Number(lo), Number(hi)];
  const from = a.data as ArrayLike<number | bigint>;
  const out = new ARRAY_OF[target](new ArrayBuffer(from.length * ARRAY_OF[target].BYTES_PER_ELEMENT));
  const wide = out instanceof BigInt64Array || out instanceof BigUint64Array;
  for (let i = 0; i < from.length; i++) {
    const v = from[i]!;
    // A number comes from an array of 32 bits or fewer, exact against either bound as a number.
    if (typeof v === 'bigint' ? v < lo || v > hi : v < least || v > greatest)
      throw new NpyError(
        `${fileName}: value ${v} at index ${i} does not fit input "${input}", which takes ${target}: save values in ${target}'s range`,
      );
    out[i] = (wide ? BigInt(v) : Number(v)) as never;
  }
  return { type: target, data: out, dims: a.shape };
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
  if (!Object.hasOwn(ARRAY_OF, target))
    throw new NpyError(
      `${fileName}: input "${input}" takes ${target}, and calibration feeds ${FED_TYPES_TEXT} only (the types onnxruntime-web takes from a file): export the model so that the input takes one of those`,
    );
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
  if (Object.hasOwn(INTEGER_RANGE, target) && INTEGER_RANGE[a.dtype])
    return integersAs(a, target as NpyArray['dtype'], fileName, input);
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
  // An optional tensor input is fed its element (a type that takes no tensor stays as it is).
  const x = npyAsInput(a, fedDtype(input.dtype) ?? input.dtype, fileName, input.name);
  return new Tensor(x.type as 'float32', x.data as Float32Array, x.dims);
}
