/**
 * ONNX op → QNN HTP op, with each op's attribute, rank and constant-input limits. An ONNX op
 * missing here, or mapped to null, cannot run on HTP, so a model that holds it will not fully
 * delegate. The mapping follows ONNX Runtime's QNN EP op builders (op_builder_factory.cc) and
 * ExecuTorch's HTP annotators; the limits are the checks those builders make before handing a
 * node to QNN (`IsOpSupported`, `ExplicitOpCheck`, `ProcessInputs`).
 */
import type { OpLimit, OpMapping, Source } from '../types';
import { SRC } from './sources';

const m = (onnx: string, qnnOp: string | null, extra: Partial<OpMapping> = {}): OpMapping => ({
  onnx,
  qnnOp,
  source: SRC.mapping,
  ...extra,
});
const o = (onnx: string, qnnOp: string | null, extra: Partial<OpMapping> = {}): OpMapping => ({
  onnx,
  qnnOp,
  source: SRC.ortFactory,
  ...extra,
});

const ORT = 'onnxruntime/onnxruntime-qnn onnxruntime/core/providers/qnn/builder/opbuilder';

/** What to do about a 3-D max pool, which the HTP lacks. */
const POOL3D_FIX =
  'Pool the volume as two 2-D max pools (over height and width, then over depth, with a Transpose and Reshape between), as ExecuTorch does, or accept that this node runs outside the NPU.';
const src = (file: string, fn: string): Source => ({ ref: `${ORT}/${file} (${fn})`, confidence: 'from-code' });
const etPass = (file: string, what: string): Source => ({
  ref: `pytorch/executorch backends/qualcomm/_passes/${file} (${what})`,
  confidence: 'from-code',
});
const test = (file: string, name: string): Source => ({
  ref: `onnxruntime/onnxruntime-qnn onnxruntime/test/providers/qnn/${file} (${name})`,
  confidence: 'from-code',
});

/**
 * Gemm's alpha or beta other than 1. QNN's FullyConnected has neither, and ONNX Runtime's QNN EP
 * leaves such a Gemm to the CPU; the QNN converter scales the constant itself, and ExecuTorch
 * decomposes an addmm with them into ops the NPU runs.
 */
const gemmScalar = (attr: 'alpha' | 'beta', input: string): OpLimit => ({
  kind: 'attr-eq',
  attr,
  value: 1,
  dflt: 1,
  source: {
    ...src('gemm_op_builder.cc', 'GemmOpBuilder::ExplictOpCheck'),
    note: "ONNX Runtime's QNN EP leaves the Gemm to the CPU. The QNN converter multiplies the weight by alpha and the bias by beta as it converts (qti.aisw.converters.onnx math_translations.py, OnnxGemmTranslation.extract_parameters: an element-wise multiply of the constant), so it quantizes a product that the model's Q/DQ do not describe. ExecuTorch decomposes an addmm with alpha or beta into mm, mul and add, all on the NPU (pytorch/executorch backends/qualcomm/_passes/decompose_addmm.py).",
  },
  effect: { kind: 'toolchain-repair', repairedBy: ['qnn'], outcomes: { executorch: 'slower' } },
  fix: `Multiply the constant ${input} by ${attr} and set ${attr} to 1 (the same function); QuantLens's quantizer does this when it quantizes the float model.`,
});

/** Nearest Resize at rank 3 or 5 on the HTP (see the Resize mapping). */
const RESIZE_DFLT = {
  mode: 'nearest',
  coordinate_transformation_mode: 'half_pixel',
  nearest_mode: 'round_prefer_floor',
};
const resizeNearestRank35: OpLimit[] = [
  {
    kind: 'attr-combo',
    forbid: { mode: ['nearest'], nearest_mode: ['round_prefer_floor', 'ceil'] },
    dflt: RESIZE_DFLT,
    ranks: [3, 5],
    sdk: '2.20 and later',
    source: src(
      'resize_op_builder.cc',
      'ResizeOpBuilder::IsOpSupported: "Resize on the NPU does not support nearest_mode" (rank other than 4: round_prefer_ceil or floor only)',
    ),
  },
  {
    kind: 'attr-combo',
    forbid: {
      mode: ['nearest'],
      nearest_mode: ['round_prefer_ceil'],
      coordinate_transformation_mode: ['half_pixel', 'pytorch_half_pixel', 'asymmetric'],
    },
    dflt: RESIZE_DFLT,
    ranks: [3, 5],
    source: src(
      'resize_op_builder.cc',
      "ResizeOpBuilder::IsOpSupported: \"Resize on the NPU only supports 'round_prefer_ceil' if transformation mode is 'align_corners'\"",
    ),
  },
  {
    kind: 'attr-combo',
    forbid: { mode: ['nearest'], nearest_mode: ['floor'], coordinate_transformation_mode: ['pytorch_half_pixel'] },
    dflt: RESIZE_DFLT,
    ranks: [3, 5],
    source: src(
      'resize_op_builder.cc',
      "ResizeOpBuilder::IsOpSupported: \"Resize on the NPU does not support the combination of nearest_mode == 'floor' and transformation_mode == 'pytorch_half_pixel'\"",
    ),
  },
];

const AUTO_PAD = ['NOTSET', 'SAME_LOWER', 'SAME_UPPER', 'VALID'];
const conv: OpLimit[] = [
  { kind: 'rank', input: 0, min: 3, max: 5, source: src('conv_op_builder.cc', 'ConvOpBuilder::IsOpSupported') },
  {
    kind: 'attr-in',
    attr: 'auto_pad',
    values: AUTO_PAD,
    dflt: 'NOTSET',
    source: src('conv_op_builder.cc', 'ConvOpBuilder::IsOpSupported'),
  },
];
const pool = (max: boolean, global: boolean): OpLimit[] => [
  { kind: 'rank', input: 0, min: 3, max: 5, source: src('pool_op_builder.cc', 'PoolOpBuilder::IsOpSupported') },
  ...(global
    ? []
    : [
        {
          kind: 'attr-all',
          attr: 'dilations',
          value: 1,
          source: src('pool_op_builder.cc', 'PoolOpBuilder::IsOpSupported'),
        } as OpLimit,
        {
          kind: 'attr-in',
          attr: 'auto_pad',
          values: AUTO_PAD,
          dflt: 'NOTSET',
          source: src('pool_op_builder.cc', 'PoolOpBuilder::IsOpSupported'),
        } as OpLimit,
      ]),
  ...(max
    ? [
        {
          kind: 'output-count',
          max: 1,
          why: 'MaxPool with an Indices output',
          source: src('pool_op_builder.cc', 'PoolOpBuilder::IsOpSupported'),
        } as OpLimit,
      ]
    : []),
];
const reduce: OpLimit[] = [
  { kind: 'rank', input: 0, max: 5, source: test('reduce_op_test.cc', 'rank 6 ReduceSum is not supported on the HTP') },
  {
    kind: 'const-inputs',
    inputs: [1],
    source: src('reduce_op_builder.cc', 'ReduceOpBuilder::IsOpSupported (axes must be a constant)'),
  },
];
const twoInputs = (op: string): OpLimit[] => [
  {
    kind: 'input-count',
    min: 2,
    max: 2,
    source: src('simple_op_builder.cc', `SimpleOpBuilder::ExplicitOpCheck (${op}: exactly two inputs)`),
  },
];
const reshapeConst = (file: string): OpLimit[] => [
  {
    kind: 'const-inputs',
    inputs: [1],
    why: 'a shape, axes or repeats input computed at run time',
    source: src(file, 'ProcessInputs'),
  },
];

export const HTP_OPS: OpMapping[] = [
  m('Conv', 'Conv2d', { byRank: { '3': 'Conv2d', '4': 'Conv2d', '5': 'Conv3d' }, limits: conv }),
  m('ConvTranspose', 'TransposeConv2d', {
    byRank: { '3': 'TransposeConv2d', '4': 'TransposeConv2d', '5': 'TransposeConv3d' },
    limits: [
      ...conv,
      {
        kind: 'attr-all',
        attr: 'dilations',
        value: 1,
        source: src('conv_op_builder.cc', 'ConvOpBuilder::IsOpSupported (ConvTranspose dilations must be 1)'),
      },
    ],
  }),
  m('Gemm', 'FullyConnected', {
    limits: [
      gemmScalar('alpha', 'weight B'),
      gemmScalar('beta', 'bias C'),
      {
        kind: 'gemm-bias-shape',
        source: {
          ...src(
            'gemm_op_builder.cc',
            'GemmOpBuilder::ExplictOpCheck ("QNN FullyConnected Op only support C with shape [N, M]", "only support quantized C with shape [1, M]")',
          ),
          note: "ONNX Runtime's QNN EP leaves such a Gemm to the CPU. Its tests run a C of [N] (Gemm_Broadcast_Bias_DynamicA_StaticB_StaticC) and a float C of [rows, N] (Gemm_2D_Bias). What the QNN converter and ExecuTorch make of such a C is not in their public code, so only ONNX Runtime's flow is judged.",
        },
        effect: { kind: 'backend-limit', outcomes: { ort: 'cpu-fallback' }, flows: ['ort'] },
        fix: 'Give C the shape [N] (one value per output column, broadcast over the rows): expand a scalar or one-element C to N values, and add a per-row C with an Add after the Gemm.',
      },
    ],
  }),
  // MatMul becomes FullyConnected when its second input is a constant of rank 1 or 2 (see mapOp).
  m('MatMul', 'MatMul'),
  o('FusedMatMul', 'MatMul', { domain: 'com.microsoft' }),
  // ONNX Runtime's HTP path builds a Conv2d with block-encoded weights (its GPU path a FullyConnected);
  // which onnxruntime-qnn versions take it, and on what terms: core/check/rules/matmul-nbits.ts.
  o('MatMulNBits', 'Conv2d', { domain: 'com.microsoft' }),
  m('Relu', 'Relu'),
  m('Clip', 'ReluMinMax', {
    limits: [
      {
        kind: 'const-inputs',
        inputs: [1, 2],
        why: 'min or max computed at run time',
        // ReluMinMax takes its bounds as scalar parameters; a bound the data sets (a log-mel's dB
        // floor 80 below its maximum) is an element-wise Max or Min, which take two tensors.
        fix: "A bound computed from the data (a dB floor below the maximum, as a log-mel front end has) is an element-wise Max (for min) or Min (for max) against it, which the HTP runs with both inputs as tensors: write Clip(x, m) as Max(x, m), or Min(Max(x, lo), hi). A bound that only looks computed (a shape computation, a Constant behind a Cast) folds to a constant with onnxsim or ONNX Runtime's offline optimizer.",
        source: src('clip_op_builder.cc', 'ClipOpBuilder::ExplicitOpCheck'),
      },
    ],
  }),
  m('Sigmoid', 'Sigmoid'),
  m('HardSigmoid', 'ElementWiseNeuron'),
  m('HardSwish', 'HardSwish'),
  m('Tanh', 'Tanh'),
  m('Gelu', 'Gelu'),
  // ONNX has Gelu from opset 20; before it exporters and ONNX Runtime's fusions write the contrib op.
  o('Gelu', 'Gelu', { domain: 'com.microsoft' }),
  o('QuickGelu', 'Gelu', { domain: 'com.microsoft' }),
  m('Elu', 'Elu'),
  m('PRelu', 'Prelu'),
  o('LeakyRelu', 'Prelu'),
  o('ThresholdedRelu', 'ThresholdedRelu'),
  o('Softplus', 'ElementWiseSoftplus'),
  m('Softmax', 'Softmax'),
  m('LogSoftmax', 'LogSoftmax'),
  m('LayerNormalization', 'LayerNorm', {
    limits: [
      {
        kind: 'last-axis',
        attr: 'axis',
        dflt: -1,
        source: {
          ...src('layernormalization_op_builder.cc', 'LayerNormOpBuilder::IsOpSupported'),
          note: 'ExecuTorch builders/op_layer_norm.py also normalizes the last dim only.',
        },
      },
      {
        kind: 'output-count',
        max: 1,
        why: 'LayerNormalization with Mean or InvStdDev outputs',
        source: src('layernormalization_op_builder.cc', 'LayerNormOpBuilder::IsOpSupported'),
      },
      {
        // ONNX Runtime's own test of it is disabled: its validation passes the node, and the HTP
        // then fails to prepare the graph, so the session is not created at all.
        kind: 'const-inputs',
        inputs: [1],
        why: 'a scale computed at run time: the HTP fails to prepare the graph ("could not create op: q::flat_to_vtcm")',
        fix: 'Make the scale a constant (an initializer, or a Constant folded into one), or apply a computed scale with a Mul after a LayerNormalization whose scale is 1.',
        sdk: '2.22 to 2.36.1',
        effect: { kind: 'backend-limit', outcomes: { ort: 'rejected', executorch: 'cpu-fallback' } },
        source: test(
          'layernormalization_test.cc',
          'DISABLED_LayerNorm1D_LastAxis_DynamicScale: "Fails to finalize with QNN SDK 2.22. Still fails on QNN SDK 2.36.1"',
        ),
      },
    ],
  }),
  o('BatchNormalization', 'Batchnorm', {
    limits: [
      { kind: 'rank', input: 0, max: 4, source: test('batch_norm_test.cc', 'BatchNorm3D is not supported on the HTP') },
      {
        kind: 'const-inputs',
        inputs: [1, 2, 3, 4],
        why: 'scale, bias, mean or variance computed at run time ("QNN BatchNorm doesn\'t support dynamic scale")',
        fix: "Export the model for inference (BatchNormalization's scale, bias, mean and variance as initializers, as torch.onnx.export does in eval mode), or write the normalization out as Sub, Div, Mul and Add.",
        source: src(
          'batchnormalization_op_builder.cc',
          'BatchNormOpBuilder::IsOpSupported (IsParamConstant on inputs 1-4)',
        ),
      },
    ],
  }),
  o('InstanceNormalization', 'InstanceNorm', {
    limits: [
      {
        kind: 'rank',
        input: 0,
        min: 3,
        max: 4,
        source: src('instancenormalization_op_builder.cc', 'InstanceNormOpBuilder::IsOpSupported'),
      },
    ],
  }),
  m('GroupNormalization', 'GroupNorm', {
    limits: [
      { kind: 'rank', input: 0, min: 3, source: src('groupnormalization_op_builder.cc', 'IsOpSupported') },
      {
        kind: 'channels-divisible',
        attr: 'num_groups',
        source: src('groupnormalization_op_builder.cc', 'IsOpSupported'),
      },
    ],
  }),
  ...['RMSNormalization', 'SimplifiedLayerNormalization'].map((op) =>
    o(op, 'RmsNorm', {
      limits: [
        {
          kind: 'rank',
          input: 0,
          max: 4,
          source: src('rmsnormalization_op_builder.cc', 'RMSNormOpBuilder::IsOpSupported'),
        },
        {
          kind: 'last-axis',
          attr: 'axis',
          dflt: -1,
          source: src('rmsnormalization_op_builder.cc', 'RMSNormOpBuilder::IsOpSupported'),
        },
      ] as OpLimit[],
    }),
  ),
  o('LpNormalization', 'L2Norm', {
    limits: [
      {
        kind: 'attr-eq',
        attr: 'p',
        value: 2,
        dflt: 2,
        source: src('simple_op_builder.cc', 'SimpleOpBuilder::ExplicitOpCheck (LpNormalization p == 2)'),
      },
    ],
  }),
  o('LRN', 'Lrn', {
    limits: [{ kind: 'rank', input: 0, min: 3, max: 4, source: src('lrn_op_builder.cc', 'IsOpSupported') }],
  }),
  m('Reshape', 'Reshape', {
    limits: [
      ...reshapeConst('reshape_op_builder.cc'),
      {
        kind: 'attr-with-value',
        attr: 'allowzero',
        value: 1,
        input: 1,
        holds: 0,
        source: src('reshape_op_builder.cc', 'ProcessInputs (allowzero=1 with a 0 in the shape is unsupported)'),
      },
    ],
  }),
  m('Flatten', 'Reshape'),
  m('Squeeze', 'Reshape', { limits: reshapeConst('reshape_op_builder.cc') }),
  m('Unsqueeze', 'Reshape', { limits: reshapeConst('reshape_op_builder.cc') }),
  m('Transpose', 'Transpose'),
  m('DepthToSpace', 'DepthToSpace', {
    limits: [
      {
        kind: 'attr-in',
        attr: 'mode',
        values: ['DCR', 'CRD'],
        dflt: 'DCR',
        source: src('simple_op_builder.cc', 'ExplicitOpCheck'),
      },
    ],
  }),
  m('SpaceToDepth', 'SpaceToDepth'),
  m('Tile', 'Tile', { limits: reshapeConst('tile_op_builder.cc') }),
  m('Expand', 'Tile', {
    limits: [
      ...reshapeConst('expand_op_builder.cc'),
      {
        kind: 'out-rank',
        output: 0,
        max: 5,
        source: test('expand_op_test.cc', 'Expand to 6-D is not supported on the HTP'),
      },
    ],
  }),
  m('Concat', 'Concat'),
  m('Split', 'Split', {
    limits: [
      {
        kind: 'const-inputs',
        inputs: [1],
        why: 'split sizes computed at run time',
        source: src('split_op_builder.cc', 'ProcessInputs'),
      },
    ],
  }),
  o('Gather', 'Gather'),
  o('GatherElements', 'GatherElements'),
  o('GatherND', 'GatherNd'),
  m('ScatterElements', 'ScatterElements', {
    limits: [
      {
        kind: 'attr-in',
        attr: 'reduction',
        values: ['none', 'add', 'mul', 'max'],
        dflt: 'none',
        source: src('simple_op_builder.cc', 'ExplicitOpCheck'),
      },
    ],
  }),
  o('ScatterND', 'ScatterNd', {
    limits: [
      {
        kind: 'attr-in',
        attr: 'reduction',
        values: ['none', 'add', 'mul'],
        dflt: 'none',
        source: src('simple_op_builder.cc', 'ExplicitOpCheck'),
      },
    ],
  }),
  m('TopK', 'TopK', {
    limits: [
      {
        kind: 'const-inputs',
        inputs: [1],
        why: 'k computed at run time',
        source: src('topk_op_builder.cc', 'TopKOpBuilder::ExplictOpCheck'),
      },
    ],
  }),
  m('Slice', 'StridedSlice', {
    limits: [
      {
        kind: 'const-inputs',
        inputs: [1, 2, 3, 4],
        why: 'starts, ends, axes or steps computed at run time ("QNN doesn\'t support dynamic slice")',
        source: src('slice_op_builder.cc', 'SliceOpBuilder::ExplictOpCheck'),
      },
    ],
  }),
  m('Pad', 'Pad', {
    limits: [
      {
        kind: 'input-values',
        input: 2,
        values: [0],
        dtypes: ['float16'],
        why: 'the HTP pads float16 data with 0 only',
        fix: 'Pad with 0 and add the constant after it where it matters, or keep this Pad in float32.',
        source: test('pad_test.cc', 'PadConstantValue_FP16_1: "HTP only support fp16 with constant = 0"'),
      },
      {
        kind: 'attr-in',
        attr: 'mode',
        values: ['constant', 'reflect', 'edge'],
        dflt: 'constant',
        source: src('pad_op_builder.cc', 'PadOpBuilder::ProcessAttributesAndOutputs (wrap is unsupported)'),
      },
      {
        kind: 'const-inputs',
        inputs: [1, 2],
        why: 'pads or constant_value computed at run time',
        source: src('pad_op_builder.cc', 'PadOpBuilder::ProcessInputs'),
      },
      {
        kind: 'input-count',
        max: 3,
        why: 'the axes input',
        source: src('pad_op_builder.cc', 'PadOpBuilder::ProcessInputs (no axes input)'),
      },
      { kind: 'rank', input: 0, max: 5, source: src('pad_op_builder.cc', 'PadOpBuilder::ProcessInputs') },
      {
        kind: 'rank',
        input: 0,
        max: 4,
        when: { attr: 'mode', value: 'reflect' },
        source: etPass(
          'decompose_pad.py',
          'ReflectionPad3d: "QNN HTP\'s Pad op with MIRROR_REFLECT scheme only supports max rank 4 tensors"; ExecuTorch rewrites it with index_select and cat',
        ),
        effect: { kind: 'backend-limit', outcomes: { executorch: 'auto-fixed' } },
      },
      {
        kind: 'pads-within-dims',
        attr: 'mode',
        value: 'reflect',
        input: 1,
        source: src(
          'pad_op_builder.cc',
          'PadOpBuilder::ProcessAttributesAndOutputs (reflect: no negative pads, none over shape[i] - 1)',
        ),
      },
    ],
  }),
  ...['Resize', 'Upsample'].map((op) =>
    (op === 'Resize' ? m : o)(op, 'Resize', {
      limits: [
        {
          kind: 'rank',
          input: 0,
          min: 3,
          max: 5,
          source: src('resize_op_builder.cc', 'ResizeOpBuilder::IsOpSupported'),
        },
        {
          kind: 'attr-in',
          attr: 'mode',
          values: ['nearest', 'linear', 'cubic'],
          dflt: 'nearest',
          source: src('resize_op_builder.cc', 'ResizeOpBuilder::IsOpSupported'),
        },
        {
          kind: 'attr-in',
          attr: 'coordinate_transformation_mode',
          values: ['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric'],
          dflt: 'half_pixel',
          source: src('resize_op_builder.cc', 'ResizeOpBuilder::IsOpSupported'),
        },
        {
          kind: 'attr-eq',
          attr: 'antialias',
          value: 0,
          dflt: 0,
          source: src('resize_op_builder.cc', 'ResizeOpBuilder::IsOpSupported'),
        },
        {
          kind: 'attr-combo',
          forbid: {
            mode: ['nearest'],
            coordinate_transformation_mode: ['asymmetric'],
            nearest_mode: ['ceil', 'round_prefer_floor'],
          },
          dflt: { mode: 'nearest', coordinate_transformation_mode: 'half_pixel', nearest_mode: 'round_prefer_floor' },
          source: src(
            'resize_op_builder.cc',
            'ResizeOpBuilder::IsOpSupported (nearest, asymmetric: ceil and round_prefer_floor unsupported)',
          ),
        },
        // A nearest Resize of rank 3 or 5 is QNN's Resize op, not ResizeNearestNeighbor (rank 4
        // only): on the HTP it rounds only by floor, or by round_prefer_ceil with align_corners.
        // PyTorch's mode='nearest' exports asymmetric and floor (fine); 'nearest-exact' exports
        // half_pixel and round_prefer_floor, which a 1-D or 3-D upsampling then cannot use.
        ...(op === 'Resize' ? resizeNearestRank35 : []),
      ] as OpLimit[],
    }),
  ),
  m('MaxPool', 'PoolMax2d', {
    byRank: { '3': 'PoolMax2d', '4': 'PoolMax2d', '5': null },
    limits: pool(true, false),
    why: 'The HTP has no 3-D max pool ("QNN NPU does not support PoolMax3d", pool_op_builder.cc).',
    fix: POOL3D_FIX,
    rewrittenBy: [
      {
        flow: 'executorch',
        into: 'two 2-D max pools between transposes and reshapes',
        singleOutput: true,
        source: etPass('decompose_maxpool3d.py', 'DecomposeMaxPool3d; not when the indices are used'),
      },
    ],
  }),
  m('AveragePool', 'PoolAvg2d', {
    byRank: { '3': 'PoolAvg2d', '4': 'PoolAvg2d', '5': 'PoolAvg3d' },
    limits: pool(false, false),
  }),
  o('GlobalAveragePool', 'PoolAvg2d', {
    byRank: { '3': 'PoolAvg2d', '4': 'PoolAvg2d', '5': 'PoolAvg3d' },
    limits: pool(false, true),
  }),
  o('GlobalMaxPool', 'PoolMax2d', {
    byRank: { '3': 'PoolMax2d', '4': 'PoolMax2d', '5': null },
    limits: pool(true, true),
    why: 'The HTP has no 3-D max pool.',
    fix: POOL3D_FIX,
  }),
  m('ReduceMean', 'ReduceMean', { limits: reduce }),
  m('ReduceSum', 'ReduceSum', { limits: reduce }),
  m('ReduceMax', 'ReduceMax', { limits: reduce }),
  m('ReduceMin', 'ReduceMin', { limits: reduce }),
  o('ReduceProd', null, {
    why: 'ONNX Runtime rejects it on the HTP ("ReduceProd operator not supported by HTP backend", reduce_op_builder.cc).',
    fix: 'Compute the product another way before export (for positive values, Exp of a ReduceSum of Log), or accept that this node runs outside the NPU.',
  }),
  m('ArgMax', 'Argmax', { limits: argLimits() }),
  m('ArgMin', 'Argmin', { limits: argLimits() }),
  m('CumSum', 'CumulativeSum', {
    limits: [
      {
        kind: 'const-inputs',
        inputs: [1],
        why: 'the axis computed at run time',
        source: src('cumsum_op_builder.cc', 'IsOpSupported'),
      },
      { kind: 'attr-eq', attr: 'exclusive', value: 0, dflt: 0, source: src('cumsum_op_builder.cc', 'IsOpSupported') },
      { kind: 'attr-eq', attr: 'reverse', value: 0, dflt: 0, source: src('cumsum_op_builder.cc', 'IsOpSupported') },
    ],
  }),
  m('Cast', 'Cast'),
  m('Add', 'ElementWiseAdd'),
  o('Sum', 'ElementWiseAdd', { limits: twoInputs('Sum') }),
  o('Mean', 'ElementWiseAdd', {
    limits: [{ kind: 'input-count', min: 2, source: src('mean_op_builder.cc', 'IsOpSupported') }],
  }),
  m('Sub', 'ElementWiseSubtract'),
  m('Mul', 'ElementWiseMultiply'),
  m('Div', 'ElementWiseDivide'),
  o('Mod', 'ElementWiseMod'),
  m('Pow', 'ElementWisePower'),
  m('Max', 'ElementWiseMaximum', { limits: twoInputs('Max') }),
  m('Min', 'ElementWiseMinimum', { limits: twoInputs('Min') }),
  m('Sqrt', 'ElementWiseSquareRoot'),
  o('Reciprocal', 'ElementWiseDivide'),
  m('Exp', 'ElementWiseExp'),
  m('Log', 'ElementWiseLog'),
  m('Neg', 'ElementWiseNeg'),
  m('Abs', 'ElementWiseAbs'),
  m('Floor', 'ElementWiseFloor'),
  m('Ceil', 'ElementWiseCeil'),
  m('Round', 'ElementWiseRound'),
  m('Sign', 'ElementWiseSign'),
  m('Sin', 'ElementWiseSin'),
  m('Cos', 'ElementWiseCos'),
  o('Tan', 'ElementWiseTan'),
  m('Atan', 'ElementWiseAtan'),
  m('Asin', 'ElementWiseAsin'),
  o('IsNaN', 'ElementWiseIsNan'),
  m('Equal', 'ElementWiseEqual'),
  m('Greater', 'ElementWiseGreater'),
  m('GreaterOrEqual', 'ElementWiseGreaterEqual'),
  m('Less', 'ElementWiseLess'),
  m('LessOrEqual', 'ElementWiseLessEqual'),
  o('Not', 'ElementWiseNot'),
  m('And', 'ElementWiseAnd'),
  m('Or', 'ElementWiseOr'),
  m('Xor', 'ElementWiseXor'),
  m('Where', 'ElementWiseSelect'),
  m('GridSample', 'GridSample', {
    limits: [
      {
        kind: 'attr-in',
        attr: 'mode',
        values: ['bilinear', 'nearest', 'linear'],
        dflt: 'bilinear',
        source: src('simple_op_builder.cc', 'ExplicitOpCheck'),
      },
      {
        kind: 'attr-in',
        attr: 'padding_mode',
        values: ['zeros', 'border', 'reflection'],
        dflt: 'zeros',
        source: src('simple_op_builder.cc', 'ExplicitOpCheck'),
      },
    ],
  }),
  o('LSTM', 'Lstm', {
    // What ONNX Runtime's LSTM builder refuses; what the QNN converter and ExecuTorch make of such
    // an LSTM is not in their public code, so only ONNX Runtime's flow is judged.
    limits: [
      {
        kind: 'attr-eq',
        attr: 'layout',
        value: 0,
        dflt: 0,
        source: src(
          'lstm_op_builder.cc',
          'LSTMOpBuilder::IsOpSupported ("Unsupport layout mode", a TODO for layout 1)',
        ),
        effect: { kind: 'backend-limit', outcomes: { ort: 'cpu-fallback' }, flows: ['ort'] },
        fix: 'Export the LSTM with layout 0 (sequence first), with Transposes of X and Y around it where the model is batch first.',
      },
      {
        kind: 'attr-eq',
        attr: 'clip',
        value: 0,
        dflt: 0,
        source: src(
          'lstm_op_builder.cc',
          'LSTMOpBuilder::IsOpSupported ("QNN EP doesn\'t support non-default clip for LSTM")',
        ),
        effect: { kind: 'backend-limit', outcomes: { ort: 'cpu-fallback' }, flows: ['ort'] },
      },
      {
        kind: 'const-inputs',
        inputs: [4],
        source: src(
          'lstm_op_builder.cc',
          'LSTMOpBuilder::IsOpSupported ("dynamic sequence_length is not supported"; an initializer of equal lengths only)',
        ),
        effect: { kind: 'backend-limit', outcomes: { ort: 'cpu-fallback' }, flows: ['ort'] },
        fix: 'Drop sequence_lens (every sequence at its full length), or give it as an initializer of one length repeated.',
      },
    ],
  }),
  o('GRU', 'Gru', {
    source: {
      ...SRC.ortFactory,
      confidence: 'inferred',
      note: "ONNX Runtime's QNN EP registers no GRU builder at cee6c0d (a later tree does: see the finding under its flow); ExecuTorch has no GRU annotator.",
    },
  }),
  o('Einsum', 'MatMul', {
    limits: [
      {
        kind: 'einsum-equation',
        source: {
          ...src('einsum_op_builder.cc', 'EinsumOpBuilder::IsOpSupported (MatMul-shaped equations only)'),
          note: 'ExecuTorch decomposes every einsum into matmuls, transposes and reductions before lowering (backends/qualcomm/_passes/decompose_einsum.py, DecomposeEinsum).',
        },
        effect: { kind: 'backend-limit', outcomes: { executorch: 'auto-fixed' } },
      },
    ],
  }),
  o('RoiAlign', 'RoiAlign', {
    limits: [
      {
        kind: 'attr-in',
        attr: 'mode',
        values: ['avg'],
        dflt: 'avg',
        source: src('roialign_op_builder.cc', 'IsOpSupported (HTP only supports avg pooling mode)'),
      },
      {
        kind: 'attr-in',
        attr: 'coordinate_transformation_mode',
        values: ['output_half_pixel'],
        dflt: 'half_pixel',
        // RoiAlign-10 has no such attribute and shifts no pixels: what RoiAlign-16 calls
        // "output_half_pixel" (ONNX's RoiAlign_15_16 version adapter writes that value).
        since: { opset: 16, before: 'output_half_pixel' },
        source: src('roialign_op_builder.cc', 'IsOpSupported (HTP only supports output_half_pixel)'),
      },
      {
        kind: 'attr-read-as',
        by: "ONNX Runtime's QNN EP",
        attr: 'coordinate_transformation_mode',
        opset: 16,
        before: 'output_half_pixel',
        reads: 'half_pixel',
        values: ['output_half_pixel'],
        effect: { kind: 'backend-limit', outcomes: { ort: 'cpu-fallback' }, flows: ['ort'] },
        fix: 'Raise the model to opset 16 (python3-onnx: onnx.version_converter.convert_version(model, 16) writes coordinate_transformation_mode "output_half_pixel" on RoiAlign), or export at opset 16 with a torchvision that writes the attribute (roi_align_opset16); the node then runs on the HTP.',
        source: {
          ...src(
            'roialign_op_builder.cc',
            'IsOpSupported: node_helper.Get("coordinate_transformation_mode", "half_pixel")',
          ),
          note: 'ONNX RoiAlign-16 added coordinate_transformation_mode, default "half_pixel"; RoiAlign-10 behaves as "output_half_pixel". The EP reads the attribute with the later default at every opset, so an older RoiAlign (torchvision exports detection models at opset 11) is refused though it computes what the HTP takes. onnxruntime-qnn\'s RoiAlign tests build the op at opset 16 only. The QNN converter is taken to read the op as its opset defines it (inferred: its source is not public).',
        },
      },
      {
        kind: 'attr-combo',
        forbid: { sampling_ratio: [0] },
        dflt: { sampling_ratio: 0 },
        source: src('roialign_op_builder.cc', "IsOpSupported (HTP doesn't support the adaptive sampling_ratio 0)"),
      },
    ],
  }),
  o('STFT', 'Stft'),
  o('Inverse', 'Inverse', { domain: 'com.microsoft' }),
  o('RandomUniformLike', 'RandomUniformLike'),
  // Ops QNN lacks that ExecuTorch decomposes into ones it has (builders/README.md, "Additional
  // Operators Supported via Passes"); ONNX Runtime's op builder factory has none of them.
  ...(
    [
      ['Acos', 'decompose_acos.py', 'DecomposeAcos'],
      ['Acosh', 'decompose_hyperbolic_variants.py', 'DecomposeHyperbolicVariants'],
      ['Asinh', 'decompose_hyperbolic_variants.py', 'DecomposeHyperbolicVariants'],
      ['Atanh', 'decompose_hyperbolic_variants.py', 'DecomposeHyperbolicVariants'],
      ['Cosh', 'decompose_hyperbolic_variants.py', 'DecomposeHyperbolicVariants'],
      ['Sinh', 'decompose_hyperbolic_variants.py', 'DecomposeHyperbolicVariants'],
    ] as const
  ).map(([op, file, pass]) =>
    o(op, null, {
      why: `QNN has no ${op} operation and ONNX Runtime's QNN EP no builder for it; ExecuTorch decomposes it into element-wise ops the HTP has.`,
      fix: `Write ${op} out in element-wise ops the HTP has before export (Exp, Log, Sqrt, Div and the like, as ExecuTorch's ${pass} does), or accept that this node runs outside the NPU.`,
      rewrittenBy: [{ flow: 'executorch', into: 'element-wise ops the HTP has', source: etPass(file, pass) }],
    }),
  ),
  o('Erf', null, {
    why: 'QNN has no Erf operation; ONNX Runtime runs Erf on the HTP only inside a fused GELU pattern (qnn_node_group/gelu_fusion.cc).',
    fix: 'Export GELU as one Gelu op (opset 20), or keep its pattern intact (Div, Erf, Add, Mul) so that it fuses; a lone Erf runs outside the NPU.',
  }),
  // Control flow: QNN graphs are static, and ONNX Runtime's QNN EP registers no builder for these
  // (op_builder_factory.cc), so the node and its sub-graphs run on the CPU.
  ...(['If', 'Loop', 'Scan'] as const).map((op) =>
    o(op, null, {
      why: `QNN graphs have no control flow, and ONNX Runtime's QNN EP has no ${op} builder`,
      source: src('op_builder_factory.cc', `no ${op} builder registered`),
      fix:
        op === 'If'
          ? 'Where the condition is fixed for a deployment, fold the If to its branch (QuantLens folds it when every calibration sample takes one branch; onnxsim folds a constant condition). Where it follows the data (a second model that runs when a score passes a threshold), deploy each branch as a model of its own and choose in the application.'
          : `Unroll the ${op} for a fixed trip count before conversion (trace the model rather than script it, or export with the count fixed), or run its body as a model of its own, called from the application once per step.`,
    }),
  ),
  o('NonMaxSuppression', null, {
    why: "ONNX Runtime's QNN EP has no NonMaxSuppression builder for the HTP; it runs on the CPU.",
    fix: 'Leave the suppression to the application: export the network up to its boxes and scores, and run NonMaxSuppression on them after it, on the CPU.',
  }),
  // Integer-arithmetic and dynamic-quantization ops: HTP runs QDQ models, not these.
  m('ConvInteger', null),
  m('MatMulInteger', null),
  m('DynamicQuantizeLinear', null),
  m('QLinearConv', null),
  m('QLinearMatMul', null),
  m('QLinearAdd', null, { domain: 'com.microsoft' }),
  m('QLinearMul', null, { domain: 'com.microsoft' }),
  m('DynamicQuantizeMatMul', null, { domain: 'com.microsoft' }),
];

function argLimits(): OpLimit[] {
  return [
    {
      kind: 'rank',
      input: 0,
      max: 4,
      source: { ...SRC.qdocArgmax, note: 'ONNX Runtime test ArgMaxMinU8_RankGreaterThan4_Unsupported agrees.' },
    },
    {
      kind: 'attr-eq',
      attr: 'select_last_index',
      value: 0,
      dflt: 0,
      source: src('argmax_argmin_op_builder.cc', 'IsOpSupported'),
    },
  ];
}

/** Ops the validator looks through: quantization plumbing, and what converters fold away. */
export const HTP_TRANSPARENT = [
  'QuantizeLinear',
  'DequantizeLinear',
  'Constant',
  'Identity',
  'Dropout',
  'Shape',
  'ConstantOfShape',
];
