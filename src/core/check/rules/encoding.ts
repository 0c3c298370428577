import type { Source } from '../../../../rules/types';
import { quantRange, type QuantEncoding } from '../../encoding/encoding';
import type { QPort } from '../../qgraph/qgraph';
import { violation, type Rule } from './context';

const SPEC: Source = {
  ref: 'ONNX QuantizeLinear/DequantizeLinear specification (scale > 0, zero point in the dtype range, axis and block_size consistent with the input shape)',
  confidence: 'documented',
};

/** Problems that make an encoding malformed, whatever the backend. */
export function encodingProblems(
  enc: QuantEncoding,
  shape: QPort['shape'],
): { message: string; expected: string; actual: string; fix?: string }[] {
  const out: { message: string; expected: string; actual: string; fix?: string }[] = [];
  const bad = enc.scale.findIndex((s) => !(Number.isFinite(s) && s > 0));
  if (bad >= 0)
    out.push({
      message: `scale ${bad === 0 && enc.scale.length === 1 ? '' : `[${bad}] `}is ${enc.scale[bad]}`,
      expected: 'a finite scale > 0',
      actual: String(enc.scale[bad]),
      // A calibrator that met ±inf or NaN in the tensor writes them into the scale: ONNX Runtime's
      // quantizer does so for an attention mask filled with -inf.
      ...(Number.isNaN(enc.scale[bad]) || enc.scale[bad] === Infinity
        ? {
            fix: `An ${Number.isNaN(enc.scale[bad]) ? 'undefined (NaN)' : 'infinite'} scale comes from calibrating a tensor that holds ±inf or NaN, most often an attention mask filled with -inf: mask with a large finite value instead (torch.finfo(dtype).min, or -1e4), or set this tensor's range by hand (ONNX Runtime's quantizer: TensorQuantOverrides), and quantize again.`,
          }
        : {}),
    });
  const { qmin, qmax } = quantRange(enc.dtype);
  const zbad = enc.zeroPoint.findIndex((z) => !Number.isInteger(z) || z < qmin || z > qmax);
  if (zbad >= 0)
    out.push({
      message: `zero point ${enc.zeroPoint[zbad]} is outside the ${enc.dtype} range`,
      expected: `an integer in [${qmin}, ${qmax}]`,
      actual: String(enc.zeroPoint[zbad]),
    });
  if (enc.zeroPoint.length !== enc.scale.length)
    out.push({
      message: 'scale and zero point have different lengths',
      expected: `${enc.scale.length} zero points`,
      actual: String(enc.zeroPoint.length),
    });
  const rank = shape?.length;
  if (enc.granularity !== 'per-tensor' && enc.axis !== undefined && rank !== undefined) {
    if (enc.axis < 0 || enc.axis >= rank) {
      out.push({
        message: `axis ${enc.axis} is out of range for a rank-${rank} tensor`,
        expected: `axis in [0, ${rank - 1}]`,
        actual: String(enc.axis),
      });
    } else {
      const dim = shape![enc.axis];
      if (enc.granularity === 'per-channel' && typeof dim === 'number' && dim !== enc.scale.length) {
        out.push({
          message: `${enc.scale.length} scales for ${dim} channels on axis ${enc.axis}`,
          expected: `${dim} scales`,
          actual: String(enc.scale.length),
        });
      }
      if ((enc.granularity === 'per-block' || enc.granularity === 'lpbq') && enc.blockSize) {
        // Blocks run along the input-channel dimension: an ONNX DQ's axis, or the consumer's input channels (AIMET).
        const blocked = shape![enc.blockAxis ?? (enc.granularity === 'per-block' ? enc.axis : 1)];
        if (typeof blocked === 'number' && blocked % enc.blockSize !== 0) {
          out.push({
            message: `block size ${enc.blockSize} does not divide the blocked dimension (${blocked})`,
            expected: `a block size dividing ${blocked}`,
            actual: String(enc.blockSize),
          });
        }
      }
    }
  }
  return out;
}

export const encodingRule: Rule = {
  id: 'encoding',
  title: 'Well-formed encoding',
  description:
    'Malformed quantization, whatever the backend: a zero, negative or non-finite scale; a zero point outside its dtype range; scale and zero point of different lengths; an axis out of range; a per-channel scale count that does not match the channel count; a block size that does not divide the blocked dimension.',
  check(ctx) {
    const out = [];
    const ports = [
      ...ctx.node.inputs.map((p) => ['input', p] as const),
      ...ctx.node.outputs.map((p) => ['output', p] as const),
    ];
    for (const [direction, port] of ports) {
      if (!port.encoding) continue;
      for (const p of encodingProblems(port.encoding, port.shape)) {
        out.push(
          violation(port, direction, {
            ...p,
            message: `${direction} ${port.index}: ${p.message}`,
            fix:
              p.fix ??
              'Recompute this encoding (recalibrate, or fix the exporter); a malformed encoding makes conversion fail.',
            source: SPEC,
          }),
        );
      }
    }
    return out;
  },
};
