import { describeEncoding } from '../../encoding/encoding';
import { outChannelAxis } from '../../qgraph/qgraph';
import { quantizedPorts, violation, type Rule } from './context';

/** An axis outside the tensor's rank is the encoding rule's finding, not this one's. */
function axisInRange(axis: number, shape: readonly unknown[] | undefined): boolean {
  return shape === undefined || (axis >= 0 && axis < shape.length);
}

export const perChannelRule: Rule = {
  id: 'per-channel',
  title: 'Per-channel only where allowed, on the right axis',
  description:
    'Activations are always per-tensor. The MatMul activation inputs, LayerNorm, BatchNorm, InstanceNorm, GroupNorm and Gather allow only per-tensor encodings; uint16 weights must be per-tensor. Per-channel weights must use the output-channel axis (0 for Conv, 1 for ConvTranspose; for FullyConnected, 0 for Gemm with transB, else 1, and the last axis of a MatMul weight).',
  check(ctx) {
    const out = [];
    for (const { direction, port, spec } of quantizedPorts(ctx)) {
      if (!spec) continue;
      const enc = port.encoding!;
      if (enc.granularity === 'per-tensor') continue;
      const wantAxis =
        spec.axis === 'out-channel' ? outChannelAxis(ctx.node.opType, ctx.node.attrs, port.shape?.length) : spec.axis;
      // Block-wise encodings on per-tensor ports are the lpbq-arch rule's finding.
      const tooFine = spec.perTensorOnly
        ? enc.granularity === 'per-channel'
        : spec.perTensorOnlyDtypes?.includes(enc.dtype) === true;
      if (tooFine) {
        out.push(
          violation(port, direction, {
            message: spec.perTensorOnly
              ? `${ctx.qnnOp} ${direction} ${port.index} (${port.role}) allows only per-tensor encodings`
              : `${ctx.qnnOp} ${enc.dtype} ${port.role}s must be per-tensor`,
            expected: 'per-tensor',
            actual: describeEncoding(enc),
            fix:
              port.role === 'activation'
                ? 'Quantize activations per tensor.'
                : spec.perTensorOnly
                  ? `Quantize this ${port.role} per tensor (turn per-channel off for ${ctx.node.opType}).`
                  : `Quantize this ${port.role} per tensor, or per channel as int16 symmetric or 8-bit.`,
            source: spec.perTensorOnly
              ? ctx.constraint!.source
              : {
                  ref: 'onnxruntime/onnxruntime-qnn onnxruntime/core/providers/qnn/builder/opbuilder/conv_op_builder.cc and matmul_op_builder.cc (uint16 weights: per-tensor only, then converted to symmetric int16)',
                  confidence: 'from-code',
                },
          }),
        );
      } else if (
        wantAxis !== undefined &&
        enc.granularity === 'per-channel' &&
        enc.axis !== undefined &&
        enc.axis !== wantAxis &&
        axisInRange(enc.axis, port.shape)
      ) {
        out.push(
          violation(port, direction, {
            message: `${ctx.qnnOp} per-channel ${port.role} must use axis ${wantAxis} (output channels)`,
            expected: `axis ${wantAxis}`,
            actual: `axis ${enc.axis}`,
            fix: `Quantize per output channel (axis ${wantAxis}).`,
            source: ctx.constraint!.source,
          }),
        );
      }
    }
    return out;
  },
};
