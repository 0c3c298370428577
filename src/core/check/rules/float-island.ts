import { FLOWS, type Flow, type Outcome, type Source } from '../../../../rules/types';
import { isIndexPort, isNonFloatDtype, type QGraph, type QNode, type QPort } from '../../qgraph/qgraph';
import { ortCarriesQdq, ortSeesDq } from '../../qgraph/fusions';
import type { RawFinding } from '../finding';
import {
  FLOW_NAMES,
  floatLeavesNpu,
  listNodeNames,
  noFloatReason,
  nothingToChangeUnder,
  producerOf,
  violation,
  type GraphRule,
  type Rule,
} from './context';

const SRC: Source = {
  ref: 'onnxruntime/onnxruntime-qnn onnxruntime/core/providers/qnn/qnn_ep_utils.cc (OrtNodeGroupSelector::CheckQDQNodes: every input from a DQ, every output only to Q nodes and not a graph output); test/providers/qnn (FP16 on the HTP needs arch > V68)',
  confidence: 'inferred',
  note: 'Float ops in a quantized graph run on the HTP in FP16 (ONNX Runtime: enable_htp_fp16_precision; QNN converter: float fallback), with a Convert at each boundary. V68 has no FP16: there they leave the NPU.',
};

const LPAI_NOTE =
  "ExecuTorch's LPAI flow wraps each node the LPAI backend does not take in Q/DQ and runs it on the CPU in float: LPAI runs quantized ops only.";

/** Ops that mark a LayerNorm or GELU written out by its exporter (ReduceMean, Pow, Sqrt; Erf). */
const WRITTEN_OUT = new Set(['ReduceMean', 'Pow', 'Sqrt', 'Erf']);

/** A port that carries float data: an activation with no encoding that is not a constant, an index or an integer. */
const floatPort = (n: QNode, p: QPort, statics: ReadonlySet<string>) =>
  p.role === 'activation' &&
  !p.encoding &&
  !p.constant &&
  !statics.has(p.tensor) &&
  !p.note &&
  !isNonFloatDtype(p.dtype) &&
  !isIndexPort(n.opType, n.outputs.includes(p) ? 'output' : 'input', p.index);
const quantPort = (p: QPort) => p.role === 'activation' && !!p.encoding;

/**
 * Nodes that share a computed tensor, grouped: union-find over `members`. A constant two islands
 * both read (an exponent or epsilon the exporter or ONNX Runtime's ConstantSharing wrote once)
 * joins nothing.
 */
function connect(members: readonly QNode[]): QNode[][] {
  const byTensor = new Map<string, number[]>();
  members.forEach((n, i) => {
    for (const p of [...n.inputs, ...n.outputs])
      if (!p.constant) byTensor.set(p.tensor, [...(byTensor.get(p.tensor) ?? []), i]);
  });
  const parent = members.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i]!)));
  for (const list of byTensor.values()) for (const j of list.slice(1)) parent[find(j)] = find(list[0]!);
  const islands = new Map<number, QNode[]>();
  members.forEach((n, i) => islands.set(find(i), [...(islands.get(find(i)) ?? []), n]));
  return [...islands.values()];
}

/**
 * Float islands: compute nodes left unquantized inside a quantized graph (PyTorch 1.13 decomposes
 * LayerNorm and GELU into ReduceMean/Sub/Pow/Sqrt/Div/Erf between Q/DQ pairs), and nodes only
 * partly inside QDQ (a quantized input beside a float one, or an output that also feeds float
 * consumers). One finding per connected island, on its first node, naming them all.
 *
 * ONNX Runtime sees more of them: an encoding the converters carry across a Flatten, Expand, Tile,
 * Gather, Split or DepthToSpace written without its own Q/DQ reaches no node there (its QDQ
 * propagation crosses Reshape, Transpose, Squeeze, Unsqueeze and Slice only). Islands holding
 * such a tensor are reported under that flow alone, in place of the ones they contain.
 */
export const floatIslandRule: GraphRule = {
  id: 'float-island',
  title: 'Float islands and partial QDQ nodes in a quantized graph',
  description:
    "Compute nodes of a quantized graph that stay float, or are only partly wrapped in Q/DQ (a float input beside a quantized one, an output read by float consumers or left as a graph output), grouped into connected islands, one finding each. They run on the HTP in FP16 with a Convert at every boundary (slower); on V68, which has no FP16, and on LPAI, which runs quantized ops only, they leave the NPU. Under ONNX Runtime's QNN EP an encoding carried across a Flatten, Expand, Tile, Gather, Split or DepthToSpace without a Q/DQ of its own does not count: its QDQ propagation crosses Reshape, Transpose, Squeeze, Unsqueeze and Slice only. Patterns the converters fuse into one quantized op stay float ops there where its QNN EP does not fuse them: PyTorch's opset-13 Hardswish (HardSigmoid × x) and written-out GELU with one Q/DQ pair around them, and a MatMul and Add on a 3-D input before an activation (its Gemm writes the result through a Reshape).",
  check(ctx) {
    if (!ctx.graph.quantized) return [];
    const fused = ctx.graph.fusedTensors ?? {};
    // Tensors every flow fuses away are not float; those only some flows fuse decide per flow below.
    const everywhere = Object.keys(fused).filter((t) => fused[t]!.length === FLOWS.length);
    const statics = new Set([...(ctx.graph.staticTensors ?? []), ...everywhere]);
    const opset = ctx.graph.deployedOpset ?? ctx.graph.opset;
    /** A port whose encoding ONNX Runtime does not see: carried across an op it propagates none over. */
    const pastOrt = (n: QNode, p: QPort) =>
      p.role === 'activation' &&
      !!p.encoding &&
      !!p.inherited &&
      !ortSeesDq(p, opset) &&
      !isIndexPort(n.opType, n.outputs.includes(p) ? 'output' : 'input', p.index);
    /** Which ports are float: as the converters see them, or as ONNX Runtime does. */
    const views = {
      all: (n: QNode, p: QPort) => floatPort(n, p, statics),
      ort: (n: QNode, p: QPort) => floatPort(n, p, statics) || pastOrt(n, p),
    };
    const islandsOf = (float: (n: QNode, p: QPort) => boolean) => {
      const members: QNode[] = [];
      for (const n of ctx.graph.nodes) {
        const op = ctx.mappedOps.get(n.id);
        if (op === undefined || op === null) continue; // transparent, folded, or reported as unsupported
        const acts = [...n.inputs.filter((p) => p.role === 'activation'), ...n.outputs];
        const leaks = n.outputs.some((p) => p.encoding && !p.inherited && (p.feedsFloat || p.graphOutput));
        if (acts.some((p) => float(n, p)) || leaks) members.push(n);
      }
      return connect(members);
    };
    const common = islandsOf(views.all);
    // ONNX Runtime's own islands: those holding a tensor whose encoding it does not see.
    const ortOnly = ctx.graph.nodes.some((n) => [...n.inputs, ...n.outputs].some((p) => pastOrt(n, p)))
      ? islandsOf(views.ort).filter((island) =>
          island.some((n) => [...n.inputs, ...n.outputs].some((p) => pastOrt(n, p))),
        )
      : [];
    const inOrtIsland = new Set(ortOnly.flatMap((island) => island.map((n) => n.id)));
    const noFloat = floatLeavesNpu(ctx.pack, ctx.soc);
    const base: Record<Flow, Outcome> = noFloat
      ? { qnn: 'rejected', ort: 'cpu-fallback', executorch: 'cpu-fallback' }
      : { qnn: 'slower', ort: 'slower', executorch: 'slower' };
    const source = ctx.pack.quantizedOnly ? { ...ctx.pack.quantizedOnly.source, note: LPAI_NOTE } : SRC;
    const out: { node: QNode; raw: RawFinding }[] = [];
    for (const island of common) {
      // Flows that fuse every float tensor of the island leave nothing float: advice there.
      const floatTensors = new Set(
        island.flatMap((n) => [...n.inputs, ...n.outputs].filter((p) => floatPort(n, p, statics)).map((p) => p.tensor)),
      );
      const outcomes = { ...base };
      const fusedBy = FLOWS.filter(
        (f) => floatTensors.size > 0 && [...floatTensors].every((t) => fused[t]?.includes(f)),
      );
      for (const f of fusedBy) outcomes[f] = 'advice';
      // ONNX Runtime may quantize them instead (its QDQ propagation), which the words say.
      const how = ctx.graph.ortQuantized ?? {};
      const ortHow = fusedBy.includes('ort') ? [...floatTensors].map((t) => how[t]).find(Boolean) : undefined;
      const quantizedByOrt = !!ortHow && [...floatTensors].every((t) => how[t]);
      const fusing = quantizedByOrt ? fusedBy.filter((f) => f !== 'ort') : fusedBy;
      // The converters fuse them and ONNX Runtime does not: why, in its words.
      const ortWhyNot = fusedBy.includes('ort')
        ? undefined
        : [...floatTensors].map((t) => ctx.graph.ortUnfused?.[t]).find(Boolean);
      const byFlows = [
        fusing.length ? `${fusing.join(' and ')} fuse${fusing.length === 1 ? 's' : ''} them into one quantized op` : '',
        quantizedByOrt ? 'ort quantizes them' : '',
        ortWhyNot ? `ort does not: ${ortWhyNot}` : '',
      ].filter(Boolean);
      const ops = [...new Set(island.map((n) => n.opType))].join(', ');
      const partial = island.filter((n) => [...n.inputs, ...n.outputs].some(quantPort)).length;
      const listed = listNodeNames(island);
      // Only a written-out LayerNorm, GELU or HardSwish has a whole op to export instead.
      const whole = [
        island.some((n) => WRITTEN_OUT.has(n.opType)) ? 'opset 17 LayerNormalization, opset 20 Gelu' : '',
        island.some((n) => n.opType === 'HardSigmoid') ? 'opset 14 HardSwish' : '',
      ]
        .filter(Boolean)
        .join(', ');
      // Under ONNX Runtime, an island of its own that holds this one reports it.
      const flows = island.some((n) => inOrtIsland.has(n.id)) ? FLOWS.filter((f) => f !== 'ort') : undefined;
      out.push({
        node: island[0]!,
        raw: {
          kind: 'violation',
          effect: { kind: 'performance', outcomes, ...(flows ? { flows } : {}) },
          nodeIds: island.map((n) => n.id),
          message: `${island.length === 1 ? '1 node stays' : `${island.length} nodes stay`} float inside the quantized graph (${ops})${partial ? `; ${partial} only partly in QDQ` : ''}${byFlows.map((b) => `; ${b}`).join('')}`,
          expected: 'every compute node between DequantizeLinear inputs and QuantizeLinear outputs',
          actual: listed,
          fix: noFloat
            ? `Quantize these nodes (wrap their inputs and outputs in Q/DQ): ${noFloatReason(ctx.pack, ctx.soc)}, so float nodes cannot stay on the NPU.`
            : `Quantize these nodes (wrap their inputs and outputs in Q/DQ)${whole ? `, or export the op whole (${whole}) so the exporter quantizes it as one node` : ''}.`,
          // Under a flow that fuses the island, nothing stays float: nothing to change there.
          ...nothingToChangeUnder(fusedBy, (f) =>
            f === 'ort' && quantizedByOrt
              ? ortHow!
              : `${FLOW_NAMES[f]} fuses them into one quantized op, so nothing stays float.`,
          ),
          source,
        },
      });
    }
    for (const island of ortOnly) {
      const carriers = [
        ...new Set(
          island.flatMap((n) =>
            [...n.inputs, ...n.outputs]
              .filter((p) => pastOrt(n, p))
              .flatMap((p) => (p.inheritedThrough ?? []).filter((op) => !ortCarriesQdq(op, opset))),
          ),
        ),
      ];
      const ops = [...new Set(island.map((n) => n.opType))].join(', ');
      const across = carriers.join(', ');
      out.push({
        node: island[0]!,
        raw: {
          kind: 'violation',
          effect: { kind: 'performance', outcomes: { ort: base.ort }, flows: ['ort'] },
          nodeIds: island.map((n) => n.id),
          message: `${island.length === 1 ? '1 node runs' : `${island.length} nodes run`} float under ONNX Runtime (${ops}): the encoding written before the ${across} reaches them only as the converters carry it, and ONNX Runtime carries no Q/DQ across ${carriers.length === 1 ? 'that op' : 'those ops'}`,
          expected: `a Q → DQ pair after the ${across}, or only ops ONNX Runtime carries Q/DQ across (Reshape, Transpose, Squeeze, Unsqueeze, Slice)`,
          actual: listNodeNames(island),
          fix: noFloat
            ? `Write a Q → DQ pair with the input's scale and zero point after the ${across} (${noFloatReason(ctx.pack, ctx.soc)}, so float nodes cannot stay on the NPU)${carriers.includes('Flatten') ? ', or export the Flatten as a Reshape' : ''}.`
            : `Write a Q → DQ pair with the input's scale and zero point after the ${across}${carriers.includes('Flatten') ? ', or export the Flatten as a Reshape' : ''}, so the nodes after it are QDQ node groups.`,
          source: ORT_PROPAGATION,
        },
      });
    }
    return out;
  },
};

const ORT_PROPAGATION: Source = {
  ref: 'onnxruntime/onnxruntime-qnn onnxruntime/core/optimizer/qdq_transformer/qdq_propagation.cc (CanNodePropagate: MaxPool 12, Reshape, Transpose, Squeeze, Unsqueeze, Slice; PropagateDQForward); ensure_unique_dq_for_node_unit.cc, run by inference_session.cc before them; qnn_ep_utils.cc (OrtNodeGroupSelector::CheckQDQNodes: every input from a DQ, every output only to Q nodes)',
  confidence: 'from-code',
  note: 'The QNN converter and ExecuTorch carry an encoding across data-movement ops (ExecuTorch annotates them with SharedQuantizationSpec). ONNX Runtime moves a DequantizeLinear forward, and a QuantizeLinear back, across the ops CanNodePropagate lists only (it needs a DequantizeLinear with one reader, which every DequantizeLinear is by then: EnsureUniqueDQForNodeUnit first gives each reader a copy of its own); elsewhere the op and its readers take float values, FP16 on the HTP, or the CPU where float ops leave the NPU.',
};

const ORT_GROUPS: Source = {
  ref: "onnxruntime/onnxruntime-qnn onnxruntime/core/providers/qnn/qnn_ep_utils.cc (OrtNodeGroupSelector::CheckQDQNodes: one DequantizeLinear per actual input, used by the Conv, Gemm, MatMul and Instance/LayerNormalization selectors; two by OrtBinaryNodeGroupSelector, OrtLogicalComparisonNodeGroupSelector and OrtWhereNodeGroupSelector, every input by OrtVariadicNodeGroupSelector; OrtBatchNormalizationNodeGroupSelector: DQ on x, scale and bias); core/optimizer/qdq_transformer/where_dummy_dq.cc (a Where's float scalar gets a DequantizeLinear)",
  confidence: 'from-code',
  note: "Outside a QDQ group the node is a float op: on the HTP in FP16 when enable_htp_fp16_precision is on (onnxruntime-qnn cee6c0d defaults it to 0, ONNX Runtime's JS API documents true), else on the CPU. A float Conv or Gemm bias is not counted: ONNX Runtime's WeightBiasQuantization optimizer quantizes it from the input and weight scales.",
};

const ORT_WEIGHT_QUANTIZATION: Source = {
  ref: 'onnxruntime/onnxruntime-qnn onnxruntime/core/optimizer/qdq_transformer/weight_bias_quantization.cc (WeightBiasQuantization::ApplyImpl, IsNoBranchPathToQuantizeLinear); graph_transformer_utils.cc (a Level 1 optimizer: it runs before the execution providers partition the graph)',
  confidence: 'from-code',
  note: "It quantizes a float32 weight initializer of a Conv, ConvTranspose or Gemm whose input 0 comes from a per-tensor DequantizeLinear and whose output reaches a QuantizeLinear through nothing but Relu or Clip, without branching: int8, one scale for the whole tensor, from the weight's minimum and maximum (GetQuantizationParameter, not symmetric), and the float bias to int32 with the input scale times that scale. Tested in onnxruntime/test/optimizer/qdq_transformer_test.cc (WeightBiasQuantization_Conv_Weight_Bias, _ConvWithReLU, _SkipIfOutputNotQuantized, _Gemm_Weight). Session option session.disable_quant_qdq turns it off, and the node is then a float op.",
};

/**
 * What a node that ONNX Runtime runs as a float op costs there, for the ort-float-weight findings:
 * its effect (slower, or the CPU where float ops leave the NPU) and the words that end the message.
 */
function ortFloatOp(ctx: Parameters<Rule['check']>[0]): { effect: RawFinding['effect']; asFloatOp: string } {
  const noFloat = floatLeavesNpu(ctx.pack, ctx.soc);
  return {
    effect: { kind: 'performance', outcomes: { ort: noFloat ? 'cpu-fallback' : 'slower' }, flows: ['ort'] },
    asFloatOp: `as a float op${noFloat ? `, which ${noFloatReason(ctx.pack, ctx.soc)}` : ' (FP16 on the HTP, or the CPU with FP16 precision off)'}`,
  };
}

const COMPARISONS = ['Equal', 'Greater', 'GreaterOrEqual', 'Less', 'LessOrEqual'];

/**
 * Whether every output of the node goes to a QuantizeLinear alone, as in a QDQ node group: a node
 * with a float output is a float op anyway, which the float-island rule reports.
 */
const quantizedOutputs = (n: QNode) =>
  n.outputs.every((o) => o.encoding && !o.inherited && !o.feedsFloat && !o.graphOutput);

/**
 * Ops whose ONNX Runtime node group takes each of its data inputs from a DequantizeLinear
 * (qnn_ep_utils.cc, CheckQDQNodes with the number of DQ inputs the selector asks for): the
 * binary, variadic, comparison and Where selectors, and which inputs they count.
 */
const EVERY_INPUT_DQ = new Map<string, (index: number) => boolean>([
  ...['Add', 'Div', 'Mul', 'Pow', 'Sub', 'PRelu', 'GridSample'].map((op) => [op, (i: number) => i < 2] as const),
  ...['Concat', 'Max', 'Min'].map((op) => [op, () => true] as const),
  ...COMPARISONS.map((op) => [op, (i: number) => i < 2] as const),
  ['Where', (i: number) => i === 1 || i === 2],
]);

/**
 * A float constant beside quantized inputs of an op whose ONNX Runtime node group needs every
 * input from a DequantizeLinear (PyTorch exports `q * 0.35`, a PReLU's slope, `x.pow(2)` so): no
 * QDQ group there, so a float op. A Where's float scalar is the exception: ONNX Runtime writes a
 * DequantizeLinear for it (WhereDummyDq: data 1, the value as scale), which loses nothing.
 */
function floatConstantInput(ctx: Parameters<Rule['check']>[0]): RawFinding[] {
  const counts = EVERY_INPUT_DQ.get(ctx.node.opType);
  if (!counts || (ctx.node.domain && ctx.node.domain !== 'ai.onnx')) return [];
  const data = ctx.node.inputs.filter((p) => counts(p.index));
  if (!data.some((p) => p.encoding && !p.constant)) return [];
  // Only a node that would be a QDQ group otherwise: its output quantized (a comparison's is bool),
  // not a float output that makes it part of a float island anyway.
  if (!COMPARISONS.includes(ctx.node.opType) && !quantizedOutputs(ctx.node)) return [];
  // A value computed from constants and fixed sizes only (PyTorch's head_dim ** -0.5 from a Shape)
  // is a constant to ONNX Runtime too: its ConstantFolding makes it an initializer first.
  const c = data.find(
    (p) =>
      (p.constant || (ctx.staticTensor(p.tensor) && fromSizes(ctx.graph, p.tensor))) &&
      !p.encoding &&
      !p.note &&
      !isNonFloatDtype(p.dtype),
  );
  if (!c) return [];
  const computed = !c.constant;
  if (ctx.node.opType === 'Where' && c.shape?.length === 0 && (c.dtype ?? 'float32') === 'float32') return [];
  if (ortRemovesNoop(ctx.node, c)) return [];
  const { effect, asFloatOp } = ortFloatOp(ctx);
  const scalar = !!c.shape && c.shape.every((d) => d === 1);
  const what = computed
    ? 'a float value computed from constants and fixed sizes (which ONNX Runtime folds into a constant)'
    : scalar
      ? 'a float constant'
      : 'a float constant tensor';
  // Its role is no weight's: the label says what it is.
  return [
    {
      ...violation(c, 'input', {
        effect,
        message: `${ctx.node.opType} with quantized inputs and ${what} as input ${c.index}: ONNX Runtime's QNN EP groups the node with its Q/DQ only when every input comes from a DequantizeLinear, so it runs ${asFloatOp}`,
        expected: `input ${c.index} from a DequantizeLinear, as every input of a QDQ node group`,
        actual: `input ${c.index} float${c.dtype ? ` (${c.dtype})` : ''}, no DequantizeLinear`,
        fix: computed
          ? `Quantize this value (a Q → DQ pair on it, which ONNX Runtime folds into a DequantizeLinear of a constant) or write it as a quantized constant, so the ${ctx.node.opType} is one QDQ group.`
          : `Quantize this constant (a DequantizeLinear of its quantized values, as ONNX Runtime's quantizer writes every constant input) so the ${ctx.node.opType} is one QDQ group${scalar ? '; a positive scalar is exact as the value 1 with the scalar as its scale and zero point 0' : ''}.`,
        source: ORT_GROUPS,
      }),
      port: `input ${c.index} (${computed ? 'computed constant' : 'constant'})`,
    },
  ];
}

/**
 * Whether a static tensor is computed from a tensor's sizes (a Shape upstream): a value such as
 * head_dim ** -0.5, not a constant moved through an Identity or Reshape, whose DequantizeLinear a
 * quantized export writes before the move.
 */
function fromSizes(graph: QGraph, tensor: string): boolean {
  const seen = new Set<string>();
  const queue = [tensor];
  while (queue.length > 0 && seen.size < 64) {
    const t = queue.shift()!;
    if (seen.has(t)) continue;
    seen.add(t);
    const n = producerOf(graph, t);
    if (!n) continue;
    if (n.opType === 'Shape' || n.opType === 'Size') return true;
    for (const p of n.inputs) if (!p.constant) queue.push(p.tensor);
  }
  return false;
}

/**
 * A LayerNormalization's or InstanceNormalization's float bias beside a quantized input and
 * weight: ONNX Runtime's selector for them counts a DequantizeLinear per actual input (bias
 * included, int32), and no optimizer quantizes that bias (WeightBiasQuantization does a Conv's or
 * Gemm's only), so the node is a float op there.
 */
function floatNormBias(ctx: Parameters<Rule['check']>[0]): RawFinding[] {
  const op = ctx.node.opType;
  if (op !== 'LayerNormalization' && op !== 'InstanceNormalization') return [];
  if (ctx.node.domain && ctx.node.domain !== 'ai.onnx') return [];
  if (!quantizedOutputs(ctx.node)) return [];
  const b = ctx.node.inputs.find(
    (p) => p.index === 2 && p.constant && !p.encoding && !p.note && !isNonFloatDtype(p.dtype),
  );
  if (!b) return [];
  const { effect, asFloatOp } = ortFloatOp(ctx);
  return [
    violation(b, 'input', {
      effect,
      message: `${op} with quantized inputs and a float bias: ONNX Runtime's QNN EP groups it with its Q/DQ only when the bias comes from a DequantizeLinear too (int32), and none of its optimizers quantizes a normalization's bias, so it runs ${asFloatOp}`,
      expected: 'input 2 from a DequantizeLinear of int32 values, as every input of a QDQ node group',
      actual: `input 2 float${b.dtype ? ` (${b.dtype})` : ''}, no DequantizeLinear`,
      fix: `Quantize the bias to int32 with the input's scale times the weight's as its scale and zero point 0 (as ONNX Runtime's quantizer writes a ${op} bias), so the node is one QDQ group.`,
      source: ORT_GROUPS,
    }),
  ];
}

/**
 * Whether ONNX Runtime's NoopElimination (a Level 1 rule, noop_elimination.cc) removes this node:
 * an Add or Sub of 0, a Mul or Div by 1 (Sub and Div with the constant second), the constant of
 * one element and of a rank no greater than the other input's, whose shape is known.
 */
function ortRemovesNoop(node: QNode, c: QPort): boolean {
  const neutral = { Add: 0, Sub: 0, Mul: 1, Div: 1 }[node.opType as 'Add' | 'Sub' | 'Mul' | 'Div'];
  if (neutral === undefined || ((node.opType === 'Sub' || node.opType === 'Div') && c.index !== 1)) return false;
  const other = node.inputs.find((p) => p !== c && p.index < 2);
  if (!c.shape || !other?.shape || c.shape.length > other.shape.length) return false;
  return c.values?.length === 1 && c.values[0] === neutral;
}

/** Ops whose float32 weight ONNX Runtime's WeightBiasQuantization quantizes itself. */
const ORT_QUANTIZED_WEIGHT_OPS = new Set(['Conv', 'ConvTranspose', 'Gemm']);

/** Each tensor's readers: nodes that read it as it is, and nodes that read it through its Q → DQ pair. */
const readerIndex = new WeakMap<QGraph, { direct: Map<string, QNode[]>; quantized: Map<string, QNode[]> }>();
function readersOf(graph: QGraph) {
  let index = readerIndex.get(graph);
  if (!index) {
    index = { direct: new Map(), quantized: new Map() };
    const push = (m: Map<string, QNode[]>, t: string, n: QNode) => {
      const list = m.get(t);
      if (list) list.push(n);
      else m.set(t, [n]);
    };
    for (const n of graph.nodes)
      for (const p of n.inputs) {
        push(index.direct, p.tensor, n);
        if (p.from) push(index.quantized, p.from, n);
      }
    readerIndex.set(graph, index);
  }
  return index;
}

/**
 * Whether a node's output reaches a QuantizeLinear along one path through Relu or Clip only, as
 * WeightBiasQuantization asks (IsNoBranchPathToQuantizeLinear): a quantized output that no node
 * reads in float, or the only reader a Relu or Clip that itself leads to one.
 */
function reachesQuantizeAlone(graph: QGraph, n: QNode, depth = 0): boolean {
  const out = n.outputs[0];
  if (!out || n.outputs.length !== 1 || depth > 8) return false;
  if (out.encoding) return !out.feedsFloat && !out.inherited;
  const readers = readersOf(graph).direct.get(out.tensor) ?? [];
  const next = readers[0];
  if (readers.length !== 1 || !next || (next.opType !== 'Relu' && next.opType !== 'Clip')) return false;
  return reachesQuantizeAlone(graph, next, depth + 1);
}

/**
 * Whether ONNX Runtime quantizes this node's float weight before its QNN EP sees the node
 * (WeightBiasQuantization): a Conv, ConvTranspose or Gemm (or a MatMul that its MatMulAddFusion
 * makes a Gemm with the Add of its bias) with a float32 weight, a per-tensor quantized input 0, any
 * bias a float initializer of rank 1, and an output that reaches a Q alone.
 */
function ortQuantizesWeight(graph: QGraph, n: QNode, w: QPort): boolean {
  if (n.domain && n.domain !== 'ai.onnx') return false;
  // A MatMul counts as the Gemm it becomes: its bias is the Add's other input, its output the Add's.
  const add = n.opType === 'MatMul' ? gemmAddOf(graph, n) : undefined;
  if (!ORT_QUANTIZED_WEIGHT_OPS.has(n.opType) && !add) return false;
  if (w.index !== 1 || w.dtype !== 'float32') return false;
  if (
    !ortSeesDq(n.inputs[0], graph.deployedOpset ?? graph.opset) ||
    n.inputs[0]?.encoding?.granularity !== 'per-tensor'
  )
    return false;
  const bias = add ? add.inputs.find((p) => p.tensor !== n.outputs[0]?.tensor) : n.inputs.find((p) => p.index === 2);
  if (bias && (bias.encoding || !bias.constant || bias.shape?.length !== 1)) return false;
  return reachesQuantizeAlone(graph, add ?? n);
}

/** The Add that ONNX Runtime's MatMulAddFusion joins to this MatMul in a Gemm (fusions.ts marks the tensor between). */
function gemmAddOf(graph: QGraph, matmul: QNode): QNode | undefined {
  const out = matmul.outputs[0];
  if (!out || !graph.fusedTensors?.[out.tensor]?.includes('ort')) return undefined;
  const readers = readersOf(graph).direct.get(out.tensor) ?? [];
  return readers.length === 1 && readers[0]!.opType === 'Add' ? readers[0] : undefined;
}

/**
 * A weight left in float beside quantized activations. ONNX Runtime's QNN EP groups a node with
 * its Q/DQ only when every input comes from a DequantizeLinear, so such a node is a float op
 * there. The rule concerns that grouping only: the other flows read encodings per tensor.
 */
export const ortFloatWeightRule: Rule = {
  id: 'ort-float-weight',
  title: 'ONNX Runtime runs a node whose weight or constant input stays float as a float op',
  description:
    "Under ONNX Runtime's QNN EP, a Conv, Gemm, MatMul or normalization whose activations are quantized but whose weight (or normalization scale) has no DequantizeLinear is not a QDQ node group, nor is a LayerNormalization or InstanceNormalization with a float bias, nor an Add, Sub, Mul, Div, Pow, PRelu, GridSample, Concat, Max, Min, comparison or Where with a float constant beside its quantized inputs (but a Where's float scalar, which ONNX Runtime gives a DequantizeLinear itself): it runs as a float op, in FP16 on the HTP (slower) when FP16 precision is on, and on the CPU on V68 or with FP16 precision off. Float Conv and Gemm biases are left out: ONNX Runtime quantizes them itself. So it does a float32 Conv, ConvTranspose or Gemm weight (and a MatMul's, where its MatMulAddFusion makes the MatMul and the Add of its bias a Gemm) when the input is quantized per tensor and the output reaches a QuantizeLinear alone (through Relu or Clip at most): int8 per tensor, a repair whose precision the model does not state.",
  check(ctx) {
    if (ctx.pack.backend !== 'htp' || !ctx.qnnOp) return [];
    if (!ctx.node.inputs.some((p) => p.role === 'activation' && p.encoding)) return [];
    const w = ctx.node.inputs.find(
      (p) => p.role === 'weight' && p.constant && !p.encoding && !p.note && !isNonFloatDtype(p.dtype),
    );
    if (!w) return [...floatNormBias(ctx), ...floatConstantInput(ctx)];
    if (ortQuantizesWeight(ctx.graph, ctx.node, w))
      return [
        violation(w, 'input', {
          effect: { kind: 'toolchain-repair', repairedBy: ['ort'], flows: ['ort'] },
          message: `${ctx.node.opType} with quantized activations and a float weight: ONNX Runtime quantizes the weight itself before its QNN EP sees the node, to int8 with one scale for the whole tensor, so the node runs quantized on the NPU at a precision the model does not state`,
          expected: `input ${w.index} quantized as the model intends (a DequantizeLinear of its quantized values)`,
          actual: `input ${w.index} float${w.dtype ? ` (${w.dtype})` : ''}: ONNX Runtime's WeightBiasQuantization makes it int8 per tensor from its minimum and maximum`,
          fix: `Quantize this weight yourself (per channel and symmetric keeps the most of a ${ctx.node.opType} weight) so its precision is the one you validated; for LPBQ weights, export at opset 21.`,
          source: ORT_WEIGHT_QUANTIZATION,
        }),
      ];
    const { effect, asFloatOp } = ortFloatOp(ctx);
    return [
      violation(w, 'input', {
        effect,
        message: `${ctx.node.opType} with quantized activations and a float ${w.role}: ONNX Runtime's QNN EP runs it ${asFloatOp}`,
        expected: `input ${w.index} from a DequantizeLinear, as every input of a QDQ node group`,
        actual: `input ${w.index} float${w.dtype ? ` (${w.dtype})` : ''}, no DequantizeLinear`,
        fix: 'Quantize this weight (a DequantizeLinear of its quantized values) so the node is one QDQ group; for LPBQ weights, export at opset 21.',
        source: ORT_GROUPS,
      }),
    ];
  },
};
