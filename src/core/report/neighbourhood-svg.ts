/**
 * A picture of one node and its neighbourhood, as a self-contained SVG string: no scripts, no
 * external fonts or images, no ids (so many pictures can sit in one HTML page without their
 * definitions colliding). The report puts one beside each node with findings, so a reviewer
 * sees where in the graph the problem sits without opening the model.
 */
import type { Severity } from '../check/finding';
import { layoutGraph } from '../layout/layout-graph';
import type { GraphView, ViewEdge, ViewNode } from '../model/graph-view';
import { markup, truncateMiddle, type Markup } from './escape';
import { SEVERITY_ICON } from './report-text';

export interface NeighbourhoodOptions {
  /**
   * Hops followed upstream (producers) and downstream (consumers); default 2, because in a QDQ
   * model one hop reaches only the Q/DQ pair around the node.
   */
  depth?: number;
  /** Severity per node id, drawn as border colour and icon (colour never alone). */
  marks?: ReadonlyMap<string, Severity>;
  /** Most nodes drawn, the focus node included; default {@link MAX_NEIGHBOURHOOD_NODES}. */
  maxNodes?: number;
  /**
   * Most new nodes per hop in each direction; default {@link MAX_PER_HOP}. Keeps a node with
   * a wide fan-out (a graph input feeding 40 layers) from making a picture wider than a page.
   */
  maxPerHop?: number;
}

/** Default cap on the nodes in one picture: more would be unreadable at page width. */
export const MAX_NEIGHBOURHOOD_NODES = 40;

/** Default cap on the new nodes per hop and direction. */
export const MAX_PER_HOP = 8;

/** Default hops in each direction. */
export const DEFAULT_NEIGHBOURHOOD_DEPTH = 2;

export interface Neighbourhood {
  /** Nodes drawn: the focus first, then by distance, producers before consumers at each distance. */
  nodes: ViewNode[];
  /** Edges between drawn nodes, one per (source, target) pair. */
  edges: ViewEdge[];
  /** Neighbours of drawn nodes (within `depth` hops of the focus) left out by the caps. */
  hidden: number;
}

interface Adjacency {
  byId: Map<string, ViewNode>;
  incoming: Map<string, ViewEdge[]>;
  outgoing: Map<string, ViewEdge[]>;
}

// A report draws up to hundreds of pictures from one view; index its edges once.
const adjacencyCache = new WeakMap<GraphView, Adjacency>();

function adjacencyOf(view: GraphView): Adjacency {
  let adj = adjacencyCache.get(view);
  if (adj) return adj;
  adj = { byId: new Map(view.nodes.map((n) => [n.id, n])), incoming: new Map(), outgoing: new Map() };
  for (const e of view.edges) {
    const inc = adj.incoming.get(e.target);
    if (inc) inc.push(e);
    else adj.incoming.set(e.target, [e]);
    const out = adj.outgoing.get(e.source);
    if (out) out.push(e);
    else adj.outgoing.set(e.source, [e]);
  }
  adjacencyCache.set(view, adj);
  return adj;
}

/**
 * Selects the nodes within `depth` hops of `nodeId`: its producers' producers upstream and its
 * consumers' consumers downstream (not siblings, which say little about the node), nearest
 * first, at most `maxPerHop` new nodes per hop and direction and `maxNodes` in all. Only drawn
 * nodes are followed further, so `hidden` counts the neighbours of drawn nodes left out.
 *
 * @throws Error when `nodeId` is not in the view.
 */
export function selectNeighbourhood(
  view: GraphView,
  nodeId: string,
  {
    depth = DEFAULT_NEIGHBOURHOOD_DEPTH,
    maxNodes = MAX_NEIGHBOURHOOD_NODES,
    maxPerHop = MAX_PER_HOP,
  }: Omit<NeighbourhoodOptions, 'marks'> = {},
): Neighbourhood {
  const adj = adjacencyOf(view);
  if (!adj.byId.has(nodeId)) throw new Error(`node "${nodeId}" is not in graph view "${view.name}"`);
  const kept: string[] = [nodeId];
  const seen = new Set(kept);
  let hidden = 0;
  /** Unseen neighbours of `frontier` on one side; keeps what fits and counts the rest. */
  const step = (frontier: string[], edgesOf: Map<string, ViewEdge[]>, end: (e: ViewEdge) => string): string[] => {
    const found: string[] = [];
    for (const id of frontier) {
      for (const e of edgesOf.get(id) ?? []) {
        const other = end(e);
        if (!seen.has(other)) {
          seen.add(other);
          found.push(other);
        }
      }
    }
    const room = Math.max(0, Math.min(maxPerHop, maxNodes - kept.length));
    const take = found.slice(0, room);
    hidden += found.length - take.length;
    kept.push(...take);
    return take;
  };
  let up = [nodeId];
  let down = [nodeId];
  for (let d = 1; d <= depth && (up.length || down.length); d++) {
    up = step(up, adj.incoming, (e) => e.source);
    down = step(down, adj.outgoing, (e) => e.target);
  }
  const keptSet = new Set(kept);
  const edges: ViewEdge[] = [];
  const pairs = new Set<string>();
  for (const id of kept) {
    for (const e of adj.outgoing.get(id) ?? []) {
      const pair = `${e.source}\u0000${e.target}`;
      if (keptSet.has(e.target) && !pairs.has(pair)) {
        pairs.add(pair);
        edges.push(e);
      }
    }
  }
  return { nodes: kept.map((id) => adj.byId.get(id)!), edges, hidden };
}

const NODE_W = 200;
const OP_H = 44;
const IO_H = 32;
const PAD = 12;
const FOOTER_H = 22;
const MAX_OP_CHARS = 24;
const MAX_NAME_CHARS = 28;
const ARROW_LEN = 7;
const ARROW_HALF = 3.5;

/** Border, fill and text colours per severity; each also has an icon. */
const SEVERITY_STYLE: Record<Severity, { stroke: string; fill: string; ink: string }> = {
  error: { stroke: '#c62828', fill: '#fdecea', ink: '#b71c1c' },
  warning: { stroke: '#b26a00', fill: '#fff4e0', ink: '#8a5200' },
  info: { stroke: '#1565c0', fill: '#e8f1fb', ink: '#0d47a1' },
};

const FONT = 'system-ui, -apple-system, Segoe UI, Roboto, sans-serif';
const MONO = 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace';

const num = (x: number) => Number(x.toFixed(1));

function nodeBox(node: ViewNode, x: number, y: number, h: number, focus: boolean, mark: Severity | undefined): Markup {
  const io = node.kind !== 'op';
  const style = mark ? SEVERITY_STYLE[mark] : undefined;
  const stroke = style?.stroke ?? (focus ? '#212121' : io ? '#9e9e9e' : '#757575');
  const fill = style?.fill ?? (io ? '#f5f5f5' : '#ffffff');
  const width = mark || focus ? 2.5 : 1;
  const label = node.kind === 'op' ? node.opType : node.kind === 'input' ? 'Input' : 'Output';
  const name = node.name || '(unnamed)';
  const icon = mark
    ? markup`<text x="${num(x + NODE_W - 8)}" y="${num(y + 17)}" text-anchor="end" font-size="14" font-weight="700" fill="${style!.ink}">${SEVERITY_ICON[mark]}</text>`
    : null;
  // The focus node gets a dashed outer ring too, so it stands out among marked neighbours.
  const ring = focus
    ? markup`<rect x="${num(x - 4)}" y="${num(y - 4)}" width="${NODE_W + 8}" height="${h + 8}" rx="9" fill="none" stroke="${stroke}" stroke-width="1" stroke-dasharray="4 3"/>`
    : null;
  const text = io
    ? markup`<text x="${num(x + 10)}" y="${num(y + h / 2 + 4)}" font-size="11" fill="#424242"><tspan font-weight="600">${label}</tspan> <tspan font-family="${MONO}">${truncateMiddle(name, MAX_NAME_CHARS - 6)}</tspan></text>`
    : markup`<text x="${num(x + 10)}" y="${num(y + 18)}" font-size="12" font-weight="600" fill="#212121">${truncateMiddle(label, MAX_OP_CHARS)}</text><text x="${num(x + 10)}" y="${num(y + 35)}" font-size="10.5" font-family="${MONO}" fill="#424242">${truncateMiddle(name, MAX_NAME_CHARS)}</text>`;
  const tip = `${label} ${name}${mark ? ` (${mark})` : ''}`;
  return markup`<g><title>${tip}</title>${ring}<rect x="${num(x)}" y="${num(y)}" width="${NODE_W}" height="${h}" rx="${io ? h / 2 : 6}" fill="${fill}" stroke="${stroke}" stroke-width="${width}"/>${text}${icon}</g>`;
}

function edgeLine(x1: number, y1: number, x2: number, y2: number, dtype: string): Markup {
  const dx = x2 - x1;
  const dy = y2 - y1;
  const len = Math.hypot(dx, dy) || 1;
  const ux = dx / len;
  const uy = dy / len;
  const bx = x2 - ux * ARROW_LEN;
  const by = y2 - uy * ARROW_LEN;
  const head = [
    [x2, y2],
    [bx - uy * ARROW_HALF, by + ux * ARROW_HALF],
    [bx + uy * ARROW_HALF, by - ux * ARROW_HALF],
  ]
    .map(([px, py]) => `${num(px!)},${num(py!)}`)
    .join(' ');
  const label =
    dtype && dtype !== 'unknown'
      ? markup`<text x="${num((x1 + x2) / 2 + 5)}" y="${num((y1 + y2) / 2 + 3)}" font-size="9" fill="#757575">${dtype}</text>`
      : null;
  return markup`<line x1="${num(x1)}" y1="${num(y1)}" x2="${num(bx)}" y2="${num(by)}" stroke="#9e9e9e" stroke-width="1.2"/><polygon points="${head}" fill="#9e9e9e"/>${label}`;
}

/**
 * Draws `nodeId` and its neighbours (see {@link selectNeighbourhood}) laid out top to bottom
 * with {@link layoutGraph}: boxes with op type and (truncated) name, the full name as a
 * tooltip, edges as arrows labelled with their dtype. Nodes in `marks` get their severity's
 * colour and icon (✖ error, ⚠ warning, ℹ info); the focus node also gets a dashed ring.
 * When a cap cuts the neighbourhood, a footer says `+N more neighbours not shown`.
 *
 * Every string from the model is escaped; the result is well-formed XML that can be saved as
 * an .svg file or inlined in HTML.
 *
 * @example neighbourhoodSvg(view, finding.nodeId, { marks: new Map([[finding.nodeId, 'error']]) })
 * @throws Error when `nodeId` is not in the view.
 */
export function neighbourhoodSvg(view: GraphView, nodeId: string, options: NeighbourhoodOptions = {}): string {
  const { nodes, edges, hidden } = selectNeighbourhood(view, nodeId, options);
  const heightOf = (n: ViewNode) => (n.kind === 'op' ? OP_H : IO_H);
  const layout = layoutGraph({
    nodes: nodes.map((n) => ({ id: n.id, width: NODE_W, height: heightOf(n) })),
    edges: edges.map((e) => ({ source: e.source, target: e.target })),
  });

  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const n of nodes) {
    const p = layout.positions[n.id] ?? { x: 0, y: 0 };
    minX = Math.min(minX, p.x);
    minY = Math.min(minY, p.y);
    maxX = Math.max(maxX, p.x + NODE_W);
    maxY = Math.max(maxY, p.y + heightOf(n));
  }
  // Room for the focus ring and the edge labels beside the rightmost edge.
  const ox = PAD - minX + 4;
  const oy = PAD - minY + 4;
  const width = Math.ceil(maxX - minX + 2 * (PAD + 4) + 40);
  const footer = hidden > 0 ? FOOTER_H : 0;
  const height = Math.ceil(maxY - minY + 2 * (PAD + 4) + footer);
  const at = (id: string) => {
    const p = layout.positions[id] ?? { x: 0, y: 0 };
    return { x: p.x + ox, y: p.y + oy };
  };
  const byId = new Map(nodes.map((n) => [n.id, n]));

  const lines = edges.map((e) => {
    const s = at(e.source);
    const t = at(e.target);
    return edgeLine(s.x + NODE_W / 2, s.y + heightOf(byId.get(e.source)!), t.x + NODE_W / 2, t.y, e.dtype);
  });
  const boxes = nodes.map((n) => {
    const p = at(n.id);
    return nodeBox(n, p.x, p.y, heightOf(n), n.id === nodeId, options.marks?.get(n.id));
  });
  const focus = nodes[0]!;
  const title = `Neighbourhood of ${focus.opType} ${focus.name || '(unnamed)'}`;
  const more =
    hidden > 0
      ? markup`<text x="${PAD}" y="${height - 8}" font-size="11" fill="#616161">+${hidden} more ${hidden === 1 ? 'neighbour' : 'neighbours'} not shown</text>`
      : null;
  return markup`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" font-family="${FONT}"><title>${title}</title><rect width="${width}" height="${height}" fill="#ffffff"/>${lines}${boxes}${more}</svg>`
    .text;
}
