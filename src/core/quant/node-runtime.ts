/** The engine's onnxruntime for Node (CLI, tests): onnxruntime-web's wasm build, one thread. */
import { createOrtSession, ort } from './ort-node';
import { ortSessionOptions, type OrtRuntime } from './runtime';

export const nodeRuntime: OrtRuntime = {
  Tensor: ort.Tensor as unknown as OrtRuntime['Tensor'],
  createSession: (bytes, options) =>
    createOrtSession(bytes, ortSessionOptions(options)) as unknown as ReturnType<OrtRuntime['createSession']>,
};
