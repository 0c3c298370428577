/**
 * Transcriptions of ONNX Runtime's own QNN HTP tests (onnxruntime/test/providers/qnn/*_test.cc
 * in onnxruntime/onnxruntime-qnn at cee6c0d91e): each builds the test's QDQ model the way its
 * helpers do (src/testing/ort-qdq.ts) and checks QuantLens's verdict against the test's expected
 * node assignment. `All` (the node runs on the HTP): no error under the ONNX Runtime flow, nor
 * under the QNN converter flow unless the test passes only through an ONNX Runtime repair
 * (`ortRepair`), in which case the QNN converter flow must reject it.
 * `None` (it does not): an error on that node under the ONNX Runtime flow, and under the QNN
 * converter flow too, since these are backend limits, not ONNX Runtime choices.
 */
import { describe, expect, it } from 'vitest';
import { loadRulePack } from '../../../rules/registry';
import type { Flow } from '../../../rules/types';
import { attr } from '../model/write-onnx';
import { qgraphFromQdq } from '../qgraph/from-qdq';
import { buildOpTest, type InputDef, type OpTest } from '../../testing/ort-qdq';
import { validate } from './validate';

const x = (shape: number[], range: [number, number] = [-10, 10]): InputDef => ({ shape, range });
const c = (shape: number[], extra: Partial<InputDef> = {}): InputDef => ({
  shape,
  constant: true,
  range: [-1, 1],
  ...extra,
});
const i64 = (values: number[], constant = true): InputDef => ({
  shape: [values.length],
  constant,
  raw: { dtype: 'int64', values },
});
/** Conv/Gemm bias: int32, scale = input scale × weight scale (per channel), as the test builders make it. */
const bias32 = (n: number): InputDef => c([n], { qtype: 'int32', symmetric: true, derivedBias: true });
/** Norm bias: int32 with its own per-tensor scale. */
const normBias32 = (n: number): InputDef => c([n], { qtype: 'int32', symmetric: true });
const F = 'float' as const;

/** The transcribed tests, in the order of their files. */
export const ORT_HTP_TESTS: OpTest[] = [
  // argmax_argmin_test.cc
  {
    source: 'argmax_argmin_test.cc: ArgMaxMinU8_DefaultAttrs',
    op: 'ArgMax',
    inputs: [x([1, 3, 4])],
    qtype: 'uint8',
    outputQType: F,
    outputDtype: 'int64',
    opset: 13,
    expected: 'All',
  },
  {
    source: 'argmax_argmin_test.cc: ArgMaxMinU8_NotKeepDims',
    op: 'ArgMin',
    inputs: [x([1, 3, 4, 4])],
    attrs: { keepdims: attr.int(0) },
    qtype: 'uint8',
    outputQType: F,
    outputDtype: 'int64',
    opset: 13,
    expected: 'All',
  },
  {
    source: 'argmax_argmin_test.cc: ArgMaxMinU8_SelectLastIndex_NonZero_Unsupported',
    op: 'ArgMax',
    inputs: [x([1, 3, 4, 4])],
    attrs: { select_last_index: attr.int(1) },
    qtype: 'uint8',
    outputQType: F,
    outputDtype: 'int64',
    opset: 13,
    expected: 'None',
  },
  {
    source: 'argmax_argmin_test.cc: ArgMaxMinU8_RankGreaterThan4_Unsupported',
    op: 'ArgMax',
    inputs: [x([1, 3, 4, 4, 4])],
    qtype: 'uint8',
    outputQType: F,
    outputDtype: 'int64',
    opset: 13,
    expected: 'None',
  },
  // batchnormalization_test.cc: X, scale (its type in the name), bias int32, mean and var float
  ...(
    [
      ['BatchNorm2D_U8U8S32', 'uint8', 'uint8', [2, 2, 2, 2], 'All'],
      ['BatchNorm2D_U8S8S32', 'uint8', 'int8', [2, 2, 2, 2], 'None'],
      ['BatchNorm2D_U8U16S32', 'uint8', 'uint16', [2, 2, 2, 2], 'None'],
      ['BatchNorm2D_U8S16S32', 'uint8', 'int16', [2, 2, 2, 2], 'None'],
      ['BatchNorm2D_U16U8S32', 'uint16', 'uint8', [2, 2, 2, 2], 'All'],
      ['BatchNorm3D', 'uint8', 'uint8', [1, 2, 3, 4, 5], 'None'],
      ['BatchNorm1D', 'uint8', 'uint8', [1, 2, 3], 'All'],
      ['BatchNormRank2', 'uint8', 'uint8', [4, 2], 'All'],
    ] as const
  ).map(([name, a, w, shape, expected]): OpTest => ({
    source: `batchnormalization_test.cc: ${name}`,
    op: 'BatchNormalization',
    qtype: a,
    expected,
    inputs: [
      x([...shape]),
      c([2], { qtype: w, range: [1, 2] }),
      normBias32(2),
      c([2], { qtype: F }),
      c([2], { qtype: F, range: [1, 2] }),
    ],
  })),
  // conv_test.cc
  {
    source: 'conv_test.cc: ConvU8U8S32_bias_initializer',
    op: 'Conv',
    inputs: [x([1, 1, 5, 5], [0, 10]), c([1, 1, 3, 3], { range: [-1, 5] }), bias32(1)],
    qtype: 'uint8',
    expected: 'All',
  },
  {
    source: 'conv_test.cc: ConvU8U8S32_DynamicWeight_NoBias',
    op: 'Conv',
    inputs: [x([1, 3, 5, 5]), x([2, 3, 3, 3], [-1, 5])],
    qtype: 'uint8',
    expected: 'All',
  },
  {
    source: 'conv_test.cc: ConvU8U8S32_AutoPadUpper',
    op: 'Conv',
    inputs: [x([1, 1, 5, 5]), c([1, 1, 4, 4], { range: [-1, 5] }), bias32(1)],
    attrs: { auto_pad: attr.string('SAME_UPPER') },
    qtype: 'uint8',
    expected: 'All',
  },
  {
    source: 'conv_test.cc: ConvU8S8S32_PerChannel',
    op: 'Conv',
    inputs: [
      x([1, 2, 4, 4]),
      c([3, 2, 2, 2], { qtype: 'int8', symmetric: true, perChannelAxis: 0, range: [-1, 5] }),
      bias32(3),
    ],
    qtype: 'uint8',
    expected: 'All',
  },
  {
    source: 'conv_test.cc: ConvU16S8S32_PerChannel',
    op: 'Conv',
    inputs: [
      x([1, 2, 4, 4]),
      c([3, 2, 2, 2], { qtype: 'int8', symmetric: true, perChannelAxis: 0, range: [-1, 5] }),
      bias32(3),
    ],
    qtype: 'uint16',
    expected: 'All',
  },
  {
    source: 'conv_test.cc: Conv_PerChannel_UnsupportedAxis',
    op: 'Conv',
    inputs: [
      x([1, 2, 4, 4]),
      c([3, 2, 3, 3], { qtype: 'int8', symmetric: true, perChannelAxis: 2, range: [-1, 5] }),
      bias32(3),
    ],
    qtype: 'uint8',
    opset: 13,
    expected: 'None',
  },
  {
    source: 'conv_test.cc: ConvTranspose_PerChannel_UnsupportedAxis',
    op: 'ConvTranspose',
    inputs: [
      x([1, 2, 4, 4]),
      c([2, 3, 3, 3], { qtype: 'int8', symmetric: true, perChannelAxis: 2, range: [-1, 5] }),
      bias32(3),
    ],
    qtype: 'uint8',
    opset: 13,
    expected: 'None',
  },
  // gemm_test.cc
  {
    source: 'gemm_test.cc: Gemm_TransAB_Dynamic_B_And_Bias',
    op: 'Gemm',
    inputs: [x([6, 1]), x([4, 6], [-5, 5]), x([1, 4], [-1, 1])],
    attrs: { transA: attr.int(1), transB: attr.int(1) },
    qtype: 'uint8',
    expected: 'All',
  },
  {
    source: 'gemm_test.cc: Gemm_Dynamic_A_Static_B_Dynamic_Bias_U8',
    op: 'Gemm',
    inputs: [x([2, 3]), c([3, 4], { range: [-5, 5] }), x([4], [-1, 1])],
    qtype: 'uint8',
    expected: 'All',
  },
  // instancenormalization_test.cc
  {
    source: 'instancenormalization_test.cc: InstanceNormU8U8',
    op: 'InstanceNormalization',
    inputs: [x([1, 2, 3, 3]), c([2], { range: [0, 2] }), normBias32(2)],
    qtype: 'uint8',
    expected: 'All',
  },
  {
    source: 'instancenormalization_test.cc: InstanceNormU8S8',
    op: 'InstanceNormalization',
    inputs: [x([1, 2, 3, 3]), c([2], { qtype: 'int8', range: [0, 2] }), normBias32(2)],
    qtype: 'uint8',
    expected: 'All',
    ortRepair: 'int8 scale converted to uint8',
  },
  {
    source: 'instancenormalization_test.cc: InstanceNormU8U8Rank3',
    op: 'InstanceNormalization',
    inputs: [x([1, 2, 3]), c([2], { range: [0, 2] }), normBias32(2)],
    qtype: 'uint8',
    expected: 'All',
  },
  {
    source: 'instancenormalization_test.cc: InstanceNormU8U8Rank5',
    op: 'InstanceNormalization',
    inputs: [x([1, 2, 3, 3, 3]), c([2], { range: [0, 2] }), normBias32(2)],
    qtype: 'uint8',
    expected: 'None',
  },
  // instancenormalization_test.cc, more: the bias an int32 DQ at input x scale scale, also dynamic
  {
    source: 'instancenormalization_test.cc: InstanceNormU16U8',
    op: 'InstanceNormalization',
    inputs: [x([1, 2, 3, 3]), c([2], { qtype: 'uint8', range: [-2, 2] }), { ...bias32(2), range: [-3, 3] }],
    qtype: 'uint16',
    contribQdq: true,
    expected: 'All',
  },
  ...(
    [
      ['InstanceNormU8U8Rank3_BatchSizeNot1', 'uint8', false, true],
      ['InstanceNormU16U8Rank3_BatchSizeNot1', 'uint16', false, true],
      ['InstanceNormU8U8Rank3_BatchSizeNot1_Initializer', 'uint8', true, false],
      ['InstanceNormU16U8Rank3_BatchSizeNot1_Initializer', 'uint16', true, false],
    ] as const
  ).map(([name, q, inputConst, biasConst]): OpTest => ({
    source: `instancenormalization_test.cc: ${name}`,
    op: 'InstanceNormalization',
    inputs: [
      { shape: [2, 2, 3], constant: inputConst, range: [-8, 8] },
      c([2], { qtype: 'uint8', range: [1, 2] }),
      biasConst ? bias32(2) : { shape: [2], qtype: 'int32', derivedBias: true, quantizedInput: true },
    ],
    qtype: q,
    contribQdq: q === 'uint16',
    expected: 'All',
  })),
  // inverse_test.cc: com.microsoft Inverse between com.microsoft Q/DQ pairs, opset 18
  ...(
    [
      ['Inverse_qdq_2d', [2, 2]],
      ['Inverse_qdq_3d', [10, 2, 2]],
      ['Inverse_qdq_4d', [1, 10, 2, 2]],
    ] as const
  ).map(([name, shape]): OpTest => ({
    source: `inverse_test.cc: ${name}`,
    op: 'Inverse',
    domain: 'com.microsoft',
    inputs: [x([...shape])],
    qtype: 'uint8',
    contribQdq: true,
    opset: 18,
    expected: 'All',
  })),
  // inverse_test.cc: the float tests (FP16 on the HTP)
  ...(
    [
      ['Inverse_2d', [2, 2]],
      ['Inverse_3d', [10, 2, 2]],
      ['Inverse_4d', [1, 10, 2, 2]],
    ] as const
  ).map(([name, shape]): OpTest => ({
    source: `inverse_test.cc: ${name}`,
    op: 'Inverse',
    domain: 'com.microsoft',
    inputs: [{ shape: [...shape], qtype: F }],
    qtype: F,
    opset: 18,
    expected: 'All',
  })),
  // layernormalization_test.cc
  {
    source: 'layernormalization_test.cc: LayerNorm1D_Axis0_Unsupported',
    op: 'LayerNormalization',
    inputs: [x([1, 2, 3], [0, 10]), c([1, 2, 3], { range: [0, 10] })],
    attrs: { axis: attr.int(0) },
    qtype: 'uint8',
    expected: 'None',
  },
  {
    source: 'layernormalization_test.cc: LayerNorm1D_LastAxis_StaticScale_AU8_WU8',
    op: 'LayerNormalization',
    inputs: [x([1, 2, 3], [0, 10]), c([3], { range: [0, 1] })],
    attrs: { axis: attr.int(-1) },
    qtype: 'uint8',
    expected: 'All',
  },
  {
    source: 'layernormalization_test.cc: LayerNorm1D_LastAxis_StaticScale_StaticBias_AU8_WU8_BU8',
    op: 'LayerNormalization',
    inputs: [x([1, 2, 3], [0, 10]), c([3], { range: [0, 1] }), c([3], { range: [0, 1] })],
    attrs: { axis: attr.int(-1) },
    qtype: 'uint8',
    expected: 'All',
  },
  {
    source: 'layernormalization_test.cc: LayerNorm1D_LastAxis_StaticScale_AU16_WU8',
    op: 'LayerNormalization',
    inputs: [x([1, 2, 3], [0, 10]), c([3], { qtype: 'uint8', range: [0, 1] })],
    attrs: { axis: attr.int(-1) },
    qtype: 'uint16',
    expected: 'All',
  },
  {
    source: 'layernormalization_test.cc: LayerNorm1D_QNN2_24_ImplicitBias_ValidationBug',
    op: 'LayerNormalization',
    inputs: [x([1, 2, 3], [0, 1]), c([3], { qtype: 'uint8', range: [0, 1] })],
    attrs: { axis: attr.int(-1) },
    qtype: 'uint16',
    contribQdq: true,
    expected: 'All',
  },
  // max_min_test.cc
  {
    source: 'max_min_test.cc: Max_1Input_NotSupported',
    op: 'Max',
    inputs: [x([1, 3, 4, 4])],
    qtype: 'uint8',
    expected: 'None',
  },
  {
    source: 'max_min_test.cc: Min_1Input_NotSupported',
    op: 'Min',
    inputs: [x([1, 3, 4, 4])],
    qtype: 'uint8',
    expected: 'None',
  },
  {
    source: 'max_min_test.cc: Max (two inputs)',
    op: 'Max',
    inputs: [x([1, 3, 4, 4]), x([1, 3, 4, 4])],
    qtype: 'uint8',
    expected: 'All',
  },
  // pad_test.cc
  {
    source: 'pad_test.cc: PadWrapMode',
    op: 'Pad',
    inputs: [x([3, 2], [1, 5.6]), i64([0, 2, 0, 0]), c([1], { range: [0, 0] })],
    attrs: { mode: attr.string('wrap') },
    qtype: 'uint8',
    expected: 'None',
  },
  {
    source: 'pad_test.cc: Pad4d',
    op: 'Pad',
    inputs: [x([1, 2, 2, 2], [1, 8]), i64([0, 0, 0, 1, 0, 0, 0, 1]), c([1], { range: [0, 0] })],
    qtype: 'uint8',
    expected: 'All',
  },
  // pad_test.cc, more (RunQDQPadOpTest, opset 18; output qparams = input qparams)
  ...(
    [
      ['PadNoConstantValue', [3, 2], [0, 2, 0, 0], 'constant', false],
      ['PadNoConstantNegValue', [3, 2], [0, -1, -1, 0], 'constant', false],
      ['PadNoConstantMixValue', [3, 2], [1, -1, -1, 1], 'constant', false],
      ['PadHasConstantValueQuantized', [3, 2], [0, 2, 0, 0], 'constant', true],
      ['PadEdgeMode', [3, 2], [0, 2, 0, 0], 'edge', true],
      ['Pad_Noop_QDQ', [3, 2], [0, 0, 0, 0], 'constant', false],
      ['Pad5d', [1, 2, 2, 2, 2], [0, 0, 0, 1, 0, 0, 0, 1, 0, 0], 'constant', true],
      // Negative pads crop (constant mode).
      ['Pad4dNeg', [1, 2, 2, 2], [0, 0, 0, -1, 0, 0, -1, 0], 'constant', true],
      ['Pad4dMix', [1, 2, 2, 2], [0, 1, 0, -1, 0, 1, 0, 1], 'constant', true],
    ] as const
  ).map(([name, shape, pads, mode, withValue]): OpTest => ({
    source: `pad_test.cc: ${name}`,
    op: 'Pad',
    inputs: [x([...shape], [1, 10]), i64([...pads]), ...(withValue ? [c([1], { range: [0, 0] })] : [])],
    attrs: { mode: attr.string(mode) },
    qtype: 'uint8',
    outputRange: [1, 10],
    opset: 18,
    expected: 'All',
  })),
  // float16 data: the HTP pads it with a constant 0 only
  ...(
    [
      ['PadConstantValue_FP16_0', 0, 'All'],
      ['PadConstantValue_FP16_1', 1, 'None'],
    ] as const
  ).map(([name, value, expected]): OpTest => ({
    source: `pad_test.cc: ${name}`,
    op: 'Pad',
    inputs: [
      { shape: [3, 2], raw: { dtype: 'float16' } },
      i64([0, 2, 0, 0]),
      { shape: [1], constant: true, raw: { dtype: 'float16', values: [value] } },
    ],
    attrs: { mode: attr.string('constant') },
    qtype: F,
    outputDtype: 'float16',
    opset: 18,
    expected,
  })),
  {
    source: 'pad_test.cc: PadHasConstantValueNonQuantized',
    op: 'Pad',
    inputs: [x([3, 2], [1, 5.6]), i64([0, 2, 0, 0]), c([1], { qtype: F, range: [0, 0] })],
    attrs: { mode: attr.string('constant') },
    qtype: 'uint8',
    outputRange: [1, 5.6],
    opset: 18,
    expected: 'All',
  },
  // reduce_test.cc
  {
    source: 'reduce_test.cc: ReduceSumU8Opset13',
    op: 'ReduceSum',
    inputs: [x([2, 2]), i64([0, 1])],
    qtype: 'uint8',
    opset: 13,
    expected: 'All',
  },
  {
    source: 'reduce_test.cc: ReduceSumS8Opset13_Rank5',
    op: 'ReduceSum',
    inputs: [x([1, 3, 4, 4, 2]), i64([-1])],
    attrs: { keepdims: attr.int(0) },
    qtype: 'int8',
    opset: 13,
    expected: 'All',
  },
  {
    source: 'reduce_test.cc: ReduceSumS8Opset13_Rank6_Unsupported',
    op: 'ReduceSum',
    inputs: [x([1, 3, 4, 4, 2, 1]), i64([-1])],
    attrs: { keepdims: attr.int(0) },
    qtype: 'int8',
    opset: 13,
    expected: 'None',
  },
  // reshape_expand_test.cc
  {
    source: 'reshape_expand_test.cc: Reshape_DynamicShape_Unsupported',
    op: 'Reshape',
    inputs: [x([1, 3, 4, 4]), i64([1, 48], false)],
    qtype: 'uint8',
    opset: 19,
    expected: 'None',
  },
  {
    source: 'reshape_expand_test.cc: Reshape_AllowZeroAttr_NoZeros_Supported',
    op: 'Reshape',
    inputs: [x([1, 3, 4, 4]), i64([1, 48])],
    attrs: { allowzero: attr.int(1) },
    qtype: 'uint8',
    opset: 19,
    expected: 'All',
  },
  {
    source: 'reshape_expand_test.cc: Reshape_AllowZeroAttr_WithZeros_Unsupported',
    op: 'Reshape',
    inputs: [{ shape: [2, 0, 3], qtype: F }, i64([6, 0])],
    attrs: { allowzero: attr.int(1) },
    qtype: 'uint8',
    outputQType: F,
    opset: 19,
    expected: 'None',
  },
  {
    source: 'reshape_expand_test.cc: Reshape_4D_u8',
    op: 'Reshape',
    inputs: [x([1, 3, 2, 2]), i64([1, 1, 3, 4])],
    qtype: 'uint8',
    opset: 19,
    expected: 'All',
  },
  {
    source: 'reshape_expand_test.cc: Expand_5D',
    op: 'Expand',
    inputs: [x([1, 3], [1, 3]), i64([3, 2, 2, 2, 1])],
    qtype: 'uint8',
    outputRange: [1, 3],
    opset: 19,
    expected: 'All',
  },
  {
    source: 'reshape_expand_test.cc: Expand_6D',
    op: 'Expand',
    inputs: [x([1, 3], [1, 3]), i64([3, 2, 2, 2, 2, 1])],
    qtype: 'uint8',
    outputRange: [1, 3],
    opset: 19,
    expected: 'None',
  },
  ...(
    [
      ['Reshape_4D_u16', 'uint16', [1, 1, 3, 4]],
      ['Reshape_4D_0MeansCopy', 'uint8', [1, 3, 4, 0]],
      ['Reshape_4D_Neg1MeansInfer', 'uint8', [1, 3, -1, 2]],
    ] as const
  ).map(([name, q, shape]): OpTest => ({
    source: `reshape_expand_test.cc: ${name}`,
    op: 'Reshape',
    inputs: [x(name === 'Reshape_4D_0MeansCopy' ? [1, 3, 4, 4] : [1, 3, 2, 2]), i64([...shape])],
    qtype: q,
    contribQdq: q === 'uint16',
    opset: 19,
    expected: 'All',
  })),
  {
    source: 'reshape_expand_test.cc: Expand_4D',
    op: 'Expand',
    inputs: [x([1, 3], [1, 3]), i64([3, 2, 2, 1])],
    qtype: 'uint8',
    outputRange: [1, 3],
    opset: 19,
    expected: 'All',
  },
  // resize_test.cc (Resize opset 19: X, roi, scales, sizes): the 2x tests from [1, 3, 4, 4], other sizes,
  // a custom cubic coefficient; then scales instead of sizes
  ...(
    [
      [
        'ResizeU8_2xNearestAsymmetricCeil_Unsupported',
        [1, 3, 4, 4],
        [1, 3, 8, 8],
        'nearest',
        'asymmetric',
        'ceil',
        {},
        'None',
      ],
      [
        'ResizeU8_2xNearestAsymmetricRoundPreferFloor_Unsupported',
        [1, 3, 4, 4],
        [1, 3, 8, 8],
        'nearest',
        'asymmetric',
        'round_prefer_floor',
        {},
        'None',
      ],
      ['ResizeU8_3xNearestAsymmetricFloor', [1, 3, 4, 4], [1, 3, 12, 12], 'nearest', 'asymmetric', 'floor', {}, 'All'],
      [
        'ResizeU8_2xNearestHalfPixelRoundPreferFloor',
        [1, 3, 4, 4],
        [1, 3, 8, 8],
        'nearest',
        'half_pixel',
        'round_prefer_floor',
        {},
        'All',
      ],
      [
        'ResizeU8_2xLinearHalfPixel',
        [1, 3, 4, 4],
        [1, 3, 8, 8],
        'linear',
        'half_pixel',
        'round_prefer_floor',
        {},
        'All',
      ],
      [
        'ResizeU8_2xLinearAlignCorners',
        [1, 3, 4, 4],
        [1, 3, 8, 8],
        'linear',
        'align_corners',
        'round_prefer_floor',
        {},
        'All',
      ],
      [
        'ResizeU8_2xLinearPytorchHalfPixel',
        [1, 3, 4, 4],
        [1, 3, 8, 8],
        'linear',
        'pytorch_half_pixel',
        'round_prefer_floor',
        {},
        'All',
      ],
      [
        'ResizeU8_2xLinearAsymmetric',
        [1, 3, 4, 4],
        [1, 3, 8, 8],
        'linear',
        'asymmetric',
        'round_prefer_floor',
        {},
        'All',
      ],
      [
        'ResizeU8_2xNearestHalfPixelRoundPreferCeil',
        [1, 3, 4, 4],
        [1, 3, 8, 8],
        'nearest',
        'half_pixel',
        'round_prefer_ceil',
        {},
        'All',
      ],
      [
        'ResizeU8_2xNearestAlignCornersRoundPreferCeil',
        [1, 3, 4, 4],
        [1, 3, 8, 8],
        'nearest',
        'align_corners',
        'round_prefer_ceil',
        {},
        'All',
      ],
      ['ResizeU8_2xCubicHalfPixel', [1, 3, 4, 4], [1, 3, 8, 8], 'cubic', 'half_pixel', 'round_prefer_floor', {}, 'All'],
      [
        'ResizeU8_3xNearestAsymmetricRoundPreferFloor_Unsupported',
        [1, 1, 2, 2],
        [1, 1, 6, 6],
        'nearest',
        'asymmetric',
        'round_prefer_floor',
        {},
        'None',
      ],
      ['ResizeU8_HalfNearestAsymmetricFloor', [1, 3, 4, 4], [1, 3, 2, 2], 'nearest', 'asymmetric', 'floor', {}, 'All'],
      [
        'Resize_DownSample_Linear_AlignCorners',
        [1, 1, 2, 4],
        [1, 1, 1, 2],
        'linear',
        'align_corners',
        'round_prefer_floor',
        {},
        'All',
      ],
      [
        'Resize_DownSample_Linear_HalfPixel',
        [1, 1, 2, 4],
        [1, 1, 1, 2],
        'linear',
        'half_pixel',
        'round_prefer_floor',
        {},
        'All',
      ],
      [
        'ResizeU8_2xCubicHalfPixel_CustomCoeff',
        [1, 3, 4, 4],
        [1, 3, 8, 8],
        'cubic',
        'half_pixel',
        'round_prefer_floor',
        { cubic_coeff_a: -0.6 },
        'All',
      ],
    ] as const
  ).map(([name, xs, sizes, mode, ctm, nearest, extra, expected]): OpTest => ({
    source: `resize_test.cc: ${name}`,
    op: 'Resize',
    qtype: 'uint8',
    expected,
    opset: 19,
    inputs: [x([...xs]), null, null, i64([...sizes])],
    attrs: {
      mode: attr.string(mode),
      coordinate_transformation_mode: attr.string(ctm),
      nearest_mode: attr.string(nearest),
      ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, attr.float(v)])),
    },
  })),
  ...(
    [
      ['ResizeU8_2xCubicHalfPixelFloor_scales', [1, 1, 2, 2], 'floor'],
      ['ResizeU8_2xCubicHalfPixel_scales_downsample', [1, 1, 0.5, 0.5], 'floor'],
    ] as const
  ).map(([name, scales, nearest]): OpTest => ({
    source: `resize_test.cc: ${name}`,
    op: 'Resize',
    qtype: 'uint8',
    expected: 'All',
    opset: 19,
    inputs: [x([1, 3, 4, 4]), null, { shape: [4], constant: true, raw: { dtype: 'float32', values: [...scales] } }],
    attrs: {
      mode: attr.string('cubic'),
      coordinate_transformation_mode: attr.string('half_pixel'),
      nearest_mode: attr.string(nearest),
    },
  })),
  // roialign_op_test.cc: TestRoialignQdq and the HTP tests of unsupported attributes (those run
  // in float; the limits are the op builder's, whatever the precision, so they are built here as
  // TestRoialignQdq builds its model)
  ...(
    [
      ['TestRoialignQdq', {}, 'All'],
      ['TestRoialign_Unsupported_output_half', { coordinate_transformation_mode: 'output_half' }, 'None'],
      ['TestRoialign_Unsupported_mode_max', { mode: 'max' }, 'None'],
      ['TestRoialign_Unsupported_sampling_ratio', { sampling_ratio: 0 }, 'None'],
    ] as const
  ).map(([name, change, expected]): OpTest => {
    const a: Record<string, string | number> = {
      coordinate_transformation_mode: 'output_half_pixel',
      mode: 'avg',
      sampling_ratio: 1,
      output_height: 1,
      output_width: 1,
      ...change,
    };
    return {
      source: `roialign_op_test.cc: ${name}`,
      op: 'RoiAlign',
      inputs: [x([1, 1, 2, 2], [1, 4]), c([1, 4], { range: [0, 1] }), i64([0])],
      attrs: {
        ...Object.fromEntries(
          Object.entries(a).map(([k, v]) => [k, typeof v === 'string' ? attr.string(v) : attr.int(v)]),
        ),
        spatial_scale: attr.float(1),
      },
      qtype: 'uint8',
      outputRange: [1, 4],
      opset: 16,
      expected,
    };
  }),
  // simple_op_test.cc: calibrated outputs (ONNX Runtime computes them from the float model's outputs)
  {
    source: 'simple_op_test.cc: UnaryOp_Sigmoid',
    op: 'Sigmoid',
    inputs: [x([1, 2, 3])],
    qtype: 'uint8',
    outputRange: [0, 1],
    expected: 'All',
  },
  {
    source: 'simple_op_test.cc: UnaryOp_Sigmoid_U16',
    op: 'Sigmoid',
    inputs: [x([1, 2, 3])],
    qtype: 'uint16',
    outputRange: [0, 1],
    expected: 'All',
    ortRepair: 'output overridden to 1/65536',
  },
  {
    source: 'simple_op_test.cc: UnaryOp_Tanh',
    op: 'Tanh',
    inputs: [x([1, 2, 3])],
    qtype: 'uint8',
    outputRange: [-1, 1],
    expected: 'All',
  },
  {
    source: 'simple_op_test.cc: UnaryOp_Tanh_U16',
    op: 'Tanh',
    inputs: [x([1, 2, 64])],
    qtype: 'uint16',
    outputRange: [-1, 1],
    expected: 'All',
    ortRepair: 'output overridden to 1/32768, zero point 32768',
  },
  {
    source: 'simple_op_test.cc: UnaryOp_HardSigmoid_QU8',
    op: 'HardSigmoid',
    inputs: [x([1, 2, 3])],
    qtype: 'uint8',
    outputRange: [0, 1],
    expected: 'All',
  },
  {
    source: 'simple_op_test.cc: UnaryOp_HardSigmoid_QU16',
    op: 'HardSigmoid',
    inputs: [x([1, 2, 3])],
    qtype: 'uint16',
    outputRange: [0, 1],
    expected: 'All',
  },
  // ScatterND on int64 data: none, add and mul run on the HTP; min, like max, does not.
  ...(
    [
      ['ScatterND_int64_int64', undefined, 'All'],
      ['ScatterND_int64_int64_reduction_add', 'add', 'All'],
      ['ScatterND_int64_int64_reduction_mul', 'mul', 'All'],
      ['ScatterND_int64_int64_reduction_min', 'min', 'None'],
    ] as const
  ).map(([name, reduction, expected]): OpTest => ({
    source: `simple_op_test.cc: ${name}`,
    op: 'ScatterND',
    inputs: [
      { shape: [4], raw: { dtype: 'int64' } },
      { shape: [1, 1], raw: { dtype: 'int64' } },
      { shape: [1], raw: { dtype: 'int64' } },
    ],
    attrs: reduction ? { reduction: attr.string(reduction) } : {},
    qtype: F,
    outputDtype: 'int64',
    opset: 17,
    expected,
  })),
  // Mean of float inputs (made ElementWiseAdd and a division), Or of bool inputs, Concat with an
  // empty input or initializer.
  ...(
    [
      ['Mean_TwoInputs', 2],
      ['Mean_FourInputs', 4],
    ] as const
  ).map(([name, n]): OpTest => ({
    source: `simple_op_test.cc: ${name}`,
    op: 'Mean',
    inputs: Array.from({ length: n }, () => ({ shape: [4], qtype: F })),
    qtype: F,
    opset: 13,
    expected: 'All',
  })),
  {
    source: 'simple_op_test.cc: BinaryOp_HTP_Or_Unsupported',
    op: 'Or',
    inputs: [
      { shape: [1, 4], raw: { dtype: 'bool' } },
      { shape: [1, 4], raw: { dtype: 'bool' } },
    ],
    qtype: F,
    outputDtype: 'bool',
    opset: 17,
    expected: 'All',
  },
  ...(
    [
      ['Concat_EmptyInput', false],
      ['Concat_EmptyInitializer', true],
    ] as const
  ).map(([name, constant]): OpTest => ({
    source: `simple_op_test.cc: ${name}`,
    op: 'Concat',
    inputs: [
      { shape: [1, 3, 4, 4], qtype: F },
      { shape: [1, 0, 4, 4], qtype: F, constant },
    ],
    attrs: { axis: attr.int(1) },
    qtype: F,
    opset: 13,
    expected: 'All',
  })),
  {
    source: 'simple_op_test.cc: ScatterND_int64_int64_reduction_max',
    op: 'ScatterND',
    inputs: [
      { shape: [4], raw: { dtype: 'int64' } },
      { shape: [1, 1], raw: { dtype: 'int64' } },
      { shape: [1], raw: { dtype: 'int64' } },
    ],
    attrs: { reduction: attr.string('max') },
    qtype: 'uint8',
    outputQType: F,
    outputDtype: 'int64',
    opset: 17,
    expected: 'None',
  },
  // simplifiedlayernormalization_test.cc (float models)
  {
    source: 'simplifiedlayernormalization_test.cc: SimplifiedLayerNorm_Axis0_Unsupported',
    op: 'SimplifiedLayerNormalization',
    inputs: [
      { shape: [1, 2, 3], qtype: F },
      { shape: [1, 2, 3], qtype: F },
    ],
    attrs: { axis: attr.int(0) },
    qtype: 'uint8',
    outputQType: F,
    expected: 'None',
  },
  {
    source: 'simplifiedlayernormalization_test.cc: SimplifiedLayerNorm_Rank5_Unsupported',
    op: 'SimplifiedLayerNormalization',
    inputs: [
      { shape: [1, 2, 3, 3, 4], qtype: F },
      { shape: [4], qtype: F },
    ],
    qtype: 'uint8',
    outputQType: F,
    expected: 'None',
  },
  // simplifiedlayernormalization_test.cc: RunSimplifiedLayerNormQDQTest (scale Q/DQ'd as the weight type)
  ...(
    [
      ['SimplifiedLayerNorm_LastAxis_StaticScale_AU8_WU8', 'uint8', [1, 2, 3], [0, 10], [0, 1], true, {}],
      ['SimplifiedLayerNorm_LastAxis_StaticScale_AU16_WU8', 'uint16', [1, 2, 3], [0, 10], [0, 1], true, {}],
      ['SimplifiedLayerNorm_LastAxis_DynamicScale_AU8_WU8', 'uint8', [1, 2, 3], [0, 10], [0, 1], false, {}],
      ['SimplifiedLayerNorm_4D_LastAxis_AU8_WU8', 'uint8', [1, 2, 3, 3], [-10, 10], [-2, 2], true, {}],
      [
        'SimplifiedLayerNorm_LastAxis_CustomEpsilon_AU8_WU8',
        'uint8',
        [1, 2, 3],
        [0, 10],
        [0, 1],
        true,
        { epsilon: 1e-3 },
      ],
      ['SimplifiedLayerNorm_2D_LastAxis_AU8_WU8', 'uint8', [4, 8], [0, 10], [0, 1], true, {}],
      ['SimplifiedLayerNorm_4D_LastAxis_AU16_WU8', 'uint16', [1, 2, 3, 3], [-10, 10], [-2, 2], true, {}],
    ] as const
  ).map(([name, a, xs, xr, sr, constant, extra]): OpTest => ({
    source: `simplifiedlayernormalization_test.cc: ${name}`,
    op: 'SimplifiedLayerNormalization',
    inputs: [x([...xs], [...xr]), { shape: [xs[xs.length - 1]!], constant, range: [...sr], qtype: 'uint8' }],
    attrs: {
      axis: attr.int(-1),
      ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, attr.float(v)])),
    },
    qtype: a,
    contribQdq: a === 'uint16',
    outputRange: [...xr],
    expected: 'All',
  })),
  // squeeze_unsqueeze_test.cc
  {
    source: 'squeeze_unsqueeze_test.cc: Squeeze_DynamicAxes_Unsupported',
    op: 'Squeeze',
    inputs: [x([1, 3, 4, 4]), i64([0], false)],
    qtype: 'uint8',
    expected: 'None',
  },
  {
    source: 'squeeze_unsqueeze_test.cc: Unsqueeze_DynamicAxes_Unsupported',
    op: 'Unsqueeze',
    inputs: [x([1, 3, 4, 4]), i64([0], false)],
    qtype: 'uint8',
    expected: 'None',
  },
  {
    source: 'squeeze_unsqueeze_test.cc: Squeeze (constant axes)',
    op: 'Squeeze',
    inputs: [x([1, 3, 4, 4]), i64([0])],
    qtype: 'uint8',
    expected: 'All',
  },
  // squeeze_unsqueeze_test.cc, more (negative constant axes)
  ...(
    [
      ['Squeeze_Rank4_Rank3_NegAxes_u8', 'Squeeze', 'uint8', [1, 3, 1, 4], [-2]],
      ['Squeeze_Rank4_Rank3_NegAxes_u16', 'Squeeze', 'uint16', [1, 3, 1, 4], [-2]],
      ['Unsqueeze_Rank3_Rank4_NegAxes_u8', 'Unsqueeze', 'uint8', [1, 3, 4], [-2]],
      ['Unsqueeze_Rank3_Rank4_NegAxes_u16', 'Unsqueeze', 'uint16', [1, 3, 4], [-2]],
    ] as const
  ).map(([name, op, q, shape, axes]): OpTest => ({
    source: `squeeze_unsqueeze_test.cc: ${name}`,
    op,
    inputs: [x([...shape]), i64([...axes])],
    qtype: q,
    contribQdq: q === 'uint16',
    opset: 13,
    expected: 'All',
  })),
  // topk_test.cc
  {
    source: 'topk_test.cc: TopK_LargestFloats_U8_LastAxis',
    op: 'TopK',
    inputs: [x([1, 3, 4, 4]), i64([2])],
    qtype: 'uint8',
    outputs: 2,
    expected: 'All',
  },
  {
    source: 'topk_test.cc: TopK_LargestFloats_U8_LastAxis_Largest_0',
    op: 'TopK',
    inputs: [x([1, 3, 4, 4]), i64([2])],
    attrs: { largest: attr.int(0) },
    qtype: 'uint8',
    outputs: 2,
    expected: 'All',
  },
  {
    source: 'topk_test.cc: TopK_U8_NonLastAxis',
    op: 'TopK',
    inputs: [x([1, 3, 4, 4]), i64([2])],
    attrs: { axis: attr.int(1) },
    qtype: 'uint8',
    outputs: 2,
    expected: 'All',
  },
  ...(
    [
      ['TopK_U8_NonLastAxis_Largest_0', 'uint8', 0],
      ['TopK_U16_NonLastAxis', 'uint16', 1],
      ['TopK_U16_NonLastAxis_Largest_0', 'uint16', 0],
    ] as const
  ).map(([name, q, largest]): OpTest => ({
    source: `topk_test.cc: ${name}`,
    op: 'TopK',
    inputs: [x([1, 3, 4, 4], [-20, 20]), i64([2])],
    attrs: { axis: attr.int(1), largest: attr.int(largest) },
    qtype: q,
    outputRange: [-20, 20],
    outputs: 2,
    opset: 21,
    expected: 'All',
  })),
  {
    source: 'argmax_argmin_test.cc: ArgMaxMinU8_AxisLast',
    op: 'ArgMax',
    inputs: [x([1, 3, 4, 4])],
    attrs: { axis: attr.int(-1) },
    qtype: 'uint8',
    outputQType: F,
    outputDtype: 'int64',
    opset: 13,
    expected: 'All',
  },
  // maxpool_test.cc
  {
    source: 'maxpool_test.cc: MaxPool_Rank3_HTP_u8',
    op: 'MaxPool',
    inputs: [x([1, 2, 3])],
    attrs: { kernel_shape: attr.ints([3]), strides: attr.ints([3]) },
    qtype: 'uint8',
    expected: 'All',
  },
  {
    source: 'maxpool_test.cc: GlobalMaxPool_u8',
    op: 'GlobalMaxPool',
    inputs: [x([1, 2, 3, 3])],
    qtype: 'uint8',
    expected: 'All',
  },
  // averagepool_test.cc (output qparams from the float model's output)
  {
    source: 'averagepool_test.cc: AveragePool_AsGlobal',
    op: 'AveragePool',
    inputs: [x([1, 2, 3, 3], [-65.56, 83.06])],
    attrs: { kernel_shape: attr.ints([3, 3]), strides: attr.ints([3, 3]) },
    qtype: 'uint8',
    outputRange: [-5, 5],
    expected: 'All',
  },
  {
    source: 'averagepool_test.cc: GlobalAveragePool',
    op: 'GlobalAveragePool',
    inputs: [x([1, 2, 3, 3], [-32, 32])],
    qtype: 'uint8',
    outputRange: [-20, 20],
    expected: 'All',
  },
  ...(
    [
      ['AveragePool_CountIncludePad_HTP_u8', 'count_include_pad'],
      ['AveragePool_AutopadSameUpper_HTP_u8', 'SAME_UPPER'],
      ['AveragePool_AutopadSameLower_HTP_u8', 'SAME_LOWER'],
    ] as const
  ).map(([name, how]): OpTest => ({
    source: `averagepool_test.cc: ${name}`,
    op: 'AveragePool',
    inputs: [x([1, 2, 3, 3], [-9, 9])],
    attrs: {
      kernel_shape: attr.ints([1, 1]),
      ...(how === 'count_include_pad' ? { count_include_pad: attr.int(1) } : { auto_pad: attr.string(how) }),
    },
    qtype: 'uint8',
    outputRange: [-9, 9],
    opset: 18,
    expected: 'All',
  })),
  {
    source: 'averagepool_test.cc: AveragePool_3D_u8',
    op: 'AveragePool',
    inputs: [x([1, 2, 8, 8, 8])],
    attrs: { kernel_shape: attr.ints([3, 3, 3]), strides: attr.ints([2, 2, 2]) },
    qtype: 'uint8',
    outputRange: [-8, 8],
    expected: 'All',
  },
  {
    source: 'averagepool_test.cc: AveragePool_3D_AutoPad_SAME_LOWER_u8',
    op: 'AveragePool',
    inputs: [x([1, 2, 8, 8, 8])],
    attrs: { kernel_shape: attr.ints([2, 2, 2]), auto_pad: attr.string('SAME_LOWER') },
    qtype: 'uint8',
    outputRange: [-9, 9],
    expected: 'All',
  },
  // clip_test.cc: min and max are float initializers (BuildQDQOpTestCase's non-quantized inputs) or DQs
  {
    source: 'clip_test.cc: Clip_U8_DefaultMinMax_Rank4',
    op: 'Clip',
    inputs: [x([1, 3, 4, 4])],
    qtype: 'uint8',
    opset: 13,
    expected: 'All',
  },
  {
    source: 'clip_test.cc: Clip_U16_DefaultMinMax_Rank4',
    op: 'Clip',
    inputs: [x([1, 3, 4, 4])],
    qtype: 'uint16',
    contribQdq: true,
    opset: 13,
    expected: 'All',
  },
  {
    source: 'clip_test.cc: Clip_U8_Rank4',
    op: 'Clip',
    inputs: [x([1, 3, 4, 4]), c([], { qtype: F, range: [-5, -5] }), c([], { qtype: F, range: [5, 5] })],
    qtype: 'uint8',
    outputRange: [-5, 5],
    opset: 13,
    expected: 'All',
  },
  {
    source: 'clip_test.cc: Clip_U16_Rank4',
    op: 'Clip',
    inputs: [x([1, 3, 4, 4]), c([], { qtype: F, range: [-5, -5] }), c([], { qtype: F, range: [5, 5] })],
    qtype: 'uint16',
    contribQdq: true,
    outputRange: [-5, 5],
    opset: 13,
    expected: 'All',
  },
  {
    source: 'clip_test.cc: Clip_U8_Rank5',
    op: 'Clip',
    inputs: [x([1, 1, 2, 2, 2], [0, 255]), c([], { qtype: F, range: [5, 5] }), c([], { qtype: F, range: [100, 100] })],
    qtype: 'uint8',
    outputQParams: { scale: 1, zp: 0 },
    opset: 13,
    expected: 'All',
  },
  {
    source: 'clip_test.cc: Clip_U8_QuantizedMinMax',
    op: 'Clip',
    inputs: [
      { shape: [200], qparams: { scale: 0.001, zp: 128 } },
      c([], { range: [-0.05, -0.05], qparams: { scale: 0.001, zp: 128 } }),
      c([], { range: [0.05, 0.05], qparams: { scale: 0.001, zp: 128 } }),
    ],
    qtype: 'uint8',
    outputQParams: { scale: 0.001, zp: 128 },
    opset: 13,
    expected: 'All',
  },
  {
    source: 'clip_test.cc: Clip_U16_QuantizedMax',
    op: 'Clip',
    inputs: [
      { shape: [200], qparams: { scale: 0.001, zp: 32768 } },
      null,
      c([], { range: [0, 0], qparams: { scale: 0.001, zp: 32768 } }),
    ],
    qtype: 'uint16',
    outputQParams: { scale: 0.001, zp: 32768 },
    opset: 21,
    expected: 'All',
  },
  {
    source: 'clip_test.cc: Clip_U8_QuantizedMin',
    op: 'Clip',
    inputs: [
      { shape: [200], qparams: { scale: 0.001, zp: 128 } },
      c([], { range: [0, 0], qparams: { scale: 0.001, zp: 128 } }),
    ],
    qtype: 'uint8',
    outputQParams: { scale: 0.001, zp: 128 },
    opset: 11,
    expected: 'All',
  },
  {
    source: 'clip_test.cc: Clip_U8_IndependentQDQ_MinMaxQDQ',
    op: 'Clip',
    inputs: [
      { shape: [1, 3, 4, 4], qparams: { scale: 0.1, zp: 128 } },
      c([], { range: [-1, -1], qparams: { scale: 0.1, zp: 128 } }),
      c([], { range: [1, 1], qparams: { scale: 0.1, zp: 128 } }),
    ],
    qtype: 'uint8',
    outputQParams: { scale: 0.1, zp: 128 },
    opset: 21,
    expected: 'All',
  },
  // Clip in float32 (FP16 on the HTP) and on int32, bounds as initializers
  {
    source: 'clip_test.cc: Clip_f32',
    op: 'Clip',
    inputs: [
      { shape: [1, 1, 3, 4], qtype: F },
      { shape: [], constant: true, raw: { dtype: 'float32', values: [-5] } },
      { shape: [], constant: true, raw: { dtype: 'float32', values: [5] } },
    ],
    qtype: F,
    opset: 13,
    expected: 'All',
  },
  {
    source: 'clip_test.cc: Clip_int32',
    op: 'Clip',
    inputs: [
      { shape: [1, 1, 3, 2], raw: { dtype: 'int32' } },
      { shape: [], constant: true, raw: { dtype: 'int32', values: [-5] } },
      { shape: [], constant: true, raw: { dtype: 'int32', values: [5] } },
    ],
    qtype: F,
    outputDtype: 'int32',
    opset: 13,
    expected: 'All',
  },
  // cumsum_test.cc: float CumSum (FP16 on the HTP), the axis an int32 or int64 initializer
  ...(
    [
      ['CumSum_float_int32_e0_r0_axis_0', 'int32', 0],
      ['CumSum_float_int32_e0_r0_axis_neg1', 'int32', -1],
      ['CumSum_float_int64_e0_r0_axis_1', 'int64', 1],
    ] as const
  ).map(([name, dtype, axis]): OpTest => ({
    source: `cumsum_test.cc: ${name}`,
    op: 'CumSum',
    inputs: [
      { shape: [3, 2], qtype: F },
      { shape: [], constant: true, raw: { dtype, values: [axis] } },
    ],
    attrs: { exclusive: attr.int(0), reverse: attr.int(0) },
    qtype: F,
    opset: 17,
    expected: 'All',
  })),
  {
    source: 'topk_test.cc: TopK_LargestFloats_U16_LastAxis',
    op: 'TopK',
    inputs: [x([1, 3, 4, 4], [-20, 20]), i64([2])],
    qtype: 'uint16',
    contribQdq: true,
    outputRange: [-20, 20],
    outputs: 2,
    opset: 21,
    expected: 'All',
  },
  {
    source: 'topk_test.cc: TopK_LargestFloats_U16_LastAxis_Largest_0',
    op: 'TopK',
    inputs: [x([1, 3, 4, 4], [-20, 20]), i64([2])],
    attrs: { largest: attr.int(0) },
    qtype: 'uint16',
    contribQdq: true,
    outputRange: [-20, 20],
    outputs: 2,
    opset: 21,
    expected: 'All',
  },
  // cumsum_test.cc
  {
    source: 'cumsum_test.cc: CumSum_uint8_int32_e0_r0',
    op: 'CumSum',
    inputs: [x([3, 2], [0.4, 7.2]), { shape: [], constant: true, raw: { dtype: 'int32', values: [0] } }],
    attrs: { exclusive: attr.int(0), reverse: attr.int(0) },
    qtype: 'uint8',
    outputRange: [0, 14.3],
    opset: 17,
    expected: 'All',
  },
  // flatten_test.cc (output qparams = input qparams)
  ...(
    [
      ['Flatten_Rank4_Axis0', 'uint8', 0],
      ['Flatten_Rank4_Axis0_U16', 'uint16', 0],
      ['Flatten_Rank4_AxisNeg1', 'uint8', -1],
      ['Flatten_Rank4_AxisNeg1_U16', 'uint16', -1],
    ] as const
  ).map(([name, q, axis]): OpTest => ({
    source: `flatten_test.cc: ${name}`,
    op: 'Flatten',
    inputs: [x([1, 3, 4, 4])],
    attrs: { axis: attr.int(axis) },
    qtype: q,
    contribQdq: q === 'uint16',
    opset: 13,
    expected: 'All',
  })),
  {
    source: 'flatten_test.cc: Flatten_QDQ8bit_Rank5',
    op: 'Flatten',
    inputs: [x([1, 2, 3, 4, 5], [0, 255])],
    attrs: { axis: attr.int(2) },
    qtype: 'uint8',
    outputQParams: { scale: 1, zp: 0 },
    opset: 13,
    expected: 'All',
  },
  // einsum_test.cc: RunQnnHtpQdqEinsum<uint8_t, uint8_t> (both inputs dynamic); the quantized
  // reduce-sum form is DISABLED_EinsumQdqReduceSumMulBroadcastX there, which the op builder
  // refuses for quantized inputs ("Failed to finalize QNN graph")
  ...(
    [
      ['EinsumQdqRank2MatMul', [2, 3], [3, 4], 'ij,jk->ik', 'All'],
      ['EinsumQdqRank4MatMul', [3, 1, 5, 2], [3, 1, 2, 5], 'bhij,bhjd->bhid', 'All'],
      ['EinsumQdqRank4MatMulTransposeY', [2, 3, 4, 2], [2, 3, 5, 2], 'bhid,bhjd->bhij', 'All'],
      ['EinsumQdqRank4MatMulTransposeY_QK', [2, 3, 4, 2], [2, 3, 5, 2], 'bnQd,bnKd->bnQK', 'All'],
      ['EinsumQdqRank3MatMulTransposeY', [2, 4, 2], [2, 5, 2], 'bid,bjd->bij', 'All'],
      ['EinsumQdqRank3MatMul_QK', [4, 5, 6], [4, 6, 5], 'hQK,hKd->hQd', 'All'],
      ['EinsumQdqRank4MatMulTransposeAll1', [1, 3, 1, 7], [1, 7, 1, 3], 'bchq,bkhc->bkhq', 'All'],
      ['EinsumQdqRank4MatMulTransposeAll2', [1, 4, 1, 4], [1, 9, 1, 4], 'bkhq,bchk->bchq', 'All'],
      ['EinsumQdqRank3MatMulTransposeY_QK', [2, 4, 2], [2, 5, 2], 'bQd,bKd->bQK', 'All'],
      ['EinsumQdqRank3MatMul', [4, 5, 6], [4, 6, 5], 'hij,hjk->hik', 'All'],
      ['EinsumQdqMatMulBroadcastTransposeY', [2, 3, 3, 4], [3, 3, 4], 'bhwc,hkc->bhwk', 'All'],
      ['DISABLED_EinsumQdqReduceSumMulBroadcastX', [1, 3, 2, 4], [2, 3, 4], 'bhwc,wkc->bhwk', 'None'],
    ] as const
  ).map(([name, a, b, equation, expected]): OpTest => ({
    source: `einsum_test.cc: ${name}`,
    op: 'Einsum',
    inputs: [x([...a], [-0.1, 0.5]), x([...b], [-0.1, 0.5])],
    attrs: { equation: attr.string(equation) },
    qtype: 'uint8',
    outputRange: [-1, 1],
    opset: 13,
    expected,
  })),
  // simple_op_test.cc, more: GridSample (input and grid Q/DQ'd; opset 17, linear mode at 21)
  ...(
    [
      ['GridSample_Bilinear', 'uint8', 'small', { align_corners: 0, mode: 'bilinear', padding_mode: 'zeros' }],
      ['GridSample_U16_Bilinear', 'uint16', 'small', { align_corners: 0, mode: 'bilinear', padding_mode: 'zeros' }],
      ['GridSample_AlignCorners', 'uint8', 'small', { align_corners: 1, mode: 'bilinear', padding_mode: 'zeros' }],
      ['GridSample_U16_AlignCorners', 'uint16', 'small', { align_corners: 1, mode: 'bilinear', padding_mode: 'zeros' }],
      ['GridSample_BorderPadding', 'uint8', 'small', { mode: 'bilinear', padding_mode: 'border' }],
      ['GridSample_Nearest', 'uint8', 'small', { mode: 'nearest' }],
      ['GridSample_U16_Nearest', 'uint16', 'small', { mode: 'nearest' }],
      ['GridSample_ReflectionPaddingMode', 'uint8', 'small', { padding_mode: 'reflection' }],
      ['GridSample_Linear_ZerosPadding', 'uint8', 'large', { mode: 'linear', padding_mode: 'zeros' }],
      [
        'GridSample_Linear_AlignCorners_BorderPadding',
        'uint8',
        'large',
        { align_corners: 1, mode: 'linear', padding_mode: 'border' },
      ],
      ['GridSample_Linear_ReflectionPadding_U16', 'uint16', 'large', { mode: 'linear', padding_mode: 'reflection' }],
    ] as const
  ).map(([name, q, size, attrs]): OpTest => ({
    source: `simple_op_test.cc: ${name}`,
    op: 'GridSample',
    inputs: size === 'small' ? [x([1, 1, 3, 2]), x([1, 2, 4, 2])] : [x([1, 3, 4, 6]), x([1, 4, 6, 2])],
    attrs: Object.fromEntries(
      Object.entries(attrs).map(([k, v]) => [k, typeof v === 'number' ? attr.int(v) : attr.string(v)]),
    ),
    qtype: q,
    contribQdq: q === 'uint16',
    opset: size === 'large' ? 21 : 17,
    expected: 'All',
  })),
  // ScatterElements with max and mul reductions (data and updates Q/DQ'd, int64 indices an input)
  ...(['max', 'mul'] as const).map((reduction): OpTest => ({
    source: `simple_op_test.cc: ${reduction === 'max' ? 'ScatterElements_Int8_Reduction_Max' : 'ScatterElements_int8_reduction_mul'}`,
    op: 'ScatterElements',
    inputs: [x([4], [0, 10]), { shape: [1], raw: { dtype: 'int64' } }, x([1], [0, 10])],
    attrs: { reduction: attr.string(reduction) },
    qtype: 'uint8',
    outputRange: [0, 10],
    opset: 17,
    expected: 'All',
  })),
  {
    source: 'simple_op_test.cc: ScatterElements_Float_Reduction_None',
    op: 'ScatterElements',
    inputs: [
      { shape: [4], qtype: F },
      { shape: [1], raw: { dtype: 'int64' } },
      { shape: [1], qtype: F },
    ],
    qtype: F,
    opset: 17,
    expected: 'All',
  },
  {
    source: 'simple_op_test.cc: UnaryOp_Softmax13_NonLastAxis_LargeInput',
    op: 'Softmax',
    inputs: [x([1, 124, 1], [-50, 50])],
    attrs: { axis: attr.int(1) },
    qtype: 'uint8',
    outputRange: [0, 1],
    opset: 13,
    expected: 'All',
  },
  {
    source: 'simple_op_test.cc: UnaryOp_LogSoftmax11_SetAxis',
    op: 'LogSoftmax',
    inputs: [x([1, 2, 3], [-5, 5])],
    attrs: { axis: attr.int(-1) },
    qtype: 'uint8',
    outputRange: [-10, 0],
    opset: 11,
    expected: 'All',
  },
  {
    source: 'simple_op_test.cc: UnaryOp_Not',
    op: 'Not',
    inputs: [{ shape: [1, 4], raw: { dtype: 'bool' } }],
    qtype: F,
    outputDtype: 'bool',
    opset: 17,
    expected: 'All',
  },
  {
    source: 'simple_op_test.cc: Reciprocal_Basic_FLOAT',
    op: 'Reciprocal',
    inputs: [{ shape: [2, 2], qtype: F }],
    qtype: F,
    opset: 13,
    expected: 'All',
  },
  // simple_op_test.cc and max_min_test.cc, more
  ...(
    [
      ['max_min_test.cc: Max_2Inputs', 'Max', [1, 3, 4, 4], [1, 3, 4, 4], false, 13, {}],
      ['max_min_test.cc: Min_2Inputs', 'Min', [1, 3, 4, 4], [1, 3, 4, 4], false, 13, {}],
      ['simple_op_test.cc: BinaryOp_Pow', 'Pow', [1, 2, 2, 2], [1, 2, 2, 2], false, 15, {}],
      ['simple_op_test.cc: BinaryOp_Sub4D_Broadcast', 'Sub', [1, 3, 768, 1152], [3, 1, 1], true, 17, {}],
      [
        'simple_op_test.cc: VariadicOp_Concat_2Inputs_2ndAxis',
        'Concat',
        [1, 2, 2, 2],
        [1, 3, 2, 2],
        false,
        13,
        { axis: 1 },
      ],
    ] as const
  ).map(([source, op, a, b, bConst, opset, attrs]): OpTest => ({
    source,
    op,
    inputs: [x([...a]), bConst ? c([...b], { range: [-0.3, 1] }) : x([...b], [-2, 2])],
    attrs: Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k, attr.int(v)])),
    qtype: 'uint8',
    opset,
    expected: 'All',
  })),
  {
    source: 'simple_op_test.cc: UnaryOp_Softmax13_U16_NonLastAxis_LargeInput',
    op: 'Softmax',
    inputs: [x([1, 124, 1], [-50, 50])],
    attrs: { axis: attr.int(1) },
    qtype: 'uint16',
    contribQdq: true,
    outputRange: [0, 1],
    opset: 13,
    expected: 'All',
  },
  {
    source: 'simple_op_test.cc: BinaryOp_And4D',
    op: 'And',
    inputs: [
      { shape: [1, 4], raw: { dtype: 'bool' } },
      { shape: [1, 4], raw: { dtype: 'bool' } },
    ],
    qtype: F,
    outputDtype: 'bool',
    opset: 17,
    expected: 'All',
  },
  {
    source: 'simple_op_test.cc: UnaryOp_HardSigmoid_QDQ_Supported',
    op: 'HardSigmoid',
    inputs: [x([1, 2, 2, 2])],
    qtype: 'uint8',
    outputRange: [0, 1],
    opset: 19,
    expected: 'All',
  },
  // Integer and bool data through data-movement ops, no Q/DQ (the tests' *OnHTP helpers)
  ...(
    [
      ['reshape_expand_test.cc: Reshape_4D_int32', 'Reshape', 'int32', [1, 3, 2, 2], [1, 1, 12], {}, 19],
      ['reshape_expand_test.cc: Reshape_4D_int64', 'Reshape', 'int64', [1, 3, 2, 2], [1, 1, 12], {}, 19],
      ['reshape_expand_test.cc: Expand_HTP_int32', 'Expand', 'int32', [1], [1, 2, 3], {}, 19],
      ['reshape_expand_test.cc: Expand_HTP_int64', 'Expand', 'int64', [1], [1, 2, 3], {}, 19],
      ['reshape_expand_test.cc: Expand_HTP_bool', 'Expand', 'bool', [1], [1, 2, 3], {}, 19],
      ['squeeze_unsqueeze_test.cc: Squeeze_Int32_Rank4_Rank3', 'Squeeze', 'int32', [1, 3, 2, 2], [0], {}, 13],
      ['squeeze_unsqueeze_test.cc: Unsqueeze_Int32_Rank3_Rank4', 'Unsqueeze', 'int32', [3, 2, 2], [0], {}, 13],
      ['flatten_test.cc: Flatten_Int32_Rank4_Axis2', 'Flatten', 'int32', [1, 3, 2, 2], null, { axis: 2 }, 13],
      ['flatten_test.cc: Flatten_Int32_Rank5_Axis2', 'Flatten', 'int32', [1, 3, 2, 2, 2], null, { axis: 2 }, 13],
      ['slice_test.cc: SliceInt32OnHTP', 'Slice', 'int32', [5120], 'slice', {}, 13],
    ] as const
  ).map(([source, op, dtype, shape, second, attrs, opset]): OpTest => ({
    source,
    op,
    inputs: [
      { shape: [...shape], raw: { dtype } },
      ...(second === 'slice' ? [i64([0]), i64([-1]), i64([0]), i64([2])] : second ? [i64([...second])] : []),
    ],
    attrs: Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k, attr.int(v)])),
    qtype: F,
    outputDtype: dtype,
    opset,
    expected: 'All',
  })),
  {
    source: 'transpose_test.cc: TransposeInt32OnHTP',
    op: 'Transpose',
    inputs: [{ shape: [1, 3, 224, 128], raw: { dtype: 'int32' } }],
    attrs: { perm: attr.ints([0, 2, 3, 1]) },
    qtype: F,
    outputDtype: 'int32',
    expected: 'All',
  },
  {
    source: 'transpose_test.cc: TransposeFloat32OnHTP',
    op: 'Transpose',
    inputs: [{ shape: [1, 3, 224, 128], qtype: F }],
    attrs: { perm: attr.ints([0, 2, 3, 1]) },
    qtype: F,
    expected: 'All',
  },
  {
    source: 'split_test.cc: Split_Int32_Opset13',
    op: 'Split',
    inputs: [{ shape: [4, 2], raw: { dtype: 'int32' } }, i64([2, 2])],
    attrs: { axis: attr.int(0) },
    qtype: F,
    outputDtype: 'int32',
    outputs: 2,
    opset: 13,
    expected: 'All',
  },
  // einsum_test.cc: RunQnnEinsum<float> on the HTP (FP16), both inputs dynamic
  ...(
    [
      ['EinsumF16Rank2MatMul', [2, 3], [3, 4], 'ij,jk->ik'],
      ['EinsumF16Rank4MatMul', [3, 1, 5, 2], [3, 1, 2, 5], 'bhij,bhjd->bhid'],
      ['EinsumF16Rank4MatMulTransposeY', [2, 3, 4, 2], [2, 3, 5, 2], 'bhid,bhjd->bhij'],
      ['EinsumF16Rank4MatMulTransposeY_QK', [2, 3, 4, 2], [2, 3, 5, 2], 'bnQd,bnKd->bnQK'],
      ['EinsumRank3MatMulTransposeY', [2, 4, 2], [2, 5, 2], 'bid,bjd->bij'],
      ['EinsumRank3MatMulTransposeY_QK', [2, 4, 2], [2, 5, 2], 'bQd,bKd->bQK'],
      ['EinsumRank3MatMul_QK', [2, 3, 4], [2, 4, 3], 'hQK,hKd->hQd'],
      ['EinsumF16Rank4MatMulTransposeAll1', [1, 3, 1, 7], [1, 7, 1, 3], 'bchq,bkhc->bkhq'],
      ['EinsumF16Rank4MatMulTransposeAll2', [1, 4, 1, 4], [1, 9, 1, 4], 'bkhq,bchk->bchq'],
      ['EinsumF16MatMulBroadcastTransposeY', [2, 3, 3, 4], [3, 3, 4], 'bhwc,hkc->bhwk'],
      ['EinsumF16ReduceSumMulBroadcastX', [1, 3, 2, 4], [2, 3, 4], 'bhwc,wkc->bhwk'],
    ] as const
  ).map(([name, a, b, equation]): OpTest => ({
    source: `einsum_test.cc: ${name}`,
    op: 'Einsum',
    inputs: [
      { shape: [...a], qtype: F },
      { shape: [...b], qtype: F },
    ],
    attrs: { equation: attr.string(equation) },
    qtype: F,
    opset: 13,
    expected: 'All',
  })),
  // fusedmatmul_test.cc: RunQDQFusedMatMulTest (both inputs dynamic, Q/DQ'd by their ranges)
  ...(
    [
      ['FusedMatMul_QDQ_U8_Default', 'uint8', [2, 3], [3, 2], false],
      ['FusedMatMul_QDQ_U8_BatchTranspose', 'uint8', [2, 2, 4], [2, 4, 5], true],
      ['FusedMatMul_QDQ_U16_Default', 'uint16', [2, 3], [3, 2], false],
      ['FusedMatMul_QDQ_U16_BatchTranspose', 'uint16', [2, 2, 4], [2, 4, 5], true],
    ] as const
  ).map(([name, q, a, b, batchA]): OpTest => ({
    source: `fusedmatmul_test.cc: ${name}`,
    op: 'FusedMatMul',
    domain: 'com.microsoft',
    inputs: [x([...a], [-1, 1]), x([...b], [-1, 1])],
    attrs: {
      transA: attr.int(0),
      transB: attr.int(0),
      transBatchA: attr.int(batchA ? 1 : 0),
      transBatchB: attr.int(0),
      alpha: attr.float(1),
    },
    qtype: q,
    contribQdq: q === 'uint16',
    outputRange: [-4, 4],
    opset: 13,
    expected: 'All',
  })),
  // gather_test.cc (output qparams = input qparams)
  ...(
    [
      ['GatherOp_IndicesStaticInt64_Axis0', 'uint8', 'int64', true, 0],
      ['GatherOp_U16_IndicesStaticInt64_Axis0', 'uint16', 'int64', true, 0],
      ['GatherOp_IndicesDynamicInt64_Axis0', 'uint8', 'int64', false, 0],
      ['GatherOp_IndicesStaticInt32_Axis0', 'uint8', 'int32', true, 0],
      ['GatherOp_IndicesDynamicInt32_Axis0', 'uint8', 'int32', false, 0],
      ['GatherOp_IndicesStaticInt32_Axis1', 'uint8', 'int32', true, 1],
    ] as const
  ).map(([name, q, it, constant, axis]): OpTest => ({
    source: `gather_test.cc: ${name}`,
    op: 'Gather',
    inputs: [
      x(axis === 1 ? [3, 3] : [3, 2], [1, 5.9]),
      { shape: axis === 1 ? [1, 2] : [2, 2], constant, raw: { dtype: it, values: axis === 1 ? [0, 2] : [0, 1, 1, 2] } },
    ],
    attrs: { axis: attr.int(axis) },
    qtype: q,
    contribQdq: q === 'uint16',
    outputRange: [1, 5.9],
    opset: 13,
    expected: 'All',
  })),
  {
    source: 'gather_test.cc: GatherNDOp_QDQ_IndicesStaticInt64_BatchDims0',
    op: 'GatherND',
    inputs: [x([2, 2, 2], [0, 7]), { shape: [2, 2], constant: true, raw: { dtype: 'int64', values: [0, 0, 1, 1] } }],
    attrs: { batch_dims: attr.int(0) },
    qtype: 'uint8',
    outputRange: [0, 7],
    opset: 13,
    expected: 'All',
  },
  // gather_test.cc, more: Gather of int64 and of bool data (no Q/DQ), negative static indices
  {
    source: 'gather_test.cc: GatherOp_InputIndicesInt64',
    op: 'Gather',
    inputs: [
      { shape: [3, 2], raw: { dtype: 'int64' } },
      { shape: [2, 2], constant: true, raw: { dtype: 'int64', values: [0, 1, 1, 2] } },
    ],
    attrs: { axis: attr.int(0) },
    qtype: F,
    outputDtype: 'int64',
    opset: 13,
    expected: 'All',
  },
  {
    source: 'gather_test.cc: GatherOp_BoolInputOutput',
    op: 'Gather',
    inputs: [
      { shape: [3, 2], raw: { dtype: 'bool' } },
      { shape: [2, 2], constant: true, raw: { dtype: 'int32', values: [0, 1, 1, 2] } },
    ],
    attrs: { axis: attr.int(0) },
    qtype: F,
    outputDtype: 'bool',
    opset: 13,
    expected: 'All',
  },
  {
    source: 'gather_test.cc: GatherOp_IndicesStaticInt32_NegativeIndices',
    op: 'Gather',
    inputs: [x([3, 2], [1, 5.9]), { shape: [2, 2], constant: true, raw: { dtype: 'int32', values: [0, -1, -2, 1] } }],
    attrs: { axis: attr.int(0) },
    qtype: 'uint8',
    outputRange: [1, 5.9],
    opset: 13,
    expected: 'All',
  },
  {
    source: 'gather_test.cc: GatherNDOp_QDQ_IndicesDynamicInt64_BatchDims0',
    op: 'GatherND',
    inputs: [x([2, 2, 2], [0, 7]), { shape: [2, 2], raw: { dtype: 'int64' } }],
    attrs: { batch_dims: attr.int(0) },
    qtype: 'uint8',
    outputRange: [0, 7],
    opset: 13,
    expected: 'All',
  },
  // gatherelements_test.cc, more: int32 and bool data (no Q/DQ); static int32/int64 indices
  {
    source: 'gatherelements_test.cc: GatherElems_DataInt32_IndicesInt32_Rank1',
    op: 'GatherElements',
    inputs: [
      { shape: [3], raw: { dtype: 'int32' } },
      { shape: [2], raw: { dtype: 'int32' } },
    ],
    attrs: { axis: attr.int(0) },
    qtype: F,
    outputDtype: 'int32',
    expected: 'All',
  },
  {
    source: 'gatherelements_test.cc: GatherElems_DataBool_IndicesInt32',
    op: 'GatherElements',
    inputs: [
      { shape: [2, 3], raw: { dtype: 'bool' } },
      { shape: [2, 3], raw: { dtype: 'int32' } },
    ],
    attrs: { axis: attr.int(1) },
    qtype: F,
    outputDtype: 'bool',
    expected: 'All',
  },
  ...(
    [
      ['GatherElems_DataUint8_StaticIndicesInt32', 'int32', true, [1, 2, 0, 2, 0, 0]],
      ['GatherElems_DataUint8_StaticIndicesInt64', 'int64', true, [1, 2, 0, 2, 0, 0]],
      ['GatherElems_DataUint8_StaticNegIndicesInt32', 'int32', true, [1, 2, -3, 2, 0, 0]],
      ['GatherElems_DataUint8_StaticNegIndicesInt64', 'int64', true, [1, -1, -3, 2, 0, 0]],
      ['GatherElems_DynamicInt64IndicesSupportedAsGraphInput', 'int64', false, [1, 2, 0, 2, 0, 0]],
    ] as const
  ).map(([name, it, constant, values]): OpTest => ({
    source: `gatherelements_test.cc: ${name}`,
    op: 'GatherElements',
    inputs: [x([3, 3], [1, 9]), { shape: [2, 3], constant, raw: { dtype: it, values: [...values] } }],
    attrs: { axis: attr.int(1) },
    qtype: 'uint8',
    outputRange: [1, 9],
    expected: 'All',
  })),
  // gatherelements_test.cc (output qparams = input qparams)
  {
    source: 'gatherelements_test.cc: GatherElems_DataUint8_IndicesInt32',
    op: 'GatherElements',
    inputs: [x([3, 3], [1, 9]), { shape: [2, 3], raw: { dtype: 'int32' } }],
    attrs: { axis: attr.int(1) },
    qtype: 'uint8',
    outputRange: [1, 9],
    expected: 'All',
  },
  {
    source: 'gatherelements_test.cc: GatherElems_DataUint16_StaticNegIndicesInt64',
    op: 'GatherElements',
    inputs: [
      x([1, 2, 3, 3], [-8, 9]),
      { shape: [1, 1, 2, 2], constant: true, raw: { dtype: 'int64', values: [0, -1, -3, 2] } },
    ],
    attrs: { axis: attr.int(-1) },
    qtype: 'uint16',
    outputRange: [-8, 9],
    opset: 21,
    expected: 'All',
  },
  // leakyrelu_test.cc
  ...([15, 16] as const).map((opset): OpTest => ({
    source: `leakyrelu_test.cc: LeakyReluOpSet${opset}`,
    op: 'LeakyRelu',
    inputs: [x([1, 2, 3], [-40, 40])],
    attrs: { alpha: attr.float(0.2) },
    qtype: 'uint8',
    outputRange: [-8, 40],
    opset,
    expected: 'All',
  })),
  // logical_compare_test.cc: bool output, no Q/DQ after the op
  ...(['Equal', 'Greater', 'GreaterOrEqual', 'Less', 'LessOrEqual'] as const).map((op): OpTest => ({
    source: `logical_compare_test.cc: LogicalOp${op}4D`,
    op,
    inputs: [
      { shape: [1, 3, 16, 16], qparams: { scale: 0.0038, zp: 127 } },
      { shape: [1, 3, 16, 16], qparams: { scale: 0.0038, zp: 127 } },
    ],
    qtype: 'uint8',
    outputQType: F,
    outputDtype: 'bool',
    opset: 17,
    expected: 'All',
  })),
  // lrn_test.cc
  ...([3, 5, 255] as const).map((size): OpTest => ({
    source: `lrn_test.cc: ${size === 255 ? 'LRN_size_larger_than_channel' : `LRNSize${size}`}`,
    op: 'LRN',
    inputs: [x([1, 128, 4, 5])],
    attrs: { size: attr.int(size), alpha: attr.float(0.0001), beta: attr.float(0.75), bias: attr.float(1) },
    qtype: 'uint8',
    opset: 13,
    expected: 'All',
  })),
  // matmul_test.cc: MatMulOp_QDQ (activation, weight, output types in the template)
  ...(
    [
      ['u8 [2,3] x [3,2], both dynamic', 'uint8', 'uint8', [2, 3], [3, 2], false, false, 21],
      ['u8 [2,3] x [3,2], weight constant', 'uint8', 'uint8', [2, 3], [3, 2], false, true, 21],
      ['u8 [2,2,3] constant x [3,2]', 'uint8', 'uint8', [2, 2, 3], [3, 2], true, false, 18],
      ['u8 [2,1,3,3] x [3,3,2] constant', 'uint8', 'uint8', [2, 1, 3, 3], [3, 3, 2], false, true, 21],
      ['u8 [3] x [3]', 'uint8', 'uint8', [3], [3], false, false, 21],
      ['u16 x u8 [2,3] x [3,2], both dynamic', 'uint16', 'uint8', [2, 3], [3, 2], false, false, 21],
      ['u16 x u8 [2,3] x [3,2], weight constant', 'uint16', 'uint8', [2, 3], [3, 2], false, true, 18],
      ['u16 x u8 [3] x [3,2] constant', 'uint16', 'uint8', [3], [3, 2], false, true, 21],
      ['u16 x u8 [2,3,3,3] x [3]', 'uint16', 'uint8', [2, 3, 3, 3], [3], false, false, 21],
    ] as const
  ).map(([what, a, w, s0, s1, const0, const1, opset]): OpTest => ({
    source: `matmul_test.cc: MatMulOp_QDQ (${what})`,
    op: 'MatMul',
    inputs: [
      { shape: [...s0], constant: const0, range: [-10, 10] },
      { shape: [...s1], constant: const1, range: [-10, 10], qtype: w },
    ],
    qtype: a,
    contribQdq: opset === 18,
    outputRange: [-100, 100],
    opset,
    expected: 'All',
  })),
  {
    source: 'matmul_test.cc: MatMulOp_QDQ (u16 x per-channel int8 weight [2,3] x [3,2] axis 1)',
    op: 'MatMul',
    inputs: [x([2, 3]), c([3, 2], { qtype: 'int8', symmetric: true, perChannelAxis: 1 })],
    qtype: 'uint16',
    outputRange: [-30, 30],
    opset: 21,
    expected: 'All',
  },
  {
    source: 'matmul_test.cc: MatMulOp_QDQ_Regression_uint16_dynamic_inputs',
    op: 'MatMul',
    inputs: [x([1, 12, 512, 96], [-5.087, 4.992]), x([1, 12, 96, 512], [-6.772, 7.258])],
    qtype: 'uint16',
    outputRange: [-100, 100],
    opset: 21,
    // ONNX Runtime inserts a Convert to uint8 on the second input (a warning under its flow); its
    // FusedMatMul test below runs two uint16 inputs unchanged, so no other flow rejects it.
    expected: 'All',
  },
  {
    source: 'matmul_test.cc: MatMulOp_QDQ_Regression_uint16_static_weight',
    op: 'MatMul',
    inputs: [x([1, 12, 512, 96], [-5.087, 4.992]), c([1, 12, 96, 512], { range: [-6.772, 7.258] })],
    qtype: 'uint16',
    outputRange: [-100, 100],
    opset: 21,
    expected: 'All',
  },
  // pad_test.cc: reflect mode's limits
  ...(
    [
      ['PadReflectMode', [0, 1, 0, 0], 'All'],
      ['PadReflectModeNeg', [0, -1, -1, 0], 'None'],
      ['PadReflectModeOutOfRangePadAmount', [0, 2, 0, 0], 'None'],
    ] as const
  ).map(([name, pads, expected]): OpTest => ({
    source: `pad_test.cc: ${name}`,
    op: 'Pad',
    inputs: [x([3, 2], [1, 5.6]), i64([...pads]), c([1], { range: [0, 0] })],
    attrs: { mode: attr.string('reflect') },
    qtype: 'uint8',
    outputRange: [1, 5.6],
    opset: 18,
    expected,
  })),
  {
    source: 'pad_test.cc: Pad4dReflectMode',
    op: 'Pad',
    inputs: [x([1, 2, 2, 2], [1, 8]), i64([0, 1, 1, 1, 0, 1, 1, 1]), c([1], { range: [0, 0] })],
    attrs: { mode: attr.string('reflect') },
    qtype: 'uint8',
    outputRange: [1, 8],
    opset: 18,
    expected: 'All',
  },
  // quickgelu_test.cc: float (FP16 on the HTP, float32 or float16 inputs) and QDQ, any alpha
  ...(
    [
      ['QuickGelu_Default_Alpha', F, 1],
      ['QuickGelu_Custom_Alpha', F, 1.702],
      ['QuickGelu_Negative_Alpha', F, -1.702],
      ['QuickGelu_QDQ_U8_Custom_Alpha', 'uint8', 1.702],
      ['QuickGelu_QDQ_U16_Default_Alpha', 'uint16', 1],
      ['QuickGelu_QDQ_U16_Custom_Alpha', 'uint16', 1.702],
    ] as const
  ).map(([name, q, alpha]): OpTest => ({
    source: `quickgelu_test.cc: ${name}`,
    op: 'QuickGelu',
    domain: 'com.microsoft',
    inputs: [q === F ? { shape: [1, 3, 4, 4], qtype: F } : x([1, 3, 4, 4])],
    attrs: { alpha: attr.float(alpha) },
    qtype: q,
    contribQdq: q === 'uint16',
    outputRange: [-0.3, 10],
    expected: 'All',
  })),
  ...(
    [
      ['QuickGelu_Float16_Default_Alpha', 1],
      ['QuickGelu_Float16_Custom_Alpha', 1.702],
      ['QuickGelu_Float16_Negative_Alpha', -1.702],
    ] as const
  ).map(([name, alpha]): OpTest => ({
    source: `quickgelu_test.cc: ${name}`,
    op: 'QuickGelu',
    domain: 'com.microsoft',
    inputs: [{ shape: [1, 3, 4, 4], raw: { dtype: 'float16' } }],
    attrs: { alpha: attr.float(alpha) },
    qtype: F,
    outputDtype: 'float16',
    expected: 'All',
  })),
  // quickgelu_test.cc
  {
    source: 'quickgelu_test.cc: QuickGelu_QDQ_U8_Default_Alpha',
    op: 'QuickGelu',
    domain: 'com.microsoft',
    inputs: [x([1, 3, 4, 4])],
    attrs: { alpha: attr.float(1) },
    qtype: 'uint8',
    outputRange: [-0.3, 10],
    expected: 'All',
  },
  // rmsnormalization_test.cc (opset 23; output qparams from the input's range)
  ...(
    [
      ['RMSNorm1D_LastAxis_StaticScale_AU8_WU8', 'uint8', [1, 2, 3], [0, 10], [0, 1], true],
      ['RMSNorm1D_LastAxis_StaticScale_AU16_WU8', 'uint16', [1, 2, 3], [0, 10], [0, 1], true],
      ['RMSNormU8U8_4D_LastAxis', 'uint8', [1, 2, 3, 3], [-10, 10], [-2, 2], true],
      ['RMSNorm1D_LastAxis_DynamicScale', 'uint8', [1, 2, 3], [0, 10], [0, 1], false],
    ] as const
  ).map(([name, a, shape, range, wrange, constant]): OpTest => ({
    source: `rmsnormalization_test.cc: ${name}`,
    op: 'RMSNormalization',
    inputs: [
      x([...shape], [...range]),
      { shape: [shape[shape.length - 1]!], constant, range: [...wrange], qtype: 'uint8' },
    ],
    attrs: { axis: attr.int(-1) },
    qtype: a,
    contribQdq: a === 'uint16',
    outputRange: [...range],
    opset: 23,
    expected: 'All',
  })),
  // simple_op_test.cc, more: RunQDQOpTest (each input Q/DQ'd by its own range; the output by the
  // float model's output range; 16-bit tests use com.microsoft Q/DQ)
  ...(
    [
      ['UnaryOp_Gelu', 'Gelu', 'uint8', [-10, 10], [-0.17, 10], 11, {}],
      ['UnaryOp_Gelu_U16', 'Gelu', 'uint16', [-10, 10], [-0.17, 10], 11, {}],
      ['UnaryOp_Elu', 'Elu', 'uint8', [-10, 10], [-1, 10], 11, {}],
      ['UnaryOp_Elu_U16', 'Elu', 'uint16', [-10, 10], [-1, 10], 11, {}],
      ['UnaryOp_Relu', 'Relu', 'uint8', [-10, 10], [0, 10], 14, {}],
      ['UnaryOp_HardSwish', 'HardSwish', 'uint8', [-10, 10], [-0.375, 10], 14, {}],
      ['UnaryOp_HardSwish_U16', 'HardSwish', 'uint16', [-10, 10], [-0.375, 10], 14, {}],
      ['UnaryOp_Atan', 'Atan', 'uint8', [-10, 10], [-1.47, 1.47], 14, {}],
      ['UnaryOp_Atan_U16', 'Atan', 'uint16', [-10, 10], [-1.47, 1.47], 14, {}],
      ['UnaryOp_Asin', 'Asin', 'uint8', [-0.5, 0.5], [-0.53, 0.53], 13, {}],
      ['UnaryOp_Sign', 'Sign', 'uint8', [-10, 10], [-1, 1], 13, {}],
      ['UnaryOp_Sign_U16', 'Sign', 'uint16', [-10, 10], [-1, 1], 13, {}],
      ['UnaryOp_Sin', 'Sin', 'uint8', [-3.14159, 3.14159], [-1, 1], 11, {}],
      ['UnaryOp_Cos', 'Cos', 'uint8', [-3.14159, 3.14159], [-1, 1], 11, {}],
      ['UnaryOp_Log', 'Log', 'uint8', [1.05622, 100.88436], [0.05, 4.62], 11, {}],
      ['UnaryOp_Log_U16', 'Log', 'uint16', [1, 128], [0, 4.86], 11, {}],
      ['UnaryOp_Exp', 'Exp', 'uint8', [-10, 10], [0, 22026.5], 13, {}],
      ['UnaryOp_Sqrt', 'Sqrt', 'uint8', [0, 20], [0, 4.48], 13, {}],
      ['UnaryOp_Neg', 'Neg', 'uint8', [-10, 10], [-10, 10], 13, {}],
      ['UnaryOp_Round', 'Round', 'uint8', [-9, 9], [-9, 9], 11, {}],
      ['UnaryOp_Abs', 'Abs', 'uint8', [-10, 10], [0, 10], 13, {}],
      ['UnaryOp_Abs_U16', 'Abs', 'uint16', [-10, 10], [0, 10], 13, {}],
      ['UnaryOp_Ceil', 'Ceil', 'uint8', [-12, 12], [-12, 12], 13, {}],
      ['UnaryOp_Ceil_U16', 'Ceil', 'uint16', [-12, 12], [-12, 12], 13, {}],
      ['UnaryOp_Floor', 'Floor', 'uint8', [-12, 12], [-12, 12], 13, {}],
      ['UnaryOp_Softmax13_DefaultAxis', 'Softmax', 'uint8', [-5, 5], [0, 1], 13, {}],
      ['UnaryOp_Softmax13_U16_DefaultAxis', 'Softmax', 'uint16', [-5, 5], [0, 1], 13, {}],
      ['UnaryOp_Softmax13_NonLastAxis', 'Softmax', 'uint8', [0, 120], [0, 1], 13, { axis: 1 }],
      ['UnaryOp_Softmax11_DefaultAxis', 'Softmax', 'uint8', [-5, 5], [0, 1], 11, {}],
      ['UnaryOp_Softmax11_SetAxis', 'Softmax', 'uint8', [-5, 5], [0, 1], 11, { axis: -1 }],
      ['UnaryOp_LogSoftmax13_DefaultAxis', 'LogSoftmax', 'uint8', [-5, 5], [-10.4, 0], 13, {}],
      ['UnaryOp_LogSoftmax13_NonLastAxis', 'LogSoftmax', 'uint8', [-5, 5], [-10.4, 0], 13, { axis: 1 }],
      ['UnaryOp_LogSoftmax11_DefaultAxis', 'LogSoftmax', 'uint8', [-5, 5], [-10.4, 0], 11, {}],
      ['Reciprocal_QU8', 'Reciprocal', 'uint8', [1, 5], [0.2, 1], 13, {}],
    ] as const
  ).map(([name, op, q, range, out, opset, a]): OpTest => ({
    source: `simple_op_test.cc: ${name}`,
    op,
    domain: op === 'Gelu' && opset === 11 ? 'com.microsoft' : undefined,
    inputs: [x(name === 'UnaryOp_Softmax13_NonLastAxis' ? [1, 2, 3, 3] : [1, 2, 3], [...range])],
    attrs: 'axis' in a ? { axis: attr.int(a.axis) } : {},
    qtype: q,
    contribQdq: q === 'uint16',
    outputRange: [...out],
    opset,
    expected: 'All',
  })),
  ...(
    [
      ['DepthToSpaceOp_CRD', 'DepthToSpace', 'uint8', [1, 4, 2, 3], [0, 32], { blocksize: 2, mode: 'CRD' }],
      ['DepthToSpaceOp_U16_CRD', 'DepthToSpace', 'uint16', [1, 4, 2, 3], [0, 32], { blocksize: 2, mode: 'CRD' }],
      ['DepthToSpaceOp_DCR', 'DepthToSpace', 'uint8', [1, 4, 2, 3], [0, 32], { blocksize: 2, mode: 'DCR' }],
      ['SpaceToDepthOp', 'SpaceToDepth', 'uint8', [1, 2, 2, 4], [0, 3.3], { blocksize: 2 }],
      ['SpaceToDepthOp_U16', 'SpaceToDepth', 'uint16', [1, 2, 2, 4], [0, 3.3], { blocksize: 2 }],
    ] as const
  ).map(([name, op, q, shape, range, a]): OpTest => ({
    source: `simple_op_test.cc: ${name}`,
    op,
    inputs: [x([...shape], [...range])],
    attrs: {
      blocksize: attr.int(a.blocksize),
      ...('mode' in a ? { mode: attr.string(a.mode) } : {}),
    },
    qtype: q,
    contribQdq: q === 'uint16',
    outputRange: [...range],
    opset: 11,
    expected: 'All',
  })),
  ...(
    [
      ['BinaryOp_Add4D', 'Add', 'uint8', [-10, 10], [-10, 10], false, [-20, 20]],
      ['BinaryOp_Add4D_U16', 'Add', 'uint16', [-10, 10], [-10, 10], false, [-20, 20]],
      ['BinaryOp_Sub4D', 'Sub', 'uint8', [-10, 10], [-10, 10], false, [-20, 20]],
      ['BinaryOp_Sub4D_U16', 'Sub', 'uint16', [-10, 10], [0, 20], false, [-30, 10]],
      ['BinaryOp_PRelu_DynamicSlopes', 'PRelu', 'uint8', [-10, 10], [-1, 1], false, [-10, 10]],
      ['BinaryOp_PRelu_StaticSlopes', 'PRelu', 'uint8', [-10, 10], [-1, 1], true, [-10, 10]],
      ['BinaryOp_Div4D_SmallInputs', 'Div', 'uint8', [-10, 10], [1, 5], false, [-10, 10]],
      ['BinaryOp_Div4D_U16_SmallInputs', 'Div', 'uint16', [-10, 10], [1, 5], false, [-10, 10]],
      ['BinaryOp_Mul4D', 'Mul', 'uint8', [-10, 10], [-10, 10], false, [-100, 100]],
      ['BinaryOp_Mul4D_U16', 'Mul', 'uint16', [-10, 10], [-10, 10], false, [-100, 100]],
      ['Mean_TwoInputs_QU8', 'Mean', 'uint8', [0, 10], [10, 20], false, [5, 15]],
    ] as const
  ).map(([name, op, q, r0, r1, const1, out]): OpTest => ({
    source: `simple_op_test.cc: ${name}`,
    op,
    inputs: [
      x(op === 'Mean' ? [1, 2, 2] : [1, 2, 2, 2], [...r0]),
      { shape: op === 'Mean' ? [1, 2, 2] : [1, 2, 2, 2], constant: const1, range: [...r1] },
    ],
    qtype: q,
    contribQdq: q === 'uint16',
    outputRange: [...out],
    opset: op === 'PRelu' ? 16 : op === 'Mean' ? 13 : 17,
    expected: 'All',
  })),
  {
    source: 'simple_op_test.cc: BinaryOp_Div4D_Broadcast',
    op: 'Div',
    inputs: [x([1, 3, 768, 1152], [-1, 1]), c([3, 1, 1], { range: [-0.3, 1] })],
    qtype: 'uint8',
    outputRange: [-3.4, 3.4],
    opset: 17,
    expected: 'All',
  },
  {
    source: 'simple_op_test.cc: Mean_FourInputs_QU8',
    op: 'Mean',
    inputs: [x([1, 2, 2], [0, 10]), x([1, 2, 2], [10, 20]), x([1, 2, 2], [20, 30]), x([1, 2, 2], [30, 40])],
    qtype: 'uint8',
    outputRange: [15, 25],
    opset: 13,
    expected: 'All',
  },
  ...(['uint8', 'uint16'] as const).map((q): OpTest => ({
    source: `simple_op_test.cc: LpNormalization_${q === 'uint8' ? 'u8' : 'u16'}_rank4`,
    op: 'LpNormalization',
    inputs: [x([1, 2, 2, 2])],
    attrs: { axis: attr.int(-1), p: attr.int(2) },
    qtype: q,
    contribQdq: q === 'uint16',
    outputRange: [-1, 1],
    opset: 13,
    expected: 'All',
  })),
  // slice_test.cc (output qparams = input qparams)
  {
    source: 'slice_test.cc: SliceSmallDataQDQU8',
    op: 'Slice',
    inputs: [x([8], [0, 1]), i64([0]), i64([-1]), i64([0]), i64([2])],
    qtype: 'uint8',
    outputRange: [0, 1],
    expected: 'All',
  },
  ...(['uint8', 'uint16'] as const).map((q): OpTest => ({
    source: `slice_test.cc: Slice${q === 'uint8' ? 'U8' : 'U16'}_MultAxes`,
    op: 'Slice',
    inputs: [x([2, 4], [1, 8]), i64([1, 0]), i64([2, 3]), i64([0, 1]), i64([1, 2])],
    qtype: q,
    contribQdq: q === 'uint16',
    outputRange: [1, 8],
    expected: 'All',
  })),
  {
    // An end past the dimension (1000 on a dimension of 4) is clamped, as ONNX says.
    source: 'slice_test.cc: SliceU8_MultAxes_LargeEnd',
    op: 'Slice',
    inputs: [x([2, 4], [1, 8]), i64([0, 1]), i64([-1, 1000]), i64([0, 1]), i64([1, 1])],
    qtype: 'uint8',
    outputRange: [1, 8],
    expected: 'All',
  },
  // split_test.cc (every output Q/DQ'd with the input's qparams)
  ...(
    [
      ['Split_Equal_Axis0_Opset18 (split input)', 'uint8', [6, 2], [2, 2, 2], 0, 18],
      ['Split_Equal_Axis0_Opset18 (num_outputs)', 'uint8', [6, 2], null, 3, 18],
      ['Split_NonEqual_Axis0_Opset18', 'uint8', [7, 2], [3, 3, 1], 0, 18],
      ['Split_Equal_Axis0_Opset18_U16', 'uint16', [4, 2], [2, 2], 0, 18],
      ['Split_Equal_Axis0_Opset13', 'uint8', [4, 2], [2, 2], 0, 13],
    ] as const
  ).map(([name, q, shape, split, numOutputs, opset]): OpTest => ({
    source: `split_test.cc: ${name}`,
    op: 'Split',
    inputs: [x([...shape], [0, 13]), ...(split ? [i64([...split])] : [])],
    attrs: { axis: attr.int(0), ...(numOutputs ? { num_outputs: attr.int(numOutputs) } : {}) },
    qtype: q,
    contribQdq: q === 'uint16',
    outputs: split ? split.length : numOutputs,
    quantizeAllOutputs: true,
    outputRange: [0, 13],
    opset,
    expected: 'All',
  })),
  // split_test.cc, more: opset 11 (split an attribute) and 13 (an input), on axis 0 and 1
  ...(
    [
      ['Split_Equal_Axis0_Opset11', [4, 2], [2, 2], 0, 11],
      ['Split_Unequal_Axis1_Opset11', [2, 4], [1, 3], 1, 11],
      ['Split_Unequal_Axis1_Opset13', [2, 4], [1, 3], 1, 13],
    ] as const
  ).map(([name, shape, split, axis, opset]): OpTest => ({
    source: `split_test.cc: ${name}`,
    op: 'Split',
    inputs: [x([...shape], [1, 8]), ...(opset >= 13 ? [i64([...split])] : [])],
    attrs: { axis: attr.int(axis), ...(opset < 13 ? { split: attr.ints([...split]) } : {}) },
    qtype: 'uint8',
    outputs: split.length,
    quantizeAllOutputs: true,
    outputRange: [1, 8],
    opset,
    expected: 'All',
  })),
  // thresholdedrelu_test.cc
  {
    source: 'thresholdedrelu_test.cc: ThresholdedRelu_qdq',
    op: 'ThresholdedRelu',
    inputs: [x([1, 4, 5])],
    attrs: { alpha: attr.float(4.5) },
    qtype: 'uint8',
    outputRange: [0, 10],
    expected: 'All',
  },
  // tile_test.cc (output qparams = input qparams)
  ...(['uint8', 'uint16'] as const).map((q): OpTest => ({
    source: `tile_test.cc: Tile_${q === 'uint8' ? 'U8' : 'U16'}_Rank4`,
    op: 'Tile',
    inputs: [x([1, 2, 2, 2], [-4, 4]), i64([1, 2, 1, 1])],
    qtype: q,
    contribQdq: q === 'uint16',
    outputRange: [-4, 4],
    opset: 13,
    expected: 'All',
  })),
  // transpose_test.cc (output qparams = input qparams)
  {
    source: 'transpose_test.cc: TransposeQDQU8',
    op: 'Transpose',
    inputs: [x([1, 3, 224, 128], [0, 1])],
    attrs: { perm: attr.ints([0, 2, 3, 1]) },
    qtype: 'uint8',
    outputRange: [0, 1],
    expected: 'All',
  },
  // conv_test.cc, more: RunHTPConvOpTest (asymmetric weights of the weight type) and
  // RunHTPConvOpPerChannelTest (symmetric per-channel weights); int32 bias at input x weight scale.
  ...(
    [
      ['ConvU16S4S32_PerChannel', 'Conv', 'uint16', 'int4', [1, 2, 4, 4], [3, 2, 2, 2], 0, true, 21],
      ['ConvU16S4_PerChannel_NoBias', 'Conv', 'uint16', 'int4', [1, 2, 4, 4], [3, 2, 2, 2], 0, false, 21],
      ['Conv3D_U8S8S32_PerChannel', 'Conv', 'uint8', 'int8', [1, 2, 4, 4, 4], [3, 2, 2, 2, 2], 0, true, 13],
      ['ConvTransposeU8S8S32_PerChannel', 'ConvTranspose', 'uint8', 'int8', [1, 2, 4, 4], [2, 3, 2, 2], 1, true, 13],
      [
        'ConvTranspose3D_U8S8S32_PerChannel',
        'ConvTranspose',
        'uint8',
        'int8',
        [1, 2, 4, 4, 4],
        [2, 3, 2, 2, 2],
        1,
        true,
        13,
      ],
      ['ConvU16S16S32_PerChannel', 'Conv', 'uint16', 'int16', [1, 2, 4, 4], [3, 2, 2, 2], 0, true, 21],
      ['ConvU16S8S32_PerChannel', 'Conv', 'uint16', 'int8', [1, 2, 4, 4], [3, 2, 2, 2], 0, true, 21],
      ['ConvTransposeU16S8S32_PerChannel', 'ConvTranspose', 'uint16', 'int8', [1, 2, 4, 4], [2, 3, 2, 2], 1, true, 21],
      // The weight's DequantizeLinear written with axis -4 (axis 0 counted from the end).
      [
        'ConvU16S4S32_PerChannel_NegativeWeightQuantAxis',
        'Conv',
        'uint8',
        'int4',
        [1, 2, 4, 4],
        [3, 2, 2, 2],
        -4,
        true,
        21,
      ],
      ['Conv3D_U16S8S32_PerChannel', 'Conv', 'uint16', 'int8', [1, 2, 4, 4, 4], [3, 2, 2, 2, 2], 0, true, 13],
      [
        'ConvTranspose3D_U16S8S32_PerChannel',
        'ConvTranspose',
        'uint16',
        'int8',
        [1, 2, 4, 4, 4],
        [2, 3, 2, 2, 2],
        1,
        true,
        13,
      ],
    ] as const
  ).map(([name, op, a, w, xs, ws, axis, hasBias, opset]): OpTest => ({
    source: `conv_test.cc: ${name}`,
    op,
    inputs: [
      x([...xs], [0, 1]),
      c([...ws], { qtype: w, range: [-1, 5], symmetric: true, perChannelAxis: axis }),
      ...(hasBias ? [bias32(op === 'Conv' ? ws[0] : ws[1])] : []),
    ],
    qtype: a,
    outputRange: [-5, 20],
    opset,
    expected: 'All',
  })),
  // conv_test.cc ConvU8U8S32_ReluClipFusion and ConvS8S8S32_PerChannel_ReluClipFusion: DQs -> Conv
  // -> Relu or Clip (float bounds) -> Q. Per tensor, the weight uint8 over [-1, 5]; per channel,
  // int8 symmetric on axis 0; the activation float between the Conv and the output's Q.
  ...(
    [
      ['ConvU8U8S32_ReluClipFusion', 'uint8', 'uint8', true, { op: 'Relu' }, 21],
      ['ConvU8U8S32_ReluClipFusion', 'uint8', 'uint8', false, { op: 'Relu' }, 21],
      ['ConvU8U8S32_ReluClipFusion', 'uint8', 'uint8', true, { op: 'Clip', bounds: [0, 2] }, 19],
      ['ConvU8U8S32_ReluClipFusion', 'uint16', 'uint8', false, { op: 'Clip', bounds: [-6, 6] }, 21],
      ['ConvS8S8S32_PerChannel_ReluClipFusion', 'int8', 'int8', true, { op: 'Relu' }, 21],
      ['ConvS8S8S32_PerChannel_ReluClipFusion', 'int8', 'int8', true, { op: 'Clip', bounds: [0, 6] }, 21],
    ] as const
  ).map(([name, a, w, hasBias, activation, opset]): OpTest => ({
    source: `conv_test.cc: ${name} (${activation.op}${hasBias ? '' : ', no bias'}${a === 'uint16' ? ', uint16' : ''})`,
    op: 'Conv',
    inputs: [
      x([1, 2, 4, 4], [0, 1]),
      c([3, 2, 2, 2], {
        qtype: w,
        range: [-1, 5],
        ...(name.includes('PerChannel') ? { symmetric: true, perChannelAxis: 0 } : {}),
      }),
      ...(hasBias ? [bias32(3)] : []),
    ],
    activation: { op: activation.op, bounds: 'bounds' in activation ? [...activation.bounds] : undefined },
    qtype: a,
    outputRange: activation.op === 'Relu' ? [0, 20] : [activation.bounds[0], activation.bounds[1]],
    opset,
    expected: 'All',
  })),
  {
    source: 'conv_test.cc: ConvDepthwiseU8S8S32_PerChannel',
    op: 'Conv',
    inputs: [
      x([1, 2, 4, 4]),
      c([2, 1, 2, 2], { qtype: 'int8', range: [-1, 5], symmetric: true, perChannelAxis: 0 }),
      bias32(2),
    ],
    attrs: { group: attr.int(2) },
    qtype: 'uint8',
    outputRange: [-50, 50],
    opset: 13,
    expected: 'All',
  },
  ...(
    [
      ['ConvU16U8_PerTensor_NoBias', 'uint8'],
      ['ConvU16U16_PerTensor_NoBias', 'uint16'],
    ] as const
  ).map(([name, w]): OpTest => ({
    source: `conv_test.cc: ${name}`,
    op: 'Conv',
    inputs: [x([1, 2, 4, 4], [0, 1]), c([3, 2, 2, 2], { qtype: w, range: [-1, 5] })],
    qtype: 'uint16',
    outputRange: [-5, 20],
    opset: 21,
    expected: 'All',
  })),
  {
    source: 'conv_test.cc: ConvU8U8S32_BiasRequantization',
    op: 'Conv',
    inputs: [x([1, 2, 4, 4]), c([3, 2, 2, 2], { range: [-1, 5] }), { ...bias32(3), scaleFactor: 2.5 }],
    qtype: 'uint8',
    outputRange: [-50, 50],
    opset: 13,
    // With per-tensor weights the bias rule says both flows requantize it (a warning, not an error).
    expected: 'All',
  },
  {
    source: 'conv_test.cc: ConvU8S8S32_PerChannel_BiasRequantization',
    op: 'Conv',
    inputs: [
      x([1, 2, 4, 4]),
      c([3, 2, 2, 2], { qtype: 'int8', range: [-1, 5], symmetric: true, perChannelAxis: 0 }),
      { ...bias32(3), scaleFactor: 2.5 },
    ],
    qtype: 'uint8',
    outputRange: [-50, 50],
    opset: 13,
    expected: 'All',
    ortRepair: 'the bias requantized to input scale x weight scale',
  },
  {
    source: 'conv_test.cc: ConvU16U8S32_DynamicBias',
    op: 'Conv',
    inputs: [
      x([1, 2, 5, 5]),
      c([1, 2, 3, 3], { qtype: 'uint8', range: [-1, 5] }),
      { shape: [1], qtype: 'int32', derivedBias: true, quantizedInput: true },
    ],
    qtype: 'uint16',
    contribQdq: true,
    outputRange: [-100, 100],
    opset: 13,
    expected: 'All',
  },
  // A bias that is a graph input (read by its DequantizeLinear only), 2-D and 3-D, 8- and 16-bit.
  ...(
    [
      ['ConvU8U8S32_bias_dynamic_input', 'uint8', [1, 1, 5, 5], [1, 1, 3, 3]],
      ['ConvU8U8S32_bias_dynamic_input', 'uint8', [1, 1, 5, 5, 5], [1, 1, 3, 3, 3]],
      ['DepthwiseConvU16U8S32_DynamicBias', 'uint16', [1, 1, 5, 5], [1, 1, 3, 3]],
      ['DepthwiseConvU16U8S32_DynamicBias', 'uint16', [1, 1, 5, 5, 3], [1, 1, 3, 3, 3]],
    ] as const
  ).map(([name, a, xs, ws]): OpTest => ({
    source: `conv_test.cc: ${name} (rank ${xs.length})`,
    op: 'Conv',
    inputs: [
      x([...xs], a === 'uint8' ? [0, 10] : [-10, 10]),
      c([...ws], { qtype: 'uint8', range: a === 'uint8' ? [-10, 10] : [-1, 5] }),
      { shape: [1], qtype: 'int32', derivedBias: true, quantizedInput: true },
    ],
    qtype: a,
    contribQdq: a === 'uint16',
    outputRange: [-100, 100],
    opset: 13,
    expected: 'All',
  })),
  ...(
    [
      ['ConvU16U8S32_StaticBias', [1, 2, 5, 5], [1, 2, 3, 3]],
      ['ConvU16U8S32_StaticBias', [1, 2, 5, 5, 3], [1, 2, 3, 3, 2]],
    ] as const
  ).map(([name, xs, ws]): OpTest => ({
    source: `conv_test.cc: ${name} (rank ${xs.length})`,
    op: 'Conv',
    inputs: [x([...xs]), c([...ws], { qtype: 'uint8', range: [-1, 5] }), bias32(1)],
    qtype: 'uint16',
    contribQdq: true,
    outputRange: [-100, 100],
    opset: 13,
    expected: 'All',
  })),
  {
    source: 'conv_test.cc: ConvTranspose3D_U8U8S32_DynamicWeight_NoBias',
    op: 'ConvTranspose',
    inputs: [x([1, 3, 32, 32, 32]), x([3, 1, 4, 4, 4])],
    qtype: 'uint8',
    outputRange: [-50, 50],
    opset: 13,
    expected: 'All',
  },
  // RunHTPConvOpTest, more: auto_pad, large inputs, 16-bit activations without a bias, 1-D with a bias
  ...(
    [
      ['ConvU8U8S32_AutoPadLower', 'Conv', 'uint8', [1, 1, 5, 5], [1, 1, 4, 4], true, { auto_pad: 'SAME_LOWER' }],
      ['ConvU8U8S32_AutoPadValid', 'Conv', 'uint8', [1, 1, 5, 5], [1, 1, 4, 4], true, { auto_pad: 'VALID' }],
      [
        'ConvTransposeU8U8S32_AutoPadLower (rank 4)',
        'ConvTranspose',
        'uint8',
        [1, 1, 5, 5],
        [1, 1, 4, 4],
        true,
        { auto_pad: 'SAME_LOWER' },
      ],
      [
        'ConvTransposeU8U8S32_AutoPadLower (rank 5)',
        'ConvTranspose',
        'uint8',
        [1, 1, 5, 5, 5],
        [1, 1, 4, 4, 4],
        true,
        { auto_pad: 'SAME_LOWER' },
      ],
      [
        'ConvTransposeU8U8S32_AutoPadValid',
        'ConvTranspose',
        'uint8',
        [1, 1, 5, 5],
        [1, 1, 4, 4],
        true,
        { auto_pad: 'VALID' },
      ],
      ['ConvU8U8S32_large_input2_bias_initializer', 'Conv', 'uint8', [1, 128, 8, 56], [32, 128, 1, 1], true, {}],
      [
        'ConvU8U8S32_LargeInput_Dilations_Pads',
        'Conv',
        'uint8',
        [1, 3, 768, 1152],
        [64, 3, 7, 7],
        true,
        { strides: [2, 2], pads: [3, 3, 3, 3] },
      ],
      ['ConvU16U8S32_NoBias', 'Conv', 'uint16', [1, 2, 5, 5], [1, 2, 3, 3], false, {}],
      ['DepthwiseConvU16U8S32_NoBias', 'Conv', 'uint16', [1, 1, 5, 5], [1, 1, 3, 3], false, {}],
      ['DepthwiseConvU16U8S32_StaticBias', 'Conv', 'uint16', [1, 1, 5, 5], [1, 1, 3, 3], true, {}],
      ['Conv1DU8U8S32_bias_initializer', 'Conv', 'uint8', [1, 2, 4], [1, 2, 2], true, {}],
      ['ConvTranspose1DU8U8S32_bias_initializer', 'ConvTranspose', 'uint8', [1, 2, 4], [2, 1, 2], true, {}],
      [
        'ConvTranspose1DU8U8S32_OutputShape',
        'ConvTranspose',
        'uint8',
        [1, 1, 4],
        [1, 1, 2],
        true,
        { strides: [2], auto_pad: 'SAME_UPPER', output_shape: [6] },
      ],
    ] as const
  ).map(([name, op, a, xs, ws, hasBias, extra]): OpTest => ({
    source: `conv_test.cc: ${name}`,
    op,
    inputs: [
      x([...xs], [0, 10]),
      c([...ws], { qtype: 'uint8', range: [-1, 1] }),
      ...(hasBias ? [bias32(op === 'Conv' ? ws[0] : ws[1])] : []),
    ],
    attrs: Object.fromEntries(
      Object.entries(extra).map(([k, v]) => [k, typeof v === 'string' ? attr.string(v) : attr.ints([...v])]),
    ),
    qtype: a,
    contribQdq: a === 'uint16',
    outputRange: [-50, 50],
    opset: 13,
    expected: 'All',
  })),
  // RunHTPConvOpPerChannelTest, more: grouped 3-D and depthwise 16-bit, per-channel int8 weights
  ...(
    [
      ['Conv3D_U8S8S32_PerChannel2', 'uint8', [1, 2, 4, 4, 4], [2, 1, 2, 2, 2]],
      ['Conv3D_U16S8S32_PerChannel2', 'uint16', [1, 2, 4, 4, 4], [2, 1, 2, 2, 2]],
      ['ConvDepthwiseU16S8S32_PerChannel', 'uint16', [1, 2, 4, 4], [2, 1, 2, 2]],
    ] as const
  ).map(([name, a, xs, ws]): OpTest => ({
    source: `conv_test.cc: ${name}`,
    op: 'Conv',
    inputs: [x([...xs]), c([...ws], { qtype: 'int8', range: [-1, 5], symmetric: true, perChannelAxis: 0 }), bias32(2)],
    attrs: { group: attr.int(2) },
    qtype: a,
    contribQdq: a === 'uint16',
    outputRange: [-50, 50],
    opset: 13,
    expected: 'All',
  })),
  // 1-D convolutions with auto_pad (Conv and ConvTranspose; ONNX Runtime makes them 2-D)
  ...(
    [
      ['Conv1DU8U8S32_AutoPadLower', 'Conv', [1, 2, 2], 'SAME_LOWER'],
      ['Conv1DU8U8S32_AutoPadUpper', 'Conv', [1, 2, 2], 'SAME_UPPER'],
      ['ConvTranspose1DU8U8S32_AutoPadLower', 'ConvTranspose', [2, 1, 2], 'SAME_LOWER'],
      ['ConvTranspose1DU8U8S32_AutoPadUpper', 'ConvTranspose', [2, 1, 2], 'SAME_UPPER'],
      ['ConvTranspose1DU8U8S32_AutoPadValid', 'ConvTranspose', [2, 1, 2], 'VALID'],
    ] as const
  ).map(([name, op, ws, pad]): OpTest => ({
    source: `conv_test.cc: ${name}`,
    op,
    inputs: [x([1, 2, 4], [0, 7]), c([...ws], { range: [1, 4] }), bias32(1)],
    attrs: { auto_pad: attr.string(pad) },
    qtype: 'uint8',
    outputRange: [-5, 40],
    opset: 13,
    expected: 'All',
  })),
  {
    source: 'conv_test.cc: ConvTransposeU8U8S32_DynamicWeight_NoBias',
    op: 'ConvTranspose',
    inputs: [x([1, 3, 32, 32]), x([3, 1, 4, 4], [-1, 1])],
    qtype: 'uint8',
    outputRange: [-50, 50],
    opset: 13,
    expected: 'All',
  },
  {
    source: 'conv_test.cc: ConvTransposeU8U8S32_OutputShape',
    op: 'ConvTranspose',
    inputs: [x([1, 1, 4, 4], [0, 10]), c([1, 1, 2, 2], { range: [-1, 1] }), bias32(1)],
    attrs: { strides: attr.ints([2, 2]), auto_pad: attr.string('SAME_UPPER'), output_shape: attr.ints([6, 6]) },
    qtype: 'uint8',
    outputRange: [-10, 10],
    opset: 13,
    expected: 'All',
  },
  {
    source: 'conv_test.cc: Conv1DU8U8S32_AutoPadValid',
    op: 'Conv',
    inputs: [x([1, 2, 4], [0, 7]), c([1, 2, 2], { range: [-0.3, 0.4] }), bias32(1)],
    attrs: { auto_pad: attr.string('VALID') },
    qtype: 'uint8',
    outputRange: [-5, 5],
    opset: 13,
    expected: 'All',
  },
  // gemm_test.cc, more: BuildQDQGemmTestCase (A and B Q/DQ'd with their own types, C an int32 DQ)
  ...(
    [
      ['Gemm_Dynamic_A_Dynamic_B_Dynamic_Bias_U16', 'uint16', 'uint16', [1, 6], [6, 4], false, [1, 4], false, false],
      // A B computed at run time with a constant bias: int32 at A's scale × B's (QuantLens's quantizer builds it so).
      ['Gemm_Dynamic_A_B_Static_Bias', 'uint8', 'uint8', [1, 6], [6, 4], false, [1, 4], true, false],
      ['Gemm_Broadcast_Bias_DynamicA_StaticB_StaticC', 'uint8', 'uint8', [2, 4], [4, 3], true, [3], true, false],
      [
        'Gemm_Dynamic_A_Static_B_Dynamic_Bias_U16Act_U8Weight',
        'uint16',
        'uint8',
        [1, 6],
        [6, 4],
        true,
        [1, 4],
        false,
        false,
      ],
      ['Gemm_TransAB_Static_B_And_Bias_U16Act_U8Weight', 'uint16', 'uint8', [6, 1], [4, 6], true, [1, 4], true, true],
      ['Gemm_Dynamic_A_Static_B_Dynamic_Bias_U16', 'uint16', 'uint16', [1, 6], [6, 4], true, [1, 4], false, false],
      ['Gemm_Static_B_And_Bias', 'uint8', 'uint8', [1, 6], [6, 4], true, [1, 4], true, false],
      ['Gemm_TransAB_Static_B_And_Bias_U8', 'uint8', 'uint8', [6, 1], [4, 6], true, [1, 4], true, true],
      ['Gemm_Broadcast_Bias_DynamicInputs', 'uint8', 'uint8', [2, 4], [4, 3], false, [3], false, false],
      ['Gemm_Broadcast_Bias_DynamicA_StaticB_DynamicC', 'uint8', 'uint8', [2, 4], [4, 3], true, [3], false, false],
    ] as const
  ).map(([name, a, b, as, bs, bConst, cs, cConst, trans]): OpTest => ({
    source: `gemm_test.cc: ${name}`,
    op: 'Gemm',
    inputs: [
      x([...as]),
      { shape: [...bs], constant: bConst, range: [-5, 5], qtype: b },
      { shape: [...cs], constant: cConst, qtype: 'int32', derivedBias: true, quantizedInput: !cConst, range: [-1, 1] },
    ],
    attrs: trans ? { transA: attr.int(1), transB: attr.int(1) } : {},
    qtype: a,
    contribQdq: a === 'uint16',
    outputRange: [-200, 200],
    opset: 13,
    expected: 'All',
  })),
  // reduce_test.cc, more (axes an input from opset 13 for ReduceSum, 18 for the others)
  ...(
    [
      ['ReduceSumU8Opset13_LastAxis', 'ReduceSum', 'uint8', [2, 2], [-1], 1, 13],
      ['ReduceSumS8Opset13_NoKeepDims', 'ReduceSum', 'int8', [3, 3], [1], 0, 13],
      ['ReduceSumU8Opset11', 'ReduceSum', 'uint8', [2, 2], [0, 1], 1, 11],
      ['ReduceMaxU8Opset18', 'ReduceMax', 'uint8', [2, 2], [0, 1], 1, 18],
      ['ReduceMaxU8Opset13', 'ReduceMax', 'uint8', [2, 2], [0, 1], 1, 13],
      ['ReduceMaxS8Opset18', 'ReduceMax', 'int8', [3, 3], [0, 1], 1, 18],
      ['ReduceMinU8Opset18', 'ReduceMin', 'uint8', [2, 2], [0, 1], 1, 18],
      ['ReduceMeanU8Opset18_LastAxis', 'ReduceMean', 'uint8', [2, 2], [1], 1, 18],
      ['ReduceMeanU8Opset13', 'ReduceMean', 'uint8', [2, 2], [0, 1], 1, 13],
      ['ReduceMeanS8Opset18', 'ReduceMean', 'int8', [3, 3], [0, 1], 1, 18],
      ['ReduceMeanU8Opset18', 'ReduceMean', 'uint8', [2, 2], [0, 1], 1, 18],
      ['ReduceMinS8Opset18', 'ReduceMin', 'int8', [3, 3], [0, 1], 1, 18],
      ['ReduceMinU8Opset13', 'ReduceMin', 'uint8', [2, 2], [0, 1], 1, 13],
      ['ReduceSumS8Opset13', 'ReduceSum', 'int8', [3, 3], [0, 1], 1, 13],
      ['ReduceSumU8Opset13_Rank5_LastAxis', 'ReduceSum', 'uint8', [2, 12, 124, 2, 4], [-1], 0, 13],
    ] as const
  ).map(([name, op, q, shape, axes, keepdims, opset]): OpTest => {
    const axesInput = op === 'ReduceSum' ? opset >= 13 : opset >= 18;
    return {
      source: `reduce_test.cc: ${name}`,
      op,
      inputs: [x([...shape]), ...(axesInput ? [i64([...axes])] : [])],
      attrs: { keepdims: attr.int(keepdims), ...(axesInput ? {} : { axes: attr.ints([...axes]) }) },
      qtype: q,
      outputRange: op === 'ReduceSum' ? [-20, 20] : [-10, 10],
      opset,
      expected: 'All',
    };
  }),
  // maxpool_test.cc, more (output qparams = input qparams)
  ...(
    [
      ['MaxPool_Ceil_HTP_u8', 'uint8', [1, 2, 3, 3], { kernel_shape: [3, 3], strides: [3, 3], ceil_mode: 1 }],
      [
        'MaxPool_Rank3_Ceil_HTP_u8_auto_pad_SAME_UPPER',
        'uint8',
        [1, 2, 3],
        { kernel_shape: [2], strides: [2], ceil_mode: 1, auto_pad: 'SAME_UPPER' },
      ],
      [
        'MaxPool_LargeInput_1Pads_u16',
        'uint16',
        [1, 64, 384, 576],
        { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] },
      ],
      ['MaxPool_AutoPad_SAME_LOWER_u8', 'uint8', [1, 2, 3, 3], { kernel_shape: [2, 2], auto_pad: 'SAME_LOWER' }],
      ['GlobalMaxPool_u16', 'uint16', [1, 2, 3, 3], null],
      ['MaxPool_Global_HTP_u8', 'uint8', [1, 2, 3, 3], { kernel_shape: [3, 3], strides: [3, 3], pads: [0, 0, 0, 0] }],
      ['MaxPool_Large_Input_HTP_u8', 'uint8', [1, 125, 8, 56], { kernel_shape: [2, 2], strides: [2, 2] }],
      [
        'MaxPool_Large_Input3_AutoPadValid_HTP_u8',
        'uint8',
        [1, 160, 14, 20],
        { kernel_shape: [2, 2], strides: [2, 2], auto_pad: 'VALID' },
      ],
      [
        'MaxPool_LargeInput_1Pads_u8',
        'uint8',
        [1, 64, 384, 576],
        { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] },
      ],
      ['MaxPool_Rank3_stride1_HTP_u8', 'uint8', [1, 3, 3], { kernel_shape: [3], strides: [1], pads: [1, 1] }],
      ['MaxPool_Rank3_Ceil_HTP_u8', 'uint8', [1, 3, 3], { kernel_shape: [3], strides: [3], ceil_mode: 1 }],
      [
        'MaxPool_Rank3_Ceil_HTP_u8_auto_pad_VALID',
        'uint8',
        [1, 3, 3],
        { kernel_shape: [3], strides: [3], ceil_mode: 1, auto_pad: 'VALID' },
      ],
      [
        'MaxPool_Rank3_Ceil_HTP_u8_auto_pad_SAME_LOWER',
        'uint8',
        [1, 3, 3],
        { kernel_shape: [3], strides: [3], ceil_mode: 1, auto_pad: 'SAME_LOWER' },
      ],
      [
        'MaxPool_AutoPad_SAME_UPPER_u8',
        'uint8',
        [1, 3, 16, 24],
        { kernel_shape: [2, 2], strides: [2, 2], auto_pad: 'SAME_UPPER' },
      ],
      ['GlobalMaxPool_Large_Input_u8', 'uint8', [1, 128, 16, 113], null],
      ['GlobalMaxPool_LargeInput2_u8', 'uint8', [1, 64, 384, 576], null],
    ] as const
  ).map(([name, q, shape, a]): OpTest => ({
    source: `maxpool_test.cc: ${name}`,
    op: a ? 'MaxPool' : 'GlobalMaxPool',
    inputs: [x([...shape])],
    attrs: a
      ? Object.fromEntries(
          Object.entries(a).map(([k, v]) => [
            k,
            typeof v === 'string' ? attr.string(v) : typeof v === 'number' ? attr.int(v) : attr.ints([...v]),
          ]),
        )
      : {},
    qtype: q,
    contribQdq: q === 'uint16',
    opset: q === 'uint16' ? 13 : 18,
    expected: 'All',
  })),
  // where_test.cc: a bool condition input, x and y quantized by their own ranges
  ...(
    [
      ['WhereQDQU8', [4, 3, 2], [4, 3, 2], [0, 2], [4, 3, 2], [2, 3], [0, 3]],
      ['WhereBroadcastU8', [2], [4, 3, 2], [-2, 2], [1], [3, 3], [-2, 3]],
      ['WhereLargeDataU8', [256], [1, 8, 16, 256], [-5000, 0], [1, 8, 16, 256], [0, 5000], [-5000, 5000]],
      ['WhereLargeDataBroadcastTransformedU8', [1, 1, 256, 1], [1, 16, 256, 8], [0, 1], [1, 1, 1, 1], [3, 3], [0, 3]],
    ] as const
  ).map(([name, cond, xs, xr, ys, yr, out]): OpTest => ({
    source: `where_test.cc: ${name}`,
    op: 'Where',
    inputs: [
      { shape: [...cond], raw: { dtype: 'bool' } },
      c([...xs], { range: [...xr] }),
      c([...ys], { range: [...yr] }),
    ],
    qtype: 'uint8',
    outputRange: [...out],
    expected: 'All',
  })),
  // Float models on the HTP (FP16): the op's support and its dtypes, with no quantization.
  // cast_test.cc (RunCastOpTest, opset 13; TestCastUInt8ToFloatHTP is disabled there)
  ...(
    [
      ['TestCastInt32ToFloatHTP', 'int32', 1, 'float32'],
      ['TestCastFloatToInt32HTP', 'float32', 6, 'int32'],
      ['TestCastInt64ToInt32HTP', 'int64', 6, 'int32'],
      ['TestCastInt32ToInt64HTP', 'int32', 7, 'int64'],
      ['TestCastFloatToBoolHTP', 'float32', 9, 'bool'],
    ] as const
  ).map(([name, from, to, out]): OpTest => ({
    source: `cast_test.cc: ${name}`,
    op: 'Cast',
    inputs: [from === 'float32' ? x([3, 3]) : { shape: [3, 3], raw: { dtype: from } }],
    attrs: { to: attr.int(to) },
    qtype: F,
    outputQType: F,
    outputDtype: out,
    expected: 'All',
  })),
  // isnan_test.cc (opset 13; a scalar and a 2-D input)
  ...(
    [
      ['IsNaN_Scalar', []],
      ['IsNaN_Mix_2d', [2, 4]],
    ] as const
  ).map(([name, shape]): OpTest => ({
    source: `isnan_test.cc: ${name}`,
    op: 'IsNaN',
    inputs: [x([...shape])],
    qtype: F,
    outputQType: F,
    outputDtype: 'bool',
    expected: 'All',
  })),
  // mod_test.cc: int64 dividend [1, 4, 5] by an int64 divisor [1, 5], dynamic or an initializer (fmod 0)
  ...([false, true] as const).map((constant): OpTest => ({
    source: `mod_test.cc: Mod_${constant ? 'static' : 'dynamic'}_Divisor`,
    op: 'Mod',
    inputs: [
      { shape: [1, 4, 5], raw: { dtype: 'int64' } },
      { shape: [1, 5], constant, raw: { dtype: 'int64', values: [1, 2, 3, 4, 5] } },
    ],
    qtype: F,
    outputQType: F,
    outputDtype: 'int64',
    expected: 'All',
  })),
  // groupnormalization_test.cc (opset 21; scale and bias float initializers)
  ...(
    [
      ['GroupNorm_Float_Default', [1, 2, 3, 4], 1, 1e-5],
      ['GroupNorm_Float_MultipleGroups', [1, 4, 3, 4], 2, 1e-5],
      ['GroupNorm_Float_LargeEpsilon', [1, 2, 3, 4], 1, 0.1],
      ['GroupNorm_Float_3D', [1, 4, 4], 2, 1e-5],
    ] as const
  ).map(([name, shape, groups, epsilon]): OpTest => ({
    source: `groupnormalization_test.cc: ${name}`,
    op: 'GroupNormalization',
    inputs: [x([...shape]), c([shape[1]], { qtype: F }), c([shape[1]], { qtype: F })],
    attrs: { num_groups: attr.int(groups), epsilon: attr.float(epsilon) },
    qtype: F,
    outputQType: F,
    opset: 21,
    expected: 'All',
  })),
  // stft_test.cc (opset 17, float): a [1, 128, 1] or [1, 128] signal, an int32 scalar frame_step
  // of 8 and a window of 16 ones as initializers, with or without an int32 frame_length of 16
  ...(
    [
      ['StftOp_Float_WithWindowOnly', [1, 128, 1], false, 1],
      ['StftOp_Float_WithOnesidedFalse', [1, 128, 1], true, 0],
      ['StftOp_Float_SimpleExample', [1, 128, 1], true, 1],
      ['StftOp_Float_Rank2Signal', [1, 128], true, 1],
    ] as const
  ).map(([name, shape, frameLength, onesided]): OpTest => ({
    source: `stft_test.cc: ${name}`,
    op: 'STFT',
    inputs: [
      x([...shape]),
      { shape: [], constant: true, raw: { dtype: 'int32', values: [8] } },
      c([16], { qtype: F }),
      ...(frameLength ? [{ shape: [], constant: true, raw: { dtype: 'int32' as const, values: [16] } }] : []),
    ],
    attrs: { onesided: attr.int(onesided) },
    qtype: F,
    outputQType: F,
    opset: 17,
    expected: 'All',
  })),
];

const findingsOn = async (t: OpTest, flow: Flow) =>
  validate(qgraphFromQdq(buildOpTest(t)), await loadRulePack('htp'), { soc: 'SM8650', strict: true, flow }).findings;
const errorsOn = async (t: OpTest, flow: Flow) => (await findingsOn(t, flow)).filter((f) => f.severity === 'error');

describe('ONNX Runtime QNN HTP tests, transcribed', () => {
  it('cover at least 300 tests of at least 43 test files', () => {
    expect(ORT_HTP_TESTS.length).toBeGreaterThanOrEqual(300);
    expect(new Set(ORT_HTP_TESTS.map((t) => t.source.split(':')[0])).size).toBeGreaterThanOrEqual(43);
  });

  for (const t of ORT_HTP_TESTS) {
    it(`${t.source} (${t.expected})`, async () => {
      const ort = await errorsOn(t, 'ort');
      if (t.expected === 'All') {
        expect(ort.map((f) => `${f.rule}: ${f.message}`)).toEqual([]);
        // A float activation before the output's Q is fused into the op (conv_activation_fusion.cc):
        // not a float island that runs in FP16.
        if (t.activation) expect((await findingsOn(t, 'ort')).filter((f) => f.rule === 'float-island')).toEqual([]);
        // Without ONNX Runtime's repair the QNN converter rejects it; otherwise it passes there too.
        const qnn = await errorsOn(t, 'qnn');
        if (t.ortRepair) expect(qnn.map((f) => f.node)).toContain(`${t.op}_node`);
        else expect(qnn.map((f) => `${f.rule}: ${f.message}`)).toEqual([]);
      } else {
        expect(ort.map((f) => f.node)).toContain(`${t.op}_node`);
        expect((await errorsOn(t, 'qnn')).map((f) => f.node)).toContain(`${t.op}_node`);
      }
    });
  }
});

describe('what a repaired fixed encoding had', () => {
  // The tests calibrate these outputs from the float model: [0, 1] over uint16 is 1/65535, [-1, 1]
  // is 2/65535. The finding names that fraction beside the one the HTP requires, which six digits
  // alone did not tell apart from it (0.000015259 against 1/65536).
  it.each([
    ['simple_op_test.cc: UnaryOp_Sigmoid_U16', 'scale 0.000015259 ≈ 1/65535, zero point 0'],
    ['simple_op_test.cc: UnaryOp_Tanh_U16', 'scale 0.000030518 ≈ 2/65535, zero point 32768'],
  ])('%s', async (source, actual) => {
    const t = ORT_HTP_TESTS.find((x) => x.source === source)!;
    const [f] = (await errorsOn(t, 'qnn')).filter((x) => x.rule === 'fixed-qparams');
    expect(f!.actual).toBe(actual);
    expect(f!.message).toContain(`; it has ${actual}`);
  });
});
