/**
 * The command line's start-up, for the real models: `quantlens check FILE` as a whole process
 * (Node start, the built CLI, read, validate, report) against the time onnxruntime-node takes to
 * create a session on the same file inside a warm process, the yardstick issue 14 sets ("starts
 * like a compiled tool": at most half of it). onnxruntime-node is fetched from the npm registry
 * into .cache/bench-tools on first use; it is not a dependency of QuantLens.
 *
 * Beside it, the parts of the row no change to QuantLens's own code removes: Node's start (with and
 * without the certificate bundle NODE_EXTRA_CA_CERTS makes it load) and the SHA-256 of the file
 * that the report names the model by. Their sum over the session is the row's floor in this
 * environment.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { runInNewContext } from 'node:vm';
import { join, resolve } from 'node:path';
import { HASH_FILE } from '../../src/cli/file-hash';
import type { BenchPart, Figure, MetricDef, PreparedCase } from './types';

const TOOLS = '.cache/bench-tools';
const ORT_NODE = 'onnxruntime-node@1.30.0';

export const CLI_METRICS: MetricDef[] = [
  {
    id: 'cli.check-process',
    label: 'CLI: `quantlens check` whole process',
    unit: 'ms',
    description:
      'Wall time of `node bin/quantlens.cjs check FILE --format json` (the built CLI) from spawn to exit, median of the passes.',
  },
  {
    id: 'cli.ort-node-session',
    label: 'onnxruntime-node: create a session',
    unit: 'ms',
    description: `InferenceSession.create on the same file in ${ORT_NODE} (CPU): the first session of a fresh process that has already loaded the runtime (what a CI step pays), median over as many processes as passes.`,
  },
  {
    id: 'cli.check-vs-ort',
    label: 'CLI whole process ÷ onnxruntime-node session',
    unit: 'ratio',
    description: 'The two rows above divided: below 1, QuantLens has checked the model before onnxruntime can run it.',
  },
  {
    id: 'cli.ort-node-process',
    label: 'onnxruntime-node: whole process',
    unit: 'ms',
    description: `The same ${ORT_NODE} process, from spawn to exit: Node's start, loading the runtime, the session and its release (what a CI step that loads the model in onnxruntime pays; the yardstick of the CLI row, where the target's is the session alone).`,
  },
  {
    id: 'cli.check-vs-ort-process',
    label: 'CLI whole process ÷ onnxruntime-node whole process',
    unit: 'ratio',
    description: 'Both as whole processes, spawn to exit (no target: the target compares with the session alone).',
  },
  {
    id: 'cli.node-start',
    label: 'Node alone: `node -e 0`, spawn to exit',
    unit: 'ms',
    description:
      "A process that runs nothing, in the bench's own environment: the part of the CLI row that is Node's start and exit, which no change to QuantLens can remove.",
  },
  {
    id: 'cli.node-start-bare',
    label: 'Node alone, without NODE_EXTRA_CA_CERTS',
    unit: 'ms',
    description:
      'The same with NODE_EXTRA_CA_CERTS unset, when the environment sets it: Node reads and parses that certificate file at every start, before any script runs.',
  },
  {
    id: 'cli.check-process-bare',
    label: 'CLI: `quantlens check` whole process, without NODE_EXTRA_CA_CERTS',
    unit: 'ms',
    description:
      'The CLI row again with NODE_EXTRA_CA_CERTS unset, when the environment sets it, alternated with it: the same command on a host that does not make Node load a certificate bundle at start.',
  },
  {
    id: 'cli.file-hash',
    label: 'SHA-256 of the model file alone',
    unit: 'ms',
    description:
      "The CLI's own hashing program (cli/file-hash.ts: the file read through one 1 MiB buffer and hashed; the report names the model by this digest), run in the bench's process without its thread's start, median of the passes.",
  },
  {
    id: 'cli.floor-vs-ort',
    label: 'Floor: (Node alone + SHA-256) ÷ onnxruntime-node session',
    unit: 'ratio',
    description:
      "What a command that only started Node and hashed the file would score on the target's ratio: no Node program whose report carries the file's SHA-256 goes below it in this environment.",
  },
];

/**
 * The file's SHA-256 and the ms it took: the CLI's own hashing program (cli/file-hash.ts, which its
 * thread runs), run here in the bench's process, so without the thread's start.
 */
export function hashLikeTheCli(model: string): { hex: string; ms: number } {
  let digest: unknown;
  const real = createRequire(import.meta.url);
  // The program takes its file and its way to answer from the thread's module.
  const thread = { workerData: model, parentPort: { postMessage: (hex: unknown) => (digest = hex) } };
  const t = performance.now();
  runInNewContext(HASH_FILE, { require: (id: string) => (id === 'node:worker_threads' ? thread : real(id)), Buffer });
  const ms = performance.now() - t;
  if (typeof digest !== 'string') throw new Error(`hashing ${model} gave no digest`);
  return { hex: digest, ms };
}

/** onnxruntime-node's package folder, fetched once. */
export function ortNode(): string {
  const dir = join(TOOLS, 'node_modules', 'onnxruntime-node');
  if (existsSync(join(dir, 'package.json'))) return dir;
  mkdirSync(dir, { recursive: true });
  const out = execFileSync('npm', ['pack', ORT_NODE, '--pack-destination', TOOLS, '--silent'], {
    encoding: 'utf8',
  }).trim();
  execFileSync('tar', ['-xzf', join(TOOLS, out.split('\n').pop()!), '-C', dir, '--strip-components=1']);
  return dir;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** One process's session creation (ms), or the runtime's own words when it refuses the model. */
/** onnxruntime-node's session creation in a fresh process, and that process from spawn to exit. */
function ortSessionMs(model: string): { session: number; process: number } | { refused: string } {
  // Requires resolve from .cache/bench-tools/node_modules up to the project's onnxruntime-common.
  const script = `
    const ort = require(${JSON.stringify(resolve(ortNode()))});
    (async () => {
      const t = performance.now();
      const s = await ort.InferenceSession.create(${JSON.stringify(resolve(model))});
      console.log(performance.now() - t);
      await s.release();
    })().catch((e) => { console.error(e); process.exit(1); });`;
  const t = performance.now();
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  const wall = performance.now() - t;
  if (r.status !== 0) return { refused: (/Error: (.*)/.exec(r.stderr)?.[1] ?? r.stderr).slice(0, 160) };
  return { session: Number(r.stdout.trim().split('\n').pop()), process: wall };
}

/** The bench's environment for a child process; `bare`: without NODE_EXTRA_CA_CERTS. */
function childEnv(bare: boolean): NodeJS.ProcessEnv {
  const env = { ...process.env };
  if (bare) delete env.NODE_EXTRA_CA_CERTS;
  return env;
}

/** A Node process that runs nothing, spawn to exit (ms); `bare`: without NODE_EXTRA_CA_CERTS. */
function nodeStartMs(bare: boolean): number {
  const env = childEnv(bare);
  const t = performance.now();
  spawnSync(process.execPath, ['-e', '0'], { env });
  return performance.now() - t;
}

/** One `quantlens check` process, spawn to exit (ms); `bare`: without NODE_EXTRA_CA_CERTS. */
function checkProcessMs(model: string, bare = false): number {
  const env = childEnv(bare);
  const t = performance.now();
  const r = spawnSync(process.execPath, ['bin/quantlens.cjs', 'check', model, '--format', 'json'], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    env,
  });
  const ms = performance.now() - t;
  // 0: pass, 1: fail verdict; both are answers. 2 is a usage or load error.
  if (r.status !== 0 && r.status !== 1) throw new Error(`quantlens check ${model} exited ${r.status}: ${r.stderr}`);
  return ms;
}

/**
 * What one real model's CLI passes measured, in ms (the bare lists are empty where the
 * environment sets no certificate file).
 */
export interface CliSamples {
  checks: number[];
  bareChecks: number[];
  sessions: number[];
  processes: number[];
  starts: number[];
  bareStarts: number[];
  hashes: number[];
  /** onnxruntime-node's words when it refused the model (no session figures then). */
  refused?: string;
}

/** The CLI rows from the passes: medians, and the ratios of the target and of its floor. */
export function cliFigures(m: CliSamples): Figure[] {
  const check = median(m.checks);
  const start = median(m.starts);
  const hash = median(m.hashes);
  const unset = 'NODE_EXTRA_CA_CERTS is not set here';
  const node: Figure[] = [
    { metric: 'cli.node-start', value: Math.round(start) },
    m.bareStarts.length
      ? { metric: 'cli.node-start-bare', value: Math.round(median(m.bareStarts)) }
      : { metric: 'cli.node-start-bare', value: null, note: unset },
    m.bareChecks.length
      ? { metric: 'cli.check-process-bare', value: Math.round(median(m.bareChecks)) }
      : { metric: 'cli.check-process-bare', value: null, note: unset },
    { metric: 'cli.file-hash', value: Math.round(hash) },
  ];
  if (m.refused !== undefined) {
    const note = `onnxruntime-node refuses this model: ${m.refused}`;
    return [
      { metric: 'cli.check-process', value: Math.round(check) },
      { metric: 'cli.ort-node-session', value: null, note },
      { metric: 'cli.check-vs-ort', value: null, note },
      { metric: 'cli.ort-node-process', value: null, note },
      { metric: 'cli.check-vs-ort-process', value: null, note },
      { metric: 'cli.floor-vs-ort', value: null, note },
      ...node,
    ];
  }
  const ort = median(m.sessions);
  const whole = median(m.processes);
  const ratio = (x: number) => Math.round(x * 100) / 100;
  return [
    { metric: 'cli.check-process', value: Math.round(check) },
    { metric: 'cli.ort-node-session', value: Math.round(ort) },
    { metric: 'cli.check-vs-ort', value: ratio(check / ort) },
    { metric: 'cli.ort-node-process', value: Math.round(whole) },
    { metric: 'cli.check-vs-ort-process', value: ratio(check / whole) },
    { metric: 'cli.floor-vs-ort', value: ratio((start + hash) / ort) },
    ...node,
  ];
}

let built = false;

export const cliPart: BenchPart = {
  name: 'cli',
  metrics: CLI_METRICS,
  targets: [
    {
      id: 'cli-isnet',
      metric: 'cli.check-vs-ort',
      caseId: 'isnet-quint8',
      limit: 0.5,
      unit: 'ratio',
      text: '`quantlens check` on a real 44 MB model: whole process at most half of onnxruntime-node creating a session',
    },
  ],
  async measure(c: PreparedCase, options): Promise<Figure[]> {
    if (!c.real) return [];
    if (!built) {
      execFileSync('npm', ['run', 'build:cli', '--silent'], { stdio: 'ignore' });
      built = true;
    }
    const repeat = Math.max(3, options.repeat);
    // The two alternate, process by process: this host's speed moves for seconds at a time, and
    // all of one then all of the other put them in different phases of it.
    const checks: number[] = [];
    const bareChecks: number[] = [];
    const sessions: number[] = [];
    const processes: number[] = [];
    const starts: number[] = [];
    const bareStarts: number[] = [];
    const hashes: number[] = [];
    const extraCerts = !!process.env.NODE_EXTRA_CA_CERTS;
    let refused: string | undefined;
    for (let i = 0; i < repeat; i++) {
      checks.push(checkProcessMs(c.modelPath));
      if (extraCerts) bareChecks.push(checkProcessMs(c.modelPath, true));
      starts.push(nodeStartMs(false));
      if (extraCerts) bareStarts.push(nodeStartMs(true));
      hashes.push(hashLikeTheCli(c.modelPath).ms);
      const ort = refused === undefined ? ortSessionMs(c.modelPath) : undefined;
      if (ort && 'refused' in ort) refused = ort.refused;
      else if (ort) {
        sessions.push(ort.session);
        processes.push(ort.process);
      }
    }
    return cliFigures({ checks, bareChecks, sessions, processes, starts, bareStarts, hashes, refused });
  },
};
