/**
 * The quantized-graph view the validator checks: every compute node with the encoding of each
 * port, whatever the encodings came from (QDQ nodes, an AIMET file, the quantizer's plan).
 */
import type { Dim } from '../model/types';
import { describeEncoding, type QuantEncoding } from '../encoding/encoding';

export type PortRole = 'activation' | 'weight' | 'bias';

export interface QPort {
  /** Position among the node's inputs or outputs. */
  index: number;
  /** The tensor the compute node reads or writes (for QDQ: the float tensor between DQ/Q and the node). */
  tensor: string;
  role: PortRole;
  /** Whether the value is a constant (initializer or Constant output). */
  constant: boolean;
  /** Undefined when the port is not quantized (stays float). */
  encoding?: QuantEncoding;
  /** Shape of the underlying tensor (for weights: the initializer's dims). */
  shape?: Dim[];
  /** Why no encoding could be read, when it should have been (e.g. scales in missing external data). */
  note?: string;
}

export interface QNode {
  /** Node id in the model (see core/model/types NodeId). */
  id: string;
  /** The ONNX node name, or `<OpType>_<index>` when it has none. */
  name: string;
  opType: string;
  domain: string;
  inputs: QPort[];
  outputs: QPort[];
}

export interface QGraph {
  nodes: QNode[];
  /** How the encodings were obtained, for the report. */
  source: 'qdq' | 'aimet' | 'quantizer' | 'float';
  /** True when at least one port carries an encoding. */
  quantized: boolean;
}

/** The display name rule of the report schema: the node's name, or `<OpType>_<index>`. */
export function displayName(name: string, opType: string, index: number): string {
  return name || `${opType}_${index}`;
}

/** Which role a node's input plays, by op type and position. */
export function inputRole(opType: string, index: number, constant: boolean): PortRole {
  switch (opType) {
    case 'Conv': case 'ConvTranspose': case 'Gemm':
      return index === 1 ? 'weight' : index === 2 ? 'bias' : 'activation';
    case 'LayerNormalization': case 'BatchNormalization': case 'InstanceNormalization': case 'GroupNormalization':
      return index === 1 ? 'weight' : index === 2 ? 'bias' : 'activation';
    case 'RMSNormalization':
      return index === 1 ? 'weight' : 'activation';
    case 'MatMul':
      return index === 1 && constant ? 'weight' : 'activation';
    default:
      return 'activation';
  }
}

/** Tensor name → a short description of its encoding, from every port of the graph. */
export function tensorEncodingLabels(graph: QGraph): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of graph.nodes) {
    for (const p of [...n.inputs, ...n.outputs]) if (p.encoding && !(p.tensor in out)) out[p.tensor] = describeEncoding(p.encoding);
  }
  return out;
}
