/**
 * A large load answer crosses to the UI thread in parts. Receiving a message is one task on the
 * receiving thread (the structured clone is read in one piece): the thin drawing of a 100k-node
 * decoder (30k nodes, 40k edges, 69k folded-node names, 21 MB) held the page for 0.4 s. Split into
 * parts of a few thousand items, each arrives as its own short task; edges travel without their
 * ids (the id restates source, target and tensor: a third of an edge's bytes) and get them back here.
 */
import { edgeId, type ViewEdge, type ViewNode } from '../model/graph-view';
import { ModelLoadError } from '../model/errors';
import type { EngineApi, LoadPart, LoadResult } from './api';

/**
 * Items (nodes, edges and folded-node names together) per part: receiving a part of 12k held the
 * page ~100-190 ms, of 6k 46 ms in a quiet profile and up to 102 ms in a loaded run (100k-node
 * decoder); parts of 3k keep its longest task around the drawing to 68-75 ms.
 */
export const PART_ITEMS = 3_000;

/** Cuts a drawing's nodes, edges and folded names into parts of about `size` items. */
export function cutParts(
  nodes: ViewNode[],
  edges: ViewEdge[],
  names: [string, string, string][],
  size = PART_ITEMS,
): LoadPart[] {
  const total = nodes.length + edges.length + names.length;
  const count = Math.max(1, Math.ceil(total / size));
  const slice = <T>(all: T[], k: number) =>
    all.slice(Math.floor((all.length * k) / count), Math.floor((all.length * (k + 1)) / count));
  const parts: LoadPart[] = [];
  for (let k = 0; k < count; k++)
    parts.push({
      nodes: slice(nodes, k),
      edges: slice(edges, k).map(({ id: _id, ...rest }) => rest),
      names: slice(names, k),
    });
  return parts;
}

/**
 * A whole load answer from a parted one: fetches every part (asked at once, so the engine sends
 * them back to back and each lands as its own task) and puts the drawing together. A part that is
 * gone means a newer open replaced this model in the engine: the load is then superseded.
 */
export async function fetchParts(engine: Pick<EngineApi, 'loadPart'>, result: LoadResult): Promise<LoadResult> {
  if (!result.ok || !result.parts) return result;
  const { token, count } = result.parts;
  // Each part's edges get their ids back in the task that receives it, not all in one task at the end.
  const answers = await Promise.all(
    Array.from({ length: count }, (_, k) =>
      engine.loadPart(token, k).then((a) => (a.ok ? { ok: true as const, part: withEdgeIds(a.part) } : a)),
    ),
  );
  const parts: Part[] = [];
  for (const a of answers) {
    if (!a.ok)
      return {
        ok: false,
        error: new ModelLoadError(
          'superseded',
          result.summary.fileName,
          `another model was opened while this one was loading (${a.error.problem})`,
          'Nothing to do: the newer model is shown.',
        ).toJSON(),
      };
    parts.push(a.part);
  }
  return {
    ...result,
    view: { ...result.view, nodes: parts.flatMap((p) => p.nodes), edges: parts.flatMap((p) => p.edges) },
    fold: result.fold && { ...result.fold, names: parts.flatMap((p) => p.names) },
    parts: undefined,
  };
}

type Part = Omit<LoadPart, 'edges'> & { edges: ViewEdge[] };

/** A part with its edges' ids restored (in place: the part was just received). */
function withEdgeIds(part: LoadPart): Part {
  for (const e of part.edges) (e as ViewEdge).id = edgeId(e.source, e.target, e.tensor);
  return part as Part;
}
