/**
 * The check report: the JSON `quantlens check --format json` prints and the app exports. Field
 * names and meanings are documented in the README; additions bump nothing, changes of meaning
 * bump `schema`.
 *
 * - Schema 2 (current): adds the deployment `flow`, and per finding its `outcome` under that flow
 *   and its `constraintKind`. Severity now follows from the outcome.
 * - Schema 1: no flow (the QNN converter's view), severity from strict mode only.
 *   `readCheckReport` upgrades it.
 */
import type { Flow } from '../../../rules/types';
import { readVersioned } from '../schema/versioned';
import { CHECK_REPORT_FORMAT } from './report-format';
import type { Finding, Verdict } from '../check/finding';
import type { ValidationResult } from '../check/validate';
import { SentenceError } from '../model/errors';

/** A finding as the report carries it: everything but the model-internal node ids. */
export type CheckReportFinding = Omit<Finding, 'nodeId' | 'nodeIds'>;

export const CHECK_REPORT_SCHEMA = 2;

export interface CheckReport {
  schema: 2;
  model: { name: string; sha256: string; nodes: number };
  backend: string;
  soc: string;
  arch: string;
  strict: boolean;
  flow: Flow;
  verdict: Verdict;
  counts: { error: number; warning: number; info: number };
  encodings: string;
  findings: CheckReportFinding[];
  /** Predicted delegation under the flow (an addition to schema 2; absent in older reports). */
  delegation?: { nodes: number; onNpu: number; offNpu: number; partitions: number; rejected?: number };
}

function reportFinding(f: Finding): CheckReportFinding {
  const { nodeId: _nodeId, nodeIds: _nodeIds, ...rest } = f;
  return rest;
}

export function buildCheckReport(
  model: { name: string; sha256: string; nodes: number },
  result: ValidationResult,
): CheckReport {
  return {
    schema: 2,
    model,
    backend: result.backend,
    soc: result.soc,
    arch: result.arch,
    strict: result.strict,
    flow: result.flow,
    verdict: result.verdict,
    counts: result.counts,
    encodings: result.encodings,
    findings: result.findings.map(reportFinding),
    delegation: {
      nodes: result.delegation.nodes,
      onNpu: result.delegation.onNpu,
      offNpu: result.delegation.offNpu,
      partitions: result.delegation.partitions,
      rejected: result.delegation.rejected,
    },
  };
}

/** Why a report could not be read. */
export class CheckReportError extends SentenceError<'bad-report'> {
  override readonly name = 'CheckReportError';
  constructor(sentence: string) {
    super('bad-report', sentence);
  }
}

/**
 * Reads a check report of any schema into the current one, checking it against its own schema's
 * frozen form. Schema 1 reports were the QNN converter's view: findings keep their severity, and
 * the outcome is what that severity meant there (error: rejected; warning in lenient mode:
 * rejected; info: advice).
 * @throws CheckReportError naming the first field that is wrong.
 */
export function readCheckReport(json: unknown): CheckReport {
  const read = readVersioned(CHECK_REPORT_FORMAT, json);
  if (read.ok) return read.value as CheckReport;
  const p = read.problem;
  switch (p.code) {
    case 'not-an-object':
      throw new CheckReportError('a check report is a JSON object');
    case 'invalid':
      throw new CheckReportError(`schema ${p.version} report: ${p.path} ${p.problem}`);
    default:
      throw new CheckReportError(
        `unknown report schema ${JSON.stringify((json as { schema?: unknown }).schema)}; this QuantLens reads schemas 1 to ${CHECK_REPORT_FORMAT.latest}`,
      );
  }
}
