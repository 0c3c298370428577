/**
 * The QNN HTP rule pack. Loaded lazily through the registry (its own chunk), as the upstream
 * quantizer imports `htp_rules` on demand.
 */
import { DEFAULT_SOC } from '../backends';
import type { RulePack } from '../types';
import { HTP_CONSTRAINTS } from './constraints';
import { HTP_LATER_ORT_BUILDERS } from './later-ort';
import { HTP_OPS, HTP_TRANSPARENT } from './ops';
import { HTP_SOCS } from './socs';
import { SRC } from './sources';

const pack: RulePack = {
  schema: 1,
  backend: 'htp',
  title: 'Qualcomm QNN HTP (Hexagon NPU)',
  socs: HTP_SOCS,
  defaultSoc: DEFAULT_SOC.htp,
  ops: HTP_OPS,
  constraints: HTP_CONSTRAINTS,
  gates: [
    {
      feature: 'lpbq',
      ops: ['Conv2d', 'DepthWiseConv2d', 'Conv3d', 'FullyConnected'],
      minArch: 69,
      source: SRC.lpbqCode,
      disputedArch: {
        arch: 69,
        note: 'ExecuTorch code allows block-wise (LPBQ) weights from V69; its wiki lists them only from V73 (citing issue #15410, which concerns V68). Confirm on a V69 device.',
      },
    },
    {
      feature: '16a16w',
      ops: ['MatMul', 'LayerNorm', 'Conv2d', 'DepthWiseConv2d', 'Conv3d', 'FullyConnected', 'TransposeConv2d'],
      minArch: 73,
      source: {
        ref: 'pytorch/executorch backends/qualcomm/quantizer/annotators/htp_rules.py (MatMul.validate, validate_16a16w_support: htp_arch >= V73); issue #17296 ("layer_norm 16w16a is only supported after V73")',
        confidence: 'from-code',
        note: 'ExecuTorch intends this gate for Conv, Linear, LayerNorm and TransposeConv too, but its check compares the weight dtype to int32 and never fires there; QuantLens implements the intent.',
      },
    },
  ],
  transparentOps: HTP_TRANSPARENT,
  unmappedOps: 'backend-limit',
  // ONNX Runtime's HTP tests skip FP16 on V68: "Test requires HTP FP16 support (arch > V68)".
  noFp16BelowArch: 69,
  laterOrtBuilders: HTP_LATER_ORT_BUILDERS,
  maxTensorRank: {
    max: 5,
    source: {
      ref: 'onnxruntime/onnxruntime-qnn onnxruntime/core/providers/qnn/builder/qnn_node_group/reshape_transpose_rank5.h ("QNN doesn\'t support rank-6 Reshape and Transpose operators"), test/providers/qnn/reshape_expand_test.cc (Expand_6D), reduce_test.cc (ReduceSumS8Opset13_Rank6_Unsupported); pytorch/executorch pull 22253 ("The HTP backend rejects tensors with rank > 5 at graph-prepare")',
      confidence: 'from-code',
      note: "ExecuTorch's partitioner does not check the rank: a rank-6 node left in a partition aborts the whole context binary. ONNX Runtime's QNN EP lowers two rank-6 patterns to rank 5 (Reshape → Transpose → Reshape with a size-1 dim left in place; Gather → Transpose → Reshape of a rank-5 input) and leaves other rank-6 nodes to the CPU.",
    },
  },
  unknowns: [
    "The per-op HTP constraint tables (BackendOpInfo) ship only inside the QNN SDK 2.41+; this pack is assembled from public code (ExecuTorch, ONNX Runtime, AIMET). Load your SDK's tables as a constraint pack to check against them.",
    'No public source gives a fixed 8-bit encoding for Tanh or Softmax.',
    'SDK-version gates (4-bit Conv2d weights with 16-bit activations from QNN 2.44; 2-bit FullyConnected from 2.49) are not checked: the pack does not know your SDK version.',
  ],
};

export default pack;
