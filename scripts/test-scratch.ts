/**
 * One scratch directory per test run. The test runners' global setup (vitest.config.ts,
 * playwright.config.ts) points TMPDIR at a fresh directory before any test process starts, so
 * every temporary file the tests write (the float corpus's exports, the CLI's outputs, large
 * generated models: about 400 MB a run) lands in it, and removes it when the run ends. Test files
 * keep calling `mkdtempSync(join(tmpdir(), ...))` and need no cleanup of their own.
 *
 * A run that was killed leaves its directory behind; the next run removes it when its process is
 * gone (the directory is named after it). QUANTLENS_KEEP_TEST_FILES=1 keeps this run's directory
 * and prints where it is, to look at a failing test's files.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PREFIX = 'quantlens-test-';

/** Whether process `pid` is alive (signal 0 checks without sending anything). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes the scratch directories of earlier runs whose process has ended; returns how many. */
export function sweepScratch(root: string = tmpdir()): number {
  let removed = 0;
  for (const name of readdirSync(root)) {
    const pid = name.startsWith(PREFIX) ? Number(name.slice(PREFIX.length).split('-')[0]) : NaN;
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || alive(pid)) continue;
    rmSync(join(root, name), { recursive: true, force: true });
    removed++;
  }
  return removed;
}

/**
 * Creates this run's scratch directory under the current temporary directory and makes it the
 * temporary directory of this process and of every process it starts from now on; returns the
 * teardown that removes it (or keeps it, with QUANTLENS_KEEP_TEST_FILES=1) and restores TMPDIR.
 */
export function startScratch(runner: string): () => void {
  const root = tmpdir();
  sweepScratch(root);
  const dir = mkdtempSync(join(root, `${PREFIX}${process.pid}-${runner}-`));
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    if (process.env.QUANTLENS_KEEP_TEST_FILES === '1') {
      process.stdout.write(`\n${runner}: the tests' temporary files are kept in ${dir}\n`);
      return;
    }
    rmSync(dir, { recursive: true, force: true });
  };
}
