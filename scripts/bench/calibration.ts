/**
 * Calibration overhead: calibration time per sample (every float tensor exposed and observed)
 * against plain onnxruntime-web inference time per sample on the same model, in Node. Measured
 * on the float-activation graph of the case's model up to 10k nodes; larger cases say why not.
 */
import { readFileSync } from 'node:fs';
import { readOnnx } from '../../src/core/model/read-onnx';
import { calibrate } from '../../src/core/quant/calibrate';
import { feedInputs, randomSamples, resolveInputShapes } from '../../src/core/quant/inputs';
import { nodeRuntime } from '../../src/core/quant/node-runtime';
import type { BenchPart, Figure, MetricDef, PreparedCase } from './types';

const MAX_NODES = 12_000;
const SAMPLES = 4;

export const CALIBRATION_METRICS: MetricDef[] = [
  {
    id: 'calib.inference',
    label: 'Inference per sample (onnxruntime-web, Node)',
    unit: 'ms',
    description: `Plain session.run of the model, median of ${SAMPLES} random samples after one warm-up run.`,
  },
  {
    id: 'calib.per-sample',
    label: 'Calibration per sample',
    unit: 'ms',
    description: `calibrate() with every float tensor exposed as an output and observed (min/max), per sample, over ${SAMPLES} samples (session creation excluded).`,
  },
  {
    id: 'calib.overhead',
    label: 'Calibration overhead (× inference)',
    unit: 'ratio',
    description: 'Calibration per sample divided by inference per sample.',
  },
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export const calibrationPart: BenchPart = {
  name: 'calibration',
  metrics: CALIBRATION_METRICS,
  async measure(c: PreparedCase): Promise<Figure[]> {
    if (c.nodes > MAX_NODES || c.dataPath) {
      const note = c.dataPath
        ? 'not measured: external-data case'
        : `not measured above ${MAX_NODES.toLocaleString()} nodes (exposing every tensor of a 100k-node graph as an output is what the app avoids)`;
      return CALIBRATION_METRICS.map((m) => ({ metric: m.id, value: null, note }));
    }
    const bytes = new Uint8Array(readFileSync(c.modelPath));
    const model = readOnnx(bytes);
    const inputs = feedInputs(model);
    const samples = randomSamples(nodeRuntime.Tensor, inputs, resolveInputShapes(inputs).shapes, SAMPLES);
    const session = await nodeRuntime.createSession(bytes);
    await session.run(samples[0] as never);
    const times: number[] = [];
    for (const s of samples) {
      const t = performance.now();
      await session.run(s as never);
      times.push(performance.now() - t);
    }
    await session.release();
    let created = 0;
    const factory: typeof nodeRuntime.createSession = async (b, o) => {
      const t = performance.now();
      const sess = await nodeRuntime.createSession(b, o);
      created += performance.now() - t;
      return sess;
    };
    const t0 = performance.now();
    await calibrate(bytes, samples, factory, { observer: 'minmax' });
    const perSample = (performance.now() - t0 - created) / SAMPLES;
    const inference = median(times);
    return [
      { metric: 'calib.inference', value: Math.round(inference * 10) / 10 },
      { metric: 'calib.per-sample', value: Math.round(perSample * 10) / 10 },
      { metric: 'calib.overhead', value: Math.round((perSample / inference) * 100) / 100 },
    ];
  },
};
