/** The top bar: open a file, pick a sample, search, and where we are in nested graphs. */
import { useEffect, useRef, useState } from 'react';
import { makeWayForModel, openFiles, openUrl } from '../actions/load';
import { openGraph } from '../actions/view';
import { presetSettings } from '../actions/check';
import { isBackend, type Backend } from '../../../rules/backends';
import { isFlow, type Flow } from '../../../rules/types';
import { SearchBox } from './SearchBox';
import { useApp } from '../state/app-store';
import { toggleTheme } from '../theme';

export interface SampleEntry {
  file: string;
  title: string;
  description?: string;
  /** A demo of a flaw: the settings it is flagged under (scripts/samples/generate.ts). */
  settings?: { backend: Backend; soc: string; flow: Flow };
}

/**
 * Opens a bundled sample. A demo of a flaw takes the backend, SoC and flow it is flagged under
 * first, when they are valid here: on another SoC it may hold (16a16w on V75).
 */
async function openSample(entry: SampleEntry): Promise<void> {
  const s = entry.settings;
  if (s && isBackend(s.backend) && isFlow(s.flow) && typeof s.soc === 'string')
    await presetSettings({ backend: s.backend, soc: s.soc, flow: s.flow });
  await openUrl(sampleUrl(entry.file), 'sample');
}

export function useSamples(): SampleEntry[] {
  const [samples, setSamples] = useState<SampleEntry[]>([]);
  useEffect(() => {
    fetch(`${import.meta.env.BASE_URL}samples/index.json`)
      .then((r) => (r.ok ? r.json() : []))
      .then((list: unknown) => setSamples(Array.isArray(list) ? (list as SampleEntry[]) : []))
      .catch(() => setSamples([]));
  }, []);
  return samples;
}

export function sampleUrl(file: string): string {
  return `${import.meta.env.BASE_URL}samples/${encodeURIComponent(file)}`;
}

export function Header({ samples }: { samples: SampleEntry[] }) {
  const input = useRef<HTMLInputElement>(null);
  const origin = useApp((s) => s.origin);
  // A model being opened whose verdict is in already: the page speaks of it throughout.
  const coming = useApp((s) => s.drawingComing?.model);
  const trail = useApp((s) => s.view?.trail);
  return (
    <header className="flex h-12 shrink-0 items-center gap-3 border-b border-slate-200 bg-white px-3">
      <div className="font-semibold tracking-tight text-slate-900">
        Quant<span className="text-blue-600">Lens</span>
      </div>
      <button
        type="button"
        className="shrink-0 whitespace-nowrap rounded bg-blue-600 px-3 py-1 text-sm font-medium text-white hover:bg-blue-700"
        onClick={() => {
          makeWayForModel();
          input.current?.click();
        }}
      >
        Open model…
      </button>
      <input
        ref={input}
        type="file"
        multiple
        hidden
        data-testid="file-input"
        aria-label="Open model files"
        onChange={(e) => {
          const files = [...(e.target.files ?? [])];
          e.target.value = '';
          if (files.length) void openFiles(files);
        }}
      />
      <label className="flex min-w-0 items-center gap-1 text-sm text-slate-600">
        Sample
        <select
          aria-label="Open a bundled sample model"
          className="min-w-0 max-w-56 rounded border border-slate-300 px-1 py-1 text-sm"
          value={origin?.kind === 'sample' ? origin.label : ''}
          onChange={(e) => {
            const entry = samples.find((s) => s.file === e.target.value);
            if (entry) void openSample(entry);
          }}
        >
          <option value="">—</option>
          {samples.map((s) => (
            <option key={s.file} value={s.file} title={s.description}>
              {s.title}
            </option>
          ))}
        </select>
      </label>
      <SearchBox />
      {trail && trail.length > 1 && (
        <nav aria-label="Graph path" className="flex items-center gap-1 text-sm">
          {trail.map((t, i) => (
            <span key={t.path} className="flex items-center gap-1">
              {i > 0 && <span className="text-slate-400">›</span>}
              {i < trail.length - 1 ? (
                <button type="button" className="text-blue-700 hover:underline" onClick={() => void openGraph(t.path)}>
                  {t.label}
                </button>
              ) : (
                <span className="font-medium">{t.label}</span>
              )}
            </span>
          ))}
        </nav>
      )}
      <div
        className="ml-auto min-w-0 truncate text-sm text-slate-500"
        data-testid="model-origin"
        title={coming ?? origin?.label}
      >
        {coming ?? origin?.label}
      </div>
      <button
        type="button"
        aria-label="Toggle light or dark theme (t)"
        title="Theme (t)"
        className="shrink-0 rounded border border-slate-300 px-2 py-0.5 text-sm"
        onClick={toggleTheme}
      >
        ◐
      </button>
      <button
        type="button"
        aria-label="Keyboard shortcuts (?)"
        title="Keyboard shortcuts (?)"
        className="shrink-0 rounded border border-slate-300 px-2 py-0.5 text-sm"
        onClick={() => window.dispatchEvent(new KeyboardEvent('keydown', { key: '?' }))}
      >
        ?
      </button>
    </header>
  );
}
