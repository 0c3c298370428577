/**
 * The Node half of the benchmark: the engine's work on one model, phase by phase, as the worker
 * does it (parse, view, layout, QDQ extraction, validation), then the whole engine path from
 * file to findings, with peak heap and RSS.
 *
 * By default each case runs in a fresh child process (node-case.ts), so one case's garbage and
 * JIT state cannot colour the next and peak RSS belongs to that case alone.
 */
import { spawn } from 'node:child_process';
import { openAsBlob, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { qgraphFromQdq } from '../../src/core/qgraph/from-qdq';
import type { QGraph } from '../../src/core/qgraph/qgraph';
import { validate, type ValidationResult } from '../../src/core/check/validate';
import { layoutGraph, type LayoutInput, type LayoutResult } from '../../src/core/layout/layout-graph';
import { buildGraphView, type GraphView } from '../../src/core/model/graph-view';
import type { CheckOutcome } from '../../src/core/session/api';
import { readOnnx } from '../../src/core/model/read-onnx';
import type { Model } from '../../src/core/model/types';
import { initialExpansion, visibleGraph, type VisibleGraph } from '../../src/core/view/scopes';
import { GROUP_BUDGET, GROUP_THRESHOLD } from '../../src/core/view/scopes';
import { layoutInputOf as layoutInputOfDrawing, nodeSize } from '../../src/core/view/drawing';
import { Engine } from '../../src/core/session/engine';
import { fetchParts } from '../../src/core/session/load-parts';
import { loadRulePack } from '../../rules/registry';
import { collectGarbage, mib, MemoryProbe } from './memory';
import type { BenchPart, Figure, MetricDef, PartOptions, PreparedCase, Target } from './types';

/** Nodes per chunk when the full view is also laid out piecewise (the layout budget). */
export const LAYOUT_CHUNK = 1000;

/** Settings of the validator run: the HTP pack's default SoC, strict, as the app starts. */
const CHECK = { backend: 'htp', strict: true } as const;

export const NODE_METRICS: MetricDef[] = [
  {
    id: 'node.read',
    label: 'Read .onnx file',
    unit: 'ms',
    description: 'readFileSync of the .onnx file (external data is not read).',
  },
  {
    id: 'node.parse',
    label: 'Parse (readOnnx)',
    unit: 'ms',
    description: 'readOnnx: protobuf decode and conversion to the graph IR.',
  },
  {
    id: 'node.view',
    label: 'Build view (buildGraphView)',
    unit: 'ms',
    description:
      "buildGraphView of the main graph as the engine builds it: every node and edge, Q/DQ included, with every port below 500 nodes (above, the op nodes' ports and attributes are made when asked).",
  },
  {
    id: 'node.view-size',
    label: 'View nodes / edges',
    unit: 'text',
    description: 'Size of the full view the layout receives.',
  },
  {
    id: 'node.initial-view',
    label: 'Initial view: grouping by name scope',
    unit: 'ms',
    description: `What the app computes on the main thread before the first layout (src/ui/actions.ts showView): initialExpansion to about ${GROUP_BUDGET} items for views over ${GROUP_THRESHOLD} nodes, then visibleGraph.`,
  },
  {
    id: 'node.initial-view-size',
    label: 'Initial view items / edges',
    unit: 'text',
    description: 'Groups and single nodes drawn first, and the aggregated edges between them.',
  },
  {
    id: 'node.layout-initial',
    label: 'Layout, initial view (layoutGraph)',
    unit: 'ms',
    description:
      'layoutGraph on that initial view at the UI sizes (group and node boxes): the first layout a user waits for.',
  },
  {
    id: 'node.layout-full',
    label: 'Layout, full view (layoutGraph)',
    unit: 'ms',
    description: 'layoutGraph on the whole view at the UI node sizes (fast-layered above 300 nodes).',
  },
  {
    id: 'node.layout-chunk-mean',
    label: `Layout per chunk of ≤ ${LAYOUT_CHUNK.toLocaleString('en-US')} nodes, mean`,
    unit: 'ms',
    description: `layoutGraph on consecutive equal slices of at most ${LAYOUT_CHUNK} nodes of the view (topological order) with their inner edges: the per-call cost when big graphs are laid out group by group.`,
  },
  {
    id: 'node.layout-chunk-max',
    label: `Layout per chunk of ≤ ${LAYOUT_CHUNK.toLocaleString('en-US')} nodes, max`,
    unit: 'ms',
    description: 'The slowest of those chunks.',
  },
  {
    id: 'node.qdq',
    label: 'QDQ extraction (qgraphFromQdq)',
    unit: 'ms',
    description: 'qgraphFromQdq: encodings of every compute-node port from the Q/DQ nodes.',
  },
  {
    id: 'node.validate',
    label: 'Validate (HTP, strict)',
    unit: 'ms',
    description: 'validate against the HTP pack for its default SoC, strict.',
  },
  {
    id: 'node.check-rate',
    label: 'QDQ extraction + validate',
    unit: 'nodes/s',
    description: 'Model nodes (Q/DQ included) divided by QDQ extraction plus validation time.',
  },
  {
    id: 'node.findings',
    label: 'Findings',
    unit: 'count',
    description: 'Findings the validator lists (the generator plants one per flawed layer).',
  },
  {
    id: 'node.engine-to-findings-cold',
    label: 'Engine: file → findings, first pass',
    unit: 'ms',
    description:
      'Engine.openFiles with a check asked for, as the page asks (read the File, parse, check external data, QDQ extraction, validate, report; the hash when asked), to the verdict: handed over before the drawing is built from 2,000 nodes, after it (its parts fetched) below that; the first time in the process: what a first drop costs. No layout, worker transfer or rendering.',
  },
  {
    id: 'node.engine-to-findings',
    label: 'Engine: file → findings, median',
    unit: 'ms',
    description: 'The same, median over the passes (equal to the first pass when the run has one).',
  },
  {
    id: 'node.external-preview',
    label: 'Preview one external tensor',
    unit: 'ms',
    description: 'Engine.tensorPreview of a weight held in external data: a lazy slice read.',
  },
  {
    id: 'node.heap-retained',
    label: 'Heap retained (model, view, layout, findings)',
    unit: 'MiB',
    description:
      'Used JS heap after a full GC with the parsed model, view, full layout, quantized graph and findings all alive.',
  },
  {
    id: 'node.heap-peak',
    label: 'Peak JS heap',
    unit: 'MiB',
    description: 'Largest used JS heap during the case (V8 GC profiler: heap before each collection).',
  },
  {
    id: 'node.rss-baseline',
    label: 'RSS before the case',
    unit: 'MiB',
    description: 'Resident set of the process before measuring: Node, tsx and the loaded code.',
  },
  {
    id: 'node.rss-peak',
    label: 'Peak RSS',
    unit: 'MiB',
    description: 'Peak resident set size of the measuring process (process-wide when run in-process).',
  },
  {
    id: 'node.rss-vs-files',
    label: 'Peak RSS / model files',
    unit: 'ratio',
    description: 'Peak RSS divided by the size of the .onnx plus external-data files.',
  },
];

export const NODE_TARGETS: Target[] = [
  {
    id: 'findings-10k',
    metric: 'node.engine-to-findings-cold',
    caseId: '10k',
    limit: 1000,
    unit: 'ms',
    text: '10k nodes: findings listed within 1 s',
    note: 'Node engine time, first pass in a fresh process; the browser half adds worker transfer and rendering (drop-to-findings).',
  },
  {
    id: 'findings-100k',
    metric: 'node.engine-to-findings-cold',
    caseId: '100k',
    limit: 5000,
    unit: 'ms',
    text: '100k nodes: findings listed within 5 s',
    note: 'Node engine time only, as above.',
  },
  {
    id: 'heap-100k',
    metric: 'node.heap-peak',
    caseId: '100k',
    limit: 1.5e9 / 2 ** 20,
    unit: 'MiB',
    text: '100k nodes: peak JS heap < 1.5 GB',
    note: 'One process holding model, view, layout and findings: an upper bound for any one worker.',
  },
  {
    id: 'rss-2gib',
    metric: 'node.rss-vs-files',
    caseId: '10k-2gib',
    limit: 0.25,
    unit: 'ratio',
    text: '2 GB external data: RSS far below the file size',
    note: '"Far below" read as at most a quarter of the model files.',
  },
];

/** Median of a non-empty list. */
function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function time<T>(fn: () => T): [T, number] {
  const t = performance.now();
  const out = fn();
  return [out, performance.now() - t];
}

async function timeAsync<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const out = await fn();
  return [out, performance.now() - t];
}

/** The layout input of a whole view, every node expanded, at the UI node sizes. */
export function layoutInputOf(view: GraphView): LayoutInput {
  return {
    nodes: view.nodes.map((n) => ({ id: n.id, ...nodeSize(n) })),
    edges: view.edges.map((e) => ({ source: e.source, target: e.target })),
  };
}

/** "Every group expanded", as src/ui/actions.ts passes for small views. */
const ALL_EXPANDED = { has: () => true } as unknown as ReadonlySet<string>;

/** What the app draws first (src/ui/actions.ts showView and relayout): grouped when large. */
export function initialView(view: GraphView): VisibleGraph {
  const expanded = view.nodes.length > GROUP_THRESHOLD ? initialExpansion(view, GROUP_BUDGET) : ALL_EXPANDED;
  return visibleGraph(view, expanded);
}

/** The layout input the app builds from a visible graph: the app's own code (core/view/drawing.ts). */
export function layoutInputOfVisible(visible: VisibleGraph): LayoutInput {
  return layoutInputOfDrawing(visible);
}

/**
 * Lays out the view in chunks of at most `size` nodes (as few as possible, of equal size, in
 * view order, which is topological), each with its inner edges; returns each call's time.
 */
export function layoutChunks(input: LayoutInput, size = LAYOUT_CHUNK): number[] {
  const count = Math.ceil(input.nodes.length / size);
  const per = Math.ceil(input.nodes.length / count);
  const chunkOf = new Map<string, number>();
  input.nodes.forEach((n, i) => chunkOf.set(n.id, Math.floor(i / per)));
  const edges: LayoutInput['edges'][] = Array.from({ length: count }, () => []);
  for (const e of input.edges) {
    const c = chunkOf.get(e.source);
    if (c !== undefined && c === chunkOf.get(e.target)) edges[c]!.push(e);
  }
  return edges.map(
    (chunkEdges, c) =>
      time(() => layoutGraph({ nodes: input.nodes.slice(c * per, (c + 1) * per), edges: chunkEdges }))[1],
  );
}

/** One pass over the phases, keeping every result alive (as the app holds them). */
interface Pass {
  model: Model;
  view: GraphView;
  layout: LayoutResult;
  /** Kept so the retained heap includes what the checker holds. */
  checked: { qgraph: QGraph; result: ValidationResult };
  initial: { items: number; edges: number; ranker: string };
  findings: number;
  chunks: number;
  ms: Record<
    'read' | 'parse' | 'view' | 'initial' | 'layoutInitial' | 'layout' | 'chunkMean' | 'chunkMax' | 'qdq' | 'validate',
    number
  >;
}

async function phasesPass(c: PreparedCase): Promise<Pass> {
  const pack = await loadRulePack(CHECK.backend);
  const [bytes, read] = time(() => new Uint8Array(readFileSync(c.modelPath)));
  const [model, parse] = time(() => readOnnx(bytes, { fileName: basename(c.modelPath) }));
  const [view, viewMs] = time(() => buildGraphView(model, '')!);
  const [visible, initialMs] = time(() => initialView(view));
  const [initialLayout, layoutInitial] = time(() => layoutGraph(layoutInputOfVisible(visible)));
  const input = layoutInputOf(view);
  const [layout, layoutMs] = time(() => layoutGraph(input));
  // A view that fits one call has no chunks to time.
  const chunks = input.nodes.length > LAYOUT_CHUNK ? layoutChunks(input) : [];
  const [qgraph, qdq] = time(() => qgraphFromQdq(model));
  const [result, validateMs] = time(() => validate(qgraph, pack, { soc: pack.defaultSoc, strict: CHECK.strict }));
  return {
    model,
    view,
    layout,
    checked: { qgraph, result },
    findings: result.findings.length,
    chunks: chunks.length,
    initial: { items: visible.items.length, edges: visible.edges.length, ranker: initialLayout.ranker },
    ms: {
      read,
      parse,
      view: viewMs,
      initial: initialMs,
      layoutInitial,
      layout: layoutMs,
      chunkMean: chunks.length ? chunks.reduce((a, b) => a + b, 0) / chunks.length : NaN,
      chunkMax: chunks.length ? Math.max(...chunks) : NaN,
      qdq,
      validate: validateMs,
    },
  };
}

/** A File for the engine, backed by the file on disk (not read into memory until the engine reads it). */
async function diskFile(path: string): Promise<File> {
  return new File([await openAsBlob(path)], basename(path));
}

async function enginePass(c: PreparedCase): Promise<{ ms: number; previewMs: number | null; findings: number }> {
  const pack = await loadRulePack(CHECK.backend);
  const files = [await diskFile(c.modelPath)];
  if (c.dataPath) files.push(await diskFile(c.dataPath));
  const engine = new Engine(undefined, { hashWhenAsked: true });
  const started = performance.now();
  let ms = NaN;
  let outcome: CheckOutcome | undefined;
  let verdict!: () => void;
  const arrived = new Promise<void>((resolve) => (verdict = resolve));
  const opened = await engine.openFiles(
    files,
    undefined,
    { backend: CHECK.backend, soc: pack.defaultSoc, strict: CHECK.strict },
    (out) => {
      ms = performance.now() - started;
      outcome = out;
      verdict();
    },
  );
  // A small graph is drawn first and checked once its drawing has crossed: its parts are fetched
  // as the page fetches them. A large one's verdict comes first; its parts are left alone (fetching
  // them would set the engine's own check going behind the figure's back, and hold the engine).
  const load = opened.ok && opened.verdictComing ? await fetchParts(engine, opened) : opened;
  if (!load.ok) throw new Error(`engine could not open ${c.modelPath}: ${load.error.problem}`);
  if (load.verdictComing) await arrived;
  if (!outcome?.ok) throw new Error(`engine check failed: ${outcome ? outcome.error.message : 'no verdict'}`);
  let previewMs: number | null = null;
  if (c.dataPath) {
    const [preview, t] = await timeAsync(() =>
      engine.tensorPreview('', 'model.layers.0.self_attn.q_proj.weight_quantized'),
    );
    if (!preview.ok || preview.preview.values.length === 0)
      throw new Error(`no preview of an external tensor: ${preview.ok ? preview.preview.note : preview.error.message}`);
    previewMs = t;
  }
  return { ms, previewMs, findings: outcome.result.findings.length };
}

/**
 * Measures one case in this process: `repeat` runs of the engine path, then `repeat` passes
 * over the phases. Timings are medians (and the engine's first pass), memory the peak over
 * everything.
 */
export async function measureNodeCase(c: PreparedCase, repeat = 1): Promise<Figure[]> {
  await loadRulePack(CHECK.backend);
  collectGarbage();
  const probe = new MemoryProbe();
  probe.start();

  // The engine path first, so its first pass is a fresh worker's: cold JIT, small heap.
  const engineMs: number[] = [];
  const previewMs: number[] = [];
  const engineFindings: number[] = [];
  for (let r = 0; r < repeat; r++) {
    const e = await enginePass(c);
    engineMs.push(e.ms);
    engineFindings.push(e.findings);
    if (e.previewMs !== null) previewMs.push(e.previewMs);
    collectGarbage();
  }

  // Then the phases one by one, all of a pass's results alive together (as the app holds
  // them) when the retained heap is measured.
  const passes: Pass['ms'][] = [];
  let facts:
    | { findings: number; viewSize: string; initialSize: string; ranker: string; initialRanker: string; chunks: number }
    | undefined;
  let retained = 0;
  let hasGc = false;
  for (let r = 0; r < repeat; r++) {
    collectGarbage();
    let pass: Pass | undefined = await phasesPass(c);
    passes.push(pass.ms);
    hasGc = collectGarbage();
    retained = probe.sample();
    facts = {
      findings: pass.findings,
      viewSize: `${pass.view.nodes.length.toLocaleString('en-US')} / ${pass.view.edges.length.toLocaleString('en-US')}`,
      initialSize: `${pass.initial.items.toLocaleString('en-US')} / ${pass.initial.edges.toLocaleString('en-US')}`,
      ranker: pass.layout.ranker,
      initialRanker: pass.initial.ranker,
      chunks: pass.chunks,
    };
    pass = undefined;
  }
  const { findings, viewSize, initialSize, ranker, initialRanker, chunks } = facts!;
  if (engineFindings.some((f) => f !== findings))
    throw new Error(`the engine listed ${engineFindings.join(', ')} findings, the phases ${findings}`);
  const mem = probe.stop();

  const m = (key: keyof Pass['ms']) => median(passes.map((p) => p[key]));
  const checkMs = m('qdq') + m('validate');
  const files = c.modelBytes + c.externalBytes;
  return [
    { metric: 'node.read', value: m('read') },
    { metric: 'node.parse', value: m('parse') },
    { metric: 'node.view', value: m('view') },
    { metric: 'node.view-size', value: viewSize },
    { metric: 'node.initial-view', value: m('initial') },
    { metric: 'node.initial-view-size', value: initialSize },
    { metric: 'node.layout-initial', value: m('layoutInitial'), note: initialRanker },
    { metric: 'node.layout-full', value: m('layout'), note: ranker },
    ...(Number.isNaN(m('chunkMean'))
      ? [
          { metric: 'node.layout-chunk-mean', value: null, note: 'fits one call' },
          { metric: 'node.layout-chunk-max', value: null, note: 'fits one call' },
        ]
      : [
          { metric: 'node.layout-chunk-mean', value: m('chunkMean'), note: `${chunks} chunks` },
          { metric: 'node.layout-chunk-max', value: m('chunkMax') },
        ]),
    { metric: 'node.qdq', value: m('qdq') },
    { metric: 'node.validate', value: m('validate') },
    { metric: 'node.check-rate', value: Math.round(c.nodes / (checkMs / 1000)) },
    { metric: 'node.findings', value: findings },
    { metric: 'node.engine-to-findings-cold', value: engineMs[0]! },
    { metric: 'node.engine-to-findings', value: median(engineMs) },
    previewMs.length
      ? { metric: 'node.external-preview', value: median(previewMs) }
      : { metric: 'node.external-preview', value: null, note: 'weights inline' },
    hasGc
      ? { metric: 'node.heap-retained', value: mib(retained) }
      : { metric: 'node.heap-retained', value: null, note: 'needs --expose-gc' },
    { metric: 'node.heap-peak', value: mib(mem.peakHeap) },
    { metric: 'node.rss-baseline', value: mib(mem.baselineRss) },
    { metric: 'node.rss-peak', value: mib(mem.peakRss) },
    c.externalBytes
      ? { metric: 'node.rss-vs-files', value: Math.round((mem.peakRss / files) * 1000) / 1000 }
      : { metric: 'node.rss-vs-files', value: null, note: 'weights inline' },
  ];
}

const CASE_ENTRY = join(dirname(fileURLToPath(import.meta.url)), 'node-case.ts');
const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Runs {@link measureNodeCase} in a fresh `node --expose-gc` child (through tsx) and returns its figures. */
export async function measureInChild(c: PreparedCase, options: PartOptions): Promise<Figure[]> {
  const dir = mkdtempSync(join(tmpdir(), 'ql-bench-case-'));
  const resultPath = join(dir, 'figures.json');
  const args = ['--expose-gc'];
  if (options.cpuProfDir)
    args.push('--cpu-prof', '--cpu-prof-dir', options.cpuProfDir, '--cpu-prof-name', `node-${c.id}.cpuprofile`);
  args.push('--import', 'tsx', CASE_ENTRY, JSON.stringify({ case: c, repeat: options.repeat, resultPath }));
  try {
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, args, { cwd: REPO, stdio: ['ignore', 'inherit', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      child.on('error', reject);
      child.on('close', (exit) => resolve({ code: exit, stderr }));
    });
    if (code !== 0) throw new Error(`benchmark child for case ${c.id} exited with ${code}:\n${stderr}`);
    return JSON.parse(readFileSync(resultPath, 'utf8')) as Figure[];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The Node half, as a {@link BenchPart}. */
export const nodePart: BenchPart = {
  name: 'node',
  metrics: NODE_METRICS,
  targets: NODE_TARGETS,
  measure(c, options) {
    return options.inProcess ? measureNodeCase(c, options.repeat) : measureInChild(c, options);
  },
};
