import type { Source } from '../../../../rules/types';
import { isIndexPort, type QPort } from '../../qgraph/qgraph';
import { floatLeavesNpu, violation, type Rule } from './context';

const SRC: Source = {
  ref: 'onnxruntime/onnxruntime-qnn onnxruntime/core/providers/qnn/qnn_ep_utils.cc (OrtUnaryNodeGroupSelector, OrtBinaryNodeGroupSelector, OrtVariadicNodeGroupSelector, OrtConvNodeGroupSelector ... ::Check: activation input and output dtypes must match)',
  confidence: 'from-code',
  note: 'The QNN converter and ExecuTorch insert Convert ops between precisions (mixed precision), which costs time. ONNX Runtime forms no QDQ node unit, so the node runs as a float op between a Dequantize and a Quantize, as a float island does: on the HTP in FP16 where the SoC has it (slower), on the CPU where it does not (V68).',
};

/**
 * Inputs that may differ from the rest by design: the second input of a node the backend runs as
 * MatMul (MatMul, FusedMatMul, a two-operand Einsum: 16a16w int16 symmetric, 16×8 uint8; ONNX
 * Runtime's MatMul and Einsum selectors compare only the first input's dtype with the output's),
 * and Where's condition.
 */
function exempt(opType: string, qnnOp: string | null, port: QPort): boolean {
  if (port.role !== 'activation' || isIndexPort(opType, 'input', port.index)) return true;
  if ((opType === 'MatMul' || opType === 'FusedMatMul' || qnnOp === 'MatMul') && port.index === 1) return true;
  if (opType === 'Where' && port.index === 0) return true;
  return false;
}

/** Outputs outside the input's numeric domain: indices and booleans (isIndexPort), and Cast's new type. */
const outputExempt = (opType: string, index: number) => opType === 'Cast' || isIndexPort(opType, 'output', index);

export const ioDtypeRule: Rule = {
  id: 'io-dtype',
  title: 'One activation dtype per node',
  description:
    "The quantized activation inputs and outputs of one node must share a dtype (uint8 with uint8, uint16 with uint16): ONNX Runtime's QDQ selectors form no node unit otherwise, so under that flow the node runs as a float op (slower; off the NPU on SoCs without FP16, V68); the QNN converter and ExecuTorch insert Convert ops, which is slower. The second input of a node run as MatMul (MatMul, Einsum; 16a16w, 16×8) and Where's condition are exempt.",
  check(ctx) {
    const { node } = ctx;
    // Data movement must share its input's encoding outright: the shared-qparams rule's finding.
    if (ctx.constraint?.outputs.some((o) => o.mathInvariant)) return [];
    const ports = [
      ...node.inputs.filter((p) => p.encoding && !exempt(node.opType, ctx.qnnOp, p)),
      ...node.outputs.filter((p) => p.encoding && !outputExempt(node.opType, p.index)),
    ];
    const dtypes = [...new Set(ports.map((p) => p.encoding!.dtype))];
    if (dtypes.length < 2) return [];
    const first = ports[0]!.encoding!.dtype;
    const odd = ports.find((p) => p.encoding!.dtype !== first)!;
    const direction = node.outputs.includes(odd) ? 'output' : 'input';
    return [
      violation(odd, direction, {
        effect: {
          kind: 'backend-limit',
          outcomes: {
            qnn: 'slower',
            executorch: 'slower',
            ort: floatLeavesNpu(ctx.pack, ctx.soc) ? 'cpu-fallback' : 'slower',
          },
        },
        message: `${node.opType} mixes ${dtypes.join(' and ')} activations`,
        expected: `one activation dtype on every quantized input and output (${first})`,
        actual: ports
          .map((p) => `${node.outputs.includes(p) ? 'output' : 'input'} ${p.index} ${p.encoding!.dtype}`)
          .join(', '),
        fix: `Quantize this node's activations at one precision (${first} or ${odd.encoding!.dtype}); put the precision change on an edge of its own (a Q/DQ pair), where it becomes one Convert.`,
        source: SRC,
      }),
    ];
  },
};
