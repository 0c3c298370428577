/**
 * App state (zustand). The store holds what the engine returned; it computes nothing about
 * quantization. Per-feature slices stay flat so components subscribe to just what they show.
 */
import { create } from 'zustand';
import type { SerializedLoadError } from '../../core/model/errors';
import type { GraphView, ModelSummary, ViewNode } from '../../core/model/graph-view';
import type { LayoutResult } from '../../core/layout/layout-graph';
import type { VisibleGraph } from '../../core/view/scopes';
import { shownNode, type QdqFold } from '../../core/view/fold';

export interface Notice {
  id: number;
  error: SerializedLoadError;
}

export interface LoadingState {
  source: string;
  phase: string;
  fraction?: number;
}

export interface AppState {
  summary?: ModelSummary;
  /** The engine's idle warm-up, its runtime's included, has ended (the page's root says so for tests). */
  warmedUp?: boolean;
  /** Where the current model came from: a URL, a sample, or a local file name. */
  origin?: { kind: 'url' | 'sample' | 'file'; label: string; url?: string };
  /** What is drawn: the graph itself, or its QDQ-folded drawing. */
  view?: GraphView;
  /**
   * The graph as the model has it (every Q and DQ node) and its initial grouping, once known: a
   * QDQ model arrives folded, and the full graph is fetched when the person unfolds it.
   */
  fullView?: GraphView;
  fullGroups?: string[];
  /** What folding the graph's Q/DQ nodes folded into what, when it has any. */
  fold?: QdqFold;
  /**
   * How many of the folded nodes' names are in: they follow the first paint into `fold.names`,
   * and search runs again as they arrive.
   */
  foldNames?: number;
  /** Whether `view` is the QDQ-folded drawing. */
  drawnFolded: boolean;
  /** Whether a graph with Q/DQ nodes is drawn folded (the default) or whole. */
  qdqFolded: boolean;
  /** Expanded name-scope groups; undefined when the view is small enough to draw whole. */
  expanded?: Set<string>;
  /** The group opened last (the breadcrumbs show its trail when no node is selected). */
  openedGroup?: string;
  /** Draw only nodes with findings and their neighbours. */
  findingsOnly: boolean;
  /** Incremented to ask the canvas to fit the whole drawing into view. */
  fitSeq: number;
  /** How the last fit request wants it: everything in view, or legible from the top when that is too small. */
  fitReadable: boolean;
  /**
   * What edges say: tensor shapes, quantization (dtype, scale, zero point), or nothing; 'auto' is
   * the quantization on a QDQ-folded drawing and shapes otherwise.
   */
  edgeLabels: 'auto' | 'shape' | 'quant' | 'none';
  /** What is drawn (single nodes and collapsed groups) and the layout of exactly that. */
  visible?: VisibleGraph;
  layout?: LayoutResult;
  /** The last drawing that landed: for which model, and a counter (the bench waits on these). */
  drawn?: { model: string; seq: number };
  /**
   * A model being opened whose verdict came ahead of its drawing (a large graph is checked first):
   * until its drawing lands, the canvas and the details panel say so instead of showing the
   * previous model under the new model's findings.
   */
  drawingComing?: { model: string; nodesChecked?: number };
  /** A finding's node asked for while that drawing was on its way: revealed once it lands. */
  revealOnDraw?: string;
  /** Set while a layout for `view` is being computed. */
  layingOut: boolean;
  selectedId?: string;
  /** Incremented on each request to center a node, so repeated jumps to one node still fire. */
  focus?: { id: string; seq: number };
  loading?: LoadingState;
  notices: Notice[];
  parseMs?: number;

  select(id: string | undefined): void;
  focusNode(id: string): void;
  /** Centers a drawn node or group without selecting it. */
  panTo(id: string): void;
  pushError(error: SerializedLoadError): void;
  dismiss(id: number): void;
}

let noticeSeq = 0;

export const useApp = create<AppState>()((set) => ({
  layingOut: false,
  findingsOnly: false,
  qdqFolded: true,
  drawnFolded: false,
  edgeLabels: 'auto',
  fitSeq: 0,
  fitReadable: false,
  notices: [],
  select: (id) => set({ selectedId: id }),
  focusNode: (id) => set((s) => ({ selectedId: id, focus: { id, seq: (s.focus?.seq ?? 0) + 1 } })),
  panTo: (id) => set((s) => ({ focus: { id, seq: (s.focus?.seq ?? 0) + 1 } })),
  pushError: (error) => set((s) => ({ notices: [...s.notices.slice(-4), { id: ++noticeSeq, error }] })),
  dismiss: (id) => set((s) => ({ notices: s.notices.filter((n) => n.id !== id) })),
}));

/** Asks the canvas to fit the view once more. */
export function requestFit(readable = false): void {
  useApp.setState((s) => ({ fitSeq: s.fitSeq + 1, fitReadable: readable }));
}

/** What the edges are labelled with. */
export function setEdgeLabels(edgeLabels: AppState['edgeLabels']): void {
  useApp.setState({ edgeLabels });
}

/** The drawn node that shows a node of the model: itself, or the node a folded Q/DQ stands in for. */
export function drawnNodeOf(id: string): string {
  const { fold, drawnFolded } = useApp.getState();
  return drawnFolded ? shownNode(id, fold) : id;
}

/**
 * Per view: how many lookups scanned it, its index by id once built, and the last answer (held
 * with the view, so that a view dropped from the page is not kept alive by it).
 */
const lookups = new WeakMap<GraphView, { scans: number; index?: Map<string, ViewNode>; last?: ViewNode }>();
/** Lookups of a view that scan its nodes before an index is built for it. */
const SCANS_BEFORE_INDEX = 8;

/**
 * A node of a view by id (views reach 100k nodes). The selected node's panel asks on every change
 * of the page's state, for the same node: that answer is kept. A new view is scanned for the first
 * few nodes asked, and indexed after: indexing a 100k-node view as it was drawn (the Q/DQ fold
 * toggled with a node selected) held the page ~130 ms, a scan takes a millisecond or two.
 */
export function viewNode(view: GraphView | undefined, id: string | undefined): ViewNode | undefined {
  if (!view || !id) return undefined;
  let known = lookups.get(view);
  if (!known) lookups.set(view, (known = { scans: 0 }));
  if (known.last?.id === id) return known.last;
  let node: ViewNode | undefined;
  if (known.index) node = known.index.get(id);
  else if (++known.scans < SCANS_BEFORE_INDEX) node = view.nodes.find((n) => n.id === id);
  else {
    known.index = new Map(view.nodes.map((n) => [n.id, n]));
    node = known.index.get(id);
  }
  if (node) known.last = node;
  return node;
}

/** A node of the model by name: a drawn one, or one folded into a drawn one (given by its own id). */
export function nodeIdByName(name: string): string | undefined {
  const { view, fullView, fold } = useApp.getState();
  const drawn = (fullView ?? view)?.nodes.find((n) => n.name === name);
  if (drawn) return drawn.id;
  return fold?.names.find(([, n]) => n === name)?.[0];
}
