/**
 * The command line's onnxruntime, loaded when a command first calibrates: `check` never runs it,
 * and importing onnxruntime-web cost 20-30 ms of every start.
 */
import type { OrtRuntime } from '../core/quant/runtime';

export const loadNodeRuntime = (): Promise<OrtRuntime> =>
  import('../core/quant/node-runtime').then((m) => m.nodeRuntime);
