/**
 * Folding If nodes for the inputs a person calibrates with. HTP runs no control flow, and the
 * quantizer sees the main graph only (onnxruntime cannot hand out a branch's tensors), so a model
 * that keeps its work inside If branches (Silero VAD: everything behind an If on the sample rate)
 * would leave that work float. When every calibration sample takes the same branch of an If, the
 * If is replaced by that branch's nodes, as `onnxsim` does for a fixed input; nested Ifs that
 * become main-graph nodes are folded in the next round. The folded model computes only the
 * branch taken: the quantizer's note says which branch of which node, and for which samples.
 *
 * ONNX forbids a sub-graph to reuse a name of an enclosing scope, so a branch's nodes and
 * initializers move into the main graph as they are; only the branch's outputs take the names
 * of the If's outputs.
 */
import type * as ortTypes from 'onnxruntime-common';
import { onnx } from '../model/onnx/generated/onnx-pb.js';
import { writeOnnx } from '../model/write-onnx';
import { CalibrationRunError, QUIET, checkpoint, type SessionFactory } from './calibrate';
import { sessionRefusalText } from './runtime-status';
import type { CalibrationSample } from './expose';

/** Rounds of folding at most (each round may expose the Ifs nested one level deeper). */
const MAX_ROUNDS = 8;

export interface FoldedIf {
  /** The If node's name (or its id when it has none), as in the model given. */
  node: string;
  /** The node's id in the model given ('2', or '2/else_branch/7' for a nested one). */
  id: string;
  branch: 'then_branch' | 'else_branch';
}

export interface ControlFlowFold {
  bytes: Uint8Array;
  folded: FoldedIf[];
  /** Main-graph Ifs left as they are, with why. */
  kept: { node: string; reason: string }[];
  /** The id a node of the folded model had in the model given (node ids are index paths). */
  originalId(id: string): string;
}

function isIf(n: onnx.INodeProto): boolean {
  return n.opType === 'If' && (!n.domain || n.domain === 'ai.onnx');
}

function branchOf(n: onnx.INodeProto, name: 'then_branch' | 'else_branch'): onnx.IGraphProto | undefined {
  return n.attribute?.find((a) => a.name === name)?.g ?? undefined;
}

/** Renames tensor references in a graph and in the sub-graphs of its nodes. */
function renameIn(graph: onnx.IGraphProto, rename: ReadonlyMap<string, string>): void {
  for (const n of graph.node ?? []) {
    n.input = (n.input ?? []).map((i) => rename.get(i) ?? i);
    n.output = (n.output ?? []).map((o) => rename.get(o) ?? o);
    for (const a of n.attribute ?? []) {
      if (a.g) renameIn(a.g, rename);
      for (const g of a.graphs ?? []) renameIn(g, rename);
    }
  }
}

/** Replaces main-graph node `index` (an If) by the nodes of one of its branches. */
function inline(graph: onnx.IGraphProto, index: number, branchName: 'then_branch' | 'else_branch'): number {
  const node = graph.node![index]!;
  const branch = branchOf(node, branchName)!;
  const produced = new Set<string>();
  for (const n of branch.node ?? []) for (const o of n.output ?? []) if (o) produced.add(o);
  const rename = new Map<string, string>();
  const passThrough: onnx.INodeProto[] = [];
  (branch.output ?? []).forEach((out, k) => {
    const target = node.output?.[k];
    if (!target || !out.name) return;
    // A branch output computed in the branch takes the If output's name; one that only passes an
    // outer tensor or an initializer through gets an Identity.
    if (produced.has(out.name) && !rename.has(out.name)) rename.set(out.name, target);
    else
      passThrough.push({
        opType: 'Identity',
        name: `${node.name || 'If'}/${branchName}/out${k}`,
        input: [out.name],
        output: [target],
      });
  });
  renameIn(branch, rename);
  graph.initializer = [...(graph.initializer ?? []), ...(branch.initializer ?? [])];
  graph.sparseInitializer = [...(graph.sparseInitializer ?? []), ...(branch.sparseInitializer ?? [])];
  graph.valueInfo = [
    ...(graph.valueInfo ?? []),
    ...(branch.valueInfo ?? []).map((v) => (rename.has(v.name ?? '') ? { ...v, name: rename.get(v.name!)! } : v)),
  ];
  const nodes = [...(branch.node ?? []), ...passThrough];
  graph.node = [...graph.node!.slice(0, index), ...nodes, ...graph.node!.slice(index + 1)];
  return nodes.length;
}

/**
 * Folds the main graph's Ifs whose condition is the same on every sample (round after round, for
 * the Ifs that folding brings up). Returns undefined when the model has no If in its main graph.
 */
export async function foldControlFlow(
  bytes: Uint8Array,
  samples: readonly CalibrationSample[],
  createSession: SessionFactory,
  /** Cancels the fold between its sessions (a person opening another model during a warm-up). */
  signal?: AbortSignal,
): Promise<ControlFlowFold | undefined> {
  let model: onnx.ModelProto = onnx.ModelProto.decode(bytes);
  if (!model.graph?.node?.some(isIf) || samples.length === 0) return undefined;
  // origin[i]: the id the main graph's node i had in the model given.
  let origin = model.graph.node.map((_, i) => String(i));
  const deadBefore = new Set(deadNodes(model.graph).map((n) => origin[model.graph!.node!.indexOf(n)]!));
  const folded: FoldedIf[] = [];
  const kept = new Map<string, string>();
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const graph = model.graph!;
    const ifs = graph
      .node!.map((n, i) => ({ n, i }))
      .filter(({ n, i }) => isIf(n) && n.input?.[0] && !kept.has(origin[i]!));
    if (ifs.length === 0) break;
    const conditions = await conditionValues(
      model,
      ifs.map(({ n }) => n.input![0]!),
      samples,
      createSession,
    );
    // Back to front, so the indices of the Ifs still to fold stay valid.
    const plan: Fold[] = [];
    for (const { n, i } of [...ifs].reverse()) {
      const values = conditions.get(n.input![0]!);
      const label = n.name || origin[i]!;
      if (!values) {
        kept.set(origin[i]!, `onnxruntime did not report its condition "${n.input![0]}"`);
        continue;
      }
      if (new Set(values).size > 1) {
        kept.set(origin[i]!, `the calibration samples take both branches`);
        continue;
      }
      const branch = values[0] ? 'then_branch' : 'else_branch';
      if (!branchOf(n, branch)) {
        kept.set(origin[i]!, `it has no ${branch}`);
        continue;
      }
      plan.push({ index: i, branch, node: label, id: origin[i]! });
    }
    if (plan.length === 0) break;
    // A branch taken by every sample can still make a model onnxruntime will not load: shapes that
    // were unknown behind the If become static, and its inference then refuses a node they reach
    // (Keypoint R-CNN's empty detections reach a Resize inside a Loop). The round's folds are
    // tried together, then, if that model is refused, one at a time, keeping those that load.
    await checkpoint(signal);
    let next = applyFolds(model, origin, plan);
    const refused = await refusal(next.model, createSession);
    if (refused) {
      next = { model, origin };
      for (const f of plan) {
        await checkpoint(signal);
        const trial = applyFolds(next.model, next.origin, [f]);
        const why = await refusal(trial.model, createSession);
        if (why) kept.set(f.id, `folding it to its ${f.branch} makes a model onnxruntime will not load (${why})`);
        else next = trial;
      }
    }
    const done = plan.filter((f) => !kept.has(f.id));
    folded.push(...done.map(({ node, id, branch }) => ({ node, id, branch })));
    ({ model, origin } = next);
    if (done.length === 0) break;
  }
  if (folded.length === 0 && kept.size === 0) return undefined;
  const graph = model.graph!;
  if (folded.length) {
    // What computed only the folded conditions (an Equal on the sample rate) goes too; nodes that
    // were unused before folding are left as the model had them.
    const alive = pruneDead(graph, new Set(graph.node!.filter((_, i) => deadBefore.has(origin[i]!))));
    origin = origin.filter((_, i) => alive[i]);
  }
  const keptList = [...kept].map(([id, reason]) => {
    const n = graph.node![origin.indexOf(id)];
    return { node: n?.name || id, reason };
  });
  const finalOrigin = origin;
  return {
    bytes: folded.length ? writeOnnx(model) : bytes,
    folded,
    kept: keptList,
    originalId(id) {
      const cut = id.indexOf('/');
      const head = cut < 0 ? id : id.slice(0, cut);
      const mapped = finalOrigin[Number(head)];
      return mapped === undefined ? id : cut < 0 ? mapped : `${mapped}${id.slice(cut)}`;
    },
  };
}

/** Names read by the nodes of a graph and of their sub-graphs. */
function readNames(graph: onnx.IGraphProto, into: Set<string>): Set<string> {
  for (const n of graph.node ?? []) {
    for (const i of n.input ?? []) if (i) into.add(i);
    for (const a of n.attribute ?? []) {
      if (a.g) readNames(a.g, into);
      for (const g of a.graphs ?? []) readNames(g, into);
    }
  }
  return into;
}

/** Main-graph nodes none of whose outputs is read or is a graph output, round after round. */
function deadNodes(graph: onnx.IGraphProto, spare: ReadonlySet<onnx.INodeProto> = new Set()): onnx.INodeProto[] {
  let nodes = graph.node ?? [];
  const dead: onnx.INodeProto[] = [];
  for (;;) {
    const used = readNames({ node: nodes }, new Set((graph.output ?? []).map((o) => o.name ?? '')));
    const gone = nodes.filter((n) => !spare.has(n) && !(n.output ?? []).some((o) => o && used.has(o)));
    if (gone.length === 0) return dead;
    dead.push(...gone);
    const drop = new Set(gone);
    nodes = nodes.filter((n) => !drop.has(n));
  }
}

/** Removes the dead nodes (sparing `spare`); says for each node before whether it stayed. */
function pruneDead(graph: onnx.IGraphProto, spare: ReadonlySet<onnx.INodeProto>): boolean[] {
  const drop = new Set(deadNodes(graph, spare));
  const alive = graph.node!.map((n) => !drop.has(n));
  graph.node = graph.node!.filter((n) => !drop.has(n));
  return alive;
}

/** An If to fold: its index in the main graph, the branch every sample took, its name and id. */
interface Fold {
  index: number;
  branch: 'then_branch' | 'else_branch';
  node: string;
  id: string;
}

/**
 * A copy of `model` with `folds` inlined (given back to front), and the origin of its nodes. The
 * model given is left as it was.
 */
function applyFolds(
  model: onnx.ModelProto,
  origin: readonly string[],
  folds: readonly Fold[],
): { model: onnx.ModelProto; origin: string[] } {
  const copy = onnx.ModelProto.decode(writeOnnx(model));
  let ids = [...origin];
  for (const f of folds) {
    const count = inline(copy.graph!, f.index, f.branch);
    ids = [
      ...ids.slice(0, f.index),
      ...Array.from({ length: count }, (_, k) => `${f.id}/${f.branch}/${k}`),
      ...ids.slice(f.index + 1),
    ];
  }
  return { model: copy, origin: ids };
}

/** onnxruntime's reason for refusing to load `model`, in its own short words; undefined when it loads. */
async function refusal(model: onnx.ModelProto, createSession: SessionFactory): Promise<string | undefined> {
  try {
    const session = await createSession(writeOnnx(model), { graphOptimizationLevel: 'disabled', handOver: true });
    await session.release();
    return undefined;
  } catch (err) {
    return sessionRefusalText(err);
  }
}

/** The value of each condition tensor on every sample (true / false), read as extra outputs. */
async function conditionValues(
  model: onnx.IModelProto,
  conditions: string[],
  samples: readonly CalibrationSample[],
  createSession: SessionFactory,
): Promise<Map<string, boolean[]>> {
  const outputs = model.graph!.output ?? [];
  const listed = new Set(outputs.map((o) => o.name));
  const wanted = conditions.filter((c) => !listed.has(c));
  // The same model with the conditions as outputs too (restored after it is written).
  model.graph!.output = [...outputs, ...wanted.map((name) => new onnx.ValueInfoProto({ name }))];
  const probe = writeOnnx(model);
  model.graph!.output = outputs;
  const session = await createSession(probe, { graphOptimizationLevel: 'disabled', handOver: true });
  const values = new Map<string, boolean[]>();
  try {
    for (const [i, sample] of samples.entries()) {
      let out: Record<string, ortTypes.Tensor>;
      try {
        out = await session.run(sample as Record<string, ortTypes.Tensor>, conditions, QUIET);
      } catch (err) {
        // The float model fails on this sample before any quantization: say which node.
        throw CalibrationRunError.fromRuntime(i, err);
      }
      for (const c of conditions) {
        const t = out[c];
        if (!t) continue;
        const list = values.get(c) ?? values.set(c, []).get(c)!;
        list.push(Boolean(Number((t.data as ArrayLike<number | bigint | boolean>)[0])));
      }
      for (const t of Object.values(out)) t.dispose();
    }
  } finally {
    await session.release();
  }
  return values;
}
