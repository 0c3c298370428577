/**
 * Calibration overhead: calibration time per sample as the quantizer runs it (the tensors its
 * 8a8w plan observes, their ranges computed inside the graph) against plain onnxruntime-web
 * inference time per sample on the same model, in Node. The model is the float twin of the case's
 * decoder (what a person hands the quantizer), generated beside it, and the real float models as
 * the quantizer takes them (control flow folded, shared biases untied). Measured up to 12k nodes;
 * larger cases, and models quantized already, say why not.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateLargeModel } from '../large-model/generate';
import { readOnnx } from '../../src/core/model/read-onnx';
import { qgraphFromQdq } from '../../src/core/qgraph/from-qdq';
import { foldControlFlow } from '../../src/core/quant/fold-control-flow';
import { untieConstants } from '../../src/core/quant/untie-constants';
import { calibrate } from '../../src/core/quant/calibrate';
import { quantize } from '../../src/core/quant/quantize';
import { CalibrationMemo } from '../../src/core/quant/calibration-memo';
import type { CalibrationSample } from '../../src/core/quant/expose';
import { sileroSamples } from '../samples/silero';
import { feedInputs, randomSamples, resolveInputShapes } from '../../src/core/quant/inputs';
import { nodeRuntime } from '../../src/core/quant/node-runtime';
import { annotate, observedTensors } from '../../src/core/quant/plan';
import { DEFAULT_OPTIONS } from '../../src/core/quant/configs';
import { loadRulePack } from '../../rules/registry';
import type { BenchPart, Figure, MetricDef, PreparedCase, Target } from './types';
import { measuredValues, reductionMs } from './reduction-floor';

const MAX_NODES = 12_000;
const SAMPLES = 9;

export const CALIBRATION_METRICS: MetricDef[] = [
  {
    id: 'calib.inference',
    label: 'Inference per sample (onnxruntime-web, Node)',
    unit: 'ms',
    description: `Plain session.run of the model (default optimizations), on each calibration sample just before calibration's own run of it, median over samples 2-${SAMPLES}.`,
  },
  {
    id: 'calib.per-sample',
    label: 'Calibration per sample',
    unit: 'ms',
    description: `calibrate() over the tensors the 8a8w plan observes, min/max inside the graph (those whose ranges follow exactly from others', a Relu's say, computed from theirs): the median time between one sample's progress report and the next less the plain run paired with it, over samples 2-${SAMPLES} (the first sample, augmenting the model and creating the sessions are reported apart).`,
  },
  {
    id: 'calib.session',
    label: 'Calibration session creation (once per run)',
    unit: 'ms',
    description:
      "Creating the onnxruntime-web sessions calibration needs: the one that reduces the observed tensors in groups, which runs every sample, and, only where the graph does not give every observed tensor's size (static-shapes.ts), one created first with them as outputs, whose inferred sizes give the groups. Paid once per quantization, not per sample.",
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
    description:
      'Calibration per sample divided by the plain run of the same sample, done just before it (the median of the per-sample ratios).',
  },
  {
    id: 'calib.unfused',
    label: 'Plain inference, optimizations off (× inference)',
    unit: 'ratio',
    description: `The plain model with onnxruntime's graph optimizations off, divided by the plain run with its defaults, the two alternated on each sample (median of the ratios over samples 2-${SAMPLES}). The optimizations fuse ops whose intermediate tensors the 8a8w plan observes (a LayerNorm's steps, a MatMul and its Add): calibration's range session must keep those tensors, so it runs the graph unfused, and this part of the overhead comes before any range is taken.`,
  },
  {
    id: 'calib.reduced-values',
    label: 'Values calibration reduces a sample (min/max)',
    unit: 'count',
    description:
      "Elements of the tensors the 8a8w plan measures (those whose ranges follow exactly from others' are computed, not reduced), at the sizes onnxruntime infers for the samples: what the range session takes a minimum and a maximum of, every sample. The note gives the tensors, and any whose size only a run tells (left out).",
  },
  {
    id: 'calib.reduce-ms',
    label: "onnxruntime-web's ReduceMin and ReduceMax of that many values",
    unit: 'ms',
    description: `One ReduceMin and one ReduceMax over that many float32 values in rows of 1,024, in a session created as calibration's range session is (unfused, memory kept between runs), less the same graph without them; the tensor is made inside the graph, nothing is copied into groups or read out (reduction-floor.ts). Median over 15 alternations.`,
  },
  {
    id: 'calib.floor',
    label: 'Estimated floor: unfused inference + those reductions (× inference)',
    unit: 'ratio',
    description:
      "The unfused ratio above plus the reductions' time over inference per sample: an estimate of what calibration with its ranges computed in the graph would score on the target's ratio if grouping the tensors cost nothing, with onnxruntime-web's reductions (scalar loops, 0.5-0.8 ns a value each here). Its two halves are measured apart from calibration: on a model whose sample takes a few milliseconds (the 1k decoder) their noise can put it above the overhead itself; on the 10k decoder the gap up to the overhead figure is the groups' copies and nodes and the read-out of their results.",
  },
  {
    id: 'calib.percentile.overhead',
    label: 'Percentile calibration overhead (× inference)',
    unit: 'ratio',
    description:
      "The same with the percentile observer (99.99): each tensor's tails taken inside the graph (TopK over its shape group), divided by inference per sample.",
  },
  {
    id: 'calib.quantize-total',
    label: `Quantization, whole run (8a8w, ${SAMPLES} samples)`,
    unit: 'ms',
    description:
      "quantize() from the float model to the validated QDQ export and its SQNR, as the app's Quantize button runs it in the worker: folding control flow, the plan, calibration, encodings and validation, the export, and the SQNR runs of the export.",
  },
  {
    id: 'calib.quantize-sqnr',
    label: 'Quantization: SQNR of the export',
    unit: 'ms',
    description:
      "The SQNR step of the run above: onnxruntime's session of the exported QDQ model (optimizations off) and its runs on the samples.",
  },
  {
    id: 'calib.trace',
    label: `Error trace (${SAMPLES} samples)`,
    unit: 'ms',
    description:
      'traceError() after the run above, as the quantizer panel\'s "Where is the error lost?" runs it: every quantized activation of the export compared with the float model\'s on the samples, read out of both models, or summed inside one graph holding both where the activations take several reads a sample (the note says which).',
  },
  {
    id: 'calib.requantize-plan',
    label: 'Quantization again at 16a8w: plan shown (SQNR after)',
    unit: 'ms',
    description:
      'A second run on the same samples with another config (16a8w after the 8a8w run above), as when a person changes the config and presses Quantize again: the engine keeps the ranges it measured (calibration-memo.ts), so this run measures only the tensors it lacks. Less its SQNR step, as the plan figure above; the note gives its calibration step and how many ranges it reused.',
  },
  {
    id: 'calib.quantize-plan',
    label: 'Quantization: plan shown (SQNR after)',
    unit: 'ms',
    description:
      'The whole run less its SQNR step: when the page shows the plan, its findings and exports (it asks for the SQNR after them: deferSqnr).',
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

/** Real models that random inputs do not run: samples as the model is used. */
const OWN_SAMPLES: Record<string, (n: number) => CalibrationSample[]> = {
  'silero-v5': (n) => sileroSamples(nodeRuntime.Tensor, Array<number>(n).fill(16000)),
};

/** Ops of a model quantized already: QDQ, or onnxruntime's dynamic quantization (IS-Net's). */
const QUANTIZED_OPS = /^(QuantizeLinear|DequantizeLinear|DynamicQuantizeLinear|ConvInteger|MatMulInteger|QLinear.*)$/;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export const calibrationPart: BenchPart = {
  name: 'calibration',
  metrics: CALIBRATION_METRICS,
  targets: CALIBRATION_TARGETS,
  async measure(c: PreparedCase): Promise<Figure[]> {
    if (c.nodes > MAX_NODES || c.dataPath) {
      const note = c.dataPath
        ? 'not measured: external-data case'
        : `not measured above ${MAX_NODES.toLocaleString()} nodes (the quantizer offers no run on load at that size)`;
      return CALIBRATION_METRICS.map((m) => ({ metric: m.id, value: null, note }));
    }
    let bytes: Uint8Array;
    if (c.real) bytes = new Uint8Array(readFileSync(c.modelPath));
    else {
      const dir = mkdtempSync(join(tmpdir(), 'ql-calib-'));
      const float = generateLargeModel({ nodes: c.targetNodes, qdq: false, flawEvery: c.flawEvery, outDir: dir });
      bytes = new Uint8Array(readFileSync(float.modelPath));
      rmSync(dir, { recursive: true, force: true });
    }
    let model = readOnnx(bytes);
    if (qgraphFromQdq(model).quantized || model.graph.nodes.some((n) => QUANTIZED_OPS.test(n.opType))) {
      const note = 'not measured: the model is quantized already (nothing to calibrate)';
      return CALIBRATION_METRICS.map((m) => ({ metric: m.id, value: null, note }));
    }
    const original = { model, bytes };
    const inputs = feedInputs(model);
    const samples =
      OWN_SAMPLES[c.id]?.(SAMPLES) ??
      randomSamples(nodeRuntime.Tensor, inputs, resolveInputShapes(inputs).shapes, SAMPLES);
    // What the quantizer calibrates: control flow folded for the samples, shared biases untied.
    const fold = await foldControlFlow(bytes, samples, nodeRuntime.createSession);
    if (fold?.folded.length) model = readOnnx((bytes = fold.bytes));
    const untied = untieConstants(model, bytes);
    if (untied) model = readOnnx((bytes = untied.bytes));
    // The plain model runs inside calibration's own loop: before each of calibration's runs, on the
    // same sample (the wrapped session below). Measured apart, the two figures fell in different
    // phases of this shared host, whose speed moves by 1.6x for seconds at a time (a committed 1.37x
    // read 2.2x with the two paired).
    const session = await nodeRuntime.createSession(bytes);
    await session.run(samples[0] as never);
    let created = 0;
    let plainMs = 0;
    const factory: typeof nodeRuntime.createSession = async (b, o) => {
      const t = performance.now();
      const sess = await nodeRuntime.createSession(b, o);
      created += performance.now() - t;
      const run = sess.run.bind(sess);
      sess.run = (async (feeds: Record<string, unknown>, ...rest: unknown[]) => {
        const t0 = performance.now();
        await session.run(feeds as never);
        plainMs += performance.now() - t0;
        return (run as (...a: unknown[]) => unknown)(feeds, ...rest);
      }) as typeof sess.run;
      return sess;
    };
    // Per sample: between one sample's progress report and the next, less the plain run inside
    // it, so the one-off work (augmenting the model, creating the session, the first run) is not
    // spread over the samples.
    const plan = annotate(model, await loadRulePack('htp'), { ...DEFAULT_OPTIONS, config: '8a8w' });
    const tensors = observedTensors(model, plan);
    let total = 0;
    const timed = async (observer: 'minmax' | 'percentile') => {
      const stamps: { at: number; plain: number }[] = [];
      const started = performance.now();
      plainMs = 0;
      await calibrate(bytes, samples, factory, {
        observer,
        percentile: 99.99,
        tensors,
        model,
        optimize: plan.supergroups.length > 0,
        onProgress: () => stamps.push({ at: performance.now(), plain: plainMs }),
      });
      if (observer === 'minmax') total = performance.now() - started - plainMs;
      // Sample k's own time, and the plain run paired with it; the median of their ratios, so one
      // slow sample (a phase change of the host) does not move the figure.
      const pairs = stamps.slice(1).map((s, k) => {
        const plain = s.plain - stamps[k]!.plain;
        return { calib: s.at - stamps[k]!.at - plain, plain };
      });
      return {
        perSample: median(pairs.map((p) => p.calib)),
        inference: median(pairs.map((p) => p.plain)),
        ratio: median(pairs.map((p) => p.calib / p.plain)),
      };
    };
    // The same samples through the plain model unfused, alternated with the default session.
    const unfusedSession = await nodeRuntime.createSession(bytes, { graphOptimizationLevel: 'disabled' });
    await unfusedSession.run(samples[0] as never);
    const unfused: number[] = [];
    for (const sample of samples.slice(1)) {
      const t0 = performance.now();
      await session.run(sample as never);
      const t1 = performance.now();
      await unfusedSession.run(sample as never);
      unfused.push((performance.now() - t1) / (t1 - t0));
    }
    await unfusedSession.release();
    const reduced = await measuredValues(bytes, model, tensors, samples);
    // (A model whose measured tensors only a run sizes, Silero's folded If, has no floor here.)
    const reduceMs = reduced.values > 0 ? await reductionMs(reduced.values) : undefined;
    const minmax = await timed('minmax');
    const sessions = created;
    const percentile = await timed('percentile');
    created = sessions;
    await session.release();
    const pack = await loadRulePack('htp');
    const memo = new CalibrationMemo();
    const started = performance.now();
    const out = await quantize({
      ...original,
      pack,
      soc: 'SM8650',
      strict: true,
      options: { ...DEFAULT_OPTIONS, config: '8a8w' },
      samples,
      createSession: nodeRuntime.createSession,
      memo,
    });
    const quantMs = performance.now() - started;
    const again = performance.now();
    const second = await quantize({
      ...original,
      pack,
      soc: 'SM8650',
      strict: true,
      options: { ...DEFAULT_OPTIONS, config: '16a8w' },
      samples,
      createSession: nodeRuntime.createSession,
      memo,
      deferSqnr: true,
    });
    const againMs = performance.now() - again;
    const tracing = performance.now();
    const trace = await out.traceError();
    const traceMs = performance.now() - tracing;
    return [
      {
        metric: 'calib.trace',
        value: Math.round(traceMs),
        note: trace.inGraph
          ? `${trace.tensors.length} tensors, in one graph`
          : `${trace.tensors.length} tensors, read out in ${trace.runs} run${trace.runs === 1 ? '' : 's'} of each model a sample`,
      },
      { metric: 'calib.quantize-total', value: Math.round(quantMs) },
      { metric: 'calib.quantize-sqnr', value: Math.round(out.timings.sqnr ?? 0) },
      { metric: 'calib.quantize-plan', value: Math.round(quantMs - (out.timings.sqnr ?? 0)) },
      {
        metric: 'calib.requantize-plan',
        value: Math.round(againMs),
        note: `calibration ${Math.round(second.timings.calibrate ?? 0)} ms; ${second.calibration.reused} of ${second.calibration.observed} ranges reused`,
      },
      { metric: 'calib.inference', value: Math.round(minmax.inference * 10) / 10 },
      { metric: 'calib.per-sample', value: Math.round(minmax.perSample * 10) / 10 },
      { metric: 'calib.session', value: Math.round(created) },
      { metric: 'calib.total', value: Math.round(total) },
      { metric: 'calib.overhead', value: Math.round(minmax.ratio * 100) / 100 },
      { metric: 'calib.unfused', value: Math.round(median(unfused) * 100) / 100 },
      {
        metric: 'calib.reduced-values',
        value: reduced.values,
        note: `${reduced.tensors.toLocaleString('en-US')} tensors${reduced.unsized ? `; ${reduced.unsized} of unknown size left out` : ''}`,
      },
      ...(reduceMs === undefined
        ? (['calib.reduce-ms', 'calib.floor'] as const).map((metric) => ({
            metric,
            value: null,
            note: 'not measured: no measured tensor has a size before a run',
          }))
        : [
            { metric: 'calib.reduce-ms', value: Math.round(reduceMs * 10) / 10 },
            {
              metric: 'calib.floor',
              value: Math.round((median(unfused) + reduceMs / minmax.inference) * 100) / 100,
              ...(reduced.unsized ? { note: 'without the tensors of unknown size: a floor below the true one' } : {}),
            },
          ]),
      { metric: 'calib.percentile.overhead', value: Math.round(percentile.ratio * 100) / 100 },
    ];
  },
};
