/**
 * The QDQ-folded drawing, on QDQ models a real exporter wrote (PyTorch 1.13's torch.onnx.export,
 * `npm run gen:corpus`) and on the bundled samples. The oracle is an independent search over the
 * full view: A -> B is a folded edge exactly when the full graph has a path from A to B whose inner
 * nodes are all Q/DQ (or scale Constants).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadRulePack } from '../../../rules/registry';
import { validate } from '../check/validate';
import { buildGraphView, type GraphView } from '../model/graph-view';
import { readOnnx } from '../model/read-onnx';
import { qgraphFromQdq } from '../qgraph/from-qdq';
import { foldedView, foldQdq, shownNode } from './fold';
import { GROUP_THRESHOLD } from './scopes';

const TORCH = '.cache/corpus/torch';
const files = [
  ...(existsSync(TORCH)
    ? readdirSync(TORCH)
        .filter((f) => f.endsWith('.onnx') && !f.startsWith('float-'))
        .map((f) => `${TORCH}/${f}`)
    : []),
  'public/samples/cnn-sigmoid.qdq.onnx',
  'public/samples/transformer-block.qdq.onnx',
  'public/samples/broken-transpose-requant.qdq.onnx',
];

const isQdq = (op: string) => op === 'QuantizeLinear' || op === 'DequantizeLinear';

/** Pairs (A, B) of non-Q/DQ nodes joined in the full view through Q/DQ/Constant nodes only (or directly). */
function foldedPairs(view: GraphView, folded: ReadonlySet<string>): Set<string> {
  const out = new Map<string, string[]>();
  for (const e of view.edges) (out.get(e.source) ?? out.set(e.source, []).get(e.source)!).push(e.target);
  const pairs = new Set<string>();
  for (const n of view.nodes) {
    if (folded.has(n.id)) continue;
    const stack = [...(out.get(n.id) ?? [])];
    const seen = new Set<string>();
    while (stack.length) {
      const t = stack.pop()!;
      if (seen.has(t)) continue;
      seen.add(t);
      if (folded.has(t)) stack.push(...(out.get(t) ?? []));
      else if (t !== n.id) pairs.add(`${n.id}->${t}`);
    }
  }
  return pairs;
}

function open(file: string): GraphView {
  return buildGraphView(readOnnx(new Uint8Array(readFileSync(file)), { fileName: file }), '')!;
}

describe('QDQ-folded drawing', () => {
  it('covers a real exporter where the corpus was generated', () => {
    if (process.env.CI === 'true') expect(files.length).toBeGreaterThan(10);
  });

  for (const file of files) {
    it(`${file.split('/').pop()}: compute nodes only, joined exactly as in the full graph`, () => {
      const view = open(file);
      const fold = foldQdq(view)!;
      expect(fold).toBeDefined();
      const drawn = foldedView(view, fold);
      expect(drawn.nodes.filter((n) => isQdq(n.opType))).toEqual([]);
      const folded = new Set(Object.keys(fold.foldedInto));
      expect(drawn.nodes.length + fold.hidden).toBe(view.nodes.length);
      const got = new Set(drawn.edges.map((e) => `${e.source}->${e.target}`));
      // Q -> DQ pairs between two readers of one tensor can join a node to itself; those are no edge.
      const want = new Set([...foldedPairs(view, folded)].filter((p) => p.split('->')[0] !== p.split('->')[1]));
      // The only pairs the fold may drop are reached through a Q/DQ's scale or zero-point input.
      for (const p of got) expect(want.has(p), `${p} is not a path through Q/DQ`).toBe(true);
      const missing = [...want].filter((p) => !got.has(p));
      expect(missing, 'paths lost by folding').toEqual([]);
      // Every edge id is unique, and every stand-in is a drawn node.
      expect(new Set(drawn.edges.map((e) => e.id)).size).toBe(drawn.edges.length);
      const ids = new Set(drawn.nodes.map((n) => n.id));
      for (const [id, into] of Object.entries(fold.foldedInto)) if (into) expect(ids.has(into), id).toBe(true);
      // Edges that were Q -> DQ chains say the quantized type they travelled as.
      const quantizedEdges = drawn.edges.filter((e) => /^u?int(8|16|4)$/.test(e.dtype));
      expect(quantizedEdges.length).toBeGreaterThan(0);
    });
  }

  it.skipIf(!existsSync(`${TORCH}/mobilenet_v3_small-pc-sym.onnx`))(
    'PyTorch MobileNetV3-Small draws ungrouped: its compute graph is under the grouping threshold',
    () => {
      const view = open(`${TORCH}/mobilenet_v3_small-pc-sym.onnx`);
      expect(view.nodes.length).toBeGreaterThan(GROUP_THRESHOLD);
      const drawn = foldedView(view, foldQdq(view)!);
      expect(drawn.nodes.length).toBeLessThan(GROUP_THRESHOLD);
      // The DQs of a Conv's activation and weight stand for the Conv.
      const fold = foldQdq(view)!;
      const byId = new Map(view.nodes.map((n) => [n.id, n]));
      for (const conv of drawn.nodes.filter((n) => n.opType === 'Conv')) {
        const dqs = Object.entries(fold.foldedInto).filter(
          ([id, into]) => into === conv.id && byId.get(id)!.opType === 'DequantizeLinear',
        );
        expect(dqs.length, conv.name).toBeGreaterThanOrEqual(2);
      }
    },
  );

  it('every finding on a QDQ model lands on a drawn node', async () => {
    const pack = await loadRulePack('htp');
    for (const file of [
      'public/samples/broken-transpose-requant.qdq.onnx',
      'public/samples/broken-sigmoid-scale.qdq.onnx',
    ]) {
      const model = readOnnx(new Uint8Array(readFileSync(file)), { fileName: file });
      const view = buildGraphView(model, '')!;
      const fold = foldQdq(view)!;
      const drawn = new Set(foldedView(view, fold).nodes.map((n) => n.id));
      const result = validate(qgraphFromQdq(model), pack, { soc: 'SM8650', strict: true });
      expect(result.findings.length).toBeGreaterThan(0);
      for (const f of result.findings) if (f.nodeId) expect(drawn.has(shownNode(f.nodeId, fold)), f.message).toBe(true);
    }
  });

  it('a float view has nothing to fold', () => {
    const view = open('public/samples/cnn-sigmoid.onnx');
    expect(foldQdq(view)).toBeUndefined();
  });
});
