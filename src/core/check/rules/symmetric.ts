import { describeEncoding, isSigned, isSymmetric } from '../../encoding/encoding';
import { quantizedPorts, violation, type Rule } from './context';

export const symmetricRule: Rule = {
  id: 'symmetric',
  title: 'Symmetric encoding where required',
  description: 'Ports that must be symmetric (weights of Conv, FullyConnected and TransposeConv; an int16 MatMul second input) must have zero point 0 (signed) or the midpoint (unsigned, e.g. 128).',
  check(ctx) {
    const out = [];
    for (const { direction, port, spec } of quantizedPorts(ctx)) {
      if (!spec || port.role === 'bias') continue;
      const enc = port.encoding!;
      const required = spec.symmetric || spec.symmetricDtypes?.includes(enc.dtype);
      if (!required || isSymmetric(enc)) continue;
      const mid = isSigned(enc.dtype) ? 0 : 2 ** (enc.bitwidth - 1);
      const firstBad = enc.zeroPoint.find((z) => z !== mid);
      out.push(violation(port, direction, {
        message: `${ctx.qnnOp} ${port.role === 'weight' ? 'weights' : `${direction} ${port.index}`} must be symmetric`,
        expected: `zero point ${mid}${enc.zeroPoint.length > 1 ? ' on every channel' : ''}`,
        actual: `zero point ${firstBad} (${describeEncoding(enc)})`,
        fix: 'Quantize with a symmetric scheme (per_tensor_symmetric / per_channel_symmetric; ONNX Runtime: WeightSymmetric=True).',
        source: ctx.constraint!.source,
      }));
    }
    return out;
  },
};
