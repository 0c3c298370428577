/** Severity shown with an icon and a word, never colour alone. */
import type { Severity } from '../../core/check/finding';

export const SEVERITY_ICON: Record<Severity, string> = { error: '✖', warning: '⚠', info: 'ℹ' };
export const SEVERITY_CLASS: Record<Severity, string> = {
  error: 'text-red-700 bg-red-50 border-red-300',
  warning: 'text-amber-800 bg-amber-50 border-amber-300',
  info: 'text-sky-800 bg-sky-50 border-sky-300',
};

export function SeverityBadge({ severity }: { severity: Severity }) {
  return (
    <span
      data-testid="severity-badge"
      className={`inline-flex shrink-0 items-center gap-0.5 rounded border px-1 text-[10px] font-semibold uppercase ${SEVERITY_CLASS[severity]}`}
    >
      <span aria-hidden="true">{SEVERITY_ICON[severity]}</span>
      {severity}
    </span>
  );
}
