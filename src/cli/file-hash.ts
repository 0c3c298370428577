/**
 * A file's SHA-256, read and hashed on a worker thread. The command line starts the thread for the
 * model as its first step (early.ts, before the engine's code is loaded: a worker takes about
 * 100 ms to start on this kind of machine), and the command takes that thread's digest when it
 * asks for the same path (io.ts's fileSha256).
 */
import { Worker } from 'node:worker_threads';

/**
 * The worker thread's program: read the file through one reused 1 MiB buffer, hash it, post the
 * hex digest. Reading 44 MB whole costs 0.2 s here (fresh memory is slow to touch on this kind of
 * machine); streamed through one buffer, reading and hashing it takes about 55 ms.
 */
export const HASH_FILE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { openSync, readSync, closeSync } = require('node:fs');
const fd = openSync(workerData, 'r');
const buf = Buffer.allocUnsafe(1 << 20);
const hash = createHash('sha256');
try {
  for (let pos = 0, n; (n = readSync(fd, buf, 0, buf.length, pos)) > 0; pos += n) hash.update(buf.subarray(0, n));
} finally {
  closeSync(fd);
}
parentPort.postMessage(hash.digest('hex'));
`;

interface Hashing {
  digest: Promise<string>;
  worker: Worker;
}

/**
 * Hashes started ahead of their command, by path. Kept on the global object: the starter and the
 * engine are two bundles in the built CLI (build-cli/early.cjs, build-cli/quantlens.cjs).
 */
function started(): Map<string, Hashing> {
  const key = Symbol.for('quantlens.cli.startedHashes');
  const g = globalThis as unknown as Record<symbol, Map<string, Hashing> | undefined>;
  return (g[key] ??= new Map());
}

function hashOnThread(path: string): Hashing {
  const worker = new Worker(HASH_FILE, { eval: true, workerData: path });
  const digest = new Promise<string>((resolve, reject) => {
    worker.once('message', (hex: string) => resolve(hex));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the hashing thread exited with code ${code}`)));
  });
  digest.catch(() => undefined);
  return { digest, worker };
}

/**
 * Starts hashing `path` now, for a command that will ask for it. The thread does not keep the
 * process alive until the command asks (a command that stops at a usage error exits at once).
 */
export function startHash(path: string): void {
  const map = started();
  if (map.has(path)) return;
  const h = hashOnThread(path);
  h.worker.unref();
  map.set(path, h);
}

/** The digest of `path`: the one started ahead for it, else from a thread started now. */
export function hashFile(path: string): Promise<string> {
  const map = started();
  const ahead = map.get(path);
  map.delete(path);
  if (!ahead) return hashOnThread(path).digest;
  ahead.worker.ref();
  return ahead.digest;
}
