/**
 * Load-path fuzzing: every case, built from our samples and Debian's libonnx-testdata by
 * structured (protobuf-level) and byte-level mutators, must end within CASE_LIMIT_MS with a model
 * or a typed, human-readable ModelLoadError; on a model, everything the app does right after a
 * load must not throw, and external data must never be read from outside the dropped files.
 *
 * Deterministic: case i of seed s is always the same bytes (see fuzz/cases.ts). To reproduce a
 * failure: QL_FUZZ_SEED=<seed> QL_FUZZ_ONLY=<i>[,<j>...] npx vitest run src/core/model/fuzz.test.ts
 * Other knobs: QL_FUZZ_CASES (default 12,000), QL_FUZZ_WORKERS (default: up to 2 processes).
 */
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { Engine } from '../session/engine';
import { ModelLoadError, type ModelLoadErrorCode } from './errors';
import {
  BlobDataSource,
  checkExternalData,
  externalLocations,
  normalizeExternalLocation,
  type ExternalDataSource,
} from './external-data';
import { DEFAULT_CASE_COUNT, DEFAULT_SEED, makeCase, truncationSweep } from '../../testing/fuzz/cases';
import type { LoadLimits } from './limits';
import { loadCorpus } from '../../testing/fuzz/corpus';
import { FAILURE_OUTCOMES, type Outcome } from '../../testing/fuzz/exercise';
import { Prng } from '../../testing/fuzz/prng';
import { PROTO_MUTATORS, encodeModel, type MutationEnv } from '../../testing/fuzz/proto-mutators';
import { familyTable, outcomeTable, runFuzz, saveFailures } from '../../testing/fuzz/runner';
import { BOUNDARY_CLASSES } from '../../testing/fuzz/wire';
import { onnx } from './onnx/generated/onnx-pb.js';
import { readOnnx } from './read-onnx';
import { previewTensor } from './tensor-values';
import type { ConstTensor, Graph, Model } from './types';

/** Every case must end within this (load + view + external-data checks + previews). */
// A guard against blowups (a quadratic path, a loop), not a speed target: the slowest case takes
// about 1.2 s alone and up to 3 s when other test files share the 2 cores; speed is in `npm run bench`.
const CASE_LIMIT_MS = 6_000;
/** A worker silent this long is killed and its case is a hang. */
const HANG_MS = 10_000;
/** The whole campaign, on a 2-core CI runner. */
const TOTAL_BUDGET_MS = 120_000;

const SEED = Number(process.env.QL_FUZZ_SEED ?? DEFAULT_SEED);
const ONLY = process.env.QL_FUZZ_ONLY?.split(',')
  .map((s) => Number(s.trim()))
  .filter(Number.isInteger);
const CASES = Number(process.env.QL_FUZZ_CASES ?? DEFAULT_CASE_COUNT);
const WORKERS = Number(process.env.QL_FUZZ_WORKERS ?? Math.min(2, availableParallelism()));

const CODES: readonly ModelLoadErrorCode[] = [
  'empty-file',
  'not-onnx',
  'truncated',
  'malformed',
  'unsupported',
  'external-data',
  'limit',
  'fetch',
];
const ORDER: readonly Outcome[] = ['parsed', ...CODES, ...FAILURE_OUTCOMES];

describe('load-path fuzz', () => {
  const indices = ONLY?.length ? ONLY : Array.from({ length: CASES }, (_, i) => i);

  it(
    `${indices.length} cases (seed ${SEED}) each end within ${CASE_LIMIT_MS} ms with a model or a typed error`,
    async () => {
      const report = await runFuzz({
        seed: SEED,
        indices,
        workers: WORKERS,
        caseLimitMs: CASE_LIMIT_MS,
        hangMs: HANG_MS,
      });
      const saved = saveFailures(report);
      const times = report.results.map((r) => r.ms).sort((a, b) => a - b);
      const at = (q: number) => (times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0).toFixed(1);
      console.log(
        [
          `fuzz: seed ${SEED}, ${report.results.length} cases, ${(report.wallMs / 1000).toFixed(1)} s wall on ${WORKERS} worker(s); per case p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${at(1)} ms (case ${report.slowest?.index}: ${report.slowest?.labels.join(' ')}); limit ${CASE_LIMIT_MS} ms`,
          outcomeTable(report, ORDER),
          '',
          familyTable(report, ORDER),
        ].join('\n'),
      );

      const failures = report.failures.map(
        (f) =>
          `case ${f.index} [${f.outcome}] base ${f.base}, mutations ${f.labels.join(' ')}: ${f.detail}\n  reproduce: QL_FUZZ_SEED=${SEED} QL_FUZZ_ONLY=${f.index} npx vitest run src/core/model/fuzz.test.ts`,
      );
      expect(failures, `failed cases (bytes saved in ${saved})`).toEqual([]);
      expect(report.results.map((r) => r.index).sort((a, b) => a - b)).toEqual([...indices].sort((a, b) => a - b));
      expect(report.results.every((r) => r.ms < CASE_LIMIT_MS)).toBe(true);
      if (!ONLY?.length) {
        expect(report.results.length).toBeGreaterThanOrEqual(10_000);
        expect(report.wallMs).toBeLessThan(TOTAL_BUDGET_MS);
        // The campaign reaches both ends: models that load, and each kind of refusal.
        for (const o of ['parsed', 'empty-file', 'not-onnx', 'truncated', 'malformed', 'limit'] as const)
          expect(report.counts.get(o) ?? 0, o).toBeGreaterThan(0);
      }
    },
    TOTAL_BUDGET_MS + 60_000,
  );
});

describe('fuzz case generation', () => {
  const corpus = loadCorpus();

  it('is deterministic: a case is the same bytes every time', () => {
    for (const i of [0, 1, 5_000, 9_999, 11_999]) {
      const a = makeCase(corpus, SEED, i);
      const b = makeCase(corpus, SEED, i);
      expect(Buffer.from(a.bytes).equals(Buffer.from(b.bytes)), `case ${i}`).toBe(true);
      expect(a.labels).toEqual(b.labels);
    }
    expect(makeCase(corpus, SEED + 1, 5_000).labels).not.toEqual(makeCase(corpus, SEED, 5_000).labels);
  });

  it('sweeps truncations across every boundary class', () => {
    const classes = new Set(truncationSweep(corpus).map((c) => c.cls));
    expect([...classes].sort()).toEqual([...BOUNDARY_CLASSES].sort());
  });

  it('uses every structured and byte mutator over a run', () => {
    const families = new Set<string>();
    const bytes = new Set<string>();
    for (let i = truncationSweep(corpus).length; i < CASES && i < 4_000; i++) {
      const c = makeCase(corpus, SEED, i);
      families.add(c.family.replace('+bytes', ''));
      for (const l of c.labels) bytes.add(l.split(/[:@]/)[0]!);
    }
    for (const [name] of PROTO_MUTATORS) expect(families, name).toContain(name);
    for (const name of ['truncate', 'bitflip', 'structflip', 'length', 'varint', 'wiretype', 'chunks', 'foreign'])
      expect(bytes, name).toContain(name);
  });
});

/** Every constant tensor of a model, in every graph. */
function allConstants(model: Model): ConstTensor[] {
  const out: ConstTensor[] = [];
  const visit = (g: Graph) => {
    out.push(...g.initializers.values());
    for (const n of g.nodes) {
      for (const a of n.attributes) if (a.attr.type === 'tensor') out.push(a.attr.value);
      for (const s of n.subgraphs) visit(s.graph);
    }
  };
  visit(model.graph);
  return out;
}

class RecordingSource implements ExternalDataSource {
  readonly reads: string[] = [];
  constructor(private readonly inner: ExternalDataSource) {}
  has(location: string) {
    return this.inner.has(location);
  }
  size(location: string) {
    return this.inner.size(location);
  }
  read(location: string, offset: number, length: number | null) {
    this.reads.push(location);
    return this.inner.read(location, offset, length);
  }
}

describe('external data in fuzzer-made models cannot escape the dropped files', () => {
  const corpus = loadCorpus();
  const external = PROTO_MUTATORS.find(([name]) => name === 'external')![1];
  const sample = corpus.samples.find((s) => s.name === 'samples/cnn-sigmoid.qdq.onnx')!;

  it('refuses `..`, absolute, drive-letter and URL locations in checkExternalData, normalizeExternalLocation and previewTensor', async () => {
    let refused = 0;
    let allowedReads = 0;
    const seen = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const rng = Prng.forCase(SEED, 1_000_000 + i);
      const m = onnx.ModelProto.decode(sample.bytes);
      const env: MutationEnv = { files: new Map(), limits: {} };
      external(m, rng, env);
      const model = readOnnx(encodeModel(m), { fileName: `ext-${i}.onnx` });
      const files = [...env.files].map(([name, bytes]) => ({
        name,
        blob: new Blob([bytes as Uint8Array<ArrayBuffer>]),
      }));
      const source = new RecordingSource(new BlobDataSource(files));
      const warnings = checkExternalData(model, source);
      for (const location of externalLocations(model).keys()) {
        seen.add(location);
        const norm = normalizeExternalLocation(location);
        const climbs = location.replace(/\\/g, '/').split('/').includes('..');
        const absolute = /^([a-zA-Z]:|[\\/]|[a-z][a-z0-9+.-]*:\/\/)/i.test(location);
        if (climbs || absolute) {
          expect(norm.ok, location).toBe(false);
          expect(
            warnings.some((w) => w.includes('is refused')),
            location,
          ).toBe(true);
        }
      }
      for (const t of allConstants(model)) {
        if (t.data.kind !== 'external') continue;
        const preview = await previewTensor(t, source);
        if (!normalizeExternalLocation(t.data.location).ok) {
          expect(preview.note, t.data.location).toMatch(/^external data refused/);
          expect(preview.values).toEqual([]);
          refused++;
        }
      }
      for (const location of source.reads) {
        allowedReads++;
        expect(normalizeExternalLocation(location)).toEqual({ ok: true, path: location });
        expect(env.files.has(location) || env.files.has(location.split('/').pop()!), location).toBe(true);
      }
    }
    // The mutator did produce both kinds, and the decoys named like the targets were never read.
    expect(seen).toContain('../../etc/passwd');
    expect(seen).toContain('/etc/passwd');
    expect(refused).toBeGreaterThan(100);
    expect(allowedReads).toBeGreaterThan(0);
  });

  it('refuses them through the engine too (drop the model with a decoy named like the target)', async () => {
    const m = onnx.ModelProto.decode(sample.bytes);
    const weight = m.graph!.initializer!.find((t) => (t.dims?.length ?? 0) === 4)!;
    weight.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
    weight.externalData = [
      { key: 'location', value: '../../etc/passwd' },
      { key: 'offset', value: '0' },
    ];
    weight.rawData = new Uint8Array();
    const bytes = encodeModel(m);
    const engine = new Engine();
    const result = await engine.openFiles([
      new File([bytes as Uint8Array<ArrayBuffer>], 'm.onnx'),
      new File(['root:x:0:0'], 'passwd'),
    ]);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.summary.warnings.join('\n')).toMatch(/is refused: the location "\.\.\/\.\.\/etc\/passwd" climbs out/);
    const answer = await engine.tensorPreview('', weight.name!);
    const preview = answer.ok ? answer.preview : undefined;
    expect(preview?.note).toMatch(/^external data refused/);
    expect(preview?.values).toEqual([]);
  });
});

describe('the engine load path on fuzz cases', () => {
  it('returns a model or a typed error for a sample of cases, never a wrapped crash', async () => {
    const corpus = loadCorpus();
    const codes = new Map<string, number>();
    for (let i = 0; i < 400; i++) {
      const c = makeCase(corpus, SEED, i * 29 + 3);
      const engine = new Engine();
      const files = [
        new File([c.bytes as Uint8Array<ArrayBuffer>], c.fileName),
        ...c.files.map((f) => new File([f.bytes as Uint8Array<ArrayBuffer>], f.name)),
      ];
      const result = await engine.openFiles(files);
      const key = result.ok ? 'parsed' : result.error.code;
      codes.set(key, (codes.get(key) ?? 0) + 1);
      if (!result.ok) {
        expect(CODES, `case ${c.index}`).toContain(result.error.code);
        expect(result.error.problem, `case ${c.index}: ${result.error.message}`).not.toMatch(/could not be read/);
      } else {
        expect((await engine.graphView('')).ok).toBe(true);
      }
    }
    expect(codes.get('parsed') ?? 0).toBeGreaterThan(0);
  });
});

describe('explicit limits: exceeding one says which, and its value', () => {
  const corpus = loadCorpus();
  const sample = corpus.samples.find((s) => s.name === 'samples/cnn-sigmoid.qdq.onnx')!;
  const loadError = (bytes: Uint8Array, limits: Partial<LoadLimits>): ModelLoadError => {
    try {
      readOnnx(bytes, { fileName: 'lim.onnx', limits });
    } catch (err) {
      expect(err).toBeInstanceOf(ModelLoadError);
      return err as ModelLoadError;
    }
    throw new Error('expected a limit error');
  };
  const withEdit = (edit: (m: onnx.ModelProto) => void) => {
    const m = onnx.ModelProto.decode(sample.bytes);
    edit(m);
    return encodeModel(m);
  };
  const nested = (depth: number) =>
    withEdit((m) => {
      let g: onnx.GraphProto.$Properties = { name: 'leaf' };
      for (let k = 0; k < depth; k++)
        g = {
          name: `l${k}`,
          node: [
            {
              opType: 'If',
              input: ['c'],
              output: [`y${k}`],
              attribute: [{ name: 'then_branch', type: onnx.AttributeProto.AttributeType.GRAPH, g }],
            },
          ],
        };
      m.graph!.node!.push(...g.node!);
    });

  it('maxFileBytes', () => {
    const e = loadError(sample.bytes, { maxFileBytes: 1000 });
    expect(e.code).toBe('limit');
    expect(e.problem).toMatch(/10,\d{3} bytes, more than the limit of 1,000 bytes \(maxFileBytes\)/);
  });
  it('maxNodes', () => {
    expect(loadError(sample.bytes, { maxNodes: 3 }).problem).toMatch(/more than the limit of 3 nodes \(maxNodes\)/);
  });
  it('maxGraphDepth', () => {
    const e = loadError(nested(5), { maxGraphDepth: 4 });
    expect(e.problem).toMatch(/nested 5 deep .*the limit of 4 sub-graph levels \(maxGraphDepth\)/);
    expect(e.hint).toMatch(/raise maxGraphDepth/);
    expect(() => readOnnx(nested(32))).not.toThrow();
    expect(loadError(nested(33), {}).problem).toMatch(/\(maxGraphDepth\)/);
  });
  it('maxMessageDepth', () => {
    const e = loadError(nested(100), {});
    expect(e.problem).toMatch(
      /protobuf messages are nested deeper than the limit of 128 protobuf message levels \(maxMessageDepth\)/,
    );
    expect(loadError(nested(3), { maxMessageDepth: 6 }).problem).toMatch(/\(maxMessageDepth\)/);
  });
  it('maxTensorElements', () => {
    const huge = withEdit((m) => {
      m.graph!.initializer![0]!.dims = [2 ** 20, 2 ** 20];
    });
    const e = loadError(huge, {});
    expect(e.problem).toMatch(
      /^initializer ".+" in the main graph has dims \[1048576, 1048576\], 1\.100e\+12 elements, more than the limit of 2\^34 elements \(maxTensorElements\)$/,
    );
    expect(() => readOnnx(huge, { limits: { maxTensorElements: 2 ** 40 } })).not.toThrow();
  });
  it('maxTensorRank', () => {
    const deep = withEdit((m) => {
      m.graph!.initializer![0]!.dims = Array(65).fill(1);
    });
    expect(loadError(deep, {}).problem).toMatch(/has 65 dims, more than the limit of 64 dims \(maxTensorRank\)/);
    const shape = withEdit((m) => {
      m.graph!.input![0]!.type = {
        tensorType: { elemType: 1, shape: { dim: Array.from({ length: 70 }, () => ({ dimValue: 1 })) } },
      };
    });
    expect(loadError(shape, {}).problem).toMatch(
      /declared shape of ".+" in the main graph has 70 dims.*\(maxTensorRank\)/,
    );
  });
  it('ignores nonsense overrides instead of switching a limit off', () => {
    expect(loadError(sample.bytes, { maxNodes: 3, maxFileBytes: Number.NaN }).problem).toMatch(/\(maxNodes\)/);
    expect(() => readOnnx(sample.bytes, { limits: { maxNodes: -1 } })).not.toThrow();
  });
});
