/**
 * The validator on the QDQ samples: the clean samples pass on every HTP SoC we name, and each
 * deliberately broken variant is flagged by exactly its rule, on exactly its node.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadRulePack } from '../../../rules/registry';
import { BROKEN_VARIANTS, buildBroken } from '../../../scripts/samples/broken';
import { readOnnx } from '../model/read-onnx';
import { RULE_IDS } from './finding';
import { qgraphFromQdq } from '../qgraph/from-qdq';
import { validate } from './validate';
import { buildOpTest } from '../../testing/ort-qdq';
import { attr, writeOnnx } from '../model/write-onnx';
import { GraphBuilder } from '../model/graph-builder';
import type { Flow } from '../../../rules/types';

const sample = (f: string) => new Uint8Array(readFileSync(`public/samples/${f}`));
const check = async (bytes: Uint8Array, soc: string, strict = true, flow?: Flow) =>
  validate(qgraphFromQdq(readOnnx(bytes)), await loadRulePack('htp'), { soc, strict, flow });

describe('clean QDQ samples', () => {
  for (const f of ['cnn-sigmoid.qdq.onnx', 'transformer-block.qdq.onnx']) {
    for (const soc of ['SM8650', 'SM8450', 'SA8295', 'SM8750']) {
      it(`${f} has no findings on ${soc}`, async () => {
        const r = await check(sample(f), soc);
        expect(r.findings).toEqual([]);
        expect(r.verdict).toBe('pass');
        expect(r.encodings).toBe('qdq');
      });
    }
  }
});

describe('broken QDQ variants', () => {
  it('cover every rule id that checks nodes', () => {
    // not-quantized and unreadable-encoding are notes, not-qdq is model-wide, precompiled-context is
    // about compiled models and dynamic-shape about sizes, not encodings, and ort-block-quant
    // and ort-float-weight concern one flow (ONNX Runtime's: ort-qnn-fusions.test.ts,
    // quantize.test.ts), as does ort-node-unit (ort-node-unit.test.ts), as does ort-half-scales (ONNX Runtime's own quantizer on a float16 model:
    // ort-quantizer-corpus.test.ts), and matmul-nbits one contrib op (ort-qnn-matmulnbits.test.ts,
    // ort-matmul-nbits-corpus.test.ts): covered in their own tests.
    const elsewhere = [
      'not-quantized',
      'unreadable-encoding',
      'not-qdq',
      'precompiled-context',
      'dynamic-shape',
      'ort-block-quant',
      'ort-float-weight',
      'ort-node-unit',
      'ort-half-scales',
      'matmul-nbits',
    ];
    expect(new Set(BROKEN_VARIANTS.map((v) => v.rule))).toEqual(
      new Set(RULE_IDS.filter((r) => !elsewhere.includes(r))),
    );
  });

  for (const v of BROKEN_VARIANTS) {
    it(`${v.rule}: ${v.what}`, async () => {
      const bytes = buildBroken(v, sample(v.base));
      const r = await check(bytes, v.failsOn, true, v.flow);
      expect(r.findings.map((f) => [f.rule, f.node, f.severity])).toEqual([[v.rule, v.node, 'error']]);
      expect(r.verdict).toBe('fail');
      const f = r.findings[0]!;
      expect(f.expected).not.toBe('');
      expect(f.actual).not.toBe('');
      expect(f.fix).not.toBe('');
      expect(f.source).toMatch(/\[(documented|from-code|inferred)\]$/);
      if (v.passesOn)
        expect((await check(bytes, v.passesOn, true, v.flow)).findings.filter((x) => x.severity !== 'info')).toEqual(
          [],
        );

      const lenient = await check(bytes, v.failsOn, false, v.flow);
      expect(lenient.findings.map((x) => x.severity)).toEqual(['warning']);
      expect(lenient.verdict).toBe('pass-with-warnings');
    });
  }

  it("predicts each flow's outcome: a float Sigmoid is slower on V75 (FP16) and leaves the NPU on V68", async () => {
    const v = BROKEN_VARIANTS.find((x) => x.rule === 'float-island')!;
    const bytes = buildBroken(v, sample(v.base));
    const v75 = await check(bytes, 'SM8650');
    expect(v75.findings.map((f) => [f.rule, f.severity, f.outcome, f.constraintKind])).toEqual([
      ['float-island', 'warning', 'slower', 'performance'],
    ]);
    for (const flow of ['ort', 'executorch'] as const) {
      expect((await check(bytes, 'SA8295', true, flow)).findings.map((f) => f.outcome)).toEqual(['cpu-fallback']);
    }
  });

  it('mixed activation dtypes cost a Convert under the QNN converter and ExecuTorch; under ONNX Runtime the node runs float, off the NPU only without FP16', async () => {
    const v = BROKEN_VARIANTS.find((x) => x.rule === 'io-dtype')!;
    const bytes = buildBroken(v, sample(v.base));
    const outcomes = async (flow: Flow, soc: string) =>
      (await check(bytes, soc, true, flow)).findings.map((f) => [f.rule, f.severity, f.outcome]);
    for (const soc of ['SM8650', 'SA8295']) {
      expect(await outcomes('qnn', soc)).toEqual([['io-dtype', 'warning', 'slower']]);
      expect(await outcomes('executorch', soc)).toEqual([['io-dtype', 'warning', 'slower']]);
    }
    expect(await outcomes('ort', 'SM8650')).toEqual([['io-dtype', 'warning', 'slower']]);
    expect(await outcomes('ort', 'SA8295')).toEqual([['io-dtype', 'error', 'cpu-fallback']]);
  });

  it("judges ONNX Runtime's own mixed-dtype QDQ test model (a uint8 Mul reading an int8 constant) the same way", async () => {
    // onnxruntime/test/testdata/make_transpose_optimizer_empty_dq_q_at_output_model.py (opset 19):
    // Transpose -> Q/DQ(u8, 1.0, 128) -> Sigmoid -> Q/DQ(u8, 1/255, 0) -> Mul(x, DQ(int8 [1,2,3], 1.0, 0))
    // -> Q/DQ(u8, 1/255, 0) -> Transpose -> Q(u8) graph output.
    const b = new GraphBuilder('transpose_opt_empty_dqq_graph_output');
    b.input('input0', 'float32', [1, 3, 4, 4]);
    b.initializer('scale_1', new Float32Array([1]), []);
    b.initializer('zp_128', new Uint8Array([128]), [], 'uint8');
    b.initializer('scale_inv_255', new Float32Array([1 / 255]), []);
    b.initializer('zp_0', new Uint8Array([0]), [], 'uint8');
    b.initializer('mul_weight_scale', new Float32Array([1]), []);
    b.initializer('mul_weight_zp', new Int8Array([0]), [], 'int8');
    b.initializer('mul_weight', new Int8Array([1, 2, 3]), [3], 'int8');
    const qdq = (x: string, s: string, z: string, k: number) => {
      b.node('QuantizeLinear', [x, s, z], [`q${k}_out`], {}, { name: `q${k}_node` });
      b.node('DequantizeLinear', [`q${k}_out`, s, z], [`dq${k}_out`], {}, { name: `dq${k}_node` });
      return `dq${k}_out`;
    };
    b.node('Transpose', ['input0'], ['tp0_out'], { perm: attr.ints([0, 2, 3, 1]) }, { name: 'tp0_node' });
    b.node('Sigmoid', [qdq('tp0_out', 'scale_1', 'zp_128', 0)], ['sigmoid_out'], {}, { name: 'sigmoid_node' });
    const x = qdq('sigmoid_out', 'scale_inv_255', 'zp_0', 1);
    b.node(
      'DequantizeLinear',
      ['mul_weight', 'mul_weight_scale', 'mul_weight_zp'],
      ['mul_input_1'],
      {},
      { name: 'dq_mul_input_1' },
    );
    b.node('Mul', [x, 'mul_input_1'], ['mul_out'], {}, { name: 'mul_node' });
    const y = qdq('mul_out', 'scale_inv_255', 'zp_0', 2);
    b.node('Transpose', [y], ['tp1_out'], { perm: attr.ints([0, 3, 1, 2]) }, { name: 'tp1_node' });
    b.node('QuantizeLinear', ['tp1_out', 'scale_inv_255', 'zp_0'], ['output0'], {}, { name: 'q3_node' });
    b.output('output0', 'uint8');
    const bytes = writeOnnx(b.toModel({ opset: [{ domain: '', version: 19 }], irVersion: 9 }));
    const mixed = async (flow: Flow, soc: string) =>
      (await check(bytes, soc, true, flow)).findings
        .filter((f) => f.rule === 'io-dtype')
        .map((f) => [f.node, f.outcome, f.actual]);
    const actual = 'input 0 uint8, input 1 int8, output 0 uint8';
    expect(await mixed('ort', 'SM8650')).toEqual([['mul_node', 'slower', actual]]);
    expect(await mixed('ort', 'SA8295')).toEqual([['mul_node', 'cpu-fallback', actual]]);
    expect(await mixed('qnn', 'SM8650')).toEqual([['mul_node', 'slower', actual]]);
  });

  it('names the fixed Sigmoid scale and what it got', async () => {
    const v = BROKEN_VARIANTS.find((x) => x.rule === 'fixed-qparams')!;
    const [f] = (await check(buildBroken(v, sample(v.base)), 'SM8650')).findings;
    expect(f!.message).toContain('uint16 scale 1/65536 = 1/(qmax−qmin+1)');
    expect(f!.expected).toBe('scale 1/65536, zero point 0');
    expect(f!.actual).toBe('scale 0.000015259 ≈ 1/65535, zero point 0');
  });

  it('flags 16a16w MatMul on SM8450 (V69) but not on SM8550 (V73)', async () => {
    const v = BROKEN_VARIANTS.find((x) => x.rule === '16a16w-arch')!;
    const bytes = buildBroken(v, sample(v.base));
    expect((await check(bytes, 'SM8450')).findings[0]!.actual).toBe('SM8450 (V69)');
    expect((await check(bytes, 'SM8550')).findings).toEqual([]);
  });

  it('flags block-wise weights on SA8295 (V68), notes the disagreement on SM8450 (V69), passes on SM8650', async () => {
    const v = BROKEN_VARIANTS.find((x) => x.rule === 'lpbq-arch')!;
    const bytes = buildBroken(v, sample(v.base));
    expect((await check(bytes, 'SA8295')).verdict).toBe('fail');
    const v69 = await check(bytes, 'SM8450');
    expect(v69.verdict).toBe('pass');
    expect(v69.findings.map((f) => [f.rule, f.severity])).toEqual([['lpbq-arch', 'info']]);
    expect(v69.findings[0]!.sourceNote).toMatch(/V73/);
    expect((await check(bytes, 'SM8650')).findings).toEqual([]);
  });
});

describe('a MatMul of two uint16 activations', () => {
  it("is ONNX Runtime's 16x8 repair under its flow, and nothing under the others (they keep 16x16)", async () => {
    // The transformer sample's QK MatMul made to read K as uint16 (the sample reads a uint8 copy).
    const model = readOnnx(sample('transformer-block.qdq.onnx'));
    const mm = model.graph.nodes.find((n) => n.name === '/layers.0/attn/MatMul')!;
    const k8Dq = model.graph.nodes.find((n) => n.outputs[0] === mm.inputs[1])!;
    const k8Q = model.graph.nodes.find((n) => n.outputs[0] === k8Dq.inputs[0])!;
    mm.inputs[1] = k8Q.inputs[0]!;
    const graph = qgraphFromQdq(model);
    expect(graph.nodes.find((n) => n.name === mm.name)!.inputs.map((p) => p.encoding?.dtype)).toEqual([
      'uint16',
      'uint16',
    ]);
    const pack = await loadRulePack('htp');
    const under = (flow: Flow) =>
      validate(graph, pack, { soc: 'SM8650', strict: true, flow }).findings.map((f) => [
        f.rule,
        f.node,
        f.severity,
        f.outcome,
      ]);
    expect(under('ort')).toEqual([['dtype', mm.name, 'warning', 'auto-fixed']]);
    expect(under('qnn')).toEqual([]);
    expect(under('executorch')).toEqual([]);
  });
});

describe('ops a flow rewrites', () => {
  // maxpool_test.cc builds a QDQ MaxPool this way; ExecuTorch's DecomposeMaxPool3d
  // (backends/qualcomm/_passes/decompose_maxpool3d.py) skips a pool whose indices are used.
  const pool3d = (outputs: 1 | 2) =>
    qgraphFromQdq(
      buildOpTest({
        source: 'a 3-D MaxPool',
        op: 'MaxPool',
        inputs: [{ shape: [1, 2, 4, 4, 4], range: [-10, 10] }],
        attrs: { kernel_shape: attr.ints([2, 2, 2]), strides: attr.ints([2, 2, 2]) },
        qtype: 'uint8',
        outputs,
        expected: 'None',
      }),
    );
  const outcomes = async (graph: ReturnType<typeof qgraphFromQdq>) => {
    const pack = await loadRulePack('htp');
    return Object.fromEntries(
      (['qnn', 'ort', 'executorch'] as const).map((flow) => [
        flow,
        validate(graph, pack, { soc: 'SM8650', strict: true, flow })
          .findings.filter((f) => f.rule === 'unsupported-op')
          .map((f) => `${f.severity} ${f.outcome}`),
      ]),
    );
  };
  it('a 3-D MaxPool is rejected by the QNN converter, runs on the CPU under ONNX Runtime, and is decomposed by ExecuTorch', async () => {
    expect(await outcomes(pool3d(1))).toEqual({
      qnn: ['error rejected'],
      ort: ['error cpu-fallback'],
      executorch: ['warning auto-fixed'],
    });
  });
  it('but not when its indices are used: ExecuTorch leaves it to the CPU', async () => {
    expect((await outcomes(pool3d(2))).executorch).toEqual(['error cpu-fallback']);
  });
});

describe('float models', () => {
  it('checks op support only, with a note', async () => {
    const r = await check(sample('cnn-sigmoid.onnx'), 'SM8650');
    expect(r.findings.map((f) => [f.rule, f.severity])).toEqual([['not-quantized', 'info']]);
    expect(r.verdict).toBe('pass');
  });
});

describe('encodings QuantLens cannot read', () => {
  it('become notes, not crashes or silence', async () => {
    const { onnx } = await import('../model/onnx/generated/onnx-pb.js');
    const m = onnx.ModelProto.decode(sample('cnn-sigmoid.qdq.onnx'));
    // Give the Sigmoid output's zero point an unknown element type (99).
    const zp = m.graph!.initializer!.find((t) => t.name === '/head/Sigmoid_output_0_zero_point')!;
    zp.dataType = 99;
    const r = await check(onnx.ModelProto.encode(m).finish(), 'SM8650');
    expect(r.findings.map((f) => [f.rule, f.node, f.severity])).toEqual([
      ['unreadable-encoding', '/head/Sigmoid', 'info'],
    ]);
    expect(r.findings[0]!.message).toContain('unknown(99)');
  });
});
