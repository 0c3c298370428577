/**
 * Calibration inputs from the user's files, in the worker: `.npy` arrays, or images (PNG, JPEG,
 * WebP) for a model whose one input is an image tensor [N, 3, H, W] (RGB scaled to [0, 1],
 * resized to H × W). A single-input model takes one file per sample; a model with several inputs
 * takes `.npy` files named `<input>_<k>.npy`.
 */
import type { CalibrationSample } from '../quant/expose';
import { parseNpy } from '../quant/npy';
import type { OrtRuntime } from '../quant/runtime';
import { SentenceError } from '../model/errors';

export class CalibrationFileError extends SentenceError<'calibration-file'> {
  override readonly name = 'CalibrationFileError';
  constructor(sentence: string) {
    super('calibration-file', sentence);
  }
}

const IMAGE = /\.(png|jpe?g|webp|bmp)$/i;

async function imageTensor(runtime: OrtRuntime, file: File, shape: number[]): Promise<ReturnType<typeof makeFloat>> {
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
  return makeFloat(runtime, data, [1, 3, h, w]);
}

function makeFloat(runtime: OrtRuntime, data: Float32Array, dims: number[]) {
  return new runtime.Tensor('float32', data, dims);
}

async function npyTensor(runtime: OrtRuntime, file: File) {
  const a = parseNpy(new Uint8Array(await file.arrayBuffer()), file.name);
  if (a.dtype === 'float64') return new runtime.Tensor('float32', Float32Array.from(a.data as Float64Array), a.shape);
  return new runtime.Tensor(a.dtype as 'float32', a.data as Float32Array, a.shape);
}

export async function samplesFromFiles(
  runtime: OrtRuntime,
  files: readonly File[],
  inputs: readonly string[],
  shapes: ReadonlyMap<string, number[]>,
): Promise<CalibrationSample[]> {
  if (files.length === 0) throw new CalibrationFileError('no calibration files were given');
  if (inputs.length === 1) {
    const input = inputs[0]!;
    const out: CalibrationSample[] = [];
    for (const f of files)
      out.push({
        [input]: IMAGE.test(f.name)
          ? await imageTensor(runtime, f, shapes.get(input) ?? [])
          : await npyTensor(runtime, f),
      });
    return out;
  }
  const bySample = new Map<string, CalibrationSample>();
  for (const f of files) {
    const m = /^(.*)_(\d+)\.npy$/i.exec(f.name);
    const input = m ? inputs.find((i) => i.replace(/[/\\:]/g, '_') === m[1]) : undefined;
    if (!m || !input)
      throw new CalibrationFileError(
        `${f.name}: with several inputs (${inputs.join(', ')}), name files <input>_<k>.npy`,
      );
    const sample = bySample.get(m[2]!) ?? {};
    sample[input] = await npyTensor(runtime, f);
    bySample.set(m[2]!, sample);
  }
  const samples = [...bySample.values()];
  for (const [k, s] of [...bySample]) {
    const missing = inputs.filter((i) => !(i in s));
    if (missing.length) throw new CalibrationFileError(`sample ${k} has no file for input(s) ${missing.join(', ')}`);
  }
  return samples;
}
