/**
 * ONNX Runtime's HTP tests of Conv with block-quantized weights, transcribed from onnxruntime-qnn's
 * test/providers/qnn/conv_test.cc (BuildBQConvTestCase; read at qti-yuduo/onnxruntime-qnn 8e51a9d,
 * a fork of onnxruntime/onnxruntime-qnn): a uint16 activation (scale 2/65534, zero point 32767)
 * → Conv ← DequantizeLinear(axis 1, block_size) of an int4, uint4, int8 or uint8 weight with float
 * block scales [OC, IC/block, 1, 1] and no zero point, an optional int32 bias (per tensor or per
 * channel) or float bias, a uint16 output; opset 21. Every test expects every node on the HTP
 * (ExpectedEPNodeAssignment::All; they skip V68 and older), through the float-block kernel
 * (ConvBQ_*) or, with enable_block_quant_weight_optimization, as LPBQ (ConvLPBQ_*). cee6c0d, which
 * reads no block_size, runs such a Conv on the CPU: under ONNX Runtime's flow QuantLens says so as
 * a version-dependent slower path, never as an error.
 */
import { describe, expect, it } from 'vitest';
import { loadRulePack } from '../../../rules/registry';
import { FLOWS } from '../../../rules/types';
import type { DType } from '../model/dtype';
import { GraphBuilder } from '../model/graph-builder';
import { readOnnx } from '../model/read-onnx';
import { attr, writeOnnx } from '../model/write-onnx';
import { qgraphFromQdq } from '../qgraph/from-qdq';
import { validate } from './validate';

interface Case {
  input: [number, number, number, number];
  weight: [number, number, number, number];
  blockSize: number;
  bias?: 'per-tensor' | 'per-channel' | 'float';
  bits?: 4 | 8;
  unsigned?: boolean;
  /** A uint8 activation instead of the tests' uint16 (not in the tests: the builder's limit). */
  act8?: boolean;
}

const ACT_SCALE = 2 / 65534;

/** BuildBQConvTestCase, with the test's weight patterns. */
function bqConv(c: Case) {
  const b = new GraphBuilder('bq_conv');
  const [oc, ic] = c.weight;
  const bits = c.bits ?? 4;
  const n = c.weight.reduce((x, y) => x * y, 1);
  b.input('input', 'float32', c.input);
  b.initializer('act_scale', new Float32Array([c.act8 ? 2 / 255 : ACT_SCALE]), []);
  b.initializer('act_zp', [c.act8 ? 128 : 32767], [], c.act8 ? 'uint8' : 'uint16');
  b.node('QuantizeLinear', ['input', 'act_scale', 'act_zp'], ['act_q'], {}, { name: 'act_Q' });
  b.node('DequantizeLinear', ['act_q', 'act_scale', 'act_zp'], ['act_dq'], {}, { name: 'act_DQ' });
  const blocks = ic / c.blockSize;
  b.initializer(
    'weight_scale',
    Float32Array.from({ length: oc * blocks }, (_, i) => 0.01 + (0.04 * i) / Math.max(1, oc * blocks - 1)),
    [oc, blocks, 1, 1],
  );
  const values = Array.from({ length: n }, (_, i) =>
    bits === 4 ? (c.unsigned ? i % 15 : (i % 7) - 3) : c.unsigned ? i % 127 : (i % 127) - 63,
  );
  const dtype: DType = bits === 4 ? (c.unsigned ? 'uint4' : 'int4') : c.unsigned ? 'uint8' : 'int8';
  if (bits === 4) {
    const packed = new Uint8Array(Math.ceil(n / 2));
    values.forEach((v, i) => (packed[i >> 1]! |= (v & 0xf) << ((i & 1) * 4)));
    b.initializer('weight_quant', packed, c.weight, dtype);
  } else b.initializer('weight_quant', values, c.weight, dtype);
  b.node(
    'DequantizeLinear',
    ['weight_quant', 'weight_scale'],
    ['weight_dql_out'],
    { axis: attr.int(1), block_size: attr.int(c.blockSize) },
    { name: 'weight_dql' },
  );
  const inputs = ['act_dq', 'weight_dql_out'];
  if (c.bias === 'float') {
    b.initializer('bias', new Float32Array(oc).fill(0.01), [oc]);
    inputs.push('bias');
  } else if (c.bias === 'per-channel') {
    b.initializer(
      'bias_quant',
      Array.from({ length: oc }, (_, i) => i - Math.floor(oc / 2)),
      [oc],
      'int32',
    );
    b.initializer(
      'bias_scale',
      Float32Array.from({ length: oc }, (_, i) => ACT_SCALE * (0.02 + 0.01 * i)),
      [oc],
    );
    b.node(
      'DequantizeLinear',
      ['bias_quant', 'bias_scale'],
      ['bias_dql_out'],
      { axis: attr.int(0) },
      { name: 'bias_dql' },
    );
    inputs.push('bias_dql_out');
  } else if (c.bias === 'per-tensor') {
    b.initializer('bias_scale', new Float32Array([ACT_SCALE * 0.03]), []);
    b.initializer('bias_zp', [0], [], 'int32');
    b.initializer('bias_quant', new Array(oc).fill(0), [oc], 'int32');
    b.node('DequantizeLinear', ['bias_quant', 'bias_scale', 'bias_zp'], ['bias_dql_out'], {}, { name: 'bias_dql' });
    inputs.push('bias_dql_out');
  }
  b.node(
    'Conv',
    inputs,
    ['conv_out'],
    { auto_pad: attr.string('NOTSET'), strides: attr.ints([1, 1]), pads: attr.ints([0, 0, 0, 0]) },
    { name: 'conv' },
  );
  b.initializer('out_scale', new Float32Array([ACT_SCALE]), []);
  b.initializer('out_zp', [32767], [], 'uint16');
  b.node('QuantizeLinear', ['conv_out', 'out_scale', 'out_zp'], ['out_q'], {}, { name: 'out_Q' });
  b.node('DequantizeLinear', ['out_q', 'out_scale', 'out_zp'], ['output'], {}, { name: 'out_DQ' });
  b.output('output', 'float32');
  return qgraphFromQdq(
    readOnnx(writeOnnx(b.toModel({ opset: [{ domain: '', version: 21 }], irVersion: 10 })), {
      fileName: 'bq_conv.onnx',
    }),
  );
}

const CASES: [string, Case][] = [
  ['ConvBQ_U16Int4_1x1_NoBias', { input: [1, 16, 4, 4], weight: [4, 16, 1, 1], blockSize: 8 }],
  ['ConvBQ_U16Int4_1x1_WithBias', { input: [1, 16, 4, 4], weight: [4, 16, 1, 1], blockSize: 8, bias: 'per-tensor' }],
  [
    'ConvBQ_U16Int4_1x1_WithBiasPerChannel',
    { input: [1, 16, 4, 4], weight: [4, 16, 1, 1], blockSize: 8, bias: 'per-channel' },
  ],
  ['ConvBQ_U16Int4_1x1_MultiBlock', { input: [1, 32, 4, 4], weight: [8, 32, 1, 1], blockSize: 8 }],
  ['ConvBQ_U16Int4_1x1_BlockSize16', { input: [1, 32, 4, 4], weight: [4, 32, 1, 1], blockSize: 16 }],
  ['ConvBQ_U16Int8_1x1_BlockSize4', { input: [1, 16, 4, 4], weight: [4, 16, 1, 1], blockSize: 4, bits: 8 }],
  ['ConvBQ_U16Int8_1x1_BlockSize8', { input: [1, 32, 4, 4], weight: [4, 32, 1, 1], blockSize: 8, bits: 8 }],
  ['ConvBQ_U16UInt4_1x1_NoBias', { input: [1, 16, 4, 4], weight: [4, 16, 1, 1], blockSize: 8, unsigned: true }],
  [
    'ConvBQ_U16UInt4_1x1_WithBias',
    { input: [1, 16, 4, 4], weight: [4, 16, 1, 1], blockSize: 8, unsigned: true, bias: 'per-tensor' },
  ],
  [
    'ConvBQ_U16UInt8_1x1_BlockSize4',
    { input: [1, 16, 4, 4], weight: [4, 16, 1, 1], blockSize: 4, bits: 8, unsigned: true },
  ],
  ['ConvLPBQ_U16Int4_1x1_NoBias_BS8', { input: [1, 16, 4, 4], weight: [4, 16, 1, 1], blockSize: 8 }],
  ['ConvLPBQ_U16Int4_1x1_NoBias_BS16', { input: [1, 64, 4, 4], weight: [4, 64, 1, 1], blockSize: 16 }],
  [
    'ConvLPBQ_U16Int4_1x1_WithBias_BS16',
    { input: [1, 64, 4, 4], weight: [4, 64, 1, 1], blockSize: 16, bias: 'per-tensor' },
  ],
  [
    'ConvLPBQ_U16Int4_1x1_WithBias_BS64',
    { input: [1, 128, 1, 1], weight: [4, 128, 1, 1], blockSize: 64, bias: 'per-tensor' },
  ],
  [
    'ConvLPBQ_U16Int4_1x1_WithBiasPerChannel_BS16',
    { input: [1, 32, 4, 4], weight: [4, 32, 1, 1], blockSize: 16, bias: 'per-channel' },
  ],
  [
    'ConvLPBQ_U16Int4_1x1_WithBiasPerChannel_BS32',
    { input: [1, 128, 4, 4], weight: [4, 128, 1, 1], blockSize: 32, bias: 'per-channel' },
  ],
  [
    'ConvLPBQ_U16Int4_1x1_WithFloatBias_BS8',
    { input: [1, 32, 4, 4], weight: [4, 32, 1, 1], blockSize: 8, bias: 'float' },
  ],
  [
    'ConvLPBQ_U16Int4_1x1_WithFloatBias_BS32',
    { input: [1, 64, 4, 4], weight: [8, 64, 1, 1], blockSize: 32, bias: 'float' },
  ],
];

describe("onnxruntime-qnn's block-quantized Conv HTP tests, transcribed", () => {
  it.each(CASES)(
    'conv_test.cc: %s (All, V69+): under ONNX Runtime, a slower path by version, no error',
    async (_, c) => {
      const graph = bqConv(c);
      const conv = graph.nodes.find((n) => n.opType === 'Conv')!;
      expect(conv.inputs[1]!.encoding).toMatchObject({
        granularity: 'per-block',
        blockAxis: 1,
        blockSize: c.blockSize,
        bitwidth: c.bits ?? 4,
      });
      const pack = await loadRulePack('htp');
      for (const soc of ['SM8850', 'SM8650']) {
        const ort = validate(graph, pack, { soc, strict: true, flow: 'ort' });
        expect(ort.findings.filter((f) => f.severity === 'error').map((f) => `${f.rule}: ${f.message}`)).toEqual([]);
        expect(
          ort.findings.filter((f) => f.rule === 'ort-block-quant').map((f) => [f.severity, f.outcome, f.message]),
        ).toEqual([['warning', 'slower', expect.stringMatching(/onnxruntime-qnn versions with block-quantized Conv/)]]);
        expect(ort.delegation.onNpu).toBe(ort.delegation.nodes);
      }
      // The tests skip V68, whose HTP has no block-wise kernel (lpbq-arch, every flow).
      for (const flow of FLOWS)
        expect(
          validate(graph, pack, { soc: 'SA8295', strict: true, flow })
            .findings.filter((f) => f.severity === 'error')
            .map((f) => f.rule),
        ).toContain('lpbq-arch');
    },
  );

  it('beside an 8-bit activation, or with a block size the kernel does not take, it is the CPU in every version', async () => {
    const pack = await loadRulePack('htp');
    const blockQuant = (g: ReturnType<typeof bqConv>) =>
      validate(g, pack, { soc: 'SM8650', strict: true, flow: 'ort' })
        .findings.filter((f) => f.rule === 'ort-block-quant')
        .map((f) => [f.severity, f.outcome]);
    // The same Conv with a uint8 activation: the builder dequantizes only 16-bit ones to FP16.
    expect(blockQuant(bqConv({ input: [1, 16, 4, 4], weight: [4, 16, 1, 1], blockSize: 8, act8: true }))).toEqual([
      ['error', 'cpu-fallback'],
    ]);
    // A block size the kernel does not take: 4-bit weights in blocks of 4.
    expect(blockQuant(bqConv({ input: [1, 16, 4, 4], weight: [4, 16, 1, 1], blockSize: 4 }))).toEqual([
      ['error', 'cpu-fallback'],
    ]);
  });
});
