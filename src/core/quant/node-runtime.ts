/** The engine's onnxruntime for Node (CLI, tests): onnxruntime-web's wasm build, one thread. */
import { createOrtSession, ort } from './ort-node';
import { engineSession, ortSessionOptions, runLane, type OrtRuntime } from './runtime';

/** Every engine session in this process shares one onnxruntime-web instance. */
const lane = runLane();

export const nodeRuntime: OrtRuntime = {
  Tensor: ort.Tensor as unknown as OrtRuntime['Tensor'],
  createSession: async (bytes, options) =>
    engineSession(await createOrtSession(bytes, ortSessionOptions(options)), lane) as unknown as Awaited<
      ReturnType<OrtRuntime['createSession']>
    >,
};
