/**
 * The versioned-format kit every QuantLens file format goes through (share links, constraint
 * packs, the settings kept in the browser, check reports): each version has a frozen JSON schema
 * written with literal values only, and a step that upgrades a valid value of the version before
 * it. Reading checks a value against its own version's schema, then upgrades it one step at a
 * time to the latest. The TypeScript type of each version is derived from or checked against
 * its schema (see infer.ts), and each format keeps golden fixtures per version in its tests.
 *
 * To add a version: leave the older schemas untouched, append `{ version, schema, upgrade }`,
 * and add a fixture of the new version beside the old ones (which must keep reading).
 */
import { checkSchema, type Schema, type SchemaProblem } from './json-schema';

export interface FormatVersion {
  version: number;
  /** Frozen: literal values only, never a constant that could change later. */
  schema: Schema;
  /** Turns a valid value of the previous version into a valid value of this one. */
  upgrade?: (previous: any) => unknown;
}

export interface VersionedFormat<Latest> {
  /** What a person calls it: "share link", "constraint pack". */
  readonly name: string;
  /** The field holding the version number (`v`, `schema`), or undefined when the container says it. */
  readonly field: string | undefined;
  readonly versions: readonly FormatVersion[];
  /** The version this QuantLens writes, the highest it reads. */
  readonly latest: number;
  /** Type carrier only (never set): the latest version's value type. */
  readonly _latest?: Latest;
}

/** Why a value could not be read as a format. */
export type FormatProblem =
  | { code: 'not-an-object'; version?: undefined }
  | { code: 'no-version'; version?: undefined }
  | { code: 'future-version'; version: number }
  | { code: 'unknown-version'; version: number }
  | ({ code: 'invalid'; version: number } & SchemaProblem);

/**
 * A format from its versions, oldest first. Versions must run 1, 2, 3, ... and every version
 * after the first must say how to upgrade from the one before: checked here, at start-up.
 */
export function defineFormat<Latest>(
  name: string,
  field: string | undefined,
  versions: readonly FormatVersion[],
): VersionedFormat<Latest> {
  versions.forEach((v, i) => {
    if (v.version !== i + 1) throw new Error(`${name}: version ${v.version} is listed where ${i + 1} belongs`);
    if (i > 0 && !v.upgrade) throw new Error(`${name}: version ${v.version} has no upgrade from ${i}`);
    const fixed = field && (v.schema.properties as Record<string, { const?: unknown }> | undefined)?.[field]?.const;
    if (field && fixed !== v.version)
      throw new Error(`${name}: the schema of version ${v.version} does not fix "${field}" to ${v.version}`);
  });
  return { name, field, versions, latest: versions.length };
}

/** The schema of one version. */
export function schemaOf(format: VersionedFormat<unknown>, version: number): Schema | undefined {
  return format.versions[version - 1]?.schema;
}

/**
 * Reads `value` as `format`: its version (from `format.field`, or `version` when the container
 * carries it, such as a storage key or the text before a share link's dot), checked against that
 * version's schema, upgraded to the latest. Returns the value, or the first problem found.
 */
export function readVersioned<Latest>(
  format: VersionedFormat<Latest>,
  value: unknown,
  version?: number,
): { ok: true; value: Latest; from: number } | { ok: false; problem: FormatProblem } {
  if (!value || typeof value !== 'object' || Array.isArray(value))
    return { ok: false, problem: { code: 'not-an-object' } };
  const v = version ?? (format.field ? (value as Record<string, unknown>)[format.field] : undefined);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) return { ok: false, problem: { code: 'no-version' } };
  if (v > format.latest) return { ok: false, problem: { code: 'future-version', version: v } };
  const schema = schemaOf(format, v);
  if (!schema) return { ok: false, problem: { code: 'unknown-version', version: v } };
  const problem = checkSchema(value, schema);
  if (problem) return { ok: false, problem: { code: 'invalid', version: v, ...problem } };
  return { ok: true, value: upgradeToLatest(format, v, value), from: v };
}

/** Upgrades a valid value of `version` step by step to the latest version. */
export function upgradeToLatest<Latest>(format: VersionedFormat<Latest>, version: number, value: unknown): Latest {
  let out = value;
  for (let v = version + 1; v <= format.latest; v++) out = format.versions[v - 1]!.upgrade!(out);
  return out as Latest;
}
