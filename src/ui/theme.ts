/**
 * Light and dark themes: a class on <html>. The person's choice (the theme button, or `t`) is
 * remembered; until they make one, the page follows the system's preference, also when it
 * changes while the page is open.
 */
const KEY = 'quantlens.theme';
const SYSTEM_DARK = '(prefers-color-scheme: dark)';

function show(theme: 'light' | 'dark'): void {
  document.documentElement.classList.toggle('dark', theme === 'dark');
}

function saved(): 'light' | 'dark' | undefined {
  try {
    const value = localStorage.getItem(KEY);
    if (value === 'light' || value === 'dark') return value;
  } catch {
    /* private mode */
  }
  return undefined;
}

/** Shows the saved theme, else the system's, and follows the system until the person chooses; returns the unsubscribe. */
export function startTheme(): () => void {
  const media = window.matchMedia?.(SYSTEM_DARK);
  show(saved() ?? (media?.matches ? 'dark' : 'light'));
  const follow = (e: MediaQueryListEvent) => {
    if (!saved()) show(e.matches ? 'dark' : 'light');
  };
  media?.addEventListener?.('change', follow);
  return () => media?.removeEventListener?.('change', follow);
}

/** The person's choice: shown and remembered. */
export function toggleTheme(): void {
  const theme = document.documentElement.classList.contains('dark') ? 'light' : 'dark';
  show(theme);
  try {
    localStorage.setItem(KEY, theme);
  } catch {
    /* private mode */
  }
}
