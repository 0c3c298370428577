import type { Source } from '../../../../rules/types';
import type { RawFinding } from '../finding';
import { portLabel, type Rule } from './context';

const SRC: Source = { ref: 'QuantLens QDQ reader (src/core/check/from-qdq.ts)', confidence: 'inferred' };

export const unreadableEncodingRule: Rule = {
  id: 'unreadable-encoding',
  title: 'Encoding QuantLens cannot read',
  description:
    'A port whose quantization could not be read (a dtype QuantLens does not know, a scale computed at run time, scales in missing external data). It is reported as a note: the port was not checked.',
  check(ctx) {
    const out: RawFinding[] = [];
    for (const [direction, ports] of [
      ['input', ctx.node.inputs],
      ['output', ctx.node.outputs],
    ] as const) {
      for (const p of ports) {
        if (!p.note || p.encoding) continue;
        out.push({
          kind: 'note',
          port: portLabel(direction, p),
          tensor: p.tensor,
          message: `${direction} ${p.index} was not checked: ${p.note}`,
          expected: 'a constant encoding of a known integer dtype',
          actual: p.note,
          fix: 'Use uint8/int8/uint16/int16/int4/uint4 Q/DQ with constant scales, or supply an encodings file.',
          source: SRC,
        });
      }
    }
    return out;
  },
};
