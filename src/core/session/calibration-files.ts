/**
 * Calibration inputs from the user's files, in the worker: `.npy` arrays, or images (PNG, JPEG,
 * WebP) for a model whose one input is an image tensor [N, 3, H, W] (RGB scaled to [0, 1],
 * resized to H × W). A single-input model takes one file per sample; a model with several inputs
 * takes `.npy` files named `<input>_<k>.npy`.
 */
import type { CalibrationSample } from '../quant/expose';
import { npyAsInput, parseNpy } from '../quant/npy';
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

/** A `.npy` file as the tensor `input` takes (its element type: see npyAsInput). */
async function npyTensor(runtime: OrtRuntime, file: File, input: CalibrationInput) {
  const a = npyAsInput(
    parseNpy(new Uint8Array(await file.arrayBuffer()), file.name),
    input.dtype,
    file.name,
    input.name,
  );
  return new runtime.Tensor(a.type as 'float32', a.data as Float32Array, a.dims);
}

/** A model input calibration feeds: its name and element type. */
export interface CalibrationInput {
  name: string;
  dtype: string;
}

export async function samplesFromFiles(
  runtime: OrtRuntime,
  files: readonly File[],
  inputs: readonly CalibrationInput[],
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
          : await npyTensor(runtime, f, input),
      });
    return out;
  }
  const bySample = new Map<string, CalibrationSample>();
  for (const f of files) {
    const m = /^(.*)_(\d+)\.npy$/i.exec(f.name);
    const input = m ? inputs.find((i) => i.name.replace(/[/\\:]/g, '_') === m[1]) : undefined;
    if (!m || !input)
      throw new CalibrationFileError(
        `${f.name}: with several inputs (${inputs.map((i) => i.name).join(', ')}), name files <input>_<k>.npy`,
      );
    const sample = bySample.get(m[2]!) ?? {};
    sample[input.name] = await npyTensor(runtime, f, input);
    bySample.set(m[2]!, sample);
  }
  const samples = [...bySample.values()];
  for (const [k, s] of [...bySample]) {
    const missing = inputs.filter((i) => !(i.name in s)).map((i) => i.name);
    if (missing.length) throw new CalibrationFileError(`sample ${k} has no file for input(s) ${missing.join(', ')}`);
  }
  return samples;
}
