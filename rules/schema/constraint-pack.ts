/**
 * The constraint-pack format, version 1: a frozen schema written as a literal, the type derived
 * from it, and the format the versioned-format kit reads. The published file
 * `constraint-pack.schema.json` is this schema as JSON (`npm run gen:rules` writes it; a test keeps
 * them equal). A new version adds a schema and an upgrade here; version 1 stays as it is.
 */
import type { Infer } from '../../src/core/schema/infer';
import { defineFormat } from '../../src/core/schema/versioned';

export const CONSTRAINT_PACK_V1_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://quantlens.dev/schema/constraint-pack-1.json',
  title: 'QuantLens constraint pack, schema 1',
  description:
    'Extends or overrides a built-in backend rule pack: op constraints per backend op (the role of QNN BackendOpInfo), extra op mappings and SoCs. Entries replace the built-in entry with the same key.',
  type: 'object',
  required: ['schema', 'backend'],
  additionalProperties: false,
  properties: {
    schema: {
      const: 1,
    },
    backend: {
      enum: ['htp', 'lpai'],
    },
    name: {
      type: 'string',
      maxLength: 200,
    },
    source: {
      $ref: '#/$defs/source',
    },
    constraints: {
      type: 'object',
      description: 'Backend op name (e.g. Conv2d) -> its port constraints.',
      maxProperties: 2000,
      additionalProperties: {
        $ref: '#/$defs/opConstraint',
      },
    },
    ops: {
      type: 'array',
      maxItems: 5000,
      items: {
        type: 'object',
        required: ['onnx', 'qnnOp'],
        additionalProperties: false,
        properties: {
          onnx: {
            type: 'string',
            minLength: 1,
          },
          domain: {
            type: 'string',
          },
          qnnOp: {
            type: ['string', 'null'],
          },
          byRank: {
            type: 'object',
            additionalProperties: {
              type: 'string',
            },
          },
          source: {
            $ref: '#/$defs/source',
          },
        },
      },
    },
    socs: {
      type: 'array',
      maxItems: 1000,
      items: {
        type: 'object',
        required: ['model', 'htpArch', 'vtcmMB'],
        additionalProperties: false,
        properties: {
          model: {
            type: 'string',
            minLength: 1,
            maxLength: 64,
          },
          marketing: {
            type: 'string',
          },
          htpArch: {
            type: 'integer',
            minimum: 0,
            maximum: 1000,
          },
          vtcmMB: {
            type: 'number',
            minimum: 0,
          },
          lpai: {
            type: 'integer',
            minimum: 0,
          },
          chipsetId: {
            type: 'integer',
          },
        },
      },
    },
  },
  $defs: {
    source: {
      type: 'object',
      required: ['ref', 'confidence'],
      additionalProperties: false,
      properties: {
        ref: {
          type: 'string',
          minLength: 1,
        },
        confidence: {
          enum: ['documented', 'from-code', 'inferred'],
        },
        note: {
          type: 'string',
        },
      },
    },
    port: {
      type: 'object',
      required: ['role'],
      additionalProperties: false,
      properties: {
        role: {
          enum: ['activation', 'weight', 'bias'],
        },
        dtypes: {
          type: 'array',
          items: {
            type: 'string',
            pattern: '^(u?int(4|8|16|32))(:[1-8])?$',
          },
        },
        symmetric: {
          type: 'boolean',
        },
        symmetricDtypes: {
          type: 'array',
          items: {
            type: 'string',
          },
        },
        perTensorOnly: {
          type: 'boolean',
        },
        axis: {
          type: 'integer',
          minimum: 0,
        },
        mathInvariant: {
          type: 'boolean',
        },
        variadic: {
          type: 'boolean',
        },
        fixed: {
          type: 'object',
          additionalProperties: false,
          patternProperties: {
            '^u?int(8|16)$': {
              type: 'object',
              required: ['scale', 'zeroPoint'],
              additionalProperties: false,
              properties: {
                scale: {
                  type: 'number',
                  exclusiveMinimum: 0,
                },
                zeroPoint: {
                  type: 'integer',
                },
              },
            },
          },
        },
      },
    },
    opConstraint: {
      type: 'object',
      required: ['inputs', 'outputs'],
      additionalProperties: false,
      properties: {
        inputs: {
          type: 'array',
          maxItems: 64,
          items: {
            $ref: '#/$defs/port',
          },
        },
        outputs: {
          type: 'array',
          maxItems: 64,
          items: {
            $ref: '#/$defs/port',
          },
        },
        source: {
          $ref: '#/$defs/source',
        },
      },
    },
  },
} as const;

/** A constraint pack of version 1, as its schema describes it. */
export type UserPackV1 = Infer<typeof CONSTRAINT_PACK_V1_SCHEMA>;
/** The latest constraint pack. */
export type UserPack = UserPackV1;

export const CONSTRAINT_PACK_FORMAT = defineFormat<UserPack>('constraint pack', 'schema', [
  { version: 1, schema: CONSTRAINT_PACK_V1_SCHEMA },
]);

/** The published JSON schema files: name -> text. */
export function publishedPackSchemas(): Record<string, string> {
  return { 'constraint-pack.schema.json': `${JSON.stringify(CONSTRAINT_PACK_V1_SCHEMA, null, 2)}\n` };
}
