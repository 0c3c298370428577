/**
 * A fast, iterative layered layout for graphs too large or too deep for dagre (whose recursive
 * phases overflow the stack on chains of about 2,000 nodes, and whose cost grows
 * super-linearly). Ranks by longest path (Kahn's order), orders each rank by a few barycenter
 * sweeps, and packs ranks left to right around a common center. Linear-ish in nodes + edges.
 */
import type { LayoutInput, LayoutResult } from './types';

export interface FastLayoutOptions {
  nodesep: number;
  ranksep: number;
  sweeps: number;
}

const DEFAULTS: FastLayoutOptions = { nodesep: 24, ranksep: 36, sweeps: 4 };

export function fastLayered(input: LayoutInput, options: Partial<FastLayoutOptions> = {}): LayoutResult {
  const started = performance.now();
  const opt = { ...DEFAULTS, ...options };
  const n = input.nodes.length;
  const index = new Map<string, number>();
  input.nodes.forEach((node, i) => index.set(node.id, i));

  const preds: number[][] = Array.from({ length: n }, () => []);
  const succs: number[][] = Array.from({ length: n }, () => []);
  const indeg = new Int32Array(n);
  for (const e of input.edges) {
    const s = index.get(e.source);
    const t = index.get(e.target);
    if (s === undefined || t === undefined || s === t) continue;
    succs[s]!.push(t);
    preds[t]!.push(s);
    indeg[t]!++;
  }

  // Longest-path ranks in topological order; nodes left on a cycle are ranked after the rest.
  const rank = new Int32Array(n);
  const queue: number[] = [];
  for (let i = 0; i < n; i++) if (indeg[i] === 0) queue.push(i);
  let head = 0;
  const done = new Uint8Array(n);
  while (head < queue.length) {
    const v = queue[head++]!;
    done[v] = 1;
    for (const w of succs[v]!) {
      if (rank[w]! < rank[v]! + 1) rank[w] = rank[v]! + 1;
      if (--indeg[w]! === 0) queue.push(w);
    }
  }
  let maxRank = 0;
  for (let i = 0; i < n; i++) if (done[i]) maxRank = Math.max(maxRank, rank[i]!);
  for (let i = 0; i < n; i++) if (!done[i]) rank[i] = ++maxRank;

  const layers: number[][] = Array.from({ length: maxRank + 1 }, () => []);
  for (let i = 0; i < n; i++) layers[rank[i]!]!.push(i);

  // Barycenter ordering: alternate downward (by predecessors) and upward (by successors) sweeps.
  const pos = new Float64Array(n);
  for (const layer of layers) layer.forEach((v, i) => (pos[v] = i));
  // Sort keys by node index, reused across layers and sweeps (a map per layer cost more than the sort).
  const key = new Float64Array(n);
  const byKey = (a: number, b: number) => key[a]! - key[b]! || a - b;
  const sortBy = (layer: number[], neighbours: number[][]) => {
    for (const v of layer) {
      const ns = neighbours[v]!;
      if (ns.length === 0) key[v] = pos[v]!;
      else {
        let sum = 0;
        for (const u of ns) sum += pos[u]!;
        key[v] = sum / ns.length;
      }
    }
    layer.sort(byKey);
    layer.forEach((v, i) => (pos[v] = i));
  };
  for (let s = 0; s < opt.sweeps; s++) {
    if (s % 2 === 0) for (let r = 1; r < layers.length; r++) sortBy(layers[r]!, preds);
    else for (let r = layers.length - 2; r >= 0; r--) sortBy(layers[r]!, succs);
  }

  const positions: LayoutResult['positions'] = {};
  let y = 16;
  let width = 0;
  for (const layer of layers) {
    let rowWidth = 0;
    let rowHeight = 0;
    for (const v of layer) {
      rowWidth += input.nodes[v]!.width;
      rowHeight = Math.max(rowHeight, input.nodes[v]!.height);
    }
    rowWidth += opt.nodesep * Math.max(0, layer.length - 1);
    width = Math.max(width, rowWidth);
    let x = -rowWidth / 2;
    for (const v of layer) {
      const node = input.nodes[v]!;
      positions[node.id] = { x, y: y + (rowHeight - node.height) / 2 };
      x += node.width + opt.nodesep;
    }
    y += rowHeight + opt.ranksep;
  }
  return { positions, width, height: y, ranker: 'fast-layered', ms: performance.now() - started };
}
