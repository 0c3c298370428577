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
import { onnx } from '../model/onnx/generated/onnx-pb.js';
import { ARRAY_OF, type FedInput, type NpyArray } from './npy';

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
          : // int32, int8, uint8, bool and float16 (its bits) are all stored in int32_data.
            t.int32Data
  ) as ArrayLike<number> | undefined;
  if (!field || field.length !== count) return undefined;
  const out = new ARRAY_OF[dtype](new ArrayBuffer(count * ARRAY_OF[dtype].BYTES_PER_ELEMENT));
  if (out instanceof BigInt64Array) for (let i = 0; i < count; i++) out[i] = BigInt(field[i]!);
  else for (let i = 0; i < count; i++) out[i] = Number(field[i]!);
  return out;
}

/**
 * Reads a TensorProto file into an array. Refuses, saying what is wrong, a file that is not a
 * TensorProto, an element type calibration cannot feed, data kept in another file, or a size that
 * does not match the shape.
 */
export function parseTensorFile(bytes: Uint8Array, fileName: string): TensorFileArray {
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
    throw new TensorFileError(
      `${fileName}: holds ${dtype} values; calibration inputs are float32, float64, float16, int64, int32, int8, uint8 or bool`,
    );
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
  const held = [t.floatData, t.doubleData, t.int64Data, t.int32Data].reduce((n, f) => n + (f?.length ?? 0), 0);
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
  const k = byNumber ? /(?:^|[/\\])input_(\d+)\.pb$/i.exec(fileName)?.[1] : undefined;
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
