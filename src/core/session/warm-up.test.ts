import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { Engine } from './engine';
import { warmUpModelBytes } from './warm-up';
import { readOnnx } from '../model/read-onnx';
import type { CheckSettings } from './api';
import { nodeRuntime } from '../quant/node-runtime';
import type { OrtRuntime } from '../quant/runtime';

const SETTINGS: CheckSettings = { backend: 'htp', soc: 'SM8650', strict: true, target: 'model' };
// A float PyTorch export with a Loop sub-graph (the real-exporter corpus, `npm run gen:corpus`).
const LOOP = '.cache/corpus/torch/float-loop-refine.onnx';

describe('the engine warm-up', () => {
  it('is a model python3-onnx accepts (full check, with shape inference) and reads without warnings', () => {
    const bytes = warmUpModelBytes();
    const path = join(mkdtempSync(join(tmpdir(), 'ql-warm-')), 'warm-up.onnx');
    writeFileSync(path, bytes);
    const out = execFileSync(
      '/usr/bin/python3',
      ['-c', 'import onnx, sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True); print("ok")', path],
      { encoding: 'utf8' },
    );
    expect(out.trim()).toBe('ok');
    const model = readOnnx(bytes);
    expect(model.warnings).toEqual([]);
    // What the start-up sample lacks: sub-graphs on both kinds of control flow, Constant nodes.
    const ops = new Set(model.graph.nodes.map((n) => n.opType));
    for (const op of ['If', 'Loop', 'Constant', 'Conv', 'Reshape', 'Transpose']) expect(ops).toContain(op);
  });

  it("opens in an engine of its own: the current model, its drawing and its check stay the person's", async () => {
    const engine = new Engine(undefined, { hashWhenAsked: true });
    const opened = await engine.openFiles([new File([readFileSync(LOOP)], 'float-loop-refine.onnx')]);
    expect(opened.ok).toBe(true);
    const before = await engine.graphView('');
    const checkBefore = await engine.check(SETTINGS);
    await engine.warmUp(SETTINGS);
    const after = await engine.graphView('');
    const checkAfter = await engine.check(SETTINGS);
    expect(after.ok && after.view.nodes.map((n) => n.name)).toEqual(before.ok && before.view.nodes.map((n) => n.name));
    expect(after.ok && after.view.nodes.some((n) => n.name.includes('block'))).toBe(false);
    expect(checkAfter.ok && checkAfter.report.model.name).toBe('float-loop-refine.onnx');
    expect(checkAfter.ok && checkAfter.result.findings.map((f) => f.rule)).toEqual(
      checkBefore.ok && checkBefore.result.findings.map((f) => f.rule),
    );
  });

  it('runs once, and opens every sub-graph of its model in the spare engine', async () => {
    const engine = new Engine(undefined, { hashWhenAsked: true });
    const spare = new Engine(undefined, { hashWhenAsked: true });
    const loaded = await spare.openFiles([new File([warmUpModelBytes() as Uint8Array<ArrayBuffer>], 'warm-up.onnx')]);
    expect(loaded.ok).toBe(true);
    const main = await spare.graphView('');
    const paths = main.ok ? main.view.nodes.flatMap((n) => n.subgraphs.map((g) => g.path)) : [];
    expect(paths).toHaveLength(3);
    for (const p of paths) expect((await spare.graphView(p)).ok).toBe(true);
    const opens = vi.spyOn(Engine.prototype, 'openFiles');
    await engine.warmUp(SETTINGS);
    const first = opens.mock.calls.length;
    await engine.warmUp(SETTINGS);
    const second = opens.mock.calls.length - first;
    opens.mockRestore();
    // A few rounds the first time (every one on the warm-up model), none the second.
    expect(first).toBeGreaterThan(0);
    expect(second).toBe(0);
  });

  /** nodeRuntime, counting the sessions created; `onCreate` runs as each is asked for. */
  const countingRuntime = (onCreate?: (n: number) => void) => {
    const created: number[] = [];
    const runtime: OrtRuntime = {
      ...nodeRuntime,
      createSession: (bytes, options) => {
        created.push(bytes.length);
        onCreate?.(created.length);
        return nodeRuntime.createSession(bytes, options);
      },
    };
    return { runtime, created };
  };

  it("starts the engine's runtime: its model quantized there, SQNR and all, once, leaving the person's model without a plan", async () => {
    const { runtime, created } = countingRuntime();
    const engine = new Engine(runtime, { hashWhenAsked: true });
    await engine.openFiles([new File([readFileSync(LOOP)], 'float-loop-refine.onnx')]);
    await engine.warmUp(SETTINGS);
    // The control-flow probe, the calibration sessions and the SQNR's.
    expect(created.length).toBeGreaterThanOrEqual(3);
    const after = created.length;
    await engine.warmUp(SETTINGS);
    expect(created.length).toBe(after);
    const plan = await engine.exportArtifact('qdq');
    expect(plan.ok ? 'exported' : plan.error.code).toBe('no-plan');
    expect((await engine.check(SETTINGS)).ok && (await engine.graphView('')).ok).toBe(true);
  });

  it('gives way at once to a model the person opens while it runs', async () => {
    let engine: Engine | undefined;
    let opened: ReturnType<Engine['openFiles']> | undefined;
    // The person's model arrives as the warm-up asks for its first session.
    const { runtime, created } = countingRuntime((n) => {
      if (n === 1) opened = engine!.openFiles([new File([readFileSync(LOOP)], 'float-loop-refine.onnx')]);
    });
    engine = new Engine(runtime, { hashWhenAsked: true });
    await engine.warmUp(SETTINGS);
    expect(created.length).toBe(1);
    const loaded = await opened!;
    expect(loaded.ok && loaded.summary.fileName).toBe('float-loop-refine.onnx');
  });
});
