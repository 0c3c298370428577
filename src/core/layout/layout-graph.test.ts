import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { layoutGraph } from './layout-graph';
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
  async function drawingOf(path: string) {
    const { Engine } = await import('../session/engine');
    const { visibleGraph } = await import('../view/scopes');
    const { layoutInputOf } = await import('../view/drawing');
    const engine = new Engine();
    const r = await engine.openFiles([{ name: 'm.onnx', contents: new Uint8Array(readFileSync(path)) }]);
    if (!r.ok) throw new Error(r.error.message);
    const all = { has: () => true } as unknown as ReadonlySet<string>;
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
});
