/// <reference lib="webworker" />
/**
 * Hashes a dropped file on its own thread: the engine worker hands over the File (a reference,
 * not a copy) and goes on parsing and checking; this worker reads the file and digests it.
 */
import { sha256Hex } from '../core/report/sha256';

self.onmessage = async (e: MessageEvent<Blob>) => {
  try {
    self.postMessage({ ok: true, hex: await sha256Hex(new Uint8Array(await e.data.arrayBuffer())) });
  } catch (err) {
    self.postMessage({ ok: false, message: (err as Error).message });
  }
};
