/**
 * The worker's onnxruntime takes the engine's session settings, as Node's does (runtime.test.ts
 * checks what they change and that they change no value).
 */
import { describe, expect, it, vi } from 'vitest';

const create = vi.fn(async () => ({ run: async () => ({}) }));
vi.mock('onnxruntime-web/wasm', () => ({
  env: { wasm: {}, logLevel: 'warning' },
  Tensor: class {},
  InferenceSession: { create },
}));

describe('the browser runtime', () => {
  it("asks onnxruntime to leave a model's Q/DQ as written", async () => {
    vi.stubGlobal('self', { location: { href: 'http://localhost/' } });
    const { browserRuntime } = await import('./runtime-browser');
    await browserRuntime.createSession(new Uint8Array(8), { graphOptimizationLevel: 'disabled' });
    expect(create).toHaveBeenCalledWith(
      expect.any(Uint8Array),
      expect.objectContaining({
        graphOptimizationLevel: 'disabled',
        extra: { session: { disable_quant_qdq: '1' } },
      }),
    );
    vi.unstubAllGlobals();
  });

  it('runs one session at a time: a run asked while another is under way starts when it ends', async () => {
    vi.stubGlobal('self', { location: { href: 'http://localhost/' } });
    const { browserRuntime } = await import('./runtime-browser');
    const steps: string[] = [];
    const session = (name: string) => ({
      run: async () => {
        steps.push(`${name} start`);
        // onnxruntime-web's run waits between its start and its end (its tensors are prepared
        // asynchronously), which is when another run could start.
        await new Promise((resolve) => setTimeout(resolve, 5));
        steps.push(`${name} end`);
        return {};
      },
    });
    create.mockResolvedValueOnce(session('a')).mockResolvedValueOnce(session('b'));
    const [a, b] = [
      await browserRuntime.createSession(new Uint8Array(8)),
      await browserRuntime.createSession(new Uint8Array(8)),
    ];
    await Promise.all([a.run({}), b.run({}), a.run({})]);
    expect(steps).toEqual(['a start', 'a end', 'b start', 'b end', 'a start', 'a end']);
    vi.unstubAllGlobals();
  });

  it("finds a session's outputs by name as Node's runtime does (runtime.test.ts checks the lookup on a real model)", async () => {
    vi.stubGlobal('self', { location: { href: 'http://localhost/' } });
    const { browserRuntime } = await import('./runtime-browser');
    // Where onnxruntime-web keeps a session's names: its handler.
    const handler = { inputNames: ['x'], outputNames: Array.from({ length: 200 }, (_, i) => `t${i}`) };
    create.mockResolvedValueOnce({ run: async () => ({}), handler } as never);
    await browserRuntime.createSession(new Uint8Array(8));
    expect(Object.hasOwn(handler.outputNames, 'indexOf')).toBe(true);
    expect(handler.outputNames.indexOf('t150')).toBe(150);
    vi.unstubAllGlobals();
  });
});
