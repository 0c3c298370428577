/**
 * Ops ONNX Runtime's QNN EP has no builder for at cee6c0d (the commit the HTP pack's ONNX Runtime
 * facts follow) but later onnxruntime-qnn versions do (rules/htp/later-ort.ts): on ONNX's own
 * conformance models, the finding under ONNX Runtime's flow keeps the outcome of that commit (the
 * CPU) and says which version changes it; the other flows' findings say nothing of it.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRulePack } from '../../../rules/registry';
import { FLOWS } from '../../../rules/types';
import { readOnnx } from '../model/read-onnx';
import { qgraphFromQdq } from '../qgraph/from-qdq';
import { mapOp } from './map-op';
import { validate } from './validate';

const ROOT = '/usr/share/libonnx-testdata/data/node';
const CASES = existsSync(ROOT)
  ? readdirSync(ROOT).filter(
      (t) =>
        /^test_(selu|isinf|onehot|nonzero|range_float|qlinearconv|qlinearmatmul|matmulinteger|basic_convinteger|convinteger_with)/.test(
          t,
        ) && !t.endsWith('_expanded'),
    )
  : [];

describe.skipIf(CASES.length === 0)("ops later onnxruntime-qnn versions build, on ONNX's conformance models", () => {
  it('covers the QOperator ops and several unmapped ones', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(12);
  });

  it.each(CASES)('%s', async (test) => {
    const pack = await loadRulePack('htp');
    const graph = qgraphFromQdq(readOnnx(new Uint8Array(readFileSync(`${ROOT}/${test}/model.onnx`))));
    const byFlow = Object.fromEntries(
      FLOWS.map((flow) => [
        flow,
        validate(graph, pack, { soc: 'SM8650', strict: true, flow }).findings.filter(
          (f) => f.rule === 'unsupported-op' || f.rule === 'not-qdq',
        ),
      ]),
    );
    const op = graph.nodes.find((n) => pack.laterOrtBuilders?.[n.opType])!.opType;
    const later = pack.laterOrtBuilders![op]!;
    // One finding per flow for the node (the model, for QOperator), never two.
    for (const flow of FLOWS) expect(byFlow[flow], flow).toHaveLength(1);
    const [ort] = byFlow.ort!;
    expect(ort!.severity).toBe('error');
    expect(ort!.outcome).toBe('cpu-fallback');
    expect(ort!.message).toContain('cee6c0d (March 2026)');
    expect(ort!.message).toContain(later.since);
    if (later.htp === 'yes') expect(ort!.message).toMatch(/for the HTP|an HTP builder/);
    else if (later.htp === 'no') expect(ort!.message).toContain('but not for the HTP');
    else expect(ort!.message).toContain('whose conditions on the HTP QuantLens has not read');
    for (const flow of FLOWS.filter((f) => f !== 'ort'))
      expect(byFlow[flow]![0]!.message).not.toMatch(/onnxruntime-qnn/);
  });
});

describe("the HTP pack's later ONNX Runtime builders", () => {
  it('name ops the pack does not map, or maps for the other flows only (GRU), and say where each claim comes from', async () => {
    const pack = await loadRulePack('htp');
    for (const [key, b] of Object.entries(pack.laterOrtBuilders ?? {})) {
      const [domain, opType] = key.includes('::') ? key.split('::') : ['', key];
      expect(mapOp(pack, { opType: opType!, domain: domain!, inputs: [], outputs: [] } as never).kind, key).toBe(
        key === 'GRU' ? 'mapped' : 'unsupported',
      );
      // A claim about the HTP comes from a pull request or from the builder read.
      if (b.htp !== 'unknown')
        expect(b.source.ref, key).toMatch(/^onnxruntime\/onnxruntime-qnn pull \d+|(opbuilder|qnn_node_group)\/\w+\.cc/);
    }
  });
});

const GRU = existsSync(ROOT) ? readdirSync(ROOT).filter((t) => /^test_gru_/.test(t)) : [];
describe.skipIf(GRU.length === 0)(
  "GRU, which the HTP has and ONNX Runtime's QNN EP builds only later (ONNX's GRU conformance models)",
  () => {
    it.each(GRU)(
      '%s: on the CPU under ONNX Runtime at cee6c0d, with the later builder named; nothing under the other flows',
      async (test) => {
        const pack = await loadRulePack('htp');
        const graph = qgraphFromQdq(readOnnx(new Uint8Array(readFileSync(`${ROOT}/${test}/model.onnx`))));
        const under = (flow: (typeof FLOWS)[number]) =>
          validate(graph, pack, { soc: 'SM8650', strict: true, flow }).findings.filter(
            (f) => f.rule === 'unsupported-op',
          );
        const [ort, ...more] = under('ort');
        expect(more).toEqual([]);
        expect([ort!.op, ort!.outcome, ort!.severity]).toEqual(['GRU', 'cpu-fallback', 'error']);
        expect(ort!.message).toMatch(
          /^GRU has no builder in ONNX Runtime's QNN EP at cee6c0d \(March 2026\).*a later onnxruntime-qnn has a builder for GRU/,
        );
        for (const flow of FLOWS.filter((f) => f !== 'ort')) expect(under(flow), flow).toEqual([]);
      },
    );
  },
);

describe("ONNX Runtime's integer formats on PyTorch exports (scripts/corpus/ort_integer.py)", () => {
  const dir = join(__dirname, '__fixtures__', 'ort-integer');
  const all = (
    JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as {
      cases: { file: string; format: string; integerOps: Record<string, number>; fused?: Record<string, string[]> }[];
    }
  ).cases;
  const dynamic = all.filter((c) => c.format === 'dynamic') as ((typeof all)[number] & {
    fused: Record<string, string[]>;
  })[];

  it('covers both fusions: MatMulInteger and ConvInteger', () => {
    expect(new Set(dynamic.flatMap((c) => Object.keys(c.fused)))).toEqual(new Set(['MatMulInteger', 'ConvInteger']));
  });

  it.each(dynamic.map((c) => [c.file, c] as const))(
    '%s: dynamically quantized, the CPU at cee6c0d; under ONNX Runtime the finding names the later fusions its integer ops fit',
    async (_, c) => {
      const pack = await loadRulePack('htp');
      const graph = qgraphFromQdq(readOnnx(new Uint8Array(readFileSync(join(dir, c.file)))));
      const ops = Object.keys(c.fused);
      // The manifest, read from the graph, says every integer op is in its fusion's pattern.
      for (const op of ops) expect(c.fused[op], op).toHaveLength(c.integerOps[op]!);
      for (const flow of FLOWS) {
        const f = validate(graph, pack, { soc: 'SM8650', strict: true, flow }).findings.filter(
          (x) => x.rule === 'not-qdq',
        );
        expect(f.map((x) => [x.severity, x.outcome])).toEqual([
          ['error', flow === 'qnn' ? 'rejected' : 'cpu-fallback'],
        ]);
        expect(f[0]!.message).toMatch(/^The model is dynamically quantized/);
        for (const op of ops)
          if (flow === 'ort')
            expect(f[0]!.message).toContain(
              `a later onnxruntime-qnn builds ${op} for the HTP (as the DynamicQuantizeLinear → ${op} → Cast → Mul`,
            );
          else expect(f[0]!.message).not.toMatch(/onnxruntime-qnn/);
        expect(f[0]!.nodeIds).toHaveLength(Object.values(c.integerOps).reduce((a, b) => a + b, 0));
      }
    },
  );

  it.each(all.filter((c) => c.format === 'QOperator').map((c) => [c.file, c] as const))(
    "%s (quantize_static, QOperator): under ONNX Runtime the finding names the later QLinearConv and QLinearMatMul builders, and says ONNX Runtime's own QLinearAdd and QLinearMul have none",
    async (_, c) => {
      expect(Object.keys(c.integerOps).sort()).toEqual(['QLinearAdd', 'QLinearConv', 'QLinearMatMul', 'QLinearMul']);
      const pack = await loadRulePack('htp');
      const graph = qgraphFromQdq(readOnnx(new Uint8Array(readFileSync(join(dir, c.file)))));
      const [ort] = validate(graph, pack, { soc: 'SM8650', strict: true, flow: 'ort' }).findings.filter(
        (x) => x.rule === 'not-qdq',
      );
      expect(ort!.message).toMatch(/^The model is quantized in the QOperator format/);
      expect(ort!.message).toContain('onnxruntime-qnn PR #494 (merged June 2026) builds QLinearConv for the HTP');
      expect(ort!.message).toContain('onnxruntime-qnn PR #467 (merged May 2026) builds QLinearMatMul for the HTP');
      expect(ort!.message).toContain('no later builder is known for QLinearAdd or QLinearMul, which stay on the CPU');
      expect(ort!.nodeIds).toHaveLength(Object.values(c.integerOps).reduce((a, b) => a + b, 0));
    },
  );
});
