/**
 * The committed sample models: they must be exactly what `npm run gen:samples` produces now
 * (so they cannot drift from the generator), load in our reader and in onnxruntime-web, pass
 * python3-onnx's checker where it knows the opset, and follow the HTP encoding rules the
 * viewer will later check them against: Sigmoid's fixed output encoding, Reshape/Transpose
 * sharing their input's encoding, bias scale = input scale x weight scale.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { pairSqnrDb } from '../../scripts/samples/evaluate';
import { generateSamples, type GeneratedSamples } from '../../scripts/samples/generate';
import { BROKEN_VARIANTS } from '../../scripts/samples/broken';
import { readOnnx } from './model/read-onnx';
import type { ConstTensor, Graph, Model, Node } from './model/types';
import { collectMinMaxRanges } from './quant/minmax-ranges';
import { createOrtSession, ort } from './quant/ort-node';

const SAMPLES_DIR = join(import.meta.dirname, '..', '..', 'public', 'samples');
const PYTHON = '/usr/bin/python3';

let generated: GeneratedSamples;
const models = new Map<string, Model>();

beforeAll(async () => {
  generated = await generateSamples();
  for (const f of generated.files) models.set(f.file, readOnnx(f.bytes, { fileName: f.file }));
});

function model(file: string): Model {
  const m = models.get(file);
  if (!m) throw new Error(`${file} was not generated`);
  return m;
}

/** Element values of an inline raw-data initializer. */
function values(t: ConstTensor): number[] {
  if (t.data.kind !== 'raw') throw new Error(`${t.name}: expected raw data, got ${t.data.kind}`);
  const { buffer, byteOffset, byteLength } = t.data.bytes;
  const view = new DataView(buffer, byteOffset, byteLength);
  const read: Record<string, [number, (at: number) => number]> = {
    float32: [4, (at) => view.getFloat32(at, true)],
    int8: [1, (at) => view.getInt8(at)],
    uint8: [1, (at) => view.getUint8(at)],
    uint16: [2, (at) => view.getUint16(at, true)],
    int32: [4, (at) => view.getInt32(at, true)],
    int64: [8, (at) => Number(view.getBigInt64(at, true))],
  };
  const entry = read[t.dtype];
  if (!entry) throw new Error(`${t.name}: no reader for ${t.dtype}`);
  const [size, get] = entry;
  return Array.from({ length: byteLength / size }, (_, i) => get(i * size));
}

/** A Q or DQ node's encoding: dtype (of the zero point), scales, zero points, axis. */
interface Encoding {
  dtype: string;
  scales: number[];
  zeroPoints: number[];
  axis?: number;
}

function encodingOf(graph: Graph, qdq: Node): Encoding {
  const scale = graph.initializers.get(qdq.inputs[1]!);
  const zp = graph.initializers.get(qdq.inputs[2]!);
  if (!scale || !zp) throw new Error(`${qdq.name}: scale or zero point is not an initializer`);
  const axis = qdq.attributes.find((a) => a.name === 'axis');
  return {
    dtype: zp.dtype as string,
    scales: values(scale),
    zeroPoints: values(zp),
    axis: axis?.attr.type === 'int' ? axis.attr.value : undefined,
  };
}

function producerOf(graph: Graph, tensor: string): Node {
  const node = graph.nodes.find((n) => n.outputs.includes(tensor));
  if (!node) throw new Error(`nothing produces ${tensor}`);
  return node;
}

/** The encoding of a node's input, read from the DequantizeLinear that feeds it. */
function inputEncoding(graph: Graph, node: Node, port: number): Encoding {
  const dq = producerOf(graph, node.inputs[port]!);
  expect(dq.opType, `${node.name} input ${port} should come from a DequantizeLinear`).toBe('DequantizeLinear');
  return encodingOf(graph, dq);
}

/** The encoding given to a node's output, read from the QuantizeLinear that consumes it. */
function outputEncoding(graph: Graph, node: Node): Encoding {
  const q = graph.nodes.filter((n) => n.opType === 'QuantizeLinear' && n.inputs[0] === node.outputs[0]);
  expect(q.length, `${node.name} output should feed exactly one QuantizeLinear`).toBe(1);
  return encodingOf(graph, q[0]!);
}

function nodesOf(graph: Graph, ...ops: string[]): Node[] {
  return graph.nodes.filter((n) => ops.includes(n.opType));
}

describe('public/samples', () => {
  it('lists exactly the generated models in index.json', () => {
    const onDisk = readdirSync(SAMPLES_DIR)
      .filter((f) => f.endsWith('.onnx'))
      .sort();
    expect(onDisk).toEqual(generated.files.map((f) => f.file).sort());
    const index = JSON.parse(readFileSync(join(SAMPLES_DIR, 'index.json'), 'utf8')) as {
      file: string;
      title: string;
      description: string;
      settings?: { backend: string; soc: string; flow: string };
    }[];
    expect(index.map((e) => e.file)).toEqual(generated.files.map((f) => f.file));
    for (const e of index) expect(e.title.length * e.description.length, e.file).toBeGreaterThan(0);
    // A demo of a flaw carries the settings the page opens it under: those its test checks it with
    // (validate.test.ts); the other samples leave the person's settings alone.
    for (const e of index) {
      const v = BROKEN_VARIANTS.find((b) => b.file === e.file);
      expect(e.settings, e.file).toEqual(v ? { backend: 'htp', soc: v.failsOn, flow: v.flow ?? 'qnn' } : undefined);
    }
  });

  it('match what the generator produces now, byte for byte (run npm run gen:samples if not)', () => {
    for (const f of generated.files) {
      const path = join(SAMPLES_DIR, f.file);
      expect(existsSync(path), `${path} is missing`).toBe(true);
      const committed = new Uint8Array(readFileSync(path));
      expect(committed.length, `${f.file} size`).toBe(f.bytes.length);
      expect(Buffer.compare(committed, f.bytes), `${f.file} bytes differ from the generator`).toBe(0);
    }
    expect(readFileSync(join(SAMPLES_DIR, 'index.json'), 'utf8')).toBe(new TextDecoder().decode(generated.index));
  });

  it('read cleanly and name every node with a scope', () => {
    for (const [file, m] of models) {
      expect(m.warnings, file).toEqual([]);
      for (const n of m.graph.nodes)
        expect(n.name, `${file}: ${n.opType} node`).toMatch(/^\/|_(Quantize|Dequantize)Linear$/);
    }
  });

  it('load and run in onnxruntime-web with finite outputs of the declared shape', async () => {
    for (const pair of generated.pairs) {
      for (const f of [pair.float, pair.qdq]) {
        const session = await createOrtSession(f.bytes);
        const declared = model(f.file).graph.outputs;
        const out = await session.run(pair.evalInputs[0]!);
        for (const o of declared) {
          const t = out[o.name]!;
          expect(t.dims, `${f.file}:${o.name}`).toEqual(o.shape);
          expect((t.data as Float32Array).every(Number.isFinite), `${f.file}:${o.name} finite`).toBe(true);
        }
        await session.release();
      }
    }
  });

  it('pass python3-onnx checker (full_check) where it knows the opset', () => {
    if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: install Debian's python3-onnx`);
    // python3-onnx 1.12 knows IR version 8 / opset 17; the opset-21 QDQ model is beyond it.
    // Broken variants are invalid on purpose (an axis out of range, uint16 weights at opset 17).
    const checkable = generated.files
      .filter((f) => !f.file.startsWith('broken-') && model(f.file).irVersion <= 8)
      .map((f) => join(SAMPLES_DIR, f.file));
    expect(checkable.length).toBe(3);
    const script =
      'import onnx, sys\nfor p in sys.argv[1:]:\n    onnx.checker.check_model(onnx.load(p), full_check=True)\nprint("ok")';
    expect(execFileSync(PYTHON, ['-c', script, ...checkable], { encoding: 'utf8' }).trim()).toBe('ok');
  });

  it('keep QDQ outputs close to the float outputs (SQNR)', async () => {
    const floor: Record<string, number> = { 'cnn-sigmoid': 30, 'transformer-block': 35 };
    for (const pair of generated.pairs) {
      expect(await pairSqnrDb(pair), pair.name).toBeGreaterThan(floor[pair.name]!);
    }
  });
});

describe('cnn-sigmoid.qdq.onnx encodings', () => {
  const g = (): Graph => model('cnn-sigmoid.qdq.onnx').graph;

  it('uses opset 17 and the same nodes as the float model, plus Q/DQ', () => {
    expect(model('cnn-sigmoid.qdq.onnx').opsetImports).toEqual([{ domain: '', version: 17 }]);
    const qdqOps = new Set(['QuantizeLinear', 'DequantizeLinear']);
    const plain = (m: Model): string[] => m.graph.nodes.filter((n) => !qdqOps.has(n.opType)).map((n) => n.name);
    expect(plain(model('cnn-sigmoid.qdq.onnx'))).toEqual(plain(model('cnn-sigmoid.onnx')));
    expect(model('cnn-sigmoid.onnx').graph.nodes.map((n) => n.name)).toEqual([
      '/backbone/conv1/Conv',
      '/backbone/conv1/Relu',
      '/backbone/conv2/Conv',
      '/backbone/conv2/Relu',
      '/head/pool/GlobalAveragePool',
      '/head/Flatten',
      '/head/fc/Gemm',
      '/head/Sigmoid',
    ]);
  });

  it('quantizes the Sigmoid output at scale 1/256, zero point 0, uint8', () => {
    const [sigmoid] = nodesOf(g(), 'Sigmoid');
    expect(outputEncoding(g(), sigmoid!)).toEqual({
      dtype: 'uint8',
      scales: [1 / 256],
      zeroPoints: [0],
      axis: undefined,
    });
  });

  it('quantizes every activation as uint8 per tensor', () => {
    for (const q of nodesOf(g(), 'QuantizeLinear')) {
      const enc = encodingOf(g(), q);
      expect([enc.dtype, enc.scales.length], q.name).toEqual(['uint8', 1]);
    }
  });

  it('uses int8 symmetric weights (per channel on Conv, per tensor on Gemm) and int32 bias = input scale x weight scale', () => {
    const ops = nodesOf(g(), 'Conv', 'Gemm');
    expect(ops.length).toBe(3);
    for (const op of ops) {
      const input = inputEncoding(g(), op, 0);
      const weight = inputEncoding(g(), op, 1);
      const bias = inputEncoding(g(), op, 2);
      const channels = op.opType === 'Conv' ? (op.name.includes('conv1') ? 8 : 16) : 1;
      expect([weight.dtype, weight.scales.length], op.name).toEqual(['int8', channels]);
      if (op.opType === 'Conv') expect(weight.axis, op.name).toBe(0);
      expect(
        weight.zeroPoints.every((z) => z === 0),
        `${op.name} weight zero points`,
      ).toBe(true);
      expect([bias.dtype, bias.scales.length], op.name).toEqual(['int32', channels]);
      expect(
        bias.zeroPoints.every((z) => z === 0),
        `${op.name} bias zero points`,
      ).toBe(true);
      expect(bias.scales, `${op.name} bias scale`).toEqual(weight.scales.map((s) => Math.fround(input.scales[0]! * s)));
    }
  });

  it('stores weights only once, quantized, behind a DequantizeLinear', () => {
    const floats = [...g().initializers.values()].filter((t) => t.dtype === 'float32' && !t.name.endsWith('_scale'));
    expect(floats.map((t) => t.name)).toEqual([]);
  });

  it('keeps Flatten (a reshape on HTP) on its input encoding', () => {
    const [flatten] = nodesOf(g(), 'Flatten');
    expect(outputEncoding(g(), flatten!)).toEqual(inputEncoding(g(), flatten!, 0));
  });
});

describe('transformer-block.qdq.onnx encodings', () => {
  const g = (): Graph => model('transformer-block.qdq.onnx').graph;

  it('uses ai.onnx opset 21 and IR version 10 for 16-bit Q/DQ', () => {
    expect(model('transformer-block.qdq.onnx').opsetImports).toEqual([{ domain: '', version: 21 }]);
    expect(model('transformer-block.qdq.onnx').irVersion).toBe(10);
  });

  it('quantizes every activation as uint16 per tensor, and the attention MatMuls read K and V as uint8', () => {
    const qs = nodesOf(g(), 'QuantizeLinear');
    expect(qs.length).toBeGreaterThan(20);
    const eightBit = qs.filter((q) => encodingOf(g(), q).dtype === 'uint8').map((q) => q.name);
    expect(eightBit).toEqual([
      '/layers.0/attn/Transpose_1_output_0_uint8_QuantizeLinear',
      '/layers.0/attn/Transpose_2_output_0_uint8_QuantizeLinear',
    ]);
    for (const q of qs) {
      const enc = encodingOf(g(), q);
      expect([enc.dtype, enc.scales.length], q.name).toEqual([eightBit.includes(q.name) ? 'uint8' : 'uint16', 1]);
    }
    // The uint8 copies are what the MatMuls read (16x8): the HTP takes a 16-bit second input only as int16.
    for (const [mm, q] of [
      ['/layers.0/attn/MatMul', eightBit[0]],
      ['/layers.0/attn/MatMul_1', eightBit[1]],
    ]) {
      const dq = g().nodes.find(
        (n) => n.opType === 'DequantizeLinear' && n.inputs[0] === g().nodes.find((x) => x.name === q)!.outputs[0],
      );
      expect(g().nodes.find((n) => n.name === mm)!.inputs[1]).toBe(dq!.outputs[0]);
    }
  });

  it('gives Reshape and Transpose outputs exactly their input encoding', () => {
    const ops = nodesOf(g(), 'Reshape', 'Transpose');
    expect(ops.length).toBe(8);
    for (const op of ops) expect(outputEncoding(g(), op), op.name).toEqual(inputEncoding(g(), op, 0));
  });

  it('uses int8 symmetric per-tensor weights for MatMul', () => {
    const weighted = nodesOf(g(), 'MatMul').filter((n) => n.name.endsWith('_proj/MatMul'));
    expect(weighted.map((n) => n.name)).toEqual(['q', 'k', 'v', 'o'].map((p) => `/layers.0/attn/${p}_proj/MatMul`));
    for (const mm of weighted) {
      expect(inputEncoding(g(), mm, 1), mm.name).toMatchObject({ dtype: 'int8', zeroPoints: [0], axis: undefined });
    }
  });

  it('uses an int32 LayerNorm bias with scale = input scale x weight scale', () => {
    const [ln] = nodesOf(g(), 'LayerNormalization');
    const input = inputEncoding(g(), ln!, 0);
    const weight = inputEncoding(g(), ln!, 1);
    const bias = inputEncoding(g(), ln!, 2);
    expect(weight).toMatchObject({ dtype: 'int8', zeroPoints: [0] });
    expect(bias).toEqual({
      dtype: 'int32',
      scales: [Math.fround(input.scales[0]! * weight.scales[0]!)],
      zeroPoints: [0],
      axis: undefined,
    });
  });

  it('keeps the float model structure: K transposed for q k^T, scoped names', () => {
    const f = model('transformer-block.onnx').graph;
    const perm = (name: string): unknown => f.nodes.find((n) => n.name === name)?.attributes[0]?.attr;
    expect(perm('/layers.0/attn/Transpose')).toEqual({ type: 'ints', value: [0, 2, 1, 3] });
    expect(perm('/layers.0/attn/Transpose_1')).toEqual({ type: 'ints', value: [0, 2, 3, 1] });
    expect(f.nodes.map((n) => n.opType).join(',')).toContain('MatMul,Mul,Softmax,MatMul');
    expect(f.outputs.map((o) => [o.name, o.shape])).toEqual([['y', [1, 16, 64]]]);
  });
});

describe('collectMinMaxRanges (the calibration behind the QDQ samples)', () => {
  it('reports every float tensor of the graph, skipping non-float ones', async () => {
    const pair = generated.pairs.find((p) => p.name === 'cnn-sigmoid')!;
    const ranges = await collectMinMaxRanges(pair.float.bytes, pair.evalInputs);
    const g = model('cnn-sigmoid.onnx').graph;
    expect([...ranges.keys()].sort()).toEqual(['image', ...g.nodes.flatMap((n) => n.outputs)].sort());
    expect(ranges.get('/backbone/conv1/Relu_output_0')!.min).toBe(0);
    const probs = ranges.get('probs')!;
    expect(probs.min).toBeGreaterThan(0);
    expect(probs.max).toBeLessThan(1);
    const image = ranges.get('image')!;
    expect(image.min).toBeGreaterThanOrEqual(0);
    expect(image.max).toBeLessThan(1);

    const qdq = await collectMinMaxRanges(pair.qdq.bytes, pair.evalInputs.slice(0, 1));
    expect(qdq.has('image_QuantizeLinear_Output'), 'uint8 tensors are not ranges').toBe(false);
    expect(qdq.has('image_DequantizeLinear_Output')).toBe(true);
  });

  it('merges ranges over samples', async () => {
    const pair = generated.pairs.find((p) => p.name === 'transformer-block')!;
    const one = await collectMinMaxRanges(pair.float.bytes, [pair.evalInputs[0]!]);
    const all = await collectMinMaxRanges(pair.float.bytes, pair.evalInputs);
    for (const [name, r] of one) {
      expect(all.get(name)!.min, name).toBeLessThanOrEqual(r.min);
      expect(all.get(name)!.max, name).toBeGreaterThanOrEqual(r.max);
    }
    const x = pair.evalInputs.flatMap((s) => [...(s.x!.data as Float32Array)]);
    expect(all.get('x')).toEqual({ min: Math.min(...x), max: Math.max(...x) });
    expect(all.get('y')).toBeDefined();
    expect(ort.env.wasm.numThreads).toBe(1);
  });
});
