/**
 * Name-scope grouping for large graphs: nodes are grouped by the scope of their name
 * (`/model/layers.3/attn/q_proj/MatMul` → model › layers.3 › attn › q_proj). Given which groups are
 * expanded, {@link visibleGraph} returns what to draw: single nodes and collapsed groups, with
 * the edges between them aggregated. Pure and linear in nodes + edges.
 */
import { viewIndex } from './view-index';
import { portReader, type GraphView, type ViewEdge, type ViewNode } from '../model/graph-view';

/**
 * Views with more nodes than this open grouped by name scope, as an overview of at most
 * GROUP_BUDGET items (a decoder opens as its layers, one labeled box each).
 */
export const GROUP_THRESHOLD = 400;
export const GROUP_BUDGET = 120;

/** The scope path of a node name: its `/`-separated parts minus the last (the op's own name). */
export function scopeOf(name: string): string[] {
  if (!name.includes('/')) return [];
  const parts = name.split('/').filter(Boolean);
  return parts.slice(0, -1);
}

const scopeCache = new WeakMap<GraphView, Map<string, string[]>>();

/**
 * The scope of every node of a view. A node whose name has no scope (ONNX Runtime names weight
 * DequantizeLinear nodes after their initializer, `model.layers.3.q_proj.weight_DequantizeLinear`)
 * joins the scope of the node it feeds, or else of the node that feeds it, so that Q/DQ and
 * constants fold into the layer they belong to.
 */
export function nodeScopes(view: GraphView): Map<string, string[]> {
  const steps = nodeScopeSteps(view);
  for (let r = steps.next(); ; r = steps.next()) if (r.done) return r.value;
}

/** The scopes of a view's nodes if they have been worked out already (by {@link nodeScopes} or in slices). */
export function knownNodeScopes(view: GraphView): Map<string, string[]> | undefined {
  return scopeCache.get(view);
}

/**
 * How long one slice of the UI thread's grouping work may run. The task that starts the work has
 * already spent some of its time (a message received, React rendering what it changed), so the
 * work starts in a task of its own and each slice stays well under the 100 ms of a long task: at
 * 40 ms, IS-Net's load answer (1,097 nodes) made one 88 ms task of message, render and first slice.
 */
export const SLICE_MS = 20;

/**
 * Resolves in a new task: a message to itself, which browsers do not clamp as they clamp nested
 * timeouts (to 4 ms). The UI thread's one way to end a task and carry on in the next.
 */
export function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

/** Runs a step generator to its end in slices of about `sliceMs`, each in a task of its own. */
async function inSlices<T>(steps: Generator<void, T>, sliceMs: number): Promise<T> {
  await nextTask();
  let start = performance.now();
  for (let r = steps.next(); ; r = steps.next()) {
    if (r.done) return r.value;
    if (performance.now() - start > sliceMs) {
      await nextTask();
      start = performance.now();
    }
  }
}

/**
 * {@link nodeScopes} for the UI thread: the same work in slices (0.12 s in one piece for a
 * 100k-node graph's folded view), with the groups' index that every drawing of the view reads.
 */
export async function nodeScopesInSlices(view: GraphView, sliceMs = SLICE_MS): Promise<Map<string, string[]>> {
  return inSlices(
    (function* () {
      const scopes = yield* nodeScopeSteps(view);
      yield* groupIndexSteps(view, scopes);
      return scopes;
    })(),
    sliceMs,
  );
}

/**
 * Whether a view is grouped by structure rather than by name scopes (fewer than a quarter of its
 * nodes have one), which needs the nodes' ports: a thin view (graph-view.ts) then comes with its
 * scopes worked out (`seedScopes`).
 */
export function usesStructuralScopes(view: GraphView): boolean {
  if (view.nodes.length <= GROUP_THRESHOLD) return false;
  let scoped = 0;
  for (const n of view.nodes) if (n.kind === 'op' && scopeOf(n.name).length) scoped++;
  return scoped < view.nodes.length / 4;
}

/** Gives a view the scopes computed elsewhere (by the engine, for a thin view). */
export function seedScopes(view: GraphView, scopes: Record<string, string[]>): void {
  scopeCache.set(view, new Map(Object.entries(scopes)));
}

/**
 * Rows between the points where the scope computation may pause. Slices end on time (SLICE_MS), but
 * only here: at 2,000 rows a slice of a 100k-node view's grouping still ran 100-140 ms in Chromium
 * (its code cold), against at most 74 ms at 250.
 */
const STEP = 250;

function* nodeScopeSteps(view: GraphView): Generator<void, Map<string, string[]>> {
  const cached = scopeCache.get(view);
  if (cached) return cached;
  const scopes = new Map<string, string[]>();
  let i = 0;
  const own = new Map<string, string[]>();
  let unscoped = false;
  for (const n of view.nodes) {
    const scope = n.kind === 'op' ? scopeOf(n.name) : [];
    own.set(n.id, scope);
    if (n.kind === 'op' && scope.length === 0) unscoped = true;
    if (++i % STEP === 0) yield;
  }
  if (view.nodes.length > GROUP_THRESHOLD) {
    let scoped = 0;
    for (const s of own.values()) if (s.length) scoped++;
    // Exporters that write no name scopes (paddle2onnx, tf2onnx, old PyTorch) get blocks by structure.
    if (scoped < view.nodes.length / 4) {
      const blocks = structuralScopes(view);
      scopeCache.set(view, blocks);
      return blocks;
    }
  }
  if (!unscoped) {
    // Every op has its own scope (a folded decoder: 30k nodes): no neighbours to look at.
    scopeCache.set(view, own);
    return own;
  }
  const consumers = new Map<string, string[]>();
  const producers = new Map<string, string[]>();
  for (const e of view.edges) {
    (consumers.get(e.source) ?? consumers.set(e.source, []).get(e.source)!).push(e.target);
    (producers.get(e.target) ?? producers.set(e.target, []).get(e.target)!).push(e.source);
    if (++i % STEP === 0) yield;
  }
  for (const n of view.nodes) {
    let scope = own.get(n.id)!;
    if (scope.length === 0 && n.kind === 'op') {
      // Follow a short chain (DQ -> Transpose -> MatMul) to the first scoped neighbour.
      const seen = new Set<string>([n.id]);
      let frontier = [...(consumers.get(n.id) ?? []), ...(producers.get(n.id) ?? [])];
      for (let hop = 0; hop < 3 && scope.length === 0 && frontier.length; hop++) {
        const next: string[] = [];
        for (const id of frontier) {
          if (seen.has(id)) continue;
          seen.add(id);
          const sc = own.get(id);
          if (sc && sc.length) {
            scope = sc;
            break;
          }
          next.push(...(consumers.get(id) ?? []));
        }
        frontier = next;
      }
    }
    scopes.set(n.id, scope);
    if (++i % STEP === 0) yield;
  }
  scopeCache.set(view, scopes);
  return scopes;
}

/** A source feeding more items than this is a broadcast (rotary tables, masks, a shared scale). */
export const BROADCAST_FANOUT = 6;

/**
 * Op nodes that compute only from constants: a Constant, an Identity or Reshape of an initializer,
 * and chains of those (PyTorch shares scales and biases behind Identity nodes). They hold weights,
 * scales and shapes, not activations. Nodes are in topological order, as ONNX requires.
 */
export function constantOnlyNodes(view: GraphView): Set<string> {
  const constant = new Set<string>();
  for (const i of constantOnlyIndices(view)) constant.add(view.nodes[i]!.id);
  return constant;
}

/** The same, as positions in view.nodes (a node is fed only by earlier nodes: ONNX order). */
export function constantOnlyIndices(view: GraphView): number[] {
  const { source, inStart, inEdges } = viewIndex(view);
  const ports = portReader(view);
  const constant = new Uint8Array(view.nodes.length);
  const out: number[] = [];
  for (let i = 0; i < view.nodes.length; i++) {
    const n = view.nodes[i]!;
    if (n.kind !== 'op' || n.subgraphs.length > 0) continue;
    const fed = inStart[i + 1]! - inStart[i]!;
    let allConstant = true;
    for (let k = inStart[i]!; k < inStart[i + 1]!; k++) {
      const s = source[inEdges[k]!]!;
      if (s < 0 || !constant[s]) {
        allConstant = false;
        break;
      }
    }
    if (!allConstant) continue;
    const constantPorts = ports.names(i, 'inputs').every((name, k) => {
      if (!name) return true;
      const kind = ports.kind(i, 'inputs', k);
      return kind === 'initializer' || kind === 'constant';
    });
    if (constantPorts || fed > 0) {
      constant[i] = 1;
      out.push(i);
    }
  }
  return out;
}

/** Blocks of about this many nodes when grouping by structure. */
const BLOCK_NODES = 24;

/**
 * Scopes by structure for a graph without name scopes: the graph is cut, in its topological
 * order, where a single tensor carries everything onward (the output of a residual Add, of a
 * stage's last activation), and consecutive pieces are merged into blocks of about
 * BLOCK_NODES nodes. Edges of broadcast sources (one tensor read by many, far apart) do not
 * hold a cut open. Each block is named by its number and its two most frequent ops.
 */
export function structuralScopes(view: GraphView): Map<string, string[]> {
  const into = new Map<string, string[]>();
  const fanout = new Map<string, number>();
  for (const e of view.edges) {
    (into.get(e.target) ?? into.set(e.target, []).get(e.target)!).push(e.source);
    fanout.set(e.source, (fanout.get(e.source) ?? 0) + 1);
  }
  // Nodes computing only from constants (paddle2onnx writes every Constant first) join the block
  // of their first consumer; the cut search runs over the rest, in topological order.
  const constant = constantOnlyNodes(view);
  const seq = view.nodes.filter((n) => n.kind === 'op' && !constant.has(n.id));
  const order = new Map<string, number>();
  seq.forEach((n, i) => order.set(n.id, i));
  // crossing after position i: edges from a node at or before i to a node after i.
  const delta = new Int32Array(seq.length + 1);
  for (const e of view.edges) {
    const a = order.get(e.source);
    const b = order.get(e.target);
    if (a === undefined || b === undefined || b <= a || (fanout.get(e.source) ?? 0) > BROADCAST_FANOUT) continue;
    delta[a] = delta[a]! + 1;
    delta[b] = delta[b]! - 1;
  }
  const scopes = new Map<string, string[]>();
  let block = 0;
  let start = 0;
  let running = 0;
  const close = (end: number) => {
    const members = seq.slice(start, end + 1);
    if (members.length) {
      block++;
      const count = new Map<string, number>();
      for (const n of members) count.set(n.opType, (count.get(n.opType) ?? 0) + 1);
      const top = [...count]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 2)
        .map(([op, k]) => (k > 1 ? `${k} ${op}` : op));
      const name = `block ${block} · ${top.join(', ')}`;
      for (const n of members) scopes.set(n.id, [name]);
    }
    start = end + 1;
  };
  // Cut at the narrowest point once a block has BLOCK_NODES nodes: at once where one tensor
  // carries everything onward, else at the narrowest (latest) point seen when it reaches 3x that.
  const crossing = new Int32Array(seq.length);
  for (let i = 0; i < seq.length; i++) crossing[i] = running += delta[i]!;
  let best = -1;
  for (let i = 0; i < seq.length; i++) {
    const size = i - start + 1;
    if (size < BLOCK_NODES) continue;
    if (best < 0 || crossing[i]! <= crossing[best]!) best = i;
    if (crossing[i]! <= 1) {
      close(i);
      best = -1;
    } else if (size >= BLOCK_NODES * 3) {
      close(best);
      best = -1;
      i = start - 1;
    }
  }
  close(seq.length - 1);
  // Constants take their first consumer's block (last first, so chains of constants resolve).
  const consumers = new Map<string, string[]>();
  for (const e of view.edges) (consumers.get(e.source) ?? consumers.set(e.source, []).get(e.source)!).push(e.target);
  for (let i = view.nodes.length - 1; i >= 0; i--) {
    const n = view.nodes[i]!;
    if (!constant.has(n.id)) continue;
    const to = (consumers.get(n.id) ?? []).map((c) => scopes.get(c)).find((sc) => sc && sc.length);
    scopes.set(n.id, to ?? []);
  }
  for (const n of view.nodes) if (!scopes.has(n.id)) scopes.set(n.id, []);
  return scopes;
}

/** Group ids are scope paths joined with '/', prefixed so they never clash with node ids. */
export const groupId = (scope: readonly string[]) => `group:${scope.join('/')}`;

export interface VisibleGroup {
  kind: 'group';
  id: string;
  scope: string[];
  label: string;
  /** Nodes inside, at any depth. */
  size: number;
}

export interface VisibleNode {
  kind: 'node';
  id: string;
  node: ViewNode;
}

export type VisibleItem = VisibleGroup | VisibleNode;

export interface VisibleGraph {
  items: VisibleItem[];
  /** `edge`: the model's edge when this one joins two nodes drawn as themselves (the first, if several). */
  edges: { id: string; source: string; target: string; count: number; edge?: ViewEdge }[];
  /** Node id → id of the item that shows it (itself, or its collapsed group). */
  shownBy: Map<string, string>;
  /** Every group id with its member node ids (for roll-ups and expanding to a node). */
  members: Map<string, string[]>;
}

/** Ids of all groups that contain a scope (outermost first): expanding these reveals its nodes. */
export function ancestorGroups(scope: readonly string[]): string[] {
  return scope.map((_, i) => groupId(scope.slice(0, i + 1)));
}

/**
 * What visibleGraph needs of a view whatever is expanded, built once per view: each node's chain
 * of group ids (outermost first; nodes of one scope share one array) and every group's members.
 * Building the group ids for every node and depth on each call was most of a 100k-node view's
 * 0.2 s per drawing.
 */
interface GroupIndex {
  chains: Map<string, readonly string[]>;
  members: Map<string, string[]>;
  scopes: Map<string, string[]>;
}

const groupIndexCache = new WeakMap<GraphView, GroupIndex>();

function* groupIndexSteps(view: GraphView, nodeScope: Map<string, string[]>): Generator<void, GroupIndex> {
  const cached = groupIndexCache.get(view);
  if (cached) return cached;
  const chains = new Map<string, readonly string[]>();
  const members = new Map<string, string[]>();
  const scopes = new Map<string, string[]>();
  const byScope = new Map<string, readonly string[]>();
  let i = 0;
  for (const n of view.nodes) {
    const scope = nodeScope.get(n.id)!;
    const key = scope.join('/');
    let chain = byScope.get(key);
    if (!chain) {
      const ids: string[] = [];
      for (let d = 1; d <= scope.length; d++) {
        const id = d === 1 ? groupId(scope.slice(0, 1)) : `${ids[d - 2]}/${scope[d - 1]}`;
        ids.push(id);
        if (!scopes.has(id)) scopes.set(id, scope.slice(0, d));
      }
      chain = ids;
      byScope.set(key, chain);
    }
    chains.set(n.id, chain);
    for (const id of chain) {
      const list = members.get(id);
      if (list) list.push(n.id);
      else members.set(id, [n.id]);
    }
    if (++i % STEP === 0) yield;
  }
  const index = { chains, members, scopes };
  groupIndexCache.set(view, index);
  return index;
}

/** The item that shows a node: its outermost collapsed group of more than one member, or itself. */
function itemShowing(
  id: string,
  chains: GroupIndex['chains'],
  members: GroupIndex['members'],
  expanded: ReadonlySet<string>,
): string {
  for (const group of chains.get(id)!) if (!expanded.has(group) && members.get(group)!.length > 1) return group;
  return id;
}

function groupIndex(view: GraphView): GroupIndex {
  const steps = groupIndexSteps(view, nodeScopes(view));
  for (let r = steps.next(); ; r = steps.next()) if (r.done) return r.value;
}

/**
 * What to draw for a set of expanded groups. A node is shown by its outermost collapsed
 * ancestor group; a group with a single member is never shown as a group.
 */
export function visibleGraph(view: GraphView, expanded: ReadonlySet<string>): VisibleGraph {
  const steps = visibleGraphSteps(view, expanded);
  for (let r = steps.next(); ; r = steps.next()) if (r.done) return r.value;
}

/** {@link visibleGraph} for the UI thread, in slices. */
export function visibleGraphInSlices(
  view: GraphView,
  expanded: ReadonlySet<string>,
  sliceMs = SLICE_MS,
): Promise<VisibleGraph> {
  return inSlices(visibleGraphSteps(view, expanded), sliceMs);
}

function* visibleGraphSteps(view: GraphView, expanded: ReadonlySet<string>): Generator<void, VisibleGraph> {
  const { chains, members, scopes } = yield* groupIndexSteps(view, yield* nodeScopeSteps(view));
  const shownBy = new Map<string, string>();
  const items: VisibleItem[] = [];
  const emitted = new Set<string>();
  let i = 0;
  for (const n of view.nodes) {
    if (++i % STEP === 0) yield;
    const shown = itemShowing(n.id, chains, members, expanded);
    shownBy.set(n.id, shown);
    if (emitted.has(shown)) continue;
    emitted.add(shown);
    if (shown === n.id) items.push({ kind: 'node', id: n.id, node: n });
    else {
      const scope = scopes.get(shown)!;
      items.push({
        kind: 'group',
        id: shown,
        scope,
        label: scope[scope.length - 1] ?? '',
        size: members.get(shown)!.length,
      });
    }
  }
  const edgeCount = new Map<string, { source: string; target: string; count: number; edge?: ViewEdge }>();
  for (const e of view.edges) {
    if (++i % STEP === 0) yield;
    const s = shownBy.get(e.source) ?? e.source;
    const t = shownBy.get(e.target) ?? e.target;
    if (s === t) continue;
    const key = `${s}->${t}`;
    const seen = edgeCount.get(key);
    if (seen) seen.count++;
    else edgeCount.set(key, { source: s, target: t, count: 1, edge: s === e.source && t === e.target ? e : undefined });
  }
  return { items, edges: [...edgeCount].map(([id, e]) => ({ id, ...e })), shownBy, members };
}

/**
 * How many items {@link visibleGraph} would draw (counting stops past `limit`): what choosing
 * the initial expansion needs, without the items and the edges between them.
 */
function visibleItemCount(view: GraphView, expanded: ReadonlySet<string>, limit: number): number {
  const { chains, members } = groupIndex(view);
  const shown = new Set<string>();
  let count = 0;
  for (const n of view.nodes) {
    const item = itemShowing(n.id, chains, members, expanded);
    if (item === n.id) count++;
    else if (!shown.has(item)) {
      shown.add(item);
      count++;
    }
    if (count > limit) return count;
  }
  return count;
}

/**
 * The expanded set that shows at most `budget` items: scope depths are opened breadth-first
 * (outer scopes first) while the whole depth fits the budget.
 */
export function initialExpansion(view: GraphView, budget: number): Set<string> {
  const expanded = new Set<string>();
  const { chains } = groupIndex(view);
  if (view.nodes.length <= budget) {
    for (const chain of chains.values()) for (const g of chain) expanded.add(g);
    return expanded;
  }
  for (let depth = 1; depth < 64; depth++) {
    const candidates = new Set<string>();
    for (const chain of chains.values()) if (chain.length >= depth) candidates.add(chain[depth - 1]!);
    if (candidates.size === 0) break;
    const trial = new Set([...expanded, ...candidates]);
    // A depth opens whole or not at all: a half-opened level (some layers open, their siblings
    // closed) reads as a staircase of unlike boxes, not as an overview.
    if (visibleItemCount(view, trial, budget) > budget) break;
    for (const c of candidates) expanded.add(c);
  }
  return expanded;
}
