/**
 * Calibration samples for Silero VAD v5 as the model is used: a chunk of audio (512 samples at
 * 16 kHz, 256 at 8 kHz) and a zero state. Random values do not run it: a random `sr` fails its
 * STFT's reflect padding.
 */
import type { CalibrationSample } from '../../src/core/quant/expose';
import { prng, type TensorClass } from '../../src/core/quant/inputs';

/** One sample per entry of `rates` (16000 or 8000), the audio from a PRNG seeded with `seed`. */
export function sileroSamples(Tensor: TensorClass, rates: readonly number[], seed = 7): CalibrationSample[] {
  const rand = prng(seed);
  return rates.map((sr) => {
    const n = sr === 16000 ? 512 : 256;
    return {
      input: new Tensor(
        'float32',
        Float32Array.from({ length: n }, () => (rand() - 0.5) * 0.2),
        [1, n],
      ),
      state: new Tensor('float32', new Float32Array(2 * 128), [2, 1, 128]),
      sr: new Tensor('int64', BigInt64Array.from([BigInt(sr)]), []),
    };
  });
}
