/**
 * The frozen JSON schema of each share-link payload version, the format they make up, and plain
 * words for pattern failures. Literal values only: a limit changed in SHARE_LIMITS does not
 * change what an old link may hold (a test keeps the latest schema and the limits in step).
 */
import { defineFormat } from '../schema/versioned';
import type { Infer } from '../schema/infer';

// ---------------------------------------------------------------------------------------------
// Version 1. Frozen: a change of any kind is a new version with its own schema.

const CONFIG = { type: 'string', minLength: 1, maxLength: 32, pattern: '^[a-z0-9][a-z0-9_]*$' } as const;
const COUNT = { type: 'integer', minimum: 0, maximum: 10_000_000 } as const;
const SOC = { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9_.+-]*$' } as const;
const RULE = { type: 'string', minLength: 1, maxLength: 48, pattern: '^[a-z0-9][a-z0-9-]*$' } as const;

const SETTINGS_V1_PROPERTIES = {
  backend: { enum: ['htp', 'lpai'] },
  soc: SOC,
  strict: { type: 'boolean' },
  config: CONFIG,
  overrides: {
    type: 'array',
    maxItems: 256,
    items: {
      type: 'object',
      required: ['pattern', 'config'],
      additionalProperties: false,
      properties: { pattern: { type: 'string', minLength: 1, maxLength: 512 }, config: CONFIG },
    },
  },
  calibration: {
    type: 'object',
    required: ['mode', 'samples', 'seed'],
    additionalProperties: false,
    properties: {
      mode: { enum: ['random', 'files'] },
      samples: { type: 'integer', minimum: 1, maximum: 4096 },
      seed: { type: 'integer', minimum: 0, maximum: 4_294_967_295 },
    },
  },
} as const;

const MODEL = {
  type: 'object',
  required: ['name', 'size', 'sha256'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 255 },
    size: { type: 'integer', minimum: 0, maximum: 1_125_899_906_842_624 },
    sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
    url: { type: 'string', minLength: 1, maxLength: 2048 },
  },
} as const;

const VIEW = {
  type: 'object',
  additionalProperties: false,
  properties: {
    selected: { type: 'string', minLength: 1, maxLength: 1024 },
    filters: {
      type: 'object',
      additionalProperties: false,
      properties: {
        severity: { type: 'array', maxItems: 3, items: { enum: ['error', 'warning', 'info'] } },
        rule: {
          type: 'array',
          maxItems: 32,
          items: { type: 'string', maxLength: 48, pattern: '^[a-z0-9][a-z0-9-]*$' },
        },
        text: { type: 'string', maxLength: 200 },
      },
    },
  },
} as const;

const FINDING_V1_PROPERTIES = {
  rule: RULE,
  severity: { enum: ['error', 'warning', 'info'] },
  node: { type: 'string', maxLength: 1024 },
  port: { type: 'string', maxLength: 64 },
  message: { type: 'string', maxLength: 1000 },
  expected: { type: 'string', maxLength: 300 },
  actual: { type: 'string', maxLength: 300 },
} as const;
const FINDING_REQUIRED = ['rule', 'severity', 'node', 'port', 'message', 'expected', 'actual'] as const;

const SNAPSHOT_V1_PROPERTIES = {
  verdict: { enum: ['pass', 'pass-with-warnings', 'fail'] },
  counts: {
    type: 'object',
    required: ['error', 'warning', 'info'],
    additionalProperties: false,
    properties: { error: COUNT, warning: COUNT, info: COUNT },
  },
  soc: { type: 'string', minLength: 1, maxLength: 64 },
  arch: { type: 'string', maxLength: 32 },
  total: COUNT,
} as const;
const SNAPSHOT_REQUIRED = ['verdict', 'counts', 'soc', 'arch', 'total', 'findings'] as const;

/** JSON schema of payload version 1 (checked by the CSP-safe `checkSchema`). */
export const SHARE_PAYLOAD_V1_SCHEMA = {
  $id: 'https://quantlens.dev/schema/share-payload-1.json',
  type: 'object',
  required: ['v', 'settings', 'model'],
  additionalProperties: false,
  properties: {
    v: { const: 1 },
    settings: {
      type: 'object',
      required: ['backend', 'soc', 'strict'],
      additionalProperties: false,
      properties: SETTINGS_V1_PROPERTIES,
    },
    model: MODEL,
    view: VIEW,
    snapshot: {
      type: 'object',
      required: SNAPSHOT_REQUIRED,
      additionalProperties: false,
      properties: {
        ...SNAPSHOT_V1_PROPERTIES,
        findings: {
          type: 'array',
          maxItems: 2000,
          items: {
            type: 'object',
            required: FINDING_REQUIRED,
            additionalProperties: false,
            properties: FINDING_V1_PROPERTIES,
          },
        },
      },
    },
  },
} as const;

// ---------------------------------------------------------------------------------------------
// Version 2: version 1 with `settings.flow` (required) and an optional `outcome` on snapshot
// findings. Frozen like version 1.

/** JSON schema of payload version 2. */
export const SHARE_PAYLOAD_V2_SCHEMA = {
  ...SHARE_PAYLOAD_V1_SCHEMA,
  $id: 'https://quantlens.dev/schema/share-payload-2.json',
  properties: {
    ...SHARE_PAYLOAD_V1_SCHEMA.properties,
    v: { const: 2 },
    settings: {
      type: 'object',
      required: ['backend', 'soc', 'strict', 'flow'],
      additionalProperties: false,
      properties: { ...SETTINGS_V1_PROPERTIES, flow: { enum: ['qnn', 'ort', 'executorch'] } },
    },
    snapshot: {
      type: 'object',
      required: SNAPSHOT_REQUIRED,
      additionalProperties: false,
      properties: {
        ...SNAPSHOT_V1_PROPERTIES,
        findings: {
          type: 'array',
          maxItems: 2000,
          items: {
            type: 'object',
            required: FINDING_REQUIRED,
            additionalProperties: false,
            properties: {
              ...FINDING_V1_PROPERTIES,
              outcome: { enum: ['rejected', 'cpu-fallback', 'auto-fixed', 'slower', 'advice'] },
            },
          },
        },
      },
    },
  },
} as const;

// ---------------------------------------------------------------------------------------------
// Version 3: version 2 with the rest of the quantizer's choices, so that a replay quantizes as
// its sender did (a v2 replay used the defaults whatever the sender had chosen): the weight and
// activation `options`, the calibration `observer` and its `percentile`, and the `shapes` given
// for dynamic inputs. All optional (a link without a quantizer run has none). Frozen like 2.

const QUANT_OPTIONS_V3 = {
  type: 'object',
  required: ['perChannelConv', 'perChannelLinear', 'perChannelEmbedding', 'actSymmetric', 'blockSize'],
  additionalProperties: false,
  properties: {
    perChannelConv: { type: 'boolean' },
    perChannelLinear: { type: 'boolean' },
    perChannelEmbedding: { type: 'boolean' },
    actSymmetric: { type: 'boolean' },
    blockSize: { type: 'integer', minimum: 1, maximum: 4096 },
  },
} as const;

const SHAPES_V3 = {
  type: 'object',
  maxProperties: 64,
  additionalProperties: {
    type: 'array',
    maxItems: 16,
    items: { type: 'integer', minimum: 1, maximum: 1_000_000 },
  },
} as const;

/** JSON schema of payload version 3. */
export const SHARE_PAYLOAD_V3_SCHEMA = {
  ...SHARE_PAYLOAD_V2_SCHEMA,
  $id: 'https://quantlens.dev/schema/share-payload-3.json',
  properties: {
    ...SHARE_PAYLOAD_V2_SCHEMA.properties,
    v: { const: 3 },
    settings: {
      ...SHARE_PAYLOAD_V2_SCHEMA.properties.settings,
      properties: {
        ...SHARE_PAYLOAD_V2_SCHEMA.properties.settings.properties,
        calibration: {
          ...SETTINGS_V1_PROPERTIES.calibration,
          properties: {
            ...SETTINGS_V1_PROPERTIES.calibration.properties,
            observer: { enum: ['minmax', 'moving-average', 'percentile'] },
            percentile: { type: 'number', minimum: 50, maximum: 100 },
          },
        },
        options: QUANT_OPTIONS_V3,
        shapes: SHAPES_V3,
      },
    },
  },
} as const;

// ---------------------------------------------------------------------------------------------
// Version 4: version 3 with `settings.fixSizes`, set when the run wrote its inputs' dynamic
// dimensions at the sizes it calibrated on (static shapes in the export, as ONNX Runtime's QNN EP
// needs). A v3 replay left them dynamic, and under ONNX Runtime its check then found every node
// of such a model on the CPU where its sender had found none. Optional. Frozen like 3.

/** JSON schema of payload version 4. */
export const SHARE_PAYLOAD_V4_SCHEMA = {
  ...SHARE_PAYLOAD_V3_SCHEMA,
  $id: 'https://quantlens.dev/schema/share-payload-4.json',
  properties: {
    ...SHARE_PAYLOAD_V3_SCHEMA.properties,
    v: { const: 4 },
    settings: {
      ...SHARE_PAYLOAD_V3_SCHEMA.properties.settings,
      properties: {
        ...SHARE_PAYLOAD_V3_SCHEMA.properties.settings.properties,
        fixSizes: { type: 'boolean' },
      },
    },
  },
} as const;

// ---------------------------------------------------------------------------------------------
// Version 5: version 4 with `settings.values`, the inputs the run's random samples held at one
// value (a sample rate of 16000): a v4 replay drew them at random from 0 to 9, and a model that
// reads such an input as a rate or a length failed to calibrate where its sender's run passed.
// Optional. Frozen like 4.

const VALUES_V5 = {
  type: 'object',
  maxProperties: 64,
  additionalProperties: { type: 'number', minimum: -(2 ** 53), maximum: 2 ** 53 },
} as const;

/** JSON schema of payload version 5. */
export const SHARE_PAYLOAD_V5_SCHEMA = {
  ...SHARE_PAYLOAD_V4_SCHEMA,
  $id: 'https://quantlens.dev/schema/share-payload-5.json',
  properties: {
    ...SHARE_PAYLOAD_V4_SCHEMA.properties,
    v: { const: 5 },
    settings: {
      ...SHARE_PAYLOAD_V4_SCHEMA.properties.settings,
      properties: {
        ...SHARE_PAYLOAD_V4_SCHEMA.properties.settings.properties,
        values: VALUES_V5,
      },
    },
  },
} as const;

/** Payload version 1, as written in the fragment `s=1.…`: the type its schema describes. */
export type SharePayloadV1 = Infer<typeof SHARE_PAYLOAD_V1_SCHEMA>;
/** Payload version 2 (`s=2.…`): v1 plus `settings.flow` and snapshot finding outcomes. */
export type SharePayloadV2 = Infer<typeof SHARE_PAYLOAD_V2_SCHEMA>;
/** Payload version 3 (`s=3.…`): v2 plus the quantizer's options, observer and input shapes. */
export type SharePayloadV3 = Infer<typeof SHARE_PAYLOAD_V3_SCHEMA>;
/** Payload version 4 (`s=4.…`): v3 plus `settings.fixSizes`. */
export type SharePayloadV4 = Infer<typeof SHARE_PAYLOAD_V4_SCHEMA>;
/** Payload version 5 (`s=5.…`): v4 plus `settings.values`. */
export type SharePayloadV5 = Infer<typeof SHARE_PAYLOAD_V5_SCHEMA>;

/** The share-link format: its versions and the upgrades between them. */
export const SHARE_FORMAT = defineFormat<SharePayloadV5>('share link', 'v', [
  { version: 1, schema: SHARE_PAYLOAD_V1_SCHEMA },
  {
    version: 2,
    schema: SHARE_PAYLOAD_V2_SCHEMA,
    // Before flows existed, every verdict was the QNN converter's.
    upgrade: (v1: SharePayloadV1): SharePayloadV2 => ({ ...v1, v: 2, settings: { ...v1.settings, flow: 'qnn' } }),
  },
  {
    version: 3,
    schema: SHARE_PAYLOAD_V3_SCHEMA,
    // A v2 link recorded no options: its replay uses the defaults, as it always did.
    upgrade: (v2: SharePayloadV2): SharePayloadV3 => ({ ...v2, v: 3 }),
  },
  {
    version: 4,
    schema: SHARE_PAYLOAD_V4_SCHEMA,
    // A v3 link's replay kept dynamic sizes dynamic, as its sender's run did (v3 had no choice).
    upgrade: (v3: SharePayloadV3): SharePayloadV4 => ({ ...v3, v: 4 }),
  },
  {
    version: 5,
    schema: SHARE_PAYLOAD_V5_SCHEMA,
    // A v4 link's replay drew every input at random, as its sender's run did (v4 had no values).
    upgrade: (v4: SharePayloadV4): SharePayloadV5 => ({ ...v4, v: 5 }),
  },
]);

/** Plainer words for pattern failures, keyed by path with array indices removed. */
export const PATTERN_WORDS: Record<string, string> = {
  'model.sha256': "must be the file's SHA-256 as 64 lowercase hex digits",
  'settings.soc': 'must be a SoC model name such as SM8650 (letters, digits, _ . + -)',
  'settings.config': 'must be a quant config name such as 8a8w or 16a4w_block (lowercase letters, digits, _)',
  'settings.overrides[].config': 'must be a quant config name such as 8a8w, or float',
  'view.filters.rule[]': 'must be a rule id such as per-channel (lowercase letters, digits, -)',
  'snapshot.findings[].rule': 'must be a rule id such as per-channel (lowercase letters, digits, -)',
};
