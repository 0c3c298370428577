/**
 * Main-thread handles to the workers. The engine worker parses, validates and quantizes; the
 * layout worker places nodes. Neither blocks the UI thread.
 *
 * The engine can die (out of memory, a bug, or being terminated): every call races against the
 * worker's death, so a pending call fails with {@link EngineCrashedError} instead of hanging, and
 * the next call starts a fresh worker. What the UI holds (settings, the last view) is kept.
 */
import * as Comlink from 'comlink';
import type { EarlyCheck, EngineApi, LayoutApi, ProgressCallback } from '../core/session/api';

export class EngineCrashedError extends Error {
  override readonly name = 'EngineCrashedError';
}

interface Live {
  worker: Worker;
  remote: Comlink.Remote<EngineApi>;
  died: Promise<never>;
  kill: (reason: string) => void;
}

let live: Live | undefined;
let layout: Comlink.Remote<LayoutApi> | undefined;
const crashListeners = new Set<(reason: string) => void>();

function start(): Live {
  const worker = new Worker(new URL('./engine.worker.ts', import.meta.url), {
    type: 'module',
    name: 'quantlens-engine',
  });
  let kill!: (reason: string) => void;
  const died = new Promise<never>((_, reject) => {
    kill = (reason: string) => {
      if (live?.worker !== worker) return;
      live = undefined;
      worker.terminate();
      reject(new EngineCrashedError(reason));
      for (const l of crashListeners) l(reason);
    };
  });
  died.catch(() => {}); // observed through the calls that race against it
  worker.addEventListener('error', (e) => {
    e.preventDefault();
    kill(`the engine failed: ${e.message || 'an uncaught error'}`);
  });
  worker.addEventListener('messageerror', () => kill('the engine sent a message that could not be read'));
  return { worker, remote: Comlink.wrap<EngineApi>(worker), died, kill };
}

/** Engines put in place of the workers (unit tests of the UI's actions run without workers). */
let substitute: { engine: EngineApi; layout: LayoutApi } | undefined;

/** Uses these in place of the worker-backed engine and layout (undefined: back to the workers). */
export function substituteEngine(s: { engine: EngineApi; layout: LayoutApi } | undefined): void {
  substitute = s;
}

/** The engine API; each call fails fast if the worker dies while it runs. */
export function engineClient(): EngineApi {
  if (substitute) return substitute.engine;
  return new Proxy({} as EngineApi, {
    get(_, method: string) {
      return (...args: unknown[]) => {
        live ??= start();
        const current = live;
        const call = (current.remote as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[method]!(
          ...args,
        );
        return Promise.race([call, current.died]);
      };
    },
  });
}

/** Called with a reason whenever the engine worker dies. */
export function onEngineCrash(listener: (reason: string) => void): () => void {
  crashListeners.add(listener);
  return () => crashListeners.delete(listener);
}

/** Terminates the engine worker as a crash would (used by the recovery test and by "Stop"). */
export function killEngine(reason = 'the engine was stopped'): void {
  live?.kill(reason);
}

export function layoutClient(): Comlink.Remote<LayoutApi> {
  if (substitute) return substitute.layout as Comlink.Remote<LayoutApi>;
  layout ??= Comlink.wrap<LayoutApi>(
    new Worker(new URL('./layout.worker.ts', import.meta.url), { type: 'module', name: 'quantlens-layout' }),
  );
  return layout;
}

/** Wraps a progress callback so it can cross into the worker. */
export function progressProxy(fn: ProgressCallback): ProgressCallback {
  return Comlink.proxy(fn);
}

/** Wraps the callback of a check run while a model opens (EngineApi.openFiles) for the worker. */
export function earlyCheckProxy(fn: EarlyCheck): EarlyCheck {
  return Comlink.proxy(fn);
}
