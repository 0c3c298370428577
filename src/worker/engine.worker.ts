/// <reference lib="webworker" />
/** The engine worker: exposes {@link Engine} over Comlink; onnxruntime runs in a worker of its own. */
import * as Comlink from 'comlink';
import { Engine } from '../core/session/engine';
import { RuntimeStoppedError } from '../core/quant/runtime';
import { hashOffThread } from './hash-client';
import type { RuntimeHost } from './runtime-host';
import { remoteRuntime, type RuntimeWorker } from './runtime-remote';

/** Starts the runtime worker; `failed` rejects with what happened if it dies. */
function startRuntimeWorker(): RuntimeWorker {
  const worker = new Worker(new URL('./ort.worker.ts', import.meta.url), {
    type: 'module',
    name: 'quantlens-onnxruntime',
  });
  const failed = new Promise<never>((_, reject) => {
    worker.addEventListener('error', (e) => {
      e.preventDefault();
      reject(
        new RuntimeStoppedError(
          `onnxruntime stopped (${e.message || 'its worker failed to load or ran out of memory'})`,
        ),
      );
    });
    worker.addEventListener('messageerror', () =>
      reject(new RuntimeStoppedError('onnxruntime sent a message that could not be read')),
    );
  });
  return { host: Comlink.wrap<RuntimeHost>(worker), failed, terminate: () => worker.terminate() };
}

// Started at the first quantization: a check never needs onnxruntime.
const runtime = remoteRuntime(startRuntimeWorker);

Comlink.expose(new Engine(runtime, { sha256: hashOffThread, hashWhenAsked: true }));
