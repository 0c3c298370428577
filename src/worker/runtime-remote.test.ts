import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/umd/node-adapter.js';
import { describe, expect, it } from 'vitest';
import { Engine } from '../core/session/engine';
import { DEFAULT_OPTIONS } from '../core/quant/configs';
import { nodeRuntime } from '../core/quant/node-runtime';
import { RuntimeStoppedError } from '../core/quant/runtime';
import type { QuantizeSettings } from '../core/session/api';
import type { RuntimeHost } from './runtime-host';
import { remoteRuntime, type RuntimeWorker } from './runtime-remote';

const file = (path: string) => new File([readFileSync(path)], path.split('/').pop()!);
const settings = (samples = 3): QuantizeSettings => ({
  backend: 'htp',
  soc: 'SM8650',
  strict: true,
  ...DEFAULT_OPTIONS,
  overrides: [],
  calibration: { samples, seed: 1, observer: 'minmax' },
});

/** The test host in a worker thread, as the engine worker starts the browser's. */
function startThread(data: object = {}, started: Worker[] = []): RuntimeWorker {
  const worker = new Worker(new URL('./test/runtime-host-thread.mjs', import.meta.url), { workerData: data });
  started.push(worker);
  const failed = new Promise<never>((_, reject) => {
    worker.on('error', (e) => reject(new RuntimeStoppedError(`onnxruntime stopped (${e.message})`)));
    worker.on('exit', (code) => reject(new RuntimeStoppedError(`onnxruntime stopped (exit code ${code})`)));
  });
  return {
    host: Comlink.wrap<RuntimeHost>(nodeEndpoint(worker as never)),
    failed,
    terminate: () => void worker.terminate(),
  };
}

describe('onnxruntime in a worker of its own', () => {
  it('quantizes a PyTorch Loop export exactly as onnxruntime in the engine thread does', async () => {
    // torch.onnx.export of a refinement loop (a Loop with an outer tensor read in its body).
    const model = file('.cache/corpus/torch/float-loop-refine.onnx');
    const threads: Worker[] = [];
    const remote = new Engine(remoteRuntime(() => startThread({}, threads)));
    const local = new Engine(nodeRuntime);
    try {
      await remote.openFiles([model]);
      await local.openFiles([model]);
      const [a, b] = [await remote.quantize(settings()), await local.quantize(settings())];
      if (!a.ok || !b.ok) throw new Error(`${!a.ok ? a.error.message : ''} ${!b.ok ? b.error.message : ''}`);
      expect(a.quantizedTensors).toBeGreaterThan(0);
      expect(a.tensorEncodings).toEqual(b.tensorEncodings);
      expect(a.sqnr).toEqual(b.sqnr);
      expect(a.result.findings).toEqual(b.result.findings);
      const [qa, qb] = [await remote.exportArtifact('qdq'), await local.exportArtifact('qdq')];
      expect(qa.ok && qb.ok && Buffer.from(qa.bytes).equals(Buffer.from(qb.bytes))).toBe(true);
      expect(threads).toHaveLength(1);
    } finally {
      for (const t of threads) await t.terminate();
    }
  });

  it('leaves the engine free while a session is being created: another model opens meanwhile', async () => {
    const hold = new Int32Array(new SharedArrayBuffer(8));
    const threads: Worker[] = [];
    const engine = new Engine(remoteRuntime(() => startThread({ hold }, threads)));
    try {
      await engine.openFiles([file('.cache/corpus/torch/float-resnet18.onnx')]);
      const run = engine.quantize(settings());
      while (Atomics.load(hold, 1) === 0) await new Promise((r) => setTimeout(r, 5));
      // The runtime is inside its session creation, and stays there until released.
      const opened = await engine.openFiles([file('public/samples/cnn-sigmoid.qdq.onnx')]);
      expect(opened.ok && opened.summary.fileName).toBe('cnn-sigmoid.qdq.onnx');
      expect((await engine.check({ backend: 'htp', soc: 'SM8650', strict: true })).ok).toBe(true);
      expect(Atomics.load(hold, 0)).toBe(0);
      Atomics.store(hold, 0, 1);
      Atomics.notify(hold, 0);
      const out = await run;
      expect(out.ok ? 'finished' : out.error.code).toBe('cancelled');
    } finally {
      for (const t of threads) await t.terminate();
    }
  });

  it('says the runtime stopped when its worker dies, and starts a new one for the next run', async () => {
    const threads: Worker[] = [];
    let starts = 0;
    const engine = new Engine(remoteRuntime(() => startThread({ exitOnRun: starts++ === 0 }, threads)));
    try {
      await engine.openFiles([file('public/samples/cnn-sigmoid.onnx')]);
      const first = await engine.quantize(settings(2));
      expect(first.ok).toBe(false);
      expect(first.ok ? '' : first.error.code).toBe('runtime-stopped');
      if (!first.ok) expect(first.error.problem).toBe('The run was lost: onnxruntime stopped (exit code 3)');
      const second = await engine.quantize(settings(2));
      if (!second.ok) throw new Error(second.error.message);
      expect(second.quantizedTensors).toBeGreaterThan(0);
      expect(starts).toBe(2);
    } finally {
      for (const t of threads) await t.terminate();
    }
  });

  it("a runtime warm-up gives way to the person's model: the worker held inside a session is ended, the next run starts another", async () => {
    const hold = new Int32Array(new SharedArrayBuffer(8));
    const threads: Worker[] = [];
    let starts = 0;
    const engine = new Engine(remoteRuntime(() => startThread(starts++ === 0 ? { hold } : {}, threads)));
    try {
      const warming = engine.warmUp({ backend: 'htp', soc: 'SM8650', strict: true });
      // The warm-up's first session is being created, and would stay so until released.
      while (Atomics.load(hold, 1) === 0) await new Promise((r) => setTimeout(r, 5));
      const opened = await engine.openFiles([file('public/samples/cnn-sigmoid.onnx')]);
      expect(opened.ok && opened.summary.fileName).toBe('cnn-sigmoid.onnx');
      await warming;
      // The held worker was ended, never released.
      await new Promise<void>((resolve) =>
        threads[0]!.threadId === -1 ? resolve() : threads[0]!.once('exit', () => resolve()),
      );
      expect(Atomics.load(hold, 0)).toBe(0);
      const run = await engine.quantize(settings(2));
      if (!run.ok) throw new Error(run.error.message);
      expect(run.quantizedTensors).toBeGreaterThan(0);
      expect(starts).toBe(2);
    } finally {
      for (const t of threads) await t.terminate();
    }
  });
});
