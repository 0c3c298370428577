/**
 * ONNX Runtime's QNN HTP tests of multi-node patterns its QNN EP fuses into one QNN op
 * (onnxruntime/test/providers/qnn/qnn_node_group/*_test.cc in onnxruntime/onnxruntime-qnn at
 * cee6c0d91e), built as the tests build their QDQ models. Every node of each is expected on the
 * HTP (ExpectedEPNodeAssignment::All): QuantLens must not report an error under ONNX Runtime's flow,
 * nor under the others unless only ONNX Runtime rewrites the pattern (its rank-6 fusions).
 */
import { describe, expect, it } from 'vitest';
import { loadRulePack } from '../../../rules/registry';
import { FLOWS, type Flow } from '../../../rules/types';
import { GraphBuilder } from '../model/graph-builder';
import { readOnnx } from '../model/read-onnx';
import { attr, makeTensor, writeOnnx } from '../model/write-onnx';
import { qgraphFromQdq } from '../qgraph/from-qdq';
import { validate } from './validate';

/** uint8 qparams of [lo, hi] stretched to include 0 (GetTestInputQuantParams). */
function u8(lo: number, hi: number): { scale: number; zp: number } {
  const [a, b] = [Math.min(lo, 0), Math.max(hi, 0)];
  const scale = (b - a) / 255;
  return { scale, zp: Math.round(-a / scale) };
}

type Act = 'uint8' | 'uint16';

/**
 * Adds `tensor` -> QuantizeLinear -> DequantizeLinear with per-tensor qparams stored as
 * `<name>_scale` / `<name>_zp` (reused when they exist, as the tests share one input's qparams),
 * and returns the DequantizeLinear output.
 */
function qdq(
  b: GraphBuilder,
  tensor: string,
  name: string,
  q?: { scale: number; zp: number; dtype: Act },
  domain?: string,
): string {
  const [s, z] = [`${name}_scale`, `${name}_zp`];
  if (q) {
    b.initializer(s, new Float32Array([q.scale]), []);
    b.initializer(z, q.dtype === 'uint8' ? new Uint8Array([q.zp]) : new Uint16Array([q.zp]), [], q.dtype);
  }
  b.node('QuantizeLinear', [tensor, s, z], [`${tensor}_q`], {}, { name: `${tensor}_QuantizeLinear`, domain });
  b.node(
    'DequantizeLinear',
    [`${tensor}_q`, s, z],
    [`${tensor}_dq`],
    {},
    { name: `${tensor}_DequantizeLinear`, domain },
  );
  return `${tensor}_dq`;
}

const model = (b: GraphBuilder, opset: number, fileName: string, extra: { domain: string; version: number }[] = []) =>
  readOnnx(
    writeOnnx(b.toModel({ opset: [{ domain: '', version: opset }, ...extra], irVersion: opset >= 21 ? 10 : 9 })),
    {
      fileName,
    },
  );

/**
 * gelu_fusion_test.cc BuildQDQGeluPattern{1,2}TestCase: input [1,2,3,4] in [-1, 1]; the constants
 * sqrt(2), 1 and 0.5 are float initializers behind Q -> DQ with the input's qparams, as is every
 * intermediate tensor; the output gets its own.
 */
/**
 * gelu_fusion_test.cc BuildGeluPattern{1,2}TestCase: the same GELU in float (FP16 on the HTP), with
 * float initializer constants and no Q/DQ.
 */
function floatGeluPattern(pattern: 1 | 2, shape: number[]) {
  const b = new GraphBuilder(`gelu_pattern${pattern}_graph`);
  b.input('input', 'float32', shape);
  b.initializer('sqrt2', new Float32Array([Math.SQRT2]), []);
  b.initializer('one', new Float32Array([1]), []);
  b.initializer('half', new Float32Array([0.5]), []);
  b.node('Div', ['input', 'sqrt2'], ['div_out'], {}, { name: 'Div_sqrt2' });
  b.node('Erf', ['div_out'], ['erf_out'], {}, { name: 'Erf' });
  b.node('Add', ['erf_out', 'one'], ['add_out'], {}, { name: 'Add_one' });
  if (pattern === 1) {
    b.node('Mul', ['input', 'half'], ['mul_half_out'], {}, { name: 'Mul_half' });
    b.node('Mul', ['add_out', 'mul_half_out'], ['Y'], {}, { name: 'Mul_out' });
  } else {
    b.node('Mul', ['input', 'add_out'], ['mul_out'], {}, { name: 'Mul_input' });
    b.node('Mul', ['mul_out', 'half'], ['Y'], {}, { name: 'Mul_half' });
  }
  b.output('Y', 'float32');
  return model(b, 13, `gelu${pattern}-float.onnx`);
}

function geluPattern(pattern: 1 | 2) {
  const b = new GraphBuilder(`qdq_gelu_pattern${pattern}_graph`);
  const x = b.input('input', 'float32', [1, 2, 3, 4]) && qdq(b, 'input', 'in', { ...u8(-1, 1), dtype: 'uint8' });
  const q = (t: string) => qdq(b, t, 'in');
  b.initializer('sqrt2', new Float32Array([Math.SQRT2]), []);
  b.initializer('one', new Float32Array([1]), []);
  b.initializer('half', new Float32Array([0.5]), []);
  const [sqrt2, one, half] = [q('sqrt2'), q('one'), q('half')];
  b.node('Div', [x, sqrt2], ['div_out'], {}, { name: 'Div_sqrt2' });
  b.node('Erf', [q('div_out')], ['erf_out'], {}, { name: 'Erf' });
  b.node('Add', [q('erf_out'), one], ['add_out'], {}, { name: 'Add_one' });
  if (pattern === 1) {
    b.node('Mul', [x, half], ['mul_half_out'], {}, { name: 'Mul_half' });
    b.node('Mul', [q('add_out'), q('mul_half_out')], ['Y'], {}, { name: 'Mul_out' });
  } else {
    b.node('Mul', [x, q('add_out')], ['mul_out'], {}, { name: 'Mul_input' });
    b.node('Mul', [q('mul_out'), half], ['Y'], {}, { name: 'Mul_half' });
  }
  b.output(qdq(b, 'Y', 'out', { ...u8(-0.17, 0.85), dtype: 'uint8' }), 'float32');
  return model(b, 13, `gelu${pattern}.onnx`);
}

/**
 * lpbqmatmul_fusion_test.cc / lpbqgemm_fusion_test.cc BuildLPBQ{MatMul,Gemm}TestCase: a uint16
 * activation [1, 16]; a float weight [16, 16] behind Q -> DQ with int4 zero points, axis 0 and
 * block_size 4, whose scale is the output of a DQ of uint8 per-block scales [4, 16] by float
 * per-channel scales [16] (axis 1): LPBQ in QDQ form. The Gemm has a float bias.
 */
function lpbq(op: 'MatMul' | 'Gemm', floatBlockScales = false, withoutQl = false) {
  const b = new GraphBuilder(`lpbq_${op.toLowerCase()}`);
  const spread = (n: number, lo: number, hi: number) =>
    Float32Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
  b.input('input', 'float32', [1, 16]);
  const act = qdq(b, 'input', 'act', { scale: 0.00005509183756657876, zp: 23715, dtype: 'uint16' });
  b.initializer(
    'block_ints',
    Uint8Array.from({ length: 64 }, (_, i) => 1 + (i % 15)),
    [4, 16],
    'uint8',
  );
  b.initializer('channel_scales', spread(16, 0.01, 0.02), [16]);
  b.initializer('block_zp', new Uint8Array(16), [16], 'uint8');
  if (floatBlockScales)
    // The same block scales as a float initializer: a plain blocked DequantizeLinear.
    b.initializer(
      'w_scale',
      Float32Array.from({ length: 64 }, (_, i) => (1 + (i % 15)) * (0.01 + (0.01 * (i % 16)) / 15)),
      [4, 16],
    );
  else b.node('DequantizeLinear', ['block_ints', 'channel_scales', 'block_zp'], ['w_scale'], { axis: attr.int(1) });
  b.initializer('w_zp', new Uint8Array(32), [4, 16], 'int4');
  const blocked = { axis: attr.int(0), block_size: attr.int(4) };
  if (withoutQl)
    // lpbq{gemm,matmul}_fusion_without_ql_test.cc: the weight is stored quantized, int4 nibbles
    // i % 16 and (i + 8) % 16, with no QuantizeLinear before its DequantizeLinear.
    b.initializer(
      'w_q',
      Uint8Array.from({ length: 128 }, (_, i) => (i % 16) | (((i + 8) % 16) << 4)),
      [16, 16],
      'int4',
    );
  else {
    b.initializer('w', spread(256, -2, 2), [16, 16]);
    b.node('QuantizeLinear', ['w', 'w_scale', 'w_zp'], ['w_q'], blocked, { name: 'w_Q' });
  }
  b.node('DequantizeLinear', ['w_q', 'w_scale', 'w_zp'], ['w_dq'], blocked, { name: 'w_DQ' });
  if (op === 'Gemm') b.initializer('bias', spread(16, -1, 1), [16]);
  b.node(op, op === 'Gemm' ? [act, 'w_dq', 'bias'] : [act, 'w_dq'], ['y'], {}, { name: op });
  b.output(qdq(b, 'y', 'out', { scale: 0.00019595865160226822, zp: 31693, dtype: 'uint16' }), 'float32');
  return model(b, 21, `lpbq-${op}.onnx`);
}

/**
 * reshape_transpose_rank5_test.cc BuildRank6ToRank5Float{,MultiConsumer}TestCase: input [256, 64]
 * → (Add 1) → Reshape [1, 4, 4, 4, 4, 64] → Transpose [0, 2, 1, 3, 4, 5] → Reshape [1, 256, 64]
 * (→ Add 1); in the multi-consumer case the input also feeds an Add that is a graph output. With
 * `quantized`, every tensor between the nodes goes through uint8 Q → DQ, which ONNX Runtime's
 * fusion also takes (QDQ node units).
 */
function rank6(multiConsumer: boolean, quantized = false) {
  const b = new GraphBuilder('rank6_to_rank5_fusion');
  b.input('input', 'float32', [256, 64]);
  const q = (t: string) => (quantized ? qdq(b, t, t, { ...u8(-10, 11), dtype: 'uint8' }) : t);
  b.initializer('one', new Float32Array([1]), []);
  let x = q('input');
  if (!multiConsumer) {
    b.node('Add', [x, 'one'], ['add1_out'], {}, { name: 'Add1' });
    x = q('add1_out');
  } else {
    b.node('Add', [x, 'one'], ['add_out'], {}, { name: 'add' });
    b.output('add_out', 'float32');
  }
  b.initializer('shape1', [1, 4, 4, 4, 4, 64], [6], 'int64');
  b.initializer('shape2', [1, 256, 64], [3], 'int64');
  b.node('Reshape', [x, 'shape1'], ['reshape1_out'], {}, { name: 'Reshape1' });
  b.node(
    'Transpose',
    [q('reshape1_out')],
    ['transpose_out'],
    { perm: attr.ints([0, 2, 1, 3, 4, 5]) },
    { name: 'Transpose' },
  );
  b.node('Reshape', [q('transpose_out'), 'shape2'], ['reshape2_out'], {}, { name: 'Reshape2' });
  if (multiConsumer) b.output(q('reshape2_out'), 'float32');
  else {
    b.node('Add', [q('reshape2_out'), 'one'], ['output'], {}, { name: 'Add2' });
    b.output(q('output'), 'float32');
  }
  return model(b, 13, 'rank6.onnx');
}

/**
 * gather_transpose_reshape_fusion_test.cc BuildGatherTransposeReshapeTestCase: a rank-5 float
 * input, Gather(axis 4) with constant int64 indices [rows, cols] (row- or column-major over the
 * axis), a rank-6 Transpose, a Reshape below rank 6.
 */
function gatherTransposeReshape(
  input: number[],
  [rows, cols]: [number, number],
  order: 'row' | 'col' | 'reversed',
  perm: number[],
  out: number[],
  /** A Relu before the Gather, whose output's size the graph does not declare (PyTorch writes none). */
  computed = false,
) {
  const b = new GraphBuilder('gather_transpose_reshape');
  b.input('input', 'float32', input);
  const idx = Array.from({ length: rows * cols }, (_, n) =>
    order === 'row' ? n : order === 'col' ? (n % cols) * rows + Math.floor(n / cols) : rows * cols - 1 - n,
  );
  b.initializer('indices', idx, [rows, cols], 'int64');
  b.initializer('shape', out, [out.length], 'int64');
  if (computed) b.node('Relu', ['input'], ['relu_out'], {}, { name: 'Relu' });
  b.node(
    'Gather',
    [computed ? 'relu_out' : 'input', 'indices'],
    ['gather_out'],
    { axis: attr.int(4) },
    { name: 'Gather' },
  );
  b.node('Transpose', ['gather_out'], ['transpose_out'], { perm: attr.ints(perm) }, { name: 'Transpose' });
  b.node('Reshape', ['transpose_out', 'shape'], ['output'], {}, { name: 'Reshape' });
  b.output('output', 'float32');
  return model(b, 13, 'gather-transpose-reshape.onnx');
}

/**
 * conv_test.cc ConvU8U8S32_RedundantClipQDQ (opset 13): uint8 input [1, 2, 4, 4] in [0, 1], a float
 * weight [3, 2, 2, 2] in [-1, 5] behind uint8 Q -> DQ, an int32 bias at input × weight scale, all
 * com.microsoft Q/DQ; the Conv's float output goes to a Clip whose bounds -2 and 2 are float
 * initializers behind Q -> DQ with the input's qparams (ai.onnx), then to the output's Q -> DQ.
 */
function convRedundantClip() {
  const b = new GraphBuilder('conv_redundant_clip');
  const ms = 'com.microsoft';
  b.input('input', 'float32', [1, 2, 4, 4]);
  const inQ = { ...u8(0, 1), dtype: 'uint8' as const };
  const wQ = { ...u8(-1, 5), dtype: 'uint8' as const };
  const x = qdq(b, 'input', 'input_qdq', inQ, ms);
  b.initializer(
    'weights',
    Float32Array.from({ length: 24 }, (_, i) => -1 + (6 * i) / 23),
    [3, 2, 2, 2],
  );
  const w = qdq(b, 'weights', 'weights_qdq', wQ, ms);
  const biasScale = inQ.scale * wQ.scale;
  b.initializer(
    'bias_q',
    Int32Array.from([-1, 0, 1], (v) => Math.round(v / biasScale)),
    [3],
    'int32',
  );
  b.initializer('bias_scale', new Float32Array([biasScale]), []);
  b.initializer('bias_zp', new Int32Array([0]), [], 'int32');
  b.node('DequantizeLinear', ['bias_q', 'bias_scale', 'bias_zp'], ['bias_dq'], {}, { name: 'bias_DQ', domain: ms });
  b.node('Conv', [x, w, 'bias_dq'], ['conv_output'], { pads: attr.ints([0, 0, 0, 0]) }, { name: 'Conv' });
  b.initializer('clip_min_f', new Float32Array([-2]), []).initializer('clip_max_f', new Float32Array([2]), []);
  const bound = (t: string) => qdq(b, t, 'input_qdq');
  b.node('Clip', ['conv_output', bound('clip_min_f'), bound('clip_max_f')], ['clip_output'], {}, { name: 'Clip' });
  b.output(qdq(b, 'clip_output', 'output_qdq', { ...u8(-2, 2), dtype: 'uint8' }, ms), 'float32');
  return model(b, 13, 'conv-redundant-clip.onnx', [{ domain: ms, version: 1 }]);
}

/**
 * scale_softmax_fusion_test.cc BuildTestCaseScalar / BuildTestCaseNoScalar: a float input
 * [1, 3, 5, 5] times a scale (a scalar initializer, a Constant node's output, in either operand
 * order; or a second graph input) into a Softmax.
 */
function scaleSoftmax(
  scale: 'initializer' | 'constant' | readonly number[],
  opset: number,
  { reversed = false, axis }: { reversed?: boolean; axis?: number } = {},
) {
  const b = new GraphBuilder('scale_softmax');
  b.input('input', 'float32', [1, 3, 5, 5]);
  if (scale === 'initializer') b.initializer('scale', new Float32Array([0.375]), []);
  else if (scale === 'constant')
    b.node(
      'Constant',
      [],
      ['scale'],
      { value: attr.tensor(makeTensor('scale_value', new Float32Array([0.125]), [])) },
      { name: 'Constant' },
    );
  else b.input('scale', 'float32', [...scale]);
  b.node('Mul', reversed ? ['scale', 'input'] : ['input', 'scale'], ['mul_out'], {}, { name: 'Mul' });
  b.node('Softmax', ['mul_out'], ['Y'], axis === undefined ? {} : { axis: attr.int(axis) }, { name: 'Softmax' });
  b.output('Y', 'float32');
  return model(b, opset, 'scale-softmax.onnx');
}

/**
 * channel_shuffle_fusion_test.cc BuildTestCase (float, opset 10): a grouped Conv (12 channels,
 * 2 groups) → Reshape to [1, 2, 6, 8, 8] → Transpose [0, 2, 1, 3, 4] → Reshape back to
 * [1, 12, 8, 8] → a depthwise 3×1 Conv; ONNX Runtime fuses the middle three into ChannelShuffle.
 */
function channelShuffle() {
  const b = new GraphBuilder('channel_shuffle');
  const w = (n: number) => Float32Array.from({ length: n }, (_, i) => -2 + (4 * i) / (n - 1));
  b.input('input', 'float32', [1, 12, 8, 8]);
  b.initializer('conv1_weight', w(72), [12, 6, 1, 1]);
  b.initializer('conv2_weight', w(36), [12, 1, 3, 1]);
  b.initializer('shape1', [1, 2, 6, 8, 8], [5], 'int64');
  b.initializer('shape2', [1, 12, 8, 8], [4], 'int64');
  b.node('Conv', ['input', 'conv1_weight'], ['conv1_out'], { group: attr.int(2) }, { name: 'Conv1' });
  b.node('Reshape', ['conv1_out', 'shape1'], ['reshape1_out'], {}, { name: 'Reshape1' });
  b.node(
    'Transpose',
    ['reshape1_out'],
    ['transpose_out'],
    { perm: attr.ints([0, 2, 1, 3, 4]) },
    { name: 'Transpose1' },
  );
  b.node('Reshape', ['transpose_out', 'shape2'], ['reshape2_out'], {}, { name: 'Reshape2' });
  b.node(
    'Conv',
    ['reshape2_out', 'conv2_weight'],
    ['Y'],
    { group: attr.int(12), kernel_shape: attr.ints([3, 1]) },
    { name: 'Conv2' },
  );
  b.output('Y', 'float32');
  return model(b, 10, 'channel-shuffle.onnx');
}

/** Each flow's error findings on `graph`, as `rule node: message`. */
async function errorsUnder(graph: ReturnType<typeof qgraphFromQdq>, soc = 'SM8650'): Promise<Record<Flow, string[]>> {
  const pack = await loadRulePack('htp');
  const out = {} as Record<Flow, string[]>;
  for (const flow of FLOWS)
    out[flow] = validate(graph, pack, { soc, strict: true, flow })
      .findings.filter((f) => f.severity === 'error')
      .map((f) => `${f.rule} ${f.node}: ${f.message}`);
  return out;
}
const NONE = Object.fromEntries(FLOWS.map((flow) => [flow, []]));

describe('ONNX Runtime QNN HTP fusion tests, transcribed', () => {
  for (const pattern of [1, 2] as const) {
    it(`gelu_fusion_test.cc: GeluFusionPattern${pattern}_QDQ_U8 (All): the Erf is read as part of a Gelu`, async () => {
      const graph = qgraphFromQdq(geluPattern(pattern));
      expect(graph.nodes.find((n) => n.opType === 'Erf')?.fusedAs).toBe('Gelu');
      expect(await errorsUnder(graph)).toEqual(NONE);
    });
  }

  for (const pattern of [1, 2] as const)
    for (const [variant, shape] of [
      ['Float32', [1, 2, 3, 4]],
      ['LargeInput', [1, 128, 768]],
      ['3D', [1, 16, 32]],
      ['2D', [32, 512]],
    ] as const)
      it(`gelu_fusion_test.cc: GeluFusionPattern${pattern}_${variant} (All): the float GELU's Erf is read as part of it`, async () => {
        const graph = qgraphFromQdq(floatGeluPattern(pattern, [...shape]));
        expect(graph.nodes.find((n) => n.opType === 'Erf')?.fusedAs).toBe('Gelu');
        expect(await errorsUnder(graph)).toEqual(NONE);
      });

  it('an Erf outside a GELU pattern stays an op the HTP does not have', async () => {
    const b = new GraphBuilder('erf');
    const x = b.input('x', 'float32', [1, 4]) && qdq(b, 'x', 'q', { ...u8(-1, 1), dtype: 'uint8' });
    b.node('Erf', [x], ['e'], {}, { name: 'Erf' });
    b.output(qdq(b, 'e', 'q'), 'float32');
    expect((await errorsUnder(qgraphFromQdq(model(b, 13, 'erf.onnx')))).qnn).toEqual([
      'unsupported-op Erf: Erf has no HTP equivalent: QNN has no Erf operation; ONNX Runtime runs Erf on the HTP only inside a fused GELU pattern (qnn_node_group/gelu_fusion.cc)',
    ]);
  });

  for (const op of ['MatMul', 'Gemm'] as const) {
    for (const [test, withoutQl] of [
      [`lpbq${op.toLowerCase()}_fusion_test.cc: LPBQ${op}Fusion`, false],
      [`lpbq${op.toLowerCase()}_fusion_without_ql_test.cc: LPBQ${op}FusionWithoutQL (the weight stored as int4)`, true],
    ] as const)
      it(`${test}: the weight reads as 4-bit LPBQ, fine on V75, V69+ only`, async () => {
        const graph = qgraphFromQdq(lpbq(op, false, withoutQl));
        const w = graph.nodes.find((n) => n.opType === op)!.inputs[1]!;
        expect([w.role, w.encoding?.granularity, w.encoding?.bitwidth, w.encoding?.blockSize]).toEqual([
          'weight',
          'lpbq',
          4,
          4,
        ]);
        expect(await errorsUnder(graph)).toEqual(NONE);
        expect((await errorsUnder(graph, 'SA8295')).qnn.map((e) => e.split(':')[0])).toEqual([`lpbq-arch ${op}`]);
      });

    it(`LPBQ${op}Fusion with its block scales stored as floats: outside ONNX Runtime's LPBQ form, a slower path (FP16) or the CPU by version, not an error; the other flows take the blocks`, async () => {
      const graph = qgraphFromQdq(lpbq(op, true));
      expect(graph.nodes.find((n) => n.opType === op)!.inputs[1]!.encoding).toMatchObject({
        granularity: 'per-block',
        blockAxis: 0,
        axis: 1,
        blockSize: 4,
      });
      expect(await errorsUnder(graph)).toEqual(NONE);
      const pack = await loadRulePack('htp');
      const findings = (flow: Flow) =>
        validate(graph, pack, { soc: 'SM8650', strict: true, flow }).findings.map((f) => [
          f.rule,
          f.severity,
          f.outcome,
          f.constraintKind,
        ]);
      expect(findings('ort')).toEqual([['ort-block-quant', 'warning', 'slower', 'performance']]);
      expect(findings('qnn')).toEqual([]);
      expect(findings('executorch')).toEqual([]);
    });
  }

  const rank6Errors = (nodes: string[]) => nodes.map((n) => `op-limits ${n}`).sort();
  const errorNodes = (e: string[]) => e.map((x) => x.split(':')[0]!).sort();
  for (const [name, multi] of [
    ['Rank6ToRank5Fusion_Float', false],
    ['Rank6ToRank5Fusion_Float_MultiConsumer', true],
  ] as const)
    for (const quantized of [false, true])
      it(`reshape_transpose_rank5_test.cc: ${name}${quantized ? ', its tensors through uint8 Q/DQ' : ''} (All): ONNX Runtime rewrites the rank-6 Reshape → Transpose → Reshape to rank 5; the other flows cannot take rank 6`, async () => {
        const graph = qgraphFromQdq(rank6(multi, quantized));
        expect(graph.nodes.filter((n) => n.rank5By).map((n) => n.name)).toEqual(['Reshape1', 'Transpose', 'Reshape2']);
        const errors = await errorsUnder(graph);
        expect(errors.ort).toEqual([]);
        for (const flow of ['qnn', 'executorch'] as const)
          expect(errorNodes(errors[flow])).toEqual(rank6Errors(['Reshape1', 'Transpose', 'Reshape2']));
      });

  it('a rank-6 Transpose that moves the only size-1 dimension is not rewritten: off the HTP under every flow', async () => {
    const b = new GraphBuilder('rank6_moved');
    b.input('input', 'float32', [256, 64]);
    b.initializer('shape1', [1, 4, 4, 4, 4, 64], [6], 'int64');
    b.initializer('shape2', [1, 256, 64], [3], 'int64');
    b.node('Reshape', ['input', 'shape1'], ['r1'], {}, { name: 'Reshape1' });
    b.node('Transpose', ['r1'], ['t'], { perm: attr.ints([1, 0, 2, 3, 4, 5]) }, { name: 'Transpose' });
    b.node('Reshape', ['t', 'shape2'], ['y'], {}, { name: 'Reshape2' });
    b.output('y', 'float32');
    const errors = await errorsUnder(qgraphFromQdq(model(b, 13, 'rank6-moved.onnx')));
    for (const flow of FLOWS)
      expect(errorNodes(errors[flow])).toEqual(rank6Errors(['Reshape1', 'Transpose', 'Reshape2']));
  });

  for (const [name, input, idx, order, perm, out] of [
    ['GatherTransposeReshape_Fusion_RowMajor', [1, 1, 1, 32, 64], [8, 8], 'row', [0, 1, 2, 4, 3, 5], [1, 8, 32, 8]],
    ['GatherTransposeReshape_Fusion_ColMajor', [1, 1, 1, 16, 100], [10, 10], 'col', [0, 1, 2, 5, 4, 3], [1, 100, 16]],
    [
      'GatherTransposeReshape_Fusion_AsymmetricIndices',
      [1, 1, 1, 8, 48],
      [6, 8],
      'row',
      [0, 1, 2, 4, 3, 5],
      [1, 6, 8, 8],
    ],
    [
      'GatherTransposeReshape_Fusion_MergedBatchDims',
      [2, 3, 4, 16, 36],
      [6, 6],
      'col',
      [0, 1, 2, 5, 4, 3],
      [24, 36, 16],
    ],
  ] as const)
    it(`gather_transpose_reshape_fusion_test.cc: ${name} (All): ONNX Runtime rewrites the rank-6 Gather → Transpose → Reshape; the other flows cannot take rank 6`, async () => {
      const graph = qgraphFromQdq(gatherTransposeReshape([...input], [...idx], order, [...perm], [...out]));
      const errors = await errorsUnder(graph);
      expect(errors.ort).toEqual([]);
      for (const flow of ['qnn', 'executorch'] as const)
        expect(errorNodes(errors[flow])).toEqual(rank6Errors(['Gather', 'Transpose', 'Reshape']));
    });

  it("the same rewrite where the Gather reads a tensor of undeclared size: the input's fixed size gives it (GatherTransposeReshape_Fusion_RowMajor after a Relu)", async () => {
    const graph = qgraphFromQdq(
      gatherTransposeReshape([1, 1, 1, 32, 64], [8, 8], 'row', [0, 1, 2, 4, 3, 5], [1, 8, 32, 8], true),
    );
    expect(graph.nodes.find((n) => n.name === 'Gather')!.inputs[0]!.shape!.some((d) => typeof d === 'number')).toBe(
      false,
    );
    const errors = await errorsUnder(graph);
    expect(errors.ort).toEqual([]);
    expect(errorNodes(errors.qnn)).toEqual(rank6Errors(['Gather', 'Transpose', 'Reshape']));
  });

  it('a rank-6 Gather whose indices run in neither row- nor column-major order is not rewritten: off the HTP under every flow', async () => {
    const graph = qgraphFromQdq(
      gatherTransposeReshape([1, 1, 1, 32, 64], [8, 8], 'reversed', [0, 1, 2, 4, 3, 5], [1, 8, 32, 8]),
    );
    expect(graph.nodes.some((n) => n.rank5By)).toBe(false);
    const errors = await errorsUnder(graph);
    for (const flow of FLOWS) expect(errorNodes(errors[flow])).toEqual(rank6Errors(['Gather', 'Transpose', 'Reshape']));
  });

  it('simple_op_test.cc: Add_U8_U16_Convert (All): a uint8 activation requantized to uint16 (DQ -> Q) is one Convert, and the Add reads uint16', async () => {
    // input0 -> Q/DQ uint8 -> Q/DQ uint16 -> Add <- Q/DQ uint16 <- input1, com.microsoft Q/DQ, opset 18.
    const b = new GraphBuilder('qdq_convert_add');
    const ms = 'com.microsoft';
    b.input('input0', 'float32', [1, 2, 2, 2]).input('input1', 'float32', [1, 2, 2, 2]);
    const a8 = qdq(b, 'input0', 'input0_u8', { scale: 20 / 255, zp: 128, dtype: 'uint8' }, ms);
    const a16 = qdq(b, a8, 'input0_u16', { scale: 20 / 65535, zp: 32768, dtype: 'uint16' }, ms);
    const b16 = qdq(b, 'input1', 'input1_u16', { scale: 40 / 65535, zp: 32768, dtype: 'uint16' }, ms);
    b.node('Add', [a16, b16], ['add_out'], {}, { name: 'Add' });
    b.output(qdq(b, 'add_out', 'out', { scale: 60 / 65535, zp: 32768, dtype: 'uint16' }, ms), 'float32');
    const graph = qgraphFromQdq(model(b, 18, 'convert-add.onnx', [{ domain: ms, version: 1 }]));
    const add = graph.nodes.find((n) => n.opType === 'Add')!;
    expect(add.inputs.map((p) => p.encoding?.dtype)).toEqual(['uint16', 'uint16']);
    expect(await errorsUnder(graph)).toEqual(NONE);
  });

  it('conv_test.cc: ConvU8U8S32_RedundantClipQDQ (All): a Clip with quantized bounds between the Conv and its Q is fused, not a float island', async () => {
    const graph = qgraphFromQdq(convRedundantClip());
    expect(await errorsUnder(graph)).toEqual(NONE);
    const pack = await loadRulePack('htp');
    for (const flow of FLOWS)
      expect(
        validate(graph, pack, { soc: 'SM8650', strict: true, flow }).findings.filter((f) => f.rule === 'float-island'),
      ).toEqual([]);
  });

  for (const [name, scale, opset, options] of [
    ['ScaleSoftmaxFusionScalarInitializer', 'initializer', 13, {}],
    ['ScaleSoftmaxFusionScalarConstant', 'constant', 14, {}],
    ['ScaleSoftmaxFusionScalarInitializerReversed', 'initializer', 15, { reversed: true }],
    ['ScaleSoftmaxFusionScalarConstantReversed', 'constant', 16, { reversed: true }],
    ['ScaleSoftmaxFusionSoftmaxNegativeAxis', 'constant', 22, { reversed: true, axis: -1 }],
    ['ScaleSoftmaxFusionSkipNoScalar4d', [1, 3, 5, 5], 13, {}],
    ['ScaleSoftmaxFusionSkipNoScalar1d', [1], 13, {}],
  ] as const)
    it(`scale_softmax_fusion_test.cc: ${name} (All): a float Mul into a Softmax runs on the HTP (FP16) under every flow, not on V68`, async () => {
      const graph = qgraphFromQdq(scaleSoftmax(scale, opset, options));
      expect(graph.nodes.map((n) => n.opType).filter((op) => op !== 'Constant')).toEqual(['Mul', 'Softmax']);
      expect(await errorsUnder(graph)).toEqual(NONE);
      // On V68, which has no FP16, the same float graph cannot stay on the HTP.
      // On V68, which has no FP16, the float model says it cannot run on the NPU as it is.
      const info = async (soc: string) =>
        validate(graph, await loadRulePack('htp'), { soc, strict: true, flow: 'ort' }).findings.map((f) => f.message);
      expect(await info('SM8650')).toEqual(['The model carries no quantization: only op support was checked.']);
      expect(await info('SM8350')).toEqual([
        'The model carries no quantization: only op support was checked. SM8350 (V68) has no FP16: as it is, the model cannot run on the NPU.',
      ]);
    });

  it('channel_shuffle_fusion_test.cc: ChannelShuffleFusion (All): Reshape → rank-5 Transpose → Reshape between grouped Convs stays on the HTP', async () => {
    const graph = qgraphFromQdq(channelShuffle());
    expect(await errorsUnder(graph)).toEqual(NONE);
  });
});
