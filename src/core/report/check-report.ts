/**
 * The check report, schema 1: the JSON `quantlens check --format json` prints and the app
 * exports. Field names and meanings are documented in the README; additions bump nothing,
 * changes of meaning bump `schema`.
 */
import type { Finding, Verdict } from '../check/finding';
import type { ValidationResult } from '../check/validate';

/** A finding as the report carries it: everything but the model-internal node id. */
export type CheckReportFinding = Omit<Finding, 'nodeId'>;

export interface CheckReport {
  schema: 1;
  model: { name: string; sha256: string; nodes: number };
  backend: string;
  soc: string;
  arch: string;
  strict: boolean;
  verdict: Verdict;
  counts: { error: number; warning: number; info: number };
  encodings: string;
  findings: CheckReportFinding[];
}

function reportFinding(f: Finding): CheckReportFinding {
  const { nodeId: _nodeId, ...rest } = f;
  return rest;
}

export function buildCheckReport(model: { name: string; sha256: string; nodes: number }, result: ValidationResult): CheckReport {
  return {
    schema: 1,
    model,
    backend: result.backend,
    soc: result.soc,
    arch: result.arch,
    strict: result.strict,
    verdict: result.verdict,
    counts: result.counts,
    encodings: result.encodings,
    findings: result.findings.map(reportFinding),
  };
}
