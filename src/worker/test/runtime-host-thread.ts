/**
 * A runtime worker for Node tests (runtime-remote.test.ts): the app's host (runtime-host.ts) over
 * Node's onnxruntime, in a worker thread. `workerData` can make it hold its first session
 * creation until the test lets it go (`hold`: [released, waiting]) or exit during its first run
 * (`exitOnRun`), as a crashed browser worker would.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/umd/node-adapter.js';
import { nodeRuntime } from '../../core/quant/node-runtime';
import { runtimeHost } from '../runtime-host';

const { hold, exitOnRun } = (workerData ?? {}) as { hold?: Int32Array; exitOnRun?: boolean };
const host = runtimeHost(nodeRuntime);
let held = false;
const create = host.create;
host.create = (bytes, options) => {
  if (hold && !held) {
    held = true;
    // Blocks this thread as a long synchronous call into the wasm runtime does.
    Atomics.store(hold, 1, 1);
    Atomics.wait(hold, 0, 0);
  }
  return create(bytes, options);
};
const run = host.run;
host.run = (...args) => {
  if (exitOnRun) process.exit(3);
  return run(...args);
};
Comlink.expose(host, nodeEndpoint(parentPort!));
