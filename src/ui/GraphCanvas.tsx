/** The graph: React Flow over the laid-out view, with pan, zoom, fit, minimap and node focus. */
import {
  Background, Controls, MiniMap, ReactFlow, ReactFlowProvider, useReactFlow, type Edge, type NodeMouseHandler,
} from '@xyflow/react';
import { useEffect, useMemo } from 'react';
import { nodeSize } from './node-size';
import { OpNode, type OpFlowNode } from './OpNode';
import { useApp } from './store';
import { useSearchHits } from './search';

const nodeTypes = { op: OpNode };
/** Edge labels cost a DOM element each; above this many edges they are left out. */
const EDGE_LABEL_LIMIT = 300;

function shapeText(shape: (number | string | null)[] | undefined): string {
  if (!shape) return '';
  return shape.map((d) => (d === null ? '?' : d)).join('×');
}

function Canvas() {
  const view = useApp((s) => s.view);
  const layout = useApp((s) => s.layout);
  const selectedId = useApp((s) => s.selectedId);
  const focus = useApp((s) => s.focus);
  const hits = useSearchHits();
  const { setCenter, fitView, getZoom } = useReactFlow();

  const nodes = useMemo<OpFlowNode[]>(() => {
    if (!view || !layout) return [];
    return view.nodes.map((n) => {
      const size = nodeSize(n);
      return {
        id: n.id,
        type: 'op',
        position: layout.positions[n.id] ?? { x: 0, y: 0 },
        data: { node: n, hit: hits.has(n.id) },
        width: size.width,
        height: size.height,
        selected: n.id === selectedId,
        draggable: false,
        connectable: false,
        ariaLabel: `${n.opType} ${n.name}`,
      };
    });
  }, [view, layout, selectedId, hits]);

  const edges = useMemo<Edge[]>(() => {
    if (!view || !layout) return [];
    const labels = view.edges.length <= EDGE_LABEL_LIMIT;
    return view.edges.map((e) => ({
      id: e.id,
      source: e.source,
      target: e.target,
      label: labels ? shapeText(e.shape) || undefined : undefined,
      labelStyle: { fontSize: 10, fill: '#475569' },
      labelBgStyle: { fill: '#f8fafc' },
      focusable: false,
    }));
  }, [view, layout]);

  useEffect(() => {
    if (layout) requestAnimationFrame(() => fitView({ padding: 0.1, maxZoom: 1.2 }));
  }, [layout, fitView]);

  useEffect(() => {
    if (!focus || !layout || !view) return;
    const pos = layout.positions[focus.id];
    const node = view.nodes.find((n) => n.id === focus.id);
    if (!pos || !node) return;
    const size = nodeSize(node);
    void setCenter(pos.x + size.width / 2, pos.y + size.height / 2, { zoom: Math.max(getZoom(), 1), duration: 250 });
  }, [focus, layout, view, setCenter, getZoom]);

  const onNodeClick: NodeMouseHandler<OpFlowNode> = (_, node) => useApp.getState().select(node.id);

  return (
    <ReactFlow
      nodes={nodes}
      edges={edges}
      nodeTypes={nodeTypes}
      onNodeClick={onNodeClick}
      onPaneClick={() => useApp.getState().select(undefined)}
      nodesDraggable={false}
      nodesConnectable={false}
      onlyRenderVisibleElements={nodes.length > 500}
      minZoom={0.02}
      maxZoom={4}
      proOptions={{ hideAttribution: true }}
      aria-label="Model graph"
    >
      <Background gap={24} size={1} />
      <Controls showInteractive={false} />
      <MiniMap pannable zoomable nodeStrokeWidth={2} ariaLabel="Minimap" />
    </ReactFlow>
  );
}

export function GraphCanvas() {
  return (
    <ReactFlowProvider>
      <Canvas />
    </ReactFlowProvider>
  );
}
