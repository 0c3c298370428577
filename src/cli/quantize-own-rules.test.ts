/**
 * The quantizer's export judged by its own rules, on models others wrote. Weights the model computes at run time, in ONNX's own conformance models (Debian's
 * libonnx-testdata): a Conv, ConvTranspose or Gemm whose weight is a graph input, norms whose
 * scale is one, and PyTorch's InstanceNorm export with a constant scale. Quantized beside 16-bit
 * activations, each weight must come out in a type its op takes as it is (until session 29 they
 * were uint16, which ONNX Runtime converts to int16, re-rounding what was calibrated, and which the
 * HTP's Batchnorm refuses), and what no quantization can fix (a BatchNorm or LayerNorm parameter
 * computed at run time) is said, with what happens to the node under the flow.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readOnnx } from '../core/model/read-onnx';
import { qgraphFromQdq } from '../core/qgraph/from-qdq';
import { main } from './main';

const DATA = '/usr/share/libonnx-testdata/data';
const dir = mkdtempSync(join(tmpdir(), 'ql-rtw-'));

interface Finding {
  rule: string;
  node: string;
  message: string;
  outcome: string;
}

/** `quantlens quantize` in this process on a conformance model with its own test data, or on a model file. */
async function quantize(test: string, config: string, flow = 'qnn') {
  let out = '';
  let err = '';
  const qdq = join(dir, `${test.replace(/\W/g, '_')}-${config}-${flow}.onnx`);
  const code = await main(
    [
      'quantize',
      // A conformance model with its own test data, or a model of the PyTorch corpus on samples of its own.
      ...(test.endsWith('.onnx')
        ? [test, '--calib', '2']
        : [`${DATA}/${test}/model.onnx`, '--inputs', `${DATA}/${test}`]),
      '--config',
      config,
      '--flow',
      flow,
      '--no-strict',
      '--out-qdq',
      qdq,
      '--out-encodings',
      `${qdq}.encodings`,
      '--format',
      'json',
    ],
    { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } },
  );
  expect(err).toBe('');
  expect(code).toBe(0);
  const report = JSON.parse(out) as { findings: Finding[]; sqnr: { db: number | null }[] };
  const graph = qgraphFromQdq(readOnnx(new Uint8Array(readFileSync(qdq))));
  /** The encoding node `op` reads on input `index`. */
  const input = (op: string, index: number) =>
    graph.nodes.find((n) => n.opType === op)!.inputs.find((p) => p.index === index)!.encoding!;
  /** The encoding of node `op`'s first output. */
  const output = (op: string) => graph.nodes.find((n) => n.opType === op)!.outputs[0]!.encoding!;
  return { findings: report.findings, sqnr: report.sqnr[0]!.db, input, output, qdq, encodings: `${qdq}.encodings` };
}

describe('weights computed at run time, beside 16-bit activations', () => {
  it.each([
    ['node/test_conv_with_strides_padding', 'Conv', 1],
    ['node/test_convtranspose', 'ConvTranspose', 1],
    ['node/test_gemm_default_no_bias', 'Gemm', 1],
    ['node/test_instancenorm_example', 'InstanceNormalization', 1],
  ] as const)(
    '%s: %s weight as int16 symmetric at 16a16w, uint8 at 16a8w, with no dtype finding',
    async (test, op, index) => {
      const wide = await quantize(test, '16a16w');
      expect(wide.findings).toEqual([]);
      expect(wide.input(op, index)).toMatchObject({ dtype: 'int16', zeroPoint: [0] });
      expect(wide.sqnr).toBeGreaterThan(60);
      const narrow = await quantize(test, '16a8w');
      expect(narrow.findings).toEqual([]);
      expect(narrow.input(op, index).dtype).toBe('uint8');
      expect(narrow.input(op, 0).dtype).toBe('uint16');
      expect(narrow.sqnr).toBeGreaterThan(35);
    },
  );

  it("PyTorch's InstanceNorm export (a constant scale): int16 at 16a16w, uint8 at 16a8w, never uint16", async () => {
    const test = 'pytorch-operator/test_operator_symbolic_override';
    const wide = await quantize(test, '16a16w');
    expect(wide.findings).toEqual([]);
    expect(wide.input('InstanceNormalization', 1)).toMatchObject({ dtype: 'int16', zeroPoint: [0] });
    const narrow = await quantize(test, '16a8w');
    expect(narrow.findings).toEqual([]);
    expect(narrow.input('InstanceNormalization', 1).dtype).toBe('uint8');
  });

  it('a BatchNormalization whose parameters are graph inputs: a uint8 scale, and CPU fallback under ONNX Runtime', async () => {
    const { findings, input } = await quantize('node/test_batchnorm_example', '16a16w', 'ort');
    expect(input('BatchNormalization', 1).dtype).toBe('uint8');
    expect(findings).toEqual([
      expect.objectContaining({
        rule: 'op-limits',
        node: 'BatchNormalization_0',
        message: expect.stringContaining('input 1, 2, 3, 4 must be a constant'),
        outcome: 'cpu-fallback',
      }),
    ]);
  });

  it('a LayerNormalization whose scale is a graph input: the HTP cannot prepare it, so ONNX Runtime fails the session', async () => {
    const { findings } = await quantize('node/test_layer_normalization_2d_axis_negative_1', '16a16w', 'ort');
    expect(findings).toContainEqual(
      expect.objectContaining({
        rule: 'op-limits',
        message: expect.stringContaining('input 1 must be a constant (a scale computed at run time'),
        outcome: 'rejected',
      }),
    );
    expect(findings.filter((f) => f.rule === 'dtype')).toEqual([]);
  });
});

describe("the deployment flow's own needs", () => {
  it.each([
    ['node/test_maxpool_2d_default', 'MaxPool'],
    // PyTorch's bilinear upsampling of a segmentation head (npm run gen:corpus).
    ['.cache/corpus/torch/float-segmentation-softmax.onnx', 'Resize'],
  ] as const)('%s: under ONNX Runtime, the %s output shares its input encoding (one QDQ group)', async (test, op) => {
    const ort = await quantize(test, '8a8w', 'ort');
    expect(ort.findings).toEqual([]);
    expect(ort.output(op)).toEqual(ort.input(op, 0));
    // The QNN converter takes its own output encoding: calibrated, not shared.
    const qnn = await quantize(test, '8a8w', 'qnn');
    expect(qnn.findings).toEqual([]);
    expect(qnn.output(op)).not.toEqual(qnn.input(op, 0));
  });
});

/** `quantlens check` in this process: the findings as (rule, op, severity), sorted. */
async function check(...args: string[]) {
  let out = '';
  await main(['check', ...args, '--no-strict', '--format', 'json'], {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: () => undefined },
  });
  return (JSON.parse(out) as { findings: (Finding & { op: string; severity: string })[] }).findings
    .map((f) => `${f.rule} ${f.op} ${f.severity}`)
    .sort();
}

describe('the export read back', () => {
  it('judges an Unsqueeze to rank 6 as the float model with its AIMET encodings is judged (the rank reaches the tensor before the last Q)', async () => {
    const test = 'node/test_unsqueeze_three_axes';
    const q = await quantize(test, '16a16w');
    const asQdq = await check(q.qdq);
    expect(asQdq).toEqual(await check(`${DATA}/${test}/model.onnx`, '--encodings', q.encodings));
    expect(asQdq).toContain('op-limits Unsqueeze warning');
    expect(asQdq.filter((f) => f === 'op-limits Unsqueeze warning')).toHaveLength(2);
  });
});
