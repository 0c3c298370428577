/**
 * A fast, iterative layered layout (the app's layout for every size: dagre took 25-110 ms for a
 * 50-node drawing here, and its recursive phases overflow the stack on chains of about 2,000
 * nodes). Linear-ish in nodes + edges:
 * 0. leaves out of the ranking the edges that close a cycle (groups of a drawing can feed each
 *    other), found by a depth-first walk: they are drawn, pointing up;
 * 1. ranks by longest path (Kahn's order), then pulls every node down to just above its nearest
 *    consumer, so a branch sits beside the node it feeds (a ResNet downsample beside its Add);
 * 2. an edge that still spans several ranks gets a virtual node on each rank it crosses, so it
 *    keeps a lane of its own (a residual connection runs beside its block, not through it);
 * 3. orders each rank by a few barycenter sweeps;
 * 4. places nodes by pressure: each node wants the mean x of its neighbours, and a left-packed and
 *    a right-packed placement of those wishes are averaged, which keeps the spacing and splits
 *    every conflict evenly.
 */
import type { LayoutInput, LayoutResult } from './types';
import { routeKey } from './route';

export interface FastLayoutOptions {
  nodesep: number;
  ranksep: number;
  sweeps: number;
  /** Placement passes (each one down and one up). */
  passes: number;
}

const DEFAULTS: FastLayoutOptions = { nodesep: 24, ranksep: 36, sweeps: 4, passes: 4 };

/**
 * The edges that close a cycle, as `source * n + target`: those a depth-first walk finds going back
 * to a node on its path. The walk starts from the nodes nothing feeds, in the input's order, then
 * from whatever it has not reached, and takes each node's edges in order, so the edges left are
 * the ones that run with the graph's flow.
 */
export function closingEdges(succs: number[][]): Set<number> {
  const n = succs.length;
  const closing = new Set<number>();
  const fed = new Uint8Array(n);
  for (const ts of succs) for (const t of ts) fed[t] = 1;
  // 0 unseen, 1 on the path, 2 done.
  const state = new Uint8Array(n);
  const stack: number[] = [];
  const next = new Int32Array(n);
  const walk = (root: number) => {
    state[root] = 1;
    stack.push(root);
    while (stack.length) {
      const v = stack[stack.length - 1]!;
      const ts = succs[v]!;
      if (next[v]! < ts.length) {
        const t = ts[next[v]!++]!;
        if (state[t] === 1) closing.add(v * n + t);
        else if (state[t] === 0) {
          state[t] = 1;
          stack.push(t);
        }
      } else {
        state[v] = 2;
        stack.pop();
      }
    }
  };
  for (let v = 0; v < n; v++) if (!fed[v] && state[v] === 0) walk(v);
  for (let v = 0; v < n; v++) if (state[v] === 0) walk(v);
  return closing;
}

/** Width of a virtual node (an edge's lane). */
const LANE = 12;
/** Edges spanning more ranks than this get no lane (a graph input read by every layer of a decoder). */
const MAX_SPAN = 48;

export function fastLayered(input: LayoutInput, options: Partial<FastLayoutOptions> = {}): LayoutResult {
  const started = performance.now();
  const opt = { ...DEFAULTS, ...options };
  const n = input.nodes.length;
  const index = new Map<string, number>();
  input.nodes.forEach((node, i) => index.set(node.id, i));

  const all: number[][] = Array.from({ length: n }, () => []);
  for (const e of input.edges) {
    const s = index.get(e.source);
    const t = index.get(e.target);
    if (s === undefined || t === undefined || s === t) continue;
    all[s]!.push(t);
  }
  // 0. Edges that close a cycle are drawn but take no part in ranking (a graph's own edges never
  // do; groups' can: a U-Net's upsampling named in an encoder stage's scope feeds the next stage
  // down, which feeds it).
  const closing = closingEdges(all);
  const preds: number[][] = Array.from({ length: n }, () => []);
  const succs: number[][] = Array.from({ length: n }, () => []);
  const indeg = new Int32Array(n);
  for (let s = 0; s < n; s++)
    for (const t of all[s]!) {
      if (closing.has(s * n + t)) continue;
      succs[s]!.push(t);
      preds[t]!.push(s);
      indeg[t]!++;
    }

  // 1. Longest-path ranks in topological order (complete: the closing edges are left out).
  const rank = new Int32Array(n);
  const queue: number[] = [];
  for (let i = 0; i < n; i++) if (indeg[i] === 0) queue.push(i);
  let head = 0;
  while (head < queue.length) {
    const v = queue[head++]!;
    for (const w of succs[v]!) {
      if (rank[w]! < rank[v]! + 1) rank[w] = rank[v]! + 1;
      if (--indeg[w]! === 0) queue.push(w);
    }
  }
  // Pulled down in reverse topological order (consumers are final first). A node on a longest
  // path never moves, so no rank empties.
  for (let k = queue.length - 1; k >= 0; k--) {
    const v = queue[k]!;
    let nearest = Infinity;
    for (const w of succs[v]!) nearest = Math.min(nearest, rank[w]!);
    if (nearest !== Infinity && nearest - 1 > rank[v]!) rank[v] = nearest - 1;
  }
  let maxRank = 0;
  for (let i = 0; i < n; i++) maxRank = Math.max(maxRank, rank[i]!);

  // 2. Lanes: virtual nodes n, n+1, ... on the ranks a long edge crosses. `up`/`down` are the
  // neighbours ordering and placement see (a long edge through its lane, short ones as they are).
  const width: number[] = input.nodes.map((node) => node.width);
  const height: number[] = input.nodes.map((node) => node.height);
  const nodeRank: number[] = Array.from(rank);
  const up: number[][] = preds.map(() => []);
  const down: number[][] = succs.map(() => []);
  /** Each laned edge: its ends and its first lane (its lanes are consecutive). */
  const laned: { s: number; t: number; first: number }[] = [];
  for (let s = 0; s < n; s++)
    for (const t of succs[s]!) {
      const span = rank[t]! - rank[s]!;
      if (span <= 0) continue; // an edge closing a cycle: drawn, not ranked
      if (span === 1 || span > MAX_SPAN) {
        down[s]!.push(t);
        up[t]!.push(s);
        continue;
      }
      let prev = s;
      laned.push({ s, t, first: width.length });
      for (let r = rank[s]! + 1; r < rank[t]!; r++) {
        const lane = width.length;
        width.push(LANE);
        height.push(0);
        nodeRank.push(r);
        up.push([prev]);
        down.push([]);
        down[prev]!.push(lane);
        prev = lane;
      }
      down[prev]!.push(t);
      up[t]!.push(prev);
    }
  const total = width.length;

  const layers: number[][] = Array.from({ length: maxRank + 1 }, () => []);
  for (let i = 0; i < total; i++) layers[nodeRank[i]!]!.push(i);

  // 3. Barycenter ordering: alternate downward (by predecessors) and upward (by successors) sweeps.
  const pos = new Float64Array(total);
  for (const layer of layers) layer.forEach((v, i) => (pos[v] = i));
  // Sort keys by node index, reused across layers and sweeps (a map per layer cost more than the sort).
  const key = new Float64Array(total);
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
    if (s % 2 === 0) for (let r = 1; r < layers.length; r++) sortBy(layers[r]!, up);
    else for (let r = layers.length - 2; r >= 0; r--) sortBy(layers[r]!, down);
  }

  // 4. Placement: x is each node's centre. Start packed, then let neighbours pull.
  const x = new Float64Array(total);
  for (const layer of layers) {
    let at = 0;
    for (const v of layer) {
      x[v] = at + width[v]! / 2;
      at += width[v]! + opt.nodesep;
    }
  }
  const gap = (a: number, b: number) => (width[a]! + width[b]!) / 2 + opt.nodesep;
  const left = new Float64Array(total);
  const right = new Float64Array(total);
  const place = (layer: number[], neighbours: number[][]) => {
    const m = layer.length;
    if (m === 0) return;
    for (const v of layer) {
      const ns = neighbours[v]!;
      if (ns.length === 0) continue;
      let sum = 0;
      for (const u of ns) sum += x[u]!;
      key[v] = sum / ns.length;
    }
    for (let i = 0; i < m; i++) {
      const v = layer[i]!;
      const wish = neighbours[v]!.length ? key[v]! : x[v]!;
      left[v] = i === 0 ? wish : Math.max(wish, left[layer[i - 1]!]! + gap(layer[i - 1]!, v));
    }
    for (let i = m - 1; i >= 0; i--) {
      const v = layer[i]!;
      const wish = neighbours[v]!.length ? key[v]! : x[v]!;
      right[v] = i === m - 1 ? wish : Math.min(wish, right[layer[i + 1]!]! - gap(v, layer[i + 1]!));
    }
    for (const v of layer) x[v] = (left[v]! + right[v]!) / 2;
  };
  for (let p = 0; p < opt.passes; p++) {
    for (let r = 1; r < layers.length; r++) place(layers[r]!, up);
    for (let r = layers.length - 2; r >= 0; r--) place(layers[r]!, down);
  }

  let minX = Infinity;
  let maxX = -Infinity;
  for (let v = 0; v < n; v++) {
    minX = Math.min(minX, x[v]! - width[v]! / 2);
    maxX = Math.max(maxX, x[v]! + width[v]! / 2);
  }
  if (n === 0) minX = maxX = 0;
  const positions: LayoutResult['positions'] = {};
  const rowMiddle = new Float64Array(layers.length);
  let y = 16;
  for (const [r, layer] of layers.entries()) {
    let rowHeight = 0;
    for (const v of layer) rowHeight = Math.max(rowHeight, height[v]!);
    rowMiddle[r] = y + rowHeight / 2;
    for (const v of layer) {
      if (v >= n) continue;
      positions[input.nodes[v]!.id] = { x: x[v]! - width[v]! / 2 - minX + 16, y: y + (rowHeight - height[v]!) / 2 };
    }
    y += rowHeight + opt.ranksep;
  }
  const bends: Record<string, number[]> = {};
  for (const { s, t, first } of laned) {
    const points: number[] = [];
    for (let v = first, r = rank[s]! + 1; r < rank[t]!; v++, r++) points.push(x[v]! - minX + 16, rowMiddle[r]!);
    bends[routeKey(input.nodes[s]!.id, input.nodes[t]!.id)] = points;
  }
  return {
    positions,
    width: maxX - minX + 32,
    height: y,
    ranker: 'fast-layered',
    ms: performance.now() - started,
    ...(laned.length ? { bends } : {}),
    ...(closing.size
      ? { closing: [...closing].map((k) => routeKey(input.nodes[Math.floor(k / n)]!.id, input.nodes[k % n]!.id)) }
      : {}),
  };
}
