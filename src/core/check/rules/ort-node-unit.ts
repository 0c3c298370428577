import type { Source } from '../../../../rules/types';
import { floatLeavesNpu, noFloatReason, violation, type Rule } from './context';

/**
 * Ops ONNX Runtime's QNN EP builds for the HTP but for which it registers no QDQ node-group
 * selector (qnn_ep_utils.cc, OrtSelectorManager::CreateSelectors, set against the builders of
 * op_builder_factory.cc): their DequantizeLinear inputs and QuantizeLinear outputs stay nodes of
 * their own, and the op itself runs on float values. Ops that take no quantized values (And, Not,
 * Or, IsNaN, Cast) are left out, and so are the contrib ops, which other rules judge.
 */
const NO_SELECTOR = new Set([
  'GatherND',
  'GroupNormalization',
  'Inverse',
  'LSTM',
  'Mean',
  'Mod',
  'RoiAlign',
  'STFT',
  'ScatterND',
  'Sum',
  'Tan',
  'ThresholdedRelu',
  'Upsample',
]);

const SRC: Source = {
  ref: 'onnxruntime/onnxruntime-qnn onnxruntime/core/providers/qnn/qnn_ep_utils.cc (OrtSelectorManager::CreateSelectors: the ops that form QDQ node groups; none for these ops, which op_builder_factory.cc builds); test/providers/qnn/lstm_test.cc ("we don\'t register QDQ selector for LSTM and it is running on HTP fp16")',
  confidence: 'from-code',
  note: "The QNN converter and ExecuTorch read each tensor's encoding, with no node groups. ONNX Runtime's HTP tests of such ops in QDQ form (Mean_TwoInputs_QU8, the QDQ RoiAlign and ThresholdedRelu tests) expect every node on the QNN EP, which the Dequantize, the float op and the Quantize are.",
};

/** What ONNX Runtime's own tests say of an op on the HTP, where it matters to the person. */
const OP_NOTES: Record<string, string> = {
  LSTM: 'Its HTP tests of LSTM, in QDQ form and in FP16, are all disabled (lstm_test.cc, DISABLED_LSTM_QDQ_* and DISABLED_LSTM_Fp16_*: "There are accuracy on HTP in fixed point"); only the QNN CPU backend\'s run. Measure the LSTM\'s output on the device.',
};

/**
 * A quantized node of an op ONNX Runtime's QNN EP has no QDQ node group for: under that flow it
 * runs as a float op between a Dequantize and a Quantize.
 */
export const ortNodeUnitRule: Rule = {
  id: 'ort-node-unit',
  title: 'ONNX Runtime forms no QDQ node group for this op',
  description: `Under ONNX Runtime's QNN EP, a quantized ${[...NO_SELECTOR].join(', ')} is no QDQ node group (the EP registers no selector for these ops): its Dequantize and Quantize nodes run on their own, and the op runs on float values, in FP16 on the HTP (slower) or on the CPU where float ops leave the NPU (V68). The QNN converter and ExecuTorch read the encodings per tensor, with no node groups.`,
  check(ctx) {
    const node = ctx.node;
    if (ctx.pack.backend !== 'htp' || !ctx.qnnOp) return [];
    if ((node.domain && node.domain !== 'ai.onnx') || !NO_SELECTOR.has(node.opType)) return [];
    const quantized = [...node.inputs.filter((p) => p.role !== 'weight' || !p.constant), ...node.outputs].find(
      (p) => p.encoding && !p.constant,
    );
    if (!quantized) return [];
    const noFloat = floatLeavesNpu(ctx.pack, ctx.soc);
    const opNote = OP_NOTES[node.opType];
    return [
      violation(undefined, 'input', {
        effect: { kind: 'performance', outcomes: { ort: noFloat ? 'cpu-fallback' : 'slower' }, flows: ['ort'] },
        message: `${node.opType} with quantized tensors: ONNX Runtime's QNN EP forms no QDQ node group for ${node.opType}, so it runs it as a float op between a Dequantize and a Quantize${noFloat ? `, which ${noFloatReason(ctx.pack, ctx.soc)}` : ' (FP16 on the HTP)'}`,
        expected: `a QDQ node group (ONNX Runtime registers none for ${node.opType})`,
        actual: `${node.opType} between DequantizeLinear and QuantizeLinear nodes`,
        fix: noFloat
          ? `Replace ${node.opType} with ops ONNX Runtime groups, or deploy through the QNN converter, which reads the encodings per tensor; on ${ctx.soc.model} a float op leaves the NPU.`
          : `Nothing in the encodings changes this under ONNX Runtime: expect ${node.opType} in FP16 there, or deploy through the QNN converter, which reads the encodings per tensor.`,
        source: opNote ? { ...SRC, note: `${SRC.note} ${opNote}` } : SRC,
      }),
    ];
  },
};
