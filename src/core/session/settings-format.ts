/**
 * The validator settings the app keeps in the browser (localStorage), as a versioned format:
 * version n is stored under `quantlens.settings.v<n>`, checked against its frozen schema and
 * upgraded to the latest on reading. A stored field that no longer fits (a SoC name from a
 * hand-edited store, a backend this build does not know) falls back to its default alone; the
 * other fields are kept.
 */
import type { Infer } from '../schema/infer';
import { defineFormat, readVersioned } from '../schema/versioned';

/** Version 1. Frozen: literal values only. */
export const SETTINGS_V1_SCHEMA = {
  $id: 'https://quantlens.dev/schema/settings-1.json',
  type: 'object',
  required: ['backend', 'soc', 'strict'],
  additionalProperties: false,
  properties: {
    backend: { enum: ['htp', 'lpai'] },
    soc: { type: 'string', pattern: '^[A-Za-z0-9_]{1,32}$' },
    strict: { type: 'boolean' },
    flow: { enum: ['qnn', 'ort', 'executorch'] },
  },
} as const;

export type StoredSettingsV1 = Infer<typeof SETTINGS_V1_SCHEMA>;
/** The latest stored settings. */
export type StoredSettings = StoredSettingsV1;

export const SETTINGS_FORMAT = defineFormat<StoredSettings>('settings', undefined, [
  { version: 1, schema: SETTINGS_V1_SCHEMA },
]);

/** The storage key of a version. */
export const settingsKey = (version: number) => `quantlens.settings.v${version}`;

interface Storage {
  getItem(key: string): string | null;
}

/**
 * The stored settings, upgraded to the latest version, over `defaults`: the newest version found
 * in `storage` wins; fields that do not fit their schema are replaced by their defaults.
 */
export function readStoredSettings(storage: Storage | undefined, defaults: StoredSettings): StoredSettings {
  for (let version = SETTINGS_FORMAT.latest; version >= 1; version--) {
    let raw: string | null | undefined;
    try {
      raw = storage?.getItem(settingsKey(version));
    } catch {
      return defaults; // storage refused (private mode, sandboxed frame)
    }
    if (!raw) continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      return defaults;
    }
    if (!value || typeof value !== 'object' || Array.isArray(value)) return defaults;
    // Missing fields take their defaults (version 1 has the latest fields; a later version that
    // renames one adds its own defaults here); then each field that does not fit falls back.
    const candidate: Record<string, unknown> = { ...defaults, ...value };
    for (let tries = 0; tries <= Object.keys(candidate).length; tries++) {
      const read = readVersioned(SETTINGS_FORMAT, candidate, version);
      if (read.ok) return { ...defaults, ...read.value };
      if (read.problem.code !== 'invalid') return defaults;
      const field = read.problem.path.split(/[.[]/)[0]!;
      if (!(field in candidate)) return defaults;
      const fallback = (defaults as Record<string, unknown>)[field];
      if (fallback === undefined || candidate[field] === fallback) delete candidate[field];
      else candidate[field] = fallback;
    }
    return defaults;
  }
  return defaults;
}

/** What to store: the latest version's fields of `settings`, under the latest key. */
export function storedSettings(settings: StoredSettings): { key: string; text: string } {
  const { backend, soc, strict, flow } = settings;
  return { key: settingsKey(SETTINGS_FORMAT.latest), text: JSON.stringify({ backend, soc, strict, flow }) };
}
