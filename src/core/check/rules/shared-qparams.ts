import { describeEncoding, sameQuantization } from '../../encoding/encoding';
import { specFor, violation, type Rule } from './context';

export const sharedQparamsRule: Rule = {
  id: 'shared-qparams',
  title: 'Math-invariant ops share their input\'s quantization',
  description: 'Data-movement ops (Reshape family, Transpose, DepthToSpace/SpaceToDepth, Tile/Expand, Gather, Split outputs, TopK output, Pack, ChannelShuffle) must give their output the same dtype, scale and zero point as their input.',
  check(ctx) {
    const input = ctx.node.inputs.find((p) => p.index === 0);
    const out = [];
    for (const port of ctx.node.outputs) {
      const spec = specFor(ctx.constraint?.outputs, port.index);
      if (!spec?.mathInvariant || !input) continue;
      const a = input.encoding;
      const b = port.encoding;
      if (!a && !b) continue;
      if (a && b && sameQuantization(a, b)) continue;
      out.push(violation(port, 'output', {
        message: `${ctx.qnnOp} output ${port.index} must share its input's quantization`,
        expected: a ? describeEncoding(a) : 'not quantized (like the input)',
        actual: b ? describeEncoding(b) : 'not quantized',
        fix: 'Give the output the input\'s encoding (SharedQuantizationSpec; in QDQ, reuse the input\'s scale and zero point on the Q after this op).',
        source: ctx.constraint!.source,
      }));
    }
    return out;
  },
};
