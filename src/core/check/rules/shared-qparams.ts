import type { Source } from '../../../../rules/types';
import { describeEncoding, sameQuantization } from '../../encoding/encoding';
import type { QPort } from '../../qgraph/qgraph';
import type { RawFinding } from '../finding';
import { floatLeavesNpu, noFloatReason, specFor, violation, type Rule, type RuleContext } from './context';

const ORT_NEAR: Source = {
  ref: 'onnxruntime/onnxruntime-qnn base_op_builder.cc (SetOutputQParamEqualToInputIfNearlyEqual: "may result in latency degradation"); qnn_ep_utils.cc OrtDropQDQNodeGroupSelector',
  confidence: 'from-code',
};

/**
 * Ops ONNX Runtime's QNN EP groups with its drop-QDQ selector (qnn_ep_utils.cc,
 * OrtDropQDQNodeGroupSelector), and TopK (OrtTopKNodeGroupSelector): each forms a group only when
 * the QuantizeLinear after the op has the scale of the DequantizeLinear before it
 * (IsQDQPairSupported compares the scales, exactly).
 */
const ORT_DROP_QDQ = new Set([
  'Gather',
  'GatherElements',
  'Reshape',
  'Expand',
  'Flatten',
  'Transpose',
  'MaxPool',
  'Resize',
  'Squeeze',
  'Unsqueeze',
  'Tile',
  'TopK',
]);

const ORT_DROP_QDQ_SRC =
  "qnn_ep_utils.cc OrtDropQDQNodeGroupSelector::Check and OrtTopKNodeGroupSelector::Check (IsQDQPairSupported: the Q's scale equal to the DQ's; the zero points are not compared)";

const DOUBLE_QDQ_SRC: Source = {
  ref: `onnxruntime/onnxruntime-qnn onnxruntime/core/optimizer/double_qdq_pairs_remover.cc (TryReduceDoubleQDQSequence, FindNewZeroPointAndScale: Q1 → DQ1 → Q2 → DQ2 becomes one pair over the range both represent, a Level 1 optimizer); ${ORT_DROP_QDQ_SRC}`,
  confidence: 'from-code',
  note: "Seen in ONNX Runtime's own Level 1 graph (onnxruntime-node 1.30 at optimization level basic) of torchvision's EfficientNetV2-S exported by PyTorch: its Flatten's Q took the merged scale, 1.0939e-7 where its DQ reads 1.1921e-7.",
};

/**
 * A drop-QDQ op whose input and output share one encoding in the file, but not in the graph ONNX
 * Runtime partitions: its DoubleQDQPairsRemover merged the back-to-back Q/DQ pairs on one side
 * (PyTorch writes them where two observers meet, such as a Flatten's output and the classifier's
 * input) into one over the range both represent, so the scales differ and the op forms no group.
 */
function mergedApart(ctx: RuleContext, input: QPort, port: QPort): RawFinding | undefined {
  if (!ORT_DROP_QDQ.has(ctx.node.opType) || (ctx.node.domain && ctx.node.domain !== 'ai.onnx')) return undefined;
  if (!input.ortEncoding && !port.ortEncoding) return undefined;
  const a = input.ortEncoding ?? input.encoding!;
  const b = port.ortEncoding ?? port.encoding!;
  if (a.granularity !== 'per-tensor' || b.granularity !== 'per-tensor' || a.scale[0] === b.scale[0]) return undefined;
  const noFloat = floatLeavesNpu(ctx.pack, ctx.soc);
  const side = port.ortEncoding ? 'after' : 'before';
  return violation(port, 'output', {
    effect: { kind: 'performance', outcomes: { ort: noFloat ? 'cpu-fallback' : 'slower' }, flows: ['ort'] },
    message: `${ctx.node.opType} runs as a float op under ONNX Runtime: its DoubleQDQPairsRemover merges the two Q/DQ pairs ${side} it into one over the range both represent, so the QuantizeLinear's scale no longer equals the DequantizeLinear's and the op forms no QDQ node group${noFloat ? ` (${noFloatReason(ctx.pack, ctx.soc)}: on the CPU)` : ' (FP16 on the HTP, slower)'}`,
    expected: `output scale equal to the input's under ONNX Runtime: ${describeEncoding(a)}`,
    actual: `${describeEncoding(b)} (as ONNX Runtime merges it)`,
    fix: `Write one Q → DQ pair ${side} the ${ctx.node.opType} (drop the second observer, or give both pairs the same scale and zero point), so ONNX Runtime has nothing to merge.`,
    source: DOUBLE_QDQ_SRC,
  });
}

export const sharedQparamsRule: Rule = {
  id: 'shared-qparams',
  title: "Math-invariant ops share their input's quantization",
  description:
    "Data-movement ops (Reshape family, Transpose, DepthToSpace/SpaceToDepth, Tile/Expand, Gather, GatherElements, GatherND, Scatter, Split outputs, TopK output, Pack, ChannelShuffle) must give their output the same dtype, scale and zero point as their input. Under ONNX Runtime, a Reshape, Flatten, Squeeze, Unsqueeze, Transpose, Expand, Tile, Gather, GatherElements, MaxPool, Resize or TopK whose output scale differs from its input's forms no QDQ group and runs as a float op (slower; off the NPU where float ops leave it, V68), also where the file's encodings agree but ONNX Runtime's DoubleQDQPairsRemover merges back-to-back Q/DQ pairs on one side into one of another scale; other mismatches run with an extra requantization (slower).",
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
      if (!(a && b)) continue;
      if (sameQuantization(a, b)) {
        const merged = mergedApart(ctx, input, port);
        if (merged) out.push(merged);
        continue;
      }
      // Under ONNX Runtime a drop-QDQ op whose scales differ forms no group: a float op, which
      // leaves the NPU where float ops do (V68). Other mismatches are requantized, slower.
      const ungrouped =
        ORT_DROP_QDQ.has(ctx.node.opType) &&
        (!ctx.node.domain || ctx.node.domain === 'ai.onnx') &&
        a.granularity === 'per-tensor' &&
        b.granularity === 'per-tensor' &&
        a.scale[0] !== b.scale[0];
      const noFloat = ungrouped && floatLeavesNpu(ctx.pack, ctx.soc);
      const ortOutcome = noFloat ? 'cpu-fallback' : 'slower';
      const ortNote = ungrouped
        ? `ONNX Runtime's QNN EP forms no QDQ node group for a ${ctx.node.opType} whose QuantizeLinear scale differs from its DequantizeLinear's: the ${ctx.node.opType} runs on float values between them, ${noFloat ? `on the CPU (${noFloatReason(ctx.pack, ctx.soc)})` : 'in FP16 on the HTP (slower), or on the CPU with FP16 precision off'}.`
        : "ONNX Runtime's QNN EP runs a mismatch with a requantization, slower.";
      out.push(
        violation(port, 'output', {
          // A requirement of some flows' grouping only (ONNX Runtime's drop-QDQ selectors): the
          // others are not told about it.
          effect: ortOnly
            ? {
                kind: 'performance',
                outcomes: Object.fromEntries(only!.map((f) => [f, f === 'ort' ? ortOutcome : 'slower'])),
                flows: only,
              }
            : { kind: 'backend-limit', outcomes: { ort: ortOutcome } },
          message: `${ctx.qnnOp} output ${port.index} must share its input's quantization`,
          expected: describeEncoding(a),
          actual: describeEncoding(b),
          fix: "Give the output the input's encoding (SharedQuantizationSpec; in QDQ, reuse the input's scale and zero point on the Q after this op).",
          source: ortOnly
            ? ungrouped
              ? { ...ORT_NEAR, ref: `${ORT_NEAR.ref}; ${ORT_DROP_QDQ_SRC}`, note: ortNote }
              : ORT_NEAR
            : {
                ...ctx.constraint!.source,
                note: `${ctx.constraint!.source.note ? `${ctx.constraint!.source.note} ` : ''}${ortNote}`,
              },
        }),
      );
    }
    return out;
  },
};
