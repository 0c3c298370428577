/**
 * Where each edge label sits, so that labels on about the same line do not cover each other.
 *
 * A label is centred on its edge, at the middle by default. Two labels that would overlap move
 * apart along their edges: toward their own sources when they meet at one node (a MatMul's two
 * inputs, whose midpoints are half as far apart as their sources), toward their own targets when
 * they leave one node. If they still overlap, each gets a width to wrap to. Text widths are
 * estimated (the labels are 10 px type); positions are in flow coordinates, on the vertical
 * bezier React Flow draws from a bottom handle to a top one. Edges drawn along bends keep their
 * label on the middle bend and are left out.
 */

export interface LabelEdge {
  id: string;
  source: string;
  target: string;
  /** The source handle (bottom centre of the source box). */
  sx: number;
  sy: number;
  /** The target handle (top centre of the target box). */
  tx: number;
  ty: number;
  text: string;
}

export interface LabelPlace {
  /** Where along the edge, 0 (source) to 1 (target). */
  at: number;
  x: number;
  y: number;
  /** The width to wrap to, when the label would otherwise cover a neighbour. */
  maxWidth?: number;
}

/** Average advance of a 10 px sans-serif character, and the label's padding. */
const CHAR_PX = 5.4;
const PAD_PX = 4;
/** Labels whose centres are closer than this vertically share a line. */
const LINE_PX = 14;
const GAP_PX = 6;
/** No label wraps narrower than this (about a dtype and a short scale). */
const MIN_WIDTH_PX = 64;
const TOWARD_SOURCE = 0.3;
const TOWARD_TARGET = 0.7;

/** The point at `t` of React Flow's bezier from a bottom handle to a top one (its default curvature). */
export function bezierPoint(sx: number, sy: number, tx: number, ty: number, t: number): { x: number; y: number } {
  const offset = ty >= sy ? 0.5 * (ty - sy) : 0.25 * 25 * Math.sqrt(sy - ty);
  const [y1, y2] = [sy + offset, ty - offset];
  const u = 1 - t;
  const [a, b, c, d] = [u * u * u, 3 * u * u * t, 3 * u * t * t, t * t * t];
  return { x: (a + b) * sx + (c + d) * tx, y: a * sy + b * y1 + c * y2 + d * ty };
}

const widthOf = (text: string) => text.length * CHAR_PX + PAD_PX;

/** Pairs of labels that cover each other, as placed now. */
function clashes(edges: readonly LabelEdge[], place: ReadonlyMap<string, LabelPlace>): [LabelEdge, LabelEdge][] {
  const byY = [...edges].sort((a, b) => place.get(a.id)!.y - place.get(b.id)!.y);
  const out: [LabelEdge, LabelEdge][] = [];
  for (let i = 0; i < byY.length; i++) {
    const a = byY[i]!;
    const pa = place.get(a.id)!;
    for (let j = i + 1; j < byY.length; j++) {
      const b = byY[j]!;
      const pb = place.get(b.id)!;
      if (pb.y - pa.y >= LINE_PX) break;
      const reach =
        (Math.min(widthOf(a.text), pa.maxWidth ?? Infinity) + Math.min(widthOf(b.text), pb.maxWidth ?? Infinity)) / 2;
      if (Math.abs(pa.x - pb.x) < reach + GAP_PX) out.push([a, b]);
    }
  }
  return out;
}

/** Each label's place along its edge and, where it must wrap, its width. */
export function placeLabels(edges: readonly LabelEdge[]): Map<string, LabelPlace> {
  const place = new Map<string, LabelPlace>();
  const put = (e: LabelEdge, at: number) => place.set(e.id, { at, ...bezierPoint(e.sx, e.sy, e.tx, e.ty, at) });
  for (const e of edges) put(e, 0.5);
  for (const [a, b] of clashes(edges, place)) {
    const at = a.target === b.target ? TOWARD_SOURCE : a.source === b.source ? TOWARD_TARGET : undefined;
    if (at === undefined) continue;
    put(a, at);
    put(b, at);
  }
  for (const [a, b] of clashes(edges, place)) {
    const pa = place.get(a.id)!;
    const pb = place.get(b.id)!;
    const room = Math.max(MIN_WIDTH_PX, Math.abs(pa.x - pb.x) - GAP_PX);
    pa.maxWidth = Math.min(pa.maxWidth ?? Infinity, room);
    pb.maxWidth = Math.min(pb.maxWidth ?? Infinity, room);
  }
  return place;
}
