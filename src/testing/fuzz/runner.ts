/**
 * Runs a fuzz campaign in worker processes with a watchdog. Synchronous code cannot be
 * interrupted in its own thread, so each worker reports every case as it ends; a worker that
 * stays silent past the hang limit is killed, its in-flight case is recorded as a hang (named by
 * seed and index), and a fresh worker carries on from the next case. A worker that dies (out of
 * memory, a native crash) is handled the same way.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeCase } from './cases';
import { loadCorpus, REPO_ROOT } from './corpus';
import type { ChildJob, ChildMessage } from './child';
import { FAILURE_OUTCOMES, type CaseResult, type Outcome } from './exercise';

export interface FuzzOptions {
  seed: number;
  /** Case indices to run (0..n-1 for a full run, or a few for reproduction). */
  indices: number[];
  /** Worker processes (one per core is right). */
  workers: number;
  /** Each case must end within this, in ms; a slower one is a failure. */
  caseLimitMs: number;
  /** A worker silent for this long is killed and its case counted as a hang. */
  hangMs: number;
  /** How long a worker may take to start (tsx, corpus loading). */
  startupMs?: number;
}

export interface FuzzResult extends CaseResult {
  base: string;
  family: string;
  labels: string[];
}

export interface FuzzReport {
  seed: number;
  results: FuzzResult[];
  counts: Map<Outcome, number>;
  failures: FuzzResult[];
  wallMs: number;
  slowest: FuzzResult | undefined;
}

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url));

/** Runs the cases; resolves when every case has a result (possibly hang or crash). */
export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const started = performance.now();
  const results: FuzzResult[] = [];
  const queues = Array.from({ length: Math.max(1, options.workers) }, (_, w) =>
    options.indices.filter((_, k) => k % Math.max(1, options.workers) === w),
  );
  await Promise.all(queues.filter((q) => q.length).map((queue) => drainQueue(queue, options, results)));
  results.sort((a, b) => a.index - b.index);
  const counts = new Map<Outcome, number>();
  for (const r of results) counts.set(r.outcome, (counts.get(r.outcome) ?? 0) + 1);
  const failures = results.filter((r) => FAILURE_OUTCOMES.includes(r.outcome));
  const slowest = results.reduce<FuzzResult | undefined>((s, r) => (!s || r.ms > s.ms ? r : s), undefined);
  return { seed: options.seed, results, counts, failures, wallMs: performance.now() - started, slowest };
}

/** Runs one queue of cases through as many worker processes as it takes. */
function drainQueue(queue: number[], options: FuzzOptions, results: FuzzResult[]): Promise<void> {
  return new Promise((resolve) => {
    let child: ChildProcess | undefined;
    let lastActivity = 0;
    let ready = false;
    let killedByUs = false;
    const timer = setInterval(() => {
      if (!child) return;
      const limit = ready ? options.hangMs : (options.startupMs ?? 60_000);
      if (performance.now() - lastActivity > limit) {
        killedByUs = true;
        child.kill('SIGKILL');
      }
    }, 100);

    const lost = (why: string) => {
      // The case in flight when the worker went silent or died.
      const index = queue.shift();
      if (index !== undefined) {
        results.push({
          index,
          outcome: killedByUs && ready ? 'hang' : 'crash',
          ms: performance.now() - lastActivity,
          detail: why,
          ...describeCase(options.seed, index),
        });
      }
    };

    const start = () => {
      if (!queue.length) {
        clearInterval(timer);
        resolve();
        return;
      }
      ready = false;
      killedByUs = false;
      lastActivity = performance.now();
      const c = fork(CHILD, [], {
        execArgv: ['--import', 'tsx'],
        cwd: REPO_ROOT,
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        serialization: 'advanced',
      });
      child = c;
      let finished = false;
      c.on('message', (m: ChildMessage) => {
        lastActivity = performance.now();
        if (m.type === 'ready') ready = true;
        else if (m.type === 'result') {
          if (queue[0] === m.result.index) queue.shift();
          results.push(m.result);
        } else if (m.type === 'done') finished = true;
      });
      c.on('exit', (code, signal) => {
        child = undefined;
        if (!finished || queue.length) {
          lost(
            killedByUs
              ? ready
                ? `no result within ${options.hangMs} ms: the case hung; the worker was killed`
                : `the worker did not start within ${options.startupMs ?? 60_000} ms`
              : `the worker died (exit code ${code}, signal ${signal}) while running this case`,
          );
        }
        start();
      });
      const job: ChildJob = { seed: options.seed, indices: [...queue], caseLimitMs: options.caseLimitMs };
      c.send(job);
    };
    start();
  });
}

/** Base and mutations of a case, rebuilt in this process (for hangs and crashes of a worker). */
function describeCase(seed: number, index: number): { base: string; family: string; labels: string[] } {
  try {
    const c = makeCase(loadCorpus(), seed, index);
    return { base: c.base, family: c.family, labels: c.labels };
  } catch {
    return { base: '?', family: '?', labels: [] };
  }
}

/** Writes the bytes of failed cases to a temporary folder, for a debugger or another tool. */
export function saveFailures(report: FuzzReport): string | undefined {
  if (!report.failures.length) return undefined;
  const dir = join(tmpdir(), `quantlens-fuzz-${report.seed}`);
  mkdirSync(dir, { recursive: true });
  const corpus = loadCorpus();
  for (const f of report.failures.slice(0, 50)) {
    const c = makeCase(corpus, report.seed, f.index);
    writeFileSync(join(dir, c.fileName), c.bytes);
    for (const file of c.files)
      writeFileSync(join(dir, `${c.fileName}.${file.name.replace(/[^\w.-]/g, '_')}`), file.bytes);
  }
  return dir;
}

/** A fixed-width text table of outcome counts, total last. */
export function outcomeTable(report: FuzzReport, order: readonly Outcome[]): string {
  const total = report.results.length;
  const rows = order.map((o) => [o, report.counts.get(o) ?? 0] as const);
  const width = Math.max(...rows.map(([o]) => o.length), 'total'.length);
  const pct = (n: number) => (total ? `${((100 * n) / total).toFixed(1)}%` : '-');
  return [
    `${'outcome'.padEnd(width)}  ${'cases'.padStart(7)}  ${'share'.padStart(6)}`,
    ...rows.map(([o, n]) => `${o.padEnd(width)}  ${String(n).padStart(7)}  ${pct(n).padStart(6)}`),
    `${'total'.padEnd(width)}  ${String(total).padStart(7)}`,
  ].join('\n');
}

/** Outcome counts per mutator family: which mutations end how. */
export function familyTable(report: FuzzReport, order: readonly Outcome[]): string {
  const families = [...new Set(report.results.map((r) => r.family))].sort();
  const used = order.filter((o) => report.counts.get(o));
  const width = Math.max(...families.map((f) => f.length), 'family'.length);
  const cols = used.map((o) => Math.max(o.length, 5));
  const header = `${'family'.padEnd(width)}  ${used.map((o, k) => o.padStart(cols[k]!)).join('  ')}`;
  const lines = families.map((f) => {
    const rs = report.results.filter((r) => r.family === f);
    return `${f.padEnd(width)}  ${used.map((o, k) => String(rs.filter((r) => r.outcome === o).length).padStart(cols[k]!)).join('  ')}`;
  });
  return [header, ...lines].join('\n');
}
