/** What a graph states of its tensors: their element types and shapes. */
import type { ConstTensor, Dim, Graph } from './types';

/**
 * Each tensor's shape as the graph declares it: its inputs', outputs' and value infos' (in that
 * order; a later declaration wins). A tensor declared without a shape maps to undefined; one the
 * graph says nothing of is absent. Constants are left to the caller (their dims are not a
 * declaration, and some callers look them up after).
 * @example
 * declaredShapes(model.graph).get('input'); // [1, 3, 224, 224]
 */
export function declaredShapes(graph: Pick<Graph, 'inputs' | 'outputs' | 'valueInfo'>): Map<string, Dim[] | undefined> {
  const shapes = new Map<string, Dim[] | undefined>();
  for (const v of [...graph.inputs, ...graph.outputs, ...graph.valueInfo.values()]) shapes.set(v.name, v.shape);
  return shapes;
}

/**
 * Each tensor's element type as the graph states it: its inputs', outputs' and value infos'
 * declared types, then its constants' (the initializers, unless the caller passes its own set, such
 * as the initializers with the Constant nodes' values), which win over a declaration. A tensor
 * declared without a type maps to `'undefined'`; one the graph says nothing of is absent.
 * @example
 * declaredTypes(model.graph).get('input'); // 'float32'
 */
export function declaredTypes(
  graph: Pick<Graph, 'inputs' | 'outputs' | 'valueInfo' | 'initializers'>,
  constants: Iterable<[string, Pick<ConstTensor, 'dtype'>]> = graph.initializers,
): Map<string, string> {
  const types = new Map<string, string>();
  for (const v of [...graph.inputs, ...graph.outputs, ...graph.valueInfo.values()]) types.set(v.name, String(v.dtype));
  for (const [name, t] of constants) types.set(name, String(t.dtype));
  return types;
}
