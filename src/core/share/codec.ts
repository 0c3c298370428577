/** Share-link decoding (each version checked against its frozen schema, then upgraded to the latest) and encoding. */
import type { CheckReport } from '../report/check-report';
import { FORBIDDEN_ANYWHERE, FORBIDDEN_IN_NAMES, modelUrlProblem, validatePayload } from './guards';
import {
  ASK_SENDER,
  MAX_FRAGMENT_CHARS,
  MAX_INFLATED_BYTES,
  MAX_SNAPSHOT_FINDINGS,
  SHARE_LIMITS,
  SHARE_LINK_VERSION,
  SHARE_PARAM,
  ShareLinkError,
  fmt,
  type ShareFinding,
  type SharePayload,
  type ShareSnapshot,
} from './payload';
import { SHARE_FORMAT } from './schema';
import { schemaOf, upgradeToLatest } from '../schema/versioned';
import { deflate, fromBase64Url, inflateCapped, parseJson, toBase64Url } from './transport';

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
    throw new ShareLinkError(
      'too-long',
      `This share link is ${fmt(fragment.length)} characters long after the #; the limit is ${fmt(MAX_FRAGMENT_CHARS)}`,
      'The link is refused; no QuantLens makes links that long.',
    );
  }
  const value = shareParam(fragment);
  if (value === undefined)
    throw new ShareLinkError(
      'no-payload',
      'This address has no share-link payload (no "s=" after the #)',
      'Copy the whole link, including everything after the #.',
    );
  const m = /^(\d{1,9})\.([\s\S]*)$/.exec(value);
  if (!m)
    throw new ShareLinkError(
      'malformed',
      `This share link's payload does not start with a version number and a dot (it starts ${JSON.stringify(value.slice(0, 12))})`,
      `${ASK_SENDER}.`,
    );
  const version = Number(m[1]);
  const body = m[2]!;
  if (version > SHARE_LINK_VERSION) {
    throw new ShareLinkError(
      'future-version',
      `This share link was made by a newer QuantLens (version ${version}); this one reads up to ${SHARE_LINK_VERSION}`,
      'Update QuantLens (reload the page), or open the link in the QuantLens that made it.',
    );
  }
  const schema = schemaOf(SHARE_FORMAT, version);
  if (!schema)
    throw new ShareLinkError(
      'unknown-version',
      `This share link says version ${version}, which no QuantLens ever wrote (versions run from 1 to ${SHARE_LINK_VERSION})`,
      `${ASK_SENDER}.`,
    );
  if (body === '')
    throw new ShareLinkError(
      'malformed',
      'This share link has a version but no payload after the dot',
      `${ASK_SENDER}.`,
    );
  // Each version is checked against its own frozen schema, then upgraded step by step.
  const payload = validatePayload(
    parseJson(await inflateCapped(fromBase64Url(body), MAX_INFLATED_BYTES)),
    version,
    schema,
  );
  return upgradeToLatest(SHARE_FORMAT, version, payload);
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
    throw new ShareLinkError(
      'too-long',
      `This share link is ${fmt(text.length)} characters long; the limit is ${fmt(MAX_FRAGMENT_CHARS)} after the #`,
      'The link is refused; no QuantLens makes links that long.',
    );
  }
  if (/^\d{1,9}\./.test(text)) return `${SHARE_PARAM}=${text}`;
  if (/^[a-z][a-z0-9+.-]*:/i.test(text)) {
    const hash = text.indexOf('#');
    if (hash < 0)
      throw new ShareLinkError(
        'no-payload',
        'This address has no share-link payload (nothing after a #)',
        'Copy the whole link, including everything after the #.',
      );
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
  const re = multiline
    ? new RegExp(FORBIDDEN_ANYWHERE.source, 'gu')
    : new RegExp(`${FORBIDDEN_ANYWHERE.source}|${FORBIDDEN_IN_NAMES.source}`, 'gu');
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
export function snapshotOf(
  report: Pick<CheckReport, 'verdict' | 'counts' | 'soc' | 'arch' | 'findings'>,
): ShareSnapshot {
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
  return {
    fragment: `${SHARE_PARAM}=${SHARE_LINK_VERSION}.${toBase64Url(await deflate(json))}`,
    jsonBytes: json.length,
  };
}

const fits = (e: { fragment: string; jsonBytes: number }) =>
  e.fragment.length <= MAX_FRAGMENT_CHARS && e.jsonBytes <= MAX_INFLATED_BYTES;

/**
 * Encodes a payload into a fragment, keeping the first snapshot findings that fit under
 * `MAX_FRAGMENT_CHARS` and `MAX_INFLATED_BYTES` (and at most `MAX_SNAPSHOT_FINDINGS`); the
 * snapshot's `total` still says how many there were. The result always decodes.
 *
 * @throws ShareLinkError when a field is invalid (the link could not be opened), or when the
 * payload does not fit even without snapshot findings.
 */
export async function encodeSharePayload(payload: SharePayload): Promise<EncodedShare> {
  let p: SharePayload = {
    ...payload,
    model: { ...payload.model, name: cut(clean(payload.model.name), SHARE_LIMITS.name) },
  };
  if (p.view) {
    const { selected, filters } = p.view;
    p = {
      ...p,
      view: {
        ...(selected !== undefined && { selected: cut(clean(selected), SHARE_LIMITS.node) }),
        ...(filters && {
          filters: {
            ...filters,
            ...(filters.text !== undefined && { text: cut(clean(filters.text), SHARE_LIMITS.filterText) }),
          },
        }),
      },
    };
  }
  if (p.model.url !== undefined && modelUrlProblem(p.model.url) === undefined)
    p = { ...p, model: { ...p.model, url: new URL(p.model.url).href } };
  const given = p.snapshot?.findings.length ?? 0;
  if (p.snapshot)
    p = {
      ...p,
      snapshot: {
        ...p.snapshot,
        arch: cut(clean(p.snapshot.arch), SHARE_LIMITS.arch),
        findings: p.snapshot.findings.slice(0, MAX_SNAPSHOT_FINDINGS).map(compactFinding),
      },
    };
  // Never hand out a link this QuantLens would refuse.
  validatePayload(p, SHARE_LINK_VERSION, schemaOf(SHARE_FORMAT, SHARE_LINK_VERSION)!);
  const withFindings = (n: number): SharePayload =>
    p.snapshot ? { ...p, snapshot: { ...p.snapshot, findings: p.snapshot.findings.slice(0, n) } } : p;

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
      throw new ShareLinkError(
        'too-long',
        `The share link would be longer than ${fmt(MAX_FRAGMENT_CHARS)} characters even without findings`,
        'Remove some per-node overrides and try again.',
      );
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
