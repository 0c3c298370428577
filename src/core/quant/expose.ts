/**
 * Making intermediate tensors visible to calibration: either their ranges, computed inside the
 * graph (ReduceMin/ReduceMax outputs), or the tensors themselves as extra graph outputs (untyped:
 * onnxruntime reports each one's actual type). Free of any runtime import, so the worker and
 * Node share it.
 */
import type * as ortTypes from 'onnxruntime-common';
import { onnx } from '../model/onnx/generated/onnx-pb.js';
import { attr, freshNamer, makeAttribute, makeTensor, writeOnnx } from '../model/write-onnx';

/** One calibration sample: graph input name -> tensor. */
export type CalibrationSample = Record<string, ortTypes.Tensor>;

/** A range-augmented model: `mins[i]` and `maxs[i]` of each run are the range of `tensors[i]`. */
export interface RangeModel {
  bytes: Uint8Array;
  tensors: string[];
  /** Names of the two float32 outputs of length `tensors.length`. */
  mins: string;
  maxs: string;
}

const FLOAT16 = 10;

/**
 * The model with a ReduceMin and a ReduceMax (over all axes) on each of `tensors`, gathered by one
 * Concat per side into two float32 outputs: calibration reads two short vectors per sample instead
 * of copying every activation out of the runtime (as ONNX Runtime's own calibrator augments a
 * model), and two outputs rather than thousands (each output costs a copy out of the wasm heap).
 * Tensors the main graph does not produce are left out. Needs opset 6 or later (Reshape with a
 * shape input, Cast with an integer `to`); undefined below that.
 */
export function augmentWithRanges(modelBytes: Uint8Array, tensors: Iterable<string>): RangeModel | undefined {
  const model = onnx.ModelProto.decode(modelBytes);
  const graph = model.graph as onnx.GraphProto | null;
  if (!graph) throw new Error('augmentWithRanges: the model has no graph');
  const opset = Number(model.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx')?.version ?? 0);
  if (opset < 6) return undefined;
  const produced = new Set<string>();
  for (const n of graph.node) for (const o of n.output ?? []) if (o) produced.add(o);
  const fresh = freshNamer(graph);
  // Concat wants one element type: half-precision tensors are cast to float32 first.
  const hasHalf =
    graph.initializer.some((t) => t.dataType === FLOAT16) ||
    [...graph.input, ...graph.output, ...graph.valueInfo].some((v) => v.type?.tensorType?.elemType === FLOAT16) ||
    graph.node.some(
      (n) => n.opType === 'Cast' && (n.attribute ?? []).some((a) => a.name === 'to' && Number(a.i) === FLOAT16),
    );
  const one = fresh('__quantlens_shape_1');
  graph.initializer.push(new onnx.TensorProto(makeTensor(one, [1], [1], 'int64')));
  const list: string[] = [];
  const parts: Record<'ReduceMin' | 'ReduceMax', string[]> = { ReduceMin: [], ReduceMax: [] };
  const added: onnx.NodeProto[] = [];
  const node = (opType: string, input: string[], base: string, attribute: onnx.IAttributeProto[] = []) => {
    const out = fresh(base);
    added.push(new onnx.NodeProto({ name: fresh(`${base}_node`), opType, input, output: [out], attribute }));
    return out;
  };
  for (const tensor of new Set(tensors)) {
    if (!produced.has(tensor)) continue;
    list.push(tensor);
    for (const op of ['ReduceMin', 'ReduceMax'] as const) {
      let v = node(op, [tensor], `${tensor}__quantlens_${op}`, [makeAttribute('keepdims', attr.int(0))]);
      if (hasHalf) v = node('Cast', [v], `${v}_f32`, [makeAttribute('to', attr.int(1))]);
      parts[op].push(node('Reshape', [v, one], `${v}_1`));
    }
  }
  if (list.length === 0) return { bytes: modelBytes, tensors: [], mins: '', maxs: '' };
  const axis0 = () => [makeAttribute('axis', attr.int(0))];
  const mins = node('Concat', parts.ReduceMin, '__quantlens_mins', axis0());
  const maxs = node('Concat', parts.ReduceMax, '__quantlens_maxs', axis0());
  graph.node = [...graph.node, ...added];
  graph.output = [...graph.output, new onnx.ValueInfoProto({ name: mins }), new onnx.ValueInfoProto({ name: maxs })];
  return { bytes: writeOnnx(model), tensors: list, mins, maxs };
}

/** The model with the given main-graph node outputs (or all of them) also listed as graph outputs. */
export function exposeTensors(modelBytes: Uint8Array, tensors?: ReadonlySet<string>): Uint8Array {
  const model = onnx.ModelProto.decode(modelBytes);
  const graph = model.graph as onnx.GraphProto | null;
  if (!graph) throw new Error('exposeTensors: the model has no graph');
  const outputs = [...graph.output] as onnx.ValueInfoProto[];
  const listed = new Set(outputs.map((o) => o.name));
  for (const node of graph.node ?? [])
    for (const name of node.output ?? [])
      if (name && !listed.has(name) && (!tensors || tensors.has(name))) {
        outputs.push(new onnx.ValueInfoProto({ name }));
        listed.add(name);
      }
  graph.output = outputs;
  return writeOnnx(model);
}
