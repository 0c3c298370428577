/**
 * Op constraints for QNN HTP: per backend op, what each port accepts. The public per-op tables
 * of the HTP op supplement could not be retrieved (qnn-constraints.md §8), so these are assembled
 * from the code that implements them (ExecuTorch, ONNX Runtime, AIMET) and say so.
 */
import type { OpConstraint, PortSpec, Source } from '../types';
import { SRC } from './sources';

const ACT_DTYPES = ['uint8', 'int8', 'uint16', 'int16'];
/** Weights: 8-bit, 16-bit, and 4/2-bit values in an 8-bit container (or ONNX int4). */
const WEIGHT_DTYPES = ['int8', 'uint8', 'int16', 'int8:4', 'int8:2', 'int4', 'uint4'];

const act = (extra: Partial<PortSpec> = {}): PortSpec => ({ role: 'activation', dtypes: ACT_DTYPES, perTensorOnly: true, ...extra });
const weight = (extra: Partial<PortSpec> = {}): PortSpec => ({ role: 'weight', dtypes: WEIGHT_DTYPES, symmetric: true, ...extra });
const bias = (): PortSpec => ({ role: 'bias', dtypes: ['int32'], symmetric: true });
const shared = (extra: Partial<PortSpec> = {}): PortSpec => act({ mathInvariant: true, ...extra });

const SIGMOID_FIXED = { uint8: { scale: 1 / 256, zeroPoint: 0 }, uint16: { scale: 1 / 65536, zeroPoint: 0 }, int16: { scale: 1 / 32768, zeroPoint: 0 } };
const TANH_FIXED = { uint16: { scale: 1 / 32768, zeroPoint: 32768 }, int16: { scale: 1 / 32768, zeroPoint: 0 } };

const c = (qnnOp: string, inputs: PortSpec[], outputs: PortSpec[], source: Source = SRC.etRules): OpConstraint => ({ qnnOp, inputs, outputs, source });

const simple = ['Relu', 'ReluMinMax', 'HardSwish', 'Gelu', 'Elu', 'Softmax', 'LogSoftmax', 'PoolMax2d', 'PoolAvg2d', 'PoolAvg3d', 'Resize', 'StridedSlice', 'Pad', 'ReduceMean', 'ReduceSum', 'ReduceMax', 'ReduceMin', 'CumulativeSum', 'ElementWiseSquareRoot', 'ElementWiseExp', 'ElementWiseLog', 'ElementWiseNeg', 'ElementWiseAbs', 'ElementWiseFloor', 'ElementWiseCeil', 'ElementWiseRound', 'ElementWiseSign', 'ElementWiseSin', 'ElementWiseCos', 'ElementWiseAtan', 'ElementWiseAsin'];
const binary = ['ElementWiseAdd', 'ElementWiseSubtract', 'ElementWiseMultiply', 'ElementWiseDivide', 'ElementWisePower', 'ElementWiseMaximum', 'ElementWiseMinimum', 'Prelu'];

export const HTP_CONSTRAINTS: Record<string, OpConstraint> = Object.fromEntries([
  c('Conv2d', [act(), weight({ axis: 0 }), bias()], [act()], SRC.etReadmeConv),
  c('Conv3d', [act(), weight({ axis: 0 }), bias()], [act()], SRC.etReadmeConv),
  c('TransposeConv2d', [act(), weight({ axis: 1 }), bias()], [act()], SRC.etQconfig),
  c('TransposeConv3d', [act(), weight({ axis: 1 }), bias()], [act()], SRC.etQconfig),
  // Per-tensor weights: AIMET's HTP configs turn per-channel off for Gemm and MatMul, and ONNX
  // Runtime forces per-tensor MatMul initializers; ExecuTorch does quantize nn.Linear per channel.
  c('FullyConnected', [act(), weight({ perTensorOnly: true }), bias()], [act()], { ...SRC.aimetHtp, note: 'ExecuTorch quantizes nn.Linear per channel (is_linear_per_channel) and lowers it to FullyConnected; AIMET and ONNX Runtime keep Gemm/MatMul weights per tensor.' }),
  c('MatMul', [act(), act({ symmetricDtypes: ['int16'] })], [act()], SRC.ortMatMul),
  c('LayerNorm', [act(), { role: 'weight', dtypes: [...ACT_DTYPES], perTensorOnly: true }, { role: 'bias', dtypes: ['int32', ...ACT_DTYPES], perTensorOnly: true }], [act()], SRC.aimetHtp),
  c('Batchnorm', [act(), { role: 'weight', dtypes: [...ACT_DTYPES, 'int8'], perTensorOnly: true }, { role: 'bias', dtypes: ['int32', ...ACT_DTYPES], perTensorOnly: true }], [act()], SRC.aimetHtp),
  c('InstanceNorm', [act(), { role: 'weight', dtypes: WEIGHT_DTYPES, perTensorOnly: true }, { role: 'bias', dtypes: ['int32', ...ACT_DTYPES], perTensorOnly: true }], [act()], SRC.aimetHtp),
  c('GroupNorm', [act(), { role: 'weight', dtypes: WEIGHT_DTYPES, perTensorOnly: true }, { role: 'bias', dtypes: ['int32', ...ACT_DTYPES], perTensorOnly: true }], [act()], SRC.aimetHtp),
  c('RmsNorm', [act(), { role: 'weight', dtypes: ACT_DTYPES, perTensorOnly: true }], [act()]),
  c('Sigmoid', [act()], [act({ fixed: SIGMOID_FIXED })], { ...SRC.etRules, note: 'uint16 and int16 values agree with ONNX Runtime (simple_op_builder.cc); uint8 1/256 is ExecuTorch\'s FixedQParamsObserver.' }),
  c('ElementWiseNeuron', [act()], [act({ fixed: SIGMOID_FIXED })]),
  c('Tanh', [act()], [act({ fixed: TANH_FIXED })], { ...SRC.ortSimpleOp, note: 'ExecuTorch fixes Tanh only at 16 bit; no source gives an 8-bit value.' }),
  c('Reshape', [act()], [shared()]),
  c('Transpose', [act()], [shared()]),
  c('DepthToSpace', [act()], [shared()]),
  c('SpaceToDepth', [act()], [shared()]),
  c('Tile', [act()], [shared()]),
  c('Gather', [act({ perTensorOnly: true })], [shared()], SRC.ortRegistry),
  c('Split', [act()], [shared({ variadic: true })]),
  c('TopK', [act()], [shared()], { ...SRC.etRules, note: 'QNN requires TopK/Sort output 0 to share the input quantization (htp_rules.py GetItem comment).' }),
  c('Pack', [act({ variadic: true })], [shared()]),
  c('ChannelShuffle', [act()], [shared()]),
  c('Concat', [act({ variadic: true })], [act()]),
  ...simple.map((op) => c(op, [act()], [act()])),
  ...binary.map((op) => c(op, [act(), act()], [act()])),
].map((x) => [x.qnnOp, x]));
