import { describeEncoding } from '../../encoding/encoding';
import { quantizedPorts, violation, type Rule } from './context';

/** An axis outside the tensor's rank is the encoding rule's finding, not this one's. */
function axisInRange(axis: number, shape: readonly unknown[] | undefined): boolean {
  return shape === undefined || (axis >= 0 && axis < shape.length);
}

export const perChannelRule: Rule = {
  id: 'per-channel',
  title: 'Per-channel only where allowed, on the right axis',
  description: 'Activations are always per-tensor. MatMul, Gemm/FullyConnected, LayerNorm, BatchNorm, InstanceNorm, GroupNorm and Gather allow only per-tensor encodings. Per-channel weights must use the output-channel axis (0 for Conv, 1 for ConvTranspose).',
  check(ctx) {
    const out = [];
    for (const { direction, port, spec } of quantizedPorts(ctx)) {
      if (!spec) continue;
      const enc = port.encoding!;
      if (enc.granularity === 'per-tensor') continue;
      if (spec.perTensorOnly && enc.granularity === 'per-channel') {
        out.push(violation(port, direction, {
          message: `${ctx.qnnOp} ${direction} ${port.index} (${port.role}) allows only per-tensor encodings`,
          expected: 'per-tensor',
          actual: describeEncoding(enc),
          fix: port.role === 'activation' ? 'Quantize activations per tensor.' : `Quantize this ${port.role} per tensor (turn per-channel off for ${ctx.node.opType}).`,
          source: ctx.constraint!.source,
        }));
      } else if (spec.axis !== undefined && enc.granularity === 'per-channel' && enc.axis !== undefined && enc.axis !== spec.axis && axisInRange(enc.axis, port.shape)) {
        out.push(violation(port, direction, {
          message: `${ctx.qnnOp} per-channel ${port.role} must use axis ${spec.axis} (output channels)`,
          expected: `axis ${spec.axis}`,
          actual: `axis ${enc.axis}`,
          fix: `Quantize per output channel (axis ${spec.axis}).`,
          source: ctx.constraint!.source,
        }));
      }
    }
    return out;
  },
};
