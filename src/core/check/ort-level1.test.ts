/**
 * ONNX Runtime's Level 1 graph optimizers, which run before its QNN EP partitions the graph and so
 * decide which QDQ node groups it sees (onnxruntime/core/optimizer/graph_transformer_utils.cc in
 * onnxruntime/onnxruntime-qnn at cee6c0d91e):
 * - WeightBiasQuantization quantizes the float weight of a Conv, ConvTranspose or Gemm between a
 *   DequantizeLinear and a QuantizeLinear (qdq_transformer/weight_bias_quantization.cc);
 * - PadFusion folds a Pad of zeros into the Conv or pool that reads it (pad_fusion.cc);
 * - QDQPropagationTransformer carries Q/DQ across Reshape, Transpose, Squeeze, Unsqueeze and Slice
 *   only, so a layer after a Flatten reads float values. It moves a DQ with one reader only, which
 *   every DQ is by then: InferenceSession first gives each reader of a shared DQ a copy
 *   (EnsureUniqueDQForNodeUnit, ensure_unique_dq_for_node_unit.cc).
 * Cases transcribed from its optimizer tests (test/optimizer/qdq_transformer_test.cc,
 * ensure_unique_dq_for_node_unit_test.cc, graph_transform_test.cc with
 * testdata/transform/fusion/fuse-pad-*.onnx), and PyTorch exports.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadRulePack } from '../../../rules/registry';
import type { Flow } from '../../../rules/types';
import { GraphBuilder } from '../model/graph-builder';
import { constNumbers } from '../model/constants';
import { readOnnx } from '../model/read-onnx';
import { attr, writeOnnx } from '../model/write-onnx';
import { qgraphFromQdq } from '../qgraph/from-qdq';
import type { QGraph } from '../qgraph/qgraph';
import { u8QdqPair } from '../../testing/ort-qdq';
import { validate } from './validate';

const under = async (graph: QGraph, flow: Flow, soc = 'SM8650') =>
  validate(graph, await loadRulePack('htp'), { soc, strict: true, flow });

/** Each finding of `rule` as [node, outcome, severity]. */
const of = async (graph: QGraph, rule: string, flow: Flow, soc?: string) =>
  (await under(graph, flow, soc)).findings.filter((f) => f.rule === rule).map((f) => [f.node, f.outcome, f.severity]);

const build = (b: GraphBuilder, opset: number, fileName: string) =>
  qgraphFromQdq(
    readOnnx(writeOnnx(b.toModel({ opset: [{ domain: '', version: opset }], irVersion: 8 })), { fileName }),
  );

const qdq = u8QdqPair;

/** Values spread over [lo, hi] (the tests' MakeInitializer draws them at random in that range). */
const spread = (n: number, lo: number, hi: number) =>
  Float32Array.from({ length: n }, (_, i) => lo + ((hi - lo) * ((i * 7919) % n)) / Math.max(1, n - 1));

describe("WeightBiasQuantization: ONNX Runtime quantizes a layer's float weight itself", () => {
  /**
   * WeightBiasQuantization_Conv_Weight_Bias: a uint8 input [1, 24, 67, 67] → DQ (0.014, 127) →
   * depthwise Conv (float weight [24, 1, 5, 5] and bias [24], stride 2) → Q (0.014, 127). ORT expects
   * one QLinearConv after Level 2: Level 1 made the Conv one QDQ group.
   */
  function convWeightBias(): QGraph {
    const b = new GraphBuilder('conv_weight_bias');
    b.input('input', 'uint8', [1, 24, 67, 67]);
    b.initializer('in_scale', new Float32Array([0.014]), []);
    b.initializer('in_zp', new Uint8Array([127]), [], 'uint8');
    b.node('DequantizeLinear', ['input', 'in_scale', 'in_zp'], ['input_dq'], {}, { name: 'input_DQ' });
    b.initializer('weight', spread(24 * 25, -0.1, 0.1), [24, 1, 5, 5]);
    b.initializer('bias', spread(24, -0.1, 0.1), [24]);
    b.node(
      'Conv',
      ['input_dq', 'weight', 'bias'],
      ['conv_out'],
      {
        dilations: attr.ints([1, 1]),
        kernel_shape: attr.ints([5, 5]),
        strides: attr.ints([2, 2]),
        group: attr.int(24),
        pads: attr.ints([0, 0, 0, 0]),
      },
      { name: 'Conv' },
    );
    b.node('QuantizeLinear', ['conv_out', 'in_scale', 'in_zp'], ['output'], {}, { name: 'output_Q' });
    b.output('output', 'uint8');
    return build(b, 18, 'conv_weight_bias.onnx');
  }

  it('Conv_Weight_Bias: repaired under ONNX Runtime (int8 per tensor, its choice), nothing under the other flows', async () => {
    const g = convWeightBias();
    expect(await of(g, 'ort-float-weight', 'ort')).toEqual([['Conv', 'auto-fixed', 'warning']]);
    expect(await of(g, 'ort-float-weight', 'qnn')).toEqual([]);
    expect(await of(g, 'ort-float-weight', 'executorch')).toEqual([]);
    const f = (await under(g, 'ort')).findings.find((x) => x.rule === 'ort-float-weight')!;
    expect(f.message).toMatch(/ONNX Runtime quantizes the weight itself .* int8 with one scale for the whole tensor/);
    expect(f.source).toMatch(/weight_bias_quantization\.cc/);
    // The repair does not depend on FP16: on V68 the node runs quantized too.
    expect(await of(g, 'ort-float-weight', 'ort', 'SA8295')).toEqual([['Conv', 'auto-fixed', 'warning']]);
  });

  /**
   * WeightBiasQuantization_ConvWithReLU: float input [1, 1, 4, 4] → Q → DQ (0.18, 127) → Conv (float
   * weight [2, 1, 3, 3], no bias) → Relu → Q → DQ (0.69, 127): one more Q/DQ pair, on the weight.
   * SkipIfOutputNotQuantized: the Conv's output a graph output, or read by a Reshape that is one:
   * the weight stays float and the Conv is a float op.
   */
  function conv(tail: 'relu' | 'output' | 'reshape'): QGraph {
    const b = new GraphBuilder(`conv_${tail}`);
    b.input('input', 'float32', [1, 1, 4, 4]);
    const x = qdq(b, 'input', 0.18, 127);
    b.initializer('weight', spread(18, -1, 1), [2, 1, 3, 3]);
    b.node('Conv', [x, 'weight'], ['conv_out'], { kernel_shape: attr.ints([3, 3]) }, { name: 'Conv' });
    if (tail === 'relu') {
      b.node('Relu', ['conv_out'], ['relu_out'], {}, { name: 'Relu' });
      b.output(qdq(b, 'relu_out', 0.69, 127), 'float32');
    } else if (tail === 'output') {
      b.output('conv_out', 'float32');
    } else {
      b.initializer('shape', new BigInt64Array([1n, -1n]), [2], 'int64');
      b.node('Reshape', ['conv_out', 'shape'], ['flat'], {}, { name: 'Reshape' });
      b.output('flat', 'float32');
    }
    return build(b, 20, `conv_${tail}.onnx`);
  }

  it('ConvWithReLU: the path to the Q may pass a Relu', async () => {
    expect(await of(conv('relu'), 'ort-float-weight', 'ort')).toEqual([['Conv', 'auto-fixed', 'warning']]);
  });

  it('SkipIfOutputNotQuantized: no Q after the Conv, so the weight stays float and the Conv is a float op', async () => {
    for (const tail of ['output', 'reshape'] as const) {
      expect(await of(conv(tail), 'ort-float-weight', 'ort')).toEqual([['Conv', 'slower', 'warning']]);
      expect(await of(conv(tail), 'ort-float-weight', 'ort', 'SA8295')).toEqual([['Conv', 'cpu-fallback', 'error']]);
    }
  });

  /** WeightBiasQuantization_Gemm_Weight: uint8 [1, 32] → DQ (0.001, 127) → Gemm (float [32, 16]) → Q (0.144, 127). */
  it('Gemm_Weight: repaired; a quantized bias (not an initializer) stops the repair, as the optimizer skips it', async () => {
    const gemm = (quantizedBias: boolean) => {
      const b = new GraphBuilder('gemm_weight');
      b.input('input', 'uint8', [1, 32]);
      b.initializer('in_scale', new Float32Array([0.001]), []);
      b.initializer('in_zp', new Uint8Array([127]), [], 'uint8');
      b.node('DequantizeLinear', ['input', 'in_scale', 'in_zp'], ['input_dq'], {}, { name: 'input_DQ' });
      b.initializer('weight', spread(512, -0.1, 0.1), [32, 16]);
      const inputs = ['input_dq', 'weight'];
      if (quantizedBias) {
        b.initializer('bias_q', new Int32Array(16).fill(3), [16], 'int32');
        b.initializer('bias_scale', new Float32Array([0.0001]), []);
        b.node('DequantizeLinear', ['bias_q', 'bias_scale'], ['bias_dq'], {}, { name: 'bias_DQ' });
        inputs.push('bias_dq');
      }
      b.node('Gemm', inputs, ['gemm_out'], {}, { name: 'Gemm' });
      b.initializer('out_scale', new Float32Array([0.144]), []);
      b.initializer('out_zp', new Uint8Array([127]), [], 'uint8');
      b.node('QuantizeLinear', ['gemm_out', 'out_scale', 'out_zp'], ['output'], {}, { name: 'output_Q' });
      b.output('output', 'uint8');
      return build(b, 18, 'gemm_weight.onnx');
    };
    expect(await of(gemm(false), 'ort-float-weight', 'ort')).toEqual([['Gemm', 'auto-fixed', 'warning']]);
    expect(await of(gemm(true), 'ort-float-weight', 'ort')).toEqual([['Gemm', 'slower', 'warning']]);
  });

  const layers = '.cache/corpus/torch/float-layers-qat.onnx';
  it.skipIf(!existsSync(layers))(
    "PyTorch's export with layers left float: repaired where the layer reads a DQ and feeds a Q, a float op after a Flatten",
    async () => {
      const g = qgraphFromQdq(readOnnx(new Uint8Array(readFileSync(layers)), { fileName: 'float-layers-qat.onnx' }));
      expect(await of(g, 'ort-float-weight', 'ort')).toEqual([
        // conv2 (qconfig None) reads conv1's DQ and feeds the add's Q.
        ['/conv2/Conv', 'auto-fixed', 'warning'],
        // up (qconfig None) and upq, whose weight FX's QAT preparation leaves float.
        ['/up/ConvTranspose', 'auto-fixed', 'warning'],
        ['/upq/ConvTranspose', 'auto-fixed', 'warning'],
        // fc reads a Flatten, across which ONNX Runtime carries no Q/DQ: its input is float there.
        ['/fc/Gemm', 'slower', 'warning'],
        // proj, a Linear on tokens: MatMulAddFusion makes its MatMul and Add a Gemm, whose weight
        // and bias WeightBiasQuantization then quantizes.
        ['/proj/MatMul', 'auto-fixed', 'warning'],
      ]);
      // The other flows read encodings per tensor: nothing about float weights there (the tokens'
      // Reshape, which FX gave an observer of its own, is another matter).
      for (const flow of ['qnn', 'executorch'] as const)
        expect(
          (await under(g, flow)).findings.filter((f) => f.severity !== 'info').map((f) => [f.rule, f.node]),
        ).toEqual([['shared-qparams', '/Reshape']]);
    },
  );
});

describe('PadFusion: ONNX Runtime folds a float Pad of zeros into the Conv or pool after it', () => {
  type Next = 'AveragePool' | 'MaxPool' | 'Conv';
  type Attrs = Record<string, ReturnType<typeof attr.int>>;
  /**
   * The fuse-pad-*.onnx models, between Q/DQ pairs (their own are float; Q/DQ need opset 10, so the
   * opset-7 and opset-8 models are built at 10): input [1, 1, 5, 5] → Q → DQ → Pad → next → Q → DQ.
   */
  function padThen(next: Next, opts: { opset: number; nextAttrs?: Attrs; value?: number; mode?: string }): QGraph {
    const b = new GraphBuilder(`fuse_pad_${next}`);
    b.input('input', 'float32', [1, 1, 5, 5]);
    const x = qdq(b, 'input', 0.04, 128);
    const pads = [0, 0, 2, 3, 0, 0, 2, 3];
    const mode: Attrs = opts.mode ? { mode: attr.string(opts.mode) } : {};
    if (opts.opset >= 11) {
      b.initializer('pad_dim_value', BigInt64Array.from(pads.map(BigInt)), [8], 'int64');
      b.initializer('pad_constant_value', new Float32Array([opts.value ?? 0]), []);
      b.node('Pad', [x, 'pad_dim_value', 'pad_constant_value'], ['pad_output'], mode, { name: 'Pad' });
    } else {
      const value: Attrs = opts.value === undefined ? {} : { value: attr.float(opts.value) };
      b.node('Pad', [x], ['pad_output'], { pads: attr.ints(pads), ...value, ...mode }, { name: 'Pad' });
    }
    const inputs = ['pad_output'];
    if (next === 'Conv') {
      b.initializer('w', spread(9, -0.5, 0.5), [1, 1, 3, 3]);
      inputs.push(qdq(b, 'w', 0.004, 128));
    }
    b.node(next, inputs, ['output'], { kernel_shape: attr.ints([3, 3]), ...opts.nextAttrs }, { name: next });
    b.output(qdq(b, 'output', 0.04, 128), 'float32');
    return build(b, opts.opset, `fuse-pad-${next}.onnx`);
  }
  const island = (g: QGraph, flow: Flow, soc?: string) => of(g, 'float-island', flow, soc);

  it('FusePadWithAvgPool, FusePadWithMaxPool (opset 17), FusePadWithMaxPoolOpsetLessThan11, FusePadWithConv: fused', async () => {
    for (const g of [
      padThen('AveragePool', { opset: 10 }),
      padThen('MaxPool', { opset: 17, nextAttrs: { pads: attr.ints([0, 0, 0, 0]) } }),
      padThen('MaxPool', { opset: 10, value: 0, nextAttrs: { pads: attr.ints([0, 0, 0, 0]) } }),
      padThen('Conv', { opset: 17, nextAttrs: { pads: attr.ints([0, 0, 0, 0]) } }),
    ]) {
      expect(await island(g, 'ort')).toEqual([['Pad', 'advice', 'info']]);
      // The QNN converter and ExecuTorch are not known to fold it: FP16 there, or off the NPU on V68.
      expect(await island(g, 'qnn')).toEqual([['Pad', 'slower', 'warning']]);
      expect(await island(g, 'qnn', 'SA8295')).toEqual([['Pad', 'rejected', 'error']]);
    }
  });

  it('FusePadWithAvgPoolWithPad fuses (count_include_pad 1); FusePadWithAvgPoolWithPadNoInclude does not (its default 0)', async () => {
    const withPad = { pads: attr.ints([1, 1, 0, 0]) };
    expect(
      await island(
        padThen('AveragePool', { opset: 10, nextAttrs: { ...withPad, count_include_pad: attr.int(1) } }),
        'ort',
      ),
    ).toEqual([['Pad', 'advice', 'info']]);
    expect(await island(padThen('AveragePool', { opset: 10, nextAttrs: withPad }), 'ort')).toEqual([
      ['Pad', 'slower', 'warning'],
    ]);
  });

  it('not fused: a padding value other than 0, a mode other than constant, Pad-21, a pool with auto_pad', async () => {
    for (const g of [
      padThen('AveragePool', { opset: 17, value: 0.5 }),
      padThen('AveragePool', { opset: 10, value: 0.5 }),
      padThen('AveragePool', { opset: 17, mode: 'reflect' }),
      padThen('AveragePool', { opset: 21 }),
      padThen('AveragePool', { opset: 17, nextAttrs: { auto_pad: attr.string('SAME_UPPER') } }),
    ])
      expect(await island(g, 'ort')).toEqual([['Pad', 'slower', 'warning']]);
  });

  it('a Pad of 0.5 before a MaxPool-12 is not fused, but QDQ propagation puts a Q/DQ pair between them', async () => {
    // QDQPropagation_QBackward: the Q after a MaxPool-12 is copied to its input, so the Pad is a
    // QDQ node group and the MaxPool another (its output already quantized).
    for (const nextAttrs of [{}, { auto_pad: attr.string('SAME_UPPER') }] as Attrs[]) {
      const g = padThen('MaxPool', { opset: 17, value: 0.5, nextAttrs });
      expect(await island(g, 'ort')).toEqual([['Pad', 'advice', 'info']]);
      const f = (await under(g, 'ort')).findings.find((x) => x.rule === 'float-island')!;
      expect(f.fix).toBe(
        'Nothing to change: ONNX Runtime copies the QuantizeLinear after them back across the Reshape, Transpose, Squeeze, Unsqueeze, Slice or MaxPool before it (its QDQ propagation), so nothing stays float.',
      );
      expect(await island(g, 'qnn')).toEqual([['Pad', 'slower', 'warning']]);
    }
    // MaxPool-11 (opset 11) is not among the versions it propagates across.
    expect(await island(padThen('MaxPool', { opset: 11, value: 0.5 }), 'ort')).toEqual([['Pad', 'slower', 'warning']]);
  });

  const densenet = '.cache/corpus/torch/densenet-mini-pc-sym.onnx';
  it.skipIf(!existsSync(densenet))(
    "torchvision's DenseNet: each transition's Pad → AveragePool is float except under ONNX Runtime",
    async () => {
      const g = qgraphFromQdq(
        readOnnx(new Uint8Array(readFileSync(densenet)), { fileName: 'densenet-mini-pc-sym.onnx' }),
      );
      const pools = ['/pool/Pad', '/pool_1/Pad'];
      expect(await island(g, 'ort')).toEqual(pools.map((n) => [n, 'advice', 'info']));
      expect(await island(g, 'qnn')).toEqual(pools.map((n) => [n, 'slower', 'warning']));
      expect(await island(g, 'executorch')).toEqual(pools.map((n) => [n, 'slower', 'warning']));
      const f = (await under(g, 'ort')).findings.find((x) => x.rule === 'float-island')!;
      expect(f.fix).toMatch(/^Nothing to change/);
    },
  );
});

describe('QDQ propagation: ONNX Runtime carries Q/DQ across Reshape, Transpose, Squeeze, Unsqueeze and Slice only', () => {
  /**
   * DQ → Flatten or Reshape → Gemm (quantized weight) → Q, the data-movement op with no Q/DQ of its
   * own. QDQPropagation_DQForward: a DQ moves forward across Transpose, MaxPool-12 and Reshape.
   */
  function moveThenGemm(op: 'Flatten' | 'Reshape', sharedDq = false): QGraph {
    const b = new GraphBuilder(`${op.toLowerCase()}_gemm`);
    b.input('input', 'float32', [1, 4, 2, 2]);
    const x = qdq(b, 'input', 0.02, 128);
    // A second reader of the DQ: a Relu, its own QDQ node group.
    if (sharedDq) {
      b.node('Relu', [x], ['side'], {}, { name: 'Relu' });
      b.output(qdq(b, 'side', 0.02, 128), 'float32');
    }
    if (op === 'Flatten') b.node('Flatten', [x], ['flat'], {}, { name: 'Flatten' });
    else {
      b.initializer('shape', new BigInt64Array([1n, 16n]), [2], 'int64');
      b.node('Reshape', [x, 'shape'], ['flat'], {}, { name: 'Reshape' });
    }
    b.initializer('w', spread(16 * 8, -0.5, 0.5), [8, 16]);
    b.node('Gemm', ['flat', qdq(b, 'w', 0.004, 128)], ['y'], { transB: attr.int(1) }, { name: 'Gemm' });
    b.output(qdq(b, 'y', 0.05, 128), 'float32');
    return build(b, 13, `${op}-gemm.onnx`);
  }

  it('after a Flatten the Gemm reads float values under ONNX Runtime; after a Reshape it is a QDQ group', async () => {
    const flat = moveThenGemm('Flatten');
    expect(await of(flat, 'float-island', 'ort')).toEqual([['Flatten', 'slower', 'warning']]);
    expect(await of(flat, 'float-island', 'ort', 'SA8295')).toEqual([['Flatten', 'cpu-fallback', 'error']]);
    const f = (await under(flat, 'ort')).findings.find((x) => x.rule === 'float-island')!;
    expect(f.actual).toBe('Flatten, Gemm');
    expect(f.fix).toMatch(/Q → DQ pair .* after the Flatten, or export the Flatten as a Reshape/);
    // The QNN converter and ExecuTorch carry the encoding across the Flatten.
    for (const flow of ['qnn', 'executorch'] as const) expect(await of(flat, 'float-island', flow)).toEqual([]);
    for (const flow of ['qnn', 'ort', 'executorch'] as const)
      expect(await of(moveThenGemm('Reshape'), 'float-island', flow)).toEqual([]);
  });

  it('a DQ other nodes read too is moved all the same: ONNX Runtime first gives each reader its own (EnsureUniqueDQForNodeUnit)', async () => {
    // PropagateDQForward asks for a DQ with one reader (CheckOutputEdges), but InferenceSession
    // duplicates a shared DQ per reader before any Level 1 optimizer runs.
    const g = moveThenGemm('Reshape', true);
    for (const flow of ['qnn', 'ort', 'executorch'] as const) expect(await of(g, 'float-island', flow)).toEqual([]);
    expect(await of(moveThenGemm('Flatten', true), 'float-island', 'ort')).toEqual([['Flatten', 'slower', 'warning']]);
  });

  const groupNorm = '.cache/corpus/torch/groupnorm-opset13.onnx';
  it.skipIf(!existsSync(groupNorm))(
    "PyTorch's GroupNorm at opset 13: the Reshape reads a DQ that a Shape reads too, and is quantized all the same",
    async () => {
      const g = qgraphFromQdq(
        readOnnx(new Uint8Array(readFileSync(groupNorm)), { fileName: 'groupnorm-opset13.onnx' }),
      );
      const reshape = g.nodes.find((n) => n.name === '/gn/Reshape')!;
      const dq = reshape.inputs[0]!.tensor;
      expect(
        g.nodes
          .filter((n) => n.inputs.some((p) => p.tensor === dq))
          .map((n) => n.opType)
          .sort(),
      ).toEqual(['Reshape', 'Shape']);
      // The island starts at the InstanceNormalization (float scale) under every flow: not at the
      // Reshape, which ONNX Runtime's copy of the DQ reaches.
      for (const flow of ['qnn', 'ort', 'executorch'] as const) {
        const islands = (await under(g, flow)).findings.filter((f) => f.rule === 'float-island');
        expect(islands.map((f) => [f.node, f.actual])).toEqual([
          ['/gn/InstanceNormalization', '/gn/InstanceNormalization, /gn/Reshape_1, /gn/Mul, /gn/Add'],
        ]);
      }
    },
  );

  const layers = '.cache/corpus/torch/float-layers-qat.onnx';
  it.skipIf(!existsSync(layers))("PyTorch's export: the Flatten before a float Linear", async () => {
    const g = qgraphFromQdq(readOnnx(new Uint8Array(readFileSync(layers)), { fileName: 'float-layers-qat.onnx' }));
    expect(await of(g, 'float-island', 'ort')).toEqual([['/Flatten', 'slower', 'warning']]);
    expect(await of(g, 'float-island', 'qnn')).toEqual([]);
  });
});

describe("QDQ propagation backward: a Q after data movement is copied to the data movement's input", () => {
  const swin = '.cache/corpus/torch/swin-mini.onnx';
  it.skipIf(!existsSync(swin))(
    "torchvision's Swin: each shifted window's reverse (Dropout → Reshape → Transpose → Reshape → Slice → Slice → Q) is quantized under ONNX Runtime",
    async () => {
      const g = qgraphFromQdq(readOnnx(new Uint8Array(readFileSync(swin)), { fileName: 'swin-mini.onnx' }));
      const reverses = ['/Reshape_6', '/Reshape_46', '/Reshape_54'];
      const islands = async (flow: Flow) =>
        (await of(g, 'float-island', flow)).filter(([node]) => reverses.includes(node as string)).sort();
      // ONNX Runtime removes the Dropout (EliminateDropout) and copies the Q after the last Slice
      // back to the Add before the Dropout: every tensor between is quantized.
      expect(await islands('ort')).toEqual(reverses.map((n) => [n, 'advice', 'info']).sort());
      for (const flow of ['qnn', 'executorch'] as const)
        expect(await islands(flow)).toEqual(reverses.map((n) => [n, 'slower', 'warning']).sort());
      const f = (await under(g, 'ort')).findings.find((x) => x.rule === 'float-island' && x.node === '/Reshape_46')!;
      expect(f.message).toMatch(/; ort quantizes them$/);
      expect(f.fix).toMatch(/^Nothing to change: ONNX Runtime copies the QuantizeLinear after them back across/);
    },
  );
});

describe('QDQ propagation forward: a DQ before a MaxPool-12 is copied to its output', () => {
  /**
   * QDQPropagation_DQForward's graph: a uint8 input [1, 13, 13, 23] → DQ (0.004, 129) → Transpose
   * (0, 3, 1, 2) → MaxPool (3x3, pads 1) → Reshape ([-1, 0]); here read by a MatMul with a
   * quantized weight and a Q after it, where the test ends in a Sign.
   */
  function dqForward(opset: number, sharedDq = false): QGraph {
    const b = new GraphBuilder('dq_forward');
    b.input('input', 'uint8', [1, 13, 13, 23]);
    b.initializer('in_scale', new Float32Array([0.004]), []);
    b.initializer('in_zp', new Uint8Array([129]), [], 'uint8');
    b.node('DequantizeLinear', ['input', 'in_scale', 'in_zp'], ['x'], {}, { name: 'input_DQ' });
    if (sharedDq) {
      b.node('Relu', ['x'], ['side'], {}, { name: 'Relu' });
      b.output(qdq(b, 'side', 0.004, 129), 'float32');
    }
    b.node('Transpose', ['x'], ['t'], { perm: attr.ints([0, 3, 1, 2]) }, { name: 'Transpose' });
    b.node(
      'MaxPool',
      ['t'],
      ['p'],
      { kernel_shape: attr.ints([3, 3]), pads: attr.ints([1, 1, 1, 1]) },
      { name: 'MaxPool' },
    );
    b.initializer('shape', new BigInt64Array([-1n, 0n]), [2], 'int64');
    b.node('Reshape', ['p', 'shape'], ['r'], {}, { name: 'Reshape' });
    b.initializer('w', spread(13 * 4, -0.5, 0.5), [13, 4]);
    b.node('MatMul', ['r', qdq(b, 'w', 0.004, 128)], ['y'], {}, { name: 'MatMul' });
    b.output(qdq(b, 'y', 0.05, 128), 'float32');
    return build(b, opset, 'dq-forward.onnx');
  }

  it('MaxPool-12 (opset 12 to 21): quantized under ONNX Runtime; MaxPool-11 is not among the versions it propagates across', async () => {
    const g = dqForward(13);
    expect(await of(g, 'float-island', 'ort')).toEqual([['MaxPool', 'advice', 'info']]);
    const f = (await under(g, 'ort')).findings.find((x) => x.rule === 'float-island')!;
    expect(f.fix).toMatch(/^Nothing to change: ONNX Runtime copies the DequantizeLinear before a MaxPool forward/);
    expect(await of(g, 'float-island', 'qnn')).toEqual([['MaxPool', 'slower', 'warning']]);
    expect(await of(dqForward(11), 'float-island', 'ort')).toEqual([['MaxPool', 'slower', 'warning']]);
  });

  it('a DQ that another node reads too is copied first (EnsureUniqueDQForNodeUnit), so the MaxPool is quantized all the same', async () => {
    const g = dqForward(13, true);
    expect(await of(g, 'float-island', 'ort')).toEqual([['MaxPool', 'advice', 'info']]);
    expect(await of(g, 'float-island', 'qnn')).toEqual([['MaxPool', 'slower', 'warning']]);
  });

  it.each([false, true])(
    'a DQ read by the MaxPool and by another node (graph output too: %s): the MaxPool is quantized under ONNX Runtime',
    async (graphOutput) => {
      // DQ → {MaxPool → MatMul → Q, Relu → Q}, as ensure_unique_dq_for_node_unit_test.cc's
      // DQSharedAmongNodes (and ...WithGraphOutput) share a DQ: each reader gets a copy, which for
      // the MaxPool moves across it.
      const b = new GraphBuilder('dq_maxpool_shared');
      b.input('input', 'uint8', [1, 4, 6, 6]);
      b.initializer('in_scale', new Float32Array([0.004]), []);
      b.initializer('in_zp', new Uint8Array([129]), [], 'uint8');
      b.node('DequantizeLinear', ['input', 'in_scale', 'in_zp'], ['x'], {}, { name: 'input_DQ' });
      if (graphOutput) b.output('x', 'float32');
      b.node('Relu', ['x'], ['side'], {}, { name: 'Relu' });
      b.output(qdq(b, 'side', 0.004, 129), 'float32');
      b.node(
        'MaxPool',
        ['x'],
        ['p'],
        { kernel_shape: attr.ints([2, 2]), strides: attr.ints([2, 2]) },
        { name: 'MaxPool' },
      );
      b.initializer('w', spread(3 * 5, -0.5, 0.5), [3, 5]);
      b.node('MatMul', ['p', qdq(b, 'w', 0.004, 128)], ['y'], {}, { name: 'MatMul' });
      b.output(qdq(b, 'y', 0.05, 128), 'float32');
      const g = build(b, 13, 'dq-maxpool-shared.onnx');
      expect(await of(g, 'float-island', 'ort')).toEqual([['MaxPool', 'advice', 'info']]);
      expect(await of(g, 'float-island', 'qnn')).toEqual([['MaxPool', 'slower', 'warning']]);
    },
  );
});

describe('MatMulAddFusion: ONNX Runtime makes a MatMul and the Add of its bias one Gemm', () => {
  /**
   * MatMulAddFusion_NeedReshape_3D in QDQ form: A uint8 [8, 16, 32] → DQ, B [32, 64] behind Q/DQ, a
   * float bias [64], the Add's output quantized. A's first axis may be left unknown, as a batch.
   * MatMulAddFusion_NotBroadcastable: A [3, 3], B [3, 1], a bias [1, 4] that Gemm cannot take.
   */
  function linear(a: (number | string)[], k: number, n: number, bias: number[]): QGraph {
    const b = new GraphBuilder('matmul_add');
    b.input('A', 'uint8', a);
    b.initializer('a_scale', new Float32Array([0.02]), []);
    b.initializer('a_zp', new Uint8Array([128]), [], 'uint8');
    b.node('DequantizeLinear', ['A', 'a_scale', 'a_zp'], ['a'], {}, { name: 'A_DQ' });
    b.initializer('B', spread(k * n, -0.5, 0.5), [k, n]);
    b.node('MatMul', ['a', qdq(b, 'B', 0.004, 128)], ['mm'], {}, { name: 'MatMul' });
    b.initializer(
      'bias',
      spread(
        bias.reduce((x, y) => x * y, 1),
        -0.1,
        0.1,
      ),
      bias,
    );
    b.node('Add', ['mm', 'bias'], ['y'], {}, { name: 'Add' });
    b.output(qdq(b, 'y', 0.05, 128), 'float32');
    return build(b, 18, 'matmul-add.onnx');
  }
  const island = (g: QGraph, flow: Flow) => of(g, 'float-island', flow);

  it('NeedReshape_3D: fused at fixed sizes under every flow; with a batch of unknown size, not under ONNX Runtime', async () => {
    const fixed = linear([8, 16, 32], 32, 64, [64]);
    for (const flow of ['qnn', 'ort', 'executorch'] as const) expect(await island(fixed, flow)).toEqual([]);
    const batch = linear(['batch', 16, 32], 32, 64, [64]);
    expect(await island(batch, 'ort')).toEqual([['MatMul', 'slower', 'warning']]);
    expect(await island(batch, 'qnn')).toEqual([['MatMul', 'advice', 'info']]);
    // A of rank 2 needs no Reshape: its size may be unknown.
    expect(await island(linear(['batch', 32], 32, 64, [64]), 'ort')).toEqual([]);
  });

  it('NotBroadcastable: a bias [1, 4] after a [3, 1] product is no Gemm bias', async () => {
    expect(await island(linear([3, 3], 3, 1, [1, 4]), 'ort')).toEqual([['MatMul', 'slower', 'warning']]);
    expect(await island(linear([3, 3], 3, 4, [1, 4]), 'ort')).toEqual([]);
  });
});

describe("WhereDummyDq: ONNX Runtime gives a Where's float scalar a DequantizeLinear of its own", () => {
  /**
   * WhereDummyDqTest (qdq_transformer_test.cc): a Where of a bool condition [4, 3, 32], a DQ of
   * uint8 (or uint16) data and a float scalar initializer, then a Q: the optimizer adds a DQ for
   * the scalar (data 1, the scalar as scale, zero point 0), so the Where is one QDQ node group.
   * The scalar either side; a constant of shape [1] it leaves alone.
   */
  function where(scalarFirst: boolean, dims: number[], q: 'uint8' | 'uint16' = 'uint8'): QGraph {
    const b = new GraphBuilder('where_dummy_dq');
    b.input('cond', 'bool', [4, 3, 32]);
    b.input('x', q, [4, 3, 32]);
    b.initializer('s', new Float32Array([0.5]), []);
    b.initializer('zp', q === 'uint8' ? new Uint8Array([1]) : new Uint16Array([1]), [], q);
    b.node('DequantizeLinear', ['x', 's', 'zp'], ['xdq'], {}, { name: 'x_DQ' });
    b.initializer('fill', new Float32Array([0.25]), dims);
    b.node('Where', ['cond', ...(scalarFirst ? ['fill', 'xdq'] : ['xdq', 'fill'])], ['w'], {}, { name: 'Where' });
    b.initializer('qs', new Float32Array([0.75]), []);
    b.initializer('qzp', q === 'uint8' ? new Uint8Array([1]) : new Uint16Array([1]), [], q);
    b.node('QuantizeLinear', ['w', 'qs', 'qzp'], ['out'], {}, { name: 'w_Q' });
    b.output('out', q);
    return build(b, q === 'uint16' ? 21 : 13, 'where-dummy-dq.onnx');
  }

  it('a float scalar either side, uint8 or uint16: one QDQ node group under ONNX Runtime, nothing to report', async () => {
    for (const q of ['uint8', 'uint16'] as const)
      for (const first of [true, false]) expect(await of(where(first, [], q), 'ort-float-weight', 'ort')).toEqual([]);
  });

  it('a float constant of shape [1] is no scalar: the Where runs as a float op under ONNX Runtime', async () => {
    expect(await of(where(true, [1]), 'ort-float-weight', 'ort')).toEqual([['Where', 'slower', 'warning']]);
    expect(await of(where(true, [1]), 'ort-float-weight', 'qnn')).toEqual([]);
  });
});

/**
 * ONNX Runtime's own Level 1 output (onnxruntime-node, graphOptimizationLevel "basic", its
 * optimized graph saved; scripts/corpus/ort-level1.ts) for PyTorch exports: the graph its QNN EP
 * partitions. QuantLens models those optimizers on the export; on the graph they have already
 * rewritten, it must come to the same findings under ONNX Runtime's flow, on a SoC with FP16 and
 * on V68.
 */
describe("ONNX Runtime's Level 1 graph of a PyTorch export: the same findings as the export", () => {
  const DIR = `${__dirname}/__fixtures__/ort-level1`;
  const manifest = JSON.parse(readFileSync(`${DIR}/manifest.json`, 'utf8')) as {
    cases: { file: string; optimized: string; what: string }[];
  };
  const read = (file: string) =>
    qgraphFromQdq(readOnnx(new Uint8Array(readFileSync(`${DIR}/${file}`)), { fileName: file }));
  /** Each finding as rule, outcome and severity, counted. */
  const tally = async (graph: QGraph, soc: string) => {
    const counts = new Map<string, number>();
    for (const f of (await under(graph, 'ort', soc)).findings) {
      const key = `${f.rule} ${f.outcome} ${f.severity}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return Object.fromEntries([...counts].sort());
  };
  for (const c of manifest.cases)
    it(`${c.file}: ${c.what}`, async () => {
      const [exported, optimized] = [read(c.file), read(c.optimized)];
      // ONNX Runtime rewrote it: DequantizeLinear copies, shared constants, fused nodes.
      const names = (file: string) =>
        readOnnx(new Uint8Array(readFileSync(`${DIR}/${file}`))).graph.nodes.map((n) => n.name);
      expect(names(c.optimized)).not.toEqual(names(c.file));
      for (const soc of ['SM8650', 'SM8350'])
        expect(await tally(optimized, soc), soc).toEqual(await tally(exported, soc));
    });

  it('holds ONNX Runtime rewrites the findings depend on', () => {
    const ops = (file: string) => readOnnx(new Uint8Array(readFileSync(`${DIR}/${file}`))).graph.nodes;
    // EnsureUniqueDQForNodeUnit's copies, and MatMulAddFusion's Gemm between Reshapes.
    expect(ops('tiny-cnn-pc-sym.level1.onnx').some((n) => n.name.endsWith('/duplicated'))).toBe(true);
    const mlp = ops('mlp3d-pc-sym.level1.onnx');
    expect(mlp.filter((n) => n.opType === 'Gemm').length).toBeGreaterThan(0);
    expect(mlp.filter((n) => n.opType === 'MatMul')).toEqual([]);
  });

  it("merges back-to-back Q/DQ pairs as ONNX Runtime's DoubleQDQPairsRemover does, to its scale and zero point", async () => {
    // EfficientNetV2-S's Flatten: the file's encodings agree across it; ONNX Runtime's merged Q does not.
    const exported = read('efficientnet_v2_s-head.onnx');
    const flatten = exported.nodes.find((n) => n.opType === 'Flatten')!;
    const model = readOnnx(new Uint8Array(readFileSync(`${DIR}/efficientnet_v2_s-head.level1.onnx`)));
    const q = model.graph.nodes.find(
      (n) => n.opType === 'QuantizeLinear' && n.inputs[0] === flatten.outputs[0]!.tensor,
    )!;
    const value = (name: string) => constNumbers(model.graph.initializers.get(name)!)![0];
    expect(flatten.outputs[0]!.ortEncoding!.scale[0]).toBe(value(q.inputs[1]!));
    expect(flatten.outputs[0]!.ortEncoding!.zeroPoint[0]).toBe(value(q.inputs[2]!));
    const found = (await under(exported, 'ort')).findings.filter((f) => f.node === '/Flatten');
    expect(found.map((f) => [f.rule, f.outcome])).toEqual([['shared-qparams', 'slower']]);
    expect(found[0]!.message).toMatch(/its DoubleQDQPairsRemover merges the two Q\/DQ pairs after it/);
    // The converters read the file's pairs: nothing there.
    expect((await under(exported, 'qnn')).findings.filter((f) => f.node === '/Flatten')).toEqual([]);
    // Cut after the pairs, so that a graph output reads them and no node does: the same encoding.
    const whole = readOnnx(new Uint8Array(readFileSync(`${DIR}/efficientnet_v2_s-head.onnx`)));
    const end = whole.graph.nodes.findIndex((n) => n.name === '/activation_post_process_433/DequantizeLinear');
    const cut = {
      ...whole,
      graph: {
        ...whole.graph,
        nodes: whole.graph.nodes.slice(0, end + 1),
        outputs: [{ ...whole.graph.outputs[0]!, name: whole.graph.nodes[end]!.outputs[0]! }],
      },
    };
    const tail = qgraphFromQdq(cut).nodes.find((n) => n.opType === 'Flatten')!;
    expect(tail.outputs[0]!.ortEncoding).toEqual(flatten.outputs[0]!.ortEncoding);
  });

  it("merges back-to-back pairs before an op too, where the merged range is the first pair's (Inception v3)", async () => {
    // The pool's pair, then the Dropout's observer (wider: it saw training-mode scaling) before the
    // Flatten, whose output pair repeats the Dropout's: the file agrees across the Flatten. ONNX
    // Runtime merges the two pairs before it into the pool's range, which the Flatten now reads.
    const exported = read('inception_v3-head.onnx');
    const flatten = exported.nodes.find((n) => n.opType === 'Flatten')!;
    expect(flatten.inputs[0]!.encoding!.scale[0]).toBe(flatten.outputs[0]!.encoding!.scale[0]);
    const model = readOnnx(new Uint8Array(readFileSync(`${DIR}/inception_v3-head.level1.onnx`)));
    const dq = model.graph.nodes.find(
      (n) => n.outputs[0] === model.graph.nodes.find((m) => m.opType === 'Flatten')!.inputs[0],
    )!;
    const value = (name: string) => constNumbers(model.graph.initializers.get(name)!)![0];
    expect(dq.opType).toBe('DequantizeLinear');
    expect(flatten.inputs[0]!.ortEncoding!.scale[0]).toBe(value(dq.inputs[1]!));
    expect(value(dq.inputs[1]!)).toBeLessThan(flatten.outputs[0]!.encoding!.scale[0]!);
    const found = (await under(exported, 'ort')).findings.filter((f) => f.node === '/Flatten');
    expect(found.map((f) => [f.rule, f.outcome])).toEqual([['shared-qparams', 'slower']]);
    expect(found[0]!.message).toMatch(/its DoubleQDQPairsRemover merges the two Q\/DQ pairs before it/);
    expect((await under(exported, 'qnn')).findings.filter((f) => f.node === '/Flatten')).toEqual([]);
  });

  it('a LayerNorm scale copied through an Identity and quantized again is a constant to ONNX Runtime, which folds it', async () => {
    const exported = read('float-encoder-opset17.u8u8.qdq.onnx');
    const ln = (flow: Flow) =>
      under(exported, flow).then((r) => r.findings.filter((f) => f.rule === 'op-limits').map((f) => f.node));
    expect(await ln('ort')).toEqual([]);
    expect(await ln('qnn')).toEqual(['/ln2/LayerNormalization']);
    // ONNX Runtime's own graph: the scale's DequantizeLinear reads an initializer.
    const model = readOnnx(new Uint8Array(readFileSync(`${DIR}/float-encoder-opset17.u8u8.qdq.level1.onnx`)));
    const node = model.graph.nodes.find((n) => n.name === '/ln2/LayerNormalization')!;
    const dq = model.graph.nodes.find((n) => n.outputs[0] === node.inputs[1])!;
    expect(dq.opType).toBe('DequantizeLinear');
    expect(model.graph.initializers.has(dq.inputs[0]!)).toBe(true);
  });
});
