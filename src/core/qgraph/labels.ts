/**
 * The words an edge of the drawing carries for its tensor's encoding, as the user's deployment
 * flow sees it: ONNX Runtime sees no encoding the converters carry across a Flatten (it moves no
 * Q/DQ across one), and quantizes some float tensors itself (its QDQ propagation).
 */
import type { Flow } from '../../../rules/types';
import { describeEncoding, type QuantEncoding } from '../encoding/encoding';
import { ortSeesDq } from './fusions';
import type { QGraph, QPort } from './qgraph';

/** Tensor name → a short description of its encoding under `flow`, from every port of the graph. */
export function tensorEncodingLabels(graph: QGraph, only?: ReadonlySet<string>, flow?: Flow): Record<string, string> {
  return labelsUpTo(graph, only, Infinity, flow)!;
}

/**
 * Most encoding labels that travel with every check result. Above it (a 100k-node decoder has
 * some 70k, 0.15 s to receive on the UI thread) the UI asks for the labels of what it shows
 * (`EngineApi.tensorLabels`).
 */
export const INLINE_LABELS_MAX = 3000;

/** All labels of a graph with few, or undefined (ask per tensor) for one with many. */
export function inlineEncodingLabels(graph: QGraph, flow?: Flow): Record<string, string> | undefined {
  return labelsUpTo(graph, undefined, INLINE_LABELS_MAX, flow);
}

/** The label of an encoding ONNX Runtime does not see: the tensor is float there. */
export function floatUnderOrt(enc: QuantEncoding): string {
  return `float under ONNX Runtime (converters: ${describeEncoding(enc)})`;
}

/** The label of a float tensor ONNX Runtime quantizes itself. */
export const QUANTIZED_BY_ORT = 'quantized by ONNX Runtime (its QDQ propagation)';

/** The labels, or undefined as soon as there are more than `max` of them. */
function labelsUpTo(graph: QGraph, only: ReadonlySet<string> | undefined, max: number, flow: Flow | undefined) {
  const out: Record<string, string> = {};
  let count = 0;
  const ort = flow === 'ort';
  const opset = graph.deployedOpset ?? graph.opset;
  const label = (tensor: string, text: string) => {
    if (!(tensor in out) && (!only || only.has(tensor))) {
      out[tensor] = text;
      count++;
    }
  };
  const add = (p: QPort) => {
    if (!p.encoding) {
      if (ort && graph.ortQuantized?.[p.tensor]) label(p.tensor, QUANTIZED_BY_ORT);
      return;
    }
    const text = ort && p.inherited && !ortSeesDq(p, opset) ? floatUnderOrt(p.encoding) : describeEncoding(p.encoding);
    label(p.tensor, text);
    if (p.quantizedAs) label(p.quantizedAs, text);
  };
  for (const n of graph.nodes) {
    for (const p of n.inputs) add(p);
    for (const p of n.outputs) add(p);
    if (count > max) return undefined;
  }
  return out;
}
