/// <reference lib="webworker" />
/** The runtime worker: onnxruntime-web and the sessions the engine's quantizer creates (runtime-host.ts). */
import * as Comlink from 'comlink';
import { browserRuntime } from './runtime-browser';
import { runtimeHost } from './runtime-host';

Comlink.expose(runtimeHost(browserRuntime));
