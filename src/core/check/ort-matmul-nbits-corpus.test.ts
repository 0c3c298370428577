/**
 * Weight-only models written by ONNX Runtime's MatMulNBitsQuantizer from PyTorch float exports
 * (scripts/corpus/ort_matmul_nbits.py, committed under __fixtures__/ort-matmul-nbits): each MatMul
 * with a constant weight became a com.microsoft MatMulNBits, at 2, 4 and 8 bits, symmetric or not,
 * in blocks of 16 to 128. The manifest lists, read from the graph and from a run of the float model
 * in onnxruntime (not from QuantLens), the nodes ONNX Runtime's HTP builder refuses in every
 * version. Under ONNX Runtime's flow those must be errors and the others a note on the
 * onnxruntime-qnn version; under the other flows, notes only; and quantizing the weights must not
 * change what QuantLens says of the rest of the model.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRulePack } from '../../../rules/registry';
import { FLOWS } from '../../../rules/types';
import { readOnnx } from '../model/read-onnx';
import { qgraphFromQdq } from '../qgraph/from-qdq';
import { validate } from './validate';

const DIR = join(__dirname, '__fixtures__', 'ort-matmul-nbits');
const FLOAT_CORPUS = '.cache/corpus/torch';

interface Case {
  file: string;
  from: string;
  bits: number;
  blockSize: number;
  matMulNBits: string[];
  refusedOnHtp: Record<string, string[]>;
}
const manifest = JSON.parse(readFileSync(join(DIR, 'manifest.json'), 'utf8')) as { cases: Case[] };

/** What each of the manifest's reasons reads as in the finding. */
const REASON: Record<string, RegExp> = {
  bits: /bits \d+ \(the HTP takes 2, 4 or 8\)/,
  block_size: /block_size \d+ at \d+ bits/,
  K: /K \d+ is not a multiple of block_size \d+/,
  rank: /input A has rank \d+ \(the HTP path takes 3-D A only\)/,
  'g_idx/bias': /given \(the builder takes neither\)/,
};

const load = (path: string) => qgraphFromQdq(readOnnx(new Uint8Array(readFileSync(path)), { fileName: path }));

describe("ONNX Runtime's MatMulNBitsQuantizer on PyTorch exports", () => {
  it('covers 2, 4 and 8 bits, nodes the HTP takes and nodes it refuses for each reason the exports show', () => {
    expect(new Set(manifest.cases.map((c) => c.bits))).toEqual(new Set([2, 4, 8]));
    const reasons = new Set(manifest.cases.flatMap((c) => Object.values(c.refusedOnHtp).flat()));
    expect(reasons).toEqual(new Set(['K', 'rank']));
    expect(manifest.cases.filter((c) => Object.keys(c.refusedOnHtp).length === 0).length).toBeGreaterThanOrEqual(8);
    expect(manifest.cases.reduce((n, c) => n + c.matMulNBits.length, 0)).toBeGreaterThanOrEqual(90);
  });

  for (const c of manifest.cases)
    it(`${c.file}: ${c.matMulNBits.length} MatMulNBits, ${Object.keys(c.refusedOnHtp).length} left to the CPU under ONNX Runtime`, async () => {
      const graph = load(join(DIR, c.file));
      const pack = await loadRulePack('htp');
      const ort = validate(graph, pack, { soc: 'SM8650', strict: true, flow: 'ort' }).findings.filter(
        (f) => f.rule === 'matmul-nbits',
      );
      const errors = ort.filter((f) => f.severity === 'error');
      expect(errors.map((f) => f.node).sort()).toEqual(Object.keys(c.refusedOnHtp).sort());
      for (const e of errors) {
        expect(e.actual.split('; '), e.node).toHaveLength(c.refusedOnHtp[e.node]!.length);
        for (const r of c.refusedOnHtp[e.node]!) expect(e.actual, e.node).toMatch(REASON[r]!);
      }
      // One note for every node the builder takes, on the first of them (an LLM has hundreds).
      const taken = c.matMulNBits.filter((n) => !c.refusedOnHtp[n]);
      const covered = (f: (typeof ort)[number]) =>
        (f.nodeIds ?? [f.nodeId]).map((id) => graph.nodes.find((n) => n.id === id)!.name).sort();
      const notes = ort.filter((f) => f.severity === 'info');
      expect(notes).toHaveLength(taken.length ? 1 : 0);
      if (taken.length) {
        expect(notes[0]!.node).toBe(taken[0]);
        expect(covered(notes[0]!)).toEqual([...taken].sort());
      }
      // V68: the builder's HTP kernels start at V69.
      const v68 = validate(graph, pack, { soc: 'SA8295', strict: true, flow: 'ort' }).findings.filter(
        (f) => f.rule === 'matmul-nbits' && f.severity === 'error',
      );
      expect(v68).toHaveLength(c.matMulNBits.length);
      for (const flow of FLOWS.filter((f) => f !== 'ort')) {
        const notes = validate(graph, pack, { soc: 'SM8650', strict: true, flow }).findings.filter(
          (f) => f.rule === 'matmul-nbits',
        );
        expect(notes.map((f) => `${f.severity} ${f.node}`)).toEqual([`info ${c.matMulNBits[0]}`]);
        expect(covered(notes[0]!)).toEqual([...c.matMulNBits].sort());
      }
    });

  const source = (c: Case) => join(FLOAT_CORPUS, c.from);
  it.skipIf(!manifest.cases.every((c) => existsSync(source(c))))(
    "weights moved into MatMulNBits change nothing else QuantLens says of the model, under any flow (the float model's findings, but for its MatMuls)",
    async () => {
      const pack = await loadRulePack('htp');
      const byFrom = new Map(manifest.cases.map((c) => [c.from, c]));
      for (const c of byFrom.values()) {
        const quantized = load(join(DIR, c.file));
        const float = load(source(c));
        const matmuls = new Set(float.nodes.filter((n) => n.opType === 'MatMul').map((n) => n.name));
        const others = (g: typeof float, flow: (typeof FLOWS)[number]) =>
          validate(g, pack, { soc: 'SM8650', strict: true, flow })
            .findings.filter(
              (f) =>
                f.rule !== 'matmul-nbits' &&
                f.rule !== 'not-quantized' &&
                !matmuls.has(f.node) &&
                !c.matMulNBits.includes(f.node),
            )
            .map((f) => `${f.severity} ${f.rule} ${f.node}: ${f.message}`)
            .sort();
        for (const flow of FLOWS)
          expect(others(quantized, flow), `${c.file} under ${flow}`).toEqual(others(float, flow));
        // The float model's note says where the weights are quantized.
        const note = validate(quantized, pack, { soc: 'SM8650', strict: true, flow: 'qnn' }).findings.find(
          (f) => f.rule === 'not-quantized',
        );
        const n = c.matMulNBits.length;
        expect(note?.message).toContain(
          `no QDQ quantization (its ${n} MatMulNBits ${n === 1 ? 'node holds its' : 'nodes hold their'} weights block-quantized`,
        );
      }
    },
  );
});
