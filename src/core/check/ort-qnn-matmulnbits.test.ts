/**
 * ONNX Runtime's HTP tests of MatMulNBits (com.microsoft), transcribed from
 * onnxruntime-qnn's test/providers/qnn/matmulnbits_test.cc as it stands after PR #288 (HTP
 * MatMulNBits) and PR #675 (16-bit QDQ activations), read at qti-yuduo/onnxruntime-qnn ce0bb1a:
 * - RunMatMulNBitsTest<bits>(params, "htp"): a float A [1, 1, 64], B packed uint8 [2, K/block,
 *   block·bits/8], float scales [2, K/block], packed uint8 zero points when has_zero_point;
 *   opset 13; every node on the HTP (ExpectedEPNodeAssignment::All); the tests skip V68 and older.
 * - RunHtpQDQMatMulNBitsTest<bits, uint16|int16>: the same node with A and Y behind Q → DQ of the
 *   activation type, opset 21; also All.
 * The weights' values do not enter any check, so B holds a fixed pattern here, not the tests'
 * quantized Gaussian. The nodes those tests accept must draw no error under ONNX Runtime's flow,
 * only the note that they need onnxruntime-qnn from PR #288 (cee6c0d, March 2026, refuses them on
 * the HTP); the nodes the builder's IsOpSupported refuses must be errors there.
 */
import { describe, expect, it } from 'vitest';
import { loadRulePack } from '../../../rules/registry';
import { FLOWS, type Flow } from '../../../rules/types';
import { GraphBuilder } from '../model/graph-builder';
import type { DType } from '../model/dtype';
import { readOnnx } from '../model/read-onnx';
import { attr, writeOnnx } from '../model/write-onnx';
import { qgraphFromQdq } from '../qgraph/from-qdq';
import { validate } from './validate';

interface Params {
  m?: number;
  n: number;
  k: number;
  blockSize: number;
  bits: number;
  zeroPoint: boolean;
  /** Quantized A and Y (RunHtpQDQMatMulNBitsTest), or float (RunMatMulNBitsTest). */
  act?: 'uint16' | 'int16' | 'uint8';
  /** A of another rank than the tests' [1, M, K]. */
  aShape?: number[];
  /** Inputs 4 (g_idx) and 5 (bias), which the tests never give. */
  bias?: boolean;
}

function matMulNBits(p: Params) {
  const b = new GraphBuilder('matmul_nbits');
  const m = p.m ?? 1;
  const kBlocks = Math.ceil(p.k / p.blockSize);
  const blob = Math.ceil((p.blockSize * p.bits) / 8);
  const zpBlob = Math.ceil((kBlocks * p.bits) / 8);
  b.input('input0', 'float32', p.aShape ?? [1, m, p.k]);
  let a = 'input0';
  const qdq = (tensor: string, name: string, dtype: DType, scale: number, zp: number) => {
    b.initializer(`${name}_scale`, new Float32Array([scale]), []);
    b.initializer(`${name}_zp`, [zp], [], dtype);
    b.node('QuantizeLinear', [tensor, `${name}_scale`, `${name}_zp`], [`${tensor}_q`], {}, { name: `${name}_Q` });
    b.node(
      'DequantizeLinear',
      [`${tensor}_q`, `${name}_scale`, `${name}_zp`],
      [`${tensor}_dq`],
      {},
      { name: `${name}_DQ` },
    );
    return `${tensor}_dq`;
  };
  // GetTestInputQuantParams over a Gaussian of 0.25: about [-1, 1].
  const actParams = (dtype: 'uint16' | 'int16' | 'uint8'): [number, number] =>
    dtype === 'int16' ? [2 / 65535, 0] : dtype === 'uint16' ? [2 / 65535, 32768] : [2 / 255, 128];
  if (p.act) a = qdq(a, 'act', p.act, ...actParams(p.act));
  b.initializer(
    'input1',
    Uint8Array.from({ length: p.n * kBlocks * blob }, (_, i) => (i * 37) & 0xff),
    [p.n, kBlocks, blob],
    'uint8',
  );
  b.initializer(
    'scales',
    Float32Array.from({ length: p.n * kBlocks }, (_, i) => 0.01 + i * 1e-4),
    [p.n, kBlocks],
  );
  const inputs = [a, 'input1', 'scales'];
  if (p.zeroPoint) {
    b.initializer(
      'zero_point',
      Uint8Array.from({ length: p.n * zpBlob }, (_, i) => (i * 11) & 0xff),
      [p.n, zpBlob],
      'uint8',
    );
    inputs.push('zero_point');
  }
  if (p.bias) {
    b.initializer('bias', new Float32Array(p.n), [p.n]);
    while (inputs.length < 5) inputs.push('');
    inputs.push('bias');
  }
  b.node(
    'MatMulNBits',
    inputs,
    ['Y'],
    {
      K: attr.int(p.k),
      N: attr.int(p.n),
      block_size: attr.int(p.blockSize),
      bits: attr.int(p.bits),
      accuracy_level: attr.int(1),
    },
    { name: 'matmul_nbits', domain: 'com.microsoft' },
  );
  const opset = p.act ? 21 : 13;
  b.output(p.act ? qdq('Y', 'out', p.act, ...actParams(p.act)) : 'Y', 'float32');
  return qgraphFromQdq(
    readOnnx(
      writeOnnx(
        b.toModel({
          opset: [
            { domain: '', version: opset },
            { domain: 'com.microsoft', version: 1 },
          ],
          irVersion: opset >= 21 ? 10 : 8,
        }),
      ),
      { fileName: 'matmul_nbits.onnx' },
    ),
  );
}

async function findingsUnder(graph: ReturnType<typeof matMulNBits>, soc: string, flow: Flow) {
  const report = validate(graph, await loadRulePack('htp'), { soc, strict: true, flow });
  return report;
}

const rule = (r: Awaited<ReturnType<typeof findingsUnder>>) =>
  r.findings.filter((f) => f.rule === 'matmul-nbits').map((f) => `${f.severity}: ${f.message}`);

describe("onnxruntime-qnn's HTP MatMulNBits tests, transcribed", () => {
  const floatCases: Params[] = [];
  for (const bits of [2, 4, 8])
    for (const blockSize of [16, 32, 64])
      for (const zeroPoint of [false, true]) floatCases.push({ n: 2, k: 64, blockSize, bits, zeroPoint });
  const qdqCases: Params[] = [];
  for (const act of ['uint16', 'int16'] as const)
    for (const bits of [2, 4, 8])
      for (const [n, k, blockSize] of [
        [32, 64, 32],
        [32, 128, 64],
        [64, 256, 128],
      ] as const)
        for (const zeroPoint of [false, true]) qdqCases.push({ n, k, blockSize, bits, zeroPoint, act });
  const name = (p: Params) =>
    `MatMulNBits_${p.act ? `QDQ_${p.act === 'int16' ? 'S16' : 'U16'}_` : ''}M1_N${p.n}_K${p.k}_B${p.bits}_BS${p.blockSize}${p.zeroPoint ? '_ZP' : ''}`;

  it.each([...floatCases, ...qdqCases].map((p) => [name(p), p] as const))(
    '%s (All, V69+): on the HTP under ONNX Runtime from PR #288, said as a note; an error on V68',
    async (_, p) => {
      const graph = matMulNBits(p);
      for (const soc of ['SM8850', 'SM8650']) {
        const ort = await findingsUnder(graph, soc, 'ort');
        expect(ort.findings.filter((f) => f.severity === 'error').map((f) => `${f.rule}: ${f.message}`)).toEqual([]);
        expect(rule(ort)).toEqual([
          expect.stringMatching(/^info: MatMulNBits runs on the HTP only with onnxruntime-qnn from PR #288/),
        ]);
        expect(ort.delegation.onNpu).toBe(ort.delegation.nodes);
      }
      const v68 = await findingsUnder(graph, 'SA8295', 'ort');
      expect(rule(v68)).toEqual([expect.stringMatching(/^error: .*SA8295 is V68/)]);
      for (const flow of ['qnn', 'executorch'] as const)
        expect(rule(await findingsUnder(graph, 'SM8650', flow))).toEqual([
          expect.stringMatching(
            /^info: MatMulNBits is ONNX Runtime's contrib op: whether the QNN converter or ExecuTorch takes it is not in their public sources/,
          ),
        ]);
    },
  );

  it('a float A says it runs in FP16; a 16-bit A with 4-bit weights and no zero points runs as an integer LPBQ kernel', async () => {
    const note = async (p: Params) =>
      (await findingsUnder(matMulNBits(p), 'SM8650', 'ort')).findings.find((f) => f.rule === 'matmul-nbits')!.actual;
    expect(await note({ n: 2, k: 64, blockSize: 32, bits: 4, zeroPoint: false })).toMatch(/casts A to FP16/);
    expect(await note({ n: 32, k: 64, blockSize: 32, bits: 4, zeroPoint: false, act: 'uint16' })).toMatch(
      /integer LPBQ Conv2d/,
    );
    expect(await note({ n: 32, k: 64, blockSize: 32, bits: 8, zeroPoint: true, act: 'int16' })).toMatch(
      /converts A to FP16 around a block-encoded Conv2d/,
    );
  });
});

describe('MatMulNBits that IsOpSupported refuses on the HTP: errors under ONNX Runtime (CPU), notes elsewhere', () => {
  it.each([
    ['bits 3', { n: 2, k: 64, blockSize: 32, bits: 3, zeroPoint: false }, /bits 3 \(the HTP takes 2, 4 or 8\)/],
    [
      '2-bit blocks of 8',
      { n: 2, k: 64, blockSize: 8, bits: 2, zeroPoint: false },
      /block_size 8 at 2 bits \(a multiple of 16/,
    ],
    [
      'K not a multiple of the block',
      { n: 2, k: 80, blockSize: 32, bits: 4, zeroPoint: false },
      /K 80 is not a multiple of block_size 32/,
    ],
    ['a 2-D A', { n: 2, k: 64, blockSize: 32, bits: 4, zeroPoint: false, aShape: [1, 64] }, /input A has rank 2/],
    [
      'an 8-bit quantized A',
      { n: 2, k: 64, blockSize: 32, bits: 4, zeroPoint: false, act: 'uint8' },
      /input A is uint8 quantized/,
    ],
    ['a bias', { n: 2, k: 64, blockSize: 32, bits: 4, zeroPoint: false, bias: true }, /bias given/],
  ] as const)('%s', async (_, p, why) => {
    const graph = matMulNBits(p as Params);
    const ort = await findingsUnder(graph, 'SM8650', 'ort');
    expect(rule(ort)).toEqual([expect.stringMatching(why)]);
    expect(rule(ort)[0]).toMatch(/^error: MatMulNBits that ONNX Runtime's QNN EP leaves to the CPU in every version/);
    expect(ort.delegation.onNpu).toBeLessThan(ort.delegation.nodes);
    expect(rule(await findingsUnder(graph, 'SM8650', 'ort'))).toHaveLength(1);
    const lenient = validate(graph, await loadRulePack('htp'), { soc: 'SM8650', strict: false, flow: 'ort' });
    expect(rule(lenient)[0]).toMatch(/^warning: /);
    for (const flow of FLOWS.filter((f) => f !== 'ort'))
      expect(rule(await findingsUnder(graph, 'SM8650', flow))).toEqual([expect.stringMatching(/^info: /)]);
  });
});
