/** Edge labels that would cover each other move apart along their edges, or wrap. */
import { describe, expect, it } from 'vitest';
import { bezierPoint, placeLabels, type LabelEdge } from './edge-labels';

const LABEL = 'uint16 scale 0.0000712389 zp 31022';
/** Two rows 64 px apart, as the layout stacks 46 px boxes: handles 18 px apart vertically. */
const edge = (id: string, source: string, target: string, sx: number, tx: number, text = LABEL): LabelEdge => ({
  id,
  source,
  target,
  sx,
  sy: 100,
  tx,
  ty: 118,
  text,
});

/** The horizontal extent each label would cover, as placed. */
function extents(edges: LabelEdge[]) {
  const places = placeLabels(edges);
  return edges.map((e) => {
    const p = places.get(e.id)!;
    const w = Math.min(e.text.length * 5.4 + 4, p.maxWidth ?? Infinity);
    return { id: e.id, left: p.x - w / 2, right: p.x + w / 2, y: p.y, place: p };
  });
}

describe('edge labels', () => {
  it('follow the bezier React Flow draws: its ends and its middle', () => {
    expect(bezierPoint(0, 0, 100, 80, 0)).toEqual({ x: 0, y: 0 });
    expect(bezierPoint(0, 0, 100, 80, 1)).toEqual({ x: 100, y: 80 });
    expect(bezierPoint(0, 0, 100, 80, 0.5)).toEqual({ x: 50, y: 40 });
    // Nearer the source, the curve has moved less than its share sideways (it leaves vertically).
    expect(bezierPoint(0, 0, 100, 80, 0.3).x).toBeLessThan(30);
  });

  it('stay in the middle when nothing is near', () => {
    const places = placeLabels([edge('a', 'A', 'M', 0, 0), edge('b', 'B', 'N', 600, 600)]);
    expect(places.get('a')).toEqual({ at: 0.5, x: 0, y: 109 });
    expect(places.get('b')?.maxWidth).toBeUndefined();
  });

  it("of a MatMul's two inputs move toward their sources, and wrap if that is not enough", () => {
    // The transformer sample: Transpose (x 695) and Transpose_1 (x 860) into MatMul (x 778).
    const edges = [edge('q', 'Transpose', 'MatMul', 695, 778), edge('k', 'Transpose_1', 'MatMul', 860, 778)];
    const [q, k] = extents(edges);
    expect(q!.place.at).toBeLessThan(0.5);
    expect(k!.place.at).toBeLessThan(0.5);
    expect(q!.right).toBeLessThanOrEqual(k!.left);
  });

  it('leaving one node move toward their targets', () => {
    const edges = [edge('a', 'Norm', 'Q', 500, 420), edge('b', 'Norm', 'K', 500, 580)];
    const places = placeLabels(edges);
    expect(places.get('a')!.at).toBeGreaterThan(0.5);
    const [a, b] = extents(edges);
    expect(a!.right).toBeLessThanOrEqual(b!.left);
  });

  it('on one line between unrelated nodes wrap to the room between them', () => {
    const edges = [edge('a', 'A', 'C', 400, 400), edge('b', 'B', 'D', 500, 500)];
    const [a, b] = extents(edges);
    expect(a!.place.at).toBe(0.5);
    expect(a!.place.maxWidth).toBe(94);
    expect(a!.right).toBeLessThanOrEqual(b!.left);
  });
});
