/** The command line's progress: a live line on a terminal, lines in a log when asked, else nothing. */
import { describe, expect, it } from 'vitest';
import { LOG_EVERY_MS, QUIET_MS, startProgress } from './progress';

/** A stream that records what is written, a clock the test moves, and the ticks it fires. */
function harness(isTTY: boolean, log = false) {
  const written: string[] = [];
  let t = 0;
  let tick: (() => void) | undefined;
  let stopped = false;
  const progress = startProgress(
    { write: (s: string) => written.push(s), isTTY },
    {
      command: 'quantlens quantize',
      log,
      now: () => t,
      every: (f) => {
        tick = f;
        return () => (stopped = true);
      },
    },
  );
  return {
    progress,
    written,
    at: (ms: number) => {
      t = ms;
      tick?.();
    },
    stopped: () => stopped,
  };
}

describe('startProgress', () => {
  it('on a terminal: nothing in the first second, then one line rewritten in place, cleared when done', () => {
    const h = harness(true);
    h.progress.update('Parsing model', undefined);
    h.at(QUIET_MS - 1);
    expect(h.written).toEqual([]);
    h.progress.update('Calibrating', 0);
    h.at(QUIET_MS);
    h.progress.update('Calibrating', 0.25);
    h.at(QUIET_MS + 200); // same text: not written again
    h.progress.update('Measuring SQNR', undefined);
    h.at(3500);
    h.progress.done();
    expect(h.written).toEqual([
      '\r\x1b[Kquantlens quantize: calibrating 0% (1 s)',
      '\r\x1b[Kquantlens quantize: calibrating 25% (1 s)',
      '\r\x1b[Kquantlens quantize: measuring SQNR (1 s)',
      '\r\x1b[Kquantlens quantize: measuring SQNR (3 s)',
      '\r\x1b[K',
    ]);
    expect(h.stopped()).toBe(true);
    h.progress.update('Exporting', undefined);
    h.progress.done();
    expect(h.written).toHaveLength(5);
  });

  it('a run shorter than a second leaves a terminal untouched', () => {
    const h = harness(true);
    h.progress.update('Calibrating', 0.5);
    h.at(400);
    h.progress.done();
    expect(h.written).toEqual([]);
  });

  it('in a pipe: nothing unless asked; asked, a line as each phase starts and one every 10 s within it', () => {
    const quiet = harness(false);
    quiet.progress.update('Calibrating', 0.5);
    quiet.at(60_000);
    quiet.progress.done();
    expect(quiet.written).toEqual([]);

    const h = harness(false, true);
    h.progress.update('Parsing model', undefined);
    h.progress.update('Calibrating', 0);
    h.at(2000);
    h.progress.update('Calibrating', 0.5);
    h.at(2000 + LOG_EVERY_MS);
    h.progress.update('Calibrating', 1);
    h.progress.update('Exporting', undefined);
    h.progress.done();
    expect(h.written).toEqual([
      'quantlens quantize: parsing model (0 s)\n',
      'quantlens quantize: calibrating 0% (0 s)\n',
      'quantlens quantize: calibrating 50% (12 s)\n',
      'quantlens quantize: exporting (12 s)\n',
    ]);
  });
});
