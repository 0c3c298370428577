/**
 * Calibration kept between runs of the quantizer on one model. A tensor's range follows from the
 * model, the samples and the observer, never from the quant config: a second run that changes only
 * the config, the SoC or an override measures nothing it measured before (calibration was 3.2-3.6
 * of 4.9-5.3 s of a 10k-node decoder's run, 1.1-2.1 of 1.4-2.5 s of PP-OCRv4's recogniser). The
 * engine holds one per opened model; the CLI, which quantizes once, holds none.
 */
import type * as ortTypes from 'onnxruntime-common';
import type { CalibrationSample } from './expose';
import type { ObserverKind, Range } from './calibrate';

/** What makes two runs' ranges the same, besides the samples' content. */
export interface MemoKey {
  /** The model's bytes as the run was handed them (the same object, not equal bytes). */
  bytes: Uint8Array;
  fixSizes: boolean;
  observer: ObserverKind;
  percentile: number | undefined;
  /** Whether the range session fused ops (calibrate's `optimize`: the plan had supergroups). */
  optimize: boolean;
  /** {@link samplesDigest} of the run's samples. */
  samples: string;
}

/** What runs of one key have measured. */
export interface MemoEntry {
  /** Observed tensors measured so far, those that held no value on any sample among them. */
  readonly seen: Set<string>;
  /** Their ranges as calibration gave them (±inf where a tensor held it). */
  readonly ranges: Map<string, Range>;
  /** The extent of the finite values of those whose range reached ±inf, once read out. */
  readonly finite: Map<string, Range>;
  /** The float model's outputs on each sample, kept for the SQNR (undefined: not kept). */
  reference?: Record<string, ArrayLike<number>>[];
}

export class CalibrationMemo {
  private kept: { key: MemoKey; entry: MemoEntry } | undefined;

  /** The entry of `key`: the one kept when every part of the key matches, else a new one in its place. */
  entry(key: MemoKey): MemoEntry {
    const k = this.kept?.key;
    if (
      k &&
      k.bytes === key.bytes &&
      k.fixSizes === key.fixSizes &&
      k.observer === key.observer &&
      k.percentile === key.percentile &&
      k.optimize === key.optimize &&
      k.samples === key.samples
    )
      return this.kept!.entry;
    const entry: MemoEntry = { seen: new Set(), ranges: new Map(), finite: new Map() };
    this.kept = { key, entry };
    return entry;
  }

  /** Lets go of what was kept (a new model opened). */
  clear(): void {
    this.kept = undefined;
  }
}

/**
 * SHA-256 over every sample's input names, element types, dimensions and values: two runs whose
 * samples were made again the same way (the same seed and shapes, or the same files) give the same
 * digest.
 */
export async function samplesDigest(samples: readonly CalibrationSample[]): Promise<string> {
  const parts: string[] = [];
  for (const sample of samples)
    for (const name of Object.keys(sample).sort()) {
      const t = sample[name]! as ortTypes.Tensor;
      const data = t.data as unknown;
      const bytes = ArrayBuffer.isView(data)
        ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
        : new TextEncoder().encode(JSON.stringify(data));
      parts.push(`${JSON.stringify([name, t.type, t.dims])}${await hex(bytes)}`);
    }
  return hex(new TextEncoder().encode(JSON.stringify(parts)));
}

async function hex(bytes: Uint8Array): Promise<string> {
  // WebCrypto takes no view of shared memory.
  const own = bytes.buffer instanceof ArrayBuffer ? bytes : bytes.slice();
  const digest = await globalThis.crypto.subtle.digest('SHA-256', own as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}
