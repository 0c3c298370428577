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
import { CONSTRAINT_KINDS, FLOWS, OUTCOMES, type Flow } from '../../../rules/types';
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
  delegation?: { nodes: number; onNpu: number; offNpu: number; partitions: number };
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

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Reads a check report of any schema into the current one. Schema 1 reports were the QNN
 * converter's view: findings keep their severity, and the outcome is what that severity meant
 * there (error: rejected; warning in lenient mode: rejected; info: advice).
 * @throws CheckReportError naming the first field that is wrong.
 */
export function readCheckReport(json: unknown): CheckReport {
  if (!isObject(json)) throw new CheckReportError('a check report is a JSON object');
  const schema = json.schema;
  if (schema !== 1 && schema !== 2)
    throw new CheckReportError(`unknown report schema ${JSON.stringify(schema)}; this QuantLens reads schemas 1 and 2`);
  if (!Array.isArray(json.findings)) throw new CheckReportError('"findings" must be an array');
  for (const key of ['backend', 'soc', 'arch', 'verdict', 'encodings'] as const) {
    if (typeof json[key] !== 'string') throw new CheckReportError(`"${key}" must be a string`);
  }
  const findings = json.findings.map((f, i) => {
    if (!isObject(f) || typeof f.rule !== 'string' || typeof f.severity !== 'string')
      throw new CheckReportError(`findings[${i}] needs a rule and a severity`);
    if (schema === 2) {
      if (!OUTCOMES.includes(f.outcome as never))
        throw new CheckReportError(`findings[${i}].outcome must be one of ${OUTCOMES.join(', ')}`);
      if (!CONSTRAINT_KINDS.includes(f.constraintKind as never))
        throw new CheckReportError(`findings[${i}].constraintKind must be one of ${CONSTRAINT_KINDS.join(', ')}`);
      return f as unknown as CheckReportFinding;
    }
    const advice = f.severity === 'info';
    return {
      ...f,
      outcome: advice ? 'advice' : 'rejected',
      constraintKind: advice ? 'toolchain-default' : 'backend-limit',
    } as unknown as CheckReportFinding;
  });
  const flow = schema === 2 ? json.flow : 'qnn';
  if (!FLOWS.includes(flow as never)) throw new CheckReportError(`"flow" must be one of ${FLOWS.join(', ')}`);
  return { ...(json as unknown as CheckReport), schema: 2, flow: flow as Flow, findings };
}
