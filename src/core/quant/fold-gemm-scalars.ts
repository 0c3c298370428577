/**
 * Folds a Gemm's alpha into its weight and its beta into its bias, before the quantizer plans the
 * model. QNN's FullyConnected has neither: ONNX Runtime's QNN EP leaves a Gemm with alpha or beta
 * other than 1 to the CPU (`GemmOpBuilder::ExplictOpCheck`), and the QNN converter multiplies the
 * weight and bias itself as it converts, quantizing a weight the export's Q/DQ do not describe.
 * PyTorch writes such a Gemm for `torch.addmm(bias, x, w, beta=..., alpha=...)`. Y = alpha·A·B +
 * beta·C is the same function as A·(alpha·B) + (beta·C), so where B (or C) is a constant the
 * quantizer scales that constant and sets the attribute to 1: the export's weight encoding is then
 * the one the backend runs. A Gemm whose B or C is computed at run time keeps its attribute (and
 * the check says what becomes of it).
 *
 * Node ids (positions in the main graph) do not move, so findings still point at the model as
 * opened.
 */
import { onnx } from '../model/onnx/generated/onnx-pb.js';
import { convertTensor } from '../model/read-onnx';
import { constValues } from '../model/constants';
import { halfBits } from '../model/half';
import { freshNamer, makeTensor, writeOnnx } from '../model/write-onnx';
import type { Model, Node } from '../model/types';

/** What became of one Gemm's alpha and beta. */
export interface GemmFold {
  node: string;
  /** alpha folded into input B (`into`: the constant now read), or why it was not. */
  alpha?: { value: number; into: string } | { value: number; kept: string };
  beta?: { value: number; into: string } | { value: number; kept: string } | { value: number; unused: true };
}

export interface GemmFolds {
  bytes: Uint8Array;
  folds: GemmFold[];
}

const isDefault = (n: { domain?: string | null }) => !n.domain || n.domain === 'ai.onnx';

function floatAttr(n: Node, name: string): number {
  const a = n.attributes.find((x) => x.name === name)?.attr;
  return a?.type === 'float' || a?.type === 'int' ? a.value : 1;
}

/** The model with every Gemm's alpha and beta folded into constant inputs where it can be, or undefined when no Gemm has them. */
export function foldGemmScalars(parsed: Model, modelBytes: Uint8Array): GemmFolds | undefined {
  const candidates = new Set<number>();
  parsed.graph.nodes.forEach((n, i) => {
    if (n.opType === 'Gemm' && isDefault(n) && (floatAttr(n, 'alpha') !== 1 || floatAttr(n, 'beta') !== 1))
      candidates.add(i);
  });
  if (candidates.size === 0) return undefined;

  const model = onnx.ModelProto.decode(modelBytes);
  const g = model.graph as onnx.GraphProto;
  const nodes = g.node as onnx.NodeProto[];
  const inits = new Map(g.initializer.map((t, k) => [t.name ?? '', k]));
  const constantNode = new Map<string, onnx.AttributeProto>();
  for (const n of nodes) {
    const value = n.opType === 'Constant' && isDefault(n) ? n.attribute.find((a) => a.name === 'value') : undefined;
    if (value?.t && n.output[0]) constantNode.set(n.output[0], value as onnx.AttributeProto);
  }
  // Readers of each tensor, sub-graphs (which may read the outer graph's constants) and the graph's
  // own inputs and outputs included: a constant read elsewhere is copied, not scaled in place.
  const reads = new Map<string, number>();
  const count = (graph: onnx.IGraphProto) => {
    for (const n of graph.node ?? []) {
      for (const t of n.input ?? []) if (t) reads.set(t, (reads.get(t) ?? 0) + 1);
      for (const a of n.attribute ?? []) for (const sub of [a.g, ...(a.graphs ?? [])]) if (sub) count(sub);
    }
    for (const v of [...(graph.input ?? []), ...(graph.output ?? [])])
      if (v.name) reads.set(v.name, (reads.get(v.name) ?? 0) + 2);
  };
  count(g);
  const fresh = freshNamer(g);
  /** Constants copied from (read by more than one node): dropped at the end if no node reads them any more. */
  const copiedFrom = new Set<string>();

  /** `name` (a constant) times `factor`: the name now to read, or why it cannot be scaled. */
  const scaled = (name: string, factor: number): { into: string } | { kept: string } => {
    // A NaN or infinite factor would write NaN or infinite weights: such a model keeps its attribute.
    if (!Number.isFinite(factor)) return { kept: 'not scaled by a factor that is not a finite number' };
    const at = inits.get(name);
    const tensor = at !== undefined ? g.initializer[at] : constantNode.get(name)?.t;
    if (!tensor) return { kept: 'computed at run time' };
    const constant = convertTensor(tensor);
    const values = constant.dtype.match(/^(float32|float16|float64)$/) ? constValues(constant) : undefined;
    if (!values)
      return {
        kept: constant.data.kind === 'external' ? 'held in external data' : `a constant of type ${constant.dtype}`,
      };
    const product = Float64Array.from(values, (v) => v * factor);
    const dims = constant.dims;
    const make = (to: string) =>
      constant.dtype === 'float16'
        ? makeTensor(
            to,
            Uint16Array.from(product, (v) => halfBits(v, 'even')),
            dims,
            'float16',
          )
        : constant.dtype === 'float64'
          ? makeTensor(to, product, dims)
          : makeTensor(to, Float32Array.from(product), dims);
    if ((reads.get(name) ?? 0) === 1) {
      if (at !== undefined) g.initializer[at] = new onnx.TensorProto(make(name));
      else constantNode.get(name)!.t = new onnx.TensorProto(make(name));
      return { into: name };
    }
    const to = fresh(`${name}_scaled`);
    g.initializer.push(new onnx.TensorProto(make(to)));
    copiedFrom.add(name);
    return { into: to };
  };
  const setOne = (node: onnx.NodeProto, attr: string) => {
    const a = node.attribute.find((x) => x.name === attr);
    if (a) a.f = 1;
  };

  const folds: GemmFold[] = [];
  for (const i of candidates) {
    const n = parsed.graph.nodes[i]!;
    const node = nodes[i]!;
    const fold: GemmFold = { node: n.name || `Gemm #${i}` };
    const alpha = floatAttr(n, 'alpha');
    const beta = floatAttr(n, 'beta');
    if (alpha !== 1) {
      const to = scaled(node.input[1] ?? '', alpha);
      fold.alpha = { value: alpha, ...to };
      if ('into' in to) {
        node.input[1] = to.into;
        setOne(node, 'alpha');
      }
    }
    if (beta !== 1) {
      const c = node.input[2];
      if (!c) {
        // No C: beta multiplies nothing.
        fold.beta = { value: beta, unused: true };
        setOne(node, 'beta');
      } else {
        const to = scaled(c, beta);
        fold.beta = { value: beta, ...to };
        if ('into' in to) {
          node.input[2] = to.into;
          setOne(node, 'beta');
        }
      }
    }
    folds.push(fold);
  }
  const changed = folds.some((f) => (f.alpha && 'into' in f.alpha) || (f.beta && !('kept' in f.beta)));
  if (!changed) return { bytes: modelBytes, folds };
  // A weight every reader of which now reads a scaled copy (one weight, two scaled Gemms) goes.
  if (copiedFrom.size) {
    reads.clear();
    count(g);
    g.initializer = g.initializer.filter((t) => !copiedFrom.has(t.name ?? '') || reads.has(t.name ?? ''));
  }
  return { bytes: writeOnnx(model), folds };
}

/** The plan's notes on the folds: what was scaled, and what was left and why. */
export function gemmFoldNotes(folds: readonly GemmFold[]): string[] {
  return folds.map((f) => {
    const done: string[] = [];
    const left: string[] = [];
    if (f.alpha)
      ('into' in f.alpha ? done : left).push(
        'into' in f.alpha
          ? `alpha ${f.alpha.value} into its weight "${f.alpha.into}"`
          : `alpha ${f.alpha.value} (its weight is ${f.alpha.kept})`,
      );
    if (f.beta)
      ('kept' in f.beta ? left : done).push(
        'into' in f.beta
          ? `beta ${f.beta.value} into its bias "${f.beta.into}"`
          : 'kept' in f.beta
            ? `beta ${f.beta.value} (its bias is ${f.beta.kept})`
            : `beta ${f.beta.value} (it has no bias, so beta changed nothing)`,
      );
    const head = `Gemm "${f.node}": `;
    const why =
      "QNN's FullyConnected has neither, ONNX Runtime's QNN EP leaves a Gemm with them to the CPU, and the QNN converter would scale the weight itself, away from its encoding";
    if (!left.length) return `${head}folded ${done.join(' and ')}, so the export's Gemm has alpha = beta = 1 (${why}).`;
    return `${head}${done.length ? `folded ${done.join(' and ')}; ` : ''}left ${left.join(' and ')} as it is: the check says what becomes of it (${why}).`;
  });
}
