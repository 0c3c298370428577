/// <reference lib="webworker" />
/** The engine worker: exposes {@link Engine} over Comlink. */
import * as Comlink from 'comlink';
import { Engine } from '../core/session/engine';
import { browserRuntime } from './runtime-browser';
import { hashOffThread } from './hash-client';

Comlink.expose(new Engine(browserRuntime, { sha256: hashOffThread, hashWhenAsked: true }));
