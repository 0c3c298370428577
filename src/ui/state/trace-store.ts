/**
 * The error trace's marks on the graph: the drawn nodes where the SQNR falls (ErrorSource), kept
 * apart from the quantizer's state, whose progress changes many times a run, so that a drawn node
 * re-renders only when its own mark changes.
 */
import { create } from 'zustand';

export interface LossMark {
  /** dB lost against the node's inputs, and the SQNR its output keeps. */
  drop: number;
  db: number;
}

export const useTraceMarks = create<{ byNode: ReadonlyMap<string, LossMark> }>()(() => ({ byNode: new Map() }));

/** Marks these drawn nodes (the largest loss where a node has two), or none. */
export function setTraceMarks(marks: readonly (LossMark & { node: string })[]): void {
  const byNode = new Map<string, LossMark>();
  for (const m of marks) {
    const had = byNode.get(m.node);
    if (!had || had.drop < m.drop) byNode.set(m.node, { drop: m.drop, db: m.db });
  }
  useTraceMarks.setState({ byNode });
}
