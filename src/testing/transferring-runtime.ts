/**
 * A session factory that treats a model handed over (`handOver`) as the page's runtime does
 * (worker/runtime-remote.ts): the buffer is transferred away, leaving the caller's bytes empty.
 * Node's own runtime copies instead, so without this a caller that reads bytes it handed over passes
 * every test in Node and fails in the browser.
 */
import { nodeRuntime } from '../core/quant/node-runtime';
import type { SessionFactory } from '../core/quant/runtime';

export function transferringFactory(handedOver: number[] = []): SessionFactory {
  return (bytes, options) => {
    // runtime-remote.ts transfers only a buffer the bytes fill whole.
    const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
    if (!options?.handOver || !whole) return nodeRuntime.createSession(bytes, options);
    const copy = bytes.slice();
    structuredClone(bytes.buffer, { transfer: [bytes.buffer as ArrayBuffer] });
    handedOver.push(copy.byteLength);
    return nodeRuntime.createSession(copy, options);
  };
}
