/**
 * A large load answer crosses to the UI thread in parts. Receiving a message is one task on the
 * receiving thread (the structured clone is read in one piece): the thin drawing of a 100k-node
 * decoder (30k nodes, 40k edges, 69k folded-node names, 21 MB) held the page for 0.4 s. Split into
 * parts of a few thousand items, each arrives as its own short task; edges travel without their
 * ids (the id restates source, target and tensor: a third of an edge's bytes) and get them back here.
 */
import { edgeId, type ViewEdge, type ViewNode } from '../model/graph-view';
import { ModelLoadError } from '../model/errors';
import type { EngineApi, GraphViewAnswer, LoadPart, LoadResult } from './api';

/**
 * Items (nodes, edges and folded-node names together) per part: receiving a part of 12k held the
 * page ~100-190 ms, of 6k 46 ms in a quiet profile and up to 102 ms in a loaded run (100k-node
 * decoder); parts of 3k keep its longest task around the drawing to 68-75 ms.
 */
export const PART_ITEMS = 3_000;

/**
 * Cuts a drawing's nodes, edges and folded names into parts of about `size` items: first the parts
 * of its nodes and edges (`drawing` of them: what a first paint needs), then those of its folded
 * nodes' names (half the items of a QDQ decoder's drawing; only search and links need them).
 */
export function cutParts(
  nodes: ViewNode[],
  edges: ViewEdge[],
  names: [string, string, string][],
  size = PART_ITEMS,
): { parts: LoadPart[]; drawing: number } {
  const drawing = Math.max(1, Math.ceil((nodes.length + edges.length) / size));
  const named = Math.ceil(names.length / size);
  const slice = <T>(all: T[], k: number, count: number) =>
    all.slice(Math.floor((all.length * k) / count), Math.floor((all.length * (k + 1)) / count));
  const parts: LoadPart[] = [];
  for (let k = 0; k < drawing; k++)
    parts.push({
      nodes: slice(nodes, k, drawing),
      edges: slice(edges, k, drawing).map(({ id: _id, ...rest }) => rest),
      names: [],
    });
  for (let k = 0; k < named; k++) parts.push({ nodes: [], edges: [], names: slice(names, k, named) });
  return { parts, drawing };
}

/**
 * A whole load answer from a parted one: fetches every part (asked at once, so the engine sends
 * them back to back and each lands as its own task) and puts the drawing together. A part that is
 * gone means a newer open replaced this model in the engine: the load is then superseded.
 */
export async function fetchParts(engine: Pick<EngineApi, 'loadPart'>, result: LoadResult): Promise<LoadResult> {
  const { drawing, rest } = await fetchDrawingParts(engine, result);
  if (!drawing.ok || !drawing.fold) return drawing;
  const names = await rest();
  if (!names) return superseded(drawing);
  appendNames(drawing.fold.names, names);
  return drawing;
}

/**
 * The parts a first paint needs (nodes and edges), put together as a load answer whose folded
 * names are still to come, and `rest`, which fetches the names (undefined when the load was
 * superseded meanwhile): the page draws first and fetches them after, so their messages do not
 * land on the UI thread between the drawing's parts and its first paint.
 */
export async function fetchDrawingParts(
  engine: Pick<EngineApi, 'loadPart'>,
  result: LoadResult,
): Promise<{ drawing: LoadResult; rest: () => Promise<[string, string, string][] | undefined> }> {
  const none = async () => [] as [string, string, string][];
  if (!result.ok || !result.parts) return { drawing: result, rest: none };
  const { token, count, drawing: drawn } = result.parts;
  const fetch = (from: number, to: number) => fetchPartRange(engine, token, from, to);
  const parts: Part[] = [];
  for (const a of await fetch(0, drawn)) {
    if (!a.ok) return { drawing: superseded(result, a.error.problem), rest: none };
    parts.push(a.part);
  }
  const drawing: LoadResult = {
    ...result,
    view: { ...result.view, nodes: parts.flatMap((p) => p.nodes), edges: parts.flatMap((p) => p.edges) },
    // The drawing's parts hold no names (cutParts): they come through `rest`.
    fold: result.fold && { ...result.fold, names: [] },
    parts: undefined,
  };
  const rest = async () => {
    const names: [string, string, string][] = [];
    for (const a of await fetch(drawn, count)) {
      if (!a.ok) return undefined;
      appendNames(names, a.part.names);
    }
    return names;
  };
  return { drawing, rest };
}

/**
 * A view asked for in parts (graphView's `parts`), put together: every part asked for at once, each
 * received as its own task, as a load's drawing is. A part that is gone means a newer open replaced
 * the model meanwhile: the answer is then that error.
 */
export async function fetchViewParts(
  engine: Pick<EngineApi, 'loadPart'>,
  answer: GraphViewAnswer,
): Promise<GraphViewAnswer> {
  if (!answer.ok || !answer.parts) return answer;
  const parts: Part[] = [];
  for (const a of await fetchPartRange(engine, answer.parts.token, 0, answer.parts.count)) {
    if (!a.ok) return a;
    parts.push(a.part);
  }
  const { parts: _parts, ...rest } = answer;
  return {
    ...rest,
    view: { ...answer.view, nodes: parts.flatMap((p) => p.nodes), edges: parts.flatMap((p) => p.edges) },
  };
}

/**
 * Appends folded names in place (the drawn fold holds the same list). A loop, not push(...names):
 * a call's arguments live on the stack, and a large model has a hundred thousand names.
 */
export function appendNames(list: [string, string, string][], names: readonly [string, string, string][]): void {
  for (const n of names) list.push(n);
}

/** The answer of a load that a newer open replaced while its parts were fetched. */
function superseded(result: LoadResult, problem = 'its parts are gone'): LoadResult {
  return {
    ok: false,
    error: new ModelLoadError(
      'superseded',
      result.ok ? result.summary.fileName : '',
      `another model was opened while this one was loading (${problem})`,
      'Nothing to do: the newer model is shown.',
    ).toJSON(),
  };
}

type Part = Omit<LoadPart, 'edges'> & { edges: ViewEdge[] };

/**
 * Parts [from, to) of `token`, asked for at once (the engine sends them back to back and each lands
 * as its own task); each part's edges get their ids back in the task that receives it, not all in
 * one task at the end.
 */
function fetchPartRange(engine: Pick<EngineApi, 'loadPart'>, token: number, from: number, to: number) {
  return Promise.all(
    Array.from({ length: to - from }, (_, k) =>
      engine.loadPart(token, from + k).then((a) => (a.ok ? { ok: true as const, part: withEdgeIds(a.part) } : a)),
    ),
  );
}

/** A part with its edges' ids restored (in place: the part was just received). */
function withEdgeIds(part: LoadPart): Part {
  for (const e of part.edges) (e as ViewEdge).id = edgeId(e.source, e.target, e.tensor);
  return part as Part;
}
