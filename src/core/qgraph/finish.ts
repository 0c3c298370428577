/** The finishing pass every quantized-graph builder runs (QDQ reader, AIMET/plan reader). */
import { FLOWS, type Flow } from '../../../rules/types';
import type { DynamicShapes } from './dynamic';
import { findFusions, type SizeOf } from './fusions';
import { foldStatic, type QGraph, type QNode } from './qgraph';

/** Folds shape computations and marks fused patterns: the finishing pass of every builder. */
export function finishGraph(
  nodes: QNode[],
  source: QGraph['source'],
  quantized: boolean,
  dynamic?: DynamicShapes,
  /** The model's ai.onnx opset, when it declares one. */
  opset?: number,
  /** Sizes the model's static input sizes fix, worked out only if a pattern asks (staticShapes). */
  sizes?: () => ReadonlyMap<string, readonly number[]>,
): QGraph {
  const staticTensors = foldStatic(nodes);
  let known: ReadonlyMap<string, readonly number[]> | undefined;
  const sizeOf: SizeOf = (tensor) => (known ??= sizes?.() ?? new Map()).get(tensor);
  const fusions = findFusions(nodes, new Set(staticTensors), sizeOf, opset);
  for (const n of nodes) {
    const as = fusions.nodes.get(n.id);
    if (as) {
      n.fusedAs = as.op;
      if (as.flows.length < FLOWS.length) n.fusedBy = [...as.flows];
    }
    const rank5 = fusions.rank5.get(n.id);
    if (rank5) n.rank5By = { ...rank5, flows: [...rank5.flows] };
  }
  const fusedTensors: Record<string, Flow[]> = {};
  for (const [t, flows] of fusions.tensors) fusedTensors[t] = [...flows];
  const ortQuantized = Object.fromEntries(fusions.ortQuantized);
  return {
    nodes,
    source: quantized ? source : 'float',
    quantized,
    staticTensors,
    fusedTensors,
    ...(fusions.ortQuantized.size > 0 ? { ortQuantized } : {}),
    ...(fusions.matmulAdd.size > 0 ? { matmulAddProducts: [...fusions.matmulAdd] } : {}),
    ...(fusions.ortWhileFloat.size > 0 ? { ortFusesWhileFloat: [...fusions.ortWhileFloat] } : {}),
    ...(fusions.ortUnfused.size > 0 ? { ortUnfused: Object.fromEntries(fusions.ortUnfused) } : {}),
    ...(dynamic && dynamic.tensors.length > 0 ? { dynamic } : {}),
    ...(opset !== undefined ? { opset } : {}),
  };
}
