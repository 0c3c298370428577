/**
 * Who produces and who reads each tensor of a graph, built once per graph and shared: the check
 * (qgraph) and the drawing (graph-view) both need the producers, the derived calibration ranges
 * and the error trace both the readers, and on a 100k-node graph each map of 150k names cost
 * 50-100 ms to build. Graphs are not changed after they are read, so the index stays valid.
 */
import type { Graph, Node } from './types';

const cache = new WeakMap<Graph, Map<string, Node>>();

/** Tensor name -> the node of this graph that outputs it (graph inputs and initializers have none). */
export function producerIndex(graph: Graph): Map<string, Node> {
  let producer = cache.get(graph);
  if (!producer) {
    producer = new Map();
    for (const n of graph.nodes) for (const o of n.outputs) if (o) producer.set(o, n);
    cache.set(graph, producer);
  }
  return producer;
}

const readerCache = new WeakMap<Graph, Map<string, Node[]>>();

/**
 * Tensor name -> the nodes of this graph that read it, in graph order (a node reading it twice is
 * listed twice); a tensor nothing reads is absent.
 */
export function readerIndex(graph: Graph): Map<string, Node[]> {
  let readers = readerCache.get(graph);
  if (!readers) {
    readers = new Map();
    for (const n of graph.nodes)
      for (const t of n.inputs) {
        if (!t) continue;
        const list = readers.get(t);
        if (list) list.push(n);
        else readers.set(t, [n]);
      }
    readerCache.set(graph, readers);
  }
  return readers;
}
