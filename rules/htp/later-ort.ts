/**
 * Ops ONNX Runtime's QNN EP builds for the HTP only after cee6c0d (March 2026), the commit this
 * pack's ONNX Runtime facts follow. Where a pull request says that its builder takes the HTP, the
 * entry says so; the others are builders registered in a later onnxruntime-qnn tree whose backend
 * conditions QuantLens has not read.
 */
import type { LaterBuilder, Source } from '../types';

const pr = (n: number, title: string): Source => ({
  ref: `onnxruntime/onnxruntime-qnn pull ${n} (${title})`,
  confidence: 'documented',
});

const FORK = 'qti-yuduo/onnxruntime-qnn, a fork of onnxruntime/onnxruntime-qnn';

/** A builder read in a later tree. */
const read = (file: string, commit: string, what: string): Source => ({
  ref: `onnxruntime-qnn onnxruntime/core/providers/qnn/builder/opbuilder/${file} (${what}), read at ${FORK} ${commit}`,
  confidence: 'from-code',
});

/** A builder declared in a later tree (op_builder_factory.h), its conditions not read. */
const declared = (builder: string): LaterBuilder => ({
  since: 'a later onnxruntime-qnn',
  htp: 'unknown',
  source: {
    ref: `onnxruntime-qnn onnxruntime/core/providers/qnn/builder/op_builder_factory.h (${builder}), read at ${FORK} 4c5e4f6`,
    confidence: 'from-code',
  },
});

export const HTP_LATER_ORT_BUILDERS: Record<string, LaterBuilder> = {
  // The HTP has GRU (the pack maps it for the QNN converter and ExecuTorch); only ONNX Runtime's
  // QNN EP lacks a builder at cee6c0d.
  GRU: declared('CreateGRUOpBuilder'),
  QLinearMatMul: {
    since: 'onnxruntime-qnn PR #467 (merged May 2026)',
    htp: 'yes',
    source: pr(467, '[QNN EP] Add support for QLinearMatMul Op'),
  },
  QLinearConv: {
    since: 'onnxruntime-qnn PR #494 (merged June 2026)',
    htp: 'yes',
    source: pr(494, '[QNN EP] Add support for QLinearConv Op'),
  },
  'com.microsoft::GroupQueryAttention': {
    since: 'onnxruntime-qnn PR #556 (merged June 2026; QAIRT 2.48 or newer)',
    // The pull request says its builder takes the HTP; the fork's builder read (6bc944b) still
    // refuses all but the GPU: which one a version has is not settled here.
    htp: 'unknown',
    source: {
      ...pr(556, '[OpBuilder] Support GQA on HTP backend'),
      note: "The fork's group_query_attention_op_builder.cc at 6bc944b still refuses every backend but the GPU.",
    },
  },
  Attention: {
    since: 'onnxruntime-qnn PR #651 (merged July 2026; elementary ops on the HTP)',
    htp: 'yes',
    source: pr(651, '[QNN EP] Add support for Attention Op'),
  },
  // ONNX Runtime's dynamic quantization (quantize_dynamic): a node-group fusion, not a builder.
  MatMulInteger: {
    since: 'a later onnxruntime-qnn',
    htp: 'yes',
    conditions:
      'as the DynamicQuantizeLinear → MatMulInteger → Cast → Mul (→ Add) pattern quantize_dynamic writes, with a constant int8 or uint8 [K, N] weight: it runs a float MatMul over the dequantized weight (FP16 on the HTP)',
    source: {
      ref: `onnxruntime-qnn onnxruntime/core/providers/qnn/builder/qnn_node_group/dq_matmul_integer_fusion.cc (DQMatMulIntegerFusion::TryFusion), read at ${FORK} 984cf71`,
      confidence: 'from-code',
    },
  },
  ConvInteger: {
    since: 'a later onnxruntime-qnn',
    htp: 'yes',
    conditions:
      'as the DynamicQuantizeLinear → ConvInteger → Cast → Mul (→ Add) pattern quantize_dynamic writes, 2-D with a constant int8 or uint8 weight, auto_pad NOTSET and static shapes: it runs a float Conv over the dequantized weight (FP16 on the HTP)',
    source: {
      ref: `onnxruntime-qnn onnxruntime/core/providers/qnn/builder/qnn_node_group/dq_conv_integer_fusion.cc (DQConvIntegerFusion::TryFusion), read at ${FORK} 984cf71`,
      confidence: 'from-code',
    },
  },
  'com.microsoft::GatherBlockQuantized': {
    since: 'a later onnxruntime-qnn',
    htp: 'no',
    conditions: 'its builder refuses every backend but the GPU ("GatherBlockQuantized: GPU backend only")',
    source: read('gatherblockquantized_op_builder.cc', 'ce0bb1a', 'GatherBlockQuantizedOpBuilder::IsOpSupported'),
  },
  'com.microsoft::RotaryEmbedding': declared('CreateRotaryEmbeddingOpBuilder'),
  RotaryEmbedding: declared('CreateRotaryEmbeddingOpBuilder'),
  OneHot: {
    since: 'a later onnxruntime-qnn',
    htp: 'yes',
    conditions: 'depth and values must be constants; indices int32, int64 or uint32',
    source: read('one_hot_op_builder.cc', '004df32', 'OneHotOpBuilder::ProcessInputs, no backend check'),
  },
  IsInf: {
    since: 'a later onnxruntime-qnn',
    htp: 'no',
    conditions:
      'its builder declines the HTP on purpose: the only HTP IsInf kernel fails graphFinalize (error 1002, QNN_COMMON_ERROR_MEM_ALLOC)',
    source: read('isinf_op_builder.cc', '004df32', 'IsInfOpBuilder::IsOpSupported'),
  },
  LpPool: {
    since: 'a later onnxruntime-qnn',
    htp: 'yes',
    conditions: 'float inputs only (not QDQ), rank 3 or 4, p 1 or 2, ceil_mode 0, dilations 1',
    source: read('lp_pool_op_builder.cc', '004df32', 'LpPoolOpBuilder::IsOpSupported'),
  },
  Selu: {
    since: 'a later onnxruntime-qnn',
    htp: 'yes',
    conditions: 'lowered to ElementWiseNeuron (ELU) times gamma',
    source: read('selu_op_builder.cc', '3636942', 'SeluOpBuilder, no backend check'),
  },
  NonZero: declared('CreateNonZeroOpBuilder'),
  Range: declared('CreateRangeOpBuilder'),
  NonMaxSuppression: declared('CreateNonMaxSuppressionOpBuilder'),
  MaxRoiPool: declared('CreateMaxRoiPoolOpBuilder'),
  Bernoulli: declared('CreateBernoulliOpBuilder'),
  RandomNormalLike: declared('CreateRandomNormalLikeOpBuilder'),
};
