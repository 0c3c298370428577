/**
 * Runs the benchmark: for each case, generate its model (untimed) into a temp dir, let every
 * part measure it, delete the model, then check the targets and write the report.
 *
 * @example
 * const report = await runBench({ cases: casesFor(['1k', '10k']), outDir: 'bench-results' });
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateLargeModel } from '../large-model/generate';
import { machineInfo, speedDriftNote, speedProbeMs } from './machine';
import { nodePart } from './node';
import { browserPart, closeBrowserPart } from './browser';
import { calibrationPart } from './calibration';
import { cliPart } from './cli';
import { REAL_MODELS, nodeCount } from './real-models';
import { statSync } from 'node:fs';
import { evaluateTargets, renderMarkdown } from './report';
import type { BenchCase, BenchPart, BenchReport, CaseResult, PartOptions, PreparedCase } from './types';

/**
 * The parts every run measures, in order. The browser half (scripts/bench/browser.ts) adds its
 * `browserPart` here.
 */
export const DEFAULT_PARTS: readonly BenchPart[] = [nodePart, calibrationPart, browserPart, cliPart];

/** The real models of the side-by-side table, as cases (fetched on first use). */
export function realCases(ids?: readonly string[]): BenchCase[] {
  return REAL_MODELS.filter((m) => !ids || ids.includes(m.id)).map((m) => ({
    id: m.id,
    targetNodes: 0,
    qdq: false,
    flawEvery: 0,
    real: { label: m.label, producer: m.producer, origin: m.origin, netronMs: m.netronMs, beforeMs: m.beforeMs },
  }));
}

/** Layers between planted validator findings in the benchmark models. */
export const FLAW_EVERY = 4;

/** `200` → 200, `10k` → 10000, `1.5k` → 1500. */
export function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(k?)$/i.exec(text.trim());
  if (!m) throw new Error(`not a size: "${text}" (write 200, 10k, 100k)`);
  return Math.round(Number(m[1]) * (m[2] ? 1000 : 1));
}

/** QDQ cases for these sizes, plus the external-data case when `weightsGiB` is given. */
export function casesFor(sizes: readonly string[], big?: { nodes: string; weightsGiB: number }): BenchCase[] {
  const cases: BenchCase[] = sizes.map((s) => ({
    id: s.trim().toLowerCase(),
    targetNodes: parseSize(s),
    qdq: true,
    flawEvery: FLAW_EVERY,
  }));
  if (big) {
    const gib = big.weightsGiB >= 1 ? `${big.weightsGiB}gib` : `${Math.round(big.weightsGiB * 1024)}mib`;
    cases.push({
      id: `${big.nodes.toLowerCase()}-${gib}`,
      targetNodes: parseSize(big.nodes),
      qdq: true,
      weightsGiB: big.weightsGiB,
      flawEvery: FLAW_EVERY,
    });
  }
  return cases;
}

export interface BenchOptions extends Partial<PartOptions> {
  cases: BenchCase[];
  parts?: readonly BenchPart[];
  /** Where models are generated (default: a fresh temp dir, removed afterwards). */
  modelsDir?: string;
  /** Keep the generated models. */
  keepModels?: boolean;
  /** Write latest.md and latest.json here. */
  outDir?: string;
  /** Command-line arguments, for the report header. */
  args?: string[];
  /** Progress lines (default: console.error, so stdout carries only the report). */
  log?: (line: string) => void;
}

/** Generates a case's model into `dir`, or finds (fetching once) a real model's file. */
export async function prepareCase(c: BenchCase, dir: string): Promise<PreparedCase> {
  if (c.real) {
    const modelPath = REAL_MODELS.find((m) => m.id === c.id)!.path();
    const nodes = await nodeCount(modelPath);
    return {
      ...c,
      targetNodes: nodes,
      modelPath,
      nodes,
      layers: 0,
      hidden: 0,
      modelBytes: statSync(modelPath).size,
      externalBytes: 0,
      generateMs: 0,
    };
  }
  const m = generateLargeModel({
    nodes: c.targetNodes,
    qdq: c.qdq,
    weightsGiB: c.weightsGiB,
    flawEvery: c.flawEvery,
    outDir: dir,
    name: `bench-${c.id}`,
  });
  return {
    ...c,
    modelPath: m.modelPath,
    dataPath: m.dataPath,
    nodes: m.nodes,
    layers: m.shape.layers,
    hidden: m.shape.hidden,
    modelBytes: m.modelBytes,
    externalBytes: m.externalBytes,
    generateMs: m.ms,
  };
}

/** Runs every case through every part; writes the report when `outDir` is set. */
export async function runBench(options: BenchOptions): Promise<BenchReport> {
  const log = options.log ?? ((line: string) => console.error(line));
  const parts = options.parts ?? DEFAULT_PARTS;
  const partOptions: PartOptions = {
    inProcess: options.inProcess ?? false,
    repeat: options.repeat ?? 1,
    cpuProfDir: options.cpuProfDir,
  };
  const machine = { ...machineInfo(), speedProbeMs: speedProbeMs() };
  const ownDir = !options.modelsDir;
  const modelsDir = options.modelsDir ?? mkdtempSync(join(tmpdir(), 'ql-bench-models-'));
  const results: CaseResult[] = [];
  try {
    for (const c of options.cases) {
      log(
        c.real
          ? `[${c.id}] ${c.real.label}: ${c.real.origin}`
          : `[${c.id}] generating ${c.targetNodes} nodes${c.weightsGiB ? ` with ${c.weightsGiB} GiB of external data` : ''}...`,
      );
      const prepared = await prepareCase(c, modelsDir);
      log(
        c.real
          ? `[${c.id}] ${prepared.nodes} nodes, ${(prepared.modelBytes / 2 ** 20).toFixed(1)} MiB`
          : `[${c.id}] ${prepared.nodes} nodes, ${prepared.layers} layers × hidden ${prepared.hidden}, generated in ${(prepared.generateMs / 1000).toFixed(1)} s`,
      );
      const figures = [];
      try {
        for (const part of parts) {
          log(`[${c.id}] measuring: ${part.name}`);
          figures.push(...(await part.measure(prepared, partOptions)));
        }
      } finally {
        if (!options.keepModels && !c.real) {
          rmSync(prepared.modelPath, { force: true });
          if (prepared.dataPath) rmSync(prepared.dataPath, { force: true });
        }
      }
      const { modelPath: _model, dataPath: _data, ...facts } = prepared;
      results.push({ case: facts, figures });
    }
  } finally {
    if (ownDir && !options.keepModels) rmSync(modelsDir, { recursive: true, force: true });
    if (parts.includes(browserPart)) await closeBrowserPart();
  }

  const probeAfter = speedProbeMs();
  const drift = speedDriftNote(machine.speedProbeMs, probeAfter);
  const notes = [
    ...(drift ? [drift] : []),
    partOptions.inProcess
      ? 'Measured in-process: peak RSS is process-wide, and earlier cases warm the JIT for later ones.'
      : 'Each case runs in a fresh `node --expose-gc` process, so its peak RSS and JIT state are its own.',
    'The engine path runs first in each process, so its first pass is cold, as on a first drop into a fresh worker (the target rows use it); the phase rows run after it, with the code already compiled.',
    partOptions.repeat > 1
      ? `Other timings are medians of ${partOptions.repeat} passes; memory is the peak over all of them.`
      : 'Each figure is one pass; expect 10-20% spread between runs, more on a busy machine (see the load average).',
    parts.includes(browserPart)
      ? 'Browser rows: the built app in headless Chromium, the model set on the file input; the heap row is the main thread only (the engine and layout workers have their own heaps).'
      : 'Figures are the Node half only: no worker transfer, React or canvas.',
    'The full view is laid out in one call here to show the cost; the app is to show big graphs grouped by name scope and lay out at most about 1,000 nodes per call (the chunk rows).',
  ];
  const report: BenchReport = {
    schema: 1,
    date: new Date().toISOString(),
    machine: { ...machine, loadAverageAfter: machineInfo().loadAverage, speedProbeMsAfter: probeAfter },
    args: options.args ?? [],
    parts: parts.map((p) => p.name),
    metrics: parts.flatMap((p) => p.metrics),
    cases: results,
    targets: evaluateTargets(
      parts.flatMap((p) => p.targets ?? []),
      results,
    ),
    notes,
  };
  if (options.outDir) {
    mkdirSync(options.outDir, { recursive: true });
    writeFileSync(join(options.outDir, 'latest.md'), renderMarkdown(report));
    writeFileSync(join(options.outDir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  }
  return report;
}
