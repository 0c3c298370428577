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
    const per = { errors: 0, warnings: 0, notes: 0 };
    for (const m of members ?? []) {
      const mk = marks.get(m);
      if (!mk) continue;
      count += mk.count;
      per.errors += mk.errors;
      per.warnings += mk.warnings;
      per.notes += mk.notes;
      if (!worst || RANK[mk.worst] > RANK[worst]) worst = mk.worst;
    }
    return worst ? { worst, count, ...per } : undefined;
  }, [members, marks]);
  const counts = rollup
    ? [
        rollup.errors ? `${SEVERITY_ICON.error} ${rollup.errors}` : '',
        rollup.warnings ? `${SEVERITY_ICON.warning} ${rollup.warnings}` : '',
        rollup.notes ? `${SEVERITY_ICON.info} ${rollup.notes}` : '',
      ]
        .filter(Boolean)
        .join('  ')
    : '';
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
        <span
          className={`ql-mark ${rollup.worst}`}
          data-testid="group-counts"
          aria-label={`${rollup.errors} errors, ${rollup.warnings} warnings, ${rollup.notes} notes inside`}
        >
          {counts}
        </span>
      )}
      <div className="op">▸ {data.label}</div>
      <div className="nm">
        {data.size.toLocaleString()} nodes{data.scope.length > 1 ? ` · ${data.scope.slice(0, -1).join('/')}` : ''}
      </div>
      <Handle type="source" position={Position.Bottom} isConnectable={false} />
    </div>
  );
}

export const GroupNode = memo(GroupNodeImpl);
