/**
 * CI smoke for the large-model generator and the benchmark: small sizes, end to end, in child
 * processes as a real run does. Asserts that everything completes and every figure is reported,
 * never how fast (CI machines vary too much for timing assertions).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { qgraphFromQdq } from '../src/core/qgraph/from-qdq';
import { validate } from '../src/core/check/validate';
import { readOnnx } from '../src/core/model/read-onnx';
import { configureOrtForNode } from '../src/core/quant/ort-node';
import { loadRulePack } from '../rules/registry';
import { NODE_METRICS, NODE_TARGETS } from './bench/node';
import { BROWSER_METRICS, BROWSER_TARGETS } from './bench/browser';
import { CALIBRATION_TARGETS } from './bench/calibration';
import { CALIBRATION_METRICS } from './bench/calibration';
import { addPartResults, renderMarkdown } from './bench/report';
import { casesFor, runBench } from './bench/run';
import { cliFigures, cliPart, hashLikeTheCli } from './bench/cli';
import { speedDriftNote } from './bench/machine';
import type { BenchReport } from './bench/types';
import { generateLargeModel } from './large-model/generate';

const dir = mkdtempSync(join(tmpdir(), 'ql-bench-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the generated decoder in onnxruntime-web and returns the logits' dims. */
async function runDecoder(modelPath: string, dataPath?: string): Promise<readonly number[]> {
  const ort = configureOrtForNode();
  const externalData = dataPath
    ? [{ path: dataPath.split('/').pop()!, data: new Uint8Array(readFileSync(dataPath)) }]
    : undefined;
  const session = await ort.InferenceSession.create(new Uint8Array(readFileSync(modelPath)), { externalData });
  const S = 16;
  const D = 16;
  const H = 64;
  const t = (dims: number[], v: number) =>
    new ort.Tensor('float32', new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(v), dims);
  const out = await session.run({
    inputs_embeds: t([1, S, H], 0.1),
    position_cos: t([1, 1, S, D], 1),
    position_sin: t([1, 1, S, D], 0),
    attention_mask: t([1, 1, S, S], 0),
  });
  return out.logits!.dims;
}

describe('gen-large-model', () => {
  it('comes within one layer of the target node count, with scoped names', () => {
    const m = generateLargeModel({ nodes: 1000, qdq: true, outDir: dir, name: 'count' });
    const model = readOnnx(new Uint8Array(readFileSync(m.modelPath)));
    expect(model.graph.nodes.length).toBe(m.nodes);
    const perLayer = m.nodes / m.shape.layers;
    expect(Math.abs(m.nodes - 1000)).toBeLessThan(perLayer);
    const names = new Set(model.graph.nodes.map((n) => n.name));
    for (const name of [
      '/model/layers.0/self_attn/q_proj/MatMul',
      '/model/layers.0/mlp/act_fn/Sigmoid',
      '/model/layers.0/input_layernorm/ReduceMean',
      '/model/layers.0/self_attn/q_rotary/Neg',
      '/lm_head/MatMul',
    ]) {
      expect(names).toContain(name);
    }
  });

  it('writes float and QDQ models that onnxruntime runs, inline and with streamed external data', async () => {
    const float = generateLargeModel({ nodes: 300, outDir: dir, name: 'float' });
    const qdq = generateLargeModel({ nodes: 300, qdq: true, outDir: dir, name: 'qdq' });
    const ext = generateLargeModel({
      nodes: 300,
      qdq: true,
      activation: 'uint8',
      norm: 'layernorm',
      external: true,
      outDir: dir,
      name: 'ext',
    });
    expect(ext.externalBytes).toBeGreaterThan(0);
    for (const m of [float, qdq, ext]) expect(await runDecoder(m.modelPath, m.dataPath)).toEqual([1, 16, 512]);
  });

  it('plants exactly one validator finding per flawed layer, and none without flaws', async () => {
    const pack = await loadRulePack('htp');
    const check = (flawEvery: number) => {
      const m = generateLargeModel({ nodes: 2000, qdq: true, flawEvery, outDir: dir, name: `flaws-${flawEvery}` });
      const result = validate(qgraphFromQdq(readOnnx(new Uint8Array(readFileSync(m.modelPath)))), pack, {
        soc: pack.defaultSoc,
        strict: true,
      });
      return { layers: m.shape.layers, findings: result.findings };
    };
    expect(check(0).findings).toEqual([]);
    const { layers, findings } = check(4);
    expect(findings).toHaveLength(Math.floor(layers / 4));
    expect(new Set(findings.map((f) => f.rule))).toEqual(new Set(['fixed-qparams']));
  });

  it('sizes the hidden width to a weight budget, streaming it to the side file', () => {
    const m = generateLargeModel({ nodes: 500, qdq: true, weightsGiB: 0.01, outDir: dir, name: 'budget' });
    expect(m.externalBytes / 2 ** 30).toBeGreaterThan(0.007);
    expect(m.externalBytes / 2 ** 30).toBeLessThan(0.013);
    expect(m.modelBytes).toBeLessThan(m.externalBytes);
  });
});

describe('bench: the command line rows', () => {
  const passes = {
    checks: [300, 280, 320],
    bareChecks: [] as number[],
    sessions: [250, 240, 260],
    processes: [400, 390, 410],
    starts: [100, 90, 110],
    bareStarts: [] as number[],
    hashes: [40, 50, 45],
  };
  const value = (figures: ReturnType<typeof cliFigures>, metric: string) => figures.find((f) => f.metric === metric);

  it("puts Node's start and the file's hash against the session: the floor no CLI that names the file by its SHA-256 goes under", () => {
    const figures = cliFigures(passes);
    expect(value(figures, 'cli.check-vs-ort')?.value).toBe(1.2);
    // (median start 100 + median hash 45) / median session 250
    expect(value(figures, 'cli.floor-vs-ort')?.value).toBe(0.58);
    expect(value(figures, 'cli.file-hash')?.value).toBe(45);
    expect(value(figures, 'cli.check-process-bare')).toMatchObject({
      value: null,
      note: expect.stringMatching(/not set/),
    });
  });

  it("times the CLI's own hashing program, which gives the file's SHA-256", () => {
    const file = 'public/samples/broken-axis.qdq.onnx';
    const { hex, ms } = hashLikeTheCli(file);
    expect(hex).toBe(createHash('sha256').update(readFileSync(file)).digest('hex'));
    expect(ms).toBeGreaterThan(0);
  });

  it('reports the runs without the certificate file where the environment sets one, and no ratios when onnxruntime refuses', () => {
    const bare = cliFigures({ ...passes, bareChecks: [200, 190, 210], bareStarts: [35, 30, 40] });
    expect(value(bare, 'cli.check-process-bare')?.value).toBe(200);
    expect(value(bare, 'cli.node-start-bare')?.value).toBe(35);
    const refused = cliFigures({ ...passes, sessions: [], processes: [], refused: 'Invalid model' });
    expect(value(refused, 'cli.floor-vs-ort')).toMatchObject({
      value: null,
      note: expect.stringMatching(/Invalid model/),
    });
    expect(value(refused, 'cli.check-process')?.value).toBe(300);
  });
});

describe('bench (smoke)', () => {
  let report: BenchReport;
  const out = join(dir, 'results');

  it('runs every case end to end in child processes', async () => {
    report = await runBench({
      cases: casesFor(['200', '1k'], { nodes: '1k', weightsGiB: 0.01 }),
      outDir: out,
      args: ['--smoke'],
      log: () => {},
    });
    expect(report.cases.map((c) => c.case.id)).toEqual(['200', '1k', '1k-10mib']);
  });

  it("measured the page's production build (this test runs with Vitest's NODE_ENV=test)", () => {
    expect(process.env.NODE_ENV).toBe('test');
    const scripts = readdirSync('dist/assets').filter((f) => f.endsWith('.js'));
    expect(scripts.length).toBeGreaterThan(0);
    // React's development runtime: JSX compiled to jsxDEV calls that carry their source positions.
    for (const f of scripts) expect(readFileSync(join('dist/assets', f), 'utf8'), f).not.toContain('jsxDEV)(');
  });

  it('reports every figure for every case', () => {
    for (const c of report.cases) {
      for (const metric of [...NODE_METRICS, ...CALIBRATION_METRICS, ...BROWSER_METRICS]) {
        const f = c.figures.find((x) => x.metric === metric.id);
        expect(f, `${c.case.id}: ${metric.id}`).toBeDefined();
        // A figure is either measured or says why it does not apply.
        expect(f!.value !== null || Boolean(f!.note), `${c.case.id}: ${metric.id}`).toBe(true);
        if (typeof f!.value === 'number') expect(Number.isFinite(f!.value), `${c.case.id}: ${metric.id}`).toBe(true);
      }
    }
    // The external-data case measures everything, lazy preview and RSS-to-file ratio included
    // (Netron only when the run is given a checkout of it, which this one is not).
    const ext = report.cases.find((c) => c.case.id === '1k-10mib')!;
    expect(
      ext.figures.filter(
        (f) => f.value === null && !f.metric.startsWith('calib.') && f.metric !== 'browser.netron-drop-to-graph',
      ),
    ).toEqual([]);
    expect(ext.case.externalBytes).toBeGreaterThan(0);
  });

  it('checks each target and writes the Markdown and JSON results', () => {
    expect(report.targets.map((t) => t.id)).toEqual(
      [...NODE_TARGETS, ...CALIBRATION_TARGETS, ...BROWSER_TARGETS, ...cliPart.targets!].map((t) => t.id),
    );
    // Of the target cases, smoke sizes include only 1k (first graph and long tasks under 2k nodes).
    for (const t of report.targets)
      if (t.caseId === '1k') expect(typeof t.met, t.id).toBe('boolean');
      else expect(t.met, t.id).toBeNull();
    const md = readFileSync(join(out, 'latest.md'), 'utf8');
    expect(md).toBe(renderMarkdown(report));
    for (const m of [...NODE_METRICS, ...BROWSER_METRICS]) expect(md).toContain(m.label);
    expect(md).toMatch(/\d+ cores/);
    const json = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8')) as BenchReport;
    expect(json.schema).toBe(1);
    expect(json.machine.node).toBe(process.version);
    // The host-speed probe, at both ends of the run, in the header too.
    expect(json.machine.speedProbeMs).toBeGreaterThan(0);
    expect(json.machine.speedProbeMsAfter).toBeGreaterThan(0);
    expect(md).toContain(`Host-speed probe`);
    expect(md).toContain(
      `${json.machine.speedProbeMs} ms at the start, ${json.machine.speedProbeMsAfter} ms at the end`,
    );
    expect(json.cases).toHaveLength(3);
  });

  it('warns when the host-speed probe moved by more than 15% during the run, in either direction', () => {
    expect(speedDriftNote(180, 200)).toBeUndefined();
    expect(speedDriftNote(200, 180)).toBeUndefined();
    expect(speedDriftNote(180, 310)).toMatch(/180 ms at the start and 310 ms at the end \(1\.72x\)/);
    expect(speedDriftNote(310, 180)).toMatch(/1\.72x/);
  });

  it('sets real models side by side with Netron and says how much faster, or that it is slower', () => {
    const real = (id: string, now: number, delay?: number, netron?: number) => ({
      case: {
        id,
        targetNodes: 1084,
        qdq: false,
        flawEvery: 0,
        nodes: 1084,
        layers: 0,
        hidden: 0,
        modelBytes: 44_342_436,
        externalBytes: 0,
        generateMs: 0,
        real: { label: `model ${id}`, producer: 'p', origin: 'npm', netronMs: 3600, beforeMs: 1820 },
      },
      figures: [
        { metric: 'browser.drop-to-graph', value: now },
        ...(delay === undefined ? [] : [{ metric: 'browser.harness-delay', value: delay }]),
        ...(netron === undefined ? [] : [{ metric: 'browser.netron-drop-to-graph', value: netron }]),
        { metric: 'cli.check-vs-ort', value: 2.5 },
      ],
    });
    const md = renderMarkdown({
      ...report,
      cases: [
        ...report.cases,
        real('fast', 500),
        real('slow', 4000),
        real('delayed', 400, 200),
        real('raced', 300, 20, 900),
        real('lost', 300, 20, 200),
      ],
    });
    expect(md).toContain('## Real models, side by side');
    expect(md).toMatch(
      /\| model fast \| p \| 1,084 \| npm \| 1,820 ms \| 3,600 ms \| 500 ms \| — \| 7\.2x faster \| 720 ms \|/,
    );
    expect(md).toMatch(/\| model slow \|.*\| 4,000 ms \| — \| \*\*1\.1x slower\*\* \|/);
    // Netron's figure was taken from the harness's call: the harness's delay is added to compare.
    expect(md).toMatch(/\| model delayed \|.*\| 400 ms \| 200 ms \| 6\.0x faster \| 720 ms \| — \| — \|/);
    // Netron measured in the same run, from the file's arrival as QuantLens is: no delay added.
    expect(md).toMatch(/\| model raced \|.*\| 720 ms \| 900 ms \| 3\.0x faster \|/);
    expect(md).toMatch(/\| model lost \|.*\| 720 ms \| 200 ms \| \*\*1\.5x slower\*\* \|/);
    // Generated cases stay in their own table; real ones are not listed there as 0 × 0 decoders.
    expect(md).not.toMatch(/\| fast \| 1,084 \| 0 × 0/);
  });

  it('takes figures of another part into the table and the targets', () => {
    const part = {
      name: 'extra',
      metrics: [{ id: 'browser.first-render', label: 'First render', unit: 'ms' as const, description: 'test' }],
      targets: [
        {
          id: 'render-1k',
          metric: 'browser.first-render',
          caseId: '1k',
          limit: 100,
          unit: 'ms' as const,
          text: '1k: first render within 100 ms',
        },
      ],
    };
    const merged = addPartResults(report, part, { '1k': [{ metric: 'browser.first-render', value: 150 }] });
    expect(merged.parts).toEqual(['node', 'calibration', 'browser', 'cli', 'extra']);
    const target = merged.targets.find((t) => t.id === 'render-1k')!;
    expect(target).toMatchObject({ value: 150, met: false, delta: 50 });
    const md = renderMarkdown(merged);
    expect(md).toContain('| First render | ');
    expect(md).toContain('**MISSED** by 50 ms (50% over)');
    expect(merged.targets).toHaveLength(
      NODE_TARGETS.length + CALIBRATION_TARGETS.length + BROWSER_TARGETS.length + cliPart.targets!.length + 1,
    );
  });
});
