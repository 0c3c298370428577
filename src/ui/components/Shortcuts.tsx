/** Keyboard shortcuts, and the help overlay that lists them (`?`). */
import { useEffect, useState } from 'react';
import { stepFinding } from '../actions/view';
import { requestFit, useApp } from '../state/app-store';
import { toggleTheme } from '../theme';

export const SHORTCUTS: [string, string][] = [
  ['n / j', 'next finding'],
  ['p / k', 'previous finding'],
  ['/', 'search nodes'],
  ['f', 'fit the graph in view'],
  ['Esc', 'clear the selection, close this help'],
  ['t', 'light / dark theme'],
  ['?', 'this help'],
];

export function useShortcuts(): [boolean, (v: boolean) => void] {
  const [help, setHelp] = useState(false);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      if (t && (t.tagName === 'INPUT' || t.tagName === 'SELECT' || t.tagName === 'TEXTAREA' || t.isContentEditable))
        return;
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      switch (e.key) {
        case 'n':
        case 'j':
          stepFinding(1);
          break;
        case 'p':
        case 'k':
          stepFinding(-1);
          break;
        case '/':
          e.preventDefault();
          document.querySelector<HTMLInputElement>('input[aria-label^="Search nodes"]')?.focus();
          break;
        case 'f':
          requestFit();
          break;
        case 't':
          toggleTheme();
          break;
        case '?':
          setHelp((h) => !h);
          break;
        case 'Escape':
          setHelp(false);
          useApp.getState().select(undefined);
          break;
        default:
          return;
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  return [help, setHelp];
}

export function ShortcutHelp({ onClose }: { onClose: () => void }) {
  return (
    <div
      role="dialog"
      aria-modal="true"
      aria-label="Keyboard shortcuts"
      className="fixed inset-0 z-50 flex items-center justify-center bg-slate-900/40"
      onClick={onClose}
    >
      <div className="rounded-lg bg-white p-4 text-sm shadow-xl" onClick={(e) => e.stopPropagation()}>
        <h2 className="mb-2 font-semibold">Keyboard shortcuts</h2>
        <table>
          <tbody>
            {SHORTCUTS.map(([k, what]) => (
              <tr key={k}>
                <td className="pr-4 font-mono text-slate-700">{k}</td>
                <td>{what}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <button type="button" className="mt-3 rounded border border-slate-300 px-2 py-0.5" onClick={onClose}>
          Close
        </button>
      </div>
    </div>
  );
}
