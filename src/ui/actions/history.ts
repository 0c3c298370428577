/**
 * In-app history: each selected node and each opened or closed group is a browser history entry,
 * so Back and Forward move between them instead of leaving the page (and the model). The URL
 * fragment names the selected node (`#node=...`) unless it holds a share link still to be used.
 * Entries belong to the model they were made on; one from another model is skipped.
 */
import { nodeIdByName, useApp } from '../state/app-store';
import { relayout, revealNode } from './view';

interface Entry {
  quantlens: 1;
  /** The model the entry was made on (file name and size stand for it). */
  model: string;
  /** Name of the selected node, if any. */
  node?: string;
  /** Opened groups, for grouped drawings. */
  groups?: string[];
}

let applying = false;
let lastKey = '';
let lastModel = '';

function current(): Entry | undefined {
  const { summary, selectedId, fullView, view, expanded } = useApp.getState();
  if (!summary || !view) return undefined;
  const node = selectedId ? (fullView ?? view).nodes.find((n) => n.id === selectedId)?.name || selectedId : undefined;
  return {
    quantlens: 1,
    model: `${summary.fileName}:${summary.byteLength}`,
    ...(node ? { node } : {}),
    ...(expanded ? { groups: [...expanded].sort() } : {}),
  };
}

function urlFor(entry: Entry): string {
  const hash = window.location.hash;
  // A share link in the fragment stays until it has been used (a reload must still find it).
  if (/[#&]s=/.test(hash)) return window.location.href;
  const base = window.location.href.split('#')[0]!;
  return entry.node ? `${base}#node=${encodeURIComponent(entry.node)}` : base;
}

const keyOf = (e: Entry) => JSON.stringify([e.model, e.node ?? '', e.groups ?? []]);

/** Records the current selection and groups as a history entry (the first one of a model replaces). */
function record(): void {
  if (applying) return;
  const entry = current();
  if (!entry) return;
  const key = keyOf(entry);
  if (key === lastKey) return;
  lastKey = key;
  if (entry.model === lastModel) {
    window.history.pushState(entry, '', urlFor(entry));
    return;
  }
  // A model just opened: a `#node=` fragment (a reload, a pasted address) selects its node.
  lastModel = entry.model;
  const named = /^#node=(.+)$/.exec(window.location.hash)?.[1];
  if (named && !entry.node) {
    void restore({ ...entry, node: decodeURIComponent(named) }).then(() => {
      const now = current();
      if (now) window.history.replaceState(now, '', urlFor(now));
    });
    return;
  }
  // A node selected before the model's first entry settled (a click within the debounce, a
  // revealed search hit) is a step of its own: Back returns to the model with nothing selected
  // instead of leaving the page.
  if (entry.node) {
    const { node: _selected, ...opened } = entry;
    window.history.replaceState(opened, '', urlFor(opened));
    window.history.pushState(entry, '', urlFor(entry));
    return;
  }
  window.history.replaceState(entry, '', urlFor(entry));
}

async function restore(entry: Entry): Promise<void> {
  const now = current();
  if (!now || now.model !== entry.model) return;
  applying = true;
  try {
    const { expanded } = useApp.getState();
    if (expanded && entry.groups) {
      useApp.setState({ expanded: new Set(entry.groups) });
      await relayout();
    }
    if (entry.node) {
      const id = nodeIdByName(entry.node);
      if (id) await revealNode(id);
    } else useApp.getState().select(undefined);
    lastKey = keyOf(current() ?? entry);
  } finally {
    applying = false;
  }
}

/** Starts recording entries and answering Back/Forward; returns the function that stops it. */
export function startHistory(): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  // One entry per settled change: a reveal that opens groups and selects is one step, not three.
  const unsubscribe = useApp.subscribe((s, prev) => {
    if (s.selectedId === prev.selectedId && s.expanded === prev.expanded && s.summary === prev.summary) return;
    clearTimeout(timer);
    timer = setTimeout(record, 150);
  });
  const onPop = (e: PopStateEvent) => {
    const state = e.state as Entry | null;
    if (state?.quantlens === 1) void restore(state);
  };
  window.addEventListener('popstate', onPop);
  return () => {
    unsubscribe();
    clearTimeout(timer);
    window.removeEventListener('popstate', onPop);
  };
}
