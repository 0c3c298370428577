/**
 * Main-thread handles to the workers. The engine worker parses and validates; the layout worker
 * places nodes. Neither blocks the UI thread.
 */
import * as Comlink from 'comlink';
import type { EngineApi, LayoutApi, ProgressCallback } from './protocol';

let engine: Comlink.Remote<EngineApi> | undefined;
let layout: Comlink.Remote<LayoutApi> | undefined;

export function engineClient(): Comlink.Remote<EngineApi> {
  engine ??= Comlink.wrap<EngineApi>(new Worker(new URL('./engine.worker.ts', import.meta.url), { type: 'module', name: 'quantlens-engine' }));
  return engine;
}

export function layoutClient(): Comlink.Remote<LayoutApi> {
  layout ??= Comlink.wrap<LayoutApi>(new Worker(new URL('./layout.worker.ts', import.meta.url), { type: 'module', name: 'quantlens-layout' }));
  return layout;
}

/** Wraps a progress callback so it can cross into the worker. */
export function progressProxy(fn: ProgressCallback): ProgressCallback {
  return Comlink.proxy(fn);
}
