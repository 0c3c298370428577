/**
 * The UI's actions in sequence, against the real engine with controlled delays in place of the
 * workers: the latest load wins whatever order results arrive in, the start-up model never
 * replaces what the user opened, and a stale check result is dropped.
 */
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { layoutGraph } from '../../core/layout/layout-graph';
import type { EngineApi } from '../../core/session/api';
import { Engine } from '../../core/session/engine';
import { substituteEngine } from '../../worker/client';
import { useApp } from '../state/app-store';
import { useCheck } from '../state/check-store';
import { runCheck, updateSettings } from './check';
import { openFiles, openStartupModel } from './load';

const file = (name: string) => new File([readFileSync(`public/samples/${name}`)], name);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The real engine, each method delayed by what `delays` says for its next call. */
function delayedEngine(delays: Partial<Record<keyof EngineApi, number[]>>): EngineApi {
  const engine = new Engine();
  return new Proxy(engine, {
    get(target, method: keyof EngineApi) {
      const real = (target[method] as (...a: unknown[]) => Promise<unknown>).bind(target);
      return async (...args: unknown[]) => {
        const wait = delays[method]?.shift() ?? 0;
        if (method === 'openUrl') {
          // The start-up sample, read from disk instead of fetched.
          await sleep(wait);
          return engine.openFiles([file('cnn-sigmoid.qdq.onnx')]);
        }
        const result = real(...args);
        await sleep(wait);
        return result;
      };
    },
  }) as EngineApi;
}

const layout = { layout: async (input: Parameters<typeof layoutGraph>[0]) => layoutGraph(input) };

async function settled(): Promise<void> {
  // Let every pending load, check and layout finish.
  for (let i = 0; i < 40; i++) await sleep(25);
}

beforeEach(() => {
  vi.stubGlobal('window', { location: { href: 'http://127.0.0.1/' } });
  useApp.setState({ summary: undefined, view: undefined, loading: undefined });
  useCheck.setState({ result: undefined, report: undefined });
});
afterEach(() => {
  substituteEngine(undefined);
  vi.unstubAllGlobals();
});

describe('UI actions in sequence', () => {
  it('a slow older load never overwrites a newer one, in the UI or in the engine', async () => {
    // The engine methods run in call order; the first call's result is held back longest.
    substituteEngine({ engine: delayedEngine({ openFiles: [300, 0] }), layout });
    void openFiles([file('transformer-block.qdq.onnx')]);
    await sleep(5);
    void openFiles([file('cnn-sigmoid.qdq.onnx')]);
    await settled();
    expect(useApp.getState().summary?.fileName).toBe('cnn-sigmoid.qdq.onnx');
    // The check ran on the newer model too: its report names it.
    expect(useCheck.getState().report?.model.name).toBe('cnn-sigmoid.qdq.onnx');
  });

  it('the start-up model never replaces a model the user opened, even when it arrives later', async () => {
    substituteEngine({ engine: delayedEngine({ openUrl: [300] }), layout });
    const startup = openStartupModel('samples/cnn-sigmoid.qdq.onnx', 'sample');
    await sleep(5);
    await openFiles([file('transformer-block.qdq.onnx')]);
    await startup;
    await settled();
    expect(useApp.getState().summary?.fileName).toBe('transformer-block.qdq.onnx');
    expect(useCheck.getState().report?.model.name).toBe('transformer-block.qdq.onnx');
    // Once the user has opened something, the start-up model is not even requested.
    await openStartupModel('samples/cnn-sigmoid.qdq.onnx', 'sample');
    await settled();
    expect(useApp.getState().summary?.fileName).toBe('transformer-block.qdq.onnx');
  });

  it("the page's first drawing is rendered a task after its panels, later ones with them", async () => {
    substituteEngine({ engine: delayedEngine({}), layout });
    useApp.setState({ drawn: undefined });
    // For each new summary: whether the drawing was set in the same run of code (before any
    // microtask), so that React renders both at once.
    const together: boolean[] = [];
    const stop = useApp.subscribe((s, prev) => {
      if (!s.summary || s.summary === prev.summary) return;
      const view = s.view;
      queueMicrotask(() => together.push(useApp.getState().view !== view));
    });
    await openFiles([file('cnn-sigmoid.qdq.onnx')]);
    await settled();
    await openFiles([file('transformer-block.qdq.onnx')]);
    await settled();
    stop();
    expect(together).toEqual([false, true]);
    expect(useApp.getState().drawn?.model).toBe('transformer-block.qdq.onnx');
  });

  it('a stale check result is dropped: the last settings win', async () => {
    substituteEngine({ engine: delayedEngine({ check: [0, 300, 0] }), layout });
    await openFiles([file('broken-16a16w-matmul.qdq.onnx')]);
    await settled();
    // Slow check on SM8450 (16a16w fails), then a fast one on SM8650 (passes).
    useCheck.setState((s) => ({ settings: { ...s.settings, soc: 'SM8450' } }));
    const slow = runCheck();
    await sleep(5);
    await updateSettings({ soc: 'SM8650' });
    await slow;
    expect(useCheck.getState().result?.soc).toBe('SM8650');
    expect(useCheck.getState().result?.verdict).toBe('pass');
  });
});
