/** The graph: React Flow over the laid-out view, with pan, zoom, fit, minimap and node focus. */
import {
  Background,
  ControlButton,
  Controls,
  getViewportForBounds,
  MiniMap,
  Position,
  ReactFlow,
  ReactFlowProvider,
  useReactFlow,
  useStore,
  useStoreApi,
  type NodeMouseHandler,
  type Viewport,
} from '@xyflow/react';
import { useEffect, useLayoutEffect, useMemo, useRef } from 'react';
import { GROUP_NODE, itemSize, nodeSize } from '../../core/view/drawing';
import { BROADCAST_FANOUT, type VisibleGraph } from '../../core/view/scopes';
import { GroupNode, type GroupFlowNode } from './GroupNode';
import { toggleGroup } from '../actions/view';
import { ensureLabels } from '../actions/check';
import { useCheck } from '../state/check-store';
import { useQuant } from '../state/quant-store';
import { CanvasTools } from './CanvasTools';
import { ScopeTrail } from './ScopeTrail';
import { OpNode, type OpFlowNode } from './OpNode';
import { LabeledEdge, type LabeledFlowEdge } from './LabeledEdge';
import { requestFit, useApp } from '../state/app-store';
import { useSearchHits } from '../actions/search';
import { hashWhenIdle } from '../actions/check';
import type { LayoutResult } from '../../core/layout/layout-graph';
import { useMountedSteps } from '../use-mounted-steps';
import { handedOver, nearestFirst, stepsFor } from '../mount-order';
import { farBroadcastEdges } from '../broadcast-edges';
import { routeKey } from '../../core/layout/route';
import { placeLabels, type LabelEdge } from '../../core/layout/edge-labels';

const nodeTypes = { op: OpNode, scope: GroupNode };
const edgeTypes = { labeled: LabeledEdge };
/**
 * Drawings with more items than this render only what is in the viewport: drawing every item of a
 * 1k-node decoder's folded view (324 nodes, 350 edges) held the page for 0.2-0.3 s.
 */
const ONLY_VISIBLE_ABOVE = 150;
/** Edge labels cost a DOM element each; above this many edges they are left out. */
const EDGE_LABEL_LIMIT = 300;

/**
 * Where React Flow would measure a node's top (target) and bottom (source) handles: 6 px boxes
 * centred on the edges. Given up front with the node's size, the node counts as measured at once,
 * so the ResizeObserver pass after the first render changes nothing and re-renders nothing (that
 * pass held the page for about 0.2 s on a 1k-node drawing).
 */
function knownGeometry(width: number, height: number, target: boolean, source: boolean) {
  const x = width / 2 - 3;
  return {
    measured: { width, height },
    handles: [
      ...(target ? [{ type: 'target' as const, position: Position.Top, x, y: -3, width: 6, height: 6 }] : []),
      ...(source
        ? [{ type: 'source' as const, position: Position.Bottom, x, y: height - 3, width: 6, height: 6 }]
        : []),
    ],
  };
}

/** The labelled edges drawn as plain beziers, with their handles, for placing their labels. */
function labelGeometry(
  visible: VisibleGraph,
  layout: LayoutResult,
  drawn: { e: VisibleGraph['edges'][number]; label?: string; bends?: number[] }[],
): LabelEdge[] {
  if (!drawn.some((d) => d.label)) return [];
  const box = new Map<string, { x: number; y: number; width: number; height: number }>();
  for (const item of visible.items) {
    const at = layout.positions[item.id] ?? { x: 0, y: 0 };
    box.set(item.id, { ...at, ...itemSize(item) });
  }
  const out: LabelEdge[] = [];
  for (const { e, label, bends } of drawn) {
    const s = box.get(e.source);
    const t = box.get(e.target);
    if (!label || (bends && bends.length >= 2) || !s || !t) continue;
    out.push({
      id: e.id,
      source: e.source,
      target: e.target,
      sx: s.x + s.width / 2,
      sy: s.y + s.height,
      tx: t.x + t.width / 2,
      ty: t.y,
      text: label,
    });
  }
  return out;
}

function shapeText(shape: (number | string | null)[] | undefined): string {
  if (!shape) return '';
  return shape.map((d) => (d === null ? '?' : d)).join('×');
}

/** The zoom at which op names render at about 10 px (12 px type): the least a first view may use. */
const READABLE_ZOOM = 0.8;
/** The fit of a whole drawing: React Flow's fitView padding, and no closer than this zoom. */
const FIT_PADDING = 0.1;
const FIT_MAX_ZOOM = 1.2;
/** The canvas's zoom range. */
const MIN_ZOOM = 0.02;
const MAX_ZOOM = 4;

type Box = { x: number; y: number; width: number; height: number };

/** The box around the drawn items `take` keeps (laid out at their positions), or undefined when none is. */
function boundsOf(
  visible: VisibleGraph,
  layout: LayoutResult,
  take: (item: VisibleGraph['items'][number], y: number) => boolean = () => true,
): Box | undefined {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const item of visible.items) {
    const p = layout.positions[item.id];
    if (!p || !take(item, p.y)) continue;
    const size = itemSize(item);
    x0 = Math.min(x0, p.x);
    y0 = Math.min(y0, p.y);
    x1 = Math.max(x1, p.x + size.width);
    y1 = Math.max(y1, p.y + size.height);
  }
  return x0 === Infinity ? undefined : { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

/** The box around everything drawn. */
function drawingBounds(visible: VisibleGraph, layout: LayoutResult): Box {
  return boundsOf(visible, layout) ?? { x: 0, y: 0, width: 1, height: 1 };
}

/** How far below the drawing's top an item still counts as its entry (about a row of boxes). */
const ENTRY_BAND = 80;

/**
 * The viewport's x at zoom `z` for a drawing wider than the canvas (`w` x `h`): its entry centred,
 * or its left end at the canvas's left edge when it spans more than the canvas; never past the
 * drawing's ends. The entry is the graph inputs drawn within the first screen from the top, else
 * the items at the very top. The drawing's left end, where nothing may be drawn at the top
 * (IS-Net: its input sat 1,700 px to the right, out of a first view of empty canvas), is only
 * where the entry is.
 */
function entryX(visible: VisibleGraph, layout: LayoutResult, box: Box, w: number, h: number, z: number): number {
  const entry =
    boundsOf(visible, layout, (item, y) => item.kind === 'node' && item.node.kind === 'input' && y <= box.y + h / z) ??
    boundsOf(visible, layout, (_, y) => y <= box.y + ENTRY_BAND);
  const margin = 24;
  const leftmost = margin - box.x * z;
  if (!entry) return leftmost;
  const wanted = entry.width * z + 2 * margin <= w ? w / 2 - (entry.x + entry.width / 2) * z : margin - entry.x * z;
  const rightmost = w - margin - (box.x + box.width) * z;
  return Math.min(leftmost, Math.max(rightmost, wanted));
}

/** The zoom that fits `box` in a w x h canvas with React Flow's fitView padding, at most FIT_MAX_ZOOM. */
function fitZoomOf(box: { width: number; height: number }, w: number, h: number): number {
  return Math.min(w / (box.width * (1 + FIT_PADDING)), h / (box.height * (1 + FIT_PADDING)), FIT_MAX_ZOOM);
}

const NO_EDGES: LabeledFlowEdge[] = [];
/**
 * Boxes (then edges) handed to React Flow per task while a drawing appears, of those in view. An
 * edge costs less to mount than a box.
 */
const NODE_CHUNK = 24;
const EDGE_CHUNK = 48;
/** Half a box: how far from the viewport a box's centre may be and some of it still show. */
const MOUNT_REACH = 150;

function Canvas() {
  const view = useApp((s) => s.view);
  const visible = useApp((s) => s.visible);
  const layout = useApp((s) => s.layout);
  const selectedId = useApp((s) => s.selectedId);
  const focus = useApp((s) => s.focus);
  const hits = useSearchHits();
  const { setCenter, getZoom, setViewport } = useReactFlow();

  // Auto: encodings where the graph carries them, folded onto the edges, or where the shown
  // findings are a plan QuantLens made for this float model; shapes otherwise.
  const planShown = useQuant((q) => q.target === 'plan' && !!q.outcome);
  const edgeLabels = useApp((s) =>
    s.edgeLabels === 'auto' ? (s.drawnFolded || planShown ? 'quant' : 'shape') : s.edgeLabels,
  );
  const tensorEncodings = useCheck((s) => s.tensorEncodings);

  const nodes = useMemo<(OpFlowNode | GroupFlowNode)[]>(() => {
    if (!visible || !layout) return [];
    return visible.items.map((item): OpFlowNode | GroupFlowNode => {
      const position = layout.positions[item.id] ?? { x: 0, y: 0 };
      if (item.kind === 'group') {
        return {
          id: item.id,
          type: 'scope',
          position,
          data: { label: item.label, scope: item.scope, size: item.size },
          width: GROUP_NODE.width,
          height: GROUP_NODE.height,
          ...knownGeometry(GROUP_NODE.width, GROUP_NODE.height, true, true),
          draggable: false,
          connectable: false,
          ariaLabel: `Group ${item.scope.join('/')}, ${item.size} nodes`,
        };
      }
      const n = item.node;
      const size = nodeSize(n);
      return {
        id: n.id,
        type: 'op',
        position,
        data: { node: n, hit: hits.has(n.id) },
        width: size.width,
        height: size.height,
        ...knownGeometry(size.width, size.height, n.kind !== 'input', n.kind !== 'output'),
        selected: n.id === selectedId,
        draggable: false,
        connectable: false,
        ariaLabel: `${n.opType} ${n.name}`,
      };
    });
  }, [visible, layout, selectedId, hits]);

  // Each item's centre in the drawing, for what a large drawing hands over first and leaves out.
  const centres = useMemo(
    () =>
      visible && layout
        ? visible.items.map((item) => {
            const p = layout.positions[item.id];
            if (!p) return undefined;
            const size = itemSize(item);
            return { x: p.x + size.width / 2, y: p.y + size.height / 2 };
          })
        : [],
    [visible, layout],
  );
  const drawnEdges = useMemo(() => {
    if (!visible || !layout || !view) return { edges: NO_EDGES, far: NO_EDGES };
    const labels = edgeLabels !== 'none' && visible.edges.length <= EDGE_LABEL_LIMIT;
    const fanout = new Map<string, number>();
    for (const e of visible.edges) fanout.set(e.source, (fanout.get(e.source) ?? 0) + 1);
    // A large drawing leaves out the far edges of broadcast sources (broadcast-edges.ts).
    let cut: ReturnType<typeof farBroadcastEdges> | undefined;
    if (visible.items.length > ONLY_VISIBLE_ABOVE) {
      const at = new Map(visible.items.map((item, i) => [item.id, centres[i]]));
      cut = farBroadcastEdges(visible.edges, BROADCAST_FANOUT, (id) => at.get(id));
    }
    const noted = new Set<string>();
    // Edges that close a cycle of groups point up (fast-layered.ts): dashed, so that they read as
    // a group fed back by a later one rather than as the flow.
    const closing = new Set(layout.closing);
    const all = visible.edges.map((e) => {
      const original = e.edge;
      // Broadcast inputs (masks, rotary tables) reach every layer: drawn faint and unlabeled, but
      // for the nearest edge of a source whose far edges are left out, which says so.
      const broadcast = fanout.get(e.source)! > BROADCAST_FANOUT;
      let label: string | undefined;
      const cutFrom = cut?.sources.get(e.source);
      if (cutFrom && !cut?.far.has(e.id) && !noted.has(e.source)) {
        noted.add(e.source);
        label = `${cutFrom.readers} readers; ${cutFrom.far} far ones not drawn`;
      } else if (broadcast) label = undefined;
      else if (labels && original) {
        label =
          edgeLabels === 'quant'
            ? tensorEncodings?.[original.tensor] || `${original.dtype}`
            : shapeText(original.shape) || undefined;
      } else if (labels && e.count > 1) label = `${e.count} tensors`;
      const key = routeKey(e.source, e.target);
      return { e, label, broadcast, back: closing.has(key), bends: layout.bends?.[key] };
    });
    const far = cut?.far ?? new Set<string>();
    const drawn = far.size ? all.filter((d) => !far.has(d.e.id)) : all;
    // Labels that would cover each other move apart along their edges, or wrap (edge-labels.ts).
    const places = placeLabels(labelGeometry(visible, layout, drawn));
    const flowEdge = ({ e, label, broadcast, back, bends }: (typeof all)[number]): LabeledFlowEdge => {
      const place = places.get(e.id);
      return {
        id: e.id,
        source: e.source,
        target: e.target,
        type: 'labeled',
        data: {
          text: label,
          bends,
          ...(place && place.at !== 0.5 ? { at: place.at } : {}),
          ...(place?.maxWidth ? { maxWidth: place.maxWidth } : {}),
        },
        style:
          broadcast || back
            ? { ...(broadcast ? { strokeOpacity: 0.18 } : {}), ...(back ? { strokeDasharray: '5 4' } : {}) }
            : undefined,
        ...(back ? { className: 'ql-closing-edge' } : {}),
        focusable: false,
      };
    };
    return {
      edges: drawn.map(flowEdge),
      far: far.size ? all.filter((d) => far.has(d.e.id)).map(flowEdge) : NO_EDGES,
    };
  }, [visible, layout, view, edgeLabels, tensorEncodings, centres]);
  // A far broadcast edge is drawn while either of its ends is selected.
  const edges = useMemo(() => {
    if (!selectedId || drawnEdges.far.length === 0) return drawnEdges.edges;
    const mine = drawnEdges.far.filter((e) => e.source === selectedId || e.target === selectedId);
    return mine.length ? [...drawnEdges.edges, ...mine] : drawnEdges.edges;
  }, [drawnEdges, selectedId]);

  // Whether React Flow draws only what is in view: decided by the drawing laid out, and kept while
  // the next one is laid out. The props change (no nodes) a render before React Flow's store lets
  // the old drawing go, and a large drawing let out of the viewport's bounds for that render
  // mounted every one of its nodes (Q/DQ unfolded on a 1k-node decoder: a 140 ms task, 300-400
  // nodes mounted and unmounted again).
  const onlyVisible = useRef(false);
  if (visible && layout) onlyVisible.current = nodes.length > ONLY_VISIBLE_ABOVE;

  // A new drawing comes in tasks: its nodes, then its edges, a few at a time (mount-order.ts).
  // React Flow mounts what it is given in one synchronous pass (its store updates are not
  // interruptible), about a millisecond per node or edge here: a 10k decoder's overview (120 boxes,
  // 125 edges) held the page 100-190 ms in one piece. In steps of 48 the longest task around its
  // drawing was 72-122 ms in 3 runs of 4; in steps of 24, 58-73 ms in 3 of 4 and none over 50 in
  // the 4th. Where only what is in view is drawn, what will be in view comes first and the steps
  // then double. Within one drawing (selection, labels, search hits) everything updates at once.
  const store = useStoreApi();
  const fitted = useRef<unknown>(undefined);
  const fittedSeq = useRef(0);
  const grow = onlyVisible.current;
  const plan = useMemo(() => {
    if (!visible || !layout || !view || !grow) return undefined;
    const { transform, width: w, height: h } = store.getState();
    if (!w || !h) return undefined;
    // Where the viewport will be (as the effects below place it): on the node a finding or a
    // search centres; where it is, for another drawing of the view on screen (a group opened);
    // the whole drawing when it is fitted; else the top of a new drawing at the readable zoom.
    const { focus, fitSeq: seq } = useApp.getState();
    const focused = focus ? visible.items.findIndex((i) => i.id === focus.id) : -1;
    const box = drawingBounds(visible, layout);
    const fitZoom = fitZoomOf(box, w, h);
    let centre = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
    let zoom = transform[2];
    if (focused >= 0 && centres[focused]) {
      centre = centres[focused];
      zoom = Math.max(zoom, 1);
    } else if (fitted.current === view && fittedSeq.current === seq) {
      centre = { x: (w / 2 - transform[0]) / zoom, y: (h / 2 - transform[1]) / zoom };
    } else if (fitted.current !== view && fitZoom < READABLE_ZOOM) {
      zoom = READABLE_ZOOM;
      centre = { x: centre.x, y: box.y + h / 2 / zoom };
    } else zoom = 0; // fitted whole: everything is in view
    const radius = zoom > 0 ? Math.hypot(w, h) / 2 / zoom : Infinity;
    return nearestFirst(
      centres,
      visible.items.map((i) => i.id),
      drawnEdges.edges,
      { centre, radius },
      MOUNT_REACH,
    );
  }, [visible, layout, view, grow, store, drawnEdges, centres]);
  // Without a plan (a drawing drawn whole), boxes and edges alike come NODE_CHUNK a step.
  const edgeChunk = plan ? EDGE_CHUNK : NODE_CHUNK;
  const nodeSteps = stepsFor(nodes.length, plan?.items, NODE_CHUNK);
  const edgeSteps = stepsFor(drawnEdges.edges.length, plan?.edges, edgeChunk);
  const step = useMountedSteps(layout, nodeSteps + edgeSteps);
  const shownNodes = useMemo(() => handedOver(nodes, step, plan?.items, NODE_CHUNK), [nodes, step, plan]);
  // Once all are handed over, the edges drawn for a selection (a far broadcast edge) come too.
  const shownEdges = useMemo(
    () =>
      step >= nodeSteps + edgeSteps
        ? edges
        : step <= nodeSteps
          ? NO_EDGES
          : handedOver(drawnEdges.edges, step - nodeSteps, plan?.edges, edgeChunk),
    [edges, drawnEdges, step, nodeSteps, edgeSteps, plan, edgeChunk],
  );

  // A large graph's labels come on demand: those of the labelled edges drawn now.
  useEffect(() => {
    if (!visible || !view || edgeLabels !== 'quant' || visible.edges.length > EDGE_LABEL_LIMIT) return;
    void ensureLabels(visible.edges.map((e) => e.edge?.tensor ?? ''));
  }, [visible, view, edgeLabels, tensorEncodings]);

  // A new drawing opens readable: the whole graph when it fits at a legible zoom, else its top
  // (where the inputs are) at that zoom, as Netron opens a model; the minimap gives the overview.
  // Asking to fit (the F key, Collapse all) fits everything. Re-layouts after opening a group or
  // revealing a node keep the viewport. Until the person moves the view, clicks in it, or a node is centred, a
  // resized canvas (a verdict banner that grows, a panel that opens) is fitted again the same way:
  // otherwise the bottom of a graph that just fitted slides out of sight.
  const fitMode = useRef<'open' | 'all' | undefined>(undefined);
  const fittedSize = useRef('');
  const fittedLayout = useRef<unknown>(undefined);
  const width = useStore((s) => s.width);
  const height = useStore((s) => s.height);
  const fitSeq = useApp((s) => s.fitSeq);
  // Before the paint: a drawing is never shown where it was laid out and then moved. The viewport
  // comes from the layout's own boxes and the canvas's size now (the store's size follows a
  // ResizeObserver, a frame late when a panel opened in the same render). React Flow's fitView
  // waits for the nodes to be measured: the drawing was painted unfitted, at the top left, for
  // one to several frames (80-200 ms here while the verdict rendered), then jumped.
  useLayoutEffect(() => {
    if (!layout || !visible) return;
    const rect = store.getState().domNode?.getBoundingClientRect();
    const w = rect ? Math.round(rect.width) : width;
    const h = rect ? Math.round(rect.height) : height;
    if (!w || !h) return;
    const size = `${w}x${h}`;
    const fresh = fitted.current !== view || fittedSeq.current !== fitSeq;
    // A re-layout of the same drawing (a group opened) keeps the viewport, and so does a resize after it.
    if (!fresh && fittedLayout.current !== layout) fitMode.current = undefined;
    fittedLayout.current = layout;
    if (!fresh && (!fitMode.current || fittedSize.current === size)) return;
    const opened = fresh ? fitted.current !== view || useApp.getState().fitReadable : fitMode.current === 'open';
    fitted.current = view;
    fittedSeq.current = fitSeq;
    fittedSize.current = size;
    fitMode.current = opened ? 'open' : 'all';
    const box = drawingBounds(visible, layout);
    const fitZoom = fitZoomOf(box, w, h);
    if (!opened || fitZoom >= READABLE_ZOOM) {
      void setViewport(fitClearOfOverlays(box, w, h, store.getState().domNode));
      return;
    }
    const z = READABLE_ZOOM;
    const canvas = store.getState().domNode;
    let x = box.width * z < w ? (w - box.width * z) / 2 - box.x * z : entryX(visible, layout, box, w, h, z);
    // A narrow drawing centred in the canvas ran down under the minimap (PP-OCRv4's recogniser, a
    // column of blocks: three of the six in view half hidden): it moves aside when the room
    // between the corners takes it. Its top is found after the move: which panels along the
    // canvas's top edge it must start below depends on where it sits across.
    const shown = (at: number) => [at + box.x * z, at + (box.x + box.width) * z] as const;
    const reach = clearOfOverlays(canvas, ...shown(x)) + box.height * z;
    x += clearOfCorners(canvas, w, ...shown(x), reach, 24).shift ?? 0;
    const top = clearOfOverlays(canvas, ...shown(x));
    void setViewport({ x, y: top - box.y * z, zoom: z });
  }, [layout, visible, view, setViewport, fitSeq, store, width, height]);

  useEffect(() => {
    if (!focus || !layout || !view) return;
    const pos = layout.positions[focus.id];
    const item = visible?.items.find((i) => i.id === focus.id);
    if (!pos || !item) return;
    fitMode.current = undefined;
    const size = itemSize(item);
    const x = pos.x + size.width / 2;
    const y = pos.y + size.height / 2;
    // A short way is animated; a long one is a jump. Each frame of the animation draws what the
    // view passes over: on a 1k-node decoder, gliding 11,000 px to a finding mounted and dropped
    // boxes all the way, a 130 ms frame.
    const { transform, width: w, height: h } = store.getState();
    const [tx, ty, zoom] = transform;
    const away = Math.hypot(x * zoom + tx - w / 2, y * zoom + ty - h / 2);
    void setCenter(x, y, { zoom: Math.max(getZoom(), 1), duration: away > Math.max(w, h) ? 0 : 250 });
  }, [focus, layout, view, visible, setCenter, getZoom, store]);

  const onNodeClick: NodeMouseHandler<OpFlowNode | GroupFlowNode> = (_, node) => {
    // The person is working in the drawing: it no longer moves by itself (a selection opens the
    // node panel, which narrows the canvas; a refit then would slide the nodes under the pointer).
    fitMode.current = undefined;
    if (node.type === 'scope') void toggleGroup(node.id);
    else useApp.getState().select(node.id);
  };

  return (
    <ReactFlow
      nodes={shownNodes}
      edges={shownEdges}
      nodeTypes={nodeTypes}
      edgeTypes={edgeTypes}
      onNodeClick={onNodeClick}
      onPaneClick={() => {
        fitMode.current = undefined;
        useApp.getState().select(undefined);
      }}
      onMoveStart={(event) => {
        // The person panned or zoomed: their view stays when the canvas is resized.
        if (event) fitMode.current = undefined;
      }}
      nodesDraggable={false}
      // Whether the drawing has been handed over whole (tests wait for it).
      data-handed-over={step >= nodeSteps + edgeSteps}
      nodesConnectable={false}
      onlyRenderVisibleElements={onlyVisible.current}
      minZoom={MIN_ZOOM}
      maxZoom={MAX_ZOOM}
      proOptions={{ hideAttribution: true }}
      aria-label="Model graph"
    >
      <Background gap={24} size={1} />
      {/* Fit is the app's own (the F key's): React Flow's fitted the drawing under the view options. */}
      <Controls showInteractive={false} showFitView={false}>
        <ControlButton
          className="react-flow__controls-fitview"
          onClick={() => requestFit()}
          title="Fit view (F)"
          aria-label="Fit view"
        >
          <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32" aria-hidden="true">
            <path d="M2 11V2h9v4H6v5zm19-9h9v9h-4V6h-5zM2 21h4v5h5v4H2zm28 0v9h-9v-4h5v-5z" />
          </svg>
        </ControlButton>
      </Controls>
      <MiniMap pannable zoomable nodeStrokeWidth={2} ariaLabel="Minimap" />
      <CanvasTools />
      <ScopeTrail />
    </ReactFlow>
  );
}

/**
 * The viewport that fits `box` whole in a w x h canvas, clear of the panels over it. React Flow's
 * fit (FIT_PADDING) ignores them: IS-Net's fitted view began under the view options (its input and
 * first stages hidden) and ended under the minimap. Where the drawing's top would run under a
 * panel over the canvas's top edge, it is fitted in the canvas below that panel. Where its bottom
 * would run under the minimap or the zoom buttons, it moves sideways into the room between them if
 * it fits there, else it is fitted above them.
 */
function fitClearOfOverlays(box: Box, w: number, h: number, canvas: Element | null | undefined): Viewport {
  const side = (size: number) => Math.floor((size - size / (1 + FIT_PADDING)) / 2);
  const span = (v: Viewport) => [v.x + box.x * v.zoom, v.x + (box.x + box.width) * v.zoom] as const;
  const topOf = (v: Viewport) => v.y + box.y * v.zoom;
  const bottomOf = (v: Viewport) => v.y + (box.y + box.height) * v.zoom;
  let top = side(h);
  let bottom = side(h);
  const fitIn = () =>
    getViewportForBounds(box, w, h, MIN_ZOOM, FIT_MAX_ZOOM, {
      top: `${top}px`,
      bottom: `${bottom}px`,
      left: `${side(w)}px`,
      right: `${side(w)}px`,
    });
  /** The fit in the canvas less the padding, moved down below the top panels it runs under. */
  const clearOfTop = () => {
    const v = fitIn();
    const clear = clearOfOverlays(canvas, ...span(v));
    if (topOf(v) >= clear) return v;
    top = clear;
    return fitIn();
  };
  const fit = clearOfTop();
  const { under, shift } = clearOfCorners(canvas, w, ...span(fit), bottomOf(fit), side(w));
  if (under.length === 0) return fit;
  if (shift !== undefined) {
    const moved = { ...fit, x: fit.x + shift };
    if (topOf(moved) >= clearOfOverlays(canvas, ...span(moved))) return moved;
  }
  bottom = Math.max(bottom, ...under.map((p) => h - p.top + 12));
  return clearOfTop();
}

/**
 * The panels in the canvas's bottom corners (the zoom buttons, the minimap) that a drawing
 * spanning [left, right] of a w-wide canvas and reaching down to `bottom` runs under, and how far
 * sideways it moves into the room between them, at least `margin` from the canvas's sides:
 * undefined when it is wider than that room.
 */
function clearOfCorners(
  canvas: Element | null | undefined,
  w: number,
  left: number,
  right: number,
  bottom: number,
  margin: number,
): { under: ReturnType<typeof panels>; shift?: number } {
  const below = panels(canvas, BOTTOM_OVERLAYS);
  const under = below.filter((p) => p.right > left && p.left < right && p.top < bottom);
  if (under.length === 0) return { under, shift: 0 };
  const atLeft = (p: (typeof below)[number]) => p.left + p.right < w;
  const from = Math.max(margin, ...below.filter(atLeft).map((p) => p.right + 12));
  const to = Math.min(w - margin, ...below.filter((p) => !atLeft(p)).map((p) => p.left - 12));
  if (right - left > to - from) return { under };
  return { under, shift: left < from ? from - left : right > to ? to - right : 0 };
}

/** The panels drawn over the canvas's top edge (view options, open groups). */
const TOP_OVERLAYS = '[aria-label="View options"], [data-testid="scope-trail"]';
/** The panels in the canvas's bottom corners (zoom buttons, minimap). */
const BOTTOM_OVERLAYS = '.react-flow__minimap, .react-flow__controls';

/** The shown panels over the canvas that `selector` names, in canvas pixels. */
function panels(canvas: Element | null | undefined, selector: string) {
  if (!canvas) return [];
  const origin = canvas.getBoundingClientRect();
  return [...canvas.querySelectorAll(selector)]
    .map((el) => el.getBoundingClientRect())
    .filter((r) => r.width > 0)
    .map((r) => ({
      left: r.left - origin.left,
      right: r.right - origin.left,
      top: r.top - origin.top,
      bottom: r.bottom - origin.top,
    }));
}

/**
 * Where a drawing spanning [left, right] of the canvas (pixels) starts from the top: 24 px down,
 * or below the panels over the canvas's top edge that it would run under (on a laptop screen the
 * view options covered a model's input node).
 */
function clearOfOverlays(canvas: Element | null | undefined, left: number, right: number): number {
  let top = 24;
  for (const p of panels(canvas, TOP_OVERLAYS))
    if (p.right > left && p.left < right) top = Math.max(top, p.bottom + 12);
  return top;
}

export function GraphCanvas() {
  const drawn = useApp((s) => s.drawn);
  useEffect(() => {
    if (!drawn) return;
    performance.mark('ql:drawn');
    hashWhenIdle();
  }, [drawn]);
  return (
    <div className="contents" data-testid="canvas" data-drawn-model={drawn?.model} data-drawn-seq={drawn?.seq}>
      <ReactFlowProvider>
        <Canvas />
      </ReactFlowProvider>
    </div>
  );
}
