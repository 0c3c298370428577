/**
 * The delegation map: which compute nodes the chosen flow would run on the NPU, which not, and
 * how the NPU nodes fall into partitions (connected sub-graphs, as ONNX Runtime's QNN EP cuts a
 * model at every node it does not take). A node leaves the NPU when one of its findings says
 * `cpu-fallback` or `rejected`. A `rejected` node is not cut out: the flow refuses the model
 * (the QNN converter stops at it), so nothing runs on the NPU until it is fixed.
 */
import type { Flow } from '../../../rules/types';
import type { QGraph } from '../qgraph/qgraph';
import { refusalText, type Finding } from './finding';

export interface Delegation {
  /** Compute nodes the backend would run (transparent and folded nodes left out). */
  nodes: number;
  /** Nodes that run on the NPU: none when the flow rejects the model. */
  onNpu: number;
  offNpu: number;
  /** Connected groups of NPU nodes (none when the flow rejects the model). */
  partitions: number;
  /**
   * Nodes whose finding says `rejected`: the flow does not produce a model at all (the QNN
   * converter fails at the first), so `onNpu` and `partitions` are 0 while there are any.
   */
  rejected: number;
  /** Node ids the flow does not take, rejected or left to the CPU (for the graph's colouring). */
  offNpuIds: string[];
  /**
   * When there is more than one partition: each NPU node's partition, numbered 1.. in graph
   * order (for outlining the partitions on the graph).
   */
  partitionOf?: Record<string, number>;
}

const OFF = new Set(['cpu-fallback', 'rejected']);

/** Predicts delegation from a validated graph: `counted` are the node ids the validator checked. */
export function predictDelegation(
  graph: QGraph,
  counted: ReadonlySet<string>,
  findings: readonly Finding[],
): Delegation {
  const off = new Set<string>();
  const refused = new Set<string>();
  for (const f of findings) {
    if (!OFF.has(f.outcome)) continue;
    for (const id of f.nodeIds ?? (f.nodeId ? [f.nodeId] : [])) {
      off.add(id);
      if (f.outcome === 'rejected') refused.add(id);
    }
  }
  const nodes = graph.nodes.filter((n) => counted.has(n.id));
  const rejected = nodes.filter((n) => refused.has(n.id)).length;
  const offNpuIds = nodes.filter((n) => off.has(n.id)).map((n) => n.id);
  if (rejected) return { nodes: nodes.length, onNpu: 0, offNpu: nodes.length, partitions: 0, rejected, offNpuIds };
  const npu = nodes.filter((n) => !off.has(n.id));
  // Union NPU nodes that meet at a tensor (through the Q/DQ pairs between them).
  const parent = new Map(npu.map((n) => [n.id, n.id]));
  const find = (id: string): string => {
    let p = parent.get(id)!;
    while (p !== parent.get(p)) p = parent.get(p)!;
    parent.set(id, p);
    return p;
  };
  const producerOf = new Map<string, string>();
  for (const n of npu) for (const o of n.outputs) producerOf.set(o.tensor, n.id);
  for (const n of npu) {
    for (const i of n.inputs) {
      const p = producerOf.get(i.from ?? i.tensor);
      if (p) parent.set(find(n.id), find(p));
    }
  }
  const number = new Map<string, number>();
  for (const n of npu) {
    const root = find(n.id);
    if (!number.has(root)) number.set(root, number.size + 1);
  }
  let partitionOf: Record<string, number> | undefined;
  if (number.size > 1) {
    partitionOf = {};
    for (const n of npu) partitionOf[n.id] = number.get(find(n.id))!;
  }
  return {
    nodes: nodes.length,
    onNpu: npu.length,
    offNpu: nodes.length - npu.length,
    partitions: number.size,
    rejected: 0,
    offNpuIds,
    ...(partitionOf ? { partitionOf } : {}),
  };
}

/**
 * "12 of 14 nodes on the NPU in 2 partitions; 2 on the CPU", or, when the flow
 * refuses the model, "conversion fails at 1 of 14 nodes: none runs on the NPU until it is fixed".
 */
export function delegationText(
  d: Pick<Delegation, 'nodes' | 'onNpu' | 'offNpu' | 'partitions' | 'rejected'>,
  flow?: Flow,
): string {
  if (d.nodes === 0) return 'no compute nodes';
  const fails = refusalText(flow);
  if (d.rejected)
    return `${fails} at ${d.rejected} of ${d.nodes} node${d.nodes === 1 ? '' : 's'}: none runs on the NPU until ${d.rejected === 1 ? 'it is' : 'they are'} fixed`;
  const on = `${d.onNpu} of ${d.nodes} node${d.nodes === 1 ? '' : 's'} on the NPU${d.onNpu ? ` in ${d.partitions} partition${d.partitions === 1 ? '' : 's'}` : ''}`;
  return d.offNpu ? `${on}; ${d.offNpu} on the CPU` : on;
}
