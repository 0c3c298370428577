/** What a graph states of its tensors' element types. */
import type { ConstTensor, Graph } from './types';

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
