/// <reference lib="webworker" />
/**
 * The engine worker's file hash: a dropped file is hashed by a worker of its own (WebCrypto
 * digests on the calling thread in a worker: 0.2-0.3 s of the engine's time for a 45-65 MB model,
 * spent between the drawing and the check); bytes without a file (a URL) are hashed here.
 */
import { sha256Hex } from '../core/report/sha256';

export async function hashOffThread(bytes: Uint8Array, file?: Blob): Promise<string> {
  if (!file) return sha256Hex(bytes);
  // The bytes in hand may be a skeleton of the file (io/skeleton.ts): the file is what is hashed.
  if (typeof Worker !== 'function') return sha256Hex(new Uint8Array(await file.arrayBuffer()));
  return new Promise<string>((resolve) => {
    const worker = new Worker(new URL('./hash.worker.ts', import.meta.url), { type: 'module', name: 'quantlens-hash' });
    const done = (hex: Promise<string>) => {
      worker.terminate();
      hex.then(resolve, () => resolve(file.arrayBuffer().then((b) => sha256Hex(new Uint8Array(b)))));
    };
    worker.onmessage = (e: MessageEvent<{ ok: boolean; hex?: string }>) =>
      done(e.data.ok ? Promise.resolve(e.data.hex!) : Promise.reject(new Error('hash failed')));
    worker.onerror = (e) => {
      e.preventDefault();
      done(Promise.reject(new Error('hash worker failed')));
    };
    worker.postMessage(file);
  });
}
