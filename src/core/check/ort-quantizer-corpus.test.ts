/**
 * QDQ models written by ONNX Runtime's own quantizer with its QNN configuration (get_qnn_qdq_config)
 * from PyTorch float exports, at uint8 and uint16 activations (scripts/corpus/ort_quantizer.py,
 * committed under __fixtures__/ort-quantizer with the findings each must have, read from its graph).
 * What ONNX Runtime's quantizer writes is what users of its QNN EP deploy: QuantLens must find
 * what the graph shows (an infinite scale from a -inf attention mask, a bias quantized as a
 * uint8/uint16 tensor, a LayerNormalization scale quantized again from an Identity copy) and
 * nothing else, under each flow.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRulePack } from '../../../rules/registry';
import { FLOWS, type Flow } from '../../../rules/types';
import { readOnnx } from '../model/read-onnx';
import { qgraphFromQdq } from '../qgraph/from-qdq';
import { validate } from './validate';

const DIR = join(__dirname, '__fixtures__', 'ort-quantizer');

interface Case {
  file: string;
  activations: string;
  weights: string;
  errors: Record<Flow, [string, string][]>;
  warnings: Record<Flow, [string, string][]>;
}
const manifest = JSON.parse(readFileSync(join(DIR, 'manifest.json'), 'utf8')) as { cases: Case[] };

/** The (rule, node) pairs of one severity, each once, sorted as the manifest sorts them. */
const pairs = (findings: { rule: string; node: string; severity: string }[], severity: string, rules?: Set<string>) =>
  [
    ...new Set(
      findings
        .filter((f) => f.severity === severity && (!rules || rules.has(f.rule)))
        .map((f) => `${f.rule}\u0000${f.node}`),
    ),
  ]
    .sort()
    .map((k) => k.split('\u0000'));

describe("ONNX Runtime's quantizer (QNN config) on PyTorch exports", () => {
  it('covers clean models and each pattern, at 8 and 16 bits (16-bit weights too)', () => {
    expect(manifest.cases.length).toBeGreaterThanOrEqual(27);
    expect(new Set(manifest.cases.map((c) => c.activations))).toEqual(new Set(['u8', 'u16']));
    expect(manifest.cases.some((c) => c.weights === 'u16')).toBe(true);
    for (const rule of ['encoding', 'bias', 'op-limits'])
      expect(manifest.cases.some((c) => FLOWS.some((f) => c.errors[f].some(([r]) => r === rule)))).toBe(true);
    expect(manifest.cases.filter((c) => FLOWS.every((f) => c.errors[f].length === 0)).length).toBeGreaterThanOrEqual(
      10,
    );
  });

  for (const c of manifest.cases)
    it(`${c.file}: ${FLOWS.map((f) => `${c.errors[f].length} error(s) under ${f}`).join(', ')}`, async () => {
      const graph = qgraphFromQdq(readOnnx(new Uint8Array(readFileSync(join(DIR, c.file))), { fileName: c.file }));
      const pack = await loadRulePack('htp');
      for (const flow of FLOWS) {
        const { findings } = validate(graph, pack, { soc: 'SM8650', strict: true, flow });
        expect(pairs(findings, 'error'), `errors under ${flow}`).toEqual(c.errors[flow]);
        // The bias warnings the graph shows; other warnings (requantized data movement, 16-bit
        // MatMul inputs ONNX Runtime converts) are the rules' own business and tested elsewhere.
        expect(pairs(findings, 'warning', new Set(['bias'])), `bias warnings under ${flow}`).toEqual(
          c.warnings[flow].filter(([r]) => r === 'bias'),
        );
      }
    });

  it("reads ONNX Runtime's mixed precision (some tensors widened to uint16, a DQ -> Q conversion at each edge between the precisions) as it runs: both precisions, no finding", async () => {
    const file = 'float-convnext-block.u8u8-mixed-u16.qdq.onnx';
    const model = readOnnx(new Uint8Array(readFileSync(join(DIR, file))));
    const byOutput = new Map(model.graph.nodes.flatMap((n) => n.outputs.map((o) => [o, n] as const)));
    const converts = model.graph.nodes.filter(
      (n) => n.opType === 'QuantizeLinear' && byOutput.get(n.inputs[0]!)?.opType === 'DequantizeLinear',
    );
    expect(converts.length).toBeGreaterThanOrEqual(2);
    const graph = qgraphFromQdq(model);
    const sqrt = graph.nodes.find((n) => n.name === '/block/block/block.2/Sqrt')!;
    expect([sqrt.inputs[0]!.encoding?.dtype, sqrt.outputs[0]!.encoding?.dtype]).toEqual(['uint16', 'uint16']);
    const stem = graph.nodes.find((n) => n.opType === 'Conv')!;
    expect(stem.outputs[0]!.encoding?.dtype).toBe('uint8');
    const pack = await loadRulePack('htp');
    for (const flow of FLOWS)
      expect(
        validate(graph, pack, { soc: 'SM8650', strict: true, flow }).findings.filter((f) => f.severity !== 'info'),
      ).toEqual([]);
  });

  it("explains what made a bad encoding or a run-time scale: a -inf mask, a requantized Identity copy, a folded beta, a bias ONNX Runtime's EP runs as a float op", async () => {
    const pack = await loadRulePack('htp');
    const check = (file: string, flow: Flow, soc = 'SM8650') =>
      validate(qgraphFromQdq(readOnnx(new Uint8Array(readFileSync(join(DIR, file))))), pack, {
        soc,
        strict: true,
        flow,
      }).findings;
    const mask = check('float-causal-attention.u8u8.qdq.onnx', 'ort').find((f) => f.rule === 'encoding')!;
    expect(mask.actual).toBe('Infinity');
    expect(mask.fix).toMatch(/attention mask filled with -inf/);
    // (Under the QNN converter: ONNX Runtime's own constant folding makes the copy an initializer.)
    const ln = check('float-encoder-opset17.u16u8.qdq.onnx', 'qnn').find((f) => f.rule === 'op-limits')!;
    expect(ln.actual).toMatch(/a copy of the constant ln1\.weight\S* through an Identity/);
    expect(ln.actual).toMatch(/which ONNX Runtime's constant folding makes an initializer again/);
    expect(check('float-encoder-opset17.u16u8.qdq.onnx', 'ort').filter((f) => f.rule === 'op-limits')).toEqual([]);
    const bias = check('shared-bias-se-cnn.u8u8.qdq.onnx', 'ort').filter((f) => f.rule === 'bias');
    expect(new Set(bias.map((f) => f.outcome))).toEqual(new Set(['slower']));
    expect(bias[0]!.fix).toMatch(/run quant_pre_process on the float model first/);
    // ONNX Runtime's quantizer folds the Gemm's beta (0.5) into its bias scale and sets beta to 1.
    const folded = check('float-addmm-scaled.u8u8-per-channel.qdq.onnx', 'qnn').find((f) => f.rule === 'bias')!;
    expect(folded.actual).toMatch(/\(0\.5 × the expected\)$/);
    // uint16 weights (16a16w): ONNX Runtime's QNN EP converts each static one to symmetric int16.
    const wide = check('float-linear-kn.u16u16.qdq.onnx', 'ort').filter((f) => f.severity !== 'info');
    expect(wide.map((f) => [f.rule, f.node, f.outcome])).toEqual([
      ['dtype', '/Gemm', 'auto-fixed'],
      ['dtype', '/MatMul', 'auto-fixed'],
    ]);
    // Under the other flows, advice that names what is known: ONNX Runtime's reason for its
    // Convert (the HTP fails validation of a uint16 weight), and that the converter's handling is not.
    for (const flow of ['qnn', 'executorch'] as const) {
      const advice = check('float-linear-kn.u16u16.qdq.onnx', flow).filter(
        (f) => f.rule === 'dtype' && f.tensor && /uint16 weight/.test(f.message),
      );
      expect(
        advice.map((f) => [f.node, f.outcome]),
        flow,
      ).toEqual([
        ['/Gemm', 'advice'],
        ['/MatMul', 'advice'],
      ]);
      expect(advice[0]!.sourceNote).toMatch(/No public source says whether the QNN converter converts a uint16 weight/);
    }
    // On V68, which has no FP16, the float Conv leaves the NPU.
    const v68 = check('shared-bias-se-cnn.u8u8.qdq.onnx', 'ort', 'SM8350').filter((f) => f.rule === 'bias');
    expect(new Set(v68.map((f) => [f.severity, f.outcome].join(' ')))).toEqual(new Set(['error cpu-fallback']));
  });
});
