/** The machine a benchmark ran on, for the report header, and how fast it was while it ran. */
import os from 'node:os';
import type { MachineInfo } from './types';

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: typeof os.availableParallelism === 'function' ? os.availableParallelism() : cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    v8: process.versions.v8,
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

/** Elements of the probe's arrays: 32 MiB of float64, more than a core's caches hold. */
const PROBE_LENGTH = 4 * 2 ** 20;

/** One pass of the probe's fixed work: fresh memory filled, then read back in a dependent chain. */
function probePass(): number {
  const a = new Float64Array(PROBE_LENGTH);
  for (let i = 0; i < a.length; i++) a[i] = Math.sin(i * 0.001);
  // A walk whose next index depends on the value read: memory latency, as a graph walk has.
  let at = 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    sum += a[at]!;
    at = (at + 4099 + ((a[at]! * 1024) | 0)) & (PROBE_LENGTH - 1);
  }
  return sum;
}

/**
 * A host-speed probe: the median time of five passes of the same fixed work (filling 32 MiB of
 * fresh memory with computed values, then a data-dependent walk over it), none of it QuantLens
 * code, so that it stays comparable when the app changes. It is taken at the start and at the end
 * of a run: two runs' figures compare only when their probes agree, and a probe that moved during
 * a run says the host changed speed under it (this kind of shared host did, by up to 1.7x).
 */
export function speedProbeMs(): number {
  probePass();
  const times: number[] = [];
  let sink = 0;
  for (let k = 0; k < 5; k++) {
    const t = performance.now();
    sink += probePass();
    times.push(performance.now() - t);
  }
  if (Number.isNaN(sink)) throw new Error('the speed probe computed NaN');
  times.sort((x, y) => x - y);
  return Math.round(times[2]! * 10) / 10;
}

/** How far the probe may move between a run's start and end before the report warns. */
const PROBE_DRIFT = 1.15;

/** The report's warning when the host's speed moved during a run (its probe by more than 15%). */
export function speedDriftNote(startMs: number, endMs: number): string | undefined {
  const drift = Math.max(startMs, endMs) / Math.min(startMs, endMs);
  if (!(drift > PROBE_DRIFT)) return undefined;
  return `The host's speed moved during this run: its probe took ${startMs} ms at the start and ${endMs} ms at the end (${drift.toFixed(2)}x). Figures from different phases of the run are not comparable with each other; run it again before trusting a change.`;
}
