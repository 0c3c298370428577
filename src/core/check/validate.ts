/**
 * The validator: checks every node of a quantized graph against a backend's rule pack for one
 * SoC, and returns findings and a verdict. Strict (the default) makes every violation an error,
 * because every constraint must hold for the model to delegate fully to the NPU.
 */
import { DEFAULT_FLOW, FLOWS, type Flow, type RulePack, type SocInfo } from '../../../rules/types';
import {
  countBySeverity,
  effectOf,
  outcomeOf,
  severityOfOutcome,
  verdictOf,
  type Finding,
  type RawFinding,
  type RuleId,
  type Severity,
  type Verdict,
} from './finding';
import { QuantLensError } from '../model/errors';
import { predictDelegation, type Delegation } from './delegation';
import { mapOp } from './map-op';
import type { QGraph, QNode } from '../qgraph/qgraph';
import { GRAPH_RULES, RULES } from './rules/index';
import { archName, floatLeavesNpu, FLOW_NAMES, laterBuilderText, noFloatReason, ORT_BASELINE } from './rules/context';
import { isEpContext } from '../model/external-data';

export interface ValidateOptions {
  soc: string;
  strict: boolean;
  /** Deployment flow the outcomes are predicted for; `qnn` when absent. */
  flow?: Flow;
  /**
   * The files given beside the model (dropped with it, or beside it on disk), when known: a
   * compiled model's context binary that is not among them is reported.
   */
  sideFiles?: { has(location: string): boolean };
}

export interface ValidationResult {
  backend: string;
  soc: string;
  arch: string;
  strict: boolean;
  flow: Flow;
  verdict: Verdict;
  counts: Record<Severity, number>;
  findings: Finding[];
  /** How the encodings were obtained. */
  encodings: QGraph['source'];
  /** Nodes checked (compute nodes; Q/DQ plumbing excluded). */
  nodesChecked: number;
  /** Which nodes the flow would run on the NPU, in how many partitions. */
  delegation: Delegation;
}

export class UnknownSocError extends QuantLensError<'unknown-soc'> {
  override readonly name = 'UnknownSocError';
  constructor(
    readonly soc: string,
    readonly known: string[],
  ) {
    super(
      'unknown-soc',
      `unknown SoC "${soc}"`,
      `Pick one of: ${known.join(', ')}.`,
      soc,
      `unknown SoC "${soc}"; known: ${known.join(', ')}`,
    );
  }
}

/** A flow that cannot target the backend at all (ONNX Runtime's QNN EP and LPAI). */
export class FlowBackendError extends QuantLensError<'flow-backend'> {
  override readonly name = 'FlowBackendError';
  constructor(flow: Flow, pack: RulePack, why: string) {
    const backend = pack.backend.toUpperCase();
    const others = FLOWS.filter((f) => !pack.flowsWithout?.[f]).map((f) => FLOW_NAMES[f]);
    super(
      'flow-backend',
      `${FLOW_NAMES[flow]} cannot deploy a model to ${backend}: ${why}`,
      `Choose ${others.join(' or ')} as the flow for ${backend}, or the HTP backend for ${FLOW_NAMES[flow]}.`,
    );
  }
}

/** The SoC, when the backend has it and the flow can deploy to the backend (else a QuantLensError). */
export function findTarget(pack: RulePack, soc: string, flow: Flow): SocInfo {
  const without = pack.flowsWithout?.[flow];
  if (without) throw new FlowBackendError(flow, pack, without.why);
  return findSoc(pack, soc);
}

export function findSoc(pack: RulePack, soc: string): SocInfo {
  const found = pack.socs.find((s) => s.model.toUpperCase() === soc.toUpperCase());
  if (!found)
    throw new UnknownSocError(
      soc,
      pack.socs.map((s) => s.model),
    );
  return found;
}

/** Whether a violation concerns the flow (some are one toolchain's repair or cost only). */
const concerns = (raw: RawFinding, flow: Flow) => !raw.effect?.flows || raw.effect.flows.includes(flow);

function finding(
  rule: RuleId,
  raw: RawFinding,
  node: QNode,
  qnnOp: string | null,
  strict: boolean,
  flow: Flow,
): Finding {
  const effect = effectOf(raw);
  const outcome = outcomeOf(effect, flow);
  return {
    rule,
    severity: severityOfOutcome(outcome, strict),
    node: node.name,
    nodeId: node.id,
    op: node.opType,
    qnnOp,
    port: raw.port ?? '',
    tensor: raw.tensor ?? '',
    message: raw.message,
    expected: raw.expected,
    actual: raw.actual,
    fix: raw.fixFor?.[flow] ?? raw.fix,
    source: `${raw.source.ref} [${raw.source.confidence}]`,
    confidence: raw.source.confidence,
    sourceNote: raw.source.note,
    outcome,
    constraintKind: effect.kind,
    ...(raw.nodeIds ? { nodeIds: raw.nodeIds } : {}),
  };
}

/**
 * Integer-arithmetic quantization: ONNX Runtime's dynamic quantization (DynamicQuantizeLinear
 * with ConvInteger / MatMulInteger) and the QOperator format (QLinearConv, ...). QNN runs static
 * QDQ models only, so the whole model is the finding, not each of its nodes.
 */
export const INTEGER_OPS: ReadonlySet<string> = new Set([
  'DynamicQuantizeLinear',
  'ConvInteger',
  'MatMulInteger',
  'DynamicQuantizeMatMul',
  'QLinearConv',
  'QLinearMatMul',
  'QLinearAdd',
  'QLinearMul',
  'QLinearSigmoid',
  'QLinearLeakyRelu',
  'QLinearAveragePool',
  'QLinearGlobalAveragePool',
  'QLinearConcat',
]);

function notQdqFinding(nodes: readonly QNode[], strict: boolean, flow: Flow, pack: RulePack): Finding {
  const counts = new Map<string, number>();
  for (const n of nodes) counts.set(n.opType, (counts.get(n.opType) ?? 0) + 1);
  const list = [...counts].map(([op, k]) => `${k} ${op}`).join(', ');
  const dynamic = counts.has('DynamicQuantizeLinear') || counts.has('DynamicQuantizeMatMul');
  const outcome = outcomeOf({ kind: 'backend-limit' }, flow);
  // Under ONNX Runtime's flow: the integer ops later onnxruntime-qnn versions build for the HTP.
  const later =
    flow === 'ort'
      ? [...counts.keys()].flatMap((op) => {
          const b = pack.laterOrtBuilders?.[op];
          return b ? [{ op, b }] : [];
        })
      : [];
  // The integer ops no later version QuantLens has read builds stay on the CPU whatever the version.
  const unbuilt = [...counts.keys()].filter((op) => !later.some((l) => l.op === op));
  const laterText = later.length
    ? ` That holds for ONNX Runtime's QNN EP at ${ORT_BASELINE}, the version QuantLens follows; ${later.map(({ op, b }) => laterBuilderText(op, b)).join('; ')}${unbuilt.length ? `; no later builder is known for ${unbuilt.join(' or ')}, which stay on the CPU` : ''}.`
    : '';
  return {
    rule: 'not-qdq',
    severity: severityOfOutcome(outcome, strict),
    node: '(model)',
    nodeId: '',
    nodeIds: nodes.map((n) => n.id),
    op: '',
    qnnOp: null,
    port: '',
    tensor: '',
    message: dynamic
      ? `The model is dynamically quantized (${list}): scales are computed at run time, and the HTP runs only statically quantized QDQ models.${laterText}`
      : `The model is quantized in the QOperator format (${list}): the HTP takes QDQ models (QuantizeLinear/DequantizeLinear around float ops).${laterText}`,
    expected: 'static QDQ: constant scales and zero points on QuantizeLinear/DequantizeLinear nodes',
    actual: list,
    fix: 'Quantize the float model statically and export QDQ (ONNX Runtime: quantize_static with quant_format=QuantFormat.QDQ and calibration data; or open the float model here and use the quantizer).',
    source:
      'onnxruntime/onnxruntime-qnn onnxruntime/core/providers/qnn/builder/op_builder_factory.cc (no builders for DynamicQuantizeLinear, ConvInteger, MatMulInteger) [from-code]',
    confidence: 'from-code',
    ...(later.length ? { sourceNote: `Later builders: ${later.map(({ b }) => b.source.ref).join('; ')}.` } : {}),
    outcome,
    constraintKind: 'backend-limit',
  };
}

const valueIndex = new WeakMap<QGraph, Map<string, number[]>>();
/** Small integer constant values by tensor, from the ports that carry them. */
function valuesOf(graph: QGraph): Map<string, number[]> {
  let m = valueIndex.get(graph);
  if (!m) {
    m = new Map();
    for (const n of graph.nodes) for (const p of n.inputs) if (p.values) m.set(p.tensor, p.values);
    valueIndex.set(graph, m);
  }
  return m;
}

export function validate(graph: QGraph, pack: RulePack, options: ValidateOptions): ValidationResult {
  const flow = options.flow ?? DEFAULT_FLOW;
  const soc = findTarget(pack, options.soc, flow);
  const findings: Finding[] = [];
  const mappedOps = new Map<string, string | null>();
  const statics = new Set(graph.staticTensors ?? []);
  const staticTensor = (name: string) => statics.has(name);
  const constValues = (name: string) => valuesOf(graph).get(name);
  const counted = new Set<string>();
  const integerNodes: QNode[] = [];
  let compiled = false;
  for (const node of graph.nodes) {
    const mapped = mapOp(pack, node);
    if (mapped.kind === 'transparent') continue;
    counted.add(node.id);
    const qnnOp = mapped.kind === 'mapped' ? mapped.qnnOp : null;
    const ctx = {
      node,
      qnnOp,
      mapping: mapped.mapping,
      constraint: qnnOp ? pack.constraints[qnnOp] : undefined,
      pack,
      soc,
      graph,
      staticTensor,
      constValues,
    };
    mappedOps.set(node.id, qnnOp);
    if (INTEGER_OPS.has(node.opType)) {
      // One model-level finding says it for all of them (below), not one error per node.
      integerNodes.push(node);
      continue;
    }
    // A compiled context is opaque: the precompiled-context rule reports it, no op rule applies.
    if (isEpContext(node)) {
      compiled = true;
      continue;
    }
    for (const rule of RULES) {
      if (qnnOp === null && rule.id !== 'unsupported-op') continue;
      for (const raw of rule.check(ctx))
        if (concerns(raw, flow)) findings.push(finding(rule.id, raw, node, qnnOp, options.strict, flow));
    }
  }
  for (const rule of GRAPH_RULES) {
    for (const { node, raw } of rule.check({ graph, pack, soc, mappedOps, sideFiles: options.sideFiles }))
      if (concerns(raw, flow))
        findings.push(finding(rule.id, raw, node, mappedOps.get(node.id) ?? null, options.strict, flow));
  }
  if (integerNodes.length > 0) findings.push(notQdqFinding(integerNodes, options.strict, flow, pack));
  // A compiled model's quantization is inside its context binaries: the rule above says so.
  else if (!graph.quantized && !compiled) {
    // A float model runs on the HTP in FP16 as it is; where there is none, only once quantized.
    const noFloat = floatLeavesNpu(pack, soc) ? noFloatReason(pack, soc) : undefined;
    const weightOnly = graph.nodes.filter((n) => n.opType === 'MatMulNBits' && n.domain === 'com.microsoft').length;
    findings.push({
      rule: 'not-quantized',
      severity: 'info',
      node: '(model)',
      nodeId: '',
      op: '',
      qnnOp: null,
      port: '',
      tensor: '',
      message: `The model carries no ${weightOnly ? `QDQ quantization (its ${weightOnly} MatMulNBits node${weightOnly === 1 ? ' holds its' : 's hold their'} weights block-quantized, its activations are float)` : 'quantization'}: only op support was checked.${noFloat ? ` ${noFloat}: as it is, the model cannot run on the NPU.` : ''}`,
      expected: 'QDQ nodes or an AIMET .encodings file',
      actual: 'a float model',
      fix: 'Drop an AIMET .encodings file with the model, or quantize it.',
      source: 'QuantLens [inferred]',
      confidence: 'inferred',
      outcome: 'advice',
      constraintKind: 'toolchain-default',
    });
  }
  return {
    backend: pack.backend,
    soc: soc.model,
    // The LPAI block has its own hardware version; the HTP arch says nothing about it.
    arch: pack.backend === 'lpai' && soc.lpai !== undefined ? `LPAI v${soc.lpai}` : archName(soc.htpArch),
    strict: options.strict,
    flow,
    verdict: verdictOf(findings),
    counts: countBySeverity(findings),
    findings,
    encodings: graph.source,
    nodesChecked: counted.size,
    delegation: predictDelegation(graph, counted, findings),
  };
}
