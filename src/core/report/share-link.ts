/**
 * Share links: everything needed to reproduce a validation run, carried in the URL fragment (so
 * it never reaches a server) as a versioned, compressed payload:
 *
 *     https://host/app/#s=1.<base64url(deflate-raw(JSON))>
 *
 * The version sits before the dot, readable without decompressing, so a reader can refuse a link
 * from a newer QuantLens with a precise message. Each version has its own decoder and a frozen
 * schema; a decoded payload is upgraded step by step to the latest version. Any change to the
 * payload, additions included, bumps the version: decoders refuse unknown fields, because a
 * field this QuantLens cannot honour would silently change what "reproduce the run" means.
 *
 * Links come from strangers, so decoding is defensive: the fragment length, the inflated size
 * (checked while streaming, aborting as soon as the cap is passed) and every string are capped,
 * every field is validated, characters that could disguise text (control and bidi characters)
 * are refused, model URLs must be plain http(s), and override patterns that could backtrack
 * catastrophically are refused. Strings are data: the UI renders them as text, never as HTML.
 *
 * Versions: 1 (the first); 2 adds the deployment `flow` to the settings (v1 links upgrade to
 * `qnn`, the only flow there was) and each snapshot finding's `outcome` under it. To add version
 * 3: freeze the v2 schema as it is, add `SharePayloadV3` and its schema, a `DECODERS[3]`, an
 * `UPGRADES[2]`, point `SharePayload` at v3, and commit v3 fixture links beside the older ones
 * (which must keep decoding).
 */
import { MAX_LINK_PAYLOAD_BYTES } from '../model/limits';
import { BACKENDS } from '../../../rules/registry';
import type { Flow, Outcome } from '../../../rules/types';
import type { Severity, Verdict } from '../check/finding';
import { checkSchema, type Schema } from '../schema/json-schema';
import type { CheckReport } from './check-report';

/** The version `encodeShareLink` writes and the highest this QuantLens reads. */
export const SHARE_LINK_VERSION = 2;
/** The fragment parameter holding the payload: `#s=<version>.<body>`. */
export const SHARE_PARAM = 's';
/** Longest fragment (after `#`) accepted or produced: 64 Ki characters. */
export const MAX_FRAGMENT_CHARS = MAX_LINK_PAYLOAD_BYTES;
/** Largest decompressed payload accepted or produced: 1 MiB of JSON. */
export const MAX_INFLATED_BYTES = 1024 * 1024;
/** Most findings a snapshot carries; `snapshot.total` records how many there were. */
export const MAX_SNAPSHOT_FINDINGS = 2000;

/** Length caps (UTF-16 code units) and count caps of payload fields. */
export const SHARE_LIMITS = {
  /** Model file name. */
  name: 255,
  url: 2048,
  soc: 64,
  /** Quant config name, e.g. `16a4w_block`. */
  config: 32,
  overrides: 256,
  /** Override pattern (a regular expression over node names). */
  pattern: 512,
  /** Node names: the selected node, snapshot findings' nodes. */
  node: 1024,
  port: 64,
  rule: 48,
  arch: 32,
  message: 1000,
  /** A finding's expected and actual. */
  detail: 300,
  filterText: 200,
  filterRules: 32,
  /** Calibration samples: the receiver runs them, so a link cannot ask for a day of work. */
  samples: 4096,
  /** Model size in bytes (1 PiB). */
  size: 2 ** 50,
  count: 10_000_000,
} as const;

/** Backends a link may name (the rule-pack registry's). */
export type ShareBackend = (typeof BACKENDS)[number];

/** A per-node override: nodes whose name matches `pattern` (a regular expression) use `config` (or `float`). */
export interface ShareOverride {
  pattern: string;
  config: string;
}

/** How the sender calibrated: `files` means the receiver must supply the same sample files. */
export interface ShareCalibration {
  mode: 'random' | 'files';
  samples: number;
  seed: number;
}

/** What the run used: the toolbar's settings plus quantization choices. */
export interface ShareSettingsV1 {
  backend: ShareBackend;
  soc: string;
  strict: boolean;
  /** Quant config name, e.g. `8a8w`, `16a16w`. */
  config?: string;
  overrides?: ShareOverride[];
  calibration?: ShareCalibration;
}

/** Version 2 settings: the deployment flow the outcomes were predicted for. */
export interface ShareSettings extends ShareSettingsV1 {
  flow: Flow;
}

/** The model's identity; `url` only when it was opened from an http(s) address. */
export interface ShareModel {
  name: string;
  size: number;
  /** Lowercase hex, 64 digits. */
  sha256: string;
  url?: string;
}

/** What the sender was looking at, so the receiver lands on the same place. */
export interface ShareView {
  /** Name of the selected node. */
  selected?: string;
  filters?: { severity?: Severity[]; rule?: string[]; text?: string };
}

/** A finding, compact: what the receiver needs to read it, not to re-derive it. */
export interface ShareFinding {
  rule: string;
  severity: Severity;
  node: string;
  port: string;
  message: string;
  expected: string;
  actual: string;
  /** Version 2: what happens to the node under the sender's flow. */
  outcome?: Outcome;
}

/** The sender's result, for a receiver who does not have the model yet. */
export interface ShareSnapshot {
  verdict: Verdict;
  counts: Record<Severity, number>;
  soc: string;
  arch: string;
  /** Findings the run produced; more than `findings.length` when the snapshot was trimmed. */
  total: number;
  /** The first findings, at most `MAX_SNAPSHOT_FINDINGS`, in the order the sender listed them. */
  findings: ShareFinding[];
}

/** Payload version 1, as written in the fragment `s=1.…` (schema `SHARE_PAYLOAD_V1_SCHEMA`). */
export interface SharePayloadV1 {
  v: 1;
  settings: ShareSettingsV1;
  model: ShareModel;
  view?: ShareView;
  snapshot?: ShareSnapshot;
}

/** Payload version 2 (`s=2.…`): v1 plus `settings.flow` and snapshot finding outcomes. */
export interface SharePayloadV2 extends Omit<SharePayloadV1, 'v' | 'settings'> {
  v: 2;
  settings: ShareSettings;
}

/** The latest payload version. */
export type SharePayload = SharePayloadV2;

/** What kind of problem a link has; stable, for tests and for the UI to choose wording. */
export type ShareLinkErrorCode =
  | 'no-payload' // the fragment has no `s=` parameter
  | 'malformed' // `s=` is not `<version>.<body>`
  | 'too-long' // the fragment is over MAX_FRAGMENT_CHARS
  | 'future-version' // made by a newer QuantLens
  | 'unknown-version' // a version that never existed
  | 'bad-base64'
  | 'bad-compression'
  | 'too-large' // inflates past MAX_INFLATED_BYTES
  | 'bad-json' // not UTF-8 or not JSON
  | 'version-mismatch' // prefix and payload disagree
  | 'invalid-field' // a field fails the schema (path in `path`)
  | 'bad-url' // model URL is not plain http(s)
  | 'inconsistent'; // snapshot counts, total and verdict disagree

/**
 * Why a link cannot be decoded (or made): `problem` says what is wrong, `hint` what to do;
 * `message` is both, ready to show as text.
 */
export class ShareLinkError extends Error {
  override readonly name = 'ShareLinkError';
  constructor(readonly code: ShareLinkErrorCode, readonly problem: string, readonly hint: string, readonly path?: string) {
    super(`${problem}. ${hint}`);
  }
}

const ASK_SENDER = 'Ask the sender to copy the link again; it may have been cut or altered on the way';
const fmt = (n: number) => n.toLocaleString('en-US');

// ---------------------------------------------------------------------------------------------
// Schema, version 1. Frozen: a change of any kind is a new version with its own schema.

const NAME_CHARS = { type: 'string', minLength: 1 } as const;
const CONFIG = { type: 'string', minLength: 1, maxLength: SHARE_LIMITS.config, pattern: '^[a-z0-9][a-z0-9_]*$' } as const;
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
            rule: { type: 'array', maxItems: SHARE_LIMITS.filterRules, items: { type: 'string', maxLength: SHARE_LIMITS.rule, pattern: '^[a-z0-9][a-z0-9-]*$' } },
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
        counts: { type: 'object', required: ['error', 'warning', 'info'], additionalProperties: false, properties: { error: COUNT, warning: COUNT, info: COUNT } },
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
  s.properties.snapshot.properties.findings.items.properties.outcome = { enum: ['rejected', 'cpu-fallback', 'auto-fixed', 'slower', 'advice'] };
  return s as unknown as Schema;
})();

/** Plainer words for pattern failures, keyed by path with array indices removed. */
const PATTERN_WORDS: Record<string, string> = {
  'model.sha256': 'must be the file\'s SHA-256 as 64 lowercase hex digits',
  'settings.soc': 'must be a SoC model name such as SM8650 (letters, digits, _ . + -)',
  'settings.config': 'must be a quant config name such as 8a8w or 16a4w_block (lowercase letters, digits, _)',
  'settings.overrides[].config': 'must be a quant config name such as 8a8w, or float',
  'view.filters.rule[]': 'must be a rule id such as per-channel (lowercase letters, digits, -)',
  'snapshot.findings[].rule': 'must be a rule id such as per-channel (lowercase letters, digits, -)',
};

// Control characters hide text; bidi overrides and isolates make "evil\u202Exnno.onnx" read
// as "evil" + "onnx.exe" backwards. Tabs and newlines are allowed in messages only.
const FORBIDDEN_ANYWHERE = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;
const FORBIDDEN_IN_NAMES = /[\t\n]/u;
const MULTILINE_FIELDS = /^snapshot\.findings\[\d+\]\.(message|expected|actual)$/;

function join(path: string, key: string | number): string {
  return typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key;
}

/**
 * The first key that names something on Object.prototype (`__proto__`, `constructor`, ...).
 * `checkSchema` looks properties up in a plain object, where such keys find the prototype's
 * members instead of "unknown field", so they are refused here first.
 */
function findPrototypeKey(value: unknown, path = ''): string | undefined {
  if (!value || typeof value !== 'object') return undefined;
  for (const [k, v] of Object.entries(value)) {
    const here = Array.isArray(value) ? join(path, Number(k)) : join(path, k);
    if (!Array.isArray(value) && k in Object.prototype) return here;
    const hit = findPrototypeKey(v, here);
    if (hit) return hit;
  }
  return undefined;
}

/** The first string (depth first) holding a character that could disguise text, with its path. */
function findDisguise(value: unknown, path = ''): { path: string; char: string } | undefined {
  if (typeof value === 'string') {
    const m = FORBIDDEN_ANYWHERE.exec(value) ?? (MULTILINE_FIELDS.test(path) ? null : FORBIDDEN_IN_NAMES.exec(value));
    return m ? { path, char: m[0] } : undefined;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const hit = findDisguise(value[i], join(path, i));
      if (hit) return hit;
    }
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const hit = findDisguise(v, join(path, k));
      if (hit) return hit;
    }
  }
  return undefined;
}

const codePoint = (c: string) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

/** Why `url` is not an acceptable model URL, or undefined when it is. */
export function modelUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `is not an absolute URL (${JSON.stringify(url.slice(0, 60))})`;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return `must be an http or https address; "${parsed.protocol}" addresses are refused`;
  if (parsed.username || parsed.password) return 'must not carry a user name or password (an address like https://trusted@other.host/ hides where it really goes)';
  return undefined;
}

/**
 * Why an override pattern is unsafe to run, or undefined. It must compile, and must not repeat a
 * group that itself repeats (`(a+)+`, `(\w*)*`), the shape behind catastrophic backtracking:
 * a linked model's node names and the pattern both come from the sender.
 */
export function overridePatternProblem(pattern: string): string | undefined {
  try {
    new RegExp(pattern); // as the annotator compiles it (src/core/quant/plan.ts)
  } catch (err) {
    return `is not a valid regular expression (${(err as Error).message})`;
  }
  // Per open group: does its body repeat without bound? `groupBefore` is set right after a
  // group closes, to that group's answer, for the quantifier that may follow it.
  const stack: boolean[] = [];
  let groupBefore = false;
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (inClass) {
      if (c === '\\') i++;
      else if (c === ']') inClass = false;
      continue;
    }
    const brace = c === '{' ? /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i)) : null;
    const unbounded = c === '*' || c === '+' || (brace !== null && brace[2] !== undefined && (brace[3] === '' || Number(brace[3]) >= 100));
    if (unbounded) {
      if (groupBefore) return 'repeats a group that itself repeats (like (a+)+), which can take forever to match; rewrite it without nested repetition';
      if (stack.length) stack[stack.length - 1] = true;
    }
    const closed = c === ')';
    if (c === '\\') i++;
    else if (c === '[') inClass = true;
    else if (c === '(') stack.push(false);
    else if (closed) {
      const inner = stack.pop() ?? false;
      if (inner && stack.length) stack[stack.length - 1] = true;
      groupBefore = inner;
    }
    if (brace) i += brace[0].length - 1;
    if (!closed && c !== '?') groupBefore = false;
  }
  return undefined;
}

/** Validates a version-n payload (already JSON-parsed); throws ShareLinkError on the first problem. */
function validatePayload<P extends SharePayloadV1 | SharePayloadV2>(value: unknown, version: P['v'], schema: Schema): P {
  if (value && typeof value === 'object' && !Array.isArray(value) && 'v' in value && (value as { v: unknown }).v !== version) {
    throw new ShareLinkError('version-mismatch', `This share link says version ${version} before the dot but ${JSON.stringify((value as { v: unknown }).v)?.slice(0, 20)} inside`, `${ASK_SENDER}.`, 'v');
  }
  const protoKey = findPrototypeKey(value);
  const problem = protoKey ? { path: protoKey, problem: 'is not a known field' } : checkSchema(value, schema);
  if (problem) {
    const key = problem.path.replace(/\[\d+\]/g, '[]');
    const words = / does not match /.test(problem.problem) ? PATTERN_WORDS[key] : undefined;
    const detail = words ? `${words}, not ${problem.problem.split(' does not match ')[0]}` : problem.problem;
    const subject = problem.path === '(top level)' ? 'payload' : problem.path;
    throw new ShareLinkError('invalid-field', `This share link's ${subject} ${detail}`, `${ASK_SENDER}, or to update QuantLens if theirs is newer.`, problem.path);
  }
  const payload = value as P;
  const disguise = findDisguise(payload);
  if (disguise) {
    throw new ShareLinkError('invalid-field', `This share link's ${disguise.path} contains the invisible or text-direction character ${codePoint(disguise.char)}, which could make it read as something it is not`, 'The link is refused; ask the sender for a new one.', disguise.path);
  }
  if (payload.model.url !== undefined) {
    const urlProblem = modelUrlProblem(payload.model.url);
    if (urlProblem) throw new ShareLinkError('bad-url', `This share link's model.url ${urlProblem}`, 'The link is refused; open the model from its address yourself if you trust it.', 'model.url');
  }
  for (const [i, o] of (payload.settings.overrides ?? []).entries()) {
    const p = overridePatternProblem(o.pattern);
    if (p) throw new ShareLinkError('invalid-field', `This share link's settings.overrides[${i}].pattern ${p}`, 'The link is refused; ask the sender to fix the override.', `settings.overrides[${i}].pattern`);
  }
  const snap = payload.snapshot;
  if (snap) {
    const sum = snap.counts.error + snap.counts.warning + snap.counts.info;
    const verdict: Verdict = snap.counts.error > 0 ? 'fail' : snap.counts.warning > 0 ? 'pass-with-warnings' : 'pass';
    if (snap.total !== sum) throw new ShareLinkError('inconsistent', `This share link's snapshot says ${fmt(snap.total)} findings in total but its counts add up to ${fmt(sum)}`, `${ASK_SENDER}.`, 'snapshot.total');
    if (snap.findings.length > snap.total) throw new ShareLinkError('inconsistent', `This share link's snapshot lists ${fmt(snap.findings.length)} findings but says there were ${fmt(snap.total)}`, `${ASK_SENDER}.`, 'snapshot.findings');
    if (snap.verdict !== verdict) throw new ShareLinkError('inconsistent', `This share link's snapshot verdict is "${snap.verdict}" but its counts (${snap.counts.error} errors, ${snap.counts.warning} warnings) make it "${verdict}"`, `${ASK_SENDER}.`, 'snapshot.verdict');
  }
  return payload;
}

// ---------------------------------------------------------------------------------------------
// Transport: base64url and deflate-raw, with the platform's streams.

function toBase64Url(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array {
  const bad = /[^A-Za-z0-9_-]/.exec(text);
  if (bad) {
    throw new ShareLinkError('bad-base64', `This share link has the character ${JSON.stringify(bad[0])} at position ${bad.index + 1} of its payload, which base64url does not use`, `${ASK_SENDER}.`);
  }
  if (text.length % 4 === 1) throw new ShareLinkError('bad-base64', `This share link's payload has ${fmt(text.length)} characters, a length base64url cannot have, so it was cut`, `${ASK_SENDER}.`);
  const bin = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

async function deflate(bytes: Uint8Array): Promise<Uint8Array> {
  const cs = new CompressionStream('deflate-raw');
  const writer = cs.writable.getWriter();
  void writer.write(bytes as Uint8Array<ArrayBuffer>).catch(() => undefined);
  void writer.close().catch(() => undefined);
  const chunks: Uint8Array[] = [];
  const reader = cs.readable.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
  }
  return concat(chunks);
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Inflates deflate-raw bytes, stopping (and cancelling the stream) as soon as `cap` bytes are passed. */
async function inflateCapped(bytes: Uint8Array, cap: number): Promise<Uint8Array> {
  const ds = new DecompressionStream('deflate-raw');
  const writer = ds.writable.getWriter();
  // Errors surface on the reading side; these would otherwise be unhandled rejections.
  void writer.write(bytes as Uint8Array<ArrayBuffer>).catch(() => undefined);
  void writer.close().catch(() => undefined);
  const reader = ds.readable.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    let step: ReadableStreamReadResult<Uint8Array>;
    try {
      step = await reader.read();
    } catch (err) {
      throw new ShareLinkError('bad-compression', `This share link's payload is not valid deflate data (${(err as Error).message})`, `${ASK_SENDER}.`);
    }
    if (step.done) break;
    total += step.value.length;
    if (total > cap) {
      await reader.cancel().catch(() => undefined);
      throw new ShareLinkError('too-large', `This share link's payload expands to more than ${fmt(cap / 1024 / 1024)} MiB (the limit)`, 'The link is refused; no QuantLens makes payloads that large, so it was not made by one.');
    }
    chunks.push(step.value);
  }
  return concat(chunks);
}

function parseJson(bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ShareLinkError('bad-json', 'This share link\'s payload is not UTF-8 text', `${ASK_SENDER}.`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ShareLinkError('bad-json', `This share link's payload is not valid JSON (${(err as Error).message})`, `${ASK_SENDER}.`);
  }
}

// ---------------------------------------------------------------------------------------------
// Versions: a decoder per version (from the body after the dot), and upgrades to the latest.

type VersionDecoder = (body: string) => Promise<unknown>;

/** `DECODERS[n]` reads a version-n body into a validated version-n payload. */
const DECODERS: Readonly<Record<number, VersionDecoder>> = {
  1: async (body) => validatePayload<SharePayloadV1>(parseJson(await inflateCapped(fromBase64Url(body), MAX_INFLATED_BYTES)), 1, SHARE_PAYLOAD_V1_SCHEMA),
  2: async (body) => validatePayload<SharePayloadV2>(parseJson(await inflateCapped(fromBase64Url(body), MAX_INFLATED_BYTES)), 2, SHARE_PAYLOAD_V2_SCHEMA),
};

/** `UPGRADES[n]` turns a valid version-n payload into a valid version-(n+1) payload. */
const UPGRADES: Readonly<Record<number, (payload: unknown) => unknown>> = {
  // Before flows existed, every verdict was the QNN converter's.
  1: (p) => {
    const v1 = p as SharePayloadV1;
    return { ...v1, v: 2, settings: { ...v1.settings, flow: 'qnn' } } satisfies SharePayloadV2;
  },
};

function toLatest(version: number, payload: unknown): SharePayload {
  let p = payload;
  for (let v = version; v < SHARE_LINK_VERSION; v++) {
    const up = UPGRADES[v];
    // A missing step is a QuantLens bug, not the link's fault; say so rather than guess.
    if (!up) throw new ShareLinkError('unknown-version', `This QuantLens cannot upgrade share-link version ${v} to ${v + 1}`, 'This is a QuantLens bug; please report it with the link.');
    p = up(p);
  }
  return p as SharePayload;
}

// ---------------------------------------------------------------------------------------------
// Decoding.

/** The value of the `s` parameter in a fragment (`a=1&s=...`), or undefined. */
function shareParam(fragment: string): string | undefined {
  for (const part of fragment.split('&')) {
    const eq = part.indexOf('=');
    if ((eq < 0 ? part : part.slice(0, eq)) !== SHARE_PARAM) continue;
    const value = part.slice(eq + 1);
    try {
      return decodeURIComponent(value);
    } catch {
      return value;
    }
  }
  return undefined;
}

/**
 * Decodes a share-link fragment (`#s=1.…`, with or without the `#`) into the latest payload
 * version, validating every field.
 *
 * @throws ShareLinkError with a `code` and a message saying what is wrong and what to do.
 * @example
 *   const payload = await decodeShareFragment(location.hash);
 */
export async function decodeShareFragment(hash: string): Promise<SharePayload> {
  const fragment = hash.startsWith('#') ? hash.slice(1) : hash;
  if (fragment.length > MAX_FRAGMENT_CHARS) {
    throw new ShareLinkError('too-long', `This share link is ${fmt(fragment.length)} characters long after the #; the limit is ${fmt(MAX_FRAGMENT_CHARS)}`, 'The link is refused; no QuantLens makes links that long.');
  }
  const value = shareParam(fragment);
  if (value === undefined) throw new ShareLinkError('no-payload', 'This address has no share-link payload (no "s=" after the #)', 'Copy the whole link, including everything after the #.');
  const m = /^(\d{1,9})\.([\s\S]*)$/.exec(value);
  if (!m) throw new ShareLinkError('malformed', `This share link's payload does not start with a version number and a dot (it starts ${JSON.stringify(value.slice(0, 12))})`, `${ASK_SENDER}.`);
  const version = Number(m[1]);
  const body = m[2]!;
  if (version > SHARE_LINK_VERSION) {
    throw new ShareLinkError('future-version', `This share link was made by a newer QuantLens (version ${version}); this one reads up to ${SHARE_LINK_VERSION}`, 'Update QuantLens (reload the page), or open the link in the QuantLens that made it.');
  }
  const decoder = DECODERS[version];
  if (!decoder) throw new ShareLinkError('unknown-version', `This share link says version ${version}, which no QuantLens ever wrote (versions run from 1 to ${SHARE_LINK_VERSION})`, `${ASK_SENDER}.`);
  if (body === '') throw new ShareLinkError('malformed', 'This share link has a version but no payload after the dot', `${ASK_SENDER}.`);
  return toLatest(version, await decoder(body));
}

/**
 * The fragment of a share link, for a command line that takes the whole link: accepts a full
 * URL (`https://host/app/#s=1.…`), a fragment with or without `#`, or a bare `1.…` payload.
 *
 * @throws ShareLinkError `no-payload` when there is nothing after a `#`.
 * @example
 *   await decodeShareFragment(fragmentForCli(process.argv[2]));
 */
export function fragmentForCli(urlOrFragment: string): string {
  const text = urlOrFragment.trim();
  if (text.length > MAX_FRAGMENT_CHARS + SHARE_LIMITS.url) {
    throw new ShareLinkError('too-long', `This share link is ${fmt(text.length)} characters long; the limit is ${fmt(MAX_FRAGMENT_CHARS)} after the #`, 'The link is refused; no QuantLens makes links that long.');
  }
  if (/^\d{1,9}\./.test(text)) return `${SHARE_PARAM}=${text}`;
  if (/^[a-z][a-z0-9+.-]*:/i.test(text)) {
    const hash = text.indexOf('#');
    if (hash < 0) throw new ShareLinkError('no-payload', 'This address has no share-link payload (nothing after a #)', 'Copy the whole link, including everything after the #.');
    return text.slice(hash + 1);
  }
  return text.startsWith('#') ? text.slice(1) : text;
}

/** Decodes a whole share link, a fragment, or a bare payload; see `fragmentForCli`. */
export async function decodeShareLink(urlOrFragment: string): Promise<SharePayload> {
  return decodeShareFragment(fragmentForCli(urlOrFragment));
}

// ---------------------------------------------------------------------------------------------
// Encoding.

/** Cuts `s` to `max` code units, ending in an ellipsis, without splitting a surrogate pair. */
function cut(s: string, max: number): string {
  if (s.length <= max) return s;
  let end = max - 1;
  const last = s.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${s.slice(0, end)}…`;
}

/** Replaces characters that decoders refuse, so descriptive text never blocks a link. */
function clean(s: string, multiline = false): string {
  const re = multiline ? new RegExp(FORBIDDEN_ANYWHERE.source, 'gu') : new RegExp(`${FORBIDDEN_ANYWHERE.source}|${FORBIDDEN_IN_NAMES.source}`, 'gu');
  return s.replace(re, '\uFFFD');
}

function compactFinding(f: ShareFinding): ShareFinding {
  return {
    rule: f.rule,
    severity: f.severity,
    node: cut(clean(f.node), SHARE_LIMITS.node),
    port: cut(clean(f.port), SHARE_LIMITS.port),
    message: cut(clean(f.message, true), SHARE_LIMITS.message),
    expected: cut(clean(f.expected, true), SHARE_LIMITS.detail),
    actual: cut(clean(f.actual, true), SHARE_LIMITS.detail),
    ...(f.outcome !== undefined && { outcome: f.outcome }),
  };
}

/**
 * The compact snapshot of a check report: verdict, counts, SoC, arch and the findings' readable
 * fields (long text cut with an ellipsis). `encodeShareLink` trims the findings to fit.
 */
export function snapshotOf(report: Pick<CheckReport, 'verdict' | 'counts' | 'soc' | 'arch' | 'findings'>): ShareSnapshot {
  return {
    verdict: report.verdict,
    counts: { error: report.counts.error, warning: report.counts.warning, info: report.counts.info },
    soc: report.soc,
    arch: cut(report.arch, SHARE_LIMITS.arch),
    total: report.findings.length,
    findings: report.findings.map(compactFinding),
  };
}

/** A link made by `encodeSharePayload`: the fragment (without `#`) and the payload it holds. */
export interface EncodedShare {
  fragment: string;
  /** The payload as encoded: the snapshot may hold fewer findings than given. */
  payload: SharePayload;
  /** Snapshot findings left out to stay under the caps. */
  droppedFindings: number;
}

async function encodeBody(payload: SharePayload): Promise<{ fragment: string; jsonBytes: number }> {
  const json = new TextEncoder().encode(JSON.stringify(payload));
  return { fragment: `${SHARE_PARAM}=${SHARE_LINK_VERSION}.${toBase64Url(await deflate(json))}`, jsonBytes: json.length };
}

const fits = (e: { fragment: string; jsonBytes: number }) => e.fragment.length <= MAX_FRAGMENT_CHARS && e.jsonBytes <= MAX_INFLATED_BYTES;

/**
 * Encodes a payload into a fragment, keeping the first snapshot findings that fit under
 * `MAX_FRAGMENT_CHARS` and `MAX_INFLATED_BYTES` (and at most `MAX_SNAPSHOT_FINDINGS`); the
 * snapshot's `total` still says how many there were. The result always decodes.
 *
 * @throws ShareLinkError when a field is invalid (the link could not be opened), or when the
 * payload does not fit even without snapshot findings.
 */
export async function encodeSharePayload(payload: SharePayload): Promise<EncodedShare> {
  let p: SharePayload = { ...payload, model: { ...payload.model, name: cut(clean(payload.model.name), SHARE_LIMITS.name) } };
  if (p.view) {
    const { selected, filters } = p.view;
    p = {
      ...p,
      view: {
        ...(selected !== undefined && { selected: cut(clean(selected), SHARE_LIMITS.node) }),
        ...(filters && { filters: { ...filters, ...(filters.text !== undefined && { text: cut(clean(filters.text), SHARE_LIMITS.filterText) }) } }),
      },
    };
  }
  if (p.model.url !== undefined && modelUrlProblem(p.model.url) === undefined) p = { ...p, model: { ...p.model, url: new URL(p.model.url).href } };
  const given = p.snapshot?.findings.length ?? 0;
  if (p.snapshot) p = { ...p, snapshot: { ...p.snapshot, arch: cut(clean(p.snapshot.arch), SHARE_LIMITS.arch), findings: p.snapshot.findings.slice(0, MAX_SNAPSHOT_FINDINGS).map(compactFinding) } };
  validatePayload<SharePayloadV2>(p, 2, SHARE_PAYLOAD_V2_SCHEMA); // never hand out a link this QuantLens would refuse
  const withFindings = (n: number): SharePayload => (p.snapshot ? { ...p, snapshot: { ...p.snapshot, findings: p.snapshot.findings.slice(0, n) } } : p);

  let best = await encodeBody(p);
  let kept = p.snapshot?.findings.length ?? 0;
  if (!fits(best)) {
    // Largest n that fits; lengths grow with n, and only tested n are ever returned.
    let lo = 0;
    let hi = kept - 1;
    let found: { n: number; enc: Awaited<ReturnType<typeof encodeBody>> } | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const enc = await encodeBody(withFindings(mid));
      if (fits(enc)) {
        found = { n: mid, enc };
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (!found) {
      throw new ShareLinkError('too-long', `The share link would be longer than ${fmt(MAX_FRAGMENT_CHARS)} characters even without findings`, 'Remove some per-node overrides and try again.');
    }
    best = found.enc;
    kept = found.n;
  }
  return { fragment: best.fragment, payload: withFindings(kept), droppedFindings: given - kept };
}

/**
 * The full share link: `baseUrl` with its fragment replaced by the payload.
 *
 * @example
 *   const link = await encodeShareLink({ v: 1, settings, model, snapshot: snapshotOf(report) }, location.href);
 */
export async function encodeShareLink(payload: SharePayload, baseUrl: string): Promise<string> {
  const url = new URL(baseUrl);
  url.hash = '';
  return `${url.href}#${(await encodeSharePayload(payload)).fragment}`;
}

// ---------------------------------------------------------------------------------------------
// Receiving.

/** The validator settings a payload asks for (the shape of the worker's CheckSettings). */
export function checkSettingsOf(payload: SharePayload): { backend: ShareBackend; soc: string; strict: boolean } {
  return { backend: payload.settings.backend, soc: payload.settings.soc, strict: payload.settings.strict };
}

/**
 * Compares a dropped file with the shared model's identity. A different file is still accepted;
 * `warning` says, as plain text, that results may differ from the shared ones.
 */
export function compareDroppedModel(shared: ShareModel, dropped: { name: string; size: number; sha256: string }): { same: boolean; warning?: string } {
  if (dropped.sha256.toLowerCase() === shared.sha256) return { same: true };
  const what = dropped.size === shared.size ? 'the same size but different content' : `${fmt(dropped.size)} bytes instead of ${fmt(shared.size)}`;
  return {
    same: false,
    warning: `"${dropped.name}" is not the shared model "${shared.name}": it has ${what} (SHA-256 ${dropped.sha256.slice(0, 12)}… instead of ${shared.sha256.slice(0, 12)}…). The results below are for your file and may differ from the shared ones.`,
  };
}
