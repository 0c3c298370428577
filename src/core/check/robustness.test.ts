/**
 * The validator never throws on a model the reader accepts. It runs (qgraphFromQdq, then
 * validate on several SoCs and both backends, then the check report) on every fuzz case of the
 * load-path campaign that parsed (same seed, same cases as src/core/model/fuzz.test.ts) and on
 * every model of Debian's libonnx-testdata. Ops missing from the mapping and dtypes QuantLens does
 * not know must come out as findings or port notes, with every finding field a plain string.
 *
 * Reproduce one case: QL_FUZZ_SEED=<seed> QL_FUZZ_ONLY=<i> npx vitest run src/core/check/robustness.test.ts
 */
import { describe, expect, it } from 'vitest';
import { loadRulePack } from '../../../rules/registry';
import type { RulePack } from '../../../rules/types';
import { DEFAULT_CASE_COUNT, DEFAULT_SEED, makeCase } from '../../testing/fuzz/cases';
import { loadCorpus } from '../../testing/fuzz/corpus';
import { encodeModel } from '../../testing/fuzz/proto-mutators';
import { onnx } from '../model/onnx/generated/onnx-pb.js';
import { readOnnx } from '../model/read-onnx';
import type { Model } from '../model/types';
import { buildCheckReport } from '../report/check-report';
import { RULE_IDS } from './finding';
import { qgraphFromQdq } from '../qgraph/from-qdq';
import { validate, type ValidationResult } from './validate';

const SEED = Number(process.env.QL_FUZZ_SEED ?? DEFAULT_SEED);
const ONLY = process.env.QL_FUZZ_ONLY?.split(',')
  .map((s) => Number(s.trim()))
  .filter(Number.isInteger);
const CASES = Number(process.env.QL_FUZZ_CASES ?? DEFAULT_CASE_COUNT);
/** The validator's share of a case (all SoCs together) must stay under this. */
// A guard against blowups (a quadratic path, a loop), not a speed target: the slowest case takes
// about 1.2 s alone and up to 3 s when other test files share the 2 cores; speed is in `npm run bench`.
const CASE_LIMIT_MS = 6_000;

/** V68, V69 (LPBQ disputed), V75 on HTP, plus the LPAI pack's default SoC. */
const TARGETS: { backend: 'htp' | 'lpai'; soc: string }[] = [
  { backend: 'htp', soc: 'SA8295' },
  { backend: 'htp', soc: 'SM8450' },
  { backend: 'htp', soc: 'SM8650' },
  { backend: 'lpai', soc: 'SM8850' },
];

let packs: Map<string, RulePack> | undefined;
async function getPacks(): Promise<Map<string, RulePack>> {
  packs ??= new Map([
    ['htp', await loadRulePack('htp')],
    ['lpai', await loadRulePack('lpai')],
  ]);
  return packs;
}

/** Problems with the form of a result: findings must be plain data a report and the UI can show. */
function resultProblems(r: ValidationResult): string[] {
  const out: string[] = [];
  for (const f of r.findings) {
    if (!RULE_IDS.includes(f.rule)) out.push(`unknown rule id ${String(f.rule)}`);
    for (const key of ['node', 'op', 'port', 'tensor', 'message', 'expected', 'actual', 'fix', 'source'] as const) {
      if (typeof f[key] !== 'string')
        out.push(`finding ${f.rule} on ${String(f.node)}: ${key} is a ${typeof f[key]}, not a string`);
    }
    if (!f.message) out.push(`finding ${f.rule} on ${f.node} has no message`);
  }
  return out;
}

/**
 * Runs the whole check pipeline for every target (strict; lenient too on the first HTP one) and
 * the check report; returns what went wrong (empty: fine) and the HTP V75 finding count.
 */
async function checkModel(model: Model): Promise<{ problems: string[]; findings: number }> {
  const all = await getPacks();
  const problems: string[] = [];
  let findings = 0;
  const graph = qgraphFromQdq(model);
  for (const [k, { backend, soc }] of TARGETS.entries()) {
    for (const strict of k === 2 ? [true, false] : [true]) {
      const result = validate(graph, all.get(backend)!, { soc, strict });
      if (k === 2 && strict) findings = result.findings.length;
      problems.push(...resultProblems(result));
      const report = buildCheckReport(
        { name: model.fileName, sha256: '0'.repeat(64), nodes: model.graph.nodes.length },
        result,
      );
      JSON.parse(JSON.stringify(report));
    }
  }
  return { problems, findings };
}

function describeError(err: unknown): string {
  return err instanceof Error
    ? `${err.name}: ${err.message}\n${(err.stack ?? '').split('\n').slice(1, 6).join('\n')}`
    : String(err);
}

describe('the validator on every fuzz case that parsed', () => {
  it(`never throws, and keeps each case under ${CASE_LIMIT_MS} ms (seed ${SEED})`, async () => {
    const corpus = loadCorpus();
    await getPacks();
    const indices = ONLY?.length ? ONLY : Array.from({ length: CASES }, (_, i) => i);
    const failures: string[] = [];
    let parsed = 0;
    let quantized = 0;
    let findings = 0;
    let slowest = { index: -1, ms: 0 };
    const started = performance.now();
    for (const index of indices) {
      const c = makeCase(corpus, SEED, index);
      let model: Model;
      try {
        model = readOnnx(c.bytes, { fileName: c.fileName, limits: c.limits });
      } catch {
        continue; // the load-path fuzz test owns the reader's outcomes
      }
      parsed++;
      const t0 = performance.now();
      try {
        if (qgraphFromQdq(model).quantized) quantized++;
        const { problems, findings: n } = await checkModel(model);
        findings += n;
        if (problems.length)
          failures.push(
            `case ${index} (${c.base}; ${c.labels.join(' ')}): ${[...new Set(problems)].slice(0, 3).join('; ')}`,
          );
      } catch (err) {
        failures.push(
          `case ${index} (${c.base}; ${c.labels.join(' ')}): ${describeError(err)}\n  reproduce: QL_FUZZ_SEED=${SEED} QL_FUZZ_ONLY=${index} npx vitest run src/core/check/robustness.test.ts`,
        );
      }
      const ms = performance.now() - t0;
      if (ms > slowest.ms) slowest = { index, ms };
      if (ms > CASE_LIMIT_MS)
        failures.push(`case ${index} (${c.labels.join(' ')}): the validator took ${ms.toFixed(0)} ms`);
    }
    console.log(
      `robustness: ${indices.length} fuzz cases, ${parsed} parsed (${quantized} with QDQ encodings), validated on ${TARGETS.map((t) => `${t.backend}/${t.soc}`).join(', ')} (strict; lenient too on htp/SM8650); ${findings} findings on htp/SM8650; slowest case ${slowest.index} ${slowest.ms.toFixed(0)} ms; ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    expect(failures).toEqual([]);
    if (!ONLY?.length) {
      expect(parsed).toBeGreaterThan(indices.length / 4);
      expect(quantized).toBeGreaterThan(500);
    }
  }, 300_000);
});

describe('the validator on every libonnx-testdata model', () => {
  it('never throws on any of them, on any target', async () => {
    const corpus = loadCorpus();
    const failures: string[] = [];
    for (const entry of corpus.libonnx) {
      try {
        const { problems } = await checkModel(readOnnx(entry.bytes, { fileName: entry.name }));
        if (problems.length) failures.push(`${entry.name}: ${problems.slice(0, 3).join('; ')}`);
      } catch (err) {
        failures.push(`${entry.name}: ${describeError(err)}`);
      }
    }
    expect(corpus.libonnx.length).toBe(1072);
    expect(failures).toEqual([]);
  }, 120_000);
});

describe('models the validator does not know', () => {
  const sample = () =>
    onnx.ModelProto.decode(loadCorpus().samples.find((s) => s.name === 'samples/cnn-sigmoid.qdq.onnx')!.bytes);
  const check = async (m: onnx.ModelProto) =>
    validate(qgraphFromQdq(readOnnx(encodeModel(m))), (await getPacks()).get('htp')!, { soc: 'SM8650', strict: true });
  const firstCompute = (m: onnx.ModelProto) =>
    m.graph!.node!.find((n) => !['QuantizeLinear', 'DequantizeLinear', 'Constant'].includes(n.opType!))!;

  it('an op missing from the mapping is an unsupported-op finding naming op and domain', async () => {
    const m = sample();
    const node = firstCompute(m);
    node.opType = 'FancyNewOp';
    node.domain = 'com.example';
    const r = await check(m);
    const f = r.findings.find((x) => x.rule === 'unsupported-op')!;
    expect(f.message).toBe('com.example::FancyNewOp is not in the HTP op mapping');
    expect(f.actual).toBe('com.example::FancyNewOp');
    expect(r.verdict).toBe('fail');
  });

  it('op types named like Object.prototype members get the generic fix text, not a function', async () => {
    for (const op of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
      const m = sample();
      firstCompute(m).opType = op;
      const f = (await check(m)).findings.find((x) => x.rule === 'unsupported-op')!;
      expect(typeof f.fix, op).toBe('string');
      expect(f.fix, op).toMatch(/^Replace the op with supported ones/);
    }
  });

  it('a zero point of a dtype QuantLens does not know leaves a port note, not an encoding or a crash', async () => {
    const m = sample();
    const dq = m.graph!.node!.find((n) => n.opType === 'DequantizeLinear' && n.input!.length === 3)!;
    const zp = m.graph!.initializer!.find((t) => t.name === dq.input![2])!;
    zp.dataType = 99;
    const model = readOnnx(encodeModel(m));
    const graph = qgraphFromQdq(model);
    const port = graph.nodes.flatMap((n) => n.inputs).find((p) => p.note?.includes('unknown(99)'));
    expect(port?.encoding).toBeUndefined();
    expect(port?.note).toMatch(/uses dtype unknown\(99\), which QuantLens does not read as a quantized type/);
    await expect(check(m)).resolves.toBeDefined();
  });
});
