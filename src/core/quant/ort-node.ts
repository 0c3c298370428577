/**
 * onnxruntime-web (wasm) configured for Node: for tests, the CLI and generator scripts.
 *
 * In Node, onnxruntime-web's package `exports` pick `ort.node.min.mjs`, which finds its `.wasm`
 * next to itself, so no `wasmPaths` is needed. What is needed is one thread: the threaded build
 * would otherwise spin up worker threads whose reduction order can differ run to run, and
 * calibration ranges (hence sample bytes) must be reproducible.
 *
 * @example
 * const session = await createOrtSession(bytes);
 * const out = await session.run({ x: new ort.Tensor('float32', data, [1, 4]) });
 */
import * as ort from 'onnxruntime-web';

export { ort };

let configured = false;

/** Applies the Node settings to `ort.env` once; later calls are no-ops. */
export function configureOrtForNode(): typeof ort {
  if (!configured) {
    ort.env.wasm.numThreads = 1;
    // Proxying runs the wasm in a web worker, which Node does not have.
    ort.env.wasm.proxy = false;
    ort.env.logLevel = 'error';
    configured = true;
  }
  return ort;
}

/** A side file for a model with external data: `path` as the model's `location` says it. */
export interface OrtExternalFile {
  path: string;
  data: Uint8Array;
}

/**
 * Creates a wasm CPU session from model bytes.
 * @param externalData side files the model's external tensors point at
 */
export async function createOrtSession(
  bytes: Uint8Array,
  options: ort.InferenceSession.SessionOptions = {},
  externalData: readonly OrtExternalFile[] = [],
): Promise<ort.InferenceSession> {
  configureOrtForNode();
  return ort.InferenceSession.create(bytes, {
    executionProviders: ['wasm'],
    logSeverityLevel: 4,
    ...options,
    ...(externalData.length ? { externalData: externalData.map((f) => ({ path: f.path, data: f.data })) } : {}),
  });
}
