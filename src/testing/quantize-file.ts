/**
 * The quantizer run the real-model tests share: a model's bytes quantized for SM8650 (or the SoC
 * given), strict, from seeded random samples (or the samples given), in Node's onnxruntime.
 */
import { loadRulePack } from '../../rules/registry';
import type { Flow } from '../../rules/types';
import { readOnnx } from '../core/model/read-onnx';
import { DEFAULT_OPTIONS, type ConfigName } from '../core/quant/configs';
import type { CalibrationSample } from '../core/quant/expose';
import { feedInputs, randomSamples, resolveInputShapes } from '../core/quant/inputs';
import { ort } from '../core/quant/ort-node';
import { nodeRuntime } from '../core/quant/node-runtime';
import { quantize } from '../core/quant/quantize';
import type { Override } from '../core/quant/plan';
import type { SessionFactory } from '../core/quant/runtime';

export interface QuantizeBytesOptions {
  flow?: Flow;
  /** The SoC the plan is validated for (SM8650 otherwise). */
  soc?: string;
  /** Per-node configs, as the app's overrides. */
  overrides?: Override[];
  /** Calibration samples to use instead of random ones. */
  samples?: CalibrationSample[];
  /** Input sizes for the random samples, where the guesses would not run the model (as --shape). */
  sizes?: Record<string, number[]>;
  /** How many random samples (default 4). */
  count?: number;
  /** The random samples' seed (randomSamples' default otherwise). */
  seed?: number;
  /** The runtime's sessions (Node's onnxruntime-web otherwise), for a test that looks at them. */
  createSession?: SessionFactory;
}

export async function quantizeBytes(bytes: Uint8Array, config: ConfigName, how: QuantizeBytesOptions = {}) {
  const model = readOnnx(bytes);
  const inputs = feedInputs(model);
  const shapes = resolveInputShapes(inputs, new Map(Object.entries(how.sizes ?? {})));
  const pack = await loadRulePack('htp');
  const r = await quantize({
    model,
    bytes,
    pack,
    soc: how.soc ?? 'SM8650',
    overrides: how.overrides,
    strict: true,
    flow: how.flow,
    options: { ...DEFAULT_OPTIONS, config },
    samples: how.samples ?? randomSamples(ort.Tensor, inputs, shapes.shapes, how.count ?? 4, how.seed),
    createSession: how.createSession ?? nodeRuntime.createSession,
  });
  return { r, pack, assumed: shapes.assumed };
}
