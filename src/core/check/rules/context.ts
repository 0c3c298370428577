/** What every rule sees, and small helpers rules share. */
import type {
  Flow,
  LaterBuilder,
  OpConstraint,
  OpMapping,
  PortSpec,
  RulePack,
  SocInfo,
  Source,
} from '../../../../rules/types';
import type { RawFinding, RuleId } from '../finding';
import type { QGraph, QNode, QPort } from '../../qgraph/qgraph';

export interface RuleContext {
  node: QNode;
  qnnOp: string | null;
  mapping?: OpMapping;
  constraint?: OpConstraint;
  pack: RulePack;
  soc: SocInfo;
  graph: QGraph;
  /** Whether a tensor is computed from constants and static shapes only (folded by converters). */
  staticTensor(name: string): boolean;
  /** The values of a small constant input, when the graph builder kept them (shapes, axes). */
  constValues(name: string): number[] | undefined;
}

/** What a rule over the whole graph sees: every node's backend op (null: unsupported). */
export interface GraphRuleContext {
  graph: QGraph;
  pack: RulePack;
  soc: SocInfo;
  mappedOps: ReadonlyMap<string, string | null>;
  /** The files given beside the model, when known (ValidateOptions.sideFiles). */
  sideFiles?: { has(location: string): boolean };
}

/** A rule that looks at more than one node at a time (float islands). */
export interface GraphRule {
  id: RuleId;
  title: string;
  description: string;
  check(ctx: GraphRuleContext): { node: QNode; raw: RawFinding }[];
}

export interface Rule {
  id: RuleId;
  title: string;
  /** One paragraph for the rule catalogue (rules/README.md is generated from this). */
  description: string;
  check(ctx: RuleContext): RawFinding[];
}

/** The spec of input or output `index`, repeating the last one when it is variadic. */
export function specFor(specs: readonly PortSpec[] | undefined, index: number): PortSpec | undefined {
  if (!specs || specs.length === 0) return undefined;
  if (index < specs.length) return specs[index];
  const last = specs[specs.length - 1]!;
  return last.variadic ? last : undefined;
}

export function portLabel(direction: 'input' | 'output', port: QPort): string {
  return direction === 'output' ? `output ${port.index}` : `input ${port.index} (${port.role})`;
}

/** Each quantized port with its spec. */
export function* quantizedPorts(
  ctx: RuleContext,
): Generator<{ direction: 'input' | 'output'; port: QPort; spec: PortSpec | undefined }> {
  for (const port of ctx.node.inputs)
    if (port.encoding) yield { direction: 'input', port, spec: specFor(ctx.constraint?.inputs, port.index) };
  for (const port of ctx.node.outputs)
    if (port.encoding) yield { direction: 'output', port, spec: specFor(ctx.constraint?.outputs, port.index) };
}

/** How findings name a deployment flow in a sentence. */
export const FLOW_NAMES: Record<Flow, string> = {
  qnn: 'the QNN converter',
  ort: "ONNX Runtime's QNN EP",
  executorch: 'ExecuTorch',
};

export function archName(arch: number): string {
  return arch > 0 ? `V${arch}` : 'no HTP';
}

export function violation(
  port: QPort | undefined,
  direction: 'input' | 'output',
  fields: Omit<RawFinding, 'kind' | 'port' | 'tensor'> & { source: Source },
): RawFinding {
  return { kind: 'violation', port: port ? portLabel(direction, port) : undefined, tensor: port?.tensor, ...fields };
}

/**
 * The fix under each of `flows`, which take the node as it is (rewrite, fuse or build it): "Nothing
 * to change: " and why, from `why`; nothing when no flow does.
 */
export function nothingToChangeUnder(flows: readonly Flow[], why: (flow: Flow) => string): Pick<RawFinding, 'fixFor'> {
  return flows.length ? { fixFor: Object.fromEntries(flows.map((f) => [f, `Nothing to change: ${why(f)}`])) } : {};
}

/**
 * Whether float ops cannot stay on the NPU: the SoC's HTP has no FP16 (V68), or the backend runs
 * quantized ops only (LPAI).
 */
export function floatLeavesNpu(
  pack: Pick<RulePack, 'noFp16BelowArch'> & { quantizedOnly?: unknown },
  soc: Pick<SocInfo, 'htpArch'>,
): boolean {
  if (pack.quantizedOnly) return true;
  return pack.noFp16BelowArch !== undefined && soc.htpArch > 0 && soc.htpArch < pack.noFp16BelowArch;
}

/** Why float ops leave the NPU, for a fix: "SA8295 (V68) has no FP16", "LPAI runs quantized ops only". */
export function noFloatReason(pack: RulePack, soc: SocInfo): string {
  return pack.quantizedOnly
    ? `${pack.backend.toUpperCase()} runs quantized ops only`
    : `${soc.model} (${archName(soc.htpArch)}) has no FP16`;
}

/** The first few node names of a finding that covers many (`a, b, c and 12 more`). */
export function listNodeNames(nodes: readonly Pick<QNode, 'name'>[], max = 8): string {
  const names = nodes.slice(0, max).map((n) => n.name);
  return names.join(', ') + (nodes.length > max ? ` and ${nodes.length - max} more` : '');
}

/** The onnxruntime-qnn commit the packs' ONNX Runtime facts follow, as findings name it. */
export const ORT_BASELINE = 'cee6c0d (March 2026)';

/**
 * What a later onnxruntime-qnn does with `op` (RulePack.laterOrtBuilders), as a clause: "onnxruntime-qnn
 * PR #494 (merged June 2026) builds QLinearConv for the HTP", "... builds IsInf, but not for the HTP
 * (...)", or that its HTP conditions are not read.
 */
export function laterBuilderText(op: string, b: LaterBuilder): string {
  const conditions = b.conditions ? ` (${b.conditions})` : '';
  if (b.htp === 'yes') return `${b.since} builds ${op} for the HTP${conditions}`;
  if (b.htp === 'no') return `${b.since} builds ${op}, but not for the HTP${conditions}`;
  return `${b.since} has ${b.conditions ?? `a builder for ${op}`}, whose conditions on the HTP QuantLens has not read`;
}

const producers = new WeakMap<QGraph, Map<string, QNode>>();

/** The node that writes `tensor` in `graph` (an index built once per graph). */
export function producerOf(graph: QGraph, tensor: string): QNode | undefined {
  let index = producers.get(graph);
  if (!index) {
    index = new Map();
    for (const n of graph.nodes) for (const o of n.outputs) index.set(o.tensor, n);
    producers.set(graph, index);
  }
  return index.get(tensor);
}
