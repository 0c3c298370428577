/**
 * Making intermediate tensors visible to calibration: either their ranges, computed inside the
 * graph (ReduceMin/ReduceMax outputs), or the tensors themselves as extra graph outputs (untyped:
 * onnxruntime reports each one's actual type). Free of any runtime import, so the worker and
 * Node share it.
 */
import type * as ortTypes from 'onnxruntime-common';
import { onnx } from '../model/onnx/generated/onnx-pb.js';
import { attr, makeAttribute, writeOnnx } from '../model/write-onnx';

/** One calibration sample: graph input name -> tensor. */
export type CalibrationSample = Record<string, ortTypes.Tensor>;

/** Names of the two scalar outputs that carry a tensor's range in a range-augmented model. */
export interface RangeOutputs {
  min: string;
  max: string;
}

/**
 * The model with a ReduceMin and a ReduceMax (over all axes, to a scalar) on each of `tensors`,
 * their results listed as graph outputs: calibration reads two numbers per tensor per sample
 * instead of copying every activation out of the runtime, as ONNX Runtime's own calibrator
 * augments a model. Tensors the main graph does not produce are left out.
 */
export function augmentWithRanges(
  modelBytes: Uint8Array,
  tensors: Iterable<string>,
): { bytes: Uint8Array; outputs: Map<string, RangeOutputs> } {
  const model = onnx.ModelProto.decode(modelBytes);
  const graph = model.graph as onnx.GraphProto | null;
  if (!graph) throw new Error('augmentWithRanges: the model has no graph');
  const produced = new Set<string>();
  for (const node of graph.node ?? []) for (const o of node.output ?? []) if (o) produced.add(o);
  const used = new Set<string>(produced);
  for (const v of [...(graph.input ?? []), ...(graph.output ?? [])]) if (v.name) used.add(v.name);
  for (const t of graph.initializer ?? []) if (t.name) used.add(t.name);
  const fresh = (base: string) => {
    let n = base;
    for (let k = 1; used.has(n); k++) n = `${base}_${k}`;
    used.add(n);
    return n;
  };
  const outputs = new Map<string, RangeOutputs>();
  const added: onnx.NodeProto[] = [];
  const keep = () => [makeAttribute('keepdims', attr.int(0))];
  for (const tensor of tensors) {
    if (!produced.has(tensor) || outputs.has(tensor)) continue;
    const min = fresh(`${tensor}__quantlens_min`);
    const max = fresh(`${tensor}__quantlens_max`);
    added.push(
      new onnx.NodeProto({
        name: fresh(`${tensor}__quantlens_ReduceMin`),
        opType: 'ReduceMin',
        input: [tensor],
        output: [min],
        attribute: keep(),
      }),
      new onnx.NodeProto({
        name: fresh(`${tensor}__quantlens_ReduceMax`),
        opType: 'ReduceMax',
        input: [tensor],
        output: [max],
        attribute: keep(),
      }),
    );
    outputs.set(tensor, { min, max });
  }
  graph.node = [...(graph.node ?? []), ...added] as onnx.NodeProto[];
  graph.output = [
    ...(graph.output ?? []),
    ...[...outputs.values()].flatMap((r) => [
      new onnx.ValueInfoProto({ name: r.min }),
      new onnx.ValueInfoProto({ name: r.max }),
    ]),
  ] as onnx.ValueInfoProto[];
  return { bytes: writeOnnx(model), outputs };
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
