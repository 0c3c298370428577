import type { Source } from '../../../../rules/types';
import type { QNode } from '../../qgraph/qgraph';
import { listNodeNames, type GraphRule } from './context';

const SRC: Source = {
  ref: 'onnxruntime/onnxruntime-qnn onnxruntime/core/providers/qnn/builder/qnn_quant_params_wrapper.cc (QnnQuantParamsWrapper::Init unpacks every Q/DQ scale as float) and qnn_model_wrapper.h (UnpackScales: "Expected scale initializer to be of type FLOAT"), reached from BaseOpBuilder::IsOpSupported through ProcessDataTypes and GetTensorInfo, so the node is not supported',
  confidence: 'from-code',
  note: "A float16 model's Q/DQ carry float16 scales: ONNX's QuantizeLinear binds the scale's type to the tensor's, so such a model cannot be written with float32 scales. The QNN converter and ExecuTorch take encodings as numbers (an AIMET file, a quantization spec), not as ONNX scale tensors.",
};

/**
 * Q/DQ scales stored in float16 (a float16 model's): ONNX Runtime's QNN EP reads a scale as a
 * float32 tensor only, so every node whose Q/DQ has one is not supported and runs on the CPU. One
 * finding, under that flow, names the nodes.
 */
export const ortHalfScalesRule: GraphRule = {
  id: 'ort-half-scales',
  title: 'float16 Q/DQ scales under ONNX Runtime',
  description:
    "Nodes whose Q/DQ store their scales in float16, as a float16 model's must. ONNX Runtime's QNN EP unpacks every Q/DQ scale as a float32 tensor and refuses any other type, so under that flow each such node is not supported and runs on the CPU. The QNN converter and ExecuTorch read encodings as numbers, not as scale tensors, so the other flows are not concerned. One finding names the nodes.",
  check(ctx) {
    const members: QNode[] = ctx.graph.nodes.filter(
      (n) =>
        ctx.mappedOps.has(n.id) &&
        !n.folded &&
        [...n.inputs, ...n.outputs].some((p) => p.encoding?.scaleType === 'float16'),
    );
    if (members.length === 0) return [];
    const one = members.length === 1;
    return [
      {
        node: members[0]!,
        raw: {
          kind: 'violation',
          effect: { kind: 'backend-limit', outcomes: { ort: 'cpu-fallback' }, flows: ['ort'] },
          nodeIds: members.map((n) => n.id),
          message: `${one ? '1 node has' : `${members.length} nodes have`} Q/DQ whose scales are float16: ONNX Runtime's QNN EP reads Q/DQ scales as float32 only, so ${one ? 'it runs' : 'they run'} on the CPU`,
          expected: 'float32 Q/DQ scales',
          actual: `float16 scales on ${listNodeNames(members)}`,
          fix: "For ONNX Runtime's QNN EP, quantize the float32 model (a float16 model's QuantizeLinear must take float16 scales), and let the EP run the float parts in FP16 (enable_htp_fp16_precision). For the QNN converter, the AIMET encodings file QuantLens writes beside the export carries the same encodings.",
          source: SRC,
        },
      },
    ];
  },
};
