import { containerBits, isSigned, type QuantEncoding } from '../../encoding/encoding';
import type { Source } from '../../../../rules/types';
import { floatLeavesNpu, violation, quantizedPorts, type Rule } from './context';

/** `int8`, or `int8:4` for 4-bit values in an 8-bit container. */
export function dtypeKey(enc: QuantEncoding): string {
  return enc.bitwidth < containerBits(enc.dtype) ? `${enc.dtype}:${enc.bitwidth}` : enc.dtype;
}

const SIXTEEN: Source = {
  ref: 'pytorch/executorch backends/qualcomm/quantizer/annotators/htp_rules.py (MatMul: an SFIXED_POINT_16 input 1 requires a UFIXED_POINT_16 input 0)',
  confidence: 'from-code',
};
/**
 * ONNX Runtime's QDQ node-unit selectors for these ops: with an int8 first input, the second (the
 * weight, Gemm's B, BatchNorm's scale) must be int8 too, or no node unit forms.
 */
const SIGNED_PAIR_OPS: Record<string, string> = {
  Conv: 'OrtConvNodeGroupSelector',
  ConvTranspose: 'OrtConvNodeGroupSelector',
  MatMul: 'OrtMatMulNodeGroupSelector',
  Gemm: 'OrtGemmNodeGroupSelector',
  BatchNormalization: 'OrtBatchNormalizationNodeGroupSelector',
};
const TWO_BIT: Source = {
  ref: 'pytorch/executorch backends/qualcomm/quantizer/validators.py (2-bit per-tensor raises; per-channel only)',
  confidence: 'from-code',
};

export const dtypeRule: Rule = {
  id: 'dtype',
  title: 'Port dtype the op supports',
  description:
    'Every quantized port must use a dtype the backend op accepts for that port (8- or 16-bit activations; 8/16-bit or 4/2-bit-in-8-bit weights; int32 bias). 2-bit weights must be per-channel, and 16-bit weights need 16-bit activations. Under the QNN EP of ONNX Runtime, an int8 first input of Conv, ConvTranspose, MatMul, Gemm or BatchNormalization needs an int8 second input (weight, B, scale), or the node runs as a float op.',
  check(ctx) {
    const out = [];
    for (const { direction, port, spec } of quantizedPorts(ctx)) {
      const enc = port.encoding!;
      // The bias rule owns constant int32 biases; a bias computed at run time is an activation.
      if (port.role === 'bias' && spec?.dtypes?.length === 1 && spec.dtypes[0] === 'int32') continue;
      const key = dtypeKey(enc);
      const conv = spec?.convertedDtypes;
      if (conv?.dtypes.includes(key)) {
        out.push(
          violation(port, direction, {
            effect: conv.effect,
            message: `${ctx.qnnOp} ${direction} ${port.index} (${port.role}) must be ${conv.to}, not ${key}`,
            expected: [conv.to, ...(spec?.dtypes ?? []).filter((d) => d !== conv.to)].join(' | '),
            actual: key,
            fix: `Quantize this ${port.role} as ${conv.to} (ExecuTorch annotates it with the activation spec for this reason). ONNX Runtime converts it, re-rounding the values.`,
            source: conv.source,
          }),
        );
      } else if (spec?.dtypes && !spec.dtypes.includes(key)) {
        out.push(
          violation(port, direction, {
            message: `${ctx.qnnOp} ${direction} ${port.index} (${port.role}) does not accept ${key}`,
            expected: spec.dtypes.join(' | '),
            actual: key,
            fix:
              port.role === 'activation'
                ? 'Quantize this activation to uint8 or uint16 (8a or 16a configs).'
                : `Quantize this ${port.role} to one of: ${spec.dtypes.join(', ')}.`,
            source: ctx.constraint!.source,
          }),
        );
      }
      if (
        port.role === 'weight' &&
        enc.dtype === 'uint16' &&
        enc.granularity === 'per-tensor' &&
        spec?.dtypes?.includes('uint16')
      ) {
        out.push(
          violation(port, direction, {
            effect: { kind: 'toolchain-repair', outcomes: { qnn: 'advice', ort: 'auto-fixed', executorch: 'advice' } },
            message: `${ctx.qnnOp} has a uint16 weight; the HTP fails validation of one, and takes 16-bit weights as int16 symmetric`,
            expected: 'int16 symmetric weights (the HTP 16-bit weight type)',
            actual: `uint16 zero point ${enc.zeroPoint[0]}`,
            fix: 'Quantize 16-bit weights as int16 symmetric so that the values you calibrated are the values that run.',
            source: {
              ref: 'onnxruntime/onnxruntime-qnn onnxruntime/core/providers/qnn/builder/opbuilder/conv_op_builder.cc, matmul_op_builder.cc (a Convert of a static uint16 weight to symmetric int16, "to avoid a QNN validation failure")',
              confidence: 'from-code',
              note: "ONNX Runtime's QNN EP inserts that Convert itself, which re-rounds the weight. ExecuTorch quantizes 16-bit weights as int16 symmetric (its 16a16w config), so it never makes a uint16 one. No public source says whether the QNN converter converts a uint16 weight it reads from Q/DQ or hands it to the HTP as it is.",
            },
          }),
        );
      }
      if (port.role === 'weight' && enc.bitwidth === 2 && enc.granularity === 'per-tensor') {
        out.push(
          violation(port, direction, {
            message: '2-bit weights must be quantized per channel',
            expected: 'per-channel (BW_AXIS_SCALE_OFFSET) 2-bit weights',
            actual: '2-bit per-tensor',
            fix: 'Use per-channel weights for 16a2w (is_conv_per_channel / is_linear_per_channel).',
            source: TWO_BIT,
          }),
        );
      }
    }
    // 16-bit weights (or an int16 MatMul second input) with an 8-bit first input.
    const in0 = ctx.node.inputs.find((p) => p.index === 0);
    const a = in0?.encoding;
    const w = ctx.node.inputs.find((p) => p.index === 1);
    const gated = [
      'MatMul',
      'FullyConnected',
      'Conv2d',
      'DepthWiseConv2d',
      'Conv3d',
      'TransposeConv2d',
      'TransposeConv3d',
    ];
    if (
      a &&
      w?.encoding &&
      ctx.qnnOp &&
      gated.includes(ctx.qnnOp) &&
      w.encoding.bitwidth === 16 &&
      isSigned(w.encoding.dtype) &&
      a.bitwidth === 8
    ) {
      out.push(
        violation(w, 'input', {
          message: `${ctx.qnnOp} with a 16-bit ${w.role} needs a 16-bit (uint16) first input`,
          expected: 'input 0 uint16 when input 1 is int16',
          actual: `input 0 ${a.dtype}, input 1 ${w.encoding.dtype}`,
          fix: 'Use 16a16w for this node (16-bit activations), or 8-bit weights.',
          source: SIXTEEN,
        }),
      );
    }
    // An int8 first input with a second input of another type: ONNX Runtime's selectors form no
    // node unit, so under that flow the node runs as a float op between its Dequantize and
    // Quantize nodes. The HTP itself takes int8 x uint8 (the QNN converter and ExecuTorch convert
    // signed activations to its unsigned form): this is one flow's cost, not a backend limit.
    const selector = SIGNED_PAIR_OPS[ctx.node.opType];
    if (selector && a?.dtype === 'int8' && w?.encoding && w.encoding.dtype !== 'int8') {
      const second = ctx.node.opType === 'BatchNormalization' ? 'scale' : ctx.node.opType === 'Gemm' ? 'B' : w.role;
      const noFloat = floatLeavesNpu(ctx.pack, ctx.soc);
      out.push(
        violation(w, 'input', {
          effect: { kind: 'performance', outcomes: { ort: noFloat ? 'cpu-fallback' : 'slower' }, flows: ['ort'] },
          message: `${ctx.node.opType} with an int8 input 0 and a ${w.encoding.dtype} ${second}: ONNX Runtime forms no QDQ node unit, so it runs as a float op`,
          expected: `input 1 int8 when input 0 is int8 (or an unsigned input 0)`,
          actual: `input 0 int8, input 1 ${dtypeKey(w.encoding)}`,
          fix: noFloat
            ? `Quantize the ${second} as int8 (symmetric int8 is what the HTP prefers), or the activations as uint8: on ${ctx.soc.model} a float op leaves the NPU.`
            : `Quantize the ${second} as int8 (symmetric int8 is what the HTP prefers), or the activations as uint8, to keep this node quantized under ONNX Runtime; as it is, it runs in FP16 between a Dequantize and a Quantize.`,
          source: {
            ref: `onnxruntime/onnxruntime-qnn onnxruntime/core/providers/qnn/qnn_ep_utils.cc (${selector}::Check: an INT8 input 0 requires input 1 of the same type)`,
            confidence: 'from-code',
            note: "ONNX Runtime's QDQ transformer tests Conv_S8X8S8 and MatMul_S8U8S8 (qdq_transformer_test.cc, the same selectors) expect no quantized node from an int8 input with a uint8 weight. The QNN converter and ExecuTorch take the pair.",
          },
        }),
      );
    }
    // Two uint16 activations into one ONNX MatMul: ONNX Runtime's QNN EP converts the second to
    // uint8. Its own FusedMatMul builder passes two uint16 inputs to the HTP unchanged, and its
    // test of that (FusedMatMul_QDQ_U16_Default) runs on the HTP: a repair of one flow, not a limit.
    if (
      ctx.node.opType === 'MatMul' &&
      ctx.qnnOp === 'MatMul' &&
      in0?.role === 'activation' &&
      a?.dtype === 'uint16' &&
      w?.role === 'activation' &&
      w.encoding?.dtype === 'uint16'
    ) {
      out.push(
        violation(w, 'input', {
          // The other flows keep 16x16 (V73+; the 16a16w gate judges older SoCs): nothing to say.
          effect: { kind: 'toolchain-repair', outcomes: { ort: 'auto-fixed' }, flows: ['ort'] },
          message: "MatMul of two uint16 activations: ONNX Runtime's QNN EP converts the second to uint8 (16x8)",
          expected: 'input 1 int16 symmetric or uint16 kept as is (16x16), or uint8 (16x8) by choice',
          actual: `input 1 uint16 zero point ${w.encoding.zeroPoint[0]}`,
          fix: "Under ONNX Runtime, quantize the second input as uint8 yourself if 16x8 is accurate enough, or as int16 symmetric (ExecuTorch's 16-bit annotation) to keep 16x16: ONNX Runtime then takes it without a Convert.",
          source: {
            ref: 'onnxruntime/onnxruntime-qnn onnxruntime/core/providers/qnn/builder/opbuilder/matmul_op_builder.cc (ProcessInputs: a Convert to UFIXED_POINT_8 on a dynamic uint16 input 1 beside a uint16 input 0)',
            confidence: 'from-code',
            note: "The builder's comment says QNN validation failed without it; ONNX Runtime's FusedMatMul_QDQ_U16_Default test runs two uint16 inputs on the HTP unchanged, so the QNN converter and ExecuTorch are not expected to reject it.",
          },
        }),
      );
    }
    return out;
  },
};
