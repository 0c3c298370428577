/**
 * What a share link must never carry, checked field by field: unknown or prototype keys, characters
 * that disguise text, model URLs that are not plain http(s), override patterns that backtrack, and
 * snapshots whose counts disagree.
 */
import type { Verdict } from '../check/finding';
import { checkSchema, type Schema } from '../schema/json-schema';
import { ASK_SENDER, fmt, ShareLinkError, type SharePayloadV1, type SharePayloadV2 } from './payload';
import { PATTERN_WORDS } from './schema';

// Control characters hide text; bidi overrides and isolates make "evil\u202Exnno.onnx" read
// as "evil" + "onnx.exe" backwards. Tabs and newlines are allowed in messages only.
export const FORBIDDEN_ANYWHERE =
  /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;
export const FORBIDDEN_IN_NAMES = /[\t\n]/u;
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
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    return `must be an http or https address; "${parsed.protocol}" addresses are refused`;
  if (parsed.username || parsed.password)
    return 'must not carry a user name or password (an address like https://trusted@other.host/ hides where it really goes)';
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
    const unbounded =
      c === '*' ||
      c === '+' ||
      (brace !== null && brace[2] !== undefined && (brace[3] === '' || Number(brace[3]) >= 100));
    if (unbounded) {
      if (groupBefore)
        return 'repeats a group that itself repeats (like (a+)+), which can take forever to match; rewrite it without nested repetition';
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
export function validatePayload(value: unknown, version: number, schema: Schema): SharePayloadV1 | SharePayloadV2 {
  if (
    value &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    'v' in value &&
    (value as { v: unknown }).v !== version
  ) {
    throw new ShareLinkError(
      'version-mismatch',
      `This share link says version ${version} before the dot but ${JSON.stringify((value as { v: unknown }).v)?.slice(0, 20)} inside`,
      `${ASK_SENDER}.`,
      'v',
    );
  }
  const protoKey = findPrototypeKey(value);
  const problem = protoKey ? { path: protoKey, problem: 'is not a known field' } : checkSchema(value, schema);
  if (problem) {
    const key = problem.path.replace(/\[\d+\]/g, '[]');
    const words = / does not match /.test(problem.problem) ? PATTERN_WORDS[key] : undefined;
    const detail = words ? `${words}, not ${problem.problem.split(' does not match ')[0]}` : problem.problem;
    const subject = problem.path === '(top level)' ? 'payload' : problem.path;
    throw new ShareLinkError(
      'invalid-field',
      `This share link's ${subject} ${detail}`,
      `${ASK_SENDER}, or to update QuantLens if theirs is newer.`,
      problem.path,
    );
  }
  const payload = value as SharePayloadV1 | SharePayloadV2;
  const disguise = findDisguise(payload);
  if (disguise) {
    throw new ShareLinkError(
      'invalid-field',
      `This share link's ${disguise.path} contains the invisible or text-direction character ${codePoint(disguise.char)}, which could make it read as something it is not`,
      'The link is refused; ask the sender for a new one.',
      disguise.path,
    );
  }
  if (payload.model.url !== undefined) {
    const urlProblem = modelUrlProblem(payload.model.url);
    if (urlProblem)
      throw new ShareLinkError(
        'bad-url',
        `This share link's model.url ${urlProblem}`,
        'The link is refused; open the model from its address yourself if you trust it.',
        'model.url',
      );
  }
  for (const [i, o] of (payload.settings.overrides ?? []).entries()) {
    const p = overridePatternProblem(o.pattern);
    if (p)
      throw new ShareLinkError(
        'invalid-field',
        `This share link's settings.overrides[${i}].pattern ${p}`,
        'The link is refused; ask the sender to fix the override.',
        `settings.overrides[${i}].pattern`,
      );
  }
  const snap = payload.snapshot;
  if (snap) {
    const sum = snap.counts.error + snap.counts.warning + snap.counts.info;
    const verdict: Verdict = snap.counts.error > 0 ? 'fail' : snap.counts.warning > 0 ? 'pass-with-warnings' : 'pass';
    if (snap.total !== sum)
      throw new ShareLinkError(
        'inconsistent',
        `This share link's snapshot says ${fmt(snap.total)} findings in total but its counts add up to ${fmt(sum)}`,
        `${ASK_SENDER}.`,
        'snapshot.total',
      );
    if (snap.findings.length > snap.total)
      throw new ShareLinkError(
        'inconsistent',
        `This share link's snapshot lists ${fmt(snap.findings.length)} findings but says there were ${fmt(snap.total)}`,
        `${ASK_SENDER}.`,
        'snapshot.findings',
      );
    if (snap.verdict !== verdict)
      throw new ShareLinkError(
        'inconsistent',
        `This share link's snapshot verdict is "${snap.verdict}" but its counts (${snap.counts.error} errors, ${snap.counts.warning} warnings) make it "${verdict}"`,
        `${ASK_SENDER}.`,
        'snapshot.verdict',
      );
  }
  return payload;
}
