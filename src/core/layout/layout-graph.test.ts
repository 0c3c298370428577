import { describe, expect, it } from 'vitest';
import { layoutGraph } from './layout-graph';

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
