/** Source references for the HTP pack (see ../../../shared/qnn-constraints.md for what each holds). */
import type { Source } from '../types';

const ET = 'pytorch/executorch backends/qualcomm';

export const SRC = {
  socTable: { ref: `${ET}/serialization/qc_schema.py (_soc_info_table)`, confidence: 'from-code' },
  etRules: { ref: `${ET}/quantizer/annotators/htp_rules.py`, confidence: 'from-code' },
  etQconfig: { ref: `${ET}/quantizer/qconfig.py`, confidence: 'from-code' },
  etReadmeConv: { ref: `${ET}/quantizer/README.md (citing the QNN HTP op supplement for Conv2d)`, confidence: 'documented' },
  etValidators: { ref: `${ET}/quantizer/validators.py`, confidence: 'from-code' },
  ortQnnConfig: { ref: 'microsoft/onnxruntime onnxruntime/python/tools/quantization/execution_providers/qnn/quant_config.py', confidence: 'from-code' },
  ortSimpleOp: { ref: 'microsoft/onnxruntime onnxruntime/core/providers/qnn/builder/opbuilder/simple_op_builder.cc (OverrideQuantParams)', confidence: 'from-code' },
  ortMatMul: { ref: 'microsoft/onnxruntime onnxruntime/core/providers/qnn/builder/opbuilder/matmul_op_builder.cc', confidence: 'from-code' },
  ortRegistry: { ref: 'microsoft/onnxruntime onnxruntime/python/tools/quantization/registry.py (QDQ ops that reuse input qparams)', confidence: 'from-code' },
  aimetHtp: { ref: 'qualcomm/aimet aimet_common/quantsim_config/htp_quantsim_config_v7x.json (per_channel_quantization)', confidence: 'from-code' },
  bwScaleOffset: { ref: 'QNN API reference, Qnn_BwScaleOffset_t / Qnn_BwAxisScaleOffset_t', confidence: 'documented' },
  htpSupplement: { ref: 'QNN HTP Backend Op Definition Supplement (docs.qualcomm.com 80-63442-10)', confidence: 'documented' },
  issue17296: { ref: 'pytorch/executorch issue #17296 (maintainer: "layer_norm 16w16a is only supported after V73")', confidence: 'documented' },
  issue16331: { ref: 'pytorch/executorch issue #16331 (reviewer: V68 does not support block-wise quantization)', confidence: 'documented' },
  lpbqCode: { ref: `${ET}/quantizer/annotators/htp_rules.py (validate_lpbq_support: htp_arch >= V69)`, confidence: 'from-code' },
  twoBit: { ref: `${ET}/quantizer/validators.py (2-bit per-tensor raises; per-channel only, PR #20534)`, confidence: 'from-code' },
  mapping: { ref: `${ET}/quantizer/annotators/htp_rules.py (register_annotator ATen op → QNN op) and builders/qnn_constants.py`, confidence: 'from-code' },
  ortMapping: { ref: 'microsoft/onnxruntime onnxruntime/core/providers/qnn/builder/op_builder_factory.cc (ONNX op → QNN op builders)', confidence: 'inferred' },
  folded: { ref: 'QNN converters fold shape computations on static shapes', confidence: 'inferred', note: 'Shape and ConstantOfShape have no HTP op; they must be constant-folded before conversion.' },
} satisfies Record<string, Source>;
