/** The engine's onnxruntime for Node (CLI, tests): onnxruntime-web's wasm build, one thread. */
import { createOrtSession, ort } from './ort-node';
import { SESSION_CONFIG, type OrtRuntime } from './runtime';

export const nodeRuntime: OrtRuntime = {
  Tensor: ort.Tensor as unknown as OrtRuntime['Tensor'],
  createSession: (bytes, options) =>
    createOrtSession(bytes, {
      graphOptimizationLevel: options?.graphOptimizationLevel,
      freeDimensionOverrides: options?.freeDimensionOverrides,
      extra: SESSION_CONFIG,
      ...(options?.reuseMemory ? { enableCpuMemArena: true, enableMemPattern: true } : {}),
    }) as unknown as ReturnType<OrtRuntime['createSession']>,
};
