/**
 * AIMET `.encodings` files (JSON): reader, validator and writer for versions 0.4.0 to 0.6.1
 * (tensor name -> list of encodings) and 1.0.0 (lists of named entries, with per-block and LPBQ).
 * Layout and field tables: ../shared/qnn-constraints.md section 7 and AIMET's encoding_spec.rst.
 *
 * Every encoding is turned into the shared {@link QuantEncoding} (ONNX convention,
 * real = (q - zeroPoint) * scale), so the checker never sees a QNN offset. Decisions:
 *
 * - **Container and signedness.** A bitwidth up to 8 uses the 8-bit container (4- and 2-bit weights
 *   are `int8`/`uint8` with `bitwidth` 4 or 2, as QNN's BwScaleOffset does), up to 16 the 16-bit
 *   one, up to 32 the 32-bit one. A symmetric encoding whose offset is -2^(bw-1) (AIMET's form) or
 *   0 (the signed form some tools write) is signed with zero point 0; anything else is unsigned
 *   with zeroPoint = -offset. One refinement for 0.x files, which carry `min`: symmetric, offset 0
 *   and min >= 0 is AIMET's "unsigned symmetric" mode, read as unsigned with zero point 0 (a
 *   signed reading would clip the top half of the range).
 * - **Per-channel axis.** Neither version stores an axis index; 1.0.0 defines it as the output
 *   channel dimension, whose index depends on the consuming op (0 for Conv, 1 for MatMul). `axis`
 *   is left undefined for the consumer to assign; 0.x files get a warning saying so.
 * - **LPBQ.** `bitwidth` is the decompressed bitwidth from the file (`bw`, e.g. 8) and
 *   `compressedBitwidth` the bits the weights are stored in (`compressed_bw`, e.g. 4), as the
 *   shared type documents (per-block int scales in [1, 2^(bitwidth - compressedBitwidth)]). That
 *   keeps the file lossless with no side fields. `scale` holds the per-channel float scales,
 *   `perBlockIntScale` the flattened channel-major integer scales, zero points are 0 (int8).
 * - **Float tensors** (dtype float / FLOAT) become a {@link FloatEncoding}.
 *
 * Errors are always {@link AimetEncodingsError}; nothing else escapes.
 */
import { containerBits, isSigned, type QuantDType, type QuantEncoding } from '../../encoding/encoding';

/** Versions this module reads. 0.4.0 is assumed when a file has no `version` (as AIMET does). */
export type AimetVersion = '0.4.0' | '0.5.0' | '0.6.1' | '1.0.0';

/** Versions {@link parseAimetEncodings} accepts, oldest first. */
export const SUPPORTED_AIMET_VERSIONS: readonly AimetVersion[] = ['0.4.0', '0.5.0', '0.6.1', '1.0.0'];

/** A tensor AIMET keeps in floating point (`dtype: "float"` / `"FLOAT"`). */
export interface FloatEncoding {
  dtype: 'float';
  bitwidth: 16 | 32;
  /** Where the encoding came from, for messages, e.g. `AIMET 1.0.0`. */
  origin: string;
}

/** What one tensor of an encodings file holds. */
export type TensorEncoding = QuantEncoding | FloatEncoding;

/** `quantizer_args`: how the AIMET QuantizationSimModel was configured (informational only). */
export interface AimetQuantizerArgs {
  activationBitwidth?: number;
  paramBitwidth?: number;
  /** `int` or `float`. */
  dtype?: string;
  /** Parameter encodings were computed symmetrically. */
  isSymmetric?: boolean;
  perChannelQuantization?: boolean;
  /** e.g. `post_training_tf`, `post_training_tf_enhanced`. */
  quantScheme?: string;
}

/**
 * A parsed encodings file. Tensor names map to encodings in file order, except that in 0.x files
 * integer-like names (`"187"`) come first: that is how JSON.parse orders an object's keys.
 */
export interface AimetEncodings {
  version: AimetVersion;
  activations: Map<string, TensorEncoding>;
  params: Map<string, TensorEncoding>;
  quantizerArgs?: AimetQuantizerArgs;
  excludedLayers?: string[];
  /** Things worth telling the user that did not stop the read (one line each, never one per tensor). */
  warnings: string[];
}

/** What {@link writeAimetEncodings} takes: the maps of a parse result, or the quantizer's. */
export interface AimetEncodingsInput {
  activations: ReadonlyMap<string, TensorEncoding>;
  params: ReadonlyMap<string, TensorEncoding>;
  quantizerArgs?: AimetQuantizerArgs;
  excludedLayers?: readonly string[];
}

/** Kinds of problems, for code that reacts to them (tests, the UI's choice of help text). */
export type AimetEncodingsErrorCode =
  | 'not-json'
  | 'not-object'
  | 'version'
  | 'missing-key'
  | 'wrong-type'
  | 'bad-value'
  | 'length-mismatch'
  | 'duplicate'
  | 'unsupported'
  | 'limit'
  | 'internal';

/**
 * The one error type of this module. The message names the file, the place in it and the fix.
 *
 * @example
 * try { parseAimetEncodings(text, 'model.encodings'); }
 * catch (e) { if (e instanceof AimetEncodingsError) show(e.problem, e.path, e.hint); }
 */
export class AimetEncodingsError extends Error {
  override readonly name = 'AimetEncodingsError';
  constructor(
    readonly code: AimetEncodingsErrorCode,
    readonly fileName: string,
    /** What went wrong, in one sentence. */
    readonly problem: string,
    /** What the user can do about it. */
    readonly hint: string,
    /** Where in the file, e.g. `activation_encodings[3].scale` or `param_encodings["fc.weight"][0].offset`. */
    readonly path?: string,
  ) {
    super(`${fileName}: ${problem}${path ? ` (at ${path})` : ''}. ${hint}`);
  }

  /** Plain-object form for crossing a worker boundary. */
  toJSON(): { code: AimetEncodingsErrorCode; fileName: string; problem: string; hint: string; path?: string; message: string } {
    return { code: this.code, fileName: this.fileName, problem: this.problem, hint: this.hint, path: this.path, message: this.message };
  }
}

/** Largest file accepted, in characters of text (256 MiB). */
export const AIMET_MAX_CHARS = 256 * 1024 * 1024;
/** Largest number of tensor entries (activations plus params) accepted. */
export const AIMET_MAX_ENTRIES = 1_000_000;

/** Size limits for {@link parseAimetEncodings}; the defaults are the exported constants. */
export interface AimetParseLimits {
  maxChars?: number;
  maxEntries?: number;
}

/** Whether a tensor encoding is a float one. */
export function isFloatEncoding(enc: TensorEncoding): enc is FloatEncoding {
  return enc.dtype === 'float';
}

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const HINT_REEXPORT = 'Re-export the encodings from AIMET (QuantizationSimModel.export), or fix the entry by hand.';

/** Collects warnings once per kind, so a file with 50,000 tensors yields one line, not 50,000. */
class Notes {
  private readonly counts = new Map<string, { n: number; example: string; text: (n: number, example: string) => string }>();
  readonly plain: string[] = [];
  add(kind: string, example: string, text: (n: number, example: string) => string): void {
    const c = this.counts.get(kind);
    if (c) c.n++;
    else this.counts.set(kind, { n: 1, example, text });
  }
  list(): string[] {
    return [...this.plain, ...[...this.counts.values()].map((c) => c.text(c.n, c.example))];
  }
}

interface Ctx {
  fileName: string;
  version: AimetVersion;
  origin: string;
  notes: Notes;
}

function fail(ctx: { fileName: string }, code: AimetEncodingsErrorCode, problem: string, hint: string, path?: string): never {
  throw new AimetEncodingsError(code, ctx.fileName, problem, hint, path);
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return `${typeof v} ${String(v)}`;
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

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
    throw new AimetEncodingsError('internal', fileName, `could not be read (${why})`, 'This is a QuantLens bug if the file is valid JSON; please report it with the file.');
  }
}

function parseUnchecked(text: string, fileName: string, limits: AimetParseLimits): AimetEncodings {
  const base = { fileName };
  const maxChars = limits.maxChars ?? AIMET_MAX_CHARS;
  const maxEntries = limits.maxEntries ?? AIMET_MAX_ENTRIES;
  if (typeof text !== 'string') fail(base, 'not-json', `is not text (got ${typeName(text)})`, 'Pass the file\'s contents as a string.');
  if (text.length > maxChars) {
    fail(base, 'limit', `is ${size(text.length)} of text, over the ${size(maxChars)} limit`, 'Split the model, or export only the tensors you need to inspect.');
  }
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') fail(base, 'not-json', 'is empty', 'Choose the .encodings file AIMET exported next to the model.');

  let root: Json;
  try {
    root = JSON.parse(body) as Json;
  } catch (err) {
    throw jsonError(fileName, body, err);
  }
  if (!isObject(root)) {
    fail(base, 'not-object', `is JSON but ${typeName(root)}, not an object with "version" and "activation_encodings"`, 'Choose an AIMET .encodings file (a QNN quantization-overrides JSON has the same layout).');
  }

  const notes = new Notes();
  const version = readVersion(base, root, notes);
  const ctx: Ctx = { fileName, version, origin: `AIMET ${version}`, notes };
  const legacy = version !== '1.0.0';

  const known = new Set(['version', 'activation_encodings', 'param_encodings', 'quantizer_args', 'excluded_layers']);
  const unknown = Object.keys(root).filter((k) => !known.has(k));
  if (unknown.length) notes.plain.push(`Ignored unknown top-level keys: ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ', …' : ''}.`);

  const hasAct = root.activation_encodings !== undefined;
  const hasParam = root.param_encodings !== undefined;
  if (!hasAct && !hasParam) {
    fail(ctx, 'missing-key', 'has neither "activation_encodings" nor "param_encodings"', 'An encodings file needs at least one of the two; check that this is the AIMET export and not the model\'s config.');
  }
  for (const [key, has] of [['activation_encodings', hasAct], ['param_encodings', hasParam]] as const) {
    if (!has) notes.plain.push(`No "${key}" in the file; read as empty.`);
  }

  const sections = (['activation_encodings', 'param_encodings'] as const).map((key) => {
    const value = root[key];
    if (value === undefined) return { key, value: legacy ? {} : [] };
    if (legacy && !isObject(value)) {
      fail(ctx, 'wrong-type', `"${key}" is ${typeName(value)}, but version ${version} maps tensor names to lists of encodings`,
        Array.isArray(value) ? 'A list of named entries is the 1.0.0 layout: set "version" to "1.0.0".' : HINT_REEXPORT, key);
    }
    if (!legacy && !Array.isArray(value)) {
      fail(ctx, 'wrong-type', `"${key}" is ${typeName(value)}, but version 1.0.0 has a list of entries with a "name"`,
        isObject(value) ? 'An object keyed by tensor name is the 0.6.1 layout: set "version" to "0.6.1".' : HINT_REEXPORT, key);
    }
    return { key, value };
  });

  const entries = sections.reduce((n, s) => n + (Array.isArray(s.value) ? s.value.length : Object.keys(s.value as JsonObject).length), 0);
  if (entries > maxEntries) {
    fail(ctx, 'limit', `has ${entries.toLocaleString('en-US')} tensor entries, over the ${maxEntries.toLocaleString('en-US')} limit`, 'Export only the part of the model you need to inspect.');
  }

  const [act, param] = sections.map((s) => (legacy ? readLegacySection(ctx, s.key, s.value as JsonObject) : readV1Section(ctx, s.key, s.value as Json[])));
  const result: AimetEncodings = { version, activations: act!, params: param!, warnings: [] };
  if (root.quantizer_args !== undefined) result.quantizerArgs = readQuantizerArgs(ctx, root.quantizer_args);
  if (root.excluded_layers !== undefined) result.excludedLayers = readStringList(ctx, root.excluded_layers, 'excluded_layers');
  result.warnings = notes.list();
  return result;
}

function size(chars: number): string {
  const MiB = 1024 * 1024;
  return chars < MiB ? `${chars.toLocaleString('en-US')} characters` : `${(chars / MiB).toFixed(chars < 10 * MiB ? 1 : 0)} MiB`;
}

function readVersion(ctx: { fileName: string }, root: JsonObject, notes: Notes): AimetVersion {
  const v = root.version;
  const supported = `Supported versions: ${SUPPORTED_AIMET_VERSIONS.join(', ')}.`;
  if (v === undefined) {
    notes.plain.push('The file has no "version"; read as 0.4.0, as AIMET does.');
    return '0.4.0';
  }
  if (typeof v !== 'string') fail(ctx, 'version', `"version" is ${typeName(v)}, not a string such as "1.0.0"`, supported, 'version');
  if (!(SUPPORTED_AIMET_VERSIONS as readonly string[]).includes(v)) {
    const later = v.startsWith('2.') ? ' Version 2.x (one "encodings" list with y_scale / y_zero_point) is not read yet; re-export with quantsim.encoding_version = \'1.0.0\'.' : '';
    fail(ctx, 'version', `has encoding version ${JSON.stringify(v)}, which QuantLens does not read`, `${supported}${later}`, 'version');
  }
  return v as AimetVersion;
}

/** Turns JSON.parse's complaint into a located one; finds the spot itself, as V8 does not always say. */
function jsonError(fileName: string, text: string, err: unknown): AimetEncodingsError {
  const raw = err instanceof Error ? err.message : String(err);
  let offset = findJsonError(text);
  if (offset === undefined) {
    const m = /position (\d+)/.exec(raw);
    if (m) offset = Number(m[1]);
  }
  if (offset === undefined) return new AimetEncodingsError('not-json', fileName, `is not valid JSON (${raw})`, 'Check that the file was saved completely.');
  const { line, column } = lineColumn(text, offset);
  const where = `line ${line}, column ${column}`;
  const bad = /^-?(NaN|Infinity)/.exec(text.slice(offset, offset + 10));
  if (bad) {
    return new AimetEncodingsError('not-json', fileName, `contains ${bad[0]} at ${where}, which Python's json module writes but JSON does not allow`,
      'A quantizer was probably never calibrated (no data reached it). Re-export after calibration, or disable that quantizer.');
  }
  if (offset >= text.length) {
    return new AimetEncodingsError('not-json', fileName, `is not valid JSON: it ends at ${where} before the JSON is complete`, 'The file looks cut short; copy or download it again.');
  }
  return new AimetEncodingsError('not-json', fileName, `is not valid JSON: unexpected ${JSON.stringify(text.slice(offset, offset + 12))} at ${where}`,
    'Fix the JSON syntax there (a missing comma or quote, or a trailing comma, is the usual cause).');
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) { line++; lineStart = i + 1; }
  }
  return { line, column: offset - lineStart + 1 };
}

class JsonStop {
  constructor(readonly at: number) {}
}

/** Offset of the first JSON syntax error in text, or undefined when it finds none (or nests too deep). */
function findJsonError(text: string): number | undefined {
  const n = text.length;
  let i = 0;
  const number = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  const ws = (): void => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) i++;
      else break;
    }
  };
  const str = (): void => {
    const start = i++;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 34) { i++; return; }
      if (c === 92) {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) throw new JsonStop(i);
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else throw new JsonStop(i);
      } else if (c < 0x20) throw new JsonStop(i);
      else i++;
    }
    throw new JsonStop(start);
  };
  const value = (): void => {
    ws();
    if (i >= n) throw new JsonStop(i);
    const c = text[i];
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      ws();
      if (text[i] === close) { i++; return; }
      for (;;) {
        if (c === '{') {
          ws();
          if (text[i] !== '"') throw new JsonStop(i);
          str();
          ws();
          if (text[i] !== ':') throw new JsonStop(i);
          i++;
        }
        value();
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === close) { i++; return; }
        throw new JsonStop(i);
      }
    }
    if (c === '"') return str();
    for (const lit of ['true', 'false', 'null']) {
      if (text.startsWith(lit, i)) { i += lit.length; return; }
    }
    number.lastIndex = i;
    if (number.exec(text) && number.lastIndex > i) { i = number.lastIndex; return; }
    throw new JsonStop(i);
  };
  try {
    value();
    ws();
    return i < n ? i : undefined;
  } catch (e) {
    if (e instanceof JsonStop) return e.at;
    return undefined; // too deep for the stack: report without a position
  }
}

// --- field readers -----------------------------------------------------------------------------

function readInt(ctx: Ctx, v: Json | undefined, path: string, what: string): number {
  if (v === undefined) fail(ctx, 'missing-key', `${what} is missing`, HINT_REEXPORT, path);
  if (typeof v !== 'number' || !Number.isInteger(v)) fail(ctx, typeof v === 'number' ? 'bad-value' : 'wrong-type', `${what} is ${typeName(v)}, not an integer`, HINT_REEXPORT, path);
  return v;
}

function readBool(ctx: Ctx, v: Json | undefined, path: string, what: string): boolean {
  if (v === true || v === false) return v;
  // 0.x files spell it "True"/"False"; accept either form in every version.
  if (typeof v === 'string' && /^(true|false)$/i.test(v)) return v.toLowerCase() === 'true';
  if (v === undefined) fail(ctx, 'missing-key', `${what} is missing`, HINT_REEXPORT, path);
  fail(ctx, 'wrong-type', `${what} is ${typeName(v)}, not true/false (or "True"/"False")`, HINT_REEXPORT, path);
}

function readString(ctx: Ctx, v: Json | undefined, path: string, what: string): string {
  if (v === undefined) fail(ctx, 'missing-key', `${what} is missing`, HINT_REEXPORT, path);
  if (typeof v !== 'string') fail(ctx, 'wrong-type', `${what} is ${typeName(v)}, not a string`, HINT_REEXPORT, path);
  return v;
}

function readStringList(ctx: Ctx, v: Json, path: string): string[] {
  if (!Array.isArray(v)) fail(ctx, 'wrong-type', `"${path}" is ${typeName(v)}, not a list of names`, HINT_REEXPORT, path);
  return v.map((x, i) => readString(ctx, x, `${path}[${i}]`, 'a layer name'));
}

/** A list of numbers; nested lists (some tools write [channels][blocks]) are flattened row-major. */
function readNumbers(ctx: Ctx, v: Json | undefined, path: string, what: string, name: string): number[] {
  if (v === undefined) fail(ctx, 'missing-key', `${what} is missing`, HINT_REEXPORT, path);
  if (typeof v === 'number') fail(ctx, 'wrong-type', `${what} is a single number, but version 1.0.0 stores a list`, `Write it as [${v}].`, path);
  if (!Array.isArray(v)) fail(ctx, 'wrong-type', `${what} is ${typeName(v)}, not a list of numbers`, HINT_REEXPORT, path);
  if (v.some(Array.isArray)) {
    ctx.notes.add('nested', name, (n, ex) => `${n} list${n > 1 ? 's' : ''} (e.g. in ${ex}) were nested; flattened channel-major, as AIMET's flat layout expects.`);
    v = (v as Json[]).flat(8);
  }
  const out = new Array<number>(v.length);
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (typeof x !== 'number') fail(ctx, 'wrong-type', `${what} holds ${typeName(x)}`, HINT_REEXPORT, `${path}[${i}]`);
    out[i] = x;
  }
  return out;
}

function checkScale(ctx: Ctx, s: number, path: string): void {
  if (!Number.isFinite(s) || s <= 0) {
    fail(ctx, 'bad-value', `scale ${s} is not a positive finite number`, 'A zero or negative scale means the quantizer saw a constant or no data; re-calibrate, or keep that tensor in float.', path);
  }
}

function checkBitwidth(ctx: Ctx, bw: number, path: string): void {
  if (bw < 2 || bw > 32) fail(ctx, 'bad-value', `bitwidth ${bw} is outside 2..32`, 'AIMET integer encodings use 4 to 32 bits (2-bit weights in practice).', path);
}

function dtypeFor(signed: boolean, bitwidth: number): QuantDType {
  const bits = bitwidth <= 8 ? 8 : bitwidth <= 16 ? 16 : 32;
  return `${signed ? 'int' : 'uint'}${bits}` as QuantDType;
}

interface RawInt {
  bw: number;
  sym: boolean;
  scale: number[];
  offset: number[];
  /** 0.x only: every channel's min is >= 0, which marks AIMET's unsigned-symmetric mode. */
  nonNegativeMin?: boolean;
}

/** QNN scale/offset -> ONNX dtype/scale/zero point, under the signedness rule in the file header. */
function toQuant(ctx: Ctx, raw: RawInt, offsetPath: (i: number) => string): Pick<QuantEncoding, 'dtype' | 'bitwidth' | 'scale' | 'zeroPoint' | 'origin'> {
  const { bw, sym, scale, offset } = raw;
  const signedOffset = -(2 ** (bw - 1));
  const allZero = offset.every((o) => o === 0);
  const signed = sym && offset.every((o) => o === signedOffset || o === 0) && !(allZero && raw.nonNegativeMin);
  if (signed) return { dtype: dtypeFor(true, bw), bitwidth: bw, scale, zeroPoint: offset.map(() => 0), origin: ctx.origin };
  const qmax = 2 ** bw - 1;
  const zeroPoint = offset.map((o, i) => {
    if (o > 0 || o < -qmax) {
      fail(ctx, 'bad-value', `offset ${o} puts the zero point outside the ${bw}-bit range (offset must be in [${-qmax}, 0])`,
        'AIMET always keeps zero inside the range; the file was edited or written by another tool. Fix the offset, or the min/max it came from.', offsetPath(i));
    }
    return 0 - o; // 0 - o, not -o: never a -0 zero point
  });
  return { dtype: dtypeFor(false, bw), bitwidth: bw, scale, zeroPoint, origin: ctx.origin };
}

function floatEncoding(ctx: Ctx, bw: number, path: string): FloatEncoding {
  if (bw !== 16 && bw !== 32) fail(ctx, 'unsupported', `float bitwidth ${bw} is not supported`, 'QNN HTP keeps float tensors in 16 or 32 bits; use 16 or 32.', path);
  return { dtype: 'float', bitwidth: bw, origin: ctx.origin };
}

// --- 0.4.0 .. 0.6.1 ------------------------------------------------------------------------------

function readLegacySection(ctx: Ctx, key: string, section: JsonObject): Map<string, TensorEncoding> {
  const out = new Map<string, TensorEncoding>();
  for (const name of Object.keys(section)) {
    const path = `${key}[${JSON.stringify(name)}]`;
    out.set(name, readLegacyTensor(ctx, name, section[name]!, path));
  }
  return out;
}

function readLegacyTensor(ctx: Ctx, name: string, value: Json, path: string): TensorEncoding {
  if (!Array.isArray(value)) {
    fail(ctx, 'wrong-type', `the encoding of ${JSON.stringify(name)} is ${typeName(value)}, not a list of encodings`,
      isObject(value) ? 'Wrap it in a list: [ { ... } ] (one element per tensor, one per channel for per-channel).' : HINT_REEXPORT, path);
  }
  if (value.length === 0) fail(ctx, 'bad-value', `the encoding list of ${JSON.stringify(name)} is empty`, 'Give at least one encoding, or remove the tensor.', path);

  const items = value.map((item, i) => {
    const p = `${path}[${i}]`;
    if (!isObject(item)) fail(ctx, 'wrong-type', `an encoding of ${JSON.stringify(name)} is ${typeName(item)}, not an object`, HINT_REEXPORT, p);
    const dtype = item.dtype === undefined ? 'int' : readString(ctx, item.dtype, `${p}.dtype`, '"dtype"').toLowerCase();
    if (dtype !== 'int' && dtype !== 'float') fail(ctx, 'bad-value', `"dtype" is ${JSON.stringify(item.dtype)}, not "int" or "float"`, HINT_REEXPORT, `${p}.dtype`);
    const bw = readInt(ctx, item.bitwidth, `${p}.bitwidth`, '"bitwidth"');
    return { item, p, dtype, bw };
  });

  const first = items[0]!;
  for (const it of items) {
    if (it.dtype !== first.dtype || it.bw !== first.bw) {
      fail(ctx, 'bad-value', `channel ${items.indexOf(it)} of ${JSON.stringify(name)} is ${it.dtype} ${it.bw}-bit but channel 0 is ${first.dtype} ${first.bw}-bit`,
        'All channels of one tensor share dtype and bitwidth.', `${it.p}.${it.dtype !== first.dtype ? 'dtype' : 'bitwidth'}`);
    }
  }
  if (first.dtype === 'float') return floatEncoding(ctx, first.bw, `${first.p}.bitwidth`);
  checkBitwidth(ctx, first.bw, `${first.p}.bitwidth`);

  let sym: boolean | undefined;
  let nonNegativeMin = true;
  const scale: number[] = [];
  const offset: number[] = [];
  for (const { item, p } of items) {
    let s: boolean;
    if (item.is_symmetric === undefined) {
      ctx.notes.add('no-sym', name, (n, ex) => `${n} encoding${n > 1 ? 's' : ''} (e.g. ${ex}) had no "is_symmetric"; read as "False", as QNN's converter does.`);
      s = false;
    } else s = readBool(ctx, item.is_symmetric, `${p}.is_symmetric`, '"is_symmetric"');
    if (sym === undefined) sym = s;
    else if (s !== sym) fail(ctx, 'bad-value', `channels of ${JSON.stringify(name)} disagree on "is_symmetric"`, 'All channels of one tensor are symmetric or none is.', `${p}.is_symmetric`);
    if (item.scale === undefined && item.min !== undefined) {
      fail(ctx, 'missing-key', '"scale" and "offset" are missing (only min/max given)', 'QuantLens reads scale and offset, as AIMET exports them; add them (scale = (max - min) / (2^bitwidth - 1), offset = round(min / scale)).', `${p}.scale`);
    }
    if (item.scale === undefined) fail(ctx, 'missing-key', '"scale" is missing', HINT_REEXPORT, `${p}.scale`);
    if (typeof item.scale !== 'number') fail(ctx, 'wrong-type', `"scale" is ${typeName(item.scale)}, not a number`, HINT_REEXPORT, `${p}.scale`);
    checkScale(ctx, item.scale, `${p}.scale`);
    scale.push(item.scale);
    offset.push(readInt(ctx, item.offset, `${p}.offset`, '"offset"'));
    const min = item.min;
    if (min !== undefined && typeof min !== 'number') fail(ctx, 'wrong-type', `"min" is ${typeName(min)}, not a number`, HINT_REEXPORT, `${p}.min`);
    if (item.max !== undefined && typeof item.max !== 'number') fail(ctx, 'wrong-type', `"max" is ${typeName(item.max)}, not a number`, HINT_REEXPORT, `${p}.max`);
    // min is float32-rounded in AIMET's files; anything above -scale/2 is "zero".
    if (typeof min !== 'number' || min < -item.scale / 2) nonNegativeMin = false;
  }

  const q = toQuant(ctx, { bw: first.bw, sym: sym!, scale, offset, nonNegativeMin }, (i) => `${items[i]!.p}.offset`);
  if (items.length === 1) return { ...q, granularity: 'per-tensor' };
  ctx.notes.add('axis', name, (n, ex) =>
    `${n} per-channel encoding${n > 1 ? 's' : ''} (e.g. ${ex}) carry no channel axis in a ${ctx.version} file; the axis is left for the consuming op to decide (its output-channel dimension).`);
  return { ...q, granularity: 'per-channel' };
}

// --- 1.0.0 --------------------------------------------------------------------------------------

const ENC_TYPES = ['PER_TENSOR', 'PER_CHANNEL', 'PER_BLOCK', 'LPBQ'] as const;
type EncType = (typeof ENC_TYPES)[number];

function readV1Section(ctx: Ctx, key: string, list: Json[]): Map<string, TensorEncoding> {
  const out = new Map<string, TensorEncoding>();
  const where = new Map<string, number>();
  list.forEach((entry, i) => {
    const path = `${key}[${i}]`;
    if (!isObject(entry)) fail(ctx, 'wrong-type', `entry ${i} is ${typeName(entry)}, not an object`, HINT_REEXPORT, path);
    const name = readString(ctx, entry.name, `${path}.name`, '"name"');
    if (name === '') fail(ctx, 'bad-value', '"name" is empty', 'Every entry names the tensor it quantizes.', `${path}.name`);
    const prev = where.get(name);
    if (prev !== undefined) fail(ctx, 'duplicate', `tensor ${JSON.stringify(name)} appears twice (entries ${prev} and ${i})`, 'Keep one entry per tensor.', `${path}.name`);
    where.set(name, i);
    out.set(name, readV1Entry(ctx, name, entry, path));
  });
  return out;
}

function readV1Entry(ctx: Ctx, name: string, e: JsonObject, path: string): TensorEncoding {
  const dtypeRaw = readString(ctx, e.dtype, `${path}.dtype`, '"dtype"');
  const dtype = dtypeRaw.toUpperCase();
  if (dtype !== 'INT' && dtype !== 'FLOAT' && dtype !== 'FP') {
    fail(ctx, 'bad-value', `"dtype" is ${JSON.stringify(dtypeRaw)}, not "INT" or "FLOAT"`, HINT_REEXPORT, `${path}.dtype`);
  }
  const bw = readInt(ctx, e.bw, `${path}.bw`, '"bw"');
  if (dtype !== 'INT') return floatEncoding(ctx, bw, `${path}.bw`);

  const encTypeRaw = readString(ctx, e.enc_type, `${path}.enc_type`, '"enc_type"');
  if (encTypeRaw === 'VECTOR') {
    fail(ctx, 'unsupported', `${JSON.stringify(name)} uses vector quantization (enc_type VECTOR)`, 'QNN HTP cannot run vector-quantized tensors and QuantLens does not read them; use PER_BLOCK or LPBQ.', `${path}.enc_type`);
  }
  if (!(ENC_TYPES as readonly string[]).includes(encTypeRaw)) {
    fail(ctx, 'bad-value', `"enc_type" is ${JSON.stringify(encTypeRaw)}`, `Use one of ${ENC_TYPES.join(', ')}.`, `${path}.enc_type`);
  }
  const encType = encTypeRaw as EncType;
  checkBitwidth(ctx, bw, `${path}.bw`);
  const sym = readBool(ctx, e.is_sym, `${path}.is_sym`, '"is_sym"');
  const scale = readNumbers(ctx, e.scale, `${path}.scale`, '"scale"', name);
  const offset = readNumbers(ctx, e.offset, `${path}.offset`, '"offset"', name);
  scale.forEach((s, i) => checkScale(ctx, s, `${path}.scale[${i}]`));
  offset.forEach((o, i) => {
    if (!Number.isInteger(o)) fail(ctx, 'bad-value', `offset ${o} is not an integer`, HINT_REEXPORT, `${path}.offset[${i}]`);
  });
  if (scale.length === 0) fail(ctx, 'length-mismatch', '"scale" is empty', 'Give one scale per tensor, channel or block.', `${path}.scale`);
  if (offset.length !== scale.length) {
    fail(ctx, 'length-mismatch', `"offset" has ${offset.length} values but "scale" has ${scale.length}`, 'Give one offset per scale.', `${path}.offset`);
  }
  if (encType === 'PER_TENSOR' && scale.length !== 1) {
    fail(ctx, 'length-mismatch', `a PER_TENSOR entry has ${scale.length} scales`, 'Give exactly one scale, or mark the entry PER_CHANNEL.', `${path}.scale`);
  }

  const q = toQuant(ctx, { bw, sym, scale, offset }, (i) => `${path}.offset[${i}]`);
  if (encType === 'PER_TENSOR') return { ...q, granularity: 'per-tensor' };
  if (encType === 'PER_CHANNEL') return { ...q, granularity: 'per-channel' };

  const blockSize = readInt(ctx, e.block_size, `${path}.block_size`, `"block_size" (required for ${encType})`);
  if (blockSize < 1) fail(ctx, 'bad-value', `"block_size" is ${blockSize}`, 'The block size is a positive count of input channels.', `${path}.block_size`);
  if (encType === 'PER_BLOCK') return { ...q, granularity: 'per-block', blockSize };

  const cbw = readInt(ctx, e.compressed_bw, `${path}.compressed_bw`, '"compressed_bw" (required for LPBQ)');
  if (cbw < 1 || cbw >= bw) {
    fail(ctx, 'bad-value', `"compressed_bw" ${cbw} is not below "bw" ${bw}`, 'LPBQ stores weights in compressed_bw bits (e.g. 4) and expands them to bw bits (e.g. 8).', `${path}.compressed_bw`);
  }
  const ints = readNumbers(ctx, e.per_block_int_scale, `${path}.per_block_int_scale`, '"per_block_int_scale"', name);
  if (ints.length === 0 || ints.length % scale.length !== 0) {
    fail(ctx, 'length-mismatch', `"per_block_int_scale" has ${ints.length} values, not a multiple of the ${scale.length} channels`,
      'LPBQ has one integer scale per block: channels x (input channels / block_size) values, channel-major.', `${path}.per_block_int_scale`);
  }
  const maxInt = 2 ** (bw - cbw);
  ints.forEach((v, i) => {
    if (!Number.isInteger(v) || v < 1 || v > maxInt) {
      fail(ctx, 'bad-value', `per-block integer scale ${v} is outside [1, ${maxInt}] (2^(bw - compressed_bw) for ${bw}/${cbw})`,
        'The per-channel scale should be the largest block scale / 2^(bw - compressed_bw), so every block\'s integer scale lands in that range; re-export from AIMET.', `${path}.per_block_int_scale[${i}]`);
    }
  });
  return { ...q, granularity: 'lpbq', blockSize, compressedBitwidth: cbw, perBlockIntScale: ints };
}

// --- quantizer_args -----------------------------------------------------------------------------

function readQuantizerArgs(ctx: Ctx, v: Json): AimetQuantizerArgs {
  if (!isObject(v)) fail(ctx, 'wrong-type', `"quantizer_args" is ${typeName(v)}, not an object`, HINT_REEXPORT, 'quantizer_args');
  const p = (k: string): string => `quantizer_args.${k}`;
  const out: AimetQuantizerArgs = {};
  for (const [k, x] of Object.entries(v)) {
    switch (k) {
      case 'activation_bitwidth': out.activationBitwidth = readInt(ctx, x, p(k), `"${k}"`); break;
      case 'param_bitwidth': out.paramBitwidth = readInt(ctx, x, p(k), `"${k}"`); break;
      case 'dtype': out.dtype = readString(ctx, x, p(k), `"${k}"`); break;
      case 'quant_scheme': out.quantScheme = readString(ctx, x, p(k), `"${k}"`); break;
      case 'is_symmetric': out.isSymmetric = readBool(ctx, x, p(k), `"${k}"`); break;
      case 'per_channel_quantization': out.perChannelQuantization = readBool(ctx, x, p(k), `"${k}"`); break;
      default:
        ctx.notes.add('qargs', k, (n, ex) => `Ignored ${n} unknown quantizer_args key${n > 1 ? 's' : ''} (e.g. ${ex}).`);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

const WRITE_FILE = '(encodings export)';

/**
 * Serializes encodings as an AIMET `.encodings` file, the inverse of {@link parseAimetEncodings}:
 * `parseAimetEncodings(writeAimetEncodings(x, v))` gives back `x` for everything version `v` can
 * express. What it cannot: neither version stores an axis (dropped); 0.6.1 has no per-block or
 * LPBQ (throws, naming the tensor) and no one-channel per-channel (reads back per-tensor); neither has a
 * signed zero point other than 0, so a signed asymmetric encoding is written on the unsigned grid
 * (same real values, reads back unsigned); 4-bit containers (`int4`/`uint4`) read back as
 * 8-bit containers with bitwidth 4.
 *
 * @example
 * const text = writeAimetEncodings({ activations, params }, '1.0.0');
 */
export function writeAimetEncodings(enc: AimetEncodingsInput, version: '1.0.0' | '0.6.1'): string {
  try {
    return version === '1.0.0' ? writeV1(enc) : writeLegacy(enc);
  } catch (err) {
    if (err instanceof AimetEncodingsError) throw err;
    const why = err instanceof Error ? err.message : String(err);
    throw new AimetEncodingsError('internal', WRITE_FILE, `could not be written (${why})`, 'This is a QuantLens bug; please report it.');
  }
}

const wctx = { fileName: WRITE_FILE };

/** The QNN form of a quantized encoding: symmetric flag and offsets on the unsigned grid. */
function qnnForm(name: string, e: QuantEncoding, path: string): { sym: boolean; offset: number[] } {
  const bw = e.bitwidth;
  if (!Number.isInteger(bw) || bw < 2 || bw > 32 || bw > containerBits(e.dtype)) {
    fail(wctx, 'bad-value', `${JSON.stringify(name)} has bitwidth ${bw}, which does not fit its ${e.dtype} container`, 'Use a bitwidth from 2 up to the container size.', path);
  }
  if (e.scale.length === 0 || e.scale.length !== e.zeroPoint.length) {
    fail(wctx, 'length-mismatch', `${JSON.stringify(name)} has ${e.scale.length} scales and ${e.zeroPoint.length} zero points`, 'Give one zero point per scale.', path);
  }
  if (e.granularity === 'per-tensor' && e.scale.length !== 1) {
    fail(wctx, 'length-mismatch', `${JSON.stringify(name)} is per-tensor with ${e.scale.length} scales`, 'Use per-channel for several scales.', path);
  }
  e.scale.forEach((s) => {
    if (!Number.isFinite(s) || s <= 0) fail(wctx, 'bad-value', `${JSON.stringify(name)} has scale ${s}`, 'Scales must be positive and finite.', path);
  });
  e.zeroPoint.forEach((z) => {
    if (!Number.isInteger(z)) fail(wctx, 'bad-value', `${JSON.stringify(name)} has zero point ${z}`, 'Zero points are integers.', path);
  });
  const half = 2 ** (bw - 1);
  if (isSigned(e.dtype)) {
    if (e.zeroPoint.every((z) => z === 0)) return { sym: true, offset: e.zeroPoint.map(() => -half) };
    // Signed with a non-zero zero point: same grid shifted onto AIMET's unsigned one.
    return { sym: false, offset: e.zeroPoint.map((z) => 0 - (z + half)) };
  }
  return { sym: false, offset: e.zeroPoint.map((z) => 0 - z) };
}

function checkBlocked(name: string, e: QuantEncoding, path: string): number {
  const bs = e.blockSize;
  if (bs === undefined || !Number.isInteger(bs) || bs < 1) {
    fail(wctx, 'missing-key', `${JSON.stringify(name)} is ${e.granularity} without a positive integer blockSize`, 'Set blockSize on per-block and LPBQ encodings.', path);
  }
  return bs;
}

function writeV1Entry(name: string, e: TensorEncoding, path: string): Record<string, unknown> {
  if (isFloatEncoding(e)) return { name, dtype: 'FLOAT', enc_type: 'PER_TENSOR', bw: e.bitwidth };
  const { sym, offset } = qnnForm(name, e, path);
  const encType = { 'per-tensor': 'PER_TENSOR', 'per-channel': 'PER_CHANNEL', 'per-block': 'PER_BLOCK', lpbq: 'LPBQ' }[e.granularity];
  const out: Record<string, unknown> = { name, dtype: 'INT', enc_type: encType, bw: e.bitwidth, is_sym: sym, scale: e.scale, offset };
  if (e.granularity === 'per-block' || e.granularity === 'lpbq') out.block_size = checkBlocked(name, e, path);
  if (e.granularity === 'lpbq') {
    const cbw = e.compressedBitwidth;
    const ints = e.perBlockIntScale;
    if (cbw === undefined || ints === undefined || ints.length === 0 || ints.length % e.scale.length !== 0) {
      fail(wctx, 'missing-key', `LPBQ encoding ${JSON.stringify(name)} lacks compressedBitwidth or a perBlockIntScale whose length is a multiple of its ${e.scale.length} channels`, 'Set both on LPBQ encodings.', path);
    }
    out.compressed_bw = cbw;
    out.per_block_int_scale = ints;
  }
  return out;
}

function writeV1(enc: AimetEncodingsInput): string {
  const section = (key: string, m: ReadonlyMap<string, TensorEncoding>): Record<string, unknown>[] =>
    [...m].map(([name, e], i) => writeV1Entry(name, e, `${key}[${i}]`));
  const root: Array<[string, unknown]> = [
    ['version', '1.0.0'],
    ['activation_encodings', section('activation_encodings', enc.activations)],
    ['param_encodings', section('param_encodings', enc.params)],
  ];
  if (enc.quantizerArgs) root.push(['quantizer_args', quantizerArgsOut(enc.quantizerArgs, false)]);
  if (enc.excludedLayers) root.push(['excluded_layers', [...enc.excludedLayers]]);
  return `${pretty(new Ordered(root), '')}\n`;
}

function writeLegacyTensor(name: string, e: TensorEncoding, path: string): Record<string, unknown>[] {
  if (isFloatEncoding(e)) return [{ bitwidth: e.bitwidth, dtype: 'float' }];
  if (e.granularity === 'per-block' || e.granularity === 'lpbq') {
    fail(wctx, 'unsupported', `${JSON.stringify(name)} is ${e.granularity === 'lpbq' ? 'LPBQ' : 'per-block'}, which version 0.6.1 cannot express`, 'Export with version 1.0.0.', path);
  }
  const { sym, offset } = qnnForm(name, e, path);
  const steps = 2 ** e.bitwidth - 1;
  return e.scale.map((s, i) => {
    const o = offset[i]!;
    // Keys in AIMET's (sorted) order; min/max are what scale/offset imply on the unsigned grid.
    return { bitwidth: e.bitwidth, dtype: 'int', is_symmetric: sym ? 'True' : 'False', max: (o + steps) * s, min: o * s, offset: o, scale: s };
  });
}

function writeLegacy(enc: AimetEncodingsInput): string {
  const section = (key: string, m: ReadonlyMap<string, TensorEncoding>): Ordered =>
    new Ordered([...m].map(([name, e]) => [name, writeLegacyTensor(name, e, `${key}[${JSON.stringify(name)}]`)]));
  const root: Array<[string, unknown]> = [
    ['version', '0.6.1'],
    ['activation_encodings', section('activation_encodings', enc.activations)],
    ['param_encodings', section('param_encodings', enc.params)],
  ];
  if (enc.quantizerArgs) root.push(['quantizer_args', quantizerArgsOut(enc.quantizerArgs, true)]);
  if (enc.excludedLayers) root.push(['excluded_layers', [...enc.excludedLayers]]);
  return `${pretty(new Ordered(root), '')}\n`;
}

function quantizerArgsOut(a: AimetQuantizerArgs, legacy: boolean): Record<string, unknown> {
  const b = (x: boolean): boolean | string => (legacy ? (x ? 'True' : 'False') : x);
  const out: Record<string, unknown> = {};
  if (a.activationBitwidth !== undefined) out.activation_bitwidth = a.activationBitwidth;
  if (a.dtype !== undefined) out.dtype = a.dtype;
  if (a.isSymmetric !== undefined) out.is_symmetric = b(a.isSymmetric);
  if (a.paramBitwidth !== undefined) out.param_bitwidth = a.paramBitwidth;
  if (a.perChannelQuantization !== undefined) out.per_channel_quantization = b(a.perChannelQuantization);
  if (a.quantScheme !== undefined) out.quant_scheme = a.quantScheme;
  return out;
}

/** An object whose key order must survive (a plain object puts integer-like tensor names first). */
class Ordered {
  constructor(readonly entries: Array<[string, unknown]>) {}
}

/** JSON with 4-space indents like AIMET's, but number lists on one line so per-channel files stay readable. */
function pretty(v: unknown, indent: string): string {
  const inner = `${indent}    `;
  if (v instanceof Ordered || (typeof v === 'object' && v !== null && !Array.isArray(v))) {
    const entries = v instanceof Ordered ? v.entries : Object.entries(v);
    if (entries.length === 0) return '{}';
    return `{\n${entries.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${pretty(x, inner)}`).join(',\n')}\n${indent}}`;
  }
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    if (v.every((x) => typeof x !== 'object' || x === null)) return `[${v.map((x) => JSON.stringify(x)).join(', ')}]`;
    return `[\n${v.map((x) => `${inner}${pretty(x, inner)}`).join(',\n')}\n${indent}]`;
  }
  return JSON.stringify(v);
}
