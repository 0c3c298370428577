/**
 * What a long command is doing, on stderr, so that a quantization of minutes is not minutes of
 * silence: on a terminal, one line rewritten in place (the phase, its share done, the time so
 * far), gone when the command prints its result, and none for a command that ends within
 * {@link QUIET_MS}; in a pipe or a CI log, when asked (--progress), a line as each phase starts and
 * one every {@link LOG_EVERY_MS} within a phase.
 */

/** Where the lines go: process.stderr, whose isTTY says whether it is a terminal. */
export interface ProgressStream {
  write(s: string): unknown;
  isTTY?: boolean;
}

/** A terminal shows nothing before the command has run this long. */
export const QUIET_MS = 1000;
/** In a log, a phase that goes on is reported again this often. */
export const LOG_EVERY_MS = 10_000;

export interface ProgressOptions {
  /** The command's name, leading each line ("quantlens quantize"). */
  command: string;
  /** Lines in a pipe or a log too (a terminal always gets its live line). */
  log: boolean;
  now?: () => number;
  /** Calls `tick` about every second until the returned function stops it (tests drive it). */
  every?: (tick: () => void) => () => void;
}

export interface Progress {
  /** The engine's progress callback: the phase ("Calibrating") and its share done, when known. */
  update(phase: string, fraction: number | undefined): void;
  /** Clears the live line and stops the clock; call before the command prints its result. */
  done(): void;
}

const interval = (tick: () => void) => {
  const timer = setInterval(tick, 1000);
  timer.unref?.();
  return () => clearInterval(timer);
};

export function startProgress(stream: ProgressStream, options: ProgressOptions): Progress {
  const now = options.now ?? (() => performance.now());
  const tty = !!stream.isTTY;
  const start = now();
  let phase: string | undefined;
  let fraction: number | undefined;
  let logged: { phase: string; at: number } | undefined;
  let live = false;
  let shown = '';
  let stopped = false;
  const line = () => {
    const seconds = Math.floor((now() - start) / 1000);
    const share = fraction === undefined ? '' : ` ${Math.min(100, Math.floor(fraction * 100))}%`;
    // "Calibrating" reads "calibrating" after the colon; "SQNR" stays as it is.
    const words = /^[A-Z][a-z]/.test(phase!) ? phase![0]!.toLowerCase() + phase!.slice(1) : phase!;
    return `${options.command}: ${words}${share} (${seconds} s)`;
  };
  const render = () => {
    if (stopped || phase === undefined) return;
    if (tty) {
      if (now() - start < QUIET_MS) return;
      const text = line();
      if (text !== shown) stream.write(`\r\x1b[K${text}`);
      shown = text;
      live = true;
    } else if (options.log && (logged?.phase !== phase || now() - logged.at >= LOG_EVERY_MS)) {
      stream.write(`${line()}\n`);
      logged = { phase, at: now() };
    }
  };
  const stop = tty || options.log ? (options.every ?? interval)(render) : () => undefined;
  return {
    update(next, share) {
      phase = next;
      fraction = share;
      render();
    },
    done() {
      if (stopped) return;
      stopped = true;
      stop();
      if (live) stream.write('\r\x1b[K');
      live = false;
    },
  };
}
