/**
 * Decodes the first few values of a constant tensor for display, reading external data by slice
 * only when asked. Never copies more bytes than the preview needs.
 */
import { halfToFloat } from './half';
import { dtypeBits } from './dtype';
import { normalizeExternalLocation, type ExternalDataSource } from './external-data';
import type { ConstTensor } from './types';

export interface TensorPreview {
  dtype: string;
  dims: number[];
  /** Total element count (product of dims). */
  count: number;
  /** The first values, formatted for display. */
  values: string[];
  /** Set when values could not be shown, with the reason. */
  note?: string;
  /** Where the bytes live: inline, or `external: file @ offset`. */
  storage: string;
}

/** Number of elements of a shape; 1 for a scalar. */
export function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

function format(v: number | bigint, dtype: string): string {
  if (typeof v === 'bigint') return v.toString();
  if (dtype === 'bool') return v ? 'true' : 'false';
  if (Number.isInteger(v) && !dtype.startsWith('float') && dtype !== 'bfloat16') return String(v);
  return Number.isFinite(v) ? Number(v.toPrecision(6)).toString() : String(v);
}

/**
 * Sub-byte integers (4- and 2-bit), packed low bits first as ONNX stores them: two 4-bit or four
 * 2-bit values per byte, in `raw_data` and likewise one byte per `int32_data` element.
 */
export function unpackSubByte(bytes: ArrayLike<number>, bits: 4 | 2, signed: boolean, limit: number): number[] {
  const per = 8 / bits;
  const mask = (1 << bits) - 1;
  const n = Math.min(limit, bytes.length * per);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const v = (bytes[Math.floor(i / per)]! >> ((i % per) * bits)) & mask;
    out.push(signed && v > mask >> 1 ? v - (mask + 1) : v);
  }
  return out;
}

/** Decodes up to `limit` little-endian elements of `dtype` from raw bytes. */
export function decodeRaw(bytes: Uint8Array, dtype: string, limit: number): (number | bigint)[] | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bits = dtypeBits(dtype);
  if (bits === 0) return undefined;
  const out: (number | bigint)[] = [];
  if (bits === 4 || bits === 2) {
    if (dtype === 'float4e2m1') return undefined;
    return unpackSubByte(bytes, bits, dtype.startsWith('int'), limit);
  }
  const size = bits / 8;
  const n = Math.min(limit, Math.floor(bytes.length / size));
  for (let i = 0; i < n; i++) {
    const o = i * size;
    switch (dtype) {
      case 'float32':
        out.push(view.getFloat32(o, true));
        break;
      case 'float64':
        out.push(view.getFloat64(o, true));
        break;
      case 'float16':
        out.push(halfToFloat(view.getUint16(o, true)));
        break;
      case 'bfloat16': {
        const tmp = new DataView(new ArrayBuffer(4));
        tmp.setUint16(2, view.getUint16(o, true));
        out.push(tmp.getFloat32(0));
        break;
      }
      case 'int8':
        out.push(view.getInt8(o));
        break;
      case 'uint8':
      case 'bool':
        out.push(view.getUint8(o));
        break;
      case 'int16':
        out.push(view.getInt16(o, true));
        break;
      case 'uint16':
        out.push(view.getUint16(o, true));
        break;
      case 'int32':
        out.push(view.getInt32(o, true));
        break;
      case 'uint32':
        out.push(view.getUint32(o, true));
        break;
      case 'int64':
        out.push(view.getBigInt64(o, true));
        break;
      case 'uint64':
        out.push(view.getBigUint64(o, true));
        break;
      default:
        return undefined;
    }
  }
  return out;
}

/**
 * Decodes typed-field data (int32_data etc.). ONNX stores 16-bit floats and small integers in
 * int32_data as bit patterns or widened values.
 */
export function decodeTyped(values: ArrayLike<number>, dtype: string, limit: number): number[] {
  const out: number[] = [];
  const n = Math.min(limit, values.length);
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    out.push(dtype === 'float16' ? halfToFloat(v & 0xffff) : v);
  }
  return out;
}

/**
 * Makes a display preview of a constant tensor.
 * @param limit how many values to decode at most
 */
export async function previewTensor(
  tensor: ConstTensor,
  source: ExternalDataSource | undefined,
  limit = 16,
  /** The model file, for tensors whose bytes were left in it (`deferred`). */
  modelFile?: Blob,
): Promise<TensorPreview> {
  const dims = tensor.dims;
  const count = elementCount(dims);
  const base = { dtype: String(tensor.dtype), dims, count };
  const data = tensor.data;
  switch (data.kind) {
    case 'empty':
      return { ...base, values: [], storage: 'inline', note: count === 0 ? undefined : 'the tensor holds no data' };
    case 'strings':
      return {
        ...base,
        storage: 'inline',
        values: data.values.slice(0, limit).map((s) => JSON.stringify(new TextDecoder().decode(s))),
      };
    case 'typed':
      return {
        ...base,
        storage: 'inline',
        values: decodeTyped(data.values, base.dtype, limit).map((v) => format(v, base.dtype)),
      };
    case 'raw': {
      const decoded = decodeRaw(data.bytes, base.dtype, limit);
      if (!decoded)
        return { ...base, values: [], storage: 'inline', note: `values of dtype ${base.dtype} are not previewed` };
      return { ...base, storage: 'inline', values: decoded.map((v) => format(v, base.dtype)) };
    }
    case 'external': {
      const storage = `external: ${data.location} @ ${data.offset}`;
      const norm = normalizeExternalLocation(data.location);
      if (!norm.ok) return { ...base, values: [], storage, note: `external data refused: ${norm.reason}` };
      if (!source || !source.has(norm.path)) {
        return {
          ...base,
          values: [],
          storage,
          note: `the weights file "${norm.path}" was not given; drop it together with the model to see these values`,
        };
      }
      const bits = dtypeBits(base.dtype);
      if (bits === 0) return { ...base, values: [], storage, note: `values of dtype ${base.dtype} are not previewed` };
      const want = Math.ceil((Math.min(limit, count) * bits) / 8);
      const length = data.length === null ? want : Math.min(want, data.length);
      try {
        const bytes = await source.read(norm.path, data.offset, length);
        const decoded = decodeRaw(bytes, base.dtype, limit) ?? [];
        return { ...base, storage, values: decoded.map((v) => format(v, base.dtype)) };
      } catch (err) {
        return { ...base, values: [], storage, note: `could not read external data: ${(err as Error).message}` };
      }
    }
    case 'deferred': {
      // A large weight of the model file, left there when the model was opened: read its first values.
      const storage = 'inline';
      const bits = dtypeBits(base.dtype);
      if (bits === 0) return { ...base, values: [], storage, note: `values of dtype ${base.dtype} are not previewed` };
      if (!modelFile)
        return { ...base, values: [], storage, note: 'the model file is not at hand to read these values' };
      const want = Math.min(data.length, Math.ceil((Math.min(limit, count) * bits) / 8));
      try {
        const bytes = new Uint8Array(await modelFile.slice(data.offset, data.offset + want).arrayBuffer());
        const decoded = decodeRaw(bytes, base.dtype, limit) ?? [];
        return { ...base, storage, values: decoded.map((v) => format(v, base.dtype)) };
      } catch (err) {
        return { ...base, values: [], storage, note: `could not read the values: ${(err as Error).message}` };
      }
    }
  }
}
