/**
 * Memory figures for one measured case. Peak heap comes from V8's GC profiler: the heap is at
 * its fullest just before a collection, so the largest "used before GC" over the run, or the
 * usage at the end if that is larger, is the true peak, even inside one synchronous call where
 * no timer could sample it.
 */
import { readFileSync } from 'node:fs';
import v8 from 'node:v8';

const MiB = 2 ** 20;

/** Bytes to MiB, one decimal. */
export function mib(bytes: number): number {
  return Math.round((bytes / MiB) * 10) / 10;
}

/** Runs a full collection when the process was started with --expose-gc; a no-op otherwise. */
export function collectGarbage(): boolean {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return false;
  gc();
  gc();
  return true;
}

/** What {@link MemoryProbe.stop} reports, in bytes. */
export interface MemoryFigures {
  /** Largest used JS heap seen (before any GC, or at a sample). */
  peakHeap: number;
  /**
   * Peak resident set size of the process since it started its program (includes the runtime
   * itself): see {@link peakRss}.
   */
  peakRss: number;
  /** Resident set size when the probe started: the runtime and loaded code. */
  baselineRss: number;
  /** Collections during the probe, and the time they took. */
  gcCount: number;
  gcMs: number;
}

/** Tracks peak heap across a measured run; start it once, sample at will, stop once. */
export class MemoryProbe {
  private readonly profiler = new v8.GCProfiler();
  private peakHeap = 0;
  private baselineRss = 0;

  start(): void {
    this.baselineRss = process.memoryUsage().rss;
    this.profiler.start();
    this.sample();
  }

  /** Records the current heap; returns the used heap in bytes. */
  sample(): number {
    const used = process.memoryUsage().heapUsed;
    if (used > this.peakHeap) this.peakHeap = used;
    return used;
  }

  stop(): MemoryFigures {
    this.sample();
    const data = this.profiler.stop() as unknown as GcProfile | undefined;
    let gcMs = 0;
    const stats = data?.statistics ?? [];
    for (const s of stats) {
      gcMs += s.cost / 1000;
      const before = s.beforeGC.heapStatistics.usedHeapSize;
      if (before > this.peakHeap) this.peakHeap = before;
    }
    return {
      peakHeap: this.peakHeap,
      peakRss: peakRss(),
      baselineRss: this.baselineRss,
      gcCount: stats.length,
      gcMs,
    };
  }
}

/** The parts of v8.GCProfiler's result used here (Node types it loosely). */
interface GcProfile {
  statistics: { gcType: string; cost: number; beforeGC: { heapStatistics: { usedHeapSize: number } } }[];
}

/**
 * The process's peak resident set size since it started its program, in bytes: Linux's VmHWM (the
 * high-water mark of the memory it runs in now). Not getrusage's maxRSS, which Linux carries over
 * from before the program started: a child spawned by a parent holding 800 MiB reported 803 MiB
 * there against 39 MiB here, so every case measured in a child of the bench read at least the
 * bench's own size at the moment it spawned it. Elsewhere (no /proc), maxRSS.
 */
export function peakRss(): number {
  try {
    const hwm = /^VmHWM:\s+(\d+)\s*kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (hwm) return Number(hwm[1]) * 1024;
  } catch {
    // Not Linux: the rusage figure.
  }
  // resourceUsage reports kilobytes.
  return process.resourceUsage().maxRSS * 1024;
}
