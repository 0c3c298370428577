/** What every CLI command writes to, and the exit codes they share. */

/** The streams a command writes to; tests pass string sinks. */
export interface Io {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}

/** 0 pass (or pass with warnings), 1 fail, 2 bad input or usage. */
export const EXIT = { pass: 0, fail: 1, usage: 2 } as const;
