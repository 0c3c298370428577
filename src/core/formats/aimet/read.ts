/** Reads an AIMET .encodings file of any supported version, with limits, into encodings by tensor name. */
import { jsonError } from './json-errors';
import { Ctx, HINT_REEXPORT, Json, JsonObject, Notes, fail, isObject, readStringList, typeName } from './read-common';
import { readLegacySection } from './read-legacy';
import { readQuantizerArgs, readV1Section } from './read-v1';
import { readV2List } from './read-v2';
import {
  AIMET_MAX_CHARS,
  AIMET_MAX_ENTRIES,
  AimetEncodings,
  AimetEncodingsError,
  AimetParseLimits,
  AimetVersion,
  SUPPORTED_AIMET_VERSIONS,
} from './types';

/**
 * Reads an AIMET `.encodings` file. Throws {@link AimetEncodingsError} for anything malformed.
 *
 * @example
 * const enc = parseAimetEncodings(await file.text(), file.name);
 * const w = enc.params.get('conv1.weight'); // { dtype: 'int8', granularity: 'per-channel', ... }
 */
export function parseAimetEncodings(text: string, fileName: string, limits: AimetParseLimits = {}): AimetEncodings {
  try {
    return parseUnchecked(text, fileName, limits);
  } catch (err) {
    if (err instanceof AimetEncodingsError) throw err;
    const why = err instanceof Error ? err.message : String(err);
    throw new AimetEncodingsError(
      'internal',
      fileName,
      `could not be read (${why})`,
      'This is a QuantLens bug if the file is valid JSON; please report it with the file.',
    );
  }
}

function parseUnchecked(text: string, fileName: string, limits: AimetParseLimits): AimetEncodings {
  const base = { fileName };
  const maxChars = limits.maxChars ?? AIMET_MAX_CHARS;
  const maxEntries = limits.maxEntries ?? AIMET_MAX_ENTRIES;
  if (typeof text !== 'string')
    fail(base, 'not-json', `is not text (got ${typeName(text)})`, "Pass the file's contents as a string.");
  if (text.length > maxChars) {
    fail(
      base,
      'limit',
      `is ${size(text.length)} of text, over the ${size(maxChars)} limit`,
      'Split the model, or export only the tensors you need to inspect.',
    );
  }
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '')
    fail(base, 'not-json', 'is empty', 'Choose the .encodings file AIMET exported next to the model.');

  let root: Json;
  try {
    root = JSON.parse(body) as Json;
  } catch (err) {
    throw jsonError(fileName, body, err);
  }
  if (!isObject(root)) {
    fail(
      base,
      'not-object',
      `is JSON but ${typeName(root)}, not an object with "version" and "activation_encodings" (or "encodings")`,
      'Choose an AIMET .encodings file (a QNN quantization-overrides JSON has the same layout).',
    );
  }

  const notes = new Notes();
  const version = readVersion(base, root, notes);
  const ctx: Ctx = { fileName, version, origin: `AIMET ${version}`, notes };
  if (version === '2.0.0') return readV2File(ctx, root, maxEntries);
  const legacy = version !== '1.0.0';

  noteUnknownKeys(ctx, root, ['activation_encodings', 'param_encodings']);

  const hasAct = root.activation_encodings !== undefined;
  const hasParam = root.param_encodings !== undefined;
  if (!hasAct && !hasParam) {
    fail(
      ctx,
      'missing-key',
      'has neither "activation_encodings" nor "param_encodings"',
      "An encodings file needs at least one of the two; check that this is the AIMET export and not the model's config.",
    );
  }
  for (const [key, has] of [
    ['activation_encodings', hasAct],
    ['param_encodings', hasParam],
  ] as const) {
    if (!has) notes.plain.push(`No "${key}" in the file; read as empty.`);
  }

  const sections = (['activation_encodings', 'param_encodings'] as const).map((key) => {
    const value = root[key];
    if (value === undefined) return { key, value: legacy ? {} : [] };
    if (legacy && !isObject(value)) {
      fail(
        ctx,
        'wrong-type',
        `"${key}" is ${typeName(value)}, but version ${version} maps tensor names to lists of encodings`,
        Array.isArray(value) ? 'A list of named entries is the 1.0.0 layout: set "version" to "1.0.0".' : HINT_REEXPORT,
        key,
      );
    }
    if (!legacy && !Array.isArray(value)) {
      fail(
        ctx,
        'wrong-type',
        `"${key}" is ${typeName(value)}, but version 1.0.0 has a list of entries with a "name"`,
        isObject(value)
          ? 'An object keyed by tensor name is the 0.6.1 layout: set "version" to "0.6.1".'
          : HINT_REEXPORT,
        key,
      );
    }
    return { key, value };
  });

  const entries = sections.reduce(
    (n, s) => n + (Array.isArray(s.value) ? s.value.length : Object.keys(s.value as JsonObject).length),
    0,
  );
  checkEntryCount(ctx, entries, maxEntries);

  const [act, param] = sections.map((s) =>
    legacy ? readLegacySection(ctx, s.key, s.value as JsonObject) : readV1Section(ctx, s.key, s.value as Json[]),
  );
  return withExtras(ctx, root, { version, activations: act!, params: param!, warnings: [] });
}

/**
 * Version 2.0.0: one "encodings" list. Its entries do not say whether a tensor is a parameter, so
 * all of them are kept with the activations, where a constant's lookup also looks (from-aimet.ts).
 */
function readV2File(ctx: Ctx, root: JsonObject, maxEntries: number): AimetEncodings {
  noteUnknownKeys(ctx, root, ['encodings']);
  const list = root.encodings;
  if (list === undefined) {
    const v1 = root.activation_encodings !== undefined || root.param_encodings !== undefined;
    fail(
      ctx,
      'missing-key',
      'has no "encodings" list',
      v1
        ? 'It has "activation_encodings"/"param_encodings", the 1.0.0 layout: set "version" to "1.0.0".'
        : 'A 2.0.0 file keeps every tensor in one "encodings" list; check that this is the AIMET export.',
      'encodings',
    );
  }
  if (!Array.isArray(list))
    fail(
      ctx,
      'wrong-type',
      `"encodings" is ${typeName(list)}, not a list of entries with a "name"`,
      HINT_REEXPORT,
      'encodings',
    );
  checkEntryCount(ctx, list.length, maxEntries);
  return withExtras(ctx, root, {
    version: ctx.version,
    activations: readV2List(ctx, list),
    params: new Map(),
    warnings: [],
  });
}

/** Notes the top-level keys no version has besides `version`, `quantizer_args`, `excluded_layers` and `sections`. */
function noteUnknownKeys(ctx: Ctx, root: JsonObject, sections: readonly string[]): void {
  const known = new Set(['version', 'quantizer_args', 'excluded_layers', ...sections]);
  const unknown = Object.keys(root).filter((k) => !known.has(k));
  if (unknown.length)
    ctx.notes.plain.push(
      `Ignored unknown top-level keys: ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ', …' : ''}.`,
    );
}

function checkEntryCount(ctx: Ctx, entries: number, maxEntries: number): void {
  if (entries > maxEntries)
    fail(
      ctx,
      'limit',
      `has ${entries.toLocaleString('en-US')} tensor entries, over the ${maxEntries.toLocaleString('en-US')} limit`,
      'Export only the part of the model you need to inspect.',
    );
}

/** The result with the file's quantizer_args and excluded_layers, and the notes as warnings. */
function withExtras(ctx: Ctx, root: JsonObject, result: AimetEncodings): AimetEncodings {
  if (root.quantizer_args !== undefined) result.quantizerArgs = readQuantizerArgs(ctx, root.quantizer_args);
  if (root.excluded_layers !== undefined)
    result.excludedLayers = readStringList(ctx, root.excluded_layers, 'excluded_layers');
  result.warnings = ctx.notes.list();
  return result;
}

function size(chars: number): string {
  const MiB = 1024 * 1024;
  return chars < MiB
    ? `${chars.toLocaleString('en-US')} characters`
    : `${(chars / MiB).toFixed(chars < 10 * MiB ? 1 : 0)} MiB`;
}

function readVersion(ctx: { fileName: string }, root: JsonObject, notes: Notes): AimetVersion {
  const v = root.version;
  const supported = `Supported versions: ${SUPPORTED_AIMET_VERSIONS.join(', ')}.`;
  if (v === undefined) {
    notes.plain.push('The file has no "version"; read as 0.4.0, as AIMET does.');
    return '0.4.0';
  }
  if (typeof v !== 'string')
    fail(ctx, 'version', `"version" is ${typeName(v)}, not a string such as "1.0.0"`, supported, 'version');
  if (!(SUPPORTED_AIMET_VERSIONS as readonly string[]).includes(v)) {
    const later = v.startsWith('2.') ? " Re-export with AIMET_ENCODING_VERSION=2.0.0 or 1.0.0 (AIMET's default)." : '';
    fail(
      ctx,
      'version',
      `has encoding version ${JSON.stringify(v)}, which QuantLens does not read`,
      `${supported}${later}`,
      'version',
    );
  }
  return v as AimetVersion;
}
