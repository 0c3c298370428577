import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startScratch, sweepScratch } from './test-scratch';

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

/** A directory to play the system's temporary directory in. */
function fakeTmp(): string {
  const root = mkdtempSync(join(tmpdir(), 'ql-scratch-root-'));
  roots.push(root);
  return root;
}

/** The pid of a process that has ended. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('test scratch directories', () => {
  it('the run this test is part of writes its temporary files in its own scratch directory', () => {
    expect(tmpdir()).toMatch(/quantlens-test-\d+-vitest-/);
  });

  it('removes the directories of ended runs, keeps those of live ones and other files', () => {
    const root = fakeTmp();
    const dead = join(root, `quantlens-test-${deadPid()}-vitest-abc123`);
    const live = join(root, `quantlens-test-${process.ppid}-playwright-def456`);
    const other = join(root, 'quantlens-test-notapid-x');
    for (const d of [dead, live, other]) mkdirSync(d);
    writeFileSync(join(dead, 'model.onnx'), 'x');
    expect(sweepScratch(root)).toBe(1);
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(existsSync(other)).toBe(true);
  });

  it('points TMPDIR at a fresh directory and the teardown removes it and restores TMPDIR', () => {
    const root = fakeTmp();
    const before = process.env.TMPDIR;
    process.env.TMPDIR = root;
    try {
      const teardown = startScratch('unit');
      const dir = tmpdir();
      expect(dir.startsWith(join(root, `quantlens-test-${process.pid}-unit-`))).toBe(true);
      // A child process inherits it.
      const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(require("os").tmpdir())'], {
        encoding: 'utf8',
      });
      expect(child.stdout).toBe(dir);
      writeFileSync(join(dir, 'left.onnx'), 'x');
      teardown();
      expect(existsSync(dir)).toBe(false);
      expect(process.env.TMPDIR).toBe(root);
    } finally {
      process.env.TMPDIR = before;
    }
  });
});
