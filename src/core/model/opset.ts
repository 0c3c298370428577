/** The version of the default ONNX domain ('' or 'ai.onnx') a model imports, if it imports it. */
import type { Model } from './types';

export function onnxOpset(model: Model): number | undefined {
  return model.opsetImports.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version;
}

/**
 * The versions some ai.onnx ops have had (onnx/defs, to opset 25), for checks that depend on the
 * version a model's opset gives a node: ONNX Runtime's selectors and optimizers list versions.
 */
const OP_VERSIONS = new Map<string, readonly number[]>([
  ['AveragePool', [1, 7, 10, 11, 19, 22]],
  ['Conv', [1, 11, 22]],
  ['MaxPool', [1, 8, 10, 11, 12, 22]],
  ['Pad', [1, 2, 11, 13, 18, 19, 21, 23, 24, 25]],
  ['Reshape', [1, 5, 13, 14, 19, 21, 23, 24, 25]],
  ['Slice', [1, 10, 11, 13]],
  ['Squeeze', [1, 11, 13, 21, 23, 24, 25]],
  ['Transpose', [1, 13, 21, 23, 24, 25]],
  ['Unsqueeze', [1, 11, 13, 21, 23, 24, 25]],
]);

/** The versions `op` has had, when listed above. */
export function opVersions(op: string): readonly number[] | undefined {
  return OP_VERSIONS.get(op);
}

/** The version of `op` a model at `opset` uses (the latest not above it), when its versions are listed. */
export function opVersionAt(op: string, opset: number): number | undefined {
  const history = OP_VERSIONS.get(op);
  if (!history) return undefined;
  for (let i = history.length - 1; i >= 0; i--) if (history[i]! <= opset) return history[i];
  return undefined;
}
