/** Light and dark themes: a class on <html>, remembered, defaulting to the system preference. */
const KEY = 'quantlens.theme';

export function applyTheme(theme: 'light' | 'dark'): void {
  document.documentElement.classList.toggle('dark', theme === 'dark');
  try {
    localStorage.setItem(KEY, theme);
  } catch {
    /* private mode */
  }
}

export function initialTheme(): 'light' | 'dark' {
  try {
    const saved = localStorage.getItem(KEY);
    if (saved === 'light' || saved === 'dark') return saved;
  } catch {
    /* private mode */
  }
  return window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

export function toggleTheme(): void {
  applyTheme(document.documentElement.classList.contains('dark') ? 'light' : 'dark');
}
