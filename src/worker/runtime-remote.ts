/**
 * The engine's onnxruntime when onnxruntime runs in a worker of its own (runtime-host.ts says
 * why): sessions that look like onnxruntime's to the quantizer, each call a message to that
 * worker. Tensors are onnxruntime-common's, which need no wasm, so the engine never loads the
 * runtime itself.
 *
 * The worker is started at the first session and started again after it has failed (a crash
 * rejects the calls under way with what happened, rather than leaving them waiting forever) or
 * been stopped (stop: a warm-up gives way to the person's run).
 */
import * as Comlink from 'comlink';
import { Tensor, type InferenceSession } from 'onnxruntime-common';
import { RuntimeStoppedError, type OrtRuntime } from '../core/quant/runtime';
import type { RuntimeHost, SessionInfo, SessionOptions, WireTensor } from './runtime-host';

/**
 * A started runtime worker: its API, a promise that rejects when it dies (with a
 * RuntimeStoppedError saying how), and how to stop it.
 */
export interface RuntimeWorker {
  host: Comlink.Remote<RuntimeHost>;
  failed: Promise<never>;
  terminate(): void;
}

/** An onnxruntime whose sessions live in the worker `start` starts. */
export function remoteRuntime(start: () => RuntimeWorker): OrtRuntime {
  let worker: RuntimeWorker | undefined;
  let halt: ((reason: Error) => void) | undefined;
  const current = (): RuntimeWorker => {
    if (worker) return worker;
    const started = start();
    // `failed` also rejects when the worker is stopped on purpose (stop below).
    const stopped = new Promise<never>((_, reject) => (halt = reject));
    const w: RuntimeWorker = { ...started, failed: Promise.race([started.failed, stopped]) };
    worker = w;
    // A dead worker is replaced at the next session; the calls it had are rejected by `failed`.
    w.failed.catch(() => {
      if (worker === w) worker = undefined;
      started.terminate();
    });
    return w;
  };
  const call = <T>(w: RuntimeWorker, p: Promise<T>): Promise<T> => Promise.race([p, w.failed]);
  return {
    Tensor: Tensor as unknown as OrtRuntime['Tensor'],
    async createSession(bytes: Uint8Array, options?: SessionOptions) {
      const w = current();
      const { handOver, ...rest } = options ?? {};
      // A model written for this session alone goes over whole; any other is copied.
      const whole =
        handOver &&
        bytes.buffer instanceof ArrayBuffer &&
        bytes.byteOffset === 0 &&
        bytes.byteLength === bytes.buffer.byteLength;
      const info = await call(w, w.host.create(whole ? Comlink.transfer(bytes, [bytes.buffer]) : bytes, rest));
      return new RemoteSession(w, info, call) as unknown as InferenceSession;
    },
    stop() {
      // Its `failed` rejects: the calls under way end, the worker is ended and forgotten.
      if (worker) halt?.(new RuntimeStoppedError('onnxruntime was stopped'));
    },
  };
}

class RemoteSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly outputMetadata: readonly InferenceSession.ValueMetadata[];
  private released = false;

  constructor(
    private readonly worker: RuntimeWorker,
    private readonly info: SessionInfo,
    private readonly call: <T>(w: RuntimeWorker, p: Promise<T>) => Promise<T>,
  ) {
    this.inputNames = info.inputNames;
    this.outputNames = info.outputNames;
    this.outputMetadata = info.outputMetadata;
  }

  /** onnxruntime's two forms: run(feeds, options) and run(feeds, fetches, options), fetches as names. */
  async run(
    feeds: Record<string, Tensor>,
    fetchesOrOptions?: readonly string[] | InferenceSession.RunOptions,
    options?: InferenceSession.RunOptions,
  ): Promise<Record<string, Tensor>> {
    const fetches = Array.isArray(fetchesOrOptions) ? (fetchesOrOptions as readonly string[]) : undefined;
    const runOptions = fetches ? options : (fetchesOrOptions as InferenceSession.RunOptions | undefined);
    const wire: Record<string, WireTensor> = {};
    for (const [name, t] of Object.entries(feeds)) wire[name] = { type: t.type, data: t.data, dims: t.dims };
    const out = await this.call(this.worker, this.worker.host.run(this.info.id, wire, fetches, runOptions));
    const tensors: Record<string, Tensor> = {};
    for (const [name, t] of Object.entries(out))
      tensors[name] = new Tensor(t.type as never, t.data as never, t.dims as number[]);
    return tensors;
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    // A session of a worker that has died went with it.
    await this.call(this.worker, this.worker.host.release(this.info.id)).catch(() => undefined);
  }
}
