import { describe, expect, it } from 'vitest';
import type { GraphView, ViewNode } from '../model/graph-view';
import { ancestorGroups, groupId, initialExpansion, scopeOf, visibleGraph } from './scopes';

function view(names: string[]): GraphView {
  const nodes: ViewNode[] = names.map((name, i) => ({
    id: String(i),
    kind: 'op',
    opType: 'Add',
    name,
    domain: '',
    inputs: [],
    outputs: [],
    attributes: [],
    subgraphs: [],
  }));
  const edges = nodes
    .slice(1)
    .map((n, i) => ({ id: `${i}`, source: String(i), target: n.id, tensor: `t${i}`, dtype: 'float32' }));
  return { path: '', name: 'g', nodes, edges, trail: [] };
}

describe('name-scope groups', () => {
  it('takes the scope from the name', () => {
    expect(scopeOf('/model/layers.3/attn/q_proj/MatMul')).toEqual(['model', 'layers.3', 'attn', 'q_proj']);
    expect(scopeOf('Relu_3')).toEqual([]);
    expect(ancestorGroups(scopeOf('/a/b/Op'))).toEqual(['group:a', 'group:a/b']);
  });

  it('collapses groups, aggregates edges, and never draws a one-member group', () => {
    const v = view(['/a/x/Op', '/a/x/Op2', '/a/y/Op', '/b/Op', 'top']);
    const collapsed = visibleGraph(v, new Set());
    // 'top' has no scope of its own and joins its neighbour's (/b).
    expect(collapsed.items.map((i) => i.id)).toEqual(['group:a', 'group:b']);
    expect(collapsed.edges.map((e) => [e.source, e.target])).toEqual([['group:a', 'group:b']]);
    const open = visibleGraph(v, new Set([groupId(['a'])]));
    expect(open.items.map((i) => i.id)).toEqual(['group:a/x', '2', 'group:b']);
    expect(open.shownBy.get('1')).toBe('group:a/x');
  });

  it('folds unscoped Q/DQ and weight nodes into the scope of the node they feed', () => {
    const v = view(['w_DequantizeLinear', '/a/x/MatMul', '/a/x/Add', '/b/Relu']);
    // edges: 0->1, 1->2, 2->3
    const g = visibleGraph(v, new Set());
    expect(g.shownBy.get('0')).toBe('group:a');
    expect(g.items.map((i) => i.id)).toEqual(['group:a', '3']);
  });

  it('opens groups breadth-first within a budget', () => {
    const names: string[] = [];
    for (let l = 0; l < 20; l++) for (let k = 0; k < 30; k++) names.push(`/model/layers.${l}/op${k}/Add`);
    const v = view(names);
    const expanded = initialExpansion(v, 100);
    const drawn = visibleGraph(v, expanded).items.length;
    expect(drawn).toBeLessThanOrEqual(100);
    expect(drawn).toBeGreaterThanOrEqual(20);
    expect(expanded.has('group:model')).toBe(true);
    const small = view(['/a/b/Op', '/a/b/Op2']);
    expect(visibleGraph(small, initialExpansion(small, 100)).items).toHaveLength(2);
  });
});
