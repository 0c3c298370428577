/**
 * The check report as a versioned format (the JSON `quantlens check --format json` prints and the
 * app exports): a frozen schema per version, literals only, read through the versioned-format
 * kit. Readers accept fields they do not know (the report's rule: additions bump nothing; a change
 * of meaning bumps `schema`), so these schemas leave `additionalProperties` open.
 */
import type { Infer } from '../schema/infer';
import { defineFormat } from '../schema/versioned';

const SEVERITY = { enum: ['error', 'warning', 'info'] } as const;
const COUNTS = {
  type: 'object',
  required: ['error', 'warning', 'info'],
  properties: {
    error: { type: 'integer', minimum: 0 },
    warning: { type: 'integer', minimum: 0 },
    info: { type: 'integer', minimum: 0 },
  },
} as const;
const MODEL = {
  type: 'object',
  required: ['name', 'sha256', 'nodes'],
  properties: { name: { type: 'string' }, sha256: { type: 'string' }, nodes: { type: 'integer', minimum: 0 } },
} as const;

const FINDING_V1_PROPERTIES = {
  rule: { type: 'string', minLength: 1 },
  severity: SEVERITY,
  node: { type: 'string' },
  op: { type: 'string' },
  qnnOp: { type: ['string', 'null'] },
  port: { type: 'string' },
  tensor: { type: 'string' },
  message: { type: 'string' },
  expected: { type: 'string' },
  actual: { type: 'string' },
  fix: { type: 'string' },
  source: { type: 'string' },
  confidence: { enum: ['documented', 'from-code', 'inferred'] },
  sourceNote: { type: 'string' },
} as const;
const FINDING_V1_REQUIRED = [
  'rule',
  'severity',
  'node',
  'op',
  'qnnOp',
  'port',
  'tensor',
  'message',
  'expected',
  'actual',
  'fix',
  'source',
  'confidence',
] as const;

const REPORT_V1_PROPERTIES = {
  model: MODEL,
  backend: { type: 'string' },
  soc: { type: 'string' },
  arch: { type: 'string' },
  strict: { type: 'boolean' },
  verdict: { enum: ['pass', 'pass-with-warnings', 'fail'] },
  counts: COUNTS,
  encodings: { type: 'string' },
} as const;
const REPORT_V1_REQUIRED = [
  'schema',
  'model',
  'backend',
  'soc',
  'arch',
  'strict',
  'verdict',
  'counts',
  'encodings',
  'findings',
] as const;

/** Schema 1: the QNN converter's view, severity from strict mode only. Frozen. */
export const CHECK_REPORT_V1_SCHEMA = {
  $id: 'https://quantlens.dev/schema/check-report-1.json',
  type: 'object',
  required: REPORT_V1_REQUIRED,
  properties: {
    schema: { const: 1 },
    ...REPORT_V1_PROPERTIES,
    findings: {
      type: 'array',
      items: { type: 'object', required: FINDING_V1_REQUIRED, properties: FINDING_V1_PROPERTIES },
    },
  },
} as const;

/**
 * Schema 2: the deployment `flow`; per finding its `outcome` under the flow and its
 * `constraintKind`; `delegation` (added later within schema 2, optional, as its `rejected` count after it). Frozen.
 */
export const CHECK_REPORT_V2_SCHEMA = {
  $id: 'https://quantlens.dev/schema/check-report-2.json',
  type: 'object',
  required: [...REPORT_V1_REQUIRED, 'flow'],
  properties: {
    schema: { const: 2 },
    ...REPORT_V1_PROPERTIES,
    flow: { enum: ['qnn', 'ort', 'executorch'] },
    findings: {
      type: 'array',
      items: {
        type: 'object',
        required: [...FINDING_V1_REQUIRED, 'outcome', 'constraintKind'],
        properties: {
          ...FINDING_V1_PROPERTIES,
          outcome: { enum: ['rejected', 'cpu-fallback', 'auto-fixed', 'slower', 'advice'] },
          constraintKind: { enum: ['backend-limit', 'toolchain-repair', 'performance', 'toolchain-default'] },
        },
      },
    },
    delegation: {
      type: 'object',
      required: ['nodes', 'onNpu', 'offNpu', 'partitions'],
      properties: {
        nodes: { type: 'integer', minimum: 0 },
        onNpu: { type: 'integer', minimum: 0 },
        offNpu: { type: 'integer', minimum: 0 },
        partitions: { type: 'integer', minimum: 0 },
        // Added later within schema 2: nodes the flow rejects (then nothing runs on the NPU).
        rejected: { type: 'integer', minimum: 0 },
      },
    },
  },
} as const;

export type CheckReportV1 = Infer<typeof CHECK_REPORT_V1_SCHEMA>;
export type CheckReportV2 = Infer<typeof CHECK_REPORT_V2_SCHEMA>;

export const CHECK_REPORT_FORMAT = defineFormat<CheckReportV2>('check report', 'schema', [
  { version: 1, schema: CHECK_REPORT_V1_SCHEMA },
  {
    version: 2,
    schema: CHECK_REPORT_V2_SCHEMA,
    // Schema 1 was the QNN converter's view: an error (or a warning in lenient mode) meant the
    // converter rejects the node; a note was advice.
    upgrade: (v1: CheckReportV1): CheckReportV2 => ({
      ...v1,
      schema: 2,
      flow: 'qnn',
      findings: v1.findings.map((f) => {
        const advice = f.severity === 'info';
        return {
          ...f,
          outcome: advice ? 'advice' : 'rejected',
          constraintKind: advice ? 'toolchain-default' : 'backend-limit',
        };
      }),
    }),
  },
]);
