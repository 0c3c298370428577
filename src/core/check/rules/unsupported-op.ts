import { violation, type Rule } from './context';

const FIXES: Record<string, string> = {
  ConvInteger: 'Export the model as QDQ (QuantizeLinear/DequantizeLinear around a float Conv) instead of integer ops.',
  MatMulInteger:
    'Export the model as QDQ (QuantizeLinear/DequantizeLinear around a float MatMul) instead of integer ops.',
  DynamicQuantizeLinear: 'Use static quantization: calibrate activation ranges and export QDQ with constant scales.',
  QLinearConv: 'Export QDQ instead of QOperator format (ONNX Runtime: quant_format=QuantFormat.QDQ).',
  QLinearMatMul: 'Export QDQ instead of QOperator format (ONNX Runtime: quant_format=QuantFormat.QDQ).',
};

export const unsupportedOp: Rule = {
  id: 'unsupported-op',
  title: 'Op the backend cannot run',
  description:
    "A node whose ONNX op has no backend op in the pack's mapping (or is mapped to none, like ConvInteger, ReduceProd or Erf; or a rank the backend lacks, like rank-5 MaxPool). The model will not fully delegate: the QNN converter rejects it; ONNX Runtime and ExecuTorch run the node on the CPU. Packs whose op list is only one toolchain's (LPAI) report unmapped ops as advice.",
  check(ctx) {
    if (ctx.qnnOp !== null) return [];
    const op = `${ctx.node.domain && ctx.node.domain !== 'ai.onnx' ? `${ctx.node.domain}::` : ''}${ctx.node.opType}`;
    const kind = ctx.mapping ? 'backend-limit' : (ctx.pack.unmappedOps ?? 'backend-limit');
    return [
      violation(undefined, 'input', {
        effect: { kind, outcomes: { executorch: kind === 'backend-limit' ? 'cpu-fallback' : 'advice' } },
        message: ctx.mapping?.qnnOp
          ? `${op} at this rank has no ${ctx.pack.backend.toUpperCase()} equivalent`
          : ctx.mapping
            ? `${op} has no ${ctx.pack.backend.toUpperCase()} equivalent`
            : `${op} is not in the ${ctx.pack.backend.toUpperCase()} op mapping`,
        expected: `an op ${ctx.pack.title} supports`,
        actual: op,
        // Own keys only: an op named `constructor` or `__proto__` must not pick up Object.prototype members.
        fix:
          ctx.mapping?.why ??
          (Object.hasOwn(FIXES, ctx.node.opType) ? FIXES[ctx.node.opType] : undefined) ??
          'Replace the op with supported ones before export, or accept that this part of the model runs outside the NPU.',
        source: ctx.mapping?.source ?? {
          ref: `QuantLens ${ctx.pack.backend} op mapping (rules/${ctx.pack.backend})`,
          confidence: 'inferred',
        },
      }),
    ];
  },
};
