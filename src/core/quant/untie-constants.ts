/**
 * Gives a bias its own constant when the model shares one between nodes, and a float constant
 * that PyTorch copied through an Identity a constant of its own, before the quantizer plans the
 * model. A bias is quantized at its node's input scale × weight scale, so one constant cannot serve
 * two nodes: the export gave both the first node's encoding, and the second node's bias broke
 * HTP's rule (scale = input scale × weight scale) in the exported model, although the plan said
 * nothing. And a float constant read through an Identity was no constant to the plan, which left
 * it float: torchvision's VisionTransformer reads its LayerNorms' zero biases as copies of the
 * patch Conv's, and under ONNX Runtime each of those Adds ran as a float op.
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
import type { Model, Node } from '../model/types';

/** Ops whose input 2 is a bias derived from the input and weight scales. */
const BIASED = new Set(['Conv', 'ConvTranspose', 'Gemm']);
const BIAS_INDEX = 2;
/** Marks the output of an Identity whose consumers now read a constant: the export drops such nodes. */
export const UNTIED_SUFFIX = '__quantlens_untied';

export interface Untied {
  bytes: Uint8Array;
  /**
   * Constants now of their own, the constants they were read from, and whether a node reads the
   * copy as its bias.
   */
  copies: { tensor: string; from: string; bias: boolean }[];
}

/**
 * The model with every bias and every float constant read through an Identity a constant of its
 * own, or undefined when it has neither.
 */
export function untieConstants(parsed: Model, modelBytes: Uint8Array): Untied | undefined {
  // Found on the parsed model (node ids are positions in the main graph), so that a model that
  // shares no bias, nearly every one, is not decoded again.
  const { nodes, initializers } = parsed.graph;
  const outputs = new Set(parsed.graph.outputs.map((o) => o.name));
  const isDefault = (n: Node) => n.domain === '' || n.domain === 'ai.onnx';
  // Identity(initializer) as torch writes its deduplicated initializers.
  const identityOf = new Map<string, number>();
  nodes.forEach((n, i) => {
    const out = n.outputs[0];
    if (n.opType === 'Identity' && isDefault(n) && initializers.has(n.inputs[0] ?? '') && out && !outputs.has(out))
      identityOf.set(out, i);
  });
  // Who reads each constant, and as what.
  const readers = new Map<string, { node: number; index: number; bias: boolean }[]>();
  nodes.forEach((n, i) =>
    n.inputs.forEach((t, index) => {
      if (!t || !(initializers.has(t) || identityOf.has(t))) return;
      const bias = BIASED.has(n.opType) && isDefault(n) && index === BIAS_INDEX;
      readers.set(t, [...(readers.get(t) ?? []), { node: i, index, bias }]);
    }),
  );
  // An Identity of a float constant that a node reads: its output becomes a constant of its own.
  const float = (dtype: string) => dtype.startsWith('float') || dtype === 'bfloat16';
  const identities = [...identityOf].filter(
    ([out, i]) => readers.get(out)?.length && float(initializers.get(nodes[i]!.inputs[0]!)!.dtype),
  );
  // A constant read by several nodes, one of them as a bias: every bias reader but the first
  // reader of all gets a copy of its own.
  const shared = [...readers].flatMap(([t, rs]) =>
    rs.length < 2 || !rs.some((r) => r.bias)
      ? []
      : rs
          .slice(1)
          .filter((r) => r.bias)
          .map((r) => ({ t, ...r })),
  );
  if (!identities.length && !shared.length) return undefined;

  const model = onnx.ModelProto.decode(modelBytes);
  const g = model.graph as onnx.GraphProto;
  const proto = g.node as onnx.NodeProto[];
  const inits = new Map(g.initializer.map((t) => [t.name ?? '', t]));
  const source = (t: string) => (identityOf.has(t) ? nodes[identityOf.get(t)!]!.inputs[0]! : t);
  const fresh = freshNamer(g);
  const copies: Untied['copies'] = [];
  const copy = (from: string, name: string, bias: boolean) => {
    g.initializer.push(new onnx.TensorProto({ ...inits.get(from)!, name }));
    copies.push({ tensor: name, from, bias });
  };
  for (const [out, i] of identities) {
    proto[i]!.output[0] = fresh(`${out}${UNTIED_SUFFIX}`);
    copy(nodes[i]!.inputs[0]!, out, !!readers.get(out)?.some((r) => r.bias));
  }
  for (const r of shared) {
    const node = proto[r.node]!;
    const name = fresh(biasName(node) ?? `${r.t}_${node.name || node.opType}`);
    copy(source(r.t), name, true);
    node.input[r.index] = name;
  }
  return { bytes: writeOnnx(model), copies };
}

/** The name PyTorch gives a node's bias: its weight's, `.weight` made `.bias` (`features.6.block.2.fc1.bias`). */
function biasName(node: onnx.NodeProto): string | undefined {
  const weight = node.input[1];
  return weight?.endsWith('.weight') ? `${weight.slice(0, -'.weight'.length)}.bias` : undefined;
}
