/**
 * The worker's onnxruntime takes the engine's session settings, as Node's does (runtime.test.ts
 * checks what they change and that they change no value).
 */
import { describe, expect, it, vi } from 'vitest';

const create = vi.fn(async () => ({}));
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
});
