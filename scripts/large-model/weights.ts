/**
 * Where the large-model generator puts weight bytes: inline in the `.onnx` file, or streamed to
 * an external-data file as they are made. Weights are a cheap repeated pattern (the benchmark
 * measures the viewer, not the numbers), so even gigabytes cost one small buffer of memory.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { onnx } from '../../src/core/model/onnx/generated/onnx-pb.js';
import { dtypeCode } from '../../src/core/model/dtype';
import { makeTensor, type TensorArray } from '../../src/core/model/write-onnx';
import { Prng } from '../samples/prng';

/** Dtypes the generator stores weights in. */
export type WeightDType = 'float32' | 'int8' | 'uint8' | 'uint16';

const BYTES: Record<WeightDType, number> = { float32: 4, int8: 1, uint8: 1, uint16: 2 };

/** Length of the repeated pattern, in bytes: a multiple of every element size, 1 MiB. */
const PATTERN_BYTES = 1 << 20;

/**
 * One MiB of plausible weight bytes per dtype, made once: int8 values in [-127, 127] (symmetric
 * weights never use -128), float32 values in [-0.05, 0.05), any bits for the unsigned types;
 * from a fixed seed, so every run writes the same files.
 */
function makePattern(dtype: WeightDType): Uint8Array {
  const rng = new Prng(dtype === 'float32' ? 0x1a7e_0032 : 0x1a7e_0008);
  if (dtype !== 'float32') {
    const values = new Int8Array(PATTERN_BYTES);
    for (let i = 0; i < values.length; i++) values[i] = Math.floor(rng.next() * 255) - 127;
    return new Uint8Array(values.buffer);
  }
  const values = rng.floats(PATTERN_BYTES / 4, -0.05, 0.05);
  return new Uint8Array(values.buffer);
}

const patterns = new Map<WeightDType, Uint8Array>();
function pattern(dtype: WeightDType): Uint8Array {
  let p = patterns.get(dtype);
  if (!p) {
    p = makePattern(dtype);
    patterns.set(dtype, p);
  }
  return p;
}

/** Receives every large weight of a generated model and says where its bytes went. */
export interface WeightSink {
  /** Makes the initializer `name` of `dims`, filled with the pattern. */
  weight(name: string, dtype: WeightDType, dims: readonly number[]): onnx.ITensorProto;
  /** Bytes of weights stored so far (inline or external), padding excluded. */
  readonly weightBytes: number;
  /** Bytes written to the external-data file so far, padding included (0 when inline). */
  readonly externalBytes: number;
  /** Flushes and closes any file; call once, after the last weight. */
  close(): void;
}

function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/**
 * Keeps weights inline (`raw_data`). Tensors of one size share one view of the pattern, so the
 * generator holds at most one buffer per size however many layers there are; only the encoded
 * `.onnx` bytes hold every copy.
 */
export class InlineWeights implements WeightSink {
  private readonly bySize = new Map<string, Uint8Array>();
  weightBytes = 0;
  readonly externalBytes = 0;

  weight(name: string, dtype: WeightDType, dims: readonly number[]): onnx.ITensorProto {
    const length = elementCount(dims) * BYTES[dtype];
    const key = `${dtype}:${length}`;
    let bytes = this.bySize.get(key);
    if (!bytes) {
      bytes = repeatPattern(pattern(dtype), length);
      this.bySize.set(key, bytes);
    }
    this.weightBytes += length;
    return makeTensor(name, typedView(bytes, dtype), dims);
  }

  close(): void {}
}

function typedView(bytes: Uint8Array, dtype: WeightDType): TensorArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
    case 'uint16':
      return new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2);
    case 'int8':
      return new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length);
    case 'uint8':
      return bytes;
  }
}

function repeatPattern(source: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let at = 0; at < length; at += source.length)
    out.set(source.subarray(0, Math.min(source.length, length - at)), at);
  return out;
}

/**
 * Streams weights to one external-data file as they are made (`data_location = EXTERNAL`),
 * offsets aligned to `align` bytes as ExternalDataWriter does. Memory stays at one pattern
 * buffer whatever the file size; weights below `minBytes` stay inline, as python-onnx does.
 */
export class StreamedExternalWeights implements WeightSink {
  private readonly fd: number;
  private size = 0;
  private readonly inline = new InlineWeights();
  weightBytes = 0;

  /**
   * @param path where to write the side file
   * @param location the file name the model refers to (relative to the model)
   */
  constructor(
    path: string,
    readonly location: string,
    private readonly minBytes = 1024,
    private readonly align = 64,
  ) {
    this.fd = openSync(path, 'w');
  }

  get externalBytes(): number {
    return this.size;
  }

  weight(name: string, dtype: WeightDType, dims: readonly number[]): onnx.ITensorProto {
    const length = elementCount(dims) * BYTES[dtype];
    if (length < this.minBytes) {
      this.weightBytes += length;
      return this.inline.weight(name, dtype, dims);
    }
    const pad = (this.align - (this.size % this.align)) % this.align;
    if (pad) writeAll(this.fd, new Uint8Array(pad));
    const offset = this.size + pad;
    const source = pattern(dtype);
    for (let done = 0; done < length; done += source.length)
      writeAll(this.fd, source.subarray(0, Math.min(source.length, length - done)));
    this.size = offset + length;
    this.weightBytes += length;
    return {
      name,
      dims: [...dims],
      dataType: dtypeCode(dtype),
      dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
      externalData: [
        { key: 'location', value: this.location },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(length) },
      ],
    };
  }

  close(): void {
    closeSync(this.fd);
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  for (let at = 0; at < bytes.length;) at += writeSync(fd, bytes, at, bytes.length - at);
}

/** Counts weights without storing them: for sizing a model before generating it. */
export class NullWeights implements WeightSink {
  weightBytes = 0;
  readonly externalBytes = 0;
  weight(name: string, dtype: WeightDType, dims: readonly number[]): onnx.ITensorProto {
    this.weightBytes += elementCount(dims) * BYTES[dtype];
    return { name, dims: [...dims], dataType: dtypeCode(dtype) };
  }
  close(): void {}
}
