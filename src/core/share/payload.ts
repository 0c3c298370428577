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
 * `qnn`, the only flow there was) and each snapshot finding's `outcome` under it; 3 adds the rest
 * of the quantizer's choices (weight and activation options, observer, input shapes); 4 adds
 * `fixSizes` (the run wrote its inputs' dynamic sizes into the export); 5 adds `values` (inputs
 * the run's random samples held at one value, a sample rate). To add version 6: leave the v5
 * schema as it is, add the v6 schema and its upgrade from v5 to `SHARE_FORMAT` (schema.ts,
 * through the versioned-format kit), point `SharePayload` at v6, and commit v6 fixture links
 * beside the older ones (which must keep decoding).
 */
import { QuantLensError } from '../model/errors';
import { MAX_LINK_PAYLOAD_BYTES } from '../model/limits';
import { SHARE_FORMAT, type SharePayloadV1, type SharePayloadV5 } from './schema';

/** The version `encodeShareLink` writes and the highest this QuantLens reads. */
export const SHARE_LINK_VERSION = SHARE_FORMAT.latest;
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

// The payload types are derived from the frozen schemas (schema.ts), so they cannot drift apart.

/** Payload versions 1 to 5, as their schemas describe them. */
export type { SharePayloadV1, SharePayloadV2, SharePayloadV3, SharePayloadV4, SharePayloadV5 } from './schema';

/** Backends a link may name. */
export type ShareBackend = SharePayloadV5['settings']['backend'];
/** What the run used: the toolbar's settings plus quantization choices (version 5: all of them). */
export type ShareSettings = SharePayloadV5['settings'];
export type ShareSettingsV1 = SharePayloadV1['settings'];
/** A per-node override: nodes whose name matches `pattern` (a regular expression) use `config` (or `float`). */
export type ShareOverride = NonNullable<ShareSettings['overrides']>[number];
/** How the sender calibrated: `files` means the receiver must supply the same sample files. */
export type ShareCalibration = NonNullable<ShareSettings['calibration']>;
/** The model's identity (`sha256` in lowercase hex); `url` only when it was opened from an http(s) address. */
export type ShareModel = SharePayloadV5['model'];
/** What the sender was looking at, so the receiver lands on the same place. */
export type ShareView = NonNullable<SharePayloadV5['view']>;
/**
 * The sender's result, for a receiver who does not have the model yet: `total` findings in all,
 * the first at most `MAX_SNAPSHOT_FINDINGS` of them listed in the sender's order.
 */
export type ShareSnapshot = NonNullable<SharePayloadV5['snapshot']>;
/** A finding, compact: what the receiver needs to read it, not to re-derive it; `outcome` under the sender's flow. */
export type ShareFinding = ShareSnapshot['findings'][number];

/** The latest payload version. */
export type SharePayload = SharePayloadV5;

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
export class ShareLinkError extends QuantLensError<ShareLinkErrorCode> {
  override readonly name = 'ShareLinkError';
  constructor(
    code: ShareLinkErrorCode,
    problem: string,
    hint: string,
    readonly path?: string,
  ) {
    super(code, problem, hint, path, `${problem}. ${hint}`);
  }
}

export const ASK_SENDER = 'Ask the sender to copy the link again; it may have been cut or altered on the way';
export const fmt = (n: number) => n.toLocaleString('en-US');
