/**
 * Attaches an AIMET .encodings file to a float model: activation encodings by tensor name,
 * parameter encodings by initializer name. The files do not record the per-channel axis, so it
 * is taken from the consuming op (output channels: 0 for Conv, 1 for ConvTranspose, the last
 * dimension for MatMul weights, 0 for Gemm with transB and 1 without), and so is the axis blocks
 * run along (input channels).
 */
import { constantNodeValue, smallConstValues } from '../model/constants';
import { nonFloatOutputTypes } from '../model/graph-view';
import { declaredShapes, declaredTypes } from '../model/declared-types';
import type { ConstTensor, Model, Node } from '../model/types';
import { isFloatEncoding, type AimetEncodings } from '../formats/aimet';
import type { QuantEncoding } from '../encoding/encoding';
import { finishGraph } from './finish';
import { onnxOpset } from '../model/opset';
import { staticShapes } from '../model/static-shapes';
import { dynamicShapes } from './dynamic';
import { inferRanks } from './ranks';
import {
  displayName,
  inChannelAxis,
  inputRole,
  isNonFloatDtype,
  outChannelAxis,
  simpleAttrs,
  type QGraph,
  type QNode,
  type QPort,
} from './qgraph';

export function qgraphFromAimet(model: Model, encodings: AimetEncodings): QGraph {
  return qgraphFromTensorEncodings(
    model,
    (tensor, constant) => {
      const e = constant
        ? (encodings.params.get(tensor) ?? encodings.activations.get(tensor))
        : encodings.activations.get(tensor);
      return e && !isFloatEncoding(e) ? e : undefined;
    },
    'aimet',
  );
}

/**
 * The quantized-graph view of a float model whose encodings are known by tensor name (from an
 * AIMET file, or from the quantizer's own plan).
 */
export function qgraphFromTensorEncodings(
  model: Model,
  encodingOf: (tensor: string, constant: boolean, nodeId?: string, inputIndex?: number) => QuantEncoding | undefined,
  source: QGraph['source'],
): QGraph {
  const g = model.graph;
  // Shapes as the QDQ reader sees them: constants' dims, declared shapes, then ranks inferred
  // from the ops, so that rank and shape limits hold here too (a float model with AIMET
  // encodings, the quantizer's own plan).
  const shapes = declaredShapes(g);
  const constValues = new Map<string, ConstTensor>(g.initializers);
  const constants = new Set<string>(g.initializers.keys());
  for (const n of g.nodes) {
    if (n.opType === 'Constant' && n.outputs[0]) {
      constants.add(n.outputs[0]);
      const value = constantNodeValue(n);
      if (value) constValues.set(n.outputs[0], value);
      else shapes.set(n.outputs[0], undefined);
    }
  }
  for (const [name, t] of constValues) shapes.set(name, t.dims);
  inferRanks(g, shapes, (t) => constValues.get(t));
  // The tensors that are surely not float, declared or inferred from their ops (a comparison's
  // booleans): rules about float data leave them alone, as the QDQ reader's graph does.
  const stated = declaredTypes(g, constValues);
  const nonFloat = nonFloatOutputTypes(g, (t) => stated.get(t));
  const dtypeOf = (tensor: string) => {
    const t = stated.get(tensor) ?? nonFloat.get(tensor);
    return isNonFloatDtype(t) ? { dtype: t } : {};
  };
  let quantized = false;
  const lookup = (tensor: string, node: Node, constant: boolean, inputIndex?: number): QuantEncoding | undefined => {
    const e = encodingOf(tensor, constant, inputIndex === undefined ? undefined : node.id, inputIndex);
    if (!e) return undefined;
    quantized = true;
    const rank = shapes.get(tensor)?.length;
    const attrs = simpleAttrs(node.attributes);
    let out = e;
    // AIMET 2.0.0 records axes, and may count them from the end (-1): resolve them on the tensor's rank.
    if (rank !== undefined && e.axis !== undefined && e.axis < 0) out = { ...out, axis: e.axis + rank };
    if (rank !== undefined && e.blockAxis !== undefined && e.blockAxis < 0)
      out = { ...out, blockAxis: e.blockAxis + rank };
    // A vector (a bias) has its channels on its only axis, whatever the consumer's weight layout.
    if (e.granularity !== 'per-tensor' && e.axis === undefined)
      out = { ...out, axis: rank === 1 ? 0 : outChannelAxis(node.opType, attrs, rank) };
    // Blocks run along the consumer's input channels; the file does not record that axis either.
    if ((e.granularity === 'per-block' || e.granularity === 'lpbq') && e.blockAxis === undefined)
      out = { ...out, blockAxis: inChannelAxis(node.opType, attrs, rank) };
    return out;
  };
  const nodes: QNode[] = [];
  g.nodes.forEach((n, index) => {
    if (n.opType === 'Constant') return;
    const inputs: QPort[] = [];
    n.inputs.forEach((tensor, i) => {
      if (!tensor) return;
      const constant = constants.has(tensor);
      const values = constant ? smallConstValues(constValues.get(tensor)) : undefined;
      inputs.push({
        index: i,
        tensor,
        role: inputRole(n.opType, i, constant),
        constant,
        encoding: lookup(tensor, n, constant, i),
        shape: shapes.get(tensor),
        ...dtypeOf(tensor),
        ...(values ? { values } : {}),
      });
    });
    const outputs: QPort[] = n.outputs.filter(Boolean).map((tensor, i) => ({
      index: i,
      tensor,
      role: 'activation',
      constant: false,
      encoding: lookup(tensor, n, false),
      shape: shapes.get(tensor),
      ...dtypeOf(tensor),
    }));
    nodes.push({
      id: n.id,
      name: displayName(n.name, n.opType, index),
      opType: n.opType,
      domain: n.domain,
      inputs,
      outputs,
      attrs: simpleAttrs(n.attributes),
    });
  });
  return finishGraph(
    nodes,
    source,
    quantized,
    dynamicShapes(g, (t) => constValues.get(t)),
    onnxOpset(model),
    () => staticShapes(model, []),
  );
}
