/**
 * Exposing intermediate tensors for calibration: every node output of the main graph is added
 * as a graph output (untyped: onnxruntime reports each one's actual type). Free of any runtime
 * import, so the worker and Node share it.
 */
import type * as ortTypes from 'onnxruntime-common';
import { onnx } from '../model/onnx/generated/onnx-pb.js';
import { writeOnnx } from '../model/write-onnx';

/** One calibration sample: graph input name -> tensor. */
export type CalibrationSample = Record<string, ortTypes.Tensor>;

/** The model with every main-graph node output also listed as a graph output. */
export function exposeIntermediates(modelBytes: Uint8Array): Uint8Array {
  const model = onnx.ModelProto.decode(modelBytes);
  const graph = model.graph;
  if (!graph) throw new Error('collectMinMaxRanges: the model has no graph');
  const outputs = [...(graph.output ?? [])];
  const listed = new Set(outputs.map((o) => o.name));
  for (const node of graph.node ?? []) {
    for (const name of node.output ?? []) {
      if (name && !listed.has(name)) {
        outputs.push({ name });
        listed.add(name);
      }
    }
  }
  graph.output = outputs;
  return writeOnnx(model);
}
