/**
 * onnxruntime's side of the engine's runtime worker (runtime-remote.ts is the engine's side): it
 * holds the sessions and runs them, and answers with plain values a message can carry.
 *
 * Creating a session and running it are single synchronous calls into the wasm build, 0.1-0.5 s
 * each on real models, which no signal can interrupt. Run in the engine's own worker, they held
 * back everything the engine was asked meanwhile: a model dropped while a float model's on-load
 * quantization was running waited for the call under way (Silero VAD's run: 470-480 ms before the
 * next model was even read). Here they hold back only this worker.
 */
import * as Comlink from 'comlink';
import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-common';
import type { OrtRuntime } from '../core/quant/runtime';

/** A tensor as it crosses between workers: what onnxruntime-common's Tensor is built from. */
export interface WireTensor {
  type: OrtTensor.Type;
  data: OrtTensor.DataType;
  dims: readonly number[];
}

export type SessionOptions = Parameters<OrtRuntime['createSession']>[1];

/** What the engine learns about a session when it is created. */
export interface SessionInfo {
  id: number;
  inputNames: readonly string[];
  outputNames: readonly string[];
  outputMetadata: readonly InferenceSession.ValueMetadata[];
}

/** The API the runtime worker exposes (Comlink). */
export interface RuntimeHost {
  create(bytes: Uint8Array, options?: SessionOptions): Promise<SessionInfo>;
  /** Runs a session; `fetches` names the outputs wanted (all when undefined). */
  run(
    id: number,
    feeds: Record<string, WireTensor>,
    fetches: readonly string[] | undefined,
    options: InferenceSession.RunOptions | undefined,
  ): Promise<Record<string, WireTensor>>;
  release(id: number): Promise<void>;
}

/**
 * The host of `runtime`'s sessions. Outputs go back with their buffers transferred, not copied:
 * calibration's fallback path reads every observed tensor out, tens of megabytes per sample.
 */
export function runtimeHost(runtime: OrtRuntime): RuntimeHost {
  const sessions = new Map<number, InferenceSession>();
  let next = 1;
  const session = (id: number) => {
    const s = sessions.get(id);
    if (!s) throw new Error(`onnxruntime session ${id} was already released`);
    return s;
  };
  return {
    async create(bytes, options) {
      const s = await runtime.createSession(bytes, options);
      const id = next++;
      sessions.set(id, s);
      return {
        id,
        inputNames: [...s.inputNames],
        outputNames: [...s.outputNames],
        // Plain copies: the runtime's own objects need not survive a structured clone.
        outputMetadata: (s.outputMetadata ?? []).map((m) => ({ ...m }) as InferenceSession.ValueMetadata),
      };
    },
    async run(id, feeds, fetches, options) {
      const s = session(id);
      const inputs: Record<string, OrtTensor> = {};
      for (const [name, t] of Object.entries(feeds))
        inputs[name] = new runtime.Tensor(t.type as never, t.data as never, t.dims as number[]) as unknown as OrtTensor;
      const outputs = fetches ? await s.run(inputs, [...fetches], options) : await s.run(inputs, options);
      const wire: Record<string, WireTensor> = {};
      const buffers = new Set<ArrayBuffer>();
      for (const [name, t] of Object.entries(outputs)) {
        let data = t.data;
        if (ArrayBuffer.isView(data)) {
          // Only a buffer the tensor owns whole can be handed over; a view into more is copied.
          const whole =
            data.buffer instanceof ArrayBuffer && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
          if (!whole) data = (data as Uint8Array).slice() as unknown as OrtTensor.DataType;
          buffers.add((data as Uint8Array).buffer as ArrayBuffer);
        }
        wire[name] = { type: t.type, data, dims: [...t.dims] };
      }
      return Comlink.transfer(wire, [...buffers]);
    },
    async release(id) {
      const s = sessions.get(id);
      sessions.delete(id);
      await s?.release();
    },
  };
}
