/**
 * Gives a bias its own constant when the model shares one between nodes, before the quantizer
 * plans the model. A bias is quantized at its node's input scale × weight scale, so one constant
 * cannot serve two nodes: the export gave both the first node's encoding, and the second node's
 * bias broke HTP's rule (scale = input scale × weight scale) in the exported model, although the
 * plan said nothing.
 *
 * Two forms are met in real exports. torch.onnx.export deduplicates equal initializers into
 * Identity nodes (torchvision's MobileNetV3-Small: the zero biases of two squeeze-excitation
 * convolutions, `features.6.block.2.fc1.bias = Identity(features.5.block.2.fc1.bias)`): the
 * Identity's output becomes a constant of its own, under the same name, and the Identity is left
 * without consumers (the export drops it). Graph optimizers (onnxoptimizer's
 * eliminate_duplicate_initializer) let the nodes read one initializer: each bias reader after the
 * first gets a copy of its own, named as PyTorch names a node's bias (its weight's name, `.weight`
 * made `.bias`) when it can be, else after the constant and the node.
 *
 * Node ids (positions in the main graph) do not move, so findings still point at the model as
 * opened.
 */
import { onnx } from '../model/onnx/generated/onnx-pb.js';
import { freshNamer, writeOnnx } from '../model/write-onnx';

/** Ops whose input 2 is a bias derived from the input and weight scales. */
const BIASED = new Set(['Conv', 'ConvTranspose', 'Gemm']);
const BIAS_INDEX = 2;
/** Marks the output of an Identity whose consumers now read a constant: the export drops such nodes. */
export const UNTIED_SUFFIX = '__quantlens_untied';

export interface Untied {
  bytes: Uint8Array;
  /** Biases now constants of their own, and the constants they were read from. */
  copies: { tensor: string; from: string }[];
}

function isDefault(n: onnx.INodeProto): boolean {
  return !n.domain || n.domain === 'ai.onnx';
}

/** The model with every bias a constant of its own, or undefined when no bias is shared. */
export function untieBiases(modelBytes: Uint8Array): Untied | undefined {
  const model = onnx.ModelProto.decode(modelBytes);
  const g = model.graph as onnx.GraphProto | null;
  if (!g) return undefined;
  const inits = new Map(g.initializer.map((t) => [t.name ?? '', t]));
  const outputs = new Set(g.output.map((o) => o.name));
  // Identity(initializer) as torch writes its deduplicated initializers.
  const nodes = g.node as onnx.NodeProto[];
  const identityOf = new Map<string, onnx.NodeProto>();
  for (const n of nodes)
    if (
      n.opType === 'Identity' &&
      isDefault(n) &&
      inits.has(n.input[0] ?? '') &&
      n.output[0] &&
      !outputs.has(n.output[0])
    )
      identityOf.set(n.output[0], n);
  // Who reads each constant, and as what.
  const readers = new Map<string, { node: onnx.NodeProto; index: number; bias: boolean }[]>();
  for (const n of nodes)
    n.input.forEach((t, index) => {
      if (!t || !(inits.has(t) || identityOf.has(t))) return;
      const bias = BIASED.has(n.opType) && isDefault(n) && index === BIAS_INDEX;
      readers.set(t, [...(readers.get(t) ?? []), { node: n, index, bias }]);
    });
  const source = (t: string) => (identityOf.has(t) ? identityOf.get(t)!.input[0]! : t);
  const fresh = freshNamer(g);
  const copies: Untied['copies'] = [];
  const copy = (from: string, name: string) => {
    g.initializer.push(new onnx.TensorProto({ ...inits.get(from)!, name }));
    copies.push({ tensor: name, from });
  };
  // An Identity read as a bias: its output becomes a constant of its own.
  for (const [out, n] of identityOf) {
    if (!readers.get(out)?.some((r) => r.bias)) continue;
    n.output[0] = fresh(`${out}${UNTIED_SUFFIX}`);
    copy(n.input[0]!, out);
  }
  // A constant read by several nodes, one of them as a bias: every bias reader but the first
  // reader of all gets a copy of its own.
  for (const [t, rs] of readers) {
    if (rs.length < 2 || !rs.some((r) => r.bias)) continue;
    for (const r of rs.slice(1)) {
      if (!r.bias) continue;
      const name = fresh(biasName(r.node) ?? `${t}_${r.node.name || r.node.opType}`);
      copy(source(t), name);
      r.node.input[r.index] = name;
    }
  }
  if (!copies.length) return undefined;
  return { bytes: writeOnnx(model), copies };
}

/** The name PyTorch gives a node's bias: its weight's, `.weight` made `.bias` (`features.6.block.2.fc1.bias`). */
function biasName(node: onnx.NodeProto): string | undefined {
  const weight = node.input[1];
  return weight?.endsWith('.weight') ? `${weight.slice(0, -'.weight'.length)}.bias` : undefined;
}
