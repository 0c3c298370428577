/**
 * Protobuf's wire format at the level of a message's top-level fields: varints and the field
 * walk that the reader uses to tell a cut-short file from a corrupt one, and that the writer uses
 * to add fields to a model's graph without encoding it again.
 */

/**
 * The varint at `at`: its value and where it ends; undefined when the bytes end inside it, a NaN
 * value when it is longer than 10 bytes (corrupt). Values stay exact up to 2^53.
 */
export function readVarint(bytes: Uint8Array, at: number): { value: number; end: number } | undefined {
  let value = 0;
  for (let i = 0, scale = 1; i < 10; i++, scale *= 128) {
    const b = bytes[at + i];
    if (b === undefined) return undefined;
    value += (b & 0x7f) * scale;
    if (b < 0x80) return { value, end: at + i + 1 };
  }
  return { value: NaN, end: at + 10 };
}

/** A non-negative integer (up to 2^53) as a varint. */
export function varintBytes(value: number): Uint8Array {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Uint8Array.from(out);
}

/** A top-level field: its number, wire type, and where it starts, its value starts and it ends. */
export interface WireField {
  field: number;
  wire: number;
  at: number;
  valueAt: number;
  end: number;
}

/**
 * How the walk of a message's top-level fields ended: every field read; a field that runs past
 * the end of the bytes (`need`: the end its length gives, when it has one), the signature of a
 * cut-short file; or bytes that cannot be protobuf (an over-long varint, a group or an invalid
 * wire type).
 */
export type WalkEnd = { kind: 'complete' } | { kind: 'truncated'; at: number; need?: number } | { kind: 'corrupt' };

/**
 * Calls `visit` with each top-level field of the message in `bytes`, in order, without entering
 * nested messages (a cut anywhere inside one shows as the field that holds it running past the end).
 */
export function walkFields(bytes: Uint8Array, visit: (f: WireField) => void): WalkEnd {
  for (let at = 0; at < bytes.length;) {
    const tag = readVarint(bytes, at);
    if (!tag) return { kind: 'truncated', at };
    if (Number.isNaN(tag.value)) return { kind: 'corrupt' };
    const wire = tag.value % 8;
    let valueAt = tag.end;
    let end: number;
    if (wire === 0) {
      const v = readVarint(bytes, tag.end);
      if (!v) return { kind: 'truncated', at };
      if (Number.isNaN(v.value)) return { kind: 'corrupt' };
      end = v.end;
    } else if (wire === 1 || wire === 5) {
      end = tag.end + (wire === 1 ? 8 : 4);
      if (end > bytes.length) return { kind: 'truncated', at, need: end };
    } else if (wire === 2) {
      const length = readVarint(bytes, tag.end);
      if (!length) return { kind: 'truncated', at };
      if (Number.isNaN(length.value)) return { kind: 'corrupt' };
      valueAt = length.end;
      end = length.end + length.value;
      if (end > bytes.length) return { kind: 'truncated', at, need: end };
    } else return { kind: 'corrupt' };
    visit({ field: Math.floor(tag.value / 8), wire, at, valueAt, end });
    at = end;
  }
  return { kind: 'complete' };
}
