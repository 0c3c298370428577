/**
 * Memory figures for one measured case. Peak heap comes from V8's GC profiler: the heap is at
 * its fullest just before a collection, so the largest "used before GC" over the run, or the
 * usage at the end if that is larger, is the true peak, even inside one synchronous call where
 * no timer could sample it.
 */
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
  /** Peak resident set size of the whole process since it started (includes the runtime itself). */
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
      // resourceUsage reports kilobytes.
      peakRss: process.resourceUsage().maxRSS * 1024,
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
