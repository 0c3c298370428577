import type { Source } from '../../../../rules/types';
import { opVersionAt, opVersions } from '../../model/opset';
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
  ref: 'onnxruntime/onnxruntime-qnn onnxruntime/core/providers/qnn/qnn_ep_utils.cc (OrtSelectorManager::CreateSelectors: the ops that form QDQ node groups, MaxPool as version 12 only; none for these ops, which op_builder_factory.cc builds; GetOrtQDQSelections: a node of a version not listed forms none); test/providers/qnn/lstm_test.cc ("we don\'t register QDQ selector for LSTM and it is running on HTP fp16")',
  confidence: 'from-code',
  note: "The QNN converter and ExecuTorch read each tensor's encoding, with no node groups. ONNX Runtime's HTP tests of such ops in QDQ form (Mean_TwoInputs_QU8, the QDQ RoiAlign and ThresholdedRelu tests) expect every node on the QNN EP, which the Dequantize, the float op and the Quantize are.",
};

/**
 * Ops whose selector ONNX Runtime registers for some versions only: the node's version (the
 * latest of its versions at the model's opset, model/opset.ts) must be one of these. MaxPool forms a group as
 * MaxPool-12 only, the first version that takes 8-bit values (not MaxPool-22, whose version the
 * list lacks).
 */
const VERSIONED = new Map<string, readonly number[]>([['MaxPool', [12]]]);

/** The version of `op` a model at `opset` uses, where the op's selector depends on it; else undefined. */
function ungroupedVersion(op: string, opset: number | undefined): number | undefined {
  const grouped = VERSIONED.get(op);
  if (!grouped || opset === undefined) return undefined;
  const since = opVersionAt(op, opset);
  return since !== undefined && !grouped.includes(since) ? since : undefined;
}

/** The opsets at which `op` is a version ONNX Runtime groups ("12 to 21"). */
function versionOpsets(op: string): string {
  const grouped = VERSIONED.get(op);
  if (!grouped) return '';
  const from = grouped[0]!;
  const next = opVersions(op)?.find((h) => h > grouped[grouped.length - 1]!);
  return next === undefined ? `${from} or later` : `${from} to ${next - 1}`;
}

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
  description: `Under ONNX Runtime's QNN EP, a quantized ${[...NO_SELECTOR].join(', ')}, or a MaxPool of a version other than 12 (a model at an opset below 12 or from 22), is no QDQ node group (the EP registers no selector for these ops and versions): its Dequantize and Quantize nodes run on their own, and the op runs on float values, in FP16 on the HTP (slower) or on the CPU where float ops leave the NPU (V68). The QNN converter and ExecuTorch read the encodings per tensor, with no node groups.`,
  check(ctx) {
    const node = ctx.node;
    if (ctx.pack.backend !== 'htp' || !ctx.qnnOp) return [];
    if (node.domain && node.domain !== 'ai.onnx') return [];
    const opset = ctx.graph.deployedOpset ?? ctx.graph.opset;
    const version = ungroupedVersion(node.opType, opset);
    if (!NO_SELECTOR.has(node.opType) && version === undefined) return [];
    // A plan of a model below opset 10 whose export is at 10 or later: the export writes each
    // Upsample as a Resize (export-qdq.ts), which ONNX Runtime groups.
    if (node.opType === 'Upsample' && (ctx.graph.opset ?? 10) < 10 && (ctx.graph.deployedOpset ?? 0) >= 10) return [];
    if (![...node.inputs, ...node.outputs].some((p) => p.encoding && !p.constant)) return [];
    const noFloat = floatLeavesNpu(ctx.pack, ctx.soc);
    const opNote = OP_NOTES[node.opType];
    const op = version === undefined ? node.opType : `${node.opType}-${version}`;
    const grouped = VERSIONED.get(node.opType)
      ?.map((v) => `${node.opType}-${v}`)
      .join(' or ');
    const opsets = versionOpsets(node.opType);
    return [
      violation(undefined, 'input', {
        effect: { kind: 'performance', outcomes: { ort: noFloat ? 'cpu-fallback' : 'slower' }, flows: ['ort'] },
        message: `${op} with quantized tensors: ONNX Runtime's QNN EP forms no QDQ node group for ${version === undefined ? node.opType : `${op} (opset ${opset}; only for ${grouped})`}, so it runs it as a float op between a Dequantize and a Quantize${noFloat ? `, which ${noFloatReason(ctx.pack, ctx.soc)}` : ' (FP16 on the HTP)'}`,
        expected:
          version === undefined
            ? `a QDQ node group (ONNX Runtime registers none for ${node.opType})`
            : `${grouped} (opset ${opsets}), which ONNX Runtime groups`,
        actual: `${op} between DequantizeLinear and QuantizeLinear nodes`,
        fix:
          version !== undefined
            ? `Export the model at opset ${opsets}, or convert the float model there before quantizing it (python3-onnx: onnx.version_converter.convert_version(model, 12)): there it is ${grouped}, which ONNX Runtime groups with its Q/DQ${noFloat ? `; as it is, on ${ctx.soc.model} the float op leaves the NPU` : ''}.`
            : noFloat
              ? `Replace ${node.opType} with ops ONNX Runtime groups, or deploy through the QNN converter, which reads the encodings per tensor; on ${ctx.soc.model} a float op leaves the NPU.`
              : `Nothing in the encodings changes this under ONNX Runtime: expect ${node.opType} in FP16 there, or deploy through the QNN converter, which reads the encodings per tensor.`,
        source: opNote ? { ...SRC, note: `${SRC.note} ${opNote}` } : SRC,
      }),
    ];
  },
};
