/**
 * The benchmark's data model. A run measures a list of cases (generated models); each
 * {@link BenchPart} (Node today, headless Chromium next, in browser.ts) contributes figures per
 * case, declares the metrics it reports and may bring targets. The report is one table: a row
 * per metric, a column per case, then the targets with how far each is met or missed.
 *
 * To add the browser half: write `browserPart: BenchPart` in scripts/bench/browser.ts (metrics
 * such as `browser.drop-to-findings`, `browser.first-render`, `browser.longest-task`, and its
 * targets), and add it to DEFAULT_PARTS in scripts/bench/run.ts; its `measure` gets each case's
 * model files on disk. Nothing else changes: the table, the JSON and the target check are driven
 * by the declared metrics. Figures measured in a separate run (a Playwright spec, say) can be
 * merged into a saved report with `addPartResults` (report.ts).
 */

/** Units a figure can have; the report formats each one its own way. */
export type Unit = 'ms' | 'MiB' | 'nodes/s' | 'count' | 'ratio' | 'text';

/** What a part measures: one row of the report table. */
export interface MetricDef {
  /** Stable id, `<part>.<name>`, e.g. `node.parse`, `browser.first-render`. */
  id: string;
  /** Row label in the table. */
  label: string;
  unit: Unit;
  /** One sentence: what exactly is timed or counted. */
  description: string;
}

/** One measured value of a metric for one case; `null` when it does not apply (say why in `note`). */
export interface Figure {
  metric: string;
  value: number | string | null;
  note?: string;
}

/** A model to measure. */
export interface BenchCase {
  /** Stable id used in targets and file names: `1k`, `10k`, `100k`, `10k-2gib`. */
  id: string;
  /** Target node count (the generator comes as close as it can; see {@link PreparedCase.nodes}). */
  targetNodes: number;
  qdq: boolean;
  /** Weights in external data of about this many GiB (streamed to a temp dir, never committed). */
  weightsGiB?: number;
  /** Every k-th layer carries a deliberate encoding error, so there are findings to list. */
  flawEvery: number;
  /** A real model from another tool instead of a generated one (see real-models.ts). */
  real?: RealFacts;
}

/** What the report keeps of a real model: where it came from and the reference times. */
export interface RealFacts {
  label: string;
  producer: string;
  origin: string;
  /** Netron's time to the drawn graph in issue 14's measurement. */
  netronMs: number;
  /** QuantLens's own time in that measurement, before this work. */
  beforeMs: number;
}

/** A case whose model files exist on disk. */
export interface PreparedCase extends BenchCase {
  modelPath: string;
  dataPath?: string;
  /** Actual main-graph node count. */
  nodes: number;
  layers: number;
  hidden: number;
  modelBytes: number;
  externalBytes: number;
  /** Generation time (not part of any measurement). */
  generateMs: number;
}

/** A contributor of figures: the Node half (node.ts), the browser half (browser.ts). */
export interface BenchPart {
  name: string;
  metrics: MetricDef[];
  targets?: Target[];
  /** Measures one case; called once per case, in order, after the model files exist. */
  measure(c: PreparedCase, options: PartOptions): Promise<Figure[]>;
}

/** Run-wide options every part sees. */
export interface PartOptions {
  /** Measure in this process instead of a fresh child per case (faster, less isolated). */
  inProcess: boolean;
  /** Repetitions per case; timings report the median, memory the maximum. */
  repeat: number;
  /** When set, child processes write V8 CPU profiles (.cpuprofile) here. */
  cpuProfDir?: string;
}

/** A budget from the issue: `metric` on case `caseId` must be at most `limit`. */
export interface Target {
  id: string;
  metric: string;
  caseId: string;
  limit: number;
  unit: Unit;
  /** The target as the issue words it. */
  text: string;
  /** What the Node figure stands for, when it is a proxy for a browser measurement. */
  note?: string;
}

/** A target with its measured value. */
export interface TargetResult extends Target {
  value: number | null;
  /** null when the case or metric was not measured in this run. */
  met: boolean | null;
  /** value - limit (negative: headroom). */
  delta: number | null;
}

/** Facts about the machine that ran the benchmark. */
export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  platform: string;
  node: string;
  v8: string;
  /** 1, 5 and 15-minute load averages when the run started: other work on the machine skews timings. */
  loadAverage: number[];
  /** The same when the run ended. */
  loadAverageAfter?: number[];
  /** The host-speed probe (machine.ts speedProbeMs) when the run started, in ms: lower is faster. */
  speedProbeMs?: number;
  /** The same when the run ended. */
  speedProbeMsAfter?: number;
}

/** What the report keeps of a case: its model facts, without the (temporary) file paths. */
export type CaseFacts = Omit<PreparedCase, 'modelPath' | 'dataPath'>;

/** A measured case: its model facts and every part's figures. */
export interface CaseResult {
  case: CaseFacts;
  figures: Figure[];
}

/** Everything one run produced: what bench-results/latest.json holds. */
export interface BenchReport {
  schema: 1;
  date: string;
  machine: MachineInfo;
  /** Command-line arguments of the run. */
  args: string[];
  parts: string[];
  metrics: MetricDef[];
  cases: CaseResult[];
  targets: TargetResult[];
  notes: string[];
}
