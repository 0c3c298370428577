import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { layoutGraph } from './layout-graph';
import { closingEdges } from './fast-layered';
import { routeKey } from './route';

describe('layoutGraph', () => {
  it('places a chain top to bottom without overlap', () => {
    const nodes = ['a', 'b', 'c'].map((id) => ({ id, width: 100, height: 40 }));
    const r = layoutGraph({
      nodes,
      edges: [
        { source: 'a', target: 'b' },
        { source: 'b', target: 'c' },
      ],
    });
    expect(r.positions.a!.y).toBeLessThan(r.positions.b!.y - 40);
    expect(r.positions.b!.y).toBeLessThan(r.positions.c!.y - 40);
  });

  it('ignores edges to unknown nodes and self loops', () => {
    const r = layoutGraph({
      nodes: [{ id: 'a', width: 10, height: 10 }],
      edges: [
        { source: 'a', target: 'zz' },
        { source: 'a', target: 'a' },
      ],
    });
    expect(Object.keys(r.positions)).toEqual(['a']);
  });

  it('ranks a cycle by the edges that run with the flow, leaving out the one that closes it', () => {
    // a -> b -> c, c -> b closing the cycle, and b -> d, c -> e: groups can feed each other (a
    // U-Net's upsampling named in an encoder stage's scope). d sits beside c, as it would without
    // c -> b (ranked after the rest, the cycle and all below it took a row each).
    const ids = ['a', 'b', 'c', 'd', 'e'];
    const nodes = ids.map((id) => ({ id, width: 100, height: 40 }));
    const pairs = [
      ['a', 'b'],
      ['b', 'c'],
      ['c', 'b'],
      ['b', 'd'],
      ['c', 'e'],
    ];
    const edges = pairs.map(([source, target]) => ({ source: source!, target: target! }));
    const succs = ids.map((id) => pairs.filter(([s]) => s === id).map(([, t]) => ids.indexOf(t!)));
    expect([...closingEdges(succs)]).toEqual([2 * 5 + 1]);
    const r = layoutGraph({ nodes, edges });
    const y = (id: string) => r.positions[id]!.y;
    expect(y('a')).toBeLessThan(y('b'));
    expect(y('b')).toBeLessThan(y('c'));
    expect(y('d')).toBe(y('c'));
    expect(y('e')).toBeGreaterThan(y('c'));
    // The one edge left out is named for the drawing, which dashes it.
    expect(r.closing).toEqual([routeKey('c', 'b')]);
    expect(layoutGraph({ nodes, edges: edges.filter((e) => !(e.source === 'c' && e.target === 'b')) }).closing).toBe(
      undefined,
    );
    // A cycle with no way in: the walk starts from its first node.
    expect([...closingEdges([[1], [2], [0]])]).toEqual([2 * 3 + 0]);
  });

  it('lays out large, deep graphs with the iterative layout', () => {
    const n = 3500;
    const nodes = Array.from({ length: n }, (_, i) => ({ id: String(i), width: 100, height: 40 }));
    const edges = Array.from({ length: n - 1 }, (_, i) => ({ source: String(i), target: String(i + 1) }));
    const r = layoutGraph({ nodes, edges });
    expect(r.ranker).toBe('fast-layered');
    expect(r.positions['0']!.y).toBeLessThan(r.positions['1']!.y);
    expect(Object.keys(r.positions)).toHaveLength(n);
  });
});

describe('layoutGraph on real drawings', () => {
  const box = { width: 190, height: 46 };
  /** The drawing of a model as the app first shows it (folded, grouped as on load). */
  /**
   * The drawing of a model as the app first shows it (folded, grouped as on load), or (`whole`) its
   * whole graph, every Q/DQ drawn, with every group closed: what "Collapse all" draws of it.
   */
  async function drawingOf(path: string, whole = false) {
    const { Engine } = await import('../session/engine');
    const { visibleGraph } = await import('../view/scopes');
    const { layoutInputOf } = await import('../view/drawing');
    const engine = new Engine();
    const r = await engine.openFiles([{ name: 'm.onnx', contents: new Uint8Array(readFileSync(path)) }]);
    if (!r.ok) throw new Error(r.error.message);
    const all = { has: () => true } as unknown as ReadonlySet<string>;
    if (whole) {
      const got = await engine.graphView('');
      if (!got.ok) throw new Error(got.error.message);
      return layoutInputOf(visibleGraph(got.view, new Set()));
    }
    return layoutInputOf(visibleGraph(r.view, r.expanded ? new Set(r.expanded) : all));
  }

  for (const path of ['.cache/corpus/torch/float-resnet18.onnx', 'public/samples/transformer-block.qdq.onnx'])
    it.skipIf(!existsSync(path))(
      `${path.split('/').pop()}: no boxes overlap, edges point down, and a long edge passes beside the rows it crosses`,
      async () => {
        const input = await drawingOf(path);
        const r = layoutGraph(input);
        const size = new Map(input.nodes.map((n) => [n.id, n]));
        const rect = (id: string) => ({ ...r.positions[id]!, ...(size.get(id) ?? box) });
        const ids = input.nodes.map((n) => n.id);
        for (let i = 0; i < ids.length; i++)
          for (let j = i + 1; j < ids.length; j++) {
            const a = rect(ids[i]!);
            const b = rect(ids[j]!);
            const apart =
              a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y;
            if (!apart) throw new Error(`${ids[i]} and ${ids[j]} overlap`);
          }
        let long = 0;
        for (const e of input.edges) {
          const s = rect(e.source);
          const t = rect(e.target);
          expect(t.y).toBeGreaterThan(s.y);
          // Rows strictly between the two ends: the edge goes through a lane point on each, beside the boxes.
          const crossed = ids.filter((id) => rect(id).y > s.y + s.height && rect(id).y + rect(id).height < t.y);
          if (crossed.length === 0) continue;
          long++;
          const bends = r.bends?.[routeKey(e.source, e.target)];
          if (!bends) throw new Error(`the edge ${e.source} -> ${e.target} crosses rows without a lane`);
          for (let i = 0; i < bends.length; i += 2)
            for (const id of ids) {
              const b = rect(id);
              if (bends[i]! > b.x && bends[i]! < b.x + b.width && bends[i + 1]! > b.y && bends[i + 1]! < b.y + b.height)
                throw new Error(`the edge ${e.source} -> ${e.target} runs through ${id}`);
            }
        }
        expect(long).toBeGreaterThan(0);
      },
    );

  // Groups can feed each other in cycles: in PyTorch's QDQ export of torchvision's ShuffleNetV2
  // (gen:corpus), the channel shuffle that ends each block is named in the next block's scope.
  // Ranked after the rest, one a rank, the nodes on such cycles made a staircase: 176 of the
  // whole graph's edges pointed up, and its 249 boxes spanned 7,695 x 19,792 px.
  const shufflenet = '.cache/corpus/torch/shufflenet_v2_x0_5-pc-sym.onnx';
  it.skipIf(!existsSync(shufflenet))(
    'shufflenet_v2, whole graph with every group closed: only the edges that close a cycle of groups point up',
    async () => {
      const input = await drawingOf(shufflenet, true);
      const r = layoutGraph(input);
      const index = new Map(input.nodes.map((node, i) => [node.id, i]));
      const succs: number[][] = input.nodes.map(() => []);
      for (const e of input.edges) succs[index.get(e.source)!]!.push(index.get(e.target)!);
      const closing = closingEdges(succs);
      expect(closing.size).toBeGreaterThan(0);
      const up = input.edges.filter((e) => r.positions[e.target]!.y <= r.positions[e.source]!.y);
      for (const e of up)
        expect(closing.has(index.get(e.source)! * input.nodes.length + index.get(e.target)!)).toBe(true);
      expect(r.closing).toHaveLength(closing.size);
      expect(new Set(r.closing)).toEqual(new Set(up.map((e) => routeKey(e.source, e.target))));
      // Where the graph branches, a rank holds boxes side by side, not one box each.
      const rows = new Set(input.nodes.map((node) => r.positions[node.id]!.y + node.height / 2));
      expect(rows.size).toBeLessThan(input.nodes.length * 0.8);
    },
  );
});
