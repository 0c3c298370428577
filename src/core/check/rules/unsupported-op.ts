import { violation, type Rule } from './context';

const FIXES: Record<string, string> = {
  ConvInteger: 'Export the model as QDQ (QuantizeLinear/DequantizeLinear around a float Conv) instead of integer ops.',
  MatMulInteger: 'Export the model as QDQ (QuantizeLinear/DequantizeLinear around a float MatMul) instead of integer ops.',
  DynamicQuantizeLinear: 'Use static quantization: calibrate activation ranges and export QDQ with constant scales.',
  QLinearConv: 'Export QDQ instead of QOperator format (ONNX Runtime: quant_format=QuantFormat.QDQ).',
  QLinearMatMul: 'Export QDQ instead of QOperator format (ONNX Runtime: quant_format=QuantFormat.QDQ).',
};

export const unsupportedOp: Rule = {
  id: 'unsupported-op',
  title: 'Op the backend cannot run',
  description: 'A node whose ONNX op has no backend op in the pack\'s mapping (or is mapped to none, like ConvInteger or DynamicQuantizeLinear). The model will not fully delegate: the node falls back to the CPU, or conversion fails.',
  check(ctx) {
    if (ctx.qnnOp !== null) return [];
    const op = `${ctx.node.domain && ctx.node.domain !== 'ai.onnx' ? `${ctx.node.domain}::` : ''}${ctx.node.opType}`;
    return [violation(undefined, 'input', {
      message: ctx.mapping ? `${op} has no ${ctx.pack.backend.toUpperCase()} equivalent` : `${op} is not in the ${ctx.pack.backend.toUpperCase()} op mapping`,
      expected: `an op ${ctx.pack.title} supports`,
      actual: op,
      // Own keys only: an op named `constructor` or `__proto__` must not pick up Object.prototype members.
      fix: (Object.hasOwn(FIXES, ctx.node.opType) ? FIXES[ctx.node.opType] : undefined) ?? 'Replace the op with supported ones before export, or accept that this part of the model runs outside the NPU.',
      source: ctx.mapping?.source ?? { ref: `QuantLens ${ctx.pack.backend} op mapping (rules/${ctx.pack.backend})`, confidence: 'inferred' },
    })];
  },
};
