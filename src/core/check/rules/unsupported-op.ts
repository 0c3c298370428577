import { FLOWS, type Flow, type LaterBuilder, type Outcome, type Source } from '../../../../rules/types';
import {
  FLOW_NAMES,
  ORT_BASELINE,
  laterBuilderText,
  nothingToChangeUnder,
  violation,
  type Rule,
  type RuleContext,
} from './context';
import type { RawFinding } from '../finding';

/** Why a node runs on the CPU under ONNX Runtime's flow, and which later version builds its op. */
const laterBuilderMessage = (op: string, later: LaterBuilder) =>
  `${op} has no builder in ONNX Runtime's QNN EP at ${ORT_BASELINE}, the version QuantLens follows, so the node runs on the CPU; ${laterBuilderText(op, later)}${later.htp === 'yes' ? ': from that version it can run on the NPU' : ''}`;

/** The later builder's source, with what the pack's commit lacks. */
const laterBuilderSource = (op: string, later: LaterBuilder): Source => ({
  ...later.source,
  note: `At cee6c0d, onnxruntime/core/providers/qnn/builder/op_builder_factory.cc registers no builder for ${op}.`,
});

/**
 * An op the backend has (the QNN converter and ExecuTorch take it) for which ONNX Runtime's QNN EP
 * registers a builder only after the commit the pack follows (GRU): under that flow alone the node
 * runs on the CPU, and the finding says which version changes it.
 */
function ortBuilderOnlyLater(ctx: RuleContext, op: string): RawFinding[] {
  const later = ctx.pack.laterOrtBuilders?.[op];
  if (!later) return [];
  return [
    violation(undefined, 'input', {
      effect: { kind: 'backend-limit', outcomes: { ort: 'cpu-fallback' }, flows: ['ort'] },
      message: laterBuilderMessage(op, later),
      expected: `an op ONNX Runtime's QNN EP builds at ${ORT_BASELINE}`,
      actual: op,
      fix: `Check the onnxruntime-qnn version you deploy with (a later one may take this node on the HTP), or deploy through the QNN converter, which takes ${op}.`,
      source: laterBuilderSource(op, later),
    }),
  ];
}

/**
 * A node the backend has only inside a fused pattern (an Erf in a GELU), where a flow does not
 * fuse it: ONNX Runtime's QNN EP matches a written-out GELU between quantized tensors only where
 * each of its nodes is a QDQ node group, so PyTorch's FX export (one Q/DQ around the whole GELU)
 * leaves its Erf, which QNN has no op for, to the CPU there.
 */
function unfusedUnderOrt(ctx: RuleContext, op: string): RawFinding[] {
  const { node } = ctx;
  if (node.fusedAs !== 'Gelu' || !node.fusedBy || node.fusedBy.includes('ort')) return [];
  if (!ctx.pack.ops.some((m) => m.onnx === node.opType && m.qnnOp === null)) return [];
  const by = node.fusedBy.map((f) => FLOW_NAMES[f]).join(' and ');
  return [
    violation(undefined, 'input', {
      effect: { kind: 'backend-limit', outcomes: { ort: 'cpu-fallback' }, flows: ['ort'] },
      message: `${op} is not fused into a ${node.fusedAs} under ONNX Runtime, so it runs on the CPU: its QNN EP matches the written-out ${node.fusedAs} only where each of its nodes is a QDQ node group, and here the nodes between the first DequantizeLinear and the last QuantizeLinear are float; QNN has no ${op} op (${by} fuse it)`,
      expected: `the ${node.fusedAs} pattern's Div and Mul each between DequantizeLinear inputs and a QuantizeLinear output, or ${node.fusedAs} as one op`,
      actual: `${op} inside a ${node.fusedAs} whose inner tensors are float`,
      fix: `Export ${node.fusedAs} as one op (opset 20), or quantize every tensor inside the pattern (a Q/DQ pair after the Div, the Erf, the Add and the Muls, and on their constants, as ONNX Runtime's quantizer writes it), so ONNX Runtime's QNN EP fuses it.`,
      source: {
        ref: "onnxruntime/onnxruntime-qnn onnxruntime/core/providers/qnn/builder/qnn_node_group/gelu_fusion.cc (GeluFusion::TryFusion: the Div's input 0 and the Mul's root input compared by name; a QDQ node group names its input by the quantized tensor, ort_api.cc GetQDQIODefs); core/optimizer/qdq_transformer/ensure_unique_dq_for_node_unit.cc (each reader of a DequantizeLinear gets its own copy before partitioning); op_builder_factory.cc (no Erf builder)",
        confidence: 'from-code',
        note: "ONNX Runtime's QDQ GELU tests (gelu_fusion_test.cc, GeluFusionPattern1/2_QDQ_U8) quantize every tensor inside the pattern; PyTorch's FX quantization puts one Q/DQ pair around it.",
      },
    }),
  ];
}

/** A sentence's first letter in lower case to follow "or", unless it starts an acronym (ONNX, QNN). */
const lowerFirst = (text: string) =>
  /^[A-Z][a-z]/.test(text) ? `${text.charAt(0).toLowerCase()}${text.slice(1)}` : text;

export const unsupportedOp: Rule = {
  id: 'unsupported-op',
  title: 'Op the backend cannot run',
  description:
    "A node whose ONNX op has no backend op in the pack's mapping (or is mapped to none, like ConvInteger, ReduceProd or Erf; or a rank the backend lacks, like rank-5 MaxPool). The model will not fully delegate: the QNN converter rejects it; ONNX Runtime and ExecuTorch run the node on the CPU, except where a flow rewrites the op into ones the backend has (ExecuTorch decomposes a 3-D max pool, Acos and the hyperbolic functions): there it is a repair. Packs whose op list is only one toolchain's (LPAI) report unmapped ops as advice.",
  check(ctx) {
    const op = `${ctx.node.domain && ctx.node.domain !== 'ai.onnx' ? `${ctx.node.domain}::` : ''}${ctx.node.opType}`;
    if (ctx.qnnOp !== null) return [...unfusedUnderOrt(ctx, op), ...ortBuilderOnlyLater(ctx, op)];
    const kind = ctx.mapping ? 'backend-limit' : (ctx.pack.unmappedOps ?? 'backend-limit');
    // An op outside a mapping that is only one toolchain's list: its support is not known.
    const unknown = kind !== 'backend-limit' ? ctx.pack.opListFrom : undefined;
    const usedOutputs = ctx.node.outputs.filter((p) => p.tensor).length;
    const rewrites = (ctx.mapping?.rewrittenBy ?? []).filter((r) => !r.singleOutput || usedOutputs <= 1);
    const outcomes: Partial<Record<Flow, Outcome>> = {
      executorch: kind === 'backend-limit' ? 'cpu-fallback' : 'advice',
      ...Object.fromEntries(rewrites.map((r) => [r.flow, 'auto-fixed'])),
    };
    const rewritten = rewrites.map((r) => `${FLOW_NAMES[r.flow]} rewrites it into ${r.into}`).join('; ');
    const source = ctx.mapping?.source ?? {
      ref: `QuantLens ${ctx.pack.backend} op mapping (rules/${ctx.pack.backend})`,
      confidence: 'inferred' as const,
    };
    const base = violation(undefined, 'input', {
      effect: { kind, outcomes },
      message: `${
        ctx.mapping?.qnnOp
          ? `${op} at this rank has no ${ctx.pack.backend.toUpperCase()} equivalent`
          : ctx.mapping
            ? `${op} has no ${ctx.pack.backend.toUpperCase()} equivalent`
            : unknown
              ? `${op} is not among the ops ${unknown} quantizes, so whether ${ctx.pack.backend.toUpperCase()} runs it is not known`
              : `${op} is not in the ${ctx.pack.backend.toUpperCase()} op mapping`
      }${rewritten ? ` (${rewritten})` : ''}${ctx.mapping?.why ? `: ${ctx.mapping.why.replace(/\.$/, '')}` : ''}`,
      expected: `an op ${ctx.pack.title} supports`,
      actual: op,
      fix:
        ctx.mapping?.fix ??
        (unknown
          ? `Check that your QNN SDK's ${ctx.pack.backend.toUpperCase()} backend takes ${op} (its op documentation lists the backends of each op) before counting on it; if it does not, replace it with ops of the mapping, or accept that this part of the model runs outside the NPU.`
          : 'Replace the op with supported ones before export, or accept that this part of the model runs outside the NPU.'),
      // Under a flow that rewrites the op, there is nothing to change.
      ...nothingToChangeUnder(
        rewrites.map((r) => r.flow),
        (f) => `${FLOW_NAMES[f]} rewrites it into ${rewrites.find((r) => r.flow === f)!.into}.`,
      ),
      source: rewrites.length
        ? {
            ...source,
            note: `${source.note ? `${source.note} ` : ''}${rewrites.map((r) => `${FLOW_NAMES[r.flow]}: ${r.source.ref}.`).join(' ')}`,
          }
        : source,
    });
    // A builder that later onnxruntime-qnn versions add: under ONNX Runtime's flow the finding says
    // which version changes it (the outcome stays the one of the commit the pack follows).
    const later = ctx.pack.laterOrtBuilders?.[op];
    if (!later || kind !== 'backend-limit') return [base];
    const others = FLOWS.filter((f) => f !== 'ort');
    return [
      { ...base, effect: { ...base.effect!, flows: others } },
      {
        ...base,
        effect: { ...base.effect!, flows: ['ort'] },
        message: laterBuilderMessage(op, later),
        fix:
          later.htp === 'no'
            ? base.fix
            : `Check the onnxruntime-qnn version you deploy with (a later one may take this node on the HTP), or ${lowerFirst(base.fix)}`,
        source: laterBuilderSource(op, later),
      },
    ];
  },
};
