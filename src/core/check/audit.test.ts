/**
 * One regression test per item of the team's fidelity audit of the HTP rules (items C1-C21) that
 * the corpus (torch-corpus.test.ts), the ONNX Runtime transcriptions (ort-qnn-tests.test.ts), the
 * broken samples (validate.test.ts) and the CLI tests do not already pin down. Each failed before
 * its fix.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadRulePack } from '../../../rules/registry';
import type { Flow } from '../../../rules/types';
import { writeAimetEncodings, parseAimetEncodings } from '../formats/aimet';
import { GraphBuilder } from '../model/graph-builder';
import { readOnnx } from '../model/read-onnx';
import type { Model } from '../model/types';
import { attr, writeOnnx } from '../model/write-onnx';
import { qgraphFromAimet } from '../qgraph/from-aimet';
import { qgraphFromQdq } from '../qgraph/from-qdq';
import type { QGraph } from '../qgraph/qgraph';
import { buildOpTest, type InputDef, type OpTest } from '../../testing/ort-qdq';
import { validate } from './validate';

const x = (shape: number[], range: [number, number] = [-10, 10]): InputDef => ({ shape, range });
const c = (shape: number[], extra: Partial<InputDef> = {}): InputDef => ({
  shape,
  constant: true,
  range: [-1, 1],
  ...extra,
});
const op = (t: Omit<OpTest, 'source' | 'expected'>): Model => buildOpTest({ ...t, source: t.op, expected: 'All' });

async function check(g: QGraph, opts: { soc?: string; flow?: Flow; backend?: 'htp' | 'lpai' } = {}) {
  const r = validate(g, await loadRulePack(opts.backend ?? 'htp'), {
    soc: opts.soc ?? 'SM8650',
    strict: true,
    flow: opts.flow,
  });
  return r.findings.map((f) => [f.rule, f.severity, f.outcome] as const);
}
const errors = async (g: QGraph, opts: Parameters<typeof check>[1] = {}) =>
  (await check(g, opts)).filter(([, s]) => s === 'error').map(([r]) => r);
const model = (b: GraphBuilder, opset = 21) =>
  readOnnx(
    writeOnnx(
      b.toModel({
        opset: [
          { domain: '', version: opset },
          { domain: 'com.microsoft', version: 1 },
        ],
        irVersion: 10,
      }),
    ),
  );

describe('C4: 16-bit weights', () => {
  const conv = (perChannel: boolean) =>
    op({
      op: 'Conv',
      qtype: 'uint16',
      inputs: [x([1, 2, 4, 4]), c([3, 2, 2, 2], { qtype: 'uint16', ...(perChannel ? { perChannelAxis: 0 } : {}) })],
    });
  it('accepts a uint16 per-tensor weight (ONNX Runtime converts it to symmetric int16) and gates it as 16a16w', async () => {
    const g = qgraphFromQdq(conv(false));
    expect(await errors(g)).toEqual([]);
    expect(await check(g, { flow: 'ort' })).toEqual([['dtype', 'warning', 'auto-fixed']]);
    expect(await errors(g, { soc: 'SM8450' })).toEqual(['16a16w-arch']);
  });
  it('rejects a uint16 per-channel weight as per-tensor only', async () => {
    expect(await errors(qgraphFromQdq(conv(true)))).toEqual(['per-channel']);
  });
});

describe('C5: the derived bias', () => {
  it('repeats per-channel weight scales per group on a grouped ConvTranspose', async () => {
    const g = qgraphFromQdq(
      op({
        op: 'ConvTranspose',
        qtype: 'uint8',
        attrs: { group: attr.int(2) },
        inputs: [
          x([1, 4, 4, 4]),
          c([4, 2, 3, 3], { qtype: 'int8', symmetric: true, perChannelAxis: 1 }),
          c([4], { qtype: 'int32', symmetric: true, derivedBias: true }),
        ],
      }),
    );
    expect(await check(g)).toEqual([]);
  });
  it('treats an independently calibrated bias of a per-tensor weight as a repair, and advice under ExecuTorch', async () => {
    const g = qgraphFromQdq(
      op({
        op: 'Conv',
        qtype: 'uint8',
        inputs: [
          x([1, 1, 5, 5]),
          c([1, 1, 3, 3], { qtype: 'int8', symmetric: true }),
          c([1], { qtype: 'int32', symmetric: true }),
        ],
      }),
    );
    expect(await check(g, { flow: 'executorch' })).toEqual([['bias', 'info', 'advice']]);
    expect(await check(g, { flow: 'ort' })).toEqual([['bias', 'warning', 'auto-fixed']]);
  });
});

describe('C6: block-wise encodings from AIMET files', () => {
  it('checks the block size against the input channels of a Conv, not its output channels', async () => {
    const b = new GraphBuilder('pb');
    b.input('x', 'float32', [1, 32, 4, 4]);
    b.initializer('w', new Float32Array(8 * 32).fill(0.1), [8, 32, 1, 1]);
    b.node('Conv', ['x', 'w'], ['y'], {}, { name: 'conv' });
    b.output('y', 'float32', [1, 8, 4, 4]);
    const scale = new Array(8 * 2).fill(0.01);
    const enc = writeAimetEncodings(
      {
        activations: new Map([
          ['x', { dtype: 'uint8', bitwidth: 8, granularity: 'per-tensor', scale: [0.1], zeroPoint: [0], origin: 't' }],
          ['y', { dtype: 'uint8', bitwidth: 8, granularity: 'per-tensor', scale: [0.1], zeroPoint: [0], origin: 't' }],
        ]),
        params: new Map([
          [
            'w',
            {
              dtype: 'int8',
              bitwidth: 4,
              granularity: 'per-block',
              scale,
              zeroPoint: scale.map(() => 0),
              blockSize: 16,
              origin: 't',
            },
          ],
        ]),
      },
      '1.0.0',
    );
    const g = qgraphFromAimet(model(b), parseAimetEncodings(enc, 'pb.encodings'));
    expect(g.nodes[0]!.inputs[1]!.encoding).toMatchObject({
      granularity: 'per-block',
      axis: 0,
      blockAxis: 1,
      blockSize: 16,
    });
    expect((await check(g)).filter(([r]) => r === 'encoding')).toEqual([]);
  });
});

/** A MatMul whose int4 weight [32, 8] is block-quantized along K (16) in ONNX Runtime's LPBQ form. */
function lpbqMatMul(): Model {
  const b = new GraphBuilder('lpbq');
  b.input('a', 'float32', [1, 32]);
  b.initializer('a_scale', new Float32Array([0.05]), []);
  b.initializer('a_zp', new Uint16Array([32768]), [], 'uint16');
  b.node('QuantizeLinear', ['a', 'a_scale', 'a_zp'], ['a_q']);
  b.node('DequantizeLinear', ['a_q', 'a_scale', 'a_zp'], ['a_dq']);
  b.initializer('w_q', new Uint8Array((32 * 8) / 2), [32, 8], 'int4');
  b.initializer('int_scales', new Uint8Array(2 * 8).fill(3), [2, 8], 'uint8');
  b.initializer('ch_scales', new Float32Array(8).fill(0.001), [8]);
  b.node('DequantizeLinear', ['int_scales', 'ch_scales'], ['w_scales'], { axis: attr.int(1) }, { name: 'scales_dq' });
  b.node(
    'DequantizeLinear',
    ['w_q', 'w_scales'],
    ['w'],
    { axis: attr.int(0), block_size: attr.int(16) },
    { name: 'w_dq' },
  );
  b.node('MatMul', ['a_dq', 'w'], ['y'], {}, { name: 'matmul' });
  b.initializer('y_scale', new Float32Array([0.05]), []);
  b.initializer('y_zp', new Uint16Array([32768]), [], 'uint16');
  b.node('QuantizeLinear', ['y', 'y_scale', 'y_zp'], ['y_q']);
  b.node('DequantizeLinear', ['y_q', 'y_scale', 'y_zp'], ['out']);
  b.output('out', 'float32', [1, 8]);
  return model(b);
}

describe('C7: LPBQ in QDQ form', () => {
  it('reads the per-block integer scales behind a DQ, and gates LPBQ by architecture', async () => {
    const g = qgraphFromQdq(lpbqMatMul());
    const w = g.nodes.find((n) => n.opType === 'MatMul')!.inputs[1]!;
    expect(w.encoding).toMatchObject({ granularity: 'lpbq', dtype: 'int4', blockSize: 16, blockAxis: 0, axis: 1 });
    expect(w.encoding!.perBlockIntScale).toHaveLength(16);
    expect(await errors(g)).toEqual([]);
    expect(await errors(g, { soc: 'SA8295' })).toEqual(['lpbq-arch']);
  });
});

describe('C8, C21: packed sub-byte constants', () => {
  it('unpacks an int4 zero point stored in int32_data (two per element)', async () => {
    const b = new GraphBuilder('i4');
    b.input('x', 'float32', [1, 4]);
    b.initializer('w_q', new Uint8Array(8), [4, 4], 'int4');
    b.initializer('w_scale', new Float32Array(4).fill(0.1), [4]);
    b.initializerProto({ name: 'w_zp', dims: [4], dataType: 22, int32Data: [0, 0] });
    b.node('DequantizeLinear', ['w_q', 'w_scale', 'w_zp'], ['w'], { axis: attr.int(0) });
    b.node('MatMul', ['x', 'w'], ['y'], {}, { name: 'mm' });
    b.output('y', 'float32', [1, 4]);
    const w = qgraphFromQdq(model(b)).nodes.find((n) => n.opType === 'MatMul')!.inputs[1]!;
    expect(w.encoding).toMatchObject({ dtype: 'int4', bitwidth: 4, zeroPoint: [0, 0, 0, 0] });
  });
  it('reads 2-bit ONNX types (INT2 = 26) as 2-bit weights: per-tensor 2-bit is flagged, not unreadable', async () => {
    const b = new GraphBuilder('i2');
    b.input('x', 'float32', [1, 2, 4, 4]);
    b.initializerProto({ name: 'w_q', dims: [4, 2, 1, 1], dataType: 26, rawData: new Uint8Array(2) });
    b.initializer('w_scale', new Float32Array([0.1]), []);
    b.node('DequantizeLinear', ['w_q', 'w_scale'], ['w']);
    b.node('Conv', ['x', 'w'], ['y'], {}, { name: 'conv' });
    b.output('y', 'float32', [1, 4, 4, 4]);
    const g = qgraphFromQdq(model(b));
    expect(g.nodes.find((n) => n.opType === 'Conv')!.inputs[1]!.encoding).toMatchObject({ dtype: 'int2', bitwidth: 2 });
    expect((await check(g)).map(([r]) => r)).toContain('dtype');
    expect((await check(g)).map(([r]) => r)).not.toContain('unreadable-encoding');
  });
});

describe('C9: a DQ without a zero point', () => {
  it('takes its dtype from the declared type of its input, not uint8', () => {
    const b = new GraphBuilder('dq');
    b.input('xq', 'int8', [1, 4]);
    b.initializer('s', new Float32Array([0.1]), []);
    b.node('DequantizeLinear', ['xq', 's'], ['x']);
    b.node('Relu', ['x'], ['y'], {}, { name: 'relu' });
    b.output('y', 'float32', [1, 4]);
    expect(qgraphFromQdq(model(b)).nodes.find((n) => n.opType === 'Relu')!.inputs[0]!.encoding?.dtype).toBe('int8');
  });
});

describe('C11-C13: the op mapping', () => {
  const single = (opType: string, inputs: InputDef[], extra: Partial<OpTest> = {}) =>
    qgraphFromQdq(op({ op: opType, qtype: 'uint8', inputs, ...extra }));
  it('rejects what the HTP cannot run: ReduceProd, a lone Erf, rank-5 MaxPool', async () => {
    expect(
      await errors(single('ReduceProd', [x([1, 4, 4]), c([1], { raw: { dtype: 'int64', values: [1] } })])),
    ).toEqual(['unsupported-op']);
    expect(await errors(single('Erf', [x([1, 4])]))).toEqual(['unsupported-op']);
    expect(
      await errors(single('MaxPool', [x([1, 2, 4, 4, 4])], { attrs: { kernel_shape: attr.ints([2, 2, 2]) } })),
    ).toEqual(['unsupported-op']);
  });
  it('maps what ONNX Runtime maps: Sum, SimplifiedLayerNormalization, LRN, rank-5 AveragePool, MatMul with a rank-1 B', async () => {
    expect(await errors(single('Sum', [x([1, 4]), x([1, 4])]))).toEqual([]);
    expect(await errors(single('SimplifiedLayerNormalization', [x([1, 2, 4]), c([4], { range: [0, 1] })]))).toEqual([]);
    expect(await errors(single('LRN', [x([1, 4, 4, 4])], { attrs: { size: attr.int(3) } }))).toEqual([]);
    const avg = single('AveragePool', [x([1, 2, 4, 4, 4])], { attrs: { kernel_shape: attr.ints([2, 2, 2]) } });
    const r = validate(avg, await loadRulePack('htp'), { soc: 'SM8650', strict: true });
    expect(r.findings).toEqual([]);
    const mm = validate(
      single('MatMul', [x([2, 4]), c([4], { qtype: 'int8', symmetric: true })]),
      await loadRulePack('htp'),
      { soc: 'SM8650', strict: true },
    );
    expect(mm.findings.filter((f) => f.severity === 'error')).toEqual([]);
  });
  it.skipIf(!existsSync('/usr/share/libonnx-testdata/data/node/test_mean_one_input'))(
    "a one-input Mean (ONNX's conformance model test_mean_one_input) is refused, in words that count it right",
    async () => {
      const bytes = readFileSync('/usr/share/libonnx-testdata/data/node/test_mean_one_input/model.onnx');
      const r = validate(qgraphFromQdq(readOnnx(new Uint8Array(bytes))), await loadRulePack('htp'), {
        soc: 'SM8650',
        strict: true,
        flow: 'ort',
      });
      const f = r.findings.find((x) => x.rule === 'op-limits')!;
      expect([f.message, f.expected, f.actual]).toEqual([
        'Mean with 1 input is not supported; it takes at least 2',
        'at least 2 inputs',
        '1 input',
      ]);
    },
  );
  it('names the QNN op: rank-1 constant B makes a FullyConnected, depthwise Conv a DepthWiseConv2d', async () => {
    const pack = await loadRulePack('htp');
    const bad = (g: QGraph) => validate(g, pack, { soc: 'SM8650', strict: true }).findings.map((f) => f.qnnOp);
    // A per-channel FC weight on the wrong axis names the op in the finding.
    expect(
      bad(single('MatMul', [x([2, 4]), c([4, 3], { qtype: 'int8', symmetric: true, perChannelAxis: 0 })])),
    ).toEqual(['FullyConnected']);
    expect(
      bad(
        single('Conv', [x([1, 4, 4, 4]), c([4, 1, 3, 3], { qtype: 'int8', perChannelAxis: 0, range: [0, 1] })], {
          attrs: { group: attr.int(4) },
        }),
      ),
    ).toEqual(['DepthWiseConv2d']);
  });
});

describe("Gemm's C under ONNX Runtime's QNN EP (gemm_op_builder.cc ExplictOpCheck)", () => {
  const NODE = '/usr/share/libonnx-testdata/data/node';
  const conformance = (name: string) =>
    qgraphFromQdq(readOnnx(new Uint8Array(readFileSync(`${NODE}/${name}/model.onnx`)), { fileName: `${name}.onnx` }));
  it.skipIf(!existsSync(NODE))(
    "ONNX's conformance Gemms: a scalar or one-element C leaves the node to the CPU under ONNX Runtime only; [N], [1, N] and a float [rows, N] stay",
    async () => {
      for (const name of ['test_gemm_default_scalar_bias', 'test_gemm_default_single_elem_vector_bias']) {
        const graph = conformance(name);
        expect(await check(graph, { flow: 'ort' }), name).toEqual([
          ['op-limits', 'error', 'cpu-fallback'],
          ['not-quantized', 'info', 'advice'],
        ]);
        for (const flow of ['qnn', 'executorch'] as const)
          expect(await errors(graph, { flow }), `${name} ${flow}`).toEqual([]);
      }
      for (const name of ['test_gemm_default_vector_bias', 'test_gemm_default_matrix_bias', 'test_gemm_transposeB'])
        expect(await errors(conformance(name), { flow: 'ort' }), name).toEqual([]);
    },
  );
  it('a quantized C of [rows, N] with more than one row is refused under ONNX Runtime; one row is not', async () => {
    const gemm = (rows: number) =>
      qgraphFromQdq(
        op({
          op: 'Gemm',
          qtype: 'uint8',
          inputs: [x([rows, 6]), c([6, 4], { range: [-1, 5] }), x([rows, 4], [-1, 1])],
        }),
      );
    expect(await errors(gemm(3), { flow: 'ort' })).toEqual(['op-limits']);
    expect(await errors(gemm(1), { flow: 'ort' })).toEqual([]);
    expect(await errors(gemm(3), { flow: 'qnn' })).toEqual([]);
  });
});

describe('C14, C18: constraints for ops that had none', () => {
  it('GatherElements must share its input quantization; Argmax takes no int16 input', async () => {
    const ge = qgraphFromQdq(
      op({
        op: 'GatherElements',
        qtype: 'uint8',
        inputs: [x([2, 4]), c([2, 4], { raw: { dtype: 'int64', values: [0, 1, 2, 3, 0, 1, 2, 3] } })],
        outputRange: [-5, 5],
      }),
    );
    expect(await errors(ge)).toEqual(['shared-qparams']);
    const am = qgraphFromQdq(
      op({ op: 'ArgMax', qtype: 'int16', inputs: [x([1, 4])], outputQType: 'float', outputDtype: 'int64' }),
    );
    expect(await errors(am)).toEqual(['dtype']);
  });
  it("a MaxPool whose output Q/DQ differs from its input's costs a requantization under ONNX Runtime only", async () => {
    // ONNX Runtime's drop-QDQ selector groups a MaxPool only with identical Q/DQ around it; the
    // QNN converter and ExecuTorch take the two encodings as they are, so they hear nothing.
    const mp = qgraphFromQdq(
      op({
        op: 'MaxPool',
        qtype: 'uint8',
        inputs: [x([1, 2, 4, 4])],
        attrs: { kernel_shape: attr.ints([2, 2]) },
        outputRange: [-5, 5],
      }),
    );
    expect(await check(mp, { flow: 'ort' })).toEqual([['shared-qparams', 'warning', 'slower']]);
    expect(await check(mp, { flow: 'qnn' })).toEqual([]);
    expect(await check(mp, { flow: 'executorch' })).toEqual([]);
  });
  it('an int16 LayerNorm weight must be symmetric', async () => {
    const ln = (symmetric: boolean) =>
      qgraphFromQdq(
        op({
          op: 'LayerNormalization',
          qtype: 'uint16',
          inputs: [x([1, 2, 4]), c([4], { qtype: 'int16', symmetric, range: [0.5, 1.5] })],
        }),
      );
    expect(await errors(ln(false))).toEqual(['symmetric']);
    expect(await errors(ln(true))).toEqual([]);
  });
});

describe('C19: LPAI', () => {
  it("maps what ExecuTorch's lpai_rules.py annotates; other ops are advice, not errors", async () => {
    const div = qgraphFromQdq(op({ op: 'Div', qtype: 'uint8', inputs: [x([1, 4]), x([1, 4], [1, 2])] }));
    expect(await check(div, { backend: 'lpai', soc: 'SM8850' })).toEqual([]);
    const hs = qgraphFromQdq(op({ op: 'HardSigmoid', qtype: 'uint8', inputs: [x([1, 4])], outputRange: [0, 1] }));
    expect(await check(hs, { backend: 'lpai', soc: 'SM8850' })).toEqual([['unsupported-op', 'info', 'advice']]);
  });

  it("refuses ONNX Runtime's QNN EP as a flow for LPAI: it has no LPAI backend", async () => {
    const div = qgraphFromQdq(op({ op: 'Div', qtype: 'uint8', inputs: [x([1, 4]), x([1, 4], [1, 2])] }));
    await expect(check(div, { backend: 'lpai', soc: 'SM8850', flow: 'ort' })).rejects.toThrow(
      "ONNX Runtime's QNN EP cannot deploy a model to LPAI: it has no LPAI backend",
    );
    await expect(check(div, { backend: 'lpai', soc: 'SM8850', flow: 'ort' })).rejects.toMatchObject({
      code: 'flow-backend',
      hint: "Choose the QNN converter or ExecuTorch as the flow for LPAI, or the HTP backend for ONNX Runtime's QNN EP.",
    });
  });

  const encoder = '.cache/corpus/torch/transformer-encoder-pc-sym.onnx';
  it.runIf(existsSync(encoder))(
    "float islands leave LPAI, which runs quantized ops only: PyTorch's decomposed LayerNorm runs on the CPU under ExecuTorch",
    async () => {
      // PyTorch 1.13's QDQ export leaves each LayerNorm as nine float nodes (ReduceMean ... Add).
      const g = qgraphFromQdq(readOnnx(new Uint8Array(readFileSync(encoder))));
      const islands = async (o: Parameters<typeof check>[1]) =>
        (await check(g, o)).filter(([r, s]) => r === 'float-island' && s !== 'info');
      // On the HTP they run in FP16 (slower); on LPAI they leave it, as on V68.
      expect(await islands({ soc: 'SM8650', flow: 'executorch' })).toEqual([
        ['float-island', 'warning', 'slower'],
        ['float-island', 'warning', 'slower'],
      ]);
      expect(await islands({ backend: 'lpai', soc: 'SM8850', flow: 'executorch' })).toEqual([
        ['float-island', 'error', 'cpu-fallback'],
        ['float-island', 'error', 'cpu-fallback'],
      ]);
      expect(await islands({ backend: 'lpai', soc: 'SM8850', flow: 'qnn' })).toEqual([
        ['float-island', 'error', 'rejected'],
        ['float-island', 'error', 'rejected'],
      ]);
    },
  );
});

describe('integer-arithmetic quantization', () => {
  const conformance = (name: string) =>
    readOnnx(new Uint8Array(readFileSync(`/usr/share/libonnx-testdata/data/node/${name}/model.onnx`)));
  it.skipIf(!existsSync('/usr/share/libonnx-testdata/data/node'))(
    'ONNX conformance models with DynamicQuantizeLinear, ConvInteger, MatMulInteger: one model-level finding each',
    async () => {
      for (const name of ['test_dynamicquantizelinear', 'test_convinteger_with_padding', 'test_matmulinteger']) {
        const r = validate(qgraphFromQdq(conformance(name)), await loadRulePack('htp'), {
          soc: 'SM8650',
          strict: true,
        });
        expect(r.findings.map((f) => [f.rule, f.severity, f.node])).toEqual([['not-qdq', 'error', '(model)']]);
      }
    },
  );

  it('a dynamically quantized network (ONNX Runtime quantize_dynamic pattern, 3 layers) is one finding, not one per node', async () => {
    const b = new GraphBuilder('dyn');
    b.input('x', 'float32', [1, 4, 8, 8]);
    let t = 'x';
    for (let i = 0; i < 3; i++) {
      b.node('DynamicQuantizeLinear', [t], [`q${i}`, `s${i}`, `z${i}`], {}, { name: `dql${i}` });
      b.initializer(`w${i}`, new Uint8Array(4 * 4 * 9), [4, 4, 3, 3], 'uint8');
      b.initializer(`wz${i}`, new Uint8Array([128]), [], 'uint8');
      b.node(
        'ConvInteger',
        [`q${i}`, `w${i}`, `z${i}`, `wz${i}`],
        [`ci${i}`],
        { pads: attr.ints([1, 1, 1, 1]) },
        { name: `conv${i}` },
      );
      b.node('Cast', [`ci${i}`], [`cf${i}`], { to: attr.int(1) }, { name: `cast${i}` });
      b.initializer(`ws${i}`, new Float32Array([0.01]), []);
      b.node('Mul', [`s${i}`, `ws${i}`], [`sc${i}`], {}, { name: `scale${i}` });
      b.node('Mul', [`cf${i}`, `sc${i}`], [`y${i}`], {}, { name: `rescale${i}` });
      t = `y${i}`;
    }
    b.output(t, 'float32', [1, 4, 8, 8]);
    const r = validate(qgraphFromQdq(model(b)), await loadRulePack('htp'), {
      soc: 'SM8650',
      strict: true,
      flow: 'ort',
    });
    expect(r.findings.map((f) => [f.rule, f.severity])).toEqual([['not-qdq', 'error']]);
    expect(r.findings[0]!.actual).toBe('3 DynamicQuantizeLinear, 3 ConvInteger');
    expect(r.delegation.offNpu).toBe(6);
  });
});
