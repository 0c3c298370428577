/**
 * Findings and verdicts. A rule reports a violation or a note; the strict setting decides
 * whether a violation is an error (strict: the model would not fully delegate) or a warning.
 */
import type { Source } from '../../../rules/types';

export const RULE_IDS = ['unsupported-op', 'dtype', 'encoding', 'symmetric', 'bias', 'per-channel', 'shared-qparams', 'fixed-qparams', '16a16w-arch', 'lpbq-arch', 'unreadable-encoding', 'not-quantized'] as const;
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
  source: Source;
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
}

export function severityOf(kind: RawFinding['kind'], strict: boolean): Severity {
  if (kind === 'note') return 'info';
  return strict ? 'error' : 'warning';
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
