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
  if (pack.transparentOps.includes(node.opType) && (node.domain === '' || node.domain === 'ai.onnx'))
    return { kind: 'transparent' };
  // Data movement on a constant weight, folded into its consumer: not a node the backend runs.
  if (node.folded) return { kind: 'transparent' };
  if (node.fusedAs) {
    const fused = lookup(pack, node.fusedAs, '');
    if (fused?.qnnOp) return { kind: 'mapped', qnnOp: fused.qnnOp, mapping: fused };
  }
  const mapping = lookup(pack, node.opType, node.domain);
  if (!mapping || mapping.qnnOp === null) return { kind: 'unsupported', mapping };
  let qnnOp: string = mapping.qnnOp;
  if (mapping.byRank) {
    // The data rank is often unknown in exported graphs; a conv weight has the same rank.
    const rank = rankOf(node, 0) ?? rankOf(node, 1);
    const byRank = rank === undefined ? undefined : mapping.byRank[String(rank)];
    if (byRank === null) return { kind: 'unsupported', mapping };
    if (byRank) qnnOp = byRank;
  }
  if (node.opType === 'MatMul' && pack.backend === 'htp') {
    // ONNX Runtime's matmul_op_builder.cc CheckInputs: a constant B of rank 1 or 2 makes a
    // FullyConnected, unless A is per-channel with rank > 2.
    const a = node.inputs.find((p) => p.index === 0);
    const b = node.inputs.find((p) => p.index === 1);
    const aPerChannel = a?.encoding && a.encoding.granularity !== 'per-tensor' && (a.shape?.length ?? 0) > 2;
    if (b?.constant && (b.shape?.length === 2 || b.shape?.length === 1) && !aPerChannel) qnnOp = 'FullyConnected';
  }
  if (qnnOp === 'Conv2d' && pack.constraints.DepthWiseConv2d) {
    // group == C_in == C_out on a 2-D conv: QNN's DepthWiseConv2d (conv_op_builder.cc, op_conv.py).
    const w = node.inputs.find((p) => p.index === 1)?.shape;
    const group = node.attrs?.group;
    if (w?.length === 4 && typeof group === 'number' && group > 1 && w[0] === group && w[1] === 1)
      qnnOp = 'DepthWiseConv2d';
  }
  return { kind: 'mapped', qnnOp, mapping };
}
