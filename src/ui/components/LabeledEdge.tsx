/**
 * An edge whose label is HTML laid over the canvas (React Flow's EdgeLabelRenderer) instead of
 * SVG text: React Flow sizes an SVG label's background with getBBox, one forced layout per label,
 * which cost 30-56 ms of a drawing's first render at 10k nodes. HTML labels are laid out by the
 * browser in one pass.
 */
import { BaseEdge, EdgeLabelRenderer, getBezierPath, type Edge, type EdgeProps } from '@xyflow/react';
import { memo } from 'react';
import { routedPath } from '../../core/layout/route';
import { bezierPoint } from '../../core/layout/edge-labels';

/**
 * `bends`: the lane an edge spanning several ranks keeps (the layout's points, route.ts). `at`:
 * where along the edge its label sits when not in the middle; `maxWidth`: the width it wraps to
 * (both from edge-labels.ts, so that neighbouring labels do not cover each other).
 */
export type LabeledFlowEdge = Edge<{ text?: string; bends?: number[]; at?: number; maxWidth?: number }, 'labeled'>;

function LabeledEdgeImpl({
  id,
  sourceX,
  sourceY,
  targetX,
  targetY,
  sourcePosition,
  targetPosition,
  style,
  markerEnd,
  data,
}: EdgeProps<LabeledFlowEdge>) {
  const bends = data?.bends;
  let path: string, labelX: number, labelY: number;
  if (bends && bends.length >= 2) {
    path = routedPath(sourceX, sourceY, bends, targetX, targetY);
    // The label sits on the middle bend.
    const k = 2 * Math.floor((bends.length / 2 - 1) / 2);
    labelX = bends[k]!;
    labelY = bends[k + 1]!;
  } else {
    [path, labelX, labelY] = getBezierPath({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition });
    if (data?.at !== undefined) ({ x: labelX, y: labelY } = bezierPoint(sourceX, sourceY, targetX, targetY, data.at));
  }
  const wrap = data?.maxWidth;
  return (
    <>
      <BaseEdge id={id} path={path} style={style} markerEnd={markerEnd} />
      {data?.text && (
        <EdgeLabelRenderer>
          <div
            className={`ql-edge-label pointer-events-none absolute rounded-sm bg-slate-50 px-0.5 text-[10px] leading-tight text-slate-600 ${wrap ? 'text-center' : 'whitespace-nowrap'}`}
            style={{
              transform: `translate(-50%, -50%) translate(${labelX}px, ${labelY}px)`,
              ...(wrap ? { maxWidth: wrap, width: 'max-content' } : {}),
            }}
          >
            {data.text}
          </div>
        </EdgeLabelRenderer>
      )}
    </>
  );
}

export const LabeledEdge = memo(LabeledEdgeImpl);
