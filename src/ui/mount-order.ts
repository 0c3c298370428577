/**
 * The order and pace in which a large drawing is handed to React Flow. React Flow mounts what it
 * is given in one synchronous pass, so a drawing comes in steps, one per task (useMountedSteps);
 * but each step hands over the whole array so far, and React Flow goes over every node and edge it
 * is given again (its lookups, its test of what is in view, a selector per drawn edge). Steps of a
 * fixed size made that quadratic: a finding opened in the 100k-node decoder (592 boxes, 2,317
 * edges) took 98 steps and 1.3 s of the main thread over 2.5 s. Where React Flow draws only what
 * is in the viewport, the items nearest to where the viewport will be come first, a fixed number
 * per step while they are in view, and then the steps double: the items out of view mount
 * nothing, and cost a few steps in all.
 */

export interface Point {
  x: number;
  y: number;
}

/**
 * How a kind of item (boxes, or edges) is handed over: `order[i]` is the index of the i-th item
 * to hand over; the first `inView` of them are (or may be) in view.
 */
export interface MountPlan {
  order: number[];
  inView: number;
}

/**
 * The steps that hand over `total` items `chunk` at a time while they are in view (the first
 * `inView`), doubling after that.
 */
export function mountSteps(total: number, inView: number, chunk: number): number {
  const steady = Math.ceil(Math.min(inView, total) / chunk);
  if (total <= steady * chunk) return Math.max(1, steady);
  return steady + Math.max(1, Math.ceil(Math.log2(total / Math.max(chunk, steady * chunk))));
}

/** How many of `total` items are handed over after `step` steps (from 1); see {@link mountSteps}. */
export function mountedAt(step: number, total: number, inView: number, chunk: number): number {
  if (step <= 0) return 0;
  const steady = Math.ceil(Math.min(inView, total) / chunk);
  if (step <= steady) return Math.min(total, step * chunk);
  return Math.min(total, Math.max(chunk, steady * chunk) * 2 ** (step - steady));
}

/** Where the viewport will be: its centre and its half-diagonal, in the drawing's coordinates. */
export interface ExpectedView {
  centre: Point;
  radius: number;
}

/**
 * The order in which to hand over a drawing's boxes and edges, nearest to the expected view first:
 * boxes by the distance of their centre from its centre, edges by the distance from its centre to
 * the box between their two ends' centres (a long edge that crosses the view, a mask that reaches
 * every layer, is drawn with the boxes around it). Those within the view's radius (boxes: plus
 * `reach`, half a box) count as in view. Ties keep the drawing's order.
 */
export function nearestFirst(
  centres: readonly (Point | undefined)[],
  ids: readonly string[],
  edges: readonly { source: string; target: string }[],
  view: ExpectedView,
  reach: number,
): { items: MountPlan; edges: MountPlan } {
  const { centre } = view;
  const distance = centres.map((c) => (c ? Math.hypot(c.x - centre.x, c.y - centre.y) : Infinity));
  const at = new Map<string, Point | undefined>();
  ids.forEach((id, i) => at.set(id, centres[i]));
  const edgeDistance = edges.map((e) => {
    const s = at.get(e.source);
    const t = at.get(e.target);
    if (!s || !t) return Infinity;
    const dx = Math.max(Math.min(s.x, t.x) - centre.x, 0, centre.x - Math.max(s.x, t.x));
    const dy = Math.max(Math.min(s.y, t.y) - centre.y, 0, centre.y - Math.max(s.y, t.y));
    return Math.hypot(dx, dy);
  });
  const plan = (d: number[], limit: number): MountPlan => ({
    order: d.map((_, i) => i).sort((a, b) => d[a]! - d[b]! || a - b),
    inView: d.filter((x) => x <= limit).length,
  });
  return { items: plan(distance, view.radius + reach), edges: plan(edgeDistance, view.radius + reach) };
}

/**
 * What of `list` is handed over after `step` steps (from 1): in `plan`'s order, a chunk a step
 * while in view, then doubling; without a plan (everything is drawn), in the list's own order, a
 * chunk a step. The list itself once all of it is.
 */
export function handedOver<T>(list: T[], step: number, plan: MountPlan | undefined, chunk: number): T[] {
  const n = mountedAt(step, list.length, plan ? plan.inView : list.length, chunk);
  if (n >= list.length) return list;
  return plan ? plan.order.slice(0, n).map((i) => list[i]!) : list.slice(0, n);
}

/** The steps {@link handedOver} takes to hand over `total` items. */
export function stepsFor(total: number, plan: MountPlan | undefined, chunk: number): number {
  return mountSteps(total, plan ? plan.inView : total, chunk);
}
