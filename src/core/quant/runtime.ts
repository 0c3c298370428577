/**
 * The onnxruntime instance the engine calibrates with: onnxruntime-web's wasm build, from the
 * worker in the browser (runtime-browser.ts) or from Node (core/runtime/ort-node.ts). Tensors
 * must be made by the same instance that runs them, so both travel together.
 */
import type * as ortTypes from 'onnxruntime-common';
import type { TensorClass } from './inputs';

/** Creates an inference session from model bytes (onnxruntime-web in a worker or in Node). */
export type SessionFactory = (
  bytes: Uint8Array,
  options?: {
    graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
    /** Sizes for the inputs' named dimensions (onnxruntime's free dimension overrides). */
    freeDimensionOverrides?: Record<string, number>;
    /**
     * The caller is done with `bytes` (a model written for this session alone): a runtime in
     * another worker takes their buffer instead of a copy, leaving `bytes` empty.
     */
    handOver?: boolean;
    /**
     * The session runs many times on inputs of one size: onnxruntime keeps its memory between
     * runs (its CPU arena) and plans it from the first (memory pattern), which onnxruntime-web
     * leaves off by default. Calibration's range session: 3-5% of a sample on a 10k-node decoder.
     */
    reuseMemory?: boolean;
  },
) => Promise<ortTypes.InferenceSession>;

/**
 * Session settings every engine session takes, whatever its runtime. `session.disable_quant_qdq`:
 * onnxruntime leaves a model's QuantizeLinear and DequantizeLinear as written. Without it, even
 * with optimizations off, a session of a QDQ model first copies every DequantizeLinear that more
 * than one node reads, or that is also a graph output (EnsureUniqueDQForNodeUnit, which node-unit
 * partitioning needs and these sessions never do): on the 10k-node decoder's export, its SQNR
 * session took 5.0 s to create instead of 3.0, and the error trace's, with 10,000 DequantizeLinear
 * outputs read out, 19.3 s instead of 4.3. The values computed are the same (a copy computes what
 * its original does); at a level that folds constants, a constant's DequantizeLinear is folded.
 */
export const SESSION_CONFIG = { session: { disable_quant_qdq: '1' } } as const;

/** onnxruntime's session options for a factory's options, the same in every runtime. */
export function ortSessionOptions(options: Parameters<SessionFactory>[1]): ortTypes.InferenceSession.SessionOptions {
  return {
    graphOptimizationLevel: options?.graphOptimizationLevel,
    freeDimensionOverrides: options?.freeDimensionOverrides,
    extra: SESSION_CONFIG,
    ...(options?.reuseMemory ? { enableCpuMemArena: true, enableMemPattern: true } : {}),
  };
}

/**
 * `session` as every engine session is used: its runs taken one at a time on `lane`
 * ({@link oneRunAtATime}) and its inputs and outputs found by name at once ({@link fastNameLookup}).
 */
export function engineSession<S extends ortTypes.InferenceSession>(session: S, lane: RunLane): S {
  fastNameLookup(session);
  return oneRunAtATime(session, lane);
}

/** Fewest names from which {@link fastNameLookup} indexes a list: a short one scans as fast. */
const INDEXED_NAMES = 64;

/**
 * Makes onnxruntime-web find `session`'s inputs and outputs by name in constant time, where it
 * keeps their lists as onnxruntime-web 1.30 does (runtime.test.ts fails when it no longer does).
 * Its run looks up each fetched output with `outputNames.indexOf`, a scan of the list: with every
 * traced tensor an output (the error trace reads 10k at a time on a 10k-node decoder), the
 * lookups took about a fifth of each run (351 against 274 ms, medians of 6 runs fetching every
 * node output of that decoder), and its whole error trace took 23.0 s against 18.3 s (means of 4
 * alternated traces, 9 samples).
 * The lists themselves are left as they are: each gets its own `indexOf`, a map from name to its
 * first position, which answers as the array's method does (the first index holding the same
 * string, else -1); a search from a given position goes to the array's own method.
 */
function fastNameLookup(session: ortTypes.InferenceSession): void {
  const handler = (session as unknown as { handler?: { inputNames?: unknown; outputNames?: unknown } }).handler;
  if (!handler || !Array.isArray(handler.inputNames) || !Array.isArray(handler.outputNames)) return;
  for (const names of [handler.inputNames, handler.outputNames] as string[][]) {
    if (names.length < INDEXED_NAMES) continue;
    const first = new Map<unknown, number>();
    names.forEach((name, i) => {
      if (!first.has(name)) first.set(name, i);
    });
    Object.defineProperty(names, 'indexOf', {
      value: (name: unknown, from?: number) =>
        from === undefined ? (first.get(name) ?? -1) : Array.prototype.indexOf.call(names, name, from),
      configurable: true,
      writable: true,
    });
  }
}

/** The runs of one onnxruntime instance, taken one at a time (see {@link oneRunAtATime}). */
export interface RunLane {
  tail: Promise<unknown>;
}

/** A lane for one onnxruntime instance (its wasm module). */
export const runLane = (): RunLane => ({ tail: Promise.resolve() });

/**
 * `session`, its runs taken one at a time with those of every session on the same `lane`, in the
 * order asked. onnxruntime-web's run keeps its lists of inputs and outputs on the wasm stack from
 * the start of the run to its end, and waits in between: a second run started meanwhile on the
 * same instance stacks its lists below, and the first, ending, gives the stack back from where it
 * started, the second's lists included, for the next call to write over. Two runs at once (the error
 * trace runs the float model and its export side by side) failed with "output name cannot be
 * empty" or a wasm fault as soon as their lists differed in size (a model of 10k outputs beside
 * one of 82), and could as well have read another tensor's values. The wasm runs one thing at a
 * time anyway: nothing is lost.
 */
function oneRunAtATime<S extends ortTypes.InferenceSession>(session: S, lane: RunLane): S {
  const run = session.run.bind(session) as (...args: unknown[]) => Promise<ortTypes.InferenceSession.ReturnType>;
  session.run = ((...args: unknown[]) => {
    const result = lane.tail.then(() => run(...args));
    lane.tail = result.catch(() => undefined);
    return result;
  }) as S['run'];
  return session;
}

export interface OrtRuntime {
  Tensor: TensorClass;
  createSession: SessionFactory;
  /**
   * Stops whatever the runtime is doing now (a runtime in a worker ends the worker; the calls
   * under way fail with a RuntimeStoppedError, and the next session starts a new one). Absent
   * where the runtime cannot be interrupted.
   */
  stop?(): void;
}

/**
 * A runtime, or how to load it when a quantization first needs it: the command line's `check`
 * never runs onnxruntime, and loading it cost 20-30 ms of every start.
 */
export type RuntimeSource = OrtRuntime | (() => Promise<OrtRuntime>);

/**
 * onnxruntime itself stopped during a run (its worker crashed or ran out of memory), as opposed
 * to refusing the model: the run is lost, and the next one starts a fresh runtime.
 */
export class RuntimeStoppedError extends Error {
  override readonly name = 'RuntimeStoppedError';
}
