/**
 * The share-link codec: round trips (URL model, local model with snapshot, trimming), the frozen
 * fixture links of every version (written once by the encoder of their day and never rewritten,
 * so they guard old links against format changes), and one specific error per kind of
 * malformed or hostile link.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CheckSettings } from '../session/api';
import type { CheckReport, CheckReportFinding } from '../report/check-report';
import {
  MAX_FRAGMENT_CHARS,
  MAX_INFLATED_BYTES,
  MAX_SNAPSHOT_FINDINGS,
  SHARE_LINK_VERSION,
  ShareLinkError,
  checkSettingsOf,
  compareDroppedModel,
  decodeShareFragment,
  decodeShareLink,
  encodeShareLink,
  encodeSharePayload,
  fragmentForCli,
  overridePatternProblem,
  snapshotOf,
  type ShareFinding,
  type ShareLinkErrorCode,
  type SharePayload,
  type SharePayloadV1,
  type ShareSettings,
  type ShareSnapshot,
  SHARE_LIMITS,
  SHARE_PAYLOAD_V5_SCHEMA,
  quantizationForLink,
  quantizationText,
  sharedQuantization,
  type SharePayloadV2,
} from './index';
import type { Assert, Same } from '../schema/infer';
import type { Backend } from '../../../rules/backends';
import type { Flow, Outcome } from '../../../rules/types';
import type { Severity, Verdict } from '../check/finding';

// The payload types are derived from the frozen schemas; the latest one's vocabularies must be the
// live ones (a new backend, flow or outcome is a new link version, not a silent widening).
export type LinkVocabulary = [
  Assert<Same<ShareSettings['backend'], Backend>>,
  Assert<Same<ShareSettings['flow'], Flow>>,
  Assert<Same<ShareFinding['severity'], Severity>>,
  Assert<Same<ShareFinding['outcome'], Outcome | undefined>>,
  Assert<Same<ShareSnapshot['verdict'], Verdict>>,
];
export const V1_FINDING_HAS_NO_OUTCOME: NonNullable<SharePayloadV1['snapshot']>['findings'][number] = {
  rule: 'r',
  severity: 'error',
  node: 'n',
  port: 'p',
  message: 'm',
  expected: 'e',
  actual: 'a',
  // @ts-expect-error version 1 findings carry no outcome
  outcome: 'rejected',
};

const FIXTURES = new URL('./__fixtures__/', import.meta.url);
const SHA = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

const LOCAL: SharePayload = {
  v: 5,
  settings: { backend: 'htp', soc: 'SM8650', strict: true, flow: 'qnn', config: '8a8w' },
  model: { name: 'cnn-sigmoid.qdq.onnx', size: 20480, sha256: SHA },
};

// The transport, written independently of the module, to craft bodies it would never make.
async function deflate(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>])
    .stream()
    .pipeThrough(new CompressionStream('deflate-raw'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
const base64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const fragmentOfBytes = async (raw: Uint8Array, version = SHARE_LINK_VERSION) =>
  `#s=${version}.${base64url(await deflate(raw))}`;
const fragmentOfText = (json: string, version = SHARE_LINK_VERSION) =>
  fragmentOfBytes(new TextEncoder().encode(json), version);
const fragmentOf = (value: unknown, version = SHARE_LINK_VERSION) => fragmentOfText(JSON.stringify(value), version);

/** LOCAL, changed by `edit` (on a deep copy). */
function payloadWith(edit: (p: any) => void): unknown {
  const p = structuredClone(LOCAL) as any;
  edit(p);
  return p;
}

function finding(i: number, extra: Partial<ShareFinding> = {}): ShareFinding {
  return {
    rule: 'per-channel',
    severity: 'error',
    node: `/model/layers.${i}/fc/Gemm`,
    port: 'input 1 (weight)',
    message: 'FullyConnected takes per-tensor weights',
    expected: 'per tensor',
    actual: 'per channel (axis 0)',
    ...extra,
  };
}

function withSnapshot(findings: ShareFinding[]): SharePayload {
  return {
    ...LOCAL,
    snapshot: {
      verdict: 'fail',
      counts: { error: findings.length, warning: 0, info: 0 },
      soc: 'SM8650',
      arch: 'V75',
      total: findings.length,
      findings,
    },
  };
}

async function errorOf(p: Promise<unknown>): Promise<ShareLinkError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ShareLinkError);
    return e as ShareLinkError;
  }
  throw new Error('expected a ShareLinkError, but the link decoded');
}

/** Deterministic hex noise, so trimming tests need the same number of findings every run. */
function noise(seed: number, chars: number): string {
  let x = seed >>> 0 || 1;
  let s = '';
  while (s.length < chars) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    s += x.toString(16).padStart(8, '0');
  }
  return s.slice(0, chars);
}

describe('round trip', () => {
  it('a URL model with every setting, view and filter', async () => {
    const payload: SharePayload = {
      v: 5,
      settings: {
        backend: 'htp',
        soc: 'SM8650',
        strict: false,
        flow: 'ort',
        config: '16a4w_block',
        overrides: [
          { pattern: '^/model/layers\\.\\d+/mlp/', config: '16a8w' },
          { pattern: 'lm_head', config: 'float' },
        ],
        calibration: { mode: 'random', samples: 32, seed: 7, observer: 'percentile', percentile: 99.9 },
        options: {
          perChannelConv: true,
          perChannelLinear: true,
          perChannelEmbedding: false,
          actSymmetric: true,
          blockSize: 64,
        },
        shapes: { input_ids: [1, 128], attention_mask: [1, 128] },
      },
      model: {
        name: 'llama-block.onnx',
        size: 3_000_000_000,
        sha256: SHA,
        url: 'https://models.example/llama/block.onnx',
      },
      view: {
        selected: '/model/layers.3/attn/MatMul',
        filters: { severity: ['error'], rule: ['16a16w-arch', 'bias'], text: 'attn' },
      },
    };
    const link = await encodeShareLink(payload, 'https://quantlens.example/app/#old=fragment');
    expect(link).toMatch(/^https:\/\/quantlens\.example\/app\/#s=5\.[A-Za-z0-9_-]+$/);
    expect(await decodeShareLink(link)).toEqual(payload);
    expect(await decodeShareFragment(new URL(link).hash)).toEqual(payload);
  });

  it('a local model with a snapshot built from a check report', async () => {
    const reportFinding = (over: Partial<CheckReportFinding>): CheckReportFinding => ({
      rule: 'bias',
      severity: 'error',
      node: '/conv/Conv',
      op: 'Conv',
      qnnOp: 'Conv2d',
      port: 'input 2 (bias)',
      tensor: 'conv.bias',
      message: 'bias scale must equal input scale × weight scale',
      expected: 'scale 1.2e-5',
      actual: 'scale 0.01',
      fix: 'requantize the bias',
      source: 'QNN docs [documented]',
      confidence: 'documented',
      outcome: 'rejected',
      constraintKind: 'backend-limit',
      ...over,
    });
    const report: CheckReport = {
      schema: 2,
      flow: 'qnn',
      model: { name: 'cnn.onnx', sha256: SHA, nodes: 12 },
      backend: 'htp',
      soc: 'SM8650',
      arch: 'V75',
      strict: true,
      verdict: 'fail',
      counts: { error: 1, warning: 0, info: 1 },
      encodings: 'qdq',
      findings: [
        reportFinding({}),
        reportFinding({
          rule: 'not-quantized',
          severity: 'info',
          node: '(model)',
          port: '',
          message: 'line one\nline two\u202E',
          actual: 'x'.repeat(400),
        }),
      ],
    };
    const snapshot = snapshotOf(report);
    expect(snapshot.findings[1]!.message).toBe('line one\nline two\uFFFD'); // newlines kept, bidi override replaced
    expect(snapshot.findings[1]!.actual).toBe(`${'x'.repeat(299)}…`);
    expect(snapshot.findings[0]).toEqual({
      rule: 'bias',
      severity: 'error',
      node: '/conv/Conv',
      port: 'input 2 (bias)',
      message: 'bias scale must equal input scale × weight scale',
      expected: 'scale 1.2e-5',
      actual: 'scale 0.01',
      outcome: 'rejected',
    });
    const payload: SharePayload = { ...LOCAL, view: { selected: '/conv/Conv' }, snapshot };
    const decoded = await decodeShareLink(await encodeShareLink(payload, 'http://localhost:5173/'));
    expect(decoded).toEqual(payload);
    expect(decoded.snapshot!.total).toBe(2);
  });

  it('the version is readable before decompressing, and model URLs are normalised', async () => {
    const { fragment, payload } = await encodeSharePayload({
      ...LOCAL,
      model: { ...LOCAL.model, url: 'HTTPS://Models.Example/a b.onnx' },
    });
    expect(fragment.startsWith(`s=${SHARE_LINK_VERSION}.`)).toBe(true);
    expect(payload.model.url).toBe('https://models.example/a%20b.onnx');
    expect((await decodeShareFragment(fragment)).model.url).toBe('https://models.example/a%20b.onnx');
  });

  it('trims a snapshot that would not fit the fragment cap, keeping the first findings and the total', async () => {
    const many = Array.from({ length: MAX_SNAPSHOT_FINDINGS }, (_, i) => finding(i, { message: noise(i + 1, 200) }));
    const { fragment, droppedFindings } = await encodeSharePayload(withSnapshot(many));
    expect(fragment.length).toBeLessThanOrEqual(MAX_FRAGMENT_CHARS);
    const decoded = await decodeShareFragment(fragment);
    const kept = decoded.snapshot!.findings.length;
    expect(kept).toBeGreaterThan(100);
    expect(kept).toBeLessThan(MAX_SNAPSHOT_FINDINGS);
    expect(droppedFindings).toBe(MAX_SNAPSHOT_FINDINGS - kept);
    expect(decoded.snapshot!.total).toBe(MAX_SNAPSHOT_FINDINGS);
    expect(decoded.snapshot!.findings).toEqual(many.slice(0, kept));
  });

  it('trims a snapshot whose JSON would inflate past the inflated cap, however well it compresses', async () => {
    const long = Array.from({ length: MAX_SNAPSHOT_FINDINGS }, (_, i) =>
      finding(i, { message: 'm'.repeat(1000), expected: 'e'.repeat(300), actual: 'a'.repeat(300) }),
    );
    const { fragment, droppedFindings } = await encodeSharePayload(withSnapshot(long));
    const decoded = await decodeShareFragment(fragment);
    expect(droppedFindings).toBeGreaterThan(0);
    expect(new TextEncoder().encode(JSON.stringify(decoded)).length).toBeLessThanOrEqual(MAX_INFLATED_BYTES);
  });

  it(`keeps at most ${MAX_SNAPSHOT_FINDINGS} findings`, async () => {
    const many = Array.from({ length: 5000 }, () => finding(0));
    const { payload, droppedFindings } = await encodeSharePayload(withSnapshot(many));
    expect(payload.snapshot!.findings).toHaveLength(MAX_SNAPSHOT_FINDINGS);
    expect(payload.snapshot!.total).toBe(5000);
    expect(droppedFindings).toBe(3000);
  });

  it('replaces characters that would be refused in names and text, rather than failing', async () => {
    const odd: SharePayload = {
      ...LOCAL,
      model: { ...LOCAL.model, name: 'a\u202Eb.onnx' },
      view: { selected: 'node\nname', filters: { text: 'x\ty' } },
    };
    const decoded = await decodeShareLink(await encodeShareLink(odd, 'https://quantlens.example/'));
    expect(decoded.model.name).toBe('a\uFFFDb.onnx');
    expect(decoded.view).toEqual({ selected: 'node\uFFFDname', filters: { text: 'x\uFFFDy' } });
  });

  it('says when the settings alone are too big for a link', async () => {
    const overrides = Array.from({ length: 256 }, (_, i) => ({ pattern: noise(i + 1, 512), config: '16a16w' }));
    const e = await errorOf(
      encodeShareLink({ ...LOCAL, settings: { ...LOCAL.settings, overrides } }, 'https://quantlens.example/'),
    );
    expect(e.code).toBe('too-long');
    expect(e.message).toBe(
      'The share link would be longer than 65,536 characters even without findings. Remove some per-node overrides and try again.',
    );
  });

  it('refuses to make a link it would refuse to open', async () => {
    const e = await errorOf(
      encodeShareLink(
        { ...LOCAL, model: { ...LOCAL.model, url: 'javascript:alert(1)' } },
        'https://quantlens.example/',
      ),
    );
    expect(e.code).toBe('bad-url');
  });

  it('gives the worker the settings it asks for', async () => {
    const settings: CheckSettings = checkSettingsOf(LOCAL);
    expect(settings).toEqual({ backend: 'htp', soc: 'SM8650', strict: true, flow: 'qnn' });
  });
});

describe('the latest schema and the encoder limits', () => {
  it('agree, so the encoder never writes a link the schema refuses or trims more than it must', () => {
    const p = SHARE_PAYLOAD_V5_SCHEMA.properties;
    const finding = p.snapshot.properties.findings.items.properties;
    expect({
      name: p.model.properties.name.maxLength,
      url: p.model.properties.url.maxLength,
      soc: p.settings.properties.soc.maxLength,
      config: p.settings.properties.config.maxLength,
      overrides: p.settings.properties.overrides.maxItems,
      pattern: p.settings.properties.overrides.items.properties.pattern.maxLength,
      node: finding.node.maxLength,
      port: finding.port.maxLength,
      rule: finding.rule.maxLength,
      arch: p.snapshot.properties.arch.maxLength,
      message: finding.message.maxLength,
      detail: finding.expected.maxLength,
      filterText: p.view.properties.filters.properties.text.maxLength,
      filterRules: p.view.properties.filters.properties.rule.maxItems,
      samples: p.settings.properties.calibration.properties.samples.maximum,
      size: p.model.properties.size.maximum,
      count: p.snapshot.properties.total.maximum,
    }).toEqual(SHARE_LIMITS);
    expect(p.snapshot.properties.findings.maxItems).toBe(MAX_SNAPSHOT_FINDINGS);
    expect(p.view.properties.selected.maxLength).toBe(SHARE_LIMITS.node);
  });
});

describe('a quantizer run travels whole (versions 3 to 5)', () => {
  const RUN = {
    config: '16a4w_block' as const,
    perChannelConv: true,
    perChannelLinear: true,
    perChannelEmbedding: true,
    actSymmetric: true,
    blockSize: 64,
    overrides: [{ pattern: '^/head/', config: 'float' as const }],
    calibration: { samples: 8, seed: 3, observer: 'percentile' as const, percentile: 99.9 },
    shapes: { x: [1, 3, 48, 320] },
    fixSizes: true,
    values: { sr: 16000 },
  };

  it('the receiver replays every choice of the sender, not the defaults', async () => {
    const payload: SharePayload = {
      ...LOCAL,
      settings: { ...LOCAL.settings, ...quantizationForLink(RUN, { kind: 'random' }) },
    };
    const back = await decodeShareLink(await encodeShareLink(payload, 'https://quantlens.example/'));
    expect(sharedQuantization(back.settings)).toEqual(RUN);
    expect(quantizationText(RUN)).toBe(
      '16a4w_block · per-channel linear weights · per-channel embedding tables · symmetric activations · LPBQ block 64 · 1 override · input x 1x3x48x320 · input sr = 16000 · sizes fixed in the export',
    );
  });

  it("a run on the sender's files records how many, and no percentile for another observer", () => {
    const fields = quantizationForLink(
      { ...RUN, calibration: { samples: 16, seed: 1, observer: 'minmax' } },
      { kind: 'files', samples: 5 },
    );
    expect(fields.calibration).toEqual({ mode: 'files', samples: 5, seed: 1, observer: 'minmax' });
    // Values fill random samples; the sender's files carried their own.
    expect(fields.values).toBeUndefined();
  });

  it('a value that is not a number, or too many, is refused by the schema', async () => {
    for (const values of [
      { sr: '16000' },
      { sr: null },
      { sr: 2 ** 60 },
      Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`i${i}`, 1])),
    ]) {
      const fragment = await fragmentOf(payloadWith((p) => (p.settings.values = values)));
      await expect(decodeShareLink(fragment)).rejects.toMatchObject({ code: 'invalid-field' });
    }
  });

  it('a version-2 link replays with the defaults, as it always did', async () => {
    const v2 = readFileSync(new URL('v1-url-model.txt', FIXTURES), 'utf8');
    const run = sharedQuantization((await decodeShareLink(v2)).settings)!;
    expect(run).toMatchObject({
      config: '16a8w',
      perChannelConv: true,
      perChannelLinear: false,
      actSymmetric: false,
      blockSize: 32,
      calibration: { samples: 16, seed: 42, observer: 'minmax' },
      shapes: {},
      fixSizes: false,
      values: {},
    });
    const none: SharePayloadV2['settings'] = { backend: 'htp', soc: 'SM8650', strict: true, flow: 'qnn' };
    expect(sharedQuantization(none)).toBeUndefined();
  });
});

describe('frozen fixture links', () => {
  const names = readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.txt'))
    .map((f) => f.slice(0, -4))
    .sort();

  it('exist for every version up to this one, each with its expected payload', () => {
    for (let v = 1; v <= SHARE_LINK_VERSION; v++) expect(names.some((n) => n.startsWith(`v${v}-`))).toBe(true);
    expect(
      readdirSync(FIXTURES)
        .filter((f) => f.endsWith('.expected.json'))
        .map((f) => f.slice(0, -'.expected.json'.length))
        .sort(),
    ).toEqual(names);
  });

  for (const name of names) {
    it(`${name} still decodes to its payload`, async () => {
      const link = readFileSync(new URL(`${name}.txt`, FIXTURES), 'utf8');
      const expected = JSON.parse(readFileSync(new URL(`${name}.expected.json`, FIXTURES), 'utf8'));
      expect(await decodeShareLink(link)).toEqual(expected);
    });
  }
});

describe('malformed and hostile links', () => {
  afterEach(() => vi.unstubAllGlobals());

  const snapshotWith = (edit: (s: any) => void) =>
    payloadWith((p) => {
      p.snapshot = {
        verdict: 'fail',
        counts: { error: 1, warning: 0, info: 0 },
        soc: 'SM8650',
        arch: 'V75',
        total: 1,
        findings: [finding(0)],
      };
      edit(p.snapshot);
    });

  const cases: [
    what: string,
    link: string | (() => Promise<string>),
    code: ShareLinkErrorCode,
    message: RegExp | string,
  ][] = [
    [
      'no s= parameter',
      '#view=graph&node=3',
      'no-payload',
      'This address has no share-link payload (no "s=" after the #). Copy the whole link, including everything after the #.',
    ],
    [
      'no version before the dot',
      '#s=abcdef',
      'malformed',
      /does not start with a version number and a dot \(it starts "abcdef"\)/,
    ],
    ['a version but no body', '#s=1.', 'malformed', /has a version but no payload after the dot/],
    [
      'an oversized fragment',
      `#s=1.${'A'.repeat(MAX_FRAGMENT_CHARS)}`,
      'too-long',
      'This share link is 65,540 characters long after the #; the limit is 65,536. The link is refused; no QuantLens makes links that long.',
    ],
    [
      'a future version',
      async () => fragmentOf({ ...LOCAL, v: 6 } as never, 6),
      'future-version',
      /^This share link was made by a newer QuantLens \(version 6\); this one reads up to 5\. Update QuantLens/,
    ],
    [
      'a version that never existed',
      async () => fragmentOf(LOCAL, 0),
      'unknown-version',
      /says version 0, which no QuantLens ever wrote/,
    ],
    [
      'a character outside base64url',
      '#s=1.abc*def',
      'bad-base64',
      /the character "\*" at position 4 of its payload, which base64url does not use/,
    ],
    [
      'base64url cut to an impossible length',
      '#s=1.abcde',
      'bad-base64',
      /has 5 characters, a length base64url cannot have, so it was cut/,
    ],
    [
      'bytes that are not deflate',
      `#s=1.${base64url(new Uint8Array([0xff, 0xfe, 0xfd, 0x00, 0x01, 0x02, 0x03]))}`,
      'bad-compression',
      /payload is not valid deflate data/,
    ],
    [
      'a deflate stream cut short',
      async () => `#s=1.${base64url((await deflate(new TextEncoder().encode(JSON.stringify(LOCAL)))).subarray(0, 20))}`,
      'bad-compression',
      /payload is not valid deflate data \(unexpected end of file\)/,
    ],
    [
      'a deflate bomb',
      async () => fragmentOfBytes(new Uint8Array(10 * 2 ** 20).fill(0x20)),
      'too-large',
      /expands to more than 1 MiB \(the limit\)/,
    ],
    [
      'bytes that are not UTF-8',
      async () => fragmentOfBytes(new Uint8Array([0x7b, 0xc3, 0x28, 0x7d])),
      'bad-json',
      /payload is not UTF-8 text/,
    ],
    [
      'text that is not JSON',
      async () => fragmentOfText('{"v":1,"settings":'),
      'bad-json',
      /payload is not valid JSON \(/,
    ],
    [
      'JSON that is not an object',
      async () => fragmentOf([1, 2, 3]),
      'invalid-field',
      /^This share link's payload must be object, not array\./,
    ],
    [
      'a body whose version disagrees with its prefix',
      async () => fragmentOf({ ...LOCAL, v: 6 } as never),
      'version-mismatch',
      /says version 5 before the dot but 6 inside/,
    ],
    [
      'a missing field',
      async () => fragmentOf(payloadWith((p) => delete p.model.sha256)),
      'invalid-field',
      /This share link's model is missing the required field "sha256"\. Ask the sender to copy the link again/,
    ],
    [
      'a value outside an enum',
      async () => fragmentOf(payloadWith((p) => (p.settings.backend = 'cuda'))),
      'invalid-field',
      /settings\.backend must be one of "htp", "lpai", not "cuda"/,
    ],
    [
      'a flow that does not exist',
      async () => fragmentOf(payloadWith((p) => (p.settings.flow = 'tflite'))),
      'invalid-field',
      /settings\.flow must be one of "qnn", "ort", "executorch", not "tflite"/,
    ],
    [
      'a version-2 link without a flow',
      async () => fragmentOf(payloadWith((p) => delete p.settings.flow)),
      'invalid-field',
      /settings is missing the required field "flow"/,
    ],
    [
      'a version-2 link that records quantizer options (version 3 added them)',
      async () =>
        fragmentOf(
          payloadWith((p) => {
            p.v = 2;
            p.settings.options = {
              perChannelConv: true,
              perChannelLinear: true,
              perChannelEmbedding: false,
              actSymmetric: false,
              blockSize: 32,
            };
          }),
          2,
        ),
      'invalid-field',
      /settings\.options is not a known field/,
    ],
    [
      'a version-3 link that says its sizes were fixed (version 4 added that)',
      async () =>
        fragmentOf(
          payloadWith((p) => {
            p.v = 3;
            p.settings.fixSizes = true;
          }),
          3,
        ),
      'invalid-field',
      /settings\.fixSizes is not a known field/,
    ],
    [
      'an input shape with a dimension of 0',
      async () => fragmentOf(payloadWith((p) => (p.settings.shapes = { x: [1, 3, 0, 224] }))),
      'invalid-field',
      /settings\.shapes\.x\[2\] must be ≥ 1/,
    ],
    [
      'an input shape of a day of work',
      async () => fragmentOf(payloadWith((p) => (p.settings.shapes = { x: [1, 3, 100_000_000, 224] }))),
      'invalid-field',
      /settings\.shapes\.x\[2\] must be ≤ 1000000/,
    ],
    [
      'shapes for more inputs than a link may name',
      async () =>
        fragmentOf(
          payloadWith(
            (p) => (p.settings.shapes = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`in${i}`, [1]]))),
          ),
        ),
      'invalid-field',
      /settings\.shapes must have at most 64 entries/,
    ],
    [
      'an observer that does not exist',
      async () =>
        fragmentOf(
          payloadWith((p) => (p.settings.calibration = { mode: 'random', samples: 4, seed: 1, observer: 'entropy' })),
        ),
      'invalid-field',
      /settings\.calibration\.observer must be one of "minmax", "moving-average", "percentile"/,
    ],
    [
      'a version-1 link that names a flow',
      async () => fragmentOf({ ...structuredClone(LOCAL), v: 1 }, 1),
      'invalid-field',
      /settings\.flow is not a known field/,
    ],
    [
      'a value of the wrong type',
      async () => fragmentOf(payloadWith((p) => (p.settings.strict = 'yes'))),
      'invalid-field',
      /settings\.strict must be boolean, not string/,
    ],
    [
      'a size that is not a whole number',
      async () => fragmentOf(payloadWith((p) => (p.model.size = 1.5))),
      'invalid-field',
      /model\.size must be integer, not number/,
    ],
    [
      'an unknown field',
      async () => fragmentOf(payloadWith((p) => (p.settings.autorun = true))),
      'invalid-field',
      /settings\.autorun is not a known field/,
    ],
    [
      'a constructor key',
      async () => fragmentOf(payloadWith((p) => (p.model.constructor = { x: 1 }))),
      'invalid-field',
      /model\.constructor is not a known field/,
    ],
    [
      'a __proto__ key',
      async () => fragmentOfText(JSON.stringify(LOCAL).replace('{"v":5,', '{"v":5,"__proto__":{"polluted":true},')),
      'invalid-field',
      /__proto__ is not a known field/,
    ],
    [
      'a SHA-256 that is not 64 lowercase hex digits',
      async () => fragmentOf(payloadWith((p) => (p.model.sha256 = SHA.toUpperCase()))),
      'invalid-field',
      /model\.sha256 must be the file's SHA-256 as 64 lowercase hex digits, not "E3B0C4/,
    ],
    [
      'a SoC that is not a model name',
      async () => fragmentOf(payloadWith((p) => (p.settings.soc = '<img src=x onerror=alert(1)>'))),
      'invalid-field',
      /settings\.soc must be a SoC model name such as SM8650/,
    ],
    [
      'a string over its cap',
      async () => fragmentOf(payloadWith((p) => (p.model.name = `${'n'.repeat(251)}.onnx`))),
      'invalid-field',
      /model\.name must have at most 255 characters/,
    ],
    [
      'calibration asking for too much work',
      async () =>
        fragmentOf(payloadWith((p) => (p.settings.calibration = { mode: 'random', samples: 1_000_000, seed: 1 }))),
      'invalid-field',
      /settings\.calibration\.samples must be ≤ 4096/,
    ],
    [
      'too many findings',
      async () =>
        fragmentOf(
          snapshotWith((s) => {
            s.findings = Array.from({ length: MAX_SNAPSHOT_FINDINGS + 1 }, () => finding(0));
            s.counts.error = s.total = MAX_SNAPSHOT_FINDINGS + 1;
          }),
        ),
      'invalid-field',
      /snapshot\.findings must have at most 2000 items/,
    ],
    [
      'a finding with an unknown severity',
      async () => fragmentOf(snapshotWith((s) => (s.findings[0].severity = 'fatal'))),
      'invalid-field',
      /snapshot\.findings\[0\]\.severity must be one of "error", "warning", "info", not "fatal"/,
    ],
    [
      'a javascript: model URL',
      async () => fragmentOf(payloadWith((p) => (p.model.url = 'javascript:alert(document.cookie)'))),
      'bad-url',
      /model\.url must be an http or https address; "javascript:" addresses are refused/,
    ],
    [
      'a data: model URL',
      async () => fragmentOf(payloadWith((p) => (p.model.url = 'data:application/octet-stream;base64,AAAA'))),
      'bad-url',
      /"data:" addresses are refused/,
    ],
    [
      'a file: model URL',
      async () => fragmentOf(payloadWith((p) => (p.model.url = 'file:///etc/passwd'))),
      'bad-url',
      /"file:" addresses are refused/,
    ],
    [
      'a model URL with credentials',
      async () => fragmentOf(payloadWith((p) => (p.model.url = 'https://trusted.example@evil.example/m.onnx'))),
      'bad-url',
      /must not carry a user name or password/,
    ],
    [
      'a relative model URL',
      async () => fragmentOf(payloadWith((p) => (p.model.url = 'models/m.onnx'))),
      'bad-url',
      /model\.url is not an absolute URL/,
    ],
    [
      'a bidi override in the file name',
      async () => fragmentOf(payloadWith((p) => (p.model.name = 'report\u202Exnno.exe'))),
      'invalid-field',
      /model\.name contains the invisible or text-direction character U\+202E/,
    ],
    [
      'a newline in a node name',
      async () => fragmentOf(payloadWith((p) => (p.view = { selected: 'a\nb' }))),
      'invalid-field',
      /view\.selected contains .* U\+000A/,
    ],
    [
      'an override pattern that backtracks catastrophically',
      async () => fragmentOf(payloadWith((p) => (p.settings.overrides = [{ pattern: '^(a+)+$', config: '8a8w' }]))),
      'invalid-field',
      /settings\.overrides\[0\]\.pattern repeats a group that itself repeats/,
    ],
    [
      'an override pattern that does not compile',
      async () => fragmentOf(payloadWith((p) => (p.settings.overrides = [{ pattern: '(conv', config: '8a8w' }]))),
      'invalid-field',
      /settings\.overrides\[0\]\.pattern is not a valid regular expression/,
    ],
    [
      'snapshot counts that disagree with the total',
      async () => fragmentOf(snapshotWith((s) => (s.total = 7))),
      'inconsistent',
      /snapshot says 7 findings in total but its counts add up to 1/,
    ],
    [
      'a snapshot listing more findings than its total',
      async () => fragmentOf(snapshotWith((s) => s.findings.push(finding(1)))),
      'inconsistent',
      /snapshot lists 2 findings but says there were 1/,
    ],
    [
      'a snapshot verdict that contradicts its counts',
      async () => fragmentOf(snapshotWith((s) => (s.verdict = 'pass'))),
      'inconsistent',
      /snapshot verdict is "pass" but its counts \(1 errors, 0 warnings\) make it "fail"/,
    ],
  ];

  for (const [what, make, code, message] of cases) {
    it(`${what}: ${code}`, async () => {
      const e = await errorOf(decodeShareFragment(typeof make === 'string' ? make : await make()));
      expect(e.code).toBe(code);
      if (typeof message === 'string') expect(e.message).toBe(message);
      else expect(e.message).toMatch(message);
      expect(e.hint.length).toBeGreaterThan(10);
    });
  }

  it('stops inflating a deflate bomb as soon as the cap is passed', async () => {
    const bomb = await fragmentOfBytes(new Uint8Array(40 * 2 ** 20).fill(0x20)); // 40 MiB of spaces
    expect(bomb.length).toBeLessThan(MAX_FRAGMENT_CHARS);
    let produced = 0;
    const Real = globalThis.DecompressionStream;
    class Counting extends Real {
      override get readable() {
        return super.readable.pipeThrough(
          new TransformStream<Uint8Array<ArrayBuffer>, Uint8Array<ArrayBuffer>>({
            transform(chunk, c) {
              produced += chunk.length;
              c.enqueue(chunk);
            },
          }),
        );
      }
    }
    vi.stubGlobal('DecompressionStream', Counting);
    expect((await errorOf(decodeShareFragment(bomb))).code).toBe('too-large');
    expect(produced).toBeGreaterThan(MAX_INFLATED_BYTES);
    expect(produced).toBeLessThan(MAX_INFLATED_BYTES + 512 * 1024);
  });
});

describe('override patterns', () => {
  it.each([
    '^/model/layers\\.\\d+/attn/',
    '(conv|fc)_\\d+',
    '(?:a|b)+',
    '(a+)?b',
    '[(a+)]+',
    '(\\d+\\.){3}',
    'lm_head',
  ])('accepts %s', (pattern) => {
    expect(overridePatternProblem(pattern)).toBeUndefined();
  });
  it.each(['(a+)+', '(\\w*)*x', '((ab)+c)*', '(a+){2,}', '(?:x|y+)+$'])('refuses %s', (pattern) => {
    expect(overridePatternProblem(pattern)).toMatch(/repeats a group that itself repeats/);
  });
});

describe('fragmentForCli', () => {
  it('takes a full link, a fragment with or without #, or a bare payload', async () => {
    const link = await encodeShareLink(LOCAL, 'https://quantlens.example/app/?x=1');
    const fragment = link.slice(link.indexOf('#') + 1);
    expect(fragmentForCli(link)).toBe(fragment);
    expect(fragmentForCli(`  ${link}\n`)).toBe(fragment);
    expect(fragmentForCli(`#${fragment}`)).toBe(fragment);
    expect(fragmentForCli(fragment)).toBe(fragment);
    expect(fragmentForCli(fragment.slice(2))).toBe(fragment);
    expect(await decodeShareLink(fragment.slice(2))).toEqual(LOCAL);
  });

  it('finds s= among other fragment parameters, percent-encoded or not', async () => {
    const fragment = fragmentForCli(await encodeShareLink(LOCAL, 'https://quantlens.example/'));
    expect(await decodeShareFragment(`#node=3&${fragment}&panel=findings`)).toEqual(LOCAL);
    expect(await decodeShareFragment(`#${fragment.replace('.', '%2E')}`)).toEqual(LOCAL);
  });

  it('says when a link has no fragment', async () => {
    const e = await errorOf(decodeShareLink('https://quantlens.example/app/'));
    expect(e.code).toBe('no-payload');
    expect(e.message).toMatch(/nothing after a #/);
  });
});

describe('compareDroppedModel', () => {
  it('accepts the same file silently', () => {
    expect(compareDroppedModel(LOCAL.model, { name: 'renamed.onnx', size: 20480, sha256: SHA })).toEqual({
      same: true,
    });
  });

  it('accepts a different file with a plain warning', () => {
    const r = compareDroppedModel(LOCAL.model, { name: 'mine.onnx', size: 30000, sha256: 'ab'.repeat(32) });
    expect(r.same).toBe(false);
    expect(r.warning).toBe(
      '"mine.onnx" is not the shared model "cnn-sigmoid.qdq.onnx": it has 30,000 bytes instead of 20,480 (SHA-256 abababababab… instead of e3b0c44298fc…). The results below are for your file and may differ from the shared ones.',
    );
  });
});
