/** A collapsed name-scope group: its name, size and the worst finding inside. Click to open. */
import { Handle, Position, type Node, type NodeProps } from '@xyflow/react';
import { memo, useMemo } from 'react';
import type { Severity } from '../../core/check/finding';
import { useCheck } from '../state/check-store';
import { SEVERITY_ICON } from './severity';
import { useApp } from '../state/app-store';

export type GroupNodeData = { label: string; scope: string[]; size: number };
export type GroupFlowNode = Node<GroupNodeData, 'scope'>;

const RANK: Record<Severity, number> = { error: 3, warning: 2, info: 1 };

function GroupNodeImpl({ id, data, width, height }: NodeProps<GroupFlowNode>) {
  const members = useApp((s) => s.visible?.members.get(id));
  const marks = useCheck((s) => s.marks);
  const rollup = useMemo(() => {
    let worst: Severity | undefined;
    let count = 0;
    for (const m of members ?? []) {
      const mk = marks.get(m);
      if (!mk) continue;
      count += mk.count;
      if (!worst || RANK[mk.worst] > RANK[worst]) worst = mk.worst;
    }
    return worst ? { worst, count } : undefined;
  }, [members, marks]);
  return (
    <div
      className={`ql-node ql-group ${rollup ? `has-${rollup.worst}` : ''}`}
      style={{ width, height }}
      data-testid="group-node"
      data-group={id}
      data-severity={rollup?.worst}
      title={`${data.scope.join('/')} — ${data.size} nodes${rollup ? `, ${rollup.count} finding(s)` : ''}. Click to open.`}
    >
      <Handle type="target" position={Position.Top} isConnectable={false} />
      {rollup && (
        <span className={`ql-mark ${rollup.worst}`} aria-label={`${rollup.count} findings inside`}>
          {SEVERITY_ICON[rollup.worst]} {rollup.count}
        </span>
      )}
      <div className="op">▸ {data.label}</div>
      <div className="nm">
        {data.size.toLocaleString()} nodes · {data.scope.join('/')}
      </div>
      <Handle type="source" position={Position.Bottom} isConnectable={false} />
    </div>
  );
}

export const GroupNode = memo(GroupNodeImpl);
