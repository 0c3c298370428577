import type { Source } from '../../../../rules/types';
import { describeEncoding, sameQuantization } from '../../encoding/encoding';
import { specFor, violation, type Rule } from './context';

const ORT_NEAR: Source = {
  ref: 'onnxruntime/onnxruntime-qnn base_op_builder.cc (SetOutputQParamEqualToInputIfNearlyEqual: "may result in latency degradation"); qnn_ep_utils.cc OrtDropQDQNodeGroupSelector',
  confidence: 'from-code',
};

export const sharedQparamsRule: Rule = {
  id: 'shared-qparams',
  title: "Math-invariant ops share their input's quantization",
  description:
    'Data-movement ops (Reshape family, Transpose, DepthToSpace/SpaceToDepth, Tile/Expand, Gather, GatherElements, GatherND, Scatter, Split outputs, TopK output, Pack, ChannelShuffle) must give their output the same dtype, scale and zero point as their input; ONNX Runtime runs a mismatch with an extra requantization (slower). Under ONNX Runtime, MaxPool and Resize also need identical input and output Q/DQ to stay in one QDQ group.',
  check(ctx) {
    const input = ctx.node.inputs.find((p) => p.index === 0);
    const out = [];
    for (const port of ctx.node.outputs) {
      const spec = specFor(ctx.constraint?.outputs, port.index);
      const only = spec?.mathInvariant ? undefined : spec?.sameQparamsFlows;
      const ortOnly = !!only?.length;
      if (!(spec?.mathInvariant || ortOnly) || !input) continue;
      const a = input.encoding;
      const b = port.encoding;
      // A float side (a Q only after the op, or none after it) makes the op a float op at a QDQ
      // boundary: the float-island rule reports it, with the outcome of a float op.
      if (!(a && b) || sameQuantization(a, b)) continue;
      out.push(
        violation(port, 'output', {
          // A requirement of some flows' grouping only (ONNX Runtime's drop-QDQ selectors): the
          // others are not told about it.
          effect: ortOnly
            ? { kind: 'performance', outcomes: Object.fromEntries(only!.map((f) => [f, 'slower'])), flows: only }
            : { kind: 'backend-limit', outcomes: { ort: 'slower' } },
          message: `${ctx.qnnOp} output ${port.index} must share its input's quantization`,
          expected: describeEncoding(a),
          actual: describeEncoding(b),
          fix: "Give the output the input's encoding (SharedQuantizationSpec; in QDQ, reuse the input's scale and zero point on the Q after this op).",
          source: ortOnly
            ? ORT_NEAR
            : {
                ...ctx.constraint!.source,
                note: `${ctx.constraint!.source.note ? `${ctx.constraint!.source.note} ` : ''}ONNX Runtime's QNN EP runs a mismatch with a requantization, slower.`,
              },
        }),
      );
    }
    return out;
  },
};
