/**
 * Op constraints for QNN HTP: per backend op, what each port accepts, and what kind of fact each
 * limit is. The public per-op tables of the HTP op supplement could not be retrieved
 * (only its Argmax section is public), so these are assembled from the code that implements them
 * (ExecuTorch, ONNX Runtime's QNN EP, AIMET) and say so.
 */
import type { FixedEncoding, OpConstraint, PortSpec, Source } from '../types';
import { SRC } from './sources';

const ACT_DTYPES = ['uint8', 'int8', 'uint16', 'int16'];
/**
 * Weights: 8- and 16-bit, and 4/2-bit values in an 8-bit container (or ONNX int4/int2). uint16
 * weights are accepted per tensor: ONNX Runtime converts them to symmetric int16.
 */
const WEIGHT_DTYPES = ['int8', 'uint8', 'int16', 'uint16', 'int8:4', 'int8:2', 'int4', 'uint4', 'int2', 'uint2'];

const act = (extra: Partial<PortSpec> = {}): PortSpec => ({
  role: 'activation',
  dtypes: ACT_DTYPES,
  perTensorOnly: true,
  ...extra,
});
/**
 * A weight must be symmetric only when it is per-channel, per-block or LPBQ, or int16 (the HTP
 * supplement as ExecuTorch's README cites it: "must be symmetrically quantized if per-channel
 * observer is applied"). Per-tensor uint8 asymmetric weights are ONNX Runtime's default QNN config
 * and run fully on HTP in its tests (conv_test.cc ConvU8U8S32_*).
 */
const weight = (extra: Partial<PortSpec> = {}): PortSpec => ({
  role: 'weight',
  dtypes: WEIGHT_DTYPES,
  symmetricGranularities: ['per-channel', 'per-block', 'lpbq'],
  symmetricDtypes: ['int16'],
  perTensorOnlyDtypes: ['uint16'],
  ...extra,
});
const bias = (): PortSpec => ({ role: 'bias', dtypes: ['int32'], symmetric: true });
const shared = (extra: Partial<PortSpec> = {}): PortSpec => act({ mathInvariant: true, ...extra });

/** ExecuTorch's FixedQParamsObserver choice at 8 bits; ONNX Runtime's HTP tests run calibrated 8-bit outputs fully. */
const ET_8BIT: FixedEncoding['effect'] = { kind: 'toolchain-default' };
/** A 16-bit Sigmoid/Tanh output the HTP requires; ONNX Runtime overrides it in place (simple_op_builder.cc OverrideQuantParams). */
const HTP_16BIT: FixedEncoding['effect'] = { kind: 'toolchain-repair', repairedBy: ['ort'] };
const ET_NOTE =
  "ExecuTorch's FixedQParamsObserver value, not a QNN requirement: ONNX Runtime's HTP tests (simple_op_test.cc UnaryOp_Sigmoid, UnaryOp_HardSigmoid_QU8/QU16) run calibrated outputs fully.";
const ORT_NOTE =
  "The HTP validator rejects other values under the QNN converter; ONNX Runtime's QNN EP overrides them (the output range changes).";

const SIGMOID_FIXED = {
  uint8: { scale: 1 / 256, zeroPoint: 0, effect: ET_8BIT, note: ET_NOTE },
  uint16: { scale: 1 / 65536, zeroPoint: 0, effect: HTP_16BIT, note: ORT_NOTE },
  int16: { scale: 1 / 32768, zeroPoint: 0, effect: HTP_16BIT, note: ORT_NOTE },
};
/** ONNX Runtime does not override HardSigmoid; its QU8 and QU16 HTP tests pass with calibrated outputs. */
const HARD_SIGMOID_FIXED = {
  uint8: { scale: 1 / 256, zeroPoint: 0, effect: ET_8BIT, note: ET_NOTE },
  uint16: { scale: 1 / 65536, zeroPoint: 0, effect: ET_8BIT, note: ET_NOTE },
};
const TANH_FIXED = {
  uint16: { scale: 1 / 32768, zeroPoint: 32768, effect: HTP_16BIT, note: ORT_NOTE },
  int16: { scale: 1 / 32768, zeroPoint: 0, effect: HTP_16BIT, note: ORT_NOTE },
};

/** 8-bit BatchNorm/InstanceNorm scales must be uint8; ONNX Runtime converts an int8 scale. */
const NORM_UINT8 = {
  dtypes: ['int8'],
  to: 'uint8',
  effect: { kind: 'toolchain-repair' as const, repairedBy: ['ort' as const] },
  source: SRC.etBatchNorm,
};
const normWeight = (extra: Partial<PortSpec> = {}): PortSpec => ({
  role: 'weight',
  dtypes: ['uint8', 'uint16', 'int16'],
  perTensorOnly: true,
  convertedDtypes: NORM_UINT8,
  ...extra,
});
const normBias = (): PortSpec => ({ role: 'bias', dtypes: ['int32', ...ACT_DTYPES], perTensorOnly: true });

const c = (qnnOp: string, inputs: PortSpec[], outputs: PortSpec[], source: Source = SRC.etRules): OpConstraint => ({
  qnnOp,
  inputs,
  outputs,
  source,
});

const simple = [
  'Relu',
  'ReluMinMax',
  'HardSwish',
  'Gelu',
  'Elu',
  'Softmax',
  'LogSoftmax',
  'PoolAvg2d',
  'PoolAvg3d',
  'StridedSlice',
  'Pad',
  'ReduceMean',
  'ReduceSum',
  'ReduceMax',
  'ReduceMin',
  'CumulativeSum',
  'ElementWiseSquareRoot',
  'ElementWiseExp',
  'ElementWiseLog',
  'ElementWiseNeg',
  'ElementWiseAbs',
  'ElementWiseFloor',
  'ElementWiseCeil',
  'ElementWiseRound',
  'ElementWiseSign',
  'ElementWiseSin',
  'ElementWiseCos',
  'ElementWiseAtan',
  'ElementWiseAsin',
  'ElementWiseTan',
  'L2Norm',
  'Lrn',
  'Cast',
  'ElementWiseNot',
  'ElementWiseIsNan',
  'ThresholdedRelu',
  'ElementWiseSoftplus',
  'Lstm',
  'Gru',
];
const binary = [
  'ElementWiseAdd',
  'ElementWiseSubtract',
  'ElementWiseMultiply',
  'ElementWiseDivide',
  'ElementWisePower',
  'ElementWiseMaximum',
  'ElementWiseMinimum',
  'ElementWiseMod',
  'Prelu',
  'ElementWiseEqual',
  'ElementWiseGreater',
  'ElementWiseGreaterEqual',
  'ElementWiseLess',
  'ElementWiseLessEqual',
  'ElementWiseAnd',
  'ElementWiseOr',
  'ElementWiseXor',
  'GridSample',
];
/** ONNX Runtime groups these with "drop QDQ" selectors: input and output Q/DQ must be identical. */
const ORT_SAME_QPARAMS = { sameQparamsFlows: ['ort' as const] };

export const HTP_CONSTRAINTS: Record<string, OpConstraint> = Object.fromEntries(
  [
    c('Conv2d', [act(), weight({ axis: 0 }), bias()], [act()], SRC.etReadmeConv),
    c('DepthWiseConv2d', [act(), weight({ axis: 0 }), bias()], [act()], SRC.etReadmeConv),
    c('Conv3d', [act(), weight({ axis: 0 }), bias()], [act()], SRC.etReadmeConv),
    c('TransposeConv2d', [act(), weight({ axis: 1 }), bias()], [act()], SRC.etQconfig),
    c('TransposeConv3d', [act(), weight({ axis: 1 }), bias()], [act()], SRC.etQconfig),
    // Per-channel weights are legal: ExecuTorch lowers per-channel and LPBQ nn.Linear to FullyConnected,
    // and ONNX Runtime's FC path transposes a per-channel MatMul B. AIMET's per-tensor Gemm is its default only.
    c('FullyConnected', [act(), weight({ axis: 'out-channel' }), bias()], [act()], {
      ...SRC.ortMatMulQnn,
      note: "AIMET's HTP configs default Gemm/MatMul weights to per-tensor; that is a toolchain default, not an HTP limit (ExecuTorch is_linear_per_channel).",
    }),
    c('MatMul', [act(), act({ symmetricDtypes: ['int16'] })], [act()], SRC.ortMatMul),
    c(
      'LayerNorm',
      [act(), { role: 'weight', dtypes: [...ACT_DTYPES], perTensorOnly: true, symmetricDtypes: ['int16'] }, normBias()],
      [act()],
      SRC.etLayerNorm,
    ),
    // ONNX Runtime's HTP tests pass only a uint8 BatchNorm scale (BatchNorm2D_U8U8S32, _U16U8S32) and
    // reject int8, uint16 and int16 ones (BatchNorm2D_U8S8S32, _U8U16S32, _U8S16S32): no conversion there.
    c('Batchnorm', [act(), { role: 'weight', dtypes: ['uint8'], perTensorOnly: true }, normBias()], [act()], {
      ...SRC.etBatchNorm,
      note: "ONNX Runtime batchnormalization_test.cc: only uint8 scales run on the HTP; ExecuTorch uses its 16-bit weight spec at 16 bits, which ONNX Runtime's tests do not confirm.",
    }),
    c('InstanceNorm', [act(), normWeight(), normBias()], [act()], {
      ...SRC.etBatchNorm,
      note: 'ONNX Runtime converts an SFIXED8 InstanceNorm scale to UFIXED8 (instancenormalization_op_builder.cc ProcessScale).',
    }),
    c(
      'GroupNorm',
      [act(), { role: 'weight', dtypes: WEIGHT_DTYPES, perTensorOnly: true }, normBias()],
      [act()],
      SRC.aimetHtp,
    ),
    c('RmsNorm', [act(), { role: 'weight', dtypes: ACT_DTYPES, perTensorOnly: true }], [act()], {
      ...SRC.etRules,
      note: 'ExecuTorch annotates RmsNorm weights with the activation spec ("current only support 16a16w").',
    }),
    c('Sigmoid', [act()], [act({ fixed: SIGMOID_FIXED })], {
      ...SRC.etRules,
      note: 'The 16-bit values agree with ONNX Runtime (simple_op_builder.cc OverrideQuantParams), which overrides them in place.',
    }),
    c('ElementWiseNeuron', [act()], [act({ fixed: HARD_SIGMOID_FIXED })], SRC.ortSimpleOpQnn),
    c('Tanh', [act()], [act({ fixed: TANH_FIXED })], {
      ...SRC.ortSimpleOpQnn,
      note: 'ExecuTorch fixes Tanh only at 16 bit; no source gives an 8-bit value.',
    }),
    c('Reshape', [act()], [shared()]),
    c('Transpose', [act()], [shared()]),
    c('DepthToSpace', [act()], [shared()]),
    c('SpaceToDepth', [act()], [shared()]),
    c('Tile', [act()], [shared()]),
    c('Gather', [act({ perTensorOnly: true })], [shared()], SRC.ortRegistry),
    c('GatherElements', [act()], [shared()], SRC.ortQdqSelectors),
    c('GatherNd', [act()], [shared()], SRC.ortBaseBuilder),
    c('ScatterElements', [act(), { role: 'activation', dtypes: ['int32', 'int64'] }, act()], [shared()], SRC.etRules),
    c('ScatterNd', [act(), { role: 'activation', dtypes: ['int32', 'int64'] }, act()], [shared()], SRC.etRules),
    c('Split', [act()], [shared({ variadic: true })]),
    c('TopK', [act()], [shared()], {
      ...SRC.etRules,
      note: 'QNN requires TopK/Sort output 0 to share the input quantization (htp_rules.py GetItem comment).',
    }),
    c('Pack', [act({ variadic: true })], [shared()]),
    c('ChannelShuffle', [act()], [shared()]),
    c('Concat', [act({ variadic: true })], [act()]),
    c('PoolMax2d', [act()], [act(ORT_SAME_QPARAMS)], SRC.etRules),
    c('Resize', [act()], [act(ORT_SAME_QPARAMS)], SRC.etRules),
    c('Argmax', [act({ dtypes: ['uint8', 'int8', 'uint16'] })], [{ role: 'activation' }], SRC.qdocArgmax),
    c('Argmin', [act({ dtypes: ['uint8', 'int8', 'uint16'] })], [{ role: 'activation' }], SRC.qdocArgmax),
    c('ElementWiseSelect', [{ role: 'activation' }, act(), act()], [act()], SRC.ortQdqSelectors),
    ...simple.map((op) => c(op, [act()], [act()])),
    ...binary.map((op) => c(op, [act(), act()], [act()])),
  ].map((x) => [x.qnnOp, x]),
);
