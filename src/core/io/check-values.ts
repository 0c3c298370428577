/**
 * The values a check reads, brought into the model before it runs. The checks read quantization
 * parameters (scales and zero points) synchronously, from the tensors' own bytes; two kinds of
 * file leave those bytes elsewhere:
 * - a model opened as a skeleton (skeleton.ts) leaves every main-graph initializer of 256 KiB or
 *   more in the file, weights and quantization parameters alike: a per-channel scale of 64k
 *   channels or more (an LLM's vocabulary projection) is that large;
 * - a model saved with external data keeps every tensor from 1 KiB (onnx's default threshold) in
 *   its data file: the per-channel scale of a Conv of 256 channels or more.
 * A check that cannot read a scale reports the encoding unreadable (an info), so the model passed
 * where its twin with inline tensors fails (PyTorch's LM head; MobileNetV3 with asymmetric
 * weights lost 11 of its 54 errors). Those tensors are read here; weights stay where they are.
 */
import { normalizeExternalLocation, type ExternalDataSource } from '../model/external-data';
import { tensorBytes } from '../model/graph-view';
import type { ConstTensor, Graph, Model, Node } from '../model/types';
import type { ReadRange } from './skeleton';

const QDQ = new Set(['QuantizeLinear', 'DequantizeLinear']);

/**
 * Integer ops whose scale and zero-point inputs (rank 0 or 1) the checks may read: ONNX Runtime's
 * dynamic and static integer forms.
 */
function integerOp(op: string): boolean {
  return op.startsWith('QLinear') || op.endsWith('Integer') || op === 'QGemm' || op === 'DynamicQuantizeLinear';
}

/** Whether a tensor's bytes are not in the model as read: left in the file, or in a data file. */
const elsewhere = (t: ConstTensor | undefined) => t?.data.kind === 'deferred' || t?.data.kind === 'external';

/**
 * Names of the initializers a check reads whose bytes are elsewhere (left in the file, or
 * external): the scale and zero point of every Q/DQ node (inputs 1 and 2), the quantized scales a
 * DequantizeLinear gives another Q/DQ as its scale (LPBQ's per-block scales: input 0 of that
 * DequantizeLinear), and the rank-0 or rank-1 inputs of integer ops (their scales and zero
 * points). Sub-graphs count, for the main graph's initializers they use and for their own.
 */
export function valuesChecksRead(model: Model): { graph: Graph; name: string }[] {
  // Most models hold every tensor's bytes: nothing to look for (a walk of a 100k-node graph is not free).
  const anyElsewhere = (g: Graph): boolean => {
    for (const t of g.initializers.values()) if (elsewhere(t)) return true;
    return g.nodes.some((n) => n.subgraphs.some((s) => anyElsewhere(s.graph)));
  };
  if (!anyElsewhere(model.graph)) return [];
  const wanted: { graph: Graph; name: string }[] = [];
  const seen = new Set<ConstTensor>();
  const visit = (g: Graph, scopes: Graph[]): void => {
    const lookup = (name: string | undefined) => {
      if (!name) return undefined;
      for (let i = scopes.length - 1; i >= 0; i--) {
        const t = scopes[i]!.initializers.get(name);
        if (t) return { graph: scopes[i]!, tensor: t };
      }
      return undefined;
    };
    const add = (name: string | undefined) => {
      const found = lookup(name);
      if (!found || !elsewhere(found.tensor) || seen.has(found.tensor)) return;
      seen.add(found.tensor);
      wanted.push({ graph: found.graph, name: found.tensor.name });
    };
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
        for (const name of n.inputs) if ((lookup(name)?.tensor.dims.length ?? 2) <= 1) add(name);
      }
      for (const s of n.subgraphs) visit(s.graph, [...scopes, s.graph]);
    }
  };
  visit(model.graph, [model.graph]);
  return wanted;
}

/** Where the bytes {@link readValuesChecksRead} needs come from. */
export interface ValueSources {
  /** Bytes [from, to) of the model file, for tensors a skeleton left in it. */
  file?: ReadRange;
  /** The data files given with the model, for external tensors. */
  data?: ExternalDataSource;
}

/**
 * Reads the tensors {@link valuesChecksRead} names into the model, as raw data. A tensor left in
 * the model file must be read (the file changed under us otherwise: that throws); an external one
 * whose data file was not given, or cannot be read, stays as it is (the model's warnings already
 * name the missing file, and its encoding is reported unreadable). Returns how many were read.
 */
export async function readValuesChecksRead(model: Model, from: ValueSources): Promise<number> {
  const wanted = valuesChecksRead(model);
  let count = 0;
  // Reads go out a few at a time: each is a round trip (a Blob read in Chromium, an HTTP range
  // request beside a model URL), and a model saved with external data has a scale per layer.
  for (let at = 0; at < wanted.length; at += READS_AT_ONCE) {
    const read = await Promise.all(wanted.slice(at, at + READS_AT_ONCE).map((w) => bytesOf(w, from)));
    for (const [k, bytes] of read.entries()) {
      if (!bytes) continue;
      const { graph, name } = wanted[at + k]!;
      const tensor = graph.initializers.get(name)!;
      graph.initializers.set(name, { ...tensor, data: { kind: 'raw', bytes } });
      count++;
    }
  }
  return count;
}

/** Reads under way at once. */
const READS_AT_ONCE = 8;

/** One tensor's bytes from where they are, or undefined when they cannot be had (see above). */
async function bytesOf({ graph, name }: { graph: Graph; name: string }, from: ValueSources) {
  const tensor = graph.initializers.get(name)!;
  const data = tensor.data;
  if (data.kind === 'deferred' && from.file) {
    const bytes = await from.file(data.offset, data.offset + data.length);
    if (bytes.length !== data.length)
      throw new RangeError(`${tensor.name}: read ${bytes.length} bytes of its ${data.length}`);
    return bytes;
  }
  if (data.kind !== 'external' || !from.data) return undefined;
  const where = normalizeExternalLocation(data.location);
  // The tensor's own size: 0 for a type of no fixed width (strings), whose bytes are not values.
  const size = tensorBytes({ dtype: String(tensor.dtype), dims: tensor.dims });
  const length = data.length ?? size;
  if (!where.ok || !from.data.has(where.path) || size === 0) return undefined;
  try {
    const bytes = await from.data.read(where.path, data.offset, length);
    return bytes.length === length ? bytes : undefined;
  } catch {
    return undefined;
  }
}
