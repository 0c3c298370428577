/**
 * Edges routed through the lanes a layout kept for them (fast-layered.ts): the canvas and the
 * SVG export draw an edge that spans several ranks through its lane's points, so it passes beside
 * the rows it crosses instead of through their boxes.
 */

/** The key of an edge's route in LayoutResult.bends. */
export function routeKey(source: string, target: string): string {
  return `${source}\u0000${target}`;
}

/**
 * An SVG path from (x0, y0) through the bends ([x, y, x, y, ...]) to (x1, y1), top to bottom:
 * each stretch is a cubic with vertical tangents, so the curve is smooth at every bend.
 */
export function routedPath(x0: number, y0: number, bends: readonly number[], x1: number, y1: number): string {
  const xs = [x0];
  const ys = [y0];
  for (let i = 0; i + 1 < bends.length; i += 2) {
    xs.push(bends[i]!);
    ys.push(bends[i + 1]!);
  }
  xs.push(x1);
  ys.push(y1);
  const f = (v: number) => Math.round(v * 10) / 10;
  let d = `M${f(x0)},${f(y0)}`;
  for (let i = 1; i < xs.length; i++) {
    const mid = (ys[i - 1]! + ys[i]!) / 2;
    d += ` C${f(xs[i - 1]!)},${f(mid)} ${f(xs[i]!)},${f(mid)} ${f(xs[i]!)},${f(ys[i]!)}`;
  }
  return d;
}
