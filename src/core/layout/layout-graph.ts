/**
 * Top-to-bottom layered layout of a graph view. Pure and synchronous; the app runs it in a
 * worker (src/worker/layout.worker.ts). One engine for every size: the iterative layered layout
 * (fast-layered.ts). dagre, used here for graphs up to 150 nodes until now, took 4-42 ms for
 * 10-24 nodes and 25-110 ms for ResNet-18's 51-node drawing (under 1 ms for this one), grew
 * super-linearly, and overflowed the stack on deep chains.
 */
import { fastLayered } from './fast-layered';
import type { LayoutInput, LayoutResult } from './types';

export type { LayoutInput, LayoutResult } from './types';

export function layoutGraph(input: LayoutInput): LayoutResult {
  return fastLayered(input);
}
