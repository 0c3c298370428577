/**
 * Calibration inputs from the user's files, in the worker: `.npy` arrays, ONNX TensorProto `.pb`
 * tensors (ONNX's test data, which the Model Zoo ships), or images (PNG, JPEG, WebP) for a model
 * whose one input is an image tensor [N, 3, H, W] (RGB scaled to [0, 1], resized to H × W). Each
 * array is converted to its input's element type (npyAsInput).
 */
import type { CalibrationSample } from '../quant/expose';
import { inputTensor, parseNpy, type FedInput, type NpyArray } from '../quant/npy';
import { parseTensorFile, tensorFileInput, tensorFileNumber } from '../quant/tensor-file';
import type { OrtRuntime } from '../quant/runtime';
import { SentenceError } from '../model/errors';
import { halfBits } from '../model/half';

export class CalibrationFileError extends SentenceError<'calibration-file'> {
  override readonly name = 'CalibrationFileError';
  constructor(sentence: string) {
    super('calibration-file', sentence);
  }
}

const IMAGE = /\.(png|jpe?g|webp|bmp)$/i;

async function imageTensor(
  runtime: OrtRuntime,
  file: File,
  shape: number[],
  dtype: string,
): Promise<ReturnType<typeof makeFloat>> {
  if (shape.length !== 4 || shape[1] !== 3)
    throw new CalibrationFileError(
      `${file.name}: images need a model input of shape [N, 3, H, W]; this input is [${shape.join(', ')}]. Use .npy files instead.`,
    );
  const [, , h, w] = shape as [number, number, number, number];
  if (typeof createImageBitmap !== 'function' || typeof OffscreenCanvas !== 'function')
    throw new CalibrationFileError(`${file.name}: images can only be decoded in the browser; use .npy files here.`);
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file, { resizeWidth: w, resizeHeight: h, resizeQuality: 'high' });
  } catch {
    throw new CalibrationFileError(`${file.name}: not an image this browser can decode`);
  }
  const canvas = new OffscreenCanvas(w, h);
  const ctx = canvas.getContext('2d')!;
  ctx.drawImage(bitmap, 0, 0);
  const rgba = ctx.getImageData(0, 0, w, h).data;
  const data = new Float32Array(3 * h * w);
  for (let i = 0; i < h * w; i++) for (let c = 0; c < 3; c++) data[c * h * w + i] = rgba[i * 4 + c]! / 255;
  return makeFloat(runtime, data, [1, 3, h, w], dtype);
}

/** Pixels as the input's float type: float16 rounds to nearest, ties to even, as onnxruntime's Cast does. */
function makeFloat(runtime: OrtRuntime, data: Float32Array, dims: number[], dtype: string) {
  if (dtype === 'float16')
    return new runtime.Tensor(
      'float16',
      Uint16Array.from(data, (x) => halfBits(x, 'even')),
      dims,
    );
  if (dtype === 'float64') return new runtime.Tensor('float64', Float64Array.from(data), dims);
  return new runtime.Tensor('float32', data, dims);
}

const TENSOR_FILE = /\.pb$/i;

/** A `.npy` or ONNX TensorProto `.pb` file's array. */
async function fileArray(file: File): Promise<NpyArray> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  return TENSOR_FILE.test(file.name) ? parseTensorFile(bytes, file.name) : parseNpy(bytes, file.name);
}

/**
 * The samples in the person's files. A single-input model takes one file per sample (`.npy`,
 * `.pb` or an image). A model of several inputs takes `.npy` files named `<input>_<k>.npy`
 * (sample k), or `.pb` tensors named after their input (as ONNX's test data names them): the k-th
 * tensor given for each input is sample k. Unnamed `.pb` tensors of one sample's folder
 * (input_0.pb, input_1.pb, ...) feed the inputs in order.
 */
export async function samplesFromFiles(
  runtime: OrtRuntime,
  files: readonly File[],
  inputs: readonly FedInput[],
  shapes: ReadonlyMap<string, number[]>,
): Promise<CalibrationSample[]> {
  if (files.length === 0) throw new CalibrationFileError('no calibration files were given');
  if (inputs.length === 1) {
    const input = inputs[0]!;
    const out: CalibrationSample[] = [];
    for (const f of files)
      out.push({
        [input.name]: IMAGE.test(f.name)
          ? await imageTensor(runtime, f, shapes.get(input.name) ?? [], input.dtype)
          : inputTensor(runtime.Tensor, await fileArray(f), f.name, input),
      });
    return out;
  }
  const bySample = new Map<string, CalibrationSample>();
  const tensorsOf = new Map<string, number>();
  // An unnamed tensor feeds the input its file's number gives (input_<k>.pb, ONNX's test data),
  // when no two files share a number: one sample's folder. Files picked from several samples'
  // folders share their numbered names, and then only names tell them apart.
  const numbers = files.map((f) => tensorFileNumber(f.name)).filter((k) => k !== undefined);
  const byNumber = new Set(numbers).size === numbers.length;
  for (const f of files) {
    let key: string;
    let input: FedInput | undefined;
    let array: NpyArray;
    if (TENSOR_FILE.test(f.name)) {
      const t = parseTensorFile(new Uint8Array(await f.arrayBuffer()), f.name);
      if (!t.name && !byNumber && tensorFileNumber(f.name) !== undefined && inputs.length > 1)
        throw new CalibrationFileError(
          `${f.name}: its tensor has no name, and other files given share its number: with several inputs (${inputs.map((i) => i.name).join(', ')}), unnamed .pb tensors feed the inputs by their file's number (input_<k>.pb), one sample's folder at a time. Give the files of one test_data_set folder, or tensors named after their inputs`,
        );
      input = tensorFileInput(t, f.name, inputs, byNumber);
      const k = tensorsOf.get(input.name) ?? 0;
      tensorsOf.set(input.name, k + 1);
      key = String(k);
      array = t;
    } else {
      const m = /^(.*)_(\d+)\.npy$/i.exec(f.name);
      input = m ? inputs.find((i) => i.name.replace(/[/\\:]/g, '_') === m[1]) : undefined;
      if (!m || !input)
        throw new CalibrationFileError(
          `${f.name}: with several inputs (${inputs.map((i) => i.name).join(', ')}), name files <input>_<k>.npy, or give .pb tensors named after their inputs`,
        );
      key = m[2]!;
      array = parseNpy(new Uint8Array(await f.arrayBuffer()), f.name);
    }
    const sample = bySample.get(key) ?? {};
    sample[input.name] = inputTensor(runtime.Tensor, array, f.name, input);
    bySample.set(key, sample);
  }
  const samples = [...bySample.values()];
  for (const [k, s] of [...bySample]) {
    const missing = inputs.filter((i) => !(i.name in s)).map((i) => i.name);
    if (missing.length) throw new CalibrationFileError(`sample ${k} has no file for input(s) ${missing.join(', ')}`);
  }
  return samples;
}
