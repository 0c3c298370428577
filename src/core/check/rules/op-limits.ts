import { FLOWS, type ConstraintEffect, type Flow, type OpLimit } from '../../../../rules/types';
import { DATA_MOVEMENT } from '../../qgraph/from-qdq';
import type { QAttr } from '../../qgraph/qgraph';
import type { RawFinding } from '../finding';
import { FLOW_NAMES, nothingToChangeUnder, producerOf, violation, type Rule, type RuleContext } from './context';
import { einsumUnsupported } from './einsum';

const show = (v: QAttr | undefined) =>
  v === undefined ? 'unset' : Array.isArray(v) ? `[${v.join(', ')}]` : typeof v === 'string' ? `"${v}"` : String(v);

/**
 * The constant a run-time tensor copies, when it is made by an Identity (or another op that only
 * moves data) of constant inputs: PyTorch's exporter writes one for each initializer equal to an
 * earlier one, and a quantizer that quantizes the copy as an activation leaves a Q -> DQ on it.
 */
function copiedConstant(
  ctx: RuleContext,
  tensor: string,
): { tensor: string; via: string; ortFolds: boolean } | undefined {
  const p = producerOf(ctx.graph, tensor);
  const data = p?.inputs.filter((x) => x.tensor);
  if (!p || !DATA_MOVEMENT.has(p.opType) || !data?.length || !data.every((x) => x.constant)) return undefined;
  const source = data[0]!;
  // ONNX Runtime's ConstantFolding folds DequantizeLinear → X → QuantizeLinear whole where X has
  // one input and one output and only the Q reads it (constant_folding.cc; the DQ has one reader by
  // then, EnsureUniqueDQForNodeUnit): the copy becomes an initializer.
  const out = p.outputs[0];
  const ortFolds =
    data.length === 1 && p.outputs.length === 1 && !!out?.encoding && !out.feedsFloat && !out.graphOutput;
  return {
    tensor: source.from ?? source.tensor,
    via: `${/^[AEIOU]/.test(p.opType) ? 'an' : 'a'} ${p.opType}`,
    ortFolds,
  };
}

/** One limit against one node: a violation's message, expected and actual, or undefined when it holds (or cannot be known). */
function broken(
  ctx: RuleContext,
  limit: OpLimit,
): { message: string; expected: string; actual: string; ortFolds?: boolean } | undefined {
  const { node } = ctx;
  const attr = (name: string) => node.attrs?.[name];
  const op = node.opType;
  switch (limit.kind) {
    case 'attr-in': {
      const older = limit.since && (ctx.graph.opset ?? Infinity) < limit.since.opset;
      const v = attr(limit.attr) ?? (older ? limit.since!.before : limit.dflt);
      if (v === undefined || limit.values.includes(v as string | number)) return undefined;
      return {
        message: `${op} ${limit.attr} ${show(v)} is not supported on this backend`,
        expected: limit.values.map((x) => show(x)).join(' | '),
        actual: show(v),
      };
    }
    case 'attr-read-as': {
      const opset = ctx.graph.opset;
      if (opset === undefined || opset >= limit.opset || attr(limit.attr) !== undefined) return undefined;
      if (limit.values.includes(limit.reads)) return undefined;
      return {
        message: `${op} has no ${limit.attr} (the attribute came at opset ${limit.opset}; at this model's opset ${opset} the op behaves as ${show(limit.before)}), and ${limit.by} reads it as ${show(limit.reads)}, which this backend does not take`,
        expected: `${limit.attr} ${limit.values.map((x) => show(x)).join(' | ')} written on the node (opset ${limit.opset} or later)`,
        actual: `unset at opset ${opset}, read by ${limit.by} as ${show(limit.reads)}`,
      };
    }
    case 'attr-eq': {
      const v = attr(limit.attr) ?? limit.dflt;
      if (v === undefined || v === limit.value) return undefined;
      return {
        message: `${op} needs ${limit.attr} = ${limit.value}`,
        expected: `${limit.attr} = ${limit.value}`,
        actual: `${limit.attr} = ${show(v)}`,
      };
    }
    case 'attr-all': {
      const v = attr(limit.attr);
      if (!Array.isArray(v) || v.every((x) => x === limit.value)) return undefined;
      return {
        message: `${op} needs every ${limit.attr} value to be ${limit.value}`,
        expected: `${limit.attr} all ${limit.value}`,
        actual: show(v),
      };
    }
    case 'rank':
    case 'out-rank': {
      if (limit.kind === 'rank' && limit.when && attr(limit.when.attr) !== limit.when.value) return undefined;
      const port =
        limit.kind === 'rank'
          ? node.inputs.find((p) => p.index === limit.input)
          : node.outputs.find((p) => p.index === limit.output);
      const rank = port?.shape?.length;
      if (
        rank === undefined ||
        ((limit.min === undefined || rank >= limit.min) && (limit.max === undefined || rank <= limit.max))
      )
        return undefined;
      const range =
        limit.min !== undefined && limit.max !== undefined
          ? `${limit.min} to ${limit.max}`
          : limit.max !== undefined
            ? `at most ${limit.max}`
            : `at least ${limit.min}`;
      const what = limit.kind === 'rank' ? `input ${limit.input}` : `output ${limit.output}`;
      const when = limit.kind === 'rank' && limit.when ? ` in ${limit.when.attr} ${limit.when.value}` : '';
      return {
        message: `${op} ${what} has rank ${rank}; this backend takes rank ${range}${when}`,
        expected: `rank ${range}`,
        actual: `rank ${rank}`,
      };
    }
    case 'const-inputs': {
      const dynamic = node.inputs.filter(
        (p) => limit.inputs.includes(p.index) && !p.constant && !ctx.staticTensor(p.tensor),
      );
      if (dynamic.length === 0) return undefined;
      const sources = dynamic.map((p) => copiedConstant(ctx, p.from ?? p.tensor));
      const copies = dynamic.map((p, i) => {
        const source = sources[i];
        return source
          ? `${p.tensor} (a copy of the constant ${source.tensor} through ${source.via}, quantized again: ONNX Runtime's quantizer does so where PyTorch shares equal initializers${source.ortFolds ? ", which ONNX Runtime's constant folding makes an initializer again; the other flows read it as computed" : ''}; give this node an initializer of its own)`
          : p.tensor;
      });
      return {
        message: `${op} input ${dynamic.map((p) => p.index).join(', ')} must be a constant (${limit.why ?? 'computed at run time'})`,
        expected: 'constant (initializer, or folded from static shapes)',
        actual: `computed at run time: ${copies.join(', ')}`,
        // ONNX Runtime folds every such copy before its QNN EP sees the node: no finding there.
        ...(sources.every((x) => x?.ortFolds) ? { ortFolds: true } : {}),
      };
    }
    case 'gemm-bias-shape': {
      const c = node.inputs.find((p) => p.index === 2 && p.tensor);
      const b = node.inputs.find((p) => p.index === 1)?.shape;
      if (!c?.shape || !b || b.length !== 2) return undefined;
      const columns = attr('transB') === 1 ? b[0] : b[1];
      if (typeof columns !== 'number' || columns < 0) return undefined;
      const shape = c.shape;
      const last = shape[shape.length - 1];
      const rows = shape.length === 2 ? shape[0] : undefined;
      const wrongLast = shape.length === 0 || shape.length > 2 || (typeof last === 'number' && last !== columns);
      const quantizedRows = shape.length === 2 && !!c.encoding && typeof rows === 'number' && rows !== 1;
      if (!wrongLast && !quantizedRows) return undefined;
      const dims = `[${shape.join(', ')}]`;
      return {
        message: wrongLast
          ? `Gemm C of shape ${dims} is not supported: it must be [${columns}] or [rows, ${columns}], one value per output column`
          : `Gemm C of shape ${dims} is quantized: a quantized C must be [1, ${columns}]`,
        expected: wrongLast
          ? `C of shape [${columns}] or [rows, ${columns}]`
          : `C of shape [1, ${columns}] (or [${columns}])`,
        actual: `C of shape ${dims}`,
      };
    }
    case 'input-count': {
      const n = node.inputs.length;
      if ((limit.min === undefined || n >= limit.min) && (limit.max === undefined || n <= limit.max)) return undefined;
      const want =
        limit.min === limit.max
          ? `exactly ${limit.min}`
          : limit.max !== undefined
            ? `at most ${limit.max}`
            : `at least ${limit.min}`;
      const inputs = (k: number | undefined) => `input${k === 1 ? '' : 's'}`;
      return {
        message: `${op} with ${n} ${inputs(n)}${limit.why ? ` (${limit.why})` : ''} is not supported; it takes ${want}`,
        expected: `${want} ${inputs(limit.min === limit.max ? limit.min : (limit.max ?? limit.min))}`,
        actual: `${n} ${inputs(n)}`,
      };
    }
    case 'output-count': {
      const n = node.outputs.length;
      if (n <= limit.max) return undefined;
      return {
        message: `${op} with ${n} outputs${limit.why ? ` (${limit.why})` : ''} is not supported`,
        expected: `at most ${limit.max} output${limit.max === 1 ? '' : 's'}`,
        actual: `${n} outputs`,
      };
    }
    case 'last-axis': {
      const raw = attr(limit.attr) ?? limit.dflt;
      if (typeof raw !== 'number') return undefined;
      const rank = node.inputs.find((p) => p.index === 0)?.shape?.length;
      if (raw === -1 || (rank !== undefined && raw === rank - 1)) return undefined;
      if (rank === undefined) return undefined;
      return {
        message: `${op} normalizes from axis ${raw}; the HTP supports the last axis only`,
        expected: `${limit.attr} = -1 (or ${rank - 1})`,
        actual: `${limit.attr} = ${raw} on a rank-${rank} input`,
      };
    }
    case 'attr-combo': {
      const hit = Object.entries(limit.forbid).every(([k, vs]) =>
        vs.includes((attr(k) ?? limit.dflt[k]) as string | number),
      );
      if (!hit) return undefined;
      const rank = node.inputs.find((p) => p.index === 0)?.shape?.length;
      if (limit.ranks && (rank === undefined || !limit.ranks.includes(rank))) return undefined;
      const combo = Object.keys(limit.forbid)
        .map((k) => `${k} ${show(attr(k) ?? limit.dflt[k])}`)
        .join(', ');
      const onRank = limit.ranks ? ` on a rank-${rank} input` : '';
      return {
        message: `${op} with ${combo}${onRank} is not supported on this backend`,
        expected: `not (${Object.entries(limit.forbid)
          .map(([k, vs]) => `${k} ∈ {${vs.join(', ')}}`)
          .join(' and ')}${limit.ranks ? ` at rank ${limit.ranks.join(' or ')}` : ''})`,
        actual: `${combo}${limit.ranks ? `, rank ${rank}` : ''}`,
      };
    }
    case 'input-values': {
      const data = node.inputs.find((p) => p.index === 0);
      if (!data || data.encoding || !data.dtype || !limit.dtypes.includes(data.dtype)) return undefined;
      const port = node.inputs.find((p) => p.index === limit.input);
      const values = port?.tensor ? ctx.constValues(port.tensor) : undefined;
      const off = values?.filter((v) => !limit.values.includes(v));
      if (!off?.length) return undefined;
      return {
        message: `${op} input ${limit.input} holds ${show(off[0])} on ${data.dtype} data, which the backend takes only as ${limit.values.join(' or ')}`,
        expected: `input ${limit.input} ∈ {${limit.values.join(', ')}} on ${data.dtype} data`,
        actual: `input ${limit.input} = [${values!.join(', ')}]`,
      };
    }
    case 'attr-with-value': {
      if (attr(limit.attr) !== limit.value) return undefined;
      const values = ctx.constValues(node.inputs.find((p) => p.index === limit.input)?.tensor ?? '');
      if (!values?.includes(limit.holds)) return undefined;
      return {
        message: `${op} with ${limit.attr} = ${limit.value} and a ${limit.holds} in input ${limit.input} is not supported`,
        expected: `${limit.attr} = ${limit.value} only without ${limit.holds} in input ${limit.input}`,
        actual: `input ${limit.input} = [${values.join(', ')}]`,
      };
    }
    case 'pads-within-dims': {
      if ((attr(limit.attr) ?? '') !== limit.value) return undefined;
      const pads = ctx.constValues(node.inputs.find((p) => p.index === limit.input)?.tensor ?? '');
      const dims = node.inputs.find((p) => p.index === 0)?.shape;
      if (!pads) return undefined;
      const rank = pads.length / 2;
      const bad = pads.findIndex((v, i) => {
        const d = dims?.[i % rank];
        return v < 0 || (typeof d === 'number' && d >= 0 && v > d - 1);
      });
      if (bad < 0) return undefined;
      const axis = bad % rank;
      const d = dims?.[axis];
      const side = bad < rank ? 'begin' : 'end';
      return {
        message:
          pads[bad]! < 0
            ? `${op} in ${limit.value} mode with a negative pad (${side} of axis ${axis}) is not supported`
            : `${op} in ${limit.value} mode pads axis ${axis} by ${pads[bad]}, more than its size ${d} minus 1`,
        expected: `every pad in [0, dim - 1] in ${limit.value} mode`,
        actual: `pads [${pads.join(', ')}]${dims ? ` on shape [${dims.join(', ')}]` : ''}`,
      };
    }
    case 'einsum-equation': {
      const eq = attr('equation');
      if (typeof eq !== 'string') return undefined;
      const why = einsumUnsupported(eq, !!node.inputs.find((p) => p.index === 0)?.encoding);
      if (!why) return undefined;
      return {
        message: `${op} equation "${eq}" is ${why}, which the HTP does not take`,
        expected: 'a MatMul-shaped equation (ij,jk->ik; id,jd->ij; bchq,bkhc->bkhq; bhwc,hkc->bhwk)',
        actual: `"${eq}"`,
      };
    }
    case 'channels-divisible': {
      const groups = attr(limit.attr);
      const c = node.inputs.find((p) => p.index === 0)?.shape?.[1];
      if (typeof groups !== 'number' || typeof c !== 'number' || groups <= 0 || c % groups === 0) return undefined;
      return {
        message: `${op}: ${c} channels do not divide into ${groups} groups`,
        expected: `channels divisible by ${limit.attr}`,
        actual: `${c} channels, ${groups} groups`,
      };
    }
  }
}

/**
 * The backend's tensor rank limit on every node: the first activation port over it that no limit
 * of the op's own already covers (a rank-6 Reduce has its own limit and source).
 */
function overMaxRank(ctx: RuleContext): RawFinding | undefined {
  const cap = ctx.pack.maxTensorRank;
  if (!cap) return undefined;
  let highest = 0;
  for (const p of ctx.node.inputs) highest = Math.max(highest, p.shape?.length ?? 0);
  for (const p of ctx.node.outputs) highest = Math.max(highest, p.shape?.length ?? 0);
  if (highest <= cap.max) return undefined;
  const limits = ctx.mapping?.limits ?? [];
  const ports = [
    ...ctx.node.inputs
      .filter((p) => !limits.some((l) => l.kind === 'rank' && l.input === p.index))
      .map((p) => ['input', p] as const),
    ...ctx.node.outputs
      .filter((p) => !limits.some((l) => l.kind === 'out-rank' && l.output === p.index))
      .map((p) => ['output', p] as const),
  ];
  const over = ports.find(([, p]) => !p.constant && (p.shape?.length ?? 0) > cap.max);
  if (!over) return undefined;
  const [direction, port] = over;
  const rank = port.shape!.length;
  const lowered = ctx.node.rank5By?.flows ?? [];
  const assumes = ctx.node.rank5By?.assumes;
  const refused = ctx.node.rank5By?.refused;
  const effect: ConstraintEffect = {
    kind: 'backend-limit',
    outcomes: {
      qnn: 'rejected',
      executorch: 'rejected',
      ort: 'cpu-fallback',
      ...Object.fromEntries(lowered.map((f) => [f, 'advice'])),
    },
  };
  return violation(port, direction, {
    message: `${ctx.node.opType} ${direction} ${port.index} has rank ${rank}; the backend takes tensors of rank ${cap.max} at most${lowered.length ? ` (${lowered.map((f) => FLOW_NAMES[f]).join(' and ')} rewrites this pattern to rank ${cap.max}${assumes ? ` if ${assumes}, which the model does not declare` : ''})` : refused ? ` (ONNX Runtime's QNN EP rewrites a rank-6 Reshape → Transpose → Reshape to rank ${cap.max} only where an axis of size 1 stays in place; here ${refused})` : ''}`,
    expected: `rank ${cap.max} at most`,
    actual: `rank ${rank}`,
    effect,
    fix: lowered.length
      ? `Fold a size-1 dimension away in the model so that no tensor has more than ${cap.max} dimensions, or deploy through ${lowered.map((f) => FLOW_NAMES[f]).join(' or ')}, which rewrites this pattern.`
      : `Merge two adjacent dimensions in the model (a window partition written as reshapes to rank ${cap.max}, or a batch of 1 left out) so that no tensor has more than ${cap.max} dimensions.`,
    // Under a flow that rewrites the pattern, there is nothing to change, unless the rewrite rests
    // on a size the model leaves open.
    ...(assumes
      ? {
          fixFor: Object.fromEntries(
            lowered.map((f) => [
              f,
              `Nothing to change if ${assumes} when the model runs: ${FLOW_NAMES[f]} rewrites this pattern to rank ${cap.max} then (the model leaves that size open, so this check cannot tell). Under other flows, fold a size-1 dimension away so that no tensor has more than ${cap.max} dimensions.`,
            ]),
          ),
        }
      : nothingToChangeUnder(
          lowered,
          (f) =>
            `${FLOW_NAMES[f]} rewrites this pattern to rank ${cap.max}. Under other flows, fold a size-1 dimension away so that no tensor has more than ${cap.max} dimensions.`,
        )),
    source: cap.source,
  });
}

export const opLimitsRule: Rule = {
  id: 'op-limits',
  title: 'Attribute, rank and constant-input limits',
  description:
    "Limits the backend puts on an op beyond its encodings, as data in the pack with a source each: attribute values (Conv auto_pad, ConvTranspose and pool dilations, Pad and Resize modes, Gemm alpha and beta, ArgMax select_last_index, CumSum exclusive/reverse, LpNormalization p), input and output ranks (pools 3-5, Reduce and Pad at most 5, ArgMax at most 4, Expand at most 5-D, BatchNorm at most 4, InstanceNorm 3-4), inputs that must be constants (Reshape shape, Slice starts/ends, TopK k, Pad pads, Clip min/max, Split sizes, BatchNorm parameters, a LayerNorm scale), input counts (Min/Max/Sum exactly two), constant values (a float16 Pad pads with 0 only) and last-axis normalization (LayerNorm, RMSNorm); and, on every op, the backend's highest tensor rank (HTP: 5; ONNX Runtime's QNN EP rewrites two rank-6 patterns to rank 5, ExecuTorch's build aborts on rank 6). The QNN converter rejects such a node; ONNX Runtime and ExecuTorch run it on the CPU unless the finding says otherwise.",
  check(ctx) {
    const out: RawFinding[] = [];
    for (const limit of ctx.mapping?.limits ?? []) {
      const b = broken(ctx, limit);
      if (!b) continue;
      // A flow that rewrites the node into ops the backend has (ExecuTorch's decompositions) needs
      // no change to the model.
      const rewriting = Object.entries(limit.effect?.outcomes ?? {})
        .filter(([, o]) => o === 'auto-fixed')
        .map(([f]) => f as Flow);
      const { ortFolds, ...said } = b;
      const effect = limit.effect ?? {
        kind: 'backend-limit' as const,
        outcomes: { executorch: 'cpu-fallback' as const },
      };
      out.push(
        violation(undefined, 'input', {
          ...said,
          ...nothingToChangeUnder(
            limit.effect?.kind === 'backend-limit' ? rewriting : [],
            (f) => `${FLOW_NAMES[f]} rewrites this node into ops the backend takes (the source says how).`,
          ),
          effect: ortFolds ? { ...effect, flows: (effect.flows ?? FLOWS).filter((f) => f !== 'ort') } : effect,
          fix:
            limit.fix ??
            (limit.kind === 'const-inputs'
              ? "Export with static shapes and constant parameters (fix dynamic input dims, fold shape computations with onnxsim or ONNX Runtime's offline optimizer)."
              : `Change the model so that ${ctx.node.opType} meets ${b.expected}, or accept that this node runs outside the NPU.`),
          source: limit.sdk
            ? {
                ...limit.source,
                note: `${limit.source.note ? `${limit.source.note} ` : ''}As of QNN SDK ${limit.sdk}.`,
              }
            : limit.source,
        }),
      );
    }
    const rank = overMaxRank(ctx);
    if (rank) out.push(rank);
    return out;
  },
};
