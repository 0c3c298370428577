/**
 * The quantized-graph view the validator checks: every compute node with the encoding of each
 * port, whatever the encodings came from (QDQ nodes, an AIMET file, the quantizer's plan).
 */
import type { Dim } from '../model/types';
import type { QuantEncoding } from '../encoding/encoding';
import type { Flow } from '../../../rules/types';
import type { DynamicShapes } from './dynamic';

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
  /**
   * The encoding was not written on this tensor but carried over from the input of a data-movement
   * op (Reshape, Transpose, ...), as the converters propagate it.
   */
  inherited?: boolean;
  /**
   * For an inherited encoding: the op types it was carried through since its last Q/DQ, in order
   * (ONNX Runtime moves Q/DQ across some of them only: its QDQPropagationTransformer).
   */
  inheritedThrough?: string[];
  /** Outputs: some consumer reads the float tensor itself (not through a QuantizeLinear). */
  feedsFloat?: boolean;
  /** Outputs: the tensor is a graph output. */
  graphOutput?: boolean;
  /**
   * Outputs: the graph output made of this tensor by its QuantizeLinear (or by the Q → DQ pair
   * after it). That tensor has no port of its own; it carries this port's encoding.
   */
  quantizedAs?: string;
  /** Inputs: data-movement ops folded into this constant weight (e.g. `Transpose` of a Linear weight). */
  foldedThrough?: string[];
  /** Element type at the port when known (declared, a constant's, or float32 after a DQ). */
  dtype?: string;
  /** Inputs read through a Q → DQ pair: the tensor before the Q (its producer's output). */
  from?: string;
  /**
   * The encoding ONNX Runtime gives this tensor where it differs from `encoding`: its
   * DoubleQDQPairsRemover merges back-to-back Q/DQ pairs into one over the range both represent
   * (from-qdq.ts, ortMergedStages).
   */
  ortEncoding?: QuantEncoding;
  /** Inputs: the values of a small integer constant (shapes, axes, pads), for limits that read them. */
  values?: number[];
}

/** Ports that carry indices, shapes, axes or booleans, or parameters folded in float, never quantized data. */
export function isIndexPort(opType: string, direction: 'input' | 'output', index: number): boolean {
  if (direction === 'output')
    return (
      [
        'ArgMax',
        'ArgMin',
        'Shape',
        'Size',
        'NonZero',
        'Equal',
        'Greater',
        'GreaterOrEqual',
        'Less',
        'LessOrEqual',
        'Not',
        'And',
        'Or',
        'Xor',
        'IsNaN',
        'IsInf',
      ].includes(opType) ||
      (opType === 'TopK' && index === 1)
    );
  switch (opType) {
    case 'Gather':
    case 'GatherElements':
    case 'GatherND':
    case 'ScatterElements':
    case 'ScatterND':
    case 'TopK':
    case 'CumSum':
    case 'Expand':
    case 'Tile':
    case 'Reshape':
    case 'Squeeze':
    case 'Unsqueeze':
      return index === 1;
    case 'Slice':
    case 'Pad':
    case 'Split':
    case 'ReduceMean':
    case 'ReduceSum':
    case 'ReduceMax':
    case 'ReduceMin':
    case 'ReduceProd':
    case 'ReduceL2':
      return index >= 1 && !(opType === 'Pad' && index === 2);
    case 'Resize':
      return index >= 1;
    case 'Upsample':
      // Resize's forerunner (opset 7-9; PyTorch exports nn.Upsample so at opset 9): its scales,
      // a float Constant, quantized to uint8 read 0.996 where they said 1, and onnxruntime refused
      // the export ("Scale value should be greater than or equal to 1").
      return index >= 1;
    case 'Dropout':
      // The ratio and training_mode: parameters of an op inference skips.
      return index >= 1;
    case 'OneHot':
      // The depth and the [off, on] values: QNN's OneHot takes them as parameters (onnxruntime-qnn's
      // OneHotOpBuilder reads both from constants, dequantizing quantized values).
      return index >= 1;
    case 'Clip':
      // The bounds are the op's parameters: QNN's ReluMinMax takes them as float scalars (ONNX
      // Runtime's clip_op_builder.cc dequantizes quantized ones back), and ONNX Runtime's quantizer
      // quantizes only the data (QDQRemovableActivation). Quantized with the data's neighbours, an
      // unbounded max (PyTorch's clamp(min=...) exports +inf) became the top of a tiny range.
      return index >= 1;
    case 'Where':
      return index === 0;
    case 'BatchNormalization':
      // The running mean and variance are folded into the scale and bias by the converter
      // (ExecuTorch's op_batch_norm.py builder, ONNX Runtime's batchnormalization_op_builder.cc);
      // ONNX Runtime's quantizer leaves them float (QDQNormalization). Quantized to 8 bits, a
      // variance spread over orders of magnitude loses its small channels.
      return index >= 3;
    case 'ConstantOfShape':
    case 'Range':
      return true;
    case 'MatMulNBits':
      // ONNX Runtime's contrib op carries its weight quantized in its own format: the packed
      // weight, its scales and zero points (and g_idx, bias) are the node's parameters, read as
      // they are; only A is data.
      return index >= 1;
    default:
      return false;
  }
}

/** Whether a port's element type is known and not floating point. */
export function isNonFloatDtype(dtype: string | undefined): boolean {
  return dtype !== undefined && !dtype.startsWith('float') && dtype !== 'bfloat16' && dtype !== 'undefined';
}

/** An attribute value as rules read it (a binary string attribute: its length in bytes). */
export type QAttr = number | string | number[] | string[];

export interface QNode {
  /** Node id in the model (see core/model/types NodeId). */
  id: string;
  /** The ONNX node name, or `<OpType>_<index>` when it has none. */
  name: string;
  opType: string;
  domain: string;
  inputs: QPort[];
  outputs: QPort[];
  /** Scalar and list attributes (tensors and graphs left out). */
  attrs?: Record<string, QAttr>;
  /** Data-movement on a constant, folded into its consumer's weight port: not a compute node. */
  folded?: boolean;
  /** The op a fused pattern turns this node into (an Erf inside a GELU pattern becomes Gelu). */
  fusedAs?: string;
  /**
   * The flows that fuse it, where not every flow does: ONNX Runtime's QNN EP fuses a written-out
   * GELU between quantized tensors only where each of its nodes is a QDQ node group.
   */
  fusedBy?: Flow[];
  /**
   * Flows that rewrite this node's rank-6 tensors to rank 5 (ONNX Runtime's rank-6 fusions), and
   * what that takes which the graph does not show (a dimension's size, when it declares none); or,
   * with no flow, why ONNX Runtime does not rewrite them (the sizes it sees).
   */
  rank5By?: { flows: Flow[]; assumes?: string; refused?: string };
}

export interface QGraph {
  nodes: QNode[];
  /** How the encodings were obtained, for the report. */
  source: 'qdq' | 'aimet' | 'quantizer' | 'float';
  /** True when at least one port carries an encoding. */
  quantized: boolean;
  /**
   * Tensors computed only from constants and static shapes (Shape → Gather → Concat → Reshape):
   * converters and ONNX Runtime fold them, so they count as constants.
   */
  staticTensors?: string[];
  /** Float tensors inside patterns the toolchains fuse (fusions.ts), with the flows that fuse each. */
  fusedTensors?: Record<string, Flow[]>;
  /**
   * Those of them ONNX Runtime quantizes rather than fuses (its QDQ propagation puts a Q/DQ pair
   * on them), with what it does.
   */
  ortQuantized?: Record<string, string>;
  /**
   * MatMul products read by the Add of their bias that every flow fuses (fusions.ts): the quantizer
   * quantizes them all the same.
   */
  matmulAddProducts?: string[];
  /**
   * Float tensors of a HardSigmoid × x or written-out GELU whose x is float: ONNX Runtime fuses
   * the pattern only while x stays float (fusions.ts), so a quantized export for it quantizes them.
   */
  ortFusesWhileFloat?: string[];
  /** Float tensors the converters fuse away and ONNX Runtime does not, with why (fusions.ts). */
  ortUnfused?: Record<string, string>;
  /** Tensors whose size is not fixed before a run, and why (dynamic.ts); absent when there are none. */
  dynamic?: DynamicShapes;
  /**
   * The model's ai.onnx opset: an attribute an op gained later has no value below it, and the op
   * behaves as it did then (RoiAlign before 16 shifts no pixels, as "output_half_pixel" says).
   */
  opset?: number;
  /**
   * The ai.onnx opset the deployed model has, where it differs from `opset`: the quantizer's
   * export, raised (an opset-11 MaxPool exports as MaxPool-12). An op's version follows it; what an
   * unset attribute means still follows `opset`, since the raise writes the old meaning out.
   */
  deployedOpset?: number;
}

/** Ops whose output depends only on the static shape of their input, not on its values. */
export const SHAPE_OPS = new Set(['Shape', 'Size']);

/**
 * Marks shape computations as folded and lists the tensors they make: a node is static when it
 * reads only a tensor's shape, or only constants and static tensors. QNN needs static shapes
 * (the converter takes input dims; ONNX Runtime's QNN EP needs fixed dims), so they fold.
 */
export function foldStatic(nodes: QNode[]): string[] {
  const statics = new Set<string>();
  for (const n of nodes) {
    if (n.outputs.length === 0) continue;
    const isStatic =
      (n.domain === '' || n.domain === 'ai.onnx') &&
      (SHAPE_OPS.has(n.opType) || (n.inputs.length > 0 && n.inputs.every((p) => p.constant || statics.has(p.tensor))));
    if (!isStatic) continue;
    n.folded = true;
    for (const o of n.outputs) statics.add(o.tensor);
  }
  return [...statics];
}

/** The display name rule of the report schema: the node's name, or `<OpType>_<index>`. */
export function displayName(name: string, opType: string, index: number): string {
  return name || `${opType}_${index}`;
}

/** Which role a node's input plays, by op type and position. */
export function inputRole(opType: string, index: number, constant: boolean): PortRole {
  switch (opType) {
    case 'Conv':
    case 'ConvTranspose':
    case 'Gemm':
      return index === 1 ? 'weight' : index === 2 ? 'bias' : 'activation';
    case 'LayerNormalization':
    case 'BatchNormalization':
    case 'InstanceNormalization':
    case 'GroupNormalization':
      return index === 1 ? 'weight' : index === 2 ? 'bias' : 'activation';
    case 'RMSNormalization':
      return index === 1 ? 'weight' : 'activation';
    case 'MatMul':
    case 'FusedMatMul':
      return index === 1 && constant ? 'weight' : 'activation';
    default:
      return 'activation';
  }
}

/** The attributes rules read: numbers, strings and lists of them. */
export function simpleAttrs(
  attributes: readonly { name: string; attr: { type: string; value: unknown } }[],
): Record<string, QAttr> {
  const out: Record<string, QAttr> = {};
  for (const a of attributes) {
    const { type, value } = a.attr;
    if (
      type === 'int' ||
      type === 'float' ||
      type === 'string' ||
      type === 'ints' ||
      type === 'floats' ||
      type === 'strings'
    )
      out[a.name] = value as QAttr;
    // Binary data (an embedded context binary) by its length in bytes.
    else if (type === 'bytes') out[a.name] = value as number;
  }
  return out;
}

/**
 * The output-channel axis of a weight for its consumer: 0 for Conv and Gemm with transB, 1 for
 * ConvTranspose and Gemm without, the last dimension for a MatMul weight.
 */
export function outChannelAxis(
  opType: string,
  attrs: Record<string, QAttr> | undefined,
  weightRank: number | undefined,
): number {
  switch (opType) {
    case 'ConvTranspose':
      return 1;
    case 'MatMul':
    case 'FusedMatMul':
      return weightRank ? weightRank - 1 : 1;
    case 'Gemm':
      return attrs?.transB === 1 ? 0 : 1;
    default:
      return 0;
  }
}

/** The input-channel axis of a weight, along which blocks run: Conv 1, ConvTranspose 0, MatMul rank−2, Gemm transB ? 1 : 0. */
export function inChannelAxis(
  opType: string,
  attrs: Record<string, QAttr> | undefined,
  weightRank: number | undefined,
): number {
  switch (opType) {
    case 'ConvTranspose':
      return 0;
    case 'MatMul':
    case 'FusedMatMul':
      return weightRank ? weightRank - 2 : 0;
    case 'Gemm':
      return attrs?.transB === 1 ? 1 : 0;
    default:
      return 1;
  }
}
