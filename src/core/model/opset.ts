/** The version of the default ONNX domain ('' or 'ai.onnx') a model imports, if it imports it. */
import type { Model } from './types';

export function onnxOpset(model: Model): number | undefined {
  return model.opsetImports.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version;
}
