/**
 * Findings and verdicts. A rule reports a violation or a note, with the kind of constraint it
 * broke; the deployment flow turns that into an outcome (rejected, CPU fallback, auto-fixed,
 * slower, advice), and strict mode turns the outcome into a severity: what stops delegation is an
 * error in strict mode and a warning in lenient mode; repairs and slow paths are warnings; advice
 * is info.
 */
import type { ConstraintEffect, ConstraintKind, Flow, Outcome, Source } from '../../../rules/types';

export const RULE_IDS = [
  'unsupported-op',
  'op-limits',
  'dtype',
  'encoding',
  'symmetric',
  'bias',
  'per-channel',
  'shared-qparams',
  'fixed-qparams',
  'io-dtype',
  'float-island',
  '16a16w-arch',
  'lpbq-arch',
  'ort-block-quant',
  'ort-float-weight',
  'ort-node-unit',
  'matmul-nbits',
  'unreadable-encoding',
  'precompiled-context',
  'dynamic-shape',
  'ort-half-scales',
  'not-qdq',
  'not-quantized',
] as const;
export type RuleId = (typeof RULE_IDS)[number];

export type Severity = 'error' | 'warning' | 'info';
export type Verdict = 'pass' | 'pass-with-warnings' | 'fail';

/** What a rule reports, before strict/lenient turns violations into errors or warnings. */
export interface RawFinding {
  kind: 'violation' | 'note';
  /** e.g. `input 1 (weight)` or `output 0`. */
  port?: string;
  tensor?: string;
  message: string;
  expected: string;
  actual: string;
  fix: string;
  /** The fix under a flow that treats the node its own way (one that rewrites it, say), by flow. */
  fixFor?: Partial<Record<Flow, string>>;
  source: Source;
  /** What kind of constraint was broken; a violation without one is a backend limit, a note advice. */
  effect?: ConstraintEffect;
  /** Node ids the finding covers besides its own (float islands). */
  nodeIds?: string[];
}

export interface Finding {
  rule: RuleId;
  severity: Severity;
  /** The ONNX node name, or `<OpType>_<index>` when it has none; `(model)` for model-wide notes. */
  node: string;
  /** Node id in the model, for the UI to find the node. */
  nodeId: string;
  op: string;
  qnnOp: string | null;
  port: string;
  tensor: string;
  message: string;
  expected: string;
  actual: string;
  fix: string;
  /** Where the rule comes from, with its confidence in brackets. */
  source: string;
  confidence: Source['confidence'];
  /** Where sources disagree or a caveat applies. */
  sourceNote?: string;
  /** What happens to this node under the chosen flow. */
  outcome: Outcome;
  /** What kind of constraint it is: a backend limit, a toolchain repair, a performance cost, a toolchain default. */
  constraintKind: ConstraintKind;
  /** Every node the finding covers, when more than its own (a float island); model-internal ids. */
  nodeIds?: string[];
}

/** The effect of a raw finding: its own, else a backend limit (violation) or a toolchain default (note). */
export function effectOf(raw: Pick<RawFinding, 'kind' | 'effect'>): ConstraintEffect {
  return raw.effect ?? { kind: raw.kind === 'note' ? 'toolchain-default' : 'backend-limit' };
}

/**
 * What happens under a flow. Backend limits: the QNN converter rejects the model; ONNX Runtime
 * and ExecuTorch leave the node to the CPU (ExecuTorch's backend-aware quantizer raises on port
 * constraints, which rules state explicitly). Repairs: auto-fixed where the flow repairs them.
 */
export function outcomeOf(effect: ConstraintEffect, flow: Flow): Outcome {
  const explicit = effect.outcomes?.[flow];
  if (explicit) return explicit;
  switch (effect.kind) {
    case 'backend-limit':
      return flow === 'qnn' ? 'rejected' : 'cpu-fallback';
    case 'toolchain-repair':
      return effect.repairedBy?.includes(flow) ? 'auto-fixed' : flow === 'qnn' ? 'rejected' : 'cpu-fallback';
    case 'performance':
      return 'slower';
    case 'toolchain-default':
      return 'advice';
  }
}

/** Strict: what stops full delegation is an error. Lenient: a warning. Repairs and slow paths warn; advice informs. */
export function severityOfOutcome(outcome: Outcome, strict: boolean): Severity {
  switch (outcome) {
    case 'rejected':
    case 'cpu-fallback':
      return strict ? 'error' : 'warning';
    case 'auto-fixed':
    case 'slower':
      return 'warning';
    case 'advice':
      return 'info';
  }
}

/** What refuses a model under each flow: the QNN converter, ONNX Runtime's session, ExecuTorch's build. */
export function refusalText(flow: Flow | undefined): string {
  return flow === 'ort' ? 'session creation fails' : flow === 'executorch' ? 'the build fails' : 'conversion fails';
}

const OUTCOME_WORDS: Record<Exclude<Outcome, 'rejected'>, string> = {
  'cpu-fallback': 'falls back to the CPU',
  'auto-fixed': 'repaired by the toolchain (numerics change)',
  slower: 'runs on the NPU, slower',
  advice: 'advice only',
};

/** Words for an outcome under a flow, for messages and reports: "rejected (session creation fails)". */
export function outcomeText(outcome: Outcome, flow: Flow | undefined): string {
  return outcome === 'rejected' ? `rejected (${refusalText(flow)})` : OUTCOME_WORDS[outcome];
}

export function verdictOf(findings: readonly Finding[]): Verdict {
  if (findings.some((f) => f.severity === 'error')) return 'fail';
  if (findings.some((f) => f.severity === 'warning')) return 'pass-with-warnings';
  return 'pass';
}

export function countBySeverity(findings: readonly Finding[]): Record<Severity, number> {
  const out = { error: 0, warning: 0, info: 0 };
  for (const f of findings) out[f.severity]++;
  return out;
}
