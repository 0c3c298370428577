/** The frozen JSON schema of each share-link payload version, and plain words for pattern failures. */
import type { Schema } from '../schema/json-schema';
import { MAX_SNAPSHOT_FINDINGS, SHARE_LIMITS } from './payload';

// ---------------------------------------------------------------------------------------------
// Schema, version 1. Frozen: a change of any kind is a new version with its own schema.

const NAME_CHARS = { type: 'string', minLength: 1 } as const;
const CONFIG = {
  type: 'string',
  minLength: 1,
  maxLength: SHARE_LIMITS.config,
  pattern: '^[a-z0-9][a-z0-9_]*$',
} as const;
const COUNT = { type: 'integer', minimum: 0, maximum: SHARE_LIMITS.count } as const;

/** JSON schema of payload version 1 (checked by the CSP-safe `checkSchema`). */
export const SHARE_PAYLOAD_V1_SCHEMA: Schema = {
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
      properties: {
        // Frozen literal: the backends of version 1, whatever the registry holds later.
        backend: { enum: ['htp', 'lpai'] },
        soc: { type: 'string', minLength: 1, maxLength: SHARE_LIMITS.soc, pattern: '^[A-Za-z0-9][A-Za-z0-9_.+-]*$' },
        strict: { type: 'boolean' },
        config: CONFIG,
        overrides: {
          type: 'array',
          maxItems: SHARE_LIMITS.overrides,
          items: {
            type: 'object',
            required: ['pattern', 'config'],
            additionalProperties: false,
            properties: { pattern: { ...NAME_CHARS, maxLength: SHARE_LIMITS.pattern }, config: CONFIG },
          },
        },
        calibration: {
          type: 'object',
          required: ['mode', 'samples', 'seed'],
          additionalProperties: false,
          properties: {
            mode: { enum: ['random', 'files'] },
            samples: { type: 'integer', minimum: 1, maximum: SHARE_LIMITS.samples },
            seed: { type: 'integer', minimum: 0, maximum: 2 ** 32 - 1 },
          },
        },
      },
    },
    model: {
      type: 'object',
      required: ['name', 'size', 'sha256'],
      additionalProperties: false,
      properties: {
        name: { ...NAME_CHARS, maxLength: SHARE_LIMITS.name },
        size: { type: 'integer', minimum: 0, maximum: SHARE_LIMITS.size },
        sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
        url: { ...NAME_CHARS, maxLength: SHARE_LIMITS.url },
      },
    },
    view: {
      type: 'object',
      additionalProperties: false,
      properties: {
        selected: { ...NAME_CHARS, maxLength: SHARE_LIMITS.node },
        filters: {
          type: 'object',
          additionalProperties: false,
          properties: {
            severity: { type: 'array', maxItems: 3, items: { enum: ['error', 'warning', 'info'] } },
            rule: {
              type: 'array',
              maxItems: SHARE_LIMITS.filterRules,
              items: { type: 'string', maxLength: SHARE_LIMITS.rule, pattern: '^[a-z0-9][a-z0-9-]*$' },
            },
            text: { type: 'string', maxLength: SHARE_LIMITS.filterText },
          },
        },
      },
    },
    snapshot: {
      type: 'object',
      required: ['verdict', 'counts', 'soc', 'arch', 'total', 'findings'],
      additionalProperties: false,
      properties: {
        verdict: { enum: ['pass', 'pass-with-warnings', 'fail'] },
        counts: {
          type: 'object',
          required: ['error', 'warning', 'info'],
          additionalProperties: false,
          properties: { error: COUNT, warning: COUNT, info: COUNT },
        },
        soc: { type: 'string', minLength: 1, maxLength: SHARE_LIMITS.soc },
        arch: { type: 'string', maxLength: SHARE_LIMITS.arch },
        total: COUNT,
        findings: {
          type: 'array',
          maxItems: MAX_SNAPSHOT_FINDINGS,
          items: {
            type: 'object',
            required: ['rule', 'severity', 'node', 'port', 'message', 'expected', 'actual'],
            additionalProperties: false,
            properties: {
              rule: { type: 'string', minLength: 1, maxLength: SHARE_LIMITS.rule, pattern: '^[a-z0-9][a-z0-9-]*$' },
              severity: { enum: ['error', 'warning', 'info'] },
              node: { type: 'string', maxLength: SHARE_LIMITS.node },
              port: { type: 'string', maxLength: SHARE_LIMITS.port },
              message: { type: 'string', maxLength: SHARE_LIMITS.message },
              expected: { type: 'string', maxLength: SHARE_LIMITS.detail },
              actual: { type: 'string', maxLength: SHARE_LIMITS.detail },
            },
          },
        },
      },
    },
  },
};

/**
 * JSON schema of payload version 2: version 1 with `settings.flow` (required) and an optional
 * `outcome` on snapshot findings. Frozen like version 1: literals only.
 */
export const SHARE_PAYLOAD_V2_SCHEMA: Schema = (() => {
  const s = JSON.parse(JSON.stringify(SHARE_PAYLOAD_V1_SCHEMA)) as { $id: string; properties: Record<string, any> };
  s.$id = 'https://quantlens.dev/schema/share-payload-2.json';
  s.properties.v = { const: 2 };
  const settings = s.properties.settings;
  settings.required = [...settings.required, 'flow'];
  settings.properties.flow = { enum: ['qnn', 'ort', 'executorch'] };
  s.properties.snapshot.properties.findings.items.properties.outcome = {
    enum: ['rejected', 'cpu-fallback', 'auto-fixed', 'slower', 'advice'],
  };
  return s as unknown as Schema;
})();

/** Plainer words for pattern failures, keyed by path with array indices removed. */
export const PATTERN_WORDS: Record<string, string> = {
  'model.sha256': "must be the file's SHA-256 as 64 lowercase hex digits",
  'settings.soc': 'must be a SoC model name such as SM8650 (letters, digits, _ . + -)',
  'settings.config': 'must be a quant config name such as 8a8w or 16a4w_block (lowercase letters, digits, _)',
  'settings.overrides[].config': 'must be a quant config name such as 8a8w, or float',
  'view.filters.rule[]': 'must be a rule id such as per-channel (lowercase letters, digits, -)',
  'snapshot.findings[].rule': 'must be a rule id such as per-channel (lowercase letters, digits, -)',
};
