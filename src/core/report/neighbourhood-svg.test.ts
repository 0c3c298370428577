/**
 * Neighbourhood pictures: which nodes they show (producers and consumers up to a depth, never
 * siblings), the cap and its "+N more", severity marks in colour and icon, and that any node
 * name, however hostile, leaves well-formed SVG with no markup of its own.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildGraphView, type GraphView, type ViewNode } from '../model/graph-view';
import { readOnnx } from '../model/read-onnx';
import { markupProblems, tagNames } from '../../testing/markup-test-helpers';
import { MAX_NEIGHBOURHOOD_NODES, MAX_PER_HOP, neighbourhoodSvg, selectNeighbourhood } from './neighbourhood-svg';

function node(id: string, opType = 'Relu', name = `n${id}`): ViewNode {
  return { id, kind: 'op', opType, name, domain: '', inputs: [], outputs: [], attributes: [], subgraphs: [] };
}

function viewOf(nodes: ViewNode[], edges: [string, string][]): GraphView {
  return {
    path: '',
    name: 'g',
    nodes,
    trail: [],
    edges: edges.map(([source, target], i) => ({
      id: `${source}->${target}:${i}`,
      source,
      target,
      tensor: `t${i}`,
      dtype: 'uint8',
    })),
  };
}

/** a -> b -> c -> d -> e, with a sibling s that also consumes b's producer a. */
const CHAIN = viewOf(
  ['a', 'b', 'c', 'd', 'e', 's'].map((id) => node(id)),
  [
    ['a', 'b'],
    ['b', 'c'],
    ['c', 'd'],
    ['d', 'e'],
    ['a', 's'],
  ],
);

const ids = (v: GraphView, id: string, depth?: number) => selectNeighbourhood(v, id, { depth }).nodes.map((n) => n.id);

describe('selectNeighbourhood', () => {
  it('follows producers upstream and consumers downstream up to the depth', () => {
    expect(ids(CHAIN, 'c', 1)).toEqual(['c', 'b', 'd']);
    expect(ids(CHAIN, 'c', 2)).toEqual(['c', 'b', 'd', 'a', 'e']);
    expect(ids(CHAIN, 'c')).toEqual(['c', 'b', 'd', 'a', 'e']);
  });

  it('leaves out siblings (other consumers of a producer)', () => {
    expect(ids(CHAIN, 'b', 3)).not.toContain('s');
  });

  it('keeps the edges between chosen nodes, one per pair', () => {
    const v = viewOf(
      [node('x'), node('y')],
      [
        ['x', 'y'],
        ['x', 'y'],
      ],
    );
    expect(selectNeighbourhood(v, 'x').edges).toHaveLength(1);
  });

  it('caps the new nodes per hop, nearest first, and counts what it left out', () => {
    const fan = viewOf(
      [node('p'), node('hub'), ...Array.from({ length: 100 }, (_, i) => node(`c${i}`))],
      [['p', 'hub'], ...Array.from({ length: 100 }, (_, i): [string, string] => ['hub', `c${i}`])],
    );
    const n = selectNeighbourhood(fan, 'hub');
    expect(n.nodes.map((x) => x.id)).toEqual(['hub', 'p', ...Array.from({ length: MAX_PER_HOP }, (_, i) => `c${i}`)]);
    expect(n.hidden).toBe(100 - MAX_PER_HOP);
  });

  it('caps the node count in all', () => {
    const fan = viewOf(
      [node('p'), node('hub'), ...Array.from({ length: 100 }, (_, i) => node(`c${i}`))],
      [['p', 'hub'], ...Array.from({ length: 100 }, (_, i): [string, string] => ['hub', `c${i}`])],
    );
    const n = selectNeighbourhood(fan, 'hub', { maxPerHop: 1000 });
    expect(n.nodes).toHaveLength(MAX_NEIGHBOURHOOD_NODES);
    expect(n.nodes.slice(0, 2).map((x) => x.id)).toEqual(['hub', 'p']);
    expect(n.hidden).toBe(102 - MAX_NEIGHBOURHOOD_NODES);
    expect(selectNeighbourhood(fan, 'hub', { maxNodes: 5, maxPerHop: 1000 }).hidden).toBe(97);
    // A tree of fan-out 8, three hops deep: the total cap bites before the per-hop one.
    const tree: ViewNode[] = [node('r')];
    const edges: [string, string][] = [];
    for (let i = 0; i < 8; i++) {
      tree.push(node(`a${i}`));
      edges.push(['r', `a${i}`]);
      for (let j = 0; j < 8; j++) {
        tree.push(node(`a${i}b${j}`));
        edges.push([`a${i}`, `a${i}b${j}`]);
      }
    }
    const deep = selectNeighbourhood(viewOf(tree, edges), 'r', { depth: 3, maxPerHop: 64 });
    expect(deep.nodes).toHaveLength(MAX_NEIGHBOURHOOD_NODES);
    expect(deep.hidden).toBe(73 - MAX_NEIGHBOURHOOD_NODES);
  });

  it('rejects a node the view does not hold', () => {
    expect(() => selectNeighbourhood(CHAIN, 'nope')).toThrow(/"nope" is not in graph view/);
  });
});

describe('neighbourhoodSvg', () => {
  it('is well-formed SVG with a box per node and an arrow per edge', () => {
    const svg = neighbourhoodSvg(CHAIN, 'c');
    expect(markupProblems(svg)).toEqual([]);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    for (const name of ['na', 'nb', 'nc', 'nd', 'ne']) expect(svg).toContain(`>${name}</text>`);
    expect(svg).not.toContain('>ns</text>');
    const tags = tagNames(svg);
    expect(tags.filter((t) => t === 'line')).toHaveLength(4);
    expect(tags.filter((t) => t === 'polygon')).toHaveLength(4);
    expect(svg).not.toMatch(/<script|href=|<image|<foreignObject|url\(/i);
  });

  it('marks severities by colour and icon and rings the focus node', () => {
    const marks = new Map([
      ['c', 'error'],
      ['b', 'warning'],
      ['d', 'info'],
    ] as const);
    const svg = neighbourhoodSvg(CHAIN, 'c', { marks });
    expect(svg).toContain('stroke="#c62828"');
    expect(svg).toContain('✖');
    expect(svg).toContain('stroke="#b26a00"');
    expect(svg).toContain('⚠');
    expect(svg).toContain('stroke="#1565c0"');
    expect(svg).toContain('ℹ');
    expect(svg.match(/stroke-dasharray/g)).toHaveLength(1);
    expect(neighbourhoodSvg(CHAIN, 'c')).not.toMatch(/[✖⚠ℹ]/);
  });

  it('says "+N more" when a cap cuts, and nothing when none does', () => {
    const fan = viewOf(
      [node('hub'), ...Array.from({ length: 50 }, (_, i) => node(`c${i}`))],
      Array.from({ length: 50 }, (_, i): [string, string] => ['hub', `c${i}`]),
    );
    const svg = neighbourhoodSvg(fan, 'hub');
    expect(svg).toContain(`+${50 - MAX_PER_HOP} more neighbours not shown`);
    // Background, boxes, focus ring.
    expect(tagNames(svg).filter((t) => t === 'rect')).toHaveLength(1 + 1 + MAX_PER_HOP + 1);
    expect(markupProblems(svg)).toEqual([]);
    const wide = neighbourhoodSvg(fan, 'hub', { maxPerHop: 100 });
    expect(wide).toContain('+11 more neighbours not shown');
    expect(tagNames(wide).filter((t) => t === 'rect')).toHaveLength(1 + MAX_NEIGHBOURHOOD_NODES + 1);
    expect(neighbourhoodSvg(CHAIN, 'c')).not.toContain('more neighbour');
  });

  it('draws hostile names as text and stays well-formed', () => {
    const hostile = [
      node('x', 'Relu', '<img src=x onerror=alert(1)>'),
      node('y', '</text><script>alert(1)</script>', '</svg><script>alert(2)</script>'),
      node('z', 'Add', 'nul\u0000 & "quote" \'apos\' \uD800'),
    ];
    const svg = neighbourhoodSvg(
      viewOf(hostile, [
        ['x', 'y'],
        ['y', 'z'],
      ]),
      'y',
      { marks: new Map([['y', 'error']]) },
    );
    expect(markupProblems(svg)).toEqual([]);
    expect(svg).not.toMatch(/<script|<img|<\/svg>.*<\/svg>/is);
    expect(svg).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(svg).toContain('&lt;/svg&gt;&lt;script&gt;alert(2)&lt;/script&gt;');
    expect(tagNames(svg).filter((t) => t === 'svg')).toHaveLength(1);
  });

  it('truncates long names in the box and keeps them whole in the tooltip', () => {
    const long = `/model/${'very_long_scope/'.repeat(10)}MatMul`;
    const svg = neighbourhoodSvg(viewOf([node('m', 'MatMul', long)], []), 'm');
    expect(svg).toContain(`<title>MatMul ${long}</title>`);
    expect(svg).toMatch(/>\/model\/ver[^<]*…[^<]*\/MatMul<\/text>/);
  });

  it('shows the Q/DQ pairs around the broken Sigmoid of the sample', () => {
    const model = readOnnx(new Uint8Array(readFileSync('public/samples/broken-sigmoid-scale.qdq.onnx')));
    const view = buildGraphView(model, '')!;
    const sigmoid = view.nodes.find((n) => n.name === '/head/Sigmoid')!;
    const svg = neighbourhoodSvg(view, sigmoid.id, { marks: new Map([[sigmoid.id, 'error']]) });
    expect(markupProblems(svg)).toEqual([]);
    const shown = selectNeighbourhood(view, sigmoid.id).nodes;
    expect(shown.map((n) => n.opType).sort()).toEqual([
      'DequantizeLinear',
      'DequantizeLinear',
      'QuantizeLinear',
      'QuantizeLinear',
      'Sigmoid',
    ]);
    for (const n of shown) expect(svg).toContain(`<title>${n.opType} ${n.name}`);
    expect(svg).toContain('>uint16</text>');
  });
});
