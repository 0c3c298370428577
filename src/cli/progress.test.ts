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
  const at = (ms: number) => {
    t = ms;
    tick?.();
  };
  return {
    progress,
    written,
    at,
    /** Plays a run: a number moves the clock there (and ticks), a pair is a progress report; then done. */
    play: (...steps: (number | [string, number | undefined])[]) => {
      for (const step of steps)
        if (typeof step === 'number') at(step);
        else progress.update(...step);
      progress.done();
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
    h.play(
      ['Calibrating', 0],
      QUIET_MS,
      ['Calibrating', 0.25],
      QUIET_MS + 200, // the same text: not written again
      ['Measuring SQNR', undefined],
      3500,
    );
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
    h.play(['Calibrating', 0.5], 400);
    expect(h.written).toEqual([]);
  });

  it('in a pipe: nothing unless asked; asked, a line as each phase starts and one every 10 s within it', () => {
    const quiet = harness(false);
    quiet.play(['Calibrating', 0.5], 60_000);
    expect(quiet.written).toEqual([]);

    const h = harness(false, true);
    h.play(
      ['Parsing model', undefined],
      ['Calibrating', 0],
      2000,
      ['Calibrating', 0.5],
      2000 + LOG_EVERY_MS,
      ['Calibrating', 1],
      ['Exporting', undefined],
    );
    expect(h.written).toEqual([
      'quantlens quantize: parsing model (0 s)\n',
      'quantlens quantize: calibrating 0% (0 s)\n',
      'quantlens quantize: calibrating 50% (12 s)\n',
      'quantlens quantize: exporting (12 s)\n',
    ]);
  });
});
