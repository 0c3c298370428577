/** The graph node: op type and name. Memoized, fixed size, no shadows: cheap at scale. */
import { Handle, Position, type Node, type NodeProps } from '@xyflow/react';
import { memo } from 'react';
import type { ViewNode } from '../../core/model/graph-view';
import { useCheck } from '../state/check-store';
import { useTraceMarks } from '../state/trace-store';
import { SEVERITY_ICON } from './severity';
import { outcomeText } from '../../core/check/finding';
import { opCategory } from '../op-category';

export type OpNodeData = { node: ViewNode; hit: boolean };
export type OpFlowNode = Node<OpNodeData, 'op'>;

function OpNodeImpl({ data, selected, width, height }: NodeProps<OpFlowNode>) {
  const n = data.node;
  const marks = useCheck((s) => s.marks.get(n.id));
  const offNpu = useCheck((s) => s.offNpu.has(n.id));
  const partition = useCheck((s) => s.partitionOf?.[n.id]);
  const loss = useTraceMarks((s) => s.byNode.get(n.id));
  // Read, not subscribed: a new result gives marked nodes new marks (so they render again with the
  // flow it was checked under); a subscription re-rendered every drawn node when the first verdict
  // arrived.
  const flow = marks ? useCheck.getState().result?.flow : undefined;
  const io = n.kind !== 'op';
  const classes = [
    'ql-node',
    io ? 'io' : `cat-${opCategory(n.opType)}`,
    selected ? 'selected' : '',
    data.hit ? 'search-hit' : '',
    marks ? `has-${marks.worst}` : '',
  ].join(' ');
  const title = io ? n.name : n.name || n.opType;
  return (
    <div
      className={classes}
      style={{ width, height, ...(partition ? { boxShadow: `0 0 0 3px ${partitionColour(partition)}` } : {}) }}
      data-testid="graph-node"
      data-node-id={n.id}
      data-op={n.opType}
      title={`${n.opType}${n.domain ? ` (${n.domain})` : ''}\n${n.name}${partition ? `\nNPU partition ${partition}` : ''}${marks ? `\n${SEVERITY_ICON[marks.worst]} ${marks.first}\nUnder the flow: ${outcomeText(marks.outcome, flow)}` : ''}`}
      data-severity={marks?.worst}
      data-npu={offNpu ? 'off' : undefined}
      data-partition={partition}
      data-outcome={marks?.outcome}
    >
      {marks && (
        <span
          className={`ql-mark ${marks.worst}`}
          data-testid="node-mark"
          aria-label={`${marks.count} ${marks.worst === 'info' ? 'note' : marks.worst}${marks.count === 1 ? '' : 's'}`}
        >
          {SEVERITY_ICON[marks.worst]} {marks.count}
        </span>
      )}
      {loss && (
        <span
          className="ql-loss"
          data-testid="node-loss"
          title={`Error trace: the SQNR falls ${loss.drop.toFixed(1)} dB here, to ${loss.db.toFixed(1)} dB`}
        >
          −{loss.drop.toFixed(0)} dB
        </span>
      )}
      {n.kind !== 'input' && <Handle type="target" position={Position.Top} isConnectable={false} />}
      <div className="op">
        {io ? `${n.opType}` : n.opType}
        {n.subgraphs.length > 0 && <SubgraphCount count={n.subgraphs.length} />}
      </div>
      <div className="nm">{title}</div>
      {n.kind !== 'output' && <Handle type="source" position={Position.Bottom} isConnectable={false} />}
    </div>
  );
}

/**
 * How many sub-graphs a node holds (an If's branches, a Loop's body): two stacked boxes and the
 * count. Drawn, not a text symbol: no font on a stock Linux desktop has U+29C9 (⧉), so it showed
 * as an empty box there, and the browser searched every installed font for it on the first
 * drawing that had one.
 */
function SubgraphCount({ count }: { count: number }) {
  return (
    <span className="ql-subgraphs" aria-label={`${count} sub-graph${count === 1 ? '' : 's'}`}>
      <svg viewBox="0 0 10 10" width="9" height="9" aria-hidden="true">
        <rect x="0.5" y="0.5" width="6" height="6" fill="none" stroke="currentColor" />
        <rect x="3.5" y="3.5" width="6" height="6" fill="none" stroke="currentColor" />
      </svg>
      {count}
    </span>
  );
}

/** Outline colours of NPU partitions: distinct hues, readable on the light and the dark canvas. */
const PARTITION_COLOURS = ['#0ea5e9', '#a855f7', '#22c55e', '#f97316', '#ec4899', '#eab308'];
export const partitionColour = (k: number) => PARTITION_COLOURS[(k - 1) % PARTITION_COLOURS.length]!;

export const OpNode = memo(OpNodeImpl);
