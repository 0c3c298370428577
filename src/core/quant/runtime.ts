/**
 * The onnxruntime instance the engine calibrates with: onnxruntime-web's wasm build, from the
 * worker in the browser (runtime-browser.ts) or from Node (core/runtime/ort-node.ts). Tensors
 * must be made by the same instance that runs them, so both travel together.
 */
import type { SessionFactory } from './calibrate';
import type { TensorClass } from './inputs';

export interface OrtRuntime {
  Tensor: TensorClass;
  createSession: SessionFactory;
}
