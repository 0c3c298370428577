import { fmt, nearFraction, quantRange, type QuantDType } from '../../encoding/encoding';
import { specFor, violation, type Rule } from './context';

const RTOL = 1e-6;

export const fixedQparamsRule: Rule = {
  id: 'fixed-qparams',
  title: 'Fixed output encodings',
  description:
    "Fixed output encodings. 16-bit Sigmoid (uint16 1/65536 zp 0; int16 1/32768 zp 0) and Tanh (uint16 1/32768 zp 32768; int16 1/32768 zp 0) are HTP requirements, which ONNX Runtime's QNN EP repairs by overriding them. The 8-bit Sigmoid 1/256 and every HardSigmoid value are ExecuTorch's observer choice, reported as advice.",
  check(ctx) {
    const out = [];
    for (const port of ctx.node.outputs) {
      const spec = specFor(ctx.constraint?.outputs, port.index);
      const enc = port.encoding;
      if (!spec?.fixed || !enc || enc.granularity !== 'per-tensor') continue;
      const want = spec.fixed[enc.dtype as QuantDType];
      if (!want) continue;
      const scale = enc.scale[0]!;
      const zp = enc.zeroPoint[0]!;
      if (Math.abs(scale - want.scale) <= RTOL * want.scale && zp === want.zeroPoint) continue;
      const { qmin, qmax } = quantRange(enc.dtype);
      const rule =
        want.zeroPoint === 0 && Math.abs(want.scale * (qmax - qmin + 1) - 1) < 1e-12 ? ` = 1/(qmax−qmin+1)` : '';
      const has = `scale ${fmt(scale)}${nearFraction(scale)}, zero point ${zp}`;
      out.push(
        violation(port, 'output', {
          effect: want.effect,
          message: `${ctx.node.opType} output must be ${enc.dtype} scale ${fmt(want.scale)}${rule} with zero point ${want.zeroPoint}; it has ${has}`,
          expected: `scale ${fmt(want.scale)}, zero point ${want.zeroPoint}`,
          actual: has,
          fix: `Use a fixed-qparams observer for ${ctx.node.opType} (scale ${fmt(want.scale)}, zero point ${want.zeroPoint}) instead of calibrating its output range.`,
          source: want.note ? { ...ctx.constraint!.source, note: want.note } : ctx.constraint!.source,
        }),
      );
    }
    return out;
  },
};
