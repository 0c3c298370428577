import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BROADCAST_KEPT, BROADCAST_REACH, farBroadcastEdges } from './broadcast-edges';
import { handedOver, mountedAt, mountSteps, nearestFirst, stepsFor, type Point } from './mount-order';

describe('the pace of handing a drawing to React Flow', () => {
  it('hands everything over by the last step, a chunk per step while in view, then doubling', () => {
    for (const chunk of [24, 48])
      for (const total of [0, 1, 23, 24, 25, 100, 240, 241, 592, 2317, 10_000])
        for (const inView of [0, 1, 19, 100, 240, total]) {
          const steps = mountSteps(total, inView, chunk);
          expect(mountedAt(steps, total, inView, chunk), `${total}/${inView}/${chunk}`).toBe(total);
          if (steps > 1) expect(mountedAt(steps - 1, total, inView, chunk)).toBeLessThan(total);
          let before = 0;
          for (let s = 1; s <= steps; s++) {
            const n = mountedAt(s, total, inView, chunk);
            expect(n).toBeGreaterThan(before === total ? before - 1 : before);
            // While what is handed over may be in view, at most one chunk more per step.
            if (before < Math.min(inView, total)) expect(n - before).toBeLessThanOrEqual(chunk);
            before = n;
          }
        }
    // Everything in view: a fixed pace, as before.
    expect(mountSteps(300, 300, 24)).toBe(13);
    // A finding opened in the 100k-node decoder: 2,317 edges, 19 of them in view, took 97 steps of
    // 24; now one step for those in view, then doublings.
    expect(mountSteps(2317, 19, 48)).toBe(1 + Math.ceil(Math.log2(2317 / 48)));
    expect(mountSteps(2317, 19, 48)).toBeLessThanOrEqual(8);
  });
});

describe('handing a list over', () => {
  it("in the plan's order while steps remain, and the list itself at the last step", () => {
    const list = Array.from({ length: 100 }, (_, i) => `item${i}`);
    const plan = { order: list.map((_, i) => 99 - i), inView: 10 };
    const steps = stepsFor(list.length, plan, 4);
    expect(steps).toBe(3 + Math.ceil(Math.log2(100 / 12)));
    expect(handedOver(list, 1, plan, 4)).toEqual(['item99', 'item98', 'item97', 'item96']);
    expect(handedOver(list, 4, plan, 4)).toHaveLength(24);
    expect(handedOver(list, steps, plan, 4)).toBe(list);
    // Without a plan: the list's own order, a chunk a step.
    expect(handedOver(list, 2, undefined, 4)).toEqual(list.slice(0, 8));
    expect(stepsFor(list.length, undefined, 4)).toBe(25);
    expect(handedOver(list, 25, undefined, 4)).toBe(list);
  });
});

describe('a drawing of PyTorch decoder blocks that all read the rotary tables and the mask', () => {
  const path = '.cache/corpus/torch/drawing-stacked-decoder.onnx';
  /** The drawing with every group open, laid out as the app lays it out, with each item's centre. */
  async function laidOut() {
    const { Engine } = await import('../core/session/engine');
    const { visibleGraph } = await import('../core/view/scopes');
    const { layoutInputOf } = await import('../core/view/drawing');
    const { layoutGraph } = await import('../core/layout/layout-graph');
    const engine = new Engine();
    const opened = await engine.openFiles([{ name: 'stacked.onnx', contents: new Uint8Array(readFileSync(path)) }]);
    if (!opened.ok) throw new Error(opened.error.message);
    const got = await engine.graphView('');
    if (!got.ok) throw new Error(got.error.message);
    const visible = visibleGraph(got.view, { has: () => true } as unknown as ReadonlySet<string>);
    const input = layoutInputOf(visible);
    const layout = layoutGraph(input);
    const size = new Map(input.nodes.map((n) => [n.id, n]));
    const centre = (id: string): Point | undefined => {
      const p = layout.positions[id];
      const s = size.get(id);
      return p && s ? { x: p.x + s.width / 2, y: p.y + s.height / 2 } : undefined;
    };
    return { visible, centre };
  }

  it.skipIf(!existsSync(path))(
    "leaves out only the broadcast inputs' far edges, keeping each one's nearest readers",
    async () => {
      const { visible, centre } = await laidOut();
      expect(visible.items.length).toBeGreaterThan(500);
      const { far, sources } = farBroadcastEdges(visible.edges, 6, centre);
      expect([...sources.keys()].sort()).toEqual(['input:attention_mask', 'input:position_cos', 'input:position_sin']);
      expect(sources.get('input:position_cos')).toEqual({ readers: 16, far: expect.any(Number) });
      const distance = (e: { source: string; target: string }) => {
        const s = centre(e.source)!;
        const t = centre(e.target)!;
        return Math.hypot(t.x - s.x, t.y - s.y);
      };
      for (const [source, { readers, far: n }] of sources) {
        const mine = visible.edges.filter((e) => e.source === source);
        expect(mine.length).toBe(readers);
        const left = mine.filter((e) => far.has(e.id));
        const kept = mine.filter((e) => !far.has(e.id));
        expect(left.length).toBe(n);
        expect(n).toBeGreaterThan(0);
        expect(kept.length).toBeGreaterThanOrEqual(BROADCAST_KEPT);
        const nearestLeft = Math.min(...left.map(distance));
        expect(nearestLeft).toBeGreaterThan(BROADCAST_REACH);
        for (const e of kept) expect(distance(e)).toBeLessThanOrEqual(nearestLeft);
      }
      // Nothing else is left out.
      for (const e of visible.edges) if (far.has(e.id)) expect(sources.has(e.source)).toBe(true);
    },
  );

  it.skipIf(!existsSync(path))(
    'hands over what is around the view first: the boxes in reach, and the edges that cross it',
    async () => {
      const { visible, centre } = await laidOut();
      const ids = visible.items.map((i) => i.id);
      const centres = ids.map(centre);
      // The view centred halfway down, a 1440 x 900 canvas at zoom 1.
      const ys = centres.map((c) => c!.y).sort((a, b) => a - b);
      const view = { centre: { x: centres[0]!.x, y: ys[ys.length >> 1]! }, radius: Math.hypot(1440, 900) / 2 };
      const reach = 150;
      const plan = nearestFirst(centres, ids, visible.edges, view, reach);
      const near = (c: Point) => Math.hypot(c.x - view.centre.x, c.y - view.centre.y) <= view.radius + reach;
      expect(plan.items.inView).toBe(centres.filter((c) => near(c!)).length);
      expect(plan.items.inView).toBeGreaterThan(0);
      expect(plan.items.inView).toBeLessThan(ids.length / 4);
      // The boxes in reach come first, then the rest.
      plan.items.order.forEach((i, k) => expect(near(centres[i]!)).toBe(k < plan.items.inView));
      expect([...plan.items.order].sort((a, b) => a - b)).toEqual(ids.map((_, i) => i));
      // An edge from far above to far below the view (the residual stream, a broadcast input) is in
      // view though neither of its ends is.
      const crossing = visible.edges.findIndex((e) => {
        const s = centre(e.source)!;
        const t = centre(e.target)!;
        return !near(s) && !near(t) && Math.min(s.y, t.y) < view.centre.y && Math.max(s.y, t.y) > view.centre.y;
      });
      expect(crossing).toBeGreaterThanOrEqual(0);
      expect(plan.edges.order.indexOf(crossing)).toBeLessThan(plan.edges.inView);
      expect(plan.edges.inView).toBeLessThan(visible.edges.length / 2);
    },
  );
});
