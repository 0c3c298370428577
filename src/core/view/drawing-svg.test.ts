import { describe, expect, it } from 'vitest';
import type { GraphView } from '../model/graph-view';
import { drawingSvg } from './drawing-svg';
import { routeKey } from '../layout/route';
import { visibleGraph } from './scopes';

describe('drawingSvg', () => {
  it('draws nodes at their positions with marks, escaping names', () => {
    const view: GraphView = {
      path: '',
      name: 'g',
      trail: [],
      edges: [{ id: 'e', source: 'a', target: 'b', tensor: 't', dtype: 'float32' }],
      nodes: [
        {
          id: 'a',
          kind: 'op',
          opType: 'Relu',
          name: '<script>x</script>',
          domain: '',
          inputs: [],
          outputs: [],
          attributes: [],
          subgraphs: [],
        },
        {
          id: 'b',
          kind: 'op',
          opType: 'Sigmoid',
          name: 'sig',
          domain: '',
          inputs: [],
          outputs: [],
          attributes: [],
          subgraphs: [],
        },
      ],
    };
    const svg = drawingSvg(visibleGraph(view, { has: () => true } as unknown as Set<string>), {
      positions: { a: { x: 0, y: 0 }, b: { x: 0, y: 100 } },
      size: () => ({ width: 100, height: 40 }),
      marks: new Map([['b', { worst: 'error' as const, count: 1 }]]),
    });
    expect(svg).toContain('&lt;script&gt;x&lt;/script&gt;');
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('✖ 1');
    expect(svg.match(/<rect /g)).toHaveLength(3);
    expect(svg).toContain('<line ');
    expect(svg).not.toContain('stroke-dasharray');
    // An edge that closes a cycle of groups (the layout names it) is dashed, as on the canvas.
    const back = drawingSvg(visibleGraph(view, { has: () => true } as unknown as Set<string>), {
      positions: { a: { x: 0, y: 100 }, b: { x: 0, y: 0 } },
      size: () => ({ width: 100, height: 40 }),
      closing: [routeKey('a', 'b')],
    });
    expect(back.match(/<line [^>]*stroke-dasharray="5 4"/g)).toHaveLength(1);
  });
});
