import { describeEncoding, isSigned, isSymmetric } from '../../encoding/encoding';
import { laterOrtBlockConv } from './arch-gates';
import { quantizedPorts, violation, type Rule } from './context';

export const symmetricRule: Rule = {
  id: 'symmetric',
  title: 'Symmetric encoding where required',
  description:
    "Weights of Conv, FullyConnected and TransposeConv must be symmetric when they are per-channel, per-block or LPBQ, or int16 (per-tensor 8-bit weights may be asymmetric: ONNX Runtime's default QNN config); an int16 MatMul second input and an int16 LayerNorm weight must be symmetric. Symmetric means zero point 0 (signed) or the midpoint (unsigned, e.g. 128).",
  check(ctx) {
    const out = [];
    for (const { direction, port, spec } of quantizedPorts(ctx)) {
      if (!spec || port.role === 'bias') continue;
      const enc = port.encoding!;
      const required =
        spec.symmetric ||
        spec.symmetricDtypes?.includes(enc.dtype) ||
        spec.symmetricGranularities?.includes(enc.granularity);
      if (!required || isSymmetric(enc)) continue;
      const mid = isSigned(enc.dtype) ? 0 : 2 ** (enc.bitwidth - 1);
      const at = enc.zeroPoint.findIndex((z) => z !== mid);
      const bad = enc.zeroPoint.filter((z) => z !== mid).length;
      // Per channel or block: how many are off, and where the first is, not one value for all.
      const has =
        enc.zeroPoint.length > 1
          ? `${bad} of ${enc.zeroPoint.length} zero points are not ${mid} (the first: ${enc.zeroPoint[at]}, at index ${at})`
          : `zero point ${enc.zeroPoint[at]}`;
      // ONNX Runtime's later block-quantized Conv carries these zero points as float offsets:
      // ort-block-quant says what that flow does with the node.
      const offsets = port.role === 'weight' && enc.granularity === 'per-block' && laterOrtBlockConv(ctx.node);
      out.push(
        violation(port, direction, {
          ...(offsets
            ? { effect: { kind: 'backend-limit' as const, flows: ['qnn' as const, 'executorch' as const] } }
            : {}),
          message: `${ctx.qnnOp} ${port.role === 'weight' ? `${enc.granularity === 'per-tensor' ? '' : `${enc.granularity} `}weights` : `${direction} ${port.index}`} must be symmetric`,
          expected: `zero point ${mid}${enc.zeroPoint.length > 1 ? ' on every channel' : ''}`,
          actual: `${has}; ${describeEncoding(enc)}`,
          fix: 'Quantize with a symmetric scheme (per_tensor_symmetric / per_channel_symmetric; ONNX Runtime: WeightSymmetric=True).',
          source: ctx.constraint!.source,
        }),
      );
    }
    return out;
  },
};
