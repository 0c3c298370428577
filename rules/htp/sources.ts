/** Source references for the HTP pack: public repositories (by path) and documents, each with how sure we are. */
import type { Source } from '../types';

const ET = 'pytorch/executorch backends/qualcomm';

export const SRC = {
  socTable: { ref: `${ET}/serialization/qc_schema.py (_soc_info_table)`, confidence: 'from-code' },
  etRules: { ref: `${ET}/quantizer/annotators/htp_rules.py`, confidence: 'from-code' },
  etQconfig: { ref: `${ET}/quantizer/qconfig.py`, confidence: 'from-code' },
  etReadmeConv: {
    ref: `${ET}/quantizer/README.md (citing the QNN HTP op supplement for Conv2d)`,
    confidence: 'documented',
  },
  etValidators: { ref: `${ET}/quantizer/validators.py`, confidence: 'from-code' },
  ortQnnConfig: {
    ref: 'microsoft/onnxruntime onnxruntime/python/tools/quantization/execution_providers/qnn/quant_config.py',
    confidence: 'from-code',
  },
  ortSimpleOp: {
    ref: 'microsoft/onnxruntime onnxruntime/core/providers/qnn/builder/opbuilder/simple_op_builder.cc (OverrideQuantParams)',
    confidence: 'from-code',
  },
  ortMatMul: {
    ref: 'microsoft/onnxruntime onnxruntime/core/providers/qnn/builder/opbuilder/matmul_op_builder.cc',
    confidence: 'from-code',
  },
  ortRegistry: {
    ref: 'microsoft/onnxruntime onnxruntime/python/tools/quantization/registry.py (QDQ ops that reuse input qparams)',
    confidence: 'from-code',
  },
  aimetHtp: {
    ref: 'qualcomm/aimet aimet_common/quantsim_config/htp_quantsim_config_v7x.json (per_channel_quantization)',
    confidence: 'from-code',
  },
  bwScaleOffset: { ref: 'QNN API reference, Qnn_BwScaleOffset_t / Qnn_BwAxisScaleOffset_t', confidence: 'documented' },
  htpSupplement: {
    ref: 'QNN HTP Backend Op Definition Supplement (docs.qualcomm.com 80-63442-10)',
    confidence: 'documented',
  },
  issue17296: {
    ref: 'pytorch/executorch issue #17296 (maintainer: "layer_norm 16w16a is only supported after V73")',
    confidence: 'documented',
  },
  issue16331: {
    ref: 'pytorch/executorch issue #16331 (reviewer: V68 does not support block-wise quantization)',
    confidence: 'documented',
  },
  lpbqCode: {
    ref: `${ET}/quantizer/annotators/htp_rules.py (validate_lpbq_support: htp_arch >= V69)`,
    confidence: 'from-code',
  },
  twoBit: {
    ref: `${ET}/quantizer/validators.py (2-bit per-tensor raises; per-channel only, PR #20534)`,
    confidence: 'from-code',
  },
  mapping: {
    ref: `${ET}/quantizer/annotators/htp_rules.py (register_annotator ATen op → QNN op) and builders/qnn_constants.py`,
    confidence: 'from-code',
  },
  ortMapping: {
    ref: 'microsoft/onnxruntime onnxruntime/core/providers/qnn/builder/op_builder_factory.cc (ONNX op → QNN op builders)',
    confidence: 'inferred',
  },
  ortQdqSelectors: {
    ref: 'onnxruntime/onnxruntime-qnn onnxruntime/core/providers/qnn/qnn_ep_utils.cc (Ort*NodeGroupSelector::Check: QDQ node units)',
    confidence: 'from-code',
  },
  ortConv: {
    ref: 'onnxruntime/onnxruntime-qnn onnxruntime/core/providers/qnn/builder/opbuilder/conv_op_builder.cc (ConvOpBuilder::IsOpSupported, ProcessConv2D3DInputs)',
    confidence: 'from-code',
  },
  ortMatMulQnn: {
    ref: 'onnxruntime/onnxruntime-qnn onnxruntime/core/providers/qnn/builder/opbuilder/matmul_op_builder.cc (CheckInputs, ProcessInputsForQnnFullyConnected)',
    confidence: 'from-code',
  },
  ortSimpleOpQnn: {
    ref: 'onnxruntime/onnxruntime-qnn onnxruntime/core/providers/qnn/builder/opbuilder/simple_op_builder.cc (OverrideQuantParams; simple_op_test.cc HTP Sigmoid/Tanh/HardSigmoid tests)',
    confidence: 'from-code',
  },
  ortInstanceNorm: {
    ref: 'onnxruntime/onnxruntime-qnn onnxruntime/core/providers/qnn/builder/opbuilder/instancenormalization_op_builder.cc (ProcessScale: SFIXED8 scale converted to UFIXED8)',
    confidence: 'from-code',
  },
  ortBatchNorm: {
    ref: 'onnxruntime/onnxruntime-qnn onnxruntime/core/providers/qnn/builder/opbuilder/batchnormalization_op_builder.cc (parameters dequantized and requantized by the builder)',
    confidence: 'from-code',
  },
  ortBaseBuilder: {
    ref: 'onnxruntime/onnxruntime-qnn onnxruntime/core/providers/qnn/builder/opbuilder/base_op_builder.cc (SetOutputQParamEqualToInputIfNearlyEqual)',
    confidence: 'from-code',
  },
  ortFactory: {
    ref: 'onnxruntime/onnxruntime-qnn onnxruntime/core/providers/qnn/builder/op_builder_factory.cc',
    confidence: 'from-code',
  },
  etLayerNorm: {
    ref: `${ET}/quantizer/annotators/htp_rules.py (LayerNorm weight: int16 symmetric at 16-bit, get_16a16w_qnn_ptq_config); builders/op_layer_norm.py (last dim only)`,
    confidence: 'from-code',
  },
  etBatchNorm: {
    ref: `${ET}/quantizer/annotators/htp_rules.py (BatchNorm/InstanceNorm: "QNN requires uint8 instead of int8 in 'weight' config")`,
    confidence: 'from-code',
  },
  qdocArgmax: {
    ref: 'QNN HTP Backend Op Definition Supplement, Argmax/Argmin (in[0] UFIXED_POINT_16, UFIXED_POINT_8 or SFIXED_POINT_8; rank <= 4)',
    confidence: 'documented',
  },
  folded: {
    ref: 'QNN converters fold shape computations on static shapes',
    confidence: 'inferred',
    note: 'Shape and ConstantOfShape have no HTP op; they must be constant-folded before conversion.',
  },
} satisfies Record<string, Source>;
