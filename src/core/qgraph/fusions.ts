/**
 * Patterns the toolchains fuse into one quantized node, so that the float tensors between their
 * nodes never exist on the NPU. Exporters leave them split (PyTorch's Conv/Add → ReLU before one
 * Q, opset-13 HardSwish as HardSigmoid × x, GELU as Div/Erf/Add/Mul/Mul, Linear on 3-D input as
 * MatMul + Add); reading them as float islands would be a false finding.
 *
 * - Any op → Relu/Clip whose output is quantized: the Q makes the activation redundant (ONNX
 *   Runtime qnn_node_group/conv_activation_fusion.cc for Conv, its ReluQuantFusion in general;
 *   the QNN converter folds activations into their producer; PyTorch quantizes op+relu as one).
 * - HardSigmoid → Mul(x): HardSwish (qnn_node_group/hardsigmoid_mul_fusion.cc).
 * - Div → Erf → Add → Mul (→ Mul): GELU (qnn_node_group/gelu_fusion.cc); QNN has no Erf op.
 * - MatMul(constant B) → Add(constant bias): FullyConnected with bias under the QNN converter
 *   and ExecuTorch (nn.Linear is one op); ONNX Runtime's QNN EP keeps them two nodes.
 */
import { FLOWS, type Flow } from '../../../rules/types';
import type { QNode } from './qgraph';

const ALL: readonly Flow[] = FLOWS;

export interface Fusions {
  /** Float tensors inside a fused pattern, with the flows that fuse it. */
  tensors: Map<string, readonly Flow[]>;
  /** Node id → the op its pattern becomes (Erf in a GELU pattern → Gelu). */
  nodes: Map<string, string>;
}

const add = (m: Map<string, QNode[]>, key: string, n: QNode) => {
  const list = m.get(key);
  if (list) list.push(n);
  else m.set(key, [n]);
};

export function findFusions(nodes: readonly QNode[]): Fusions {
  const readers = new Map<string, QNode[]>();
  /** Readers through a Q/DQ pair, by the compute producer's output (`from`). */
  const quantizedReaders = new Map<string, QNode[]>();
  const producer = new Map<string, QNode>();
  for (const n of nodes) {
    for (const p of n.inputs) {
      add(readers, p.tensor, n);
      add(quantizedReaders, p.from ?? p.tensor, n);
    }
    for (const p of n.outputs) producer.set(p.tensor, n);
  }
  const tensors = new Map<string, readonly Flow[]>();
  const fusedNodes = new Map<string, string>();
  /**
   * The single reader of a node's only output (not a graph output), also through its Q/DQ pair:
   * ONNX Runtime's quantizer and its fusion tests quantize every tensor inside a GELU, and its QNN
   * EP fuses the QDQ form too.
   */
  const onlyReaderThroughQdq = (n: QNode): QNode | undefined => {
    const o = n.outputs[0];
    if (!o || o.graphOutput || n.outputs.length !== 1) return undefined;
    const r = o.encoding ? (quantizedReaders.get(o.tensor) ?? []) : (readers.get(o.tensor) ?? []);
    return r.length === 1 ? r[0] : undefined;
  };
  /** The single reader of a float (unquantized) output. */
  const onlyReader = (n: QNode): QNode | undefined => (n.outputs[0]?.encoding ? undefined : onlyReaderThroughQdq(n));
  for (const n of nodes) {
    const next = onlyReader(n);
    if (!next) continue;
    const out = n.outputs[0]!.tensor;
    if ((next.opType === 'Relu' || next.opType === 'Clip') && next.outputs[0]?.encoding) tensors.set(out, ALL);
    else if (
      n.opType === 'HardSigmoid' &&
      next.opType === 'Mul' &&
      next.inputs.some((p) => p.tensor === n.inputs[0]?.tensor)
    )
      tensors.set(out, ALL);
    else if (
      n.opType === 'MatMul' &&
      n.inputs[1]?.constant &&
      next.opType === 'Add' &&
      next.inputs.some((p) => p.constant)
    )
      tensors.set(out, ['qnn', 'executorch']);
  }
  // GELU: x / sqrt(2) → Erf → + 1 → × x (→ × 0.5, in either order).
  for (const erf of nodes) {
    if (erf.opType !== 'Erf') continue;
    const div = producer.get(erf.inputs[0]?.from ?? erf.inputs[0]?.tensor ?? '');
    const add = onlyReaderThroughQdq(erf);
    const mul = add?.opType === 'Add' ? onlyReaderThroughQdq(add) : undefined;
    if (div?.opType !== 'Div' || !add || mul?.opType !== 'Mul' || onlyReaderThroughQdq(div) !== erf) continue;
    for (const t of [div, erf, add]) tensors.set(t.outputs[0]!.tensor, ALL);
    const last = onlyReaderThroughQdq(mul);
    if (last?.opType === 'Mul') tensors.set(mul.outputs[0]!.tensor, ALL);
    fusedNodes.set(erf.id, 'Gelu');
  }
  return { tensors, nodes: fusedNodes };
}
