/** What is drawn: showing a graph view, laying it out, opening groups, revealing nodes, stepping through findings. */
import type { GraphView, ViewNode } from '../../core/model/graph-view';
import { layoutGraph, type LayoutResult } from '../../core/layout/layout-graph';
import { engineClient, layoutClient } from '../../worker/client';
import { layoutInputOf } from '../../core/view/drawing';
import { foldedView, shownNode, type QdqFold } from '../../core/view/fold';
import {
  ancestorGroups,
  GROUP_BUDGET,
  GROUP_THRESHOLD,
  initialExpansion,
  knownNodeScopes,
  nodeScopes,
  nextTask,
  nodeScopesInSlices,
  visibleGraph,
  visibleGraphInSlices,
  type VisibleGraph,
} from '../../core/view/scopes';
import type { LoadOverview } from '../../core/session/api';
import { fetchViewParts } from '../../core/session/load-parts';
import { neighbourhoodOfFindings } from '../findings-filter';
import { drawnNodeOf, requestFit, useApp, viewNode } from '../state/app-store';
import { filteredFindings, setList, useList } from '../state/list-store';
import { indexFindings, useCheck } from '../state/check-store';

/**
 * Ends the current task (core/view/scopes.ts). Receiving a large result from the worker already
 * costs one task (the message is deserialized); the work on it goes in the next one, so neither
 * grows past ~100 ms.
 */
export { nextTask };

export { GROUP_BUDGET, GROUP_THRESHOLD } from '../../core/view/scopes';

/**
 * Shows a graph: QDQ-folded when it has Q/DQ nodes (unless the person asked for the whole graph),
 * grouped by name scope when large, laid out off the main thread. `folded` says the engine sent
 * the folded drawing itself (a model's main graph); otherwise `view` is the full graph.
 */
export async function showView(
  view: GraphView,
  groups?: string[],
  fold?: QdqFold,
  folded = false,
  overview?: LoadOverview,
): Promise<void> {
  if (folded && fold) {
    const known = { ...fold, edges: view.edges };
    if (!useApp.getState().qdqFolded) {
      // The person draws whole graphs: fetch this one (a large one in parts; the fold is known).
      const got = await fullGraph(view.path);
      if (got.ok) return showView(got.view, got.expanded, got.fold ?? known);
    }
    return draw({ view, fullView: undefined, fullGroups: undefined, fold: known, drawnFolded: true, groups, overview });
  }
  const drawFolded = !!fold && useApp.getState().qdqFolded;
  return draw({
    view: drawFolded ? foldedView(view, fold) : view,
    fullView: view,
    fullGroups: groups,
    fold,
    drawnFolded: drawFolded,
    groups: drawFolded ? fold.expanded : groups,
    // The engine's overview is of the drawing it sent: this view, unless it is folded here.
    overview: fold ? undefined : overview,
  });
}

/** A graph drawn whole, from the engine: a large one thin and in parts (the page has its fold). */
async function fullGraph(path: string) {
  return fetchViewParts(engineClient(), await engineClient().graphView(path, { parts: true }));
}

/** Draws a view: its groups, the marks of the findings on its nodes, a layout; `selectedId` stays selected. */
async function draw(d: {
  view: GraphView;
  fullView: GraphView | undefined;
  fullGroups: string[] | undefined;
  fold: QdqFold | undefined;
  drawnFolded: boolean;
  groups: string[] | undefined;
  selectedId?: string;
  /** What `groups` shows of `view`, worked out by the engine: drawn before the view is grouped here. */
  overview?: LoadOverview;
}): Promise<void> {
  useApp.setState({
    view: d.view,
    fullView: d.fullView,
    fullGroups: d.fullGroups,
    fold: d.fold,
    drawnFolded: d.drawnFolded,
    expanded: expansionOf(d.view, d.groups),
    findingsOnly: false,
    layout: undefined,
    visible: undefined,
    layingOut: true,
    selectedId: d.selectedId,
  });
  remark();
  if (d.overview && d.view.nodes.length > GROUP_THRESHOLD) {
    // The first paint from the engine's overview; the page's own index of the groups (opening
    // them, their findings' roll-ups) follows, and the same drawing is laid out from it.
    await relayout(d.overview);
    if (useApp.getState().view !== d.view) return;
  }
  // Name scopes of a large view are worked out in slices, so no task holds the page for long.
  if (d.view.nodes.length > GROUP_THRESHOLD) await nodeScopesInSlices(d.view);
  if (useApp.getState().view !== d.view) return;
  await relayout();
}

/** The groups a view opens with: the engine's choice, or computed here for a large view. */
function expansionOf(view: GraphView, groups: string[] | undefined): Set<string> | undefined {
  if (groups) return new Set(groups);
  return view.nodes.length > GROUP_THRESHOLD ? initialExpansion(view, GROUP_BUDGET) : undefined;
}

/** Re-indexes the findings' marks onto the nodes now drawn. */
function remark(): void {
  const findings = useCheck.getState().result?.findings;
  if (findings) useCheck.setState({ marks: indexFindings(findings, drawnNodeOf) });
}

/** Draws a graph with Q/DQ nodes folded onto its edges, or whole; the selection follows. */
export async function setQdqFolded(on: boolean): Promise<void> {
  const { qdqFolded, fold, view: before } = useApp.getState();
  if (on === qdqFolded) return;
  useApp.setState({ qdqFolded: on });
  if (!fold || !before) return;
  let { fullView, fullGroups } = useApp.getState();
  if (!fullView) {
    // Arrived folded: fetch the full graph from the engine the first time it is asked for (a
    // large one thin and in parts: whole, in one message, it held a 100k-node view's page 2.2 s).
    const got = await fullGraph(before.path);
    if (!got.ok || useApp.getState().view !== before) return;
    fullView = got.view;
    fullGroups = got.expanded;
  }
  const { selectedId } = useApp.getState();
  await draw({
    view: on ? foldedView(fullView, fold) : fullView,
    fullView,
    fullGroups,
    fold,
    drawnFolded: on,
    groups: on ? fold.expanded : fullGroups,
    selectedId: selectedId && on ? shownNode(selectedId, fold) || undefined : selectedId,
  });
}

/**
 * Drawings of at most this many boxes are laid out here rather than in the layout worker: that
 * takes 0.1-5 ms (ResNet-18's 51 boxes), while the round trip to the worker took 18-21 ms, its
 * answer waiting behind the render of the drawing being replaced, and that render then ran twice.
 */
export const MAIN_THREAD_LAYOUT_MAX = 120;

let layoutSeq = 0;
/** Layouts per view, keyed by what was drawn (at most 16 per view). */
const layoutCache = new WeakMap<GraphView, Map<string, LayoutResult>>();

/**
 * Recomputes what is drawn (groups, filter) and lays out exactly that; `given`: what is drawn,
 * already worked out (a load's overview), its nodes' groups not yet indexed.
 */
export async function relayout(given?: LoadOverview): Promise<void> {
  const mine = ++layoutSeq;
  const { view, expanded, findingsOnly } = useApp.getState();
  if (!view) return;
  useApp.setState({ layingOut: true });
  // A large view's drawing is worked out in slices, so no task holds the page for long.
  const sliced = !given && view.nodes.length > GROUP_THRESHOLD;
  let visible: VisibleGraph = given
    ? { ...given, shownBy: new Map(), members: new Map() }
    : sliced
      ? await visibleGraphInSlices(view, expanded ?? ALL)
      : visibleGraph(view, expanded ?? ALL);
  if (mine !== layoutSeq) return;
  if (findingsOnly) visible = neighbourhoodOfFindings(view, useCheck.getState().marks);
  const input = layoutInputOf(visible);
  // Re-opening a group or toggling the filter back returns to a drawing already laid out.
  const key = `${visible.items.map((i) => i.id).join('|')}#${visible.edges.length}`;
  const cache = layoutCache.get(view) ?? new Map<string, LayoutResult>();
  layoutCache.set(view, cache);
  let layout = cache.get(key);
  if (!layout) {
    performance.mark('ql:layout');
    if (input.nodes.length <= MAIN_THREAD_LAYOUT_MAX) {
      layout = layoutGraph(input);
      // The drawing renders in a task of its own, not after the grouping's last slice. A small
      // view's drawing renders with the state set before it (a new model's summary): one render
      // instead of two (Silero VAD's first drop: 15 ms, then 7).
      if (sliced || given) await nextTask();
    } else layout = await layoutClient().layout(input);
    performance.mark('ql:laid-out');
    if (cache.size >= 16) cache.delete(cache.keys().next().value!);
    cache.set(key, layout);
  }
  if (mine !== layoutSeq || useApp.getState().view !== view) return;
  useApp.setState((s) => ({
    visible,
    layout,
    layingOut: false,
    drawn: { model: s.summary?.fileName ?? '', seq: (s.drawn?.seq ?? 0) + 1 },
    drawingComing: undefined,
  }));
}

/** Marker for "every group expanded": visibleGraph treats a group as open when the set has it. */
const ALL: ReadonlySet<string> = { has: () => true } as unknown as ReadonlySet<string>;

/**
 * Opens or closes a name-scope group in place: the view moves to where the group's contents (or,
 * closing, the group's box) were laid out, so the person keeps their place.
 */
export async function toggleGroup(id: string): Promise<void> {
  const expanded = new Set(useApp.getState().expanded ?? []);
  const closing = expanded.has(id);
  if (closing) {
    // Closing a group closes its sub-groups too.
    for (const g of [...expanded]) if (g === id || g.startsWith(`${id}/`)) expanded.delete(g);
  } else expanded.add(id);
  useApp.setState({ expanded, openedGroup: closing ? parentGroup(id) : id });
  await relayout();
  const { visible } = useApp.getState();
  if (!visible) return;
  if (closing) {
    if (visible.items.some((i) => i.id === id)) useApp.getState().panTo(id);
    return;
  }
  const first = visible.members.get(id)?.[0];
  const shown = first && visible.shownBy.get(first);
  if (shown) useApp.getState().panTo(shown);
}

/** The group that holds a group ('group:a/b' -> 'group:a'), or undefined at the top. */
function parentGroup(id: string): string | undefined {
  const cut = id.lastIndexOf('/');
  return cut > 'group:'.length ? id.slice(0, cut) : undefined;
}

/**
 * The open groups around the selected node (or the last opened group), outermost first. The
 * selected node's scope comes from the view's scopes as the drawing worked them out: a large view
 * just drawn anew (the Q/DQ fold toggled) has them in slices, after this first render, and working
 * them out here held a 100k-node view's click for ~40 ms; until then the trail follows the group
 * opened last, and the crumbs render again once the drawing is laid out.
 */
export function scopeTrail(): { id: string; label: string }[] {
  const { view, expanded, selectedId, openedGroup } = useApp.getState();
  if (!view || !expanded) return [];
  const scopes = knownNodeScopes(view) ?? (view.nodes.length <= GROUP_THRESHOLD ? nodeScopes(view) : undefined);
  const selected = selectedId ? scopes?.get(selectedId) : undefined;
  const scope = selected ?? (selectedId && scopes ? [] : (openedGroup?.slice('group:'.length).split('/') ?? []));
  const ids = ancestorGroups(scope);
  return ids
    .filter((g) => expanded.has(g))
    .map((g) => ({ id: g, label: g.slice(g.lastIndexOf('/') + 1).replace(/^group:/, '') }));
}

/** Draws only nodes with findings and their neighbours, or everything again. */
export function setFindingsOnly(on: boolean): Promise<void> {
  useApp.setState({ findingsOnly: on });
  return relayout();
}

/**
 * Selects and centers a node, opening the groups that hide it. While a large model's drawing
 * follows its findings, a finding's node is remembered and revealed once the drawing lands.
 */
export async function revealNode(target: string): Promise<void> {
  if (useApp.getState().drawingComing) {
    useApp.setState({ revealOnDraw: target });
    return;
  }
  // A node of another graph (inside an If's branch or a Loop's body: the quantizer's findings on
  // nodes of an If it folded point there) opens that graph first; clicking one did nothing.
  const path = graphPathOf(target);
  const shown = useApp.getState().view;
  if (shown && shown.path !== path && !viewNode(shown, drawnNodeOf(target))) await openGraph(path);
  const id = drawnNodeOf(target);
  const { view, visible, expanded, findingsOnly } = useApp.getState();
  const node = viewNode(view, id);
  if (!node) return;
  const hidden = findingsOnly ? !visible?.items.some((i) => i.id === id) : expanded && visible?.shownBy.get(id) !== id;
  if (hidden) {
    const next = new Set(expanded ?? []);
    for (const g of ancestorGroups(nodeScopes(view!).get(id) ?? [])) next.add(g);
    useApp.setState({ expanded: expanded ? next : undefined, findingsOnly: false });
    await relayout();
  }
  useApp.getState().focusNode(id);
}

/**
 * The path of the graph a node id belongs to: '' for the main graph's nodes (`12`), the sub-graph's
 * for one inside it (`501/else_branch/12` is in `501/else_branch`), as read-onnx.ts names them.
 */
export function graphPathOf(id: string): string {
  const cut = id.lastIndexOf('/');
  return cut < 0 ? '' : id.slice(0, cut);
}

/** A node with its ports and attributes, from the engine (for a thin view's selection). */
export async function nodeDetails(path: string, id: string): Promise<ViewNode | undefined> {
  const got = await engineClient().nodeDetails(path, id);
  return got.ok ? got.node : undefined;
}

/** Switches the canvas to a sub-graph (or back to the main graph with ''). */
export async function openGraph(path: string): Promise<void> {
  const got = await engineClient().graphView(path);
  if (got.ok) await showView(got.view, got.expanded, got.fold);
}

/** Moves to the next (+1) or previous (-1) finding and reveals its node. */
export function stepFinding(delta: 1 | -1): void {
  const list = filteredFindings(useCheck.getState().result?.findings, useList.getState()).filter((f) => f.nodeId);
  if (list.length === 0) return;
  const cursor = (useList.getState().cursor + delta + list.length) % list.length;
  setList({ cursor });
  void revealNode(list[cursor]!.nodeId);
}

/** Closes every group and fits the view (all of it, or legibly from the top). */
export async function collapseAll(readable = false): Promise<void> {
  useApp.setState({ expanded: new Set(), openedGroup: undefined });
  await relayout();
  requestFit(readable);
}
