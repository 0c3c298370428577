/**
 * A protobuf wire-format scanner for the byte-level mutators: finds every field of a message and,
 * heuristically, of the messages nested in it (a length-delimited payload that scans cleanly to
 * its end is taken for a message), with the byte offsets where a cut or a corruption is
 * interesting. Knows nothing about ONNX.
 */

export interface WireField {
  /** Offset of the tag's first byte. */
  start: number;
  /** Offset just past the tag varint. */
  tagEnd: number;
  /** Offset where the payload starts (after the length varint for wire type 2). */
  payloadStart: number;
  /** Offset just past the field. */
  end: number;
  fieldNumber: number;
  wireType: number;
  /** Nesting level: 0 for fields of the top-level message. */
  depth: number;
}

/** Where a truncation can fall relative to the wire structure. */
export type BoundaryClass =
  | 'before-tag'
  | 'after-tag'
  | 'in-length'
  | 'after-length'
  | 'in-payload'
  | 'before-field-end'
  | 'in-varint-value'
  | 'in-fixed-value';

export const BOUNDARY_CLASSES: readonly BoundaryClass[] = [
  'before-tag',
  'after-tag',
  'in-length',
  'after-length',
  'in-payload',
  'before-field-end',
  'in-varint-value',
  'in-fixed-value',
];

/** Reads a varint at `pos`; undefined when it is unterminated or longer than 10 bytes. */
export function readVarint(bytes: Uint8Array, pos: number): { value: number; end: number } | undefined {
  let value = 0;
  for (let i = 0; i < 10; i++) {
    if (pos + i >= bytes.length) return undefined;
    const b = bytes[pos + i]!;
    value += (b & 0x7f) * 2 ** (7 * i);
    if (b < 0x80) return { value, end: pos + i + 1 };
  }
  return undefined;
}

/** Encodes a non-negative integer (up to 2^64) as a varint. */
export function encodeVarint(value: number | bigint): Uint8Array {
  let v = BigInt(value);
  if (v < 0n) v &= (1n << 64n) - 1n;
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return new Uint8Array(out);
}

/** Scans the fields of bytes[from, to); undefined when they do not scan cleanly to `to`. */
function scanLevel(bytes: Uint8Array, from: number, to: number, depth: number): WireField[] | undefined {
  const out: WireField[] = [];
  let pos = from;
  while (pos < to) {
    const tag = readVarint(bytes, pos);
    if (!tag || tag.end > to || tag.value < 8) return undefined;
    const wireType = tag.value % 8;
    const fieldNumber = Math.floor(tag.value / 8);
    let payloadStart = tag.end;
    let end: number;
    switch (wireType) {
      case 0: {
        const v = readVarint(bytes, tag.end);
        if (!v) return undefined;
        end = v.end;
        break;
      }
      case 1:
        end = tag.end + 8;
        break;
      case 5:
        end = tag.end + 4;
        break;
      case 2: {
        const len = readVarint(bytes, tag.end);
        if (!len) return undefined;
        payloadStart = len.end;
        end = len.end + len.value;
        break;
      }
      default:
        return undefined;
    }
    if (end > to) return undefined;
    out.push({ start: pos, tagEnd: tag.end, payloadStart, end, fieldNumber, wireType, depth });
    pos = end;
  }
  return out;
}

/**
 * Every field of the message in `bytes`, depth first, entering length-delimited payloads that
 * scan as messages. Stops at `maxFields` fields or `maxDepth` levels.
 */
export function scanFields(bytes: Uint8Array, maxDepth = 12, maxFields = 50_000): WireField[] {
  const out: WireField[] = [];
  const visit = (from: number, to: number, depth: number) => {
    const fields = scanLevel(bytes, from, to, depth);
    if (!fields) return;
    for (const f of fields) {
      if (out.length >= maxFields) return;
      out.push(f);
      if (f.wireType === 2 && depth < maxDepth && f.end - f.payloadStart >= 2) visit(f.payloadStart, f.end, depth + 1);
    }
  };
  visit(0, bytes.length, 0);
  return out;
}

/** The cut offsets of one boundary class, over the given fields (deduplicated, ascending). */
export function boundaries(fields: readonly WireField[], cls: BoundaryClass): number[] {
  const set = new Set<number>();
  for (const f of fields) {
    switch (cls) {
      case 'before-tag':
        set.add(f.start);
        break;
      case 'after-tag':
        set.add(f.tagEnd);
        break;
      case 'in-length':
        if (f.wireType === 2) for (let p = f.tagEnd + 1; p < f.payloadStart; p++) set.add(p);
        break;
      case 'after-length':
        if (f.wireType === 2) set.add(f.payloadStart);
        break;
      case 'in-payload':
        if (f.wireType === 2 && f.end - f.payloadStart >= 2) set.add(Math.floor((f.payloadStart + f.end) / 2));
        break;
      case 'before-field-end':
        if (f.end - f.tagEnd >= 1) set.add(f.end - 1);
        break;
      case 'in-varint-value':
        if (f.wireType === 0 && f.end - f.tagEnd >= 2) set.add(f.tagEnd + 1);
        break;
      case 'in-fixed-value':
        if (f.wireType === 1 || f.wireType === 5) set.add(f.tagEnd + 1);
        break;
    }
  }
  // Cutting before the first tag leaves an empty file: kept, it is a boundary like the others.
  return [...set].filter((p) => p > 0 || cls === 'before-tag').sort((a, b) => a - b);
}
