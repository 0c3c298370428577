/**
 * Calibration overhead: calibration time per sample as the quantizer runs it (the tensors its
 * 8a8w plan observes, their ranges computed inside the graph) against plain onnxruntime-web
 * inference time per sample on the same model, in Node. The model is the float twin of the case's
 * decoder (what a person hands the quantizer), generated beside it. Measured up to 12k nodes;
 * larger cases say why not.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateLargeModel } from '../large-model/generate';
import { readOnnx } from '../../src/core/model/read-onnx';
import { calibrate } from '../../src/core/quant/calibrate';
import { feedInputs, randomSamples, resolveInputShapes } from '../../src/core/quant/inputs';
import { nodeRuntime } from '../../src/core/quant/node-runtime';
import { annotate } from '../../src/core/quant/plan';
import { DEFAULT_OPTIONS } from '../../src/core/quant/configs';
import { loadRulePack } from '../../rules/registry';
import type { BenchPart, Figure, MetricDef, PreparedCase, Target } from './types';

const MAX_NODES = 12_000;
const SAMPLES = 9;

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
    description: `calibrate() over the tensors the 8a8w plan observes, min/max inside the graph: the median time between one sample's progress report and the next, over samples 2-${SAMPLES} (the first sample, augmenting the model and creating the sessions are reported apart).`,
  },
  {
    id: 'calib.session',
    label: 'Calibration session creation (once per run)',
    unit: 'ms',
    description:
      'Creating the onnxruntime-web sessions calibration needs (one with the observed tensors as outputs, whose inferred sizes give the groups, and the one that reduces them in groups, which runs every sample): paid once per quantization, not per sample.',
  },
  {
    id: 'calib.total',
    label: `Calibration, whole run (${SAMPLES} samples)`,
    unit: 'ms',
    description: `calibrate() from the call to the ranges, min/max, ${SAMPLES} samples: augmenting the model, the sessions and every sample, what a quantization waits for.`,
  },
  {
    id: 'calib.overhead',
    label: 'Calibration overhead (× inference)',
    unit: 'ratio',
    description: 'Calibration per sample divided by inference per sample.',
  },
  {
    id: 'calib.percentile.overhead',
    label: 'Percentile calibration overhead (× inference)',
    unit: 'ratio',
    description:
      "The same with the percentile observer (99.99): each tensor's tails taken inside the graph (TopK over its shape group), divided by inference per sample.",
  },
];

export const CALIBRATION_TARGETS: Target[] = [
  {
    id: 'calib-10k',
    metric: 'calib.overhead',
    caseId: '10k',
    limit: 1.2,
    unit: 'ratio',
    text: '10k nodes: calibration at most 1.2x plain inference per sample',
  },
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export const calibrationPart: BenchPart = {
  name: 'calibration',
  metrics: CALIBRATION_METRICS,
  targets: CALIBRATION_TARGETS,
  async measure(c: PreparedCase): Promise<Figure[]> {
    if (c.real) return [];
    if (c.nodes > MAX_NODES || c.dataPath) {
      const note = c.dataPath
        ? 'not measured: external-data case'
        : `not measured above ${MAX_NODES.toLocaleString()} nodes (the quantizer offers no run on load at that size)`;
      return CALIBRATION_METRICS.map((m) => ({ metric: m.id, value: null, note }));
    }
    const dir = mkdtempSync(join(tmpdir(), 'ql-calib-'));
    const float = generateLargeModel({ nodes: c.targetNodes, qdq: false, flawEvery: c.flawEvery, outDir: dir });
    const bytes = new Uint8Array(readFileSync(float.modelPath));
    rmSync(dir, { recursive: true, force: true });
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
    // Per sample: between one sample's progress report and the next, so the one-off work
    // (augmenting the model, creating the session, the first run) is not spread over the samples.
    const plan = annotate(model, await loadRulePack('htp'), { ...DEFAULT_OPTIONS, config: '8a8w' });
    const tensors = new Set([...plan.tensors].filter(([, spec]) => spec.kind === 'observe').map(([t]) => t));
    let total = 0;
    const timed = async (observer: 'minmax' | 'percentile') => {
      const stamps: number[] = [];
      const started = performance.now();
      await calibrate(bytes, samples, factory, {
        observer,
        percentile: 99.99,
        tensors,
        onProgress: () => stamps.push(performance.now()),
      });
      if (observer === 'minmax') total = performance.now() - started;
      // The median gap: one slow sample (the host's load moves single runs by tens of percent
      // here) does not move the figure.
      return median(stamps.slice(1).map((t, k) => t - stamps[k]!));
    };
    const perSample = await timed('minmax');
    const sessions = created;
    const percentile = await timed('percentile');
    created = sessions;
    const inference = median(times);
    return [
      { metric: 'calib.inference', value: Math.round(inference * 10) / 10 },
      { metric: 'calib.per-sample', value: Math.round(perSample * 10) / 10 },
      { metric: 'calib.session', value: Math.round(created) },
      { metric: 'calib.total', value: Math.round(total) },
      { metric: 'calib.overhead', value: Math.round((perSample / inference) * 100) / 100 },
      { metric: 'calib.percentile.overhead', value: Math.round((percentile / inference) * 100) / 100 },
    ];
  },
};
