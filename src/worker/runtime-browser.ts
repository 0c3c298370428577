/**
 * onnxruntime-web (wasm, single thread) inside the engine worker. The .wasm file is emitted by
 * Vite as an asset and located explicitly, so it loads from the app's own origin.
 */
import * as ort from 'onnxruntime-web/wasm';
import wasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';
import { engineSession, ortSessionOptions, runLane, type OrtRuntime } from '../core/quant/runtime';

ort.env.wasm.wasmPaths = { wasm: new URL(wasmUrl, self.location.href).href };
// One thread: no SharedArrayBuffer (and so no cross-origin isolation) needed, and calibration is reproducible.
ort.env.wasm.numThreads = 1;
ort.env.wasm.proxy = false;
ort.env.logLevel = 'error';

/** Every session of this worker shares its one onnxruntime-web instance. */
const lane = runLane();

export const browserRuntime: OrtRuntime = {
  Tensor: ort.Tensor as unknown as OrtRuntime['Tensor'],
  createSession: async (bytes, options) =>
    engineSession(
      await ort.InferenceSession.create(bytes, {
        executionProviders: ['wasm'],
        logSeverityLevel: 4,
        ...ortSessionOptions(options),
      }),
      lane,
    ) as unknown as Awaited<ReturnType<OrtRuntime['createSession']>>,
};
