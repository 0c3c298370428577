/**
 * The bench measures each Node case in a child process: its peak RSS must be the child's own, not
 * the size of the bench that spawned it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { peakRss } from './memory';

describe('peakRss', () => {
  it.skipIf(!existsSync('/proc/self/status'))(
    "reports a spawned child's own peak, not its parent's size when it was spawned",
    () => {
      // The parent holds 512 MiB, touched, while the child starts.
      const held = Buffer.alloc(512 * 2 ** 20, 1);
      const child = Number(
        execFileSync(process.execPath, [
          '--import',
          'tsx',
          '-e',
          "import('./scripts/bench/memory.ts').then((m) => console.log(m.peakRss()))",
        ]).toString(),
      );
      expect(process.memoryUsage().rss).toBeGreaterThan(held.length);
      // Node, tsx and the module: well under 256 MiB (getrusage's maxRSS said 518 MiB here).
      expect(child).toBeGreaterThan(10 * 2 ** 20);
      expect(child).toBeLessThan(256 * 2 ** 20);
      // Its own peak counts what it touches.
      const grown = Number(
        execFileSync(process.execPath, [
          '--import',
          'tsx',
          '-e',
          "import('./scripts/bench/memory.ts').then((m) => { const b = Buffer.alloc(300 * 2 ** 20, 1); console.log(m.peakRss(), b.length); })",
        ])
          .toString()
          .split(' ')[0],
      );
      expect(grown).toBeGreaterThan(child + 250 * 2 ** 20);
      // This process's own figure includes what it holds.
      expect(peakRss()).toBeGreaterThan(held.length);
    },
  );
});
