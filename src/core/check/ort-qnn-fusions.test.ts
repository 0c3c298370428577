/**
 * ONNX Runtime's QNN HTP tests of multi-node patterns its QNN EP fuses into one QNN op
 * (onnxruntime/test/providers/qnn/qnn_node_group/*_test.cc in onnxruntime/onnxruntime-qnn at
 * cee6c0d91e), built as the tests build their QDQ models. Every node of each is expected on the
 * HTP (ExpectedEPNodeAssignment::All): QuantLens must not report an error under any flow.
 */
import { describe, expect, it } from 'vitest';
import { loadRulePack } from '../../../rules/registry';
import { FLOWS } from '../../../rules/types';
import { GraphBuilder } from '../model/graph-builder';
import { readOnnx } from '../model/read-onnx';
import { attr, writeOnnx } from '../model/write-onnx';
import { qgraphFromQdq } from '../qgraph/from-qdq';
import { validate } from './validate';

/** uint8 qparams of [lo, hi] stretched to include 0 (GetTestInputQuantParams). */
function u8(lo: number, hi: number): { scale: number; zp: number } {
  const [a, b] = [Math.min(lo, 0), Math.max(hi, 0)];
  const scale = (b - a) / 255;
  return { scale, zp: Math.round(-a / scale) };
}

/**
 * gelu_fusion_test.cc BuildQDQGeluPattern{1,2}TestCase: input [1,2,3,4] in [-1, 1]; the constants
 * sqrt(2), 1 and 0.5 are float initializers behind Q -> DQ with the input's qparams, as is every
 * intermediate tensor; the output gets its own.
 */
function geluPattern(pattern: 1 | 2): Uint8Array {
  const b = new GraphBuilder(`qdq_gelu_pattern${pattern}_graph`);
  const q = u8(-1, 1);
  b.initializer('s', new Float32Array([q.scale]), []).initializer('z', new Uint8Array([q.zp]), [], 'uint8');
  const qdq = (t: string, scale = 's', zp = 'z') => {
    b.node('QuantizeLinear', [t, scale, zp], [`${t}_q`], {}, { name: `${t}_QuantizeLinear` });
    b.node('DequantizeLinear', [`${t}_q`, scale, zp], [`${t}_dq`], {}, { name: `${t}_DequantizeLinear` });
    return `${t}_dq`;
  };
  b.input('input', 'float32', [1, 2, 3, 4]);
  const x = qdq('input');
  b.initializer('sqrt2', new Float32Array([Math.SQRT2]), []);
  b.initializer('one', new Float32Array([1]), []);
  b.initializer('half', new Float32Array([0.5]), []);
  const [sqrt2, one, half] = [qdq('sqrt2'), qdq('one'), qdq('half')];
  b.node('Div', [x, sqrt2], ['div_out'], {}, { name: 'Div_sqrt2' });
  b.node('Erf', [qdq('div_out')], ['erf_out'], {}, { name: 'Erf' });
  b.node('Add', [qdq('erf_out'), one], ['add_out'], {}, { name: 'Add_one' });
  if (pattern === 1) {
    b.node('Mul', [x, half], ['mul_half_out'], {}, { name: 'Mul_half' });
    b.node('Mul', [qdq('add_out'), qdq('mul_half_out')], ['Y'], {}, { name: 'Mul_out' });
  } else {
    b.node('Mul', [x, qdq('add_out')], ['mul_out'], {}, { name: 'Mul_input' });
    b.node('Mul', [qdq('mul_out'), half], ['Y'], {}, { name: 'Mul_half' });
  }
  const o = u8(-0.17, 0.85);
  b.initializer('os', new Float32Array([o.scale]), []).initializer('oz', new Uint8Array([o.zp]), [], 'uint8');
  b.output(qdq('Y', 'os', 'oz'), 'float32');
  return writeOnnx(b.toModel({ opset: [{ domain: '', version: 13 }], irVersion: 8 }));
}

/**
 * lpbqmatmul_fusion_test.cc / lpbqgemm_fusion_test.cc BuildLPBQ{MatMul,Gemm}TestCase: a uint16
 * activation [1, 16]; a float weight [16, 16] behind Q -> DQ with int4 zero points, axis 0 and
 * block_size 4, whose scale is the output of a DQ of uint8 per-block scales [4, 16] by float
 * per-channel scales [16] (axis 1): LPBQ in QDQ form. The Gemm has a float bias.
 */
function lpbq(op: 'MatMul' | 'Gemm'): Uint8Array {
  const b = new GraphBuilder(`lpbq_${op.toLowerCase()}`);
  const spread = (n: number, lo: number, hi: number) =>
    Float32Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
  b.input('input', 'float32', [1, 16]);
  b.initializer('act_s', new Float32Array([0.00005509183756657876]), []);
  b.initializer('act_z', new Uint16Array([23715]), [], 'uint16');
  b.node('QuantizeLinear', ['input', 'act_s', 'act_z'], ['act_q']).node(
    'DequantizeLinear',
    ['act_q', 'act_s', 'act_z'],
    ['act_dq'],
  );
  b.initializer(
    'block_ints',
    Uint8Array.from({ length: 64 }, (_, i) => 1 + (i % 15)),
    [4, 16],
    'uint8',
  );
  b.initializer('channel_scales', spread(16, 0.01, 0.02), [16]);
  b.initializer('block_zp', new Uint8Array(16), [16], 'uint8');
  b.node(
    'DequantizeLinear',
    ['block_ints', 'channel_scales', 'block_zp'],
    ['w_scale'],
    { axis: attr.int(1) },
    { name: 'scale_DQ' },
  );
  b.initializer('w', spread(256, -2, 2), [16, 16]);
  b.initializer('w_zp', new Uint8Array(32), [4, 16], 'int4');
  const blocked = { axis: attr.int(0), block_size: attr.int(4) };
  b.node('QuantizeLinear', ['w', 'w_scale', 'w_zp'], ['w_q'], blocked, { name: 'w_Q' });
  b.node('DequantizeLinear', ['w_q', 'w_scale', 'w_zp'], ['w_dq'], blocked, { name: 'w_DQ' });
  if (op === 'Gemm') b.initializer('bias', spread(16, -1, 1), [16]);
  b.node(op, op === 'Gemm' ? ['act_dq', 'w_dq', 'bias'] : ['act_dq', 'w_dq'], ['y'], {}, { name: op });
  b.initializer('out_s', new Float32Array([0.00019595865160226822]), []);
  b.initializer('out_z', new Uint16Array([31693]), [], 'uint16');
  b.node('QuantizeLinear', ['y', 'out_s', 'out_z'], ['y_q']).node(
    'DequantizeLinear',
    ['y_q', 'out_s', 'out_z'],
    ['out'],
  );
  b.output('out', 'float32');
  return writeOnnx(b.toModel({ opset: [{ domain: '', version: 21 }], irVersion: 10 }));
}

describe('ONNX Runtime QNN HTP fusion tests, transcribed', () => {
  for (const op of ['MatMul', 'Gemm'] as const) {
    it(`lpbq${op.toLowerCase()}_fusion_test.cc: LPBQ${op}Fusion: the weight reads as 4-bit LPBQ, fine on V75, V69+ only`, async () => {
      const graph = qgraphFromQdq(readOnnx(lpbq(op), { fileName: `lpbq-${op}.onnx` }));
      const w = graph.nodes.find((n) => n.opType === op)!.inputs[1]!;
      expect([w.role, w.encoding?.granularity, w.encoding?.bitwidth, w.encoding?.blockSize]).toEqual([
        'weight',
        'lpbq',
        4,
        4,
      ]);
      const pack = await loadRulePack('htp');
      for (const flow of FLOWS) {
        const v75 = validate(graph, pack, { soc: 'SM8650', strict: true, flow });
        console.log(
          'FINDINGS',
          op,
          flow,
          JSON.stringify(v75.findings.map((f) => [f.severity, f.node, f.rule, f.message])),
        );
        expect(
          v75.findings.filter((f) => f.severity === 'error').map((f) => f.message),
          flow,
        ).toEqual([]);
      }
      const v68 = validate(graph, pack, { soc: 'SA8295', strict: true, flow: 'qnn' });
      expect(v68.findings.filter((f) => f.severity === 'error').map((f) => [f.rule, f.node])).toEqual([
        ['lpbq-arch', op],
      ]);
    });
  }

  it('simple_op_test.cc: Add_U8_U16_Convert (All): a uint8 activation requantized to uint16 (DQ -> Q) is one Convert, and the Add reads uint16', async () => {
    // input0 -> Q/DQ uint8 -> Q/DQ uint16 -> Add <- Q/DQ uint16 <- input1, com.microsoft Q/DQ, opset 18.
    const b = new GraphBuilder('qdq_convert_add');
    const ms = { domain: 'com.microsoft' };
    const pair = (t: string, name: string, scale: number, zp: number, dtype: 'uint8' | 'uint16') => {
      b.initializer(`${name}_s`, new Float32Array([scale]), []);
      b.initializer(`${name}_z`, dtype === 'uint8' ? new Uint8Array([zp]) : new Uint16Array([zp]), [], dtype);
      b.node('QuantizeLinear', [t, `${name}_s`, `${name}_z`], [`${name}_q`], {}, { name: `${name}_Q`, ...ms });
      b.node(
        'DequantizeLinear',
        [`${name}_q`, `${name}_s`, `${name}_z`],
        [`${name}_dq`],
        {},
        { name: `${name}_DQ`, ...ms },
      );
      return `${name}_dq`;
    };
    b.input('input0', 'float32', [1, 2, 2, 2]).input('input1', 'float32', [1, 2, 2, 2]);
    const a8 = pair('input0', 'input0_u8', 20 / 255, 128, 'uint8');
    const a16 = pair(a8, 'input0_u16', 20 / 65535, 32768, 'uint16');
    const b16 = pair('input1', 'input1_u16', 40 / 65535, 32768, 'uint16');
    b.node('Add', [a16, b16], ['add_out'], {}, { name: 'Add' });
    b.output(pair('add_out', 'out', 60 / 65535, 32768, 'uint16'), 'float32');
    const bytes = writeOnnx(
      b.toModel({
        opset: [
          { domain: '', version: 18 },
          { domain: 'com.microsoft', version: 1 },
        ],
        irVersion: 9,
      }),
    );
    const graph = qgraphFromQdq(readOnnx(bytes, { fileName: 'convert-add.onnx' }));
    const add = graph.nodes.find((n) => n.opType === 'Add')!;
    expect(add.inputs.map((p) => p.encoding?.dtype)).toEqual(['uint16', 'uint16']);
    for (const flow of FLOWS) {
      const r = validate(graph, await loadRulePack('htp'), { soc: 'SM8650', strict: true, flow });
      expect(
        r.findings.filter((f) => f.severity === 'error').map((f) => `${f.node}: ${f.message}`),
        flow,
      ).toEqual([]);
    }
  });

  it('an Erf outside a GELU pattern stays an op the HTP does not have', async () => {
    const b = new GraphBuilder('erf');
    const q = u8(-1, 1);
    b.initializer('s', new Float32Array([q.scale]), []).initializer('z', new Uint8Array([q.zp]), [], 'uint8');
    b.input('x', 'float32', [1, 4]);
    b.node('QuantizeLinear', ['x', 's', 'z'], ['x_q']).node('DequantizeLinear', ['x_q', 's', 'z'], ['x_dq']);
    b.node('Erf', ['x_dq'], ['e'], {}, { name: 'Erf' });
    b.node('QuantizeLinear', ['e', 's', 'z'], ['e_q']).node('DequantizeLinear', ['e_q', 's', 'z'], ['y']);
    b.output('y', 'float32');
    const graph = qgraphFromQdq(
      readOnnx(writeOnnx(b.toModel({ opset: [{ domain: '', version: 13 }], irVersion: 8 })), { fileName: 'erf.onnx' }),
    );
    const r = validate(graph, await loadRulePack('htp'), { soc: 'SM8650', strict: true, flow: 'qnn' });
    expect(r.findings.filter((f) => f.severity === 'error').map((f) => f.node)).toEqual(['Erf']);
  });

  for (const pattern of [1, 2] as const) {
    it(`gelu_fusion_test.cc: GeluFusionPattern${pattern}_QDQ_U8 (All): the Erf is read as part of a Gelu`, async () => {
      const graph = qgraphFromQdq(readOnnx(geluPattern(pattern), { fileName: `gelu${pattern}.onnx` }));
      expect(graph.nodes.find((n) => n.opType === 'Erf')?.fusedAs).toBe('Gelu');
      for (const flow of FLOWS) {
        const r = validate(graph, await loadRulePack('htp'), { soc: 'SM8650', strict: true, flow });
        expect(
          r.findings.filter((f) => f.severity === 'error').map((f) => `${f.node}: ${f.message}`),
          flow,
        ).toEqual([]);
      }
    });
  }
});
