/**
 * The values a check reads, for a model opened as a skeleton (skeleton.ts). The skeleton leaves
 * every main-graph initializer of 256 KiB or more in the file, weights and quantization parameters
 * alike: a per-channel scale of 64k channels or more (an LLM's vocabulary projection, a
 * 70k-channel MatMul) is that large, and a check that cannot read it reported the weight's
 * encoding unreadable and passed a model whose small twin fails. Those tensors are read here,
 * after the parse and before the check; the weights themselves stay in the file.
 */
import type { Graph, Model, Node } from '../model/types';
import type { ReadRange } from './skeleton';

const QDQ = new Set(['QuantizeLinear', 'DequantizeLinear']);

/**
 * Integer ops whose scale and zero-point inputs (rank 0 or 1) the checks may read: ONNX Runtime's
 * dynamic and static integer forms.
 */
function integerOp(op: string): boolean {
  return op.startsWith('QLinear') || op.endsWith('Integer') || op === 'QGemm' || op === 'DynamicQuantizeLinear';
}

/**
 * Names of the main graph's deferred initializers that a check reads: the scale and zero point of
 * every Q/DQ node (inputs 1 and 2), the quantized scales a DequantizeLinear gives another Q/DQ as
 * its scale (LPBQ's per-block scales: input 0 of that DequantizeLinear), and the rank-0 or rank-1
 * inputs of integer ops (their scales and zero points).
 */
export function deferredValuesRead(model: Model): string[] {
  const main = model.graph.initializers;
  const deferred = (name: string | undefined) => !!name && main.get(name)?.data.kind === 'deferred';
  const wanted = new Set<string>();
  const add = (name: string | undefined) => {
    if (name && deferred(name)) wanted.add(name);
  };
  const visit = (g: Graph): void => {
    // What feeds a Q/DQ's scale or zero point, by the tensor that carries it.
    const producers = new Map<string, Node>();
    for (const n of g.nodes) for (const o of n.outputs) if (o) producers.set(o, n);
    for (const n of g.nodes) {
      if (QDQ.has(n.opType)) {
        for (const name of n.inputs.slice(1)) {
          add(name);
          const from = name ? producers.get(name) : undefined;
          if (from?.opType === 'DequantizeLinear') add(from.inputs[0]);
        }
      } else if (integerOp(n.opType)) {
        for (const name of n.inputs) {
          const t = name ? main.get(name) : undefined;
          if (t && t.dims.length <= 1) add(name);
        }
      }
      for (const s of n.subgraphs) visit(s.graph);
    }
  };
  visit(model.graph);
  return [...wanted];
}

/**
 * Reads the deferred initializers {@link deferredValuesRead} names from the model file (`read`: its
 * bytes [from, to)) into the model, as raw data. Returns how many were read.
 */
export async function readDeferredValues(model: Model, read: ReadRange): Promise<number> {
  const names = deferredValuesRead(model);
  for (const name of names) {
    const tensor = model.graph.initializers.get(name)!;
    const data = tensor.data;
    if (data.kind !== 'deferred') continue;
    const bytes = await read(data.offset, data.offset + data.length);
    if (bytes.length !== data.length)
      throw new RangeError(`${tensor.name}: read ${bytes.length} bytes of its ${data.length}`);
    model.graph.initializers.set(name, { ...tensor, data: { kind: 'raw', bytes } });
  }
  return names.length;
}
