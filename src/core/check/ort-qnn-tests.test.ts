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
  // resize_test.cc (Resize opset 19: X, roi, scales, sizes)
  ...(
    [
      ['ResizeU8_2xNearestAsymmetricCeil_Unsupported', 'nearest', 'asymmetric', 'ceil', 'None'],
      [
        'ResizeU8_2xNearestAsymmetricRoundPreferFloor_Unsupported',
        'nearest',
        'asymmetric',
        'round_prefer_floor',
        'None',
      ],
      ['ResizeU8_3xNearestAsymmetricFloor', 'nearest', 'asymmetric', 'floor', 'All'],
      ['ResizeU8_2xNearestHalfPixelRoundPreferFloor', 'nearest', 'half_pixel', 'round_prefer_floor', 'All'],
      ['ResizeU8_2xLinearHalfPixel', 'linear', 'half_pixel', 'round_prefer_floor', 'All'],
      ['ResizeU8_2xLinearAlignCorners', 'linear', 'align_corners', 'round_prefer_floor', 'All'],
    ] as const
  ).map(([name, mode, ctm, nearest, expected]): OpTest => ({
    source: `resize_test.cc: ${name}`,
    op: 'Resize',
    qtype: 'uint8',
    expected,
    opset: 19,
    inputs: [x([1, 3, 4, 4]), null, null, i64([1, 3, 8, 8])],
    attrs: {
      mode: attr.string(mode),
      coordinate_transformation_mode: attr.string(ctm),
      nearest_mode: attr.string(nearest),
    },
  })),
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
    source: 'topk_test.cc: TopK_U8_NonLastAxis',
    op: 'TopK',
    inputs: [x([1, 3, 4, 4]), i64([2])],
    attrs: { axis: attr.int(1) },
    qtype: 'uint8',
    outputs: 2,
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
];

const errorsOn = async (t: OpTest, flow: Flow) => {
  const r = validate(qgraphFromQdq(buildOpTest(t)), await loadRulePack('htp'), { soc: 'SM8650', strict: true, flow });
  return r.findings.filter((f) => f.severity === 'error');
};

describe('ONNX Runtime QNN HTP tests, transcribed', () => {
  it('cover at least 40 tests of at least 12 test files', () => {
    expect(ORT_HTP_TESTS.length).toBeGreaterThanOrEqual(40);
    expect(new Set(ORT_HTP_TESTS.map((t) => t.source.split(':')[0])).size).toBeGreaterThanOrEqual(12);
  });

  for (const t of ORT_HTP_TESTS) {
    it(`${t.source} (${t.expected})`, async () => {
      const ort = await errorsOn(t, 'ort');
      if (t.expected === 'All') {
        expect(ort.map((f) => `${f.rule}: ${f.message}`)).toEqual([]);
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
