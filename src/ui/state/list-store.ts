/** The findings list's view state: grouping, severity and text filters, and the keyboard cursor. */
import { create } from 'zustand';
import type { Finding, Severity } from '../../core/check/finding';

const ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

export interface ListState {
  groupBy: 'none' | 'rule' | 'op' | 'severity';
  severities: Set<Severity>;
  text: string;
  /** Index of the current finding in the filtered list, for next/previous. */
  cursor: number;
}

export const useList = create<ListState>()(() => ({
  groupBy: 'none',
  severities: new Set<Severity>(['error', 'warning', 'info']),
  text: '',
  cursor: -1,
}));

/** Sets filters, grouping or the cursor (a trivial setter: components call it, never setState). */
export function setList(patch: Partial<ListState>): void {
  useList.setState(patch);
}

export function filteredFindings(
  findings: readonly Finding[] | undefined,
  l: Pick<ListState, 'severities' | 'text'>,
): Finding[] {
  const q = l.text.trim().toLowerCase();
  return [...(findings ?? [])]
    .filter((f) => l.severities.has(f.severity))
    .filter((f) => !q || `${f.rule} ${f.node} ${f.op} ${f.message}`.toLowerCase().includes(q))
    .sort((a, b) => ORDER[a.severity] - ORDER[b.severity]);
}
