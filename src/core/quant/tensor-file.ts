/**
 * ONNX TensorProto files (`.pb`) as calibration inputs: the layout of ONNX's test data, which the
 * ONNX Model Zoo ships beside its models and onnxruntime's `onnx_test_runner` reads
 * (`test_data_set_0/input_0.pb`, ...). Each file holds one tensor, usually named after the graph
 * input it feeds. Read into the same arrays as `.npy` files, so both reach the model alike
 * ({@link npyAsInput}).
 */
import { SentenceError } from '../model/errors';
import { dtypeFromCode } from '../model/dtype';
import { copyBytes } from '../model/constants';
import { readVarint, walkFields } from '../model/protobuf-wire';
import { onnx } from '../model/onnx/generated/onnx-pb.js';
import { ARRAY_OF, FED_TYPES_TEXT, type FedInput, type NpyArray } from './npy';

export class TensorFileError extends SentenceError<'tensor-file'> {
  override readonly name = 'TensorFileError';
  constructor(sentence: string) {
    super('tensor-file', sentence);
  }
}

/** A tensor read from a `.pb` file: its array, and the name it carries ('' when none). */
export interface TensorFileArray extends NpyArray {
  name: string;
}

/** The values of a tensor written in its typed field (float_data, int32_data, ...), by ONNX's rules. */
function fromFields(t: onnx.TensorProto, dtype: NpyArray['dtype'], count: number): NpyArray['data'] | undefined {
  // 64-bit fields decode to plain numbers (pb-runtime.js configures protobufjs without Long).
  const field = (
    dtype === 'float32'
      ? t.floatData
      : dtype === 'float64'
        ? t.doubleData
        : dtype === 'int64'
          ? t.int64Data
          : dtype === 'uint32' || dtype === 'uint64'
            ? t.uint64Data
            : // int32, int16, uint16, int8, uint8, bool and float16 (its bits): all in int32_data.
              t.int32Data
  ) as ArrayLike<number> | undefined;
  if (!field || field.length !== count) return undefined;
  const out = new ARRAY_OF[dtype](new ArrayBuffer(count * ARRAY_OF[dtype].BYTES_PER_ELEMENT));
  if (out instanceof BigInt64Array || out instanceof BigUint64Array)
    for (let i = 0; i < count; i++) out[i] = BigInt(field[i]!);
  else for (let i = 0; i < count; i++) out[i] = Number(field[i]!);
  return out;
}

/**
 * Reads a TensorProto file into an array. Refuses, saying what is wrong, a file that is not a
 * TensorProto, an element type calibration cannot feed, data kept in another file, or a size that
 * does not match the shape.
 */
export function parseTensorFile(bytes: Uint8Array, fileName: string): TensorFileArray {
  try {
    return parseTensorProto(bytes, fileName);
  } catch (err) {
    // ONNX's test data keeps an optional or sequence input as an OptionalProto or SequenceProto,
    // which a TensorProto decode reads as nonsense: a shape spelled by the name's letters, values
    // taken from the wrapped tensor's bytes. Only what fails as a tensor is read as one of those.
    const wrapped = err instanceof TensorFileError ? wrapperOf(bytes) : undefined;
    if (!wrapped) throw err;
    const { name, elemType, values } = wrapped;
    if (elemType === ELEM_TENSOR && values.length === 1) {
      const inner = parseTensorProto(values[0]!, fileName);
      return { ...inner, name: inner.name || name };
    }
    const named = name ? ` "${name}"` : '';
    if (values.length === 0)
      throw new TensorFileError(
        `${fileName}: holds an optional${named} with no value (or an empty sequence); calibration feeds each input a tensor: give a file with the tensor, or leave the input out of the model`,
      );
    throw new TensorFileError(
      `${fileName}: holds${named ? `${named},` : ''} a sequence or optional of ${values.length} ${ELEM_NAMES[elemType] ?? 'value'}${values.length === 1 ? '' : 's'}, and calibration feeds tensors only: export the model so that it takes tensors`,
    );
  }
}

/** SequenceProto's and OptionalProto's element types (onnx-data.proto). */
const ELEM_TENSOR = 1;
const ELEM_NAMES: Record<number, string> = { 1: 'tensor', 2: 'sparse tensor', 3: 'sequence', 4: 'map', 5: 'optional' };

/**
 * `bytes` read as an OptionalProto or a SequenceProto (their fields are alike: name 1, elem_type 2,
 * the values in 3 to 7), or undefined when they cannot be one: another field, another wire type,
 * or a name that is not text.
 */
function wrapperOf(bytes: Uint8Array): { name: string; elemType: number; values: Uint8Array[] } | undefined {
  let name = '';
  let elemType: number | undefined;
  const values: Uint8Array[] = [];
  let fits = true;
  const end = walkFields(bytes, (f) => {
    const value = bytes.subarray(f.valueAt, f.end);
    if (f.field === 1 && f.wire === 2) {
      try {
        name = utf8.decode(value);
      } catch {
        fits = false;
      }
    } else if (f.field === 2 && f.wire === 0) elemType = readVarint(bytes, f.valueAt)?.value;
    else if (f.field >= 3 && f.field <= 7 && f.wire === 2) values.push(value);
    else fits = false;
  });
  return fits && end.kind === 'complete' && elemType !== undefined ? { name, elemType, values } : undefined;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function parseTensorProto(bytes: Uint8Array, fileName: string): TensorFileArray {
  let t: onnx.TensorProto;
  try {
    t = onnx.TensorProto.decode(bytes);
  } catch {
    throw new TensorFileError(`${fileName}: not an ONNX TensorProto file (it does not decode as one)`);
  }
  const dims = (t.dims ?? []).map(Number);
  if (t.dataType === 0 || dims.some((d) => !Number.isSafeInteger(d) || d < 0))
    throw new TensorFileError(`${fileName}: not an ONNX TensorProto file (no element type, or a negative dimension)`);
  const dtype = dtypeFromCode(t.dataType);
  if (!(dtype in ARRAY_OF))
    throw new TensorFileError(`${fileName}: holds ${dtype} values; calibration inputs are ${FED_TYPES_TEXT}`);
  const type = dtype as NpyArray['dtype'];
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL)
    throw new TensorFileError(`${fileName}: its values are kept in another file; save the tensor with its data inline`);
  const count = dims.reduce((a, b) => a * b, 1);
  const name = t.name ?? '';
  const raw = t.rawData;
  if (raw && raw.length > 0) {
    const need = count * ARRAY_OF[type].BYTES_PER_ELEMENT;
    if (raw.length !== need)
      throw new TensorFileError(
        `${fileName}: shape (${dims.join(', ')}) needs ${need} bytes of ${type}, the file has ${raw.length}`,
      );
    // Copied into an aligned buffer of its own (raw_data sits at any offset of the file).
    const data = new ARRAY_OF[type](copyBytes(raw));
    return { dtype: type, shape: dims, data, name };
  }
  const data = fromFields(t, type, count);
  if (data) return { dtype: type, shape: dims, data, name };
  const held = [t.floatData, t.doubleData, t.int64Data, t.uint64Data, t.int32Data].reduce(
    (n, f) => n + (f?.length ?? 0),
    0,
  );
  // ONNX's test data also stores sequences and optionals (SequenceProto, OptionalProto) as .pb
  // files; read as a TensorProto, such a file has a made-up shape and no values.
  if (held === 0)
    throw new TensorFileError(
      `${fileName}: holds no tensor values: not an ONNX TensorProto file (a sequence or an optional, perhaps), and calibration feeds tensors only`,
    );
  throw new TensorFileError(
    `${fileName}: shape (${dims.join(', ')}) needs ${count.toLocaleString('en-US')} values, the file holds ${held.toLocaleString('en-US')}`,
  );
}

/** The number of an ONNX test-data tensor file, `input_<k>.pb` (k), else undefined. */
export function tensorFileNumber(fileName: string): string | undefined {
  return /(?:^|[/\\])input_(\d+)\.pb$/i.exec(fileName)?.[1];
}

/**
 * The input a `.pb` tensor feeds: the one it is named after; for an unnamed tensor, with
 * `byNumber`, the k-th input for a file named `input_<k>.pb`, as ONNX's test data numbers them
 * within one sample's folder; else the only input. Undefined when none fits.
 */
export function inputOfTensorFile(
  tensor: TensorFileArray,
  fileName: string,
  inputs: readonly FedInput[],
  byNumber = true,
): FedInput | undefined {
  if (tensor.name) return inputs.find((i) => i.name === tensor.name);
  const k = byNumber ? tensorFileNumber(fileName) : undefined;
  if (k !== undefined) return inputs[Number(k)];
  return inputs.length === 1 ? inputs[0] : undefined;
}

/** {@link inputOfTensorFile}, or a TensorFileError saying why the tensor feeds no input. */
export function tensorFileInput(
  tensor: TensorFileArray,
  fileName: string,
  inputs: readonly FedInput[],
  byNumber = true,
): FedInput {
  const input = inputOfTensorFile(tensor, fileName, inputs, byNumber);
  if (input) return input;
  const names = inputs.map((i) => i.name).join(', ');
  throw new TensorFileError(
    tensor.name
      ? `${fileName} holds tensor "${tensor.name}", which is not an input of the model (${names})`
      : `${fileName}: its tensor has no name; with several inputs (${names}), each .pb tensor must be named after its input${byNumber ? ' (or its file numbered input_<k>.pb, in input order)' : ''}`,
  );
}
