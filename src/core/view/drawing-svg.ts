/**
 * The current drawing as a standalone SVG: boxes for nodes and groups at their laid-out
 * positions, straight edges, and finding marks (colour and an icon). Every string is escaped.
 */
import type { VisibleGraph } from './scopes';
import { routedPath, routeKey } from '../layout/route';

export interface DrawingOptions {
  positions: Record<string, { x: number; y: number }>;
  size: (id: string) => { width: number; height: number };
  marks?: ReadonlyMap<string, { worst: 'error' | 'warning' | 'info'; count: number }>;
  title?: string;
  /** Lane points of long edges, from the layout (route.ts). */
  bends?: Record<string, number[]>;
  /** Edges that close a cycle of groups (routeKey), drawn dashed as in the app. */
  closing?: readonly string[];
}

const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const COLOUR = { error: '#dc2626', warning: '#d97706', info: '#0284c7' } as const;
const ICON = { error: '✖', warning: '⚠', info: 'ℹ' } as const;

export function drawingSvg(graph: VisibleGraph, options: DrawingOptions): string {
  let minX = Infinity,
    minY = Infinity,
    maxX = -Infinity,
    maxY = -Infinity;
  for (const item of graph.items) {
    const p = options.positions[item.id];
    if (!p) continue;
    const s = options.size(item.id);
    minX = Math.min(minX, p.x);
    minY = Math.min(minY, p.y);
    maxX = Math.max(maxX, p.x + s.width);
    maxY = Math.max(maxY, p.y + s.height);
  }
  if (!Number.isFinite(minX)) {
    minX = 0;
    minY = 0;
    maxX = 100;
    maxY = 40;
  }
  const pad = 20;
  const w = Math.ceil(maxX - minX + 2 * pad);
  const h = Math.ceil(maxY - minY + 2 * pad);
  const X = (x: number) => (x - minX + pad).toFixed(1);
  const Y = (y: number) => (y - minY + pad).toFixed(1);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="system-ui, sans-serif">`,
    options.title ? `<title>${esc(options.title)}</title>` : '',
    `<rect width="${w}" height="${h}" fill="#ffffff"/>`,
    '<g stroke="#94a3b8" stroke-width="1" fill="none">',
  ];
  const closing = new Set(options.closing);
  for (const e of graph.edges) {
    const dash = closing.has(routeKey(e.source, e.target)) ? ' stroke-dasharray="5 4"' : '';
    const a = options.positions[e.source],
      b = options.positions[e.target];
    if (!a || !b) continue;
    const sa = options.size(e.source),
      sb = options.size(e.target);
    const bends = options.bends?.[routeKey(e.source, e.target)];
    if (bends) {
      const shifted = bends.map((v, i) => Number(i % 2 === 0 ? X(v) : Y(v)));
      const d = routedPath(
        Number(X(a.x + sa.width / 2)),
        Number(Y(a.y + sa.height)),
        shifted,
        Number(X(b.x + sb.width / 2)),
        Number(Y(b.y)),
      );
      parts.push(`<path d="${d}"${dash}/>`);
      continue;
    }
    parts.push(
      `<line x1="${X(a.x + sa.width / 2)}" y1="${Y(a.y + sa.height)}" x2="${X(b.x + sb.width / 2)}" y2="${Y(b.y)}"${dash}/>`,
    );
  }
  parts.push('</g>');
  for (const item of graph.items) {
    const p = options.positions[item.id];
    if (!p) continue;
    const s = options.size(item.id);
    const mark = options.marks?.get(item.id);
    const stroke = mark ? COLOUR[mark.worst] : item.kind === 'group' ? '#6366f1' : '#94a3b8';
    const fill = item.kind === 'group' ? '#eef2ff' : mark?.worst === 'error' ? '#fef2f2' : '#ffffff';
    const title = item.kind === 'group' ? `▸ ${item.label}` : item.node.opType;
    const sub = item.kind === 'group' ? `${item.size} nodes` : item.node.name;
    parts.push(
      `<g><rect x="${X(p.x)}" y="${Y(p.y)}" width="${s.width}" height="${s.height}" rx="6" fill="${fill}" stroke="${stroke}" stroke-width="${mark ? 2 : 1}"/>`,
      `<text x="${X(p.x + 8)}" y="${Y(p.y + 18)}" font-size="12" font-weight="600" fill="#0f172a">${esc(clip(title, 28))}</text>`,
      `<text x="${X(p.x + 8)}" y="${Y(p.y + 34)}" font-size="10" fill="#475569">${esc(clip(sub, 34))}</text>`,
      mark
        ? `<text x="${X(p.x + s.width - 26)}" y="${Y(p.y + 14)}" font-size="11" font-weight="700" fill="${COLOUR[mark.worst]}">${ICON[mark.worst]} ${mark.count}</text>`
        : '',
      '</g>',
    );
  }
  parts.push('</svg>');
  return parts.filter(Boolean).join('\n');
}
