/** Which backend op a node becomes, per the rule pack's op mapping. */
import type { OpMapping, RulePack } from '../../../rules/types';
import type { QNode } from '../qgraph/qgraph';

export type MapResult =
  | { kind: 'transparent' }
  | { kind: 'mapped'; qnnOp: string; mapping: OpMapping }
  | { kind: 'unsupported'; mapping?: OpMapping };

const index = new WeakMap<RulePack, Map<string, OpMapping>>();

function lookup(pack: RulePack, opType: string, domain: string): OpMapping | undefined {
  let map = index.get(pack);
  if (!map) {
    map = new Map(pack.ops.map((m) => [`${m.domain ?? ''}::${m.onnx}`, m]));
    index.set(pack, map);
  }
  const d = domain === 'ai.onnx' ? '' : domain;
  return map.get(`${d}::${opType}`);
}

function rankOf(node: QNode, port: number): number | undefined {
  return node.inputs.find((p) => p.index === port)?.shape?.length;
}

export function mapOp(pack: RulePack, node: QNode): MapResult {
  if (pack.transparentOps.includes(node.opType) && (node.domain === '' || node.domain === 'ai.onnx')) return { kind: 'transparent' };
  const mapping = lookup(pack, node.opType, node.domain);
  if (!mapping || mapping.qnnOp === null) return { kind: 'unsupported', mapping };
  let qnnOp = mapping.qnnOp;
  if (mapping.byRank) {
    // The data rank is often unknown in exported graphs; a conv weight has the same rank.
    const rank = rankOf(node, 0) ?? rankOf(node, 1);
    if (rank !== undefined && mapping.byRank[String(rank)]) qnnOp = mapping.byRank[String(rank)]!;
  }
  if (node.opType === 'MatMul') {
    // A constant rank-2 second input makes a FullyConnected, unless both inputs are 16-bit
    // activations (ONNX Runtime's QNN builder keeps MatMul there).
    const b = node.inputs.find((p) => p.index === 1);
    if (b?.constant && b.shape?.length === 2) qnnOp = 'FullyConnected';
  }
  return { kind: 'mapped', qnnOp, mapping };
}
