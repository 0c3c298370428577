/// <reference lib="webworker" />
/** The layout worker: lays out drawings off the main thread. */
import * as Comlink from 'comlink';
import { layoutGraph } from '../core/layout/layout-graph';
import type { LayoutApi } from '../core/session/api';

const api: LayoutApi = { layout: async (input) => layoutGraph(input) };
Comlink.expose(api);
