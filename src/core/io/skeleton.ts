/**
 * Reading a large model without its weights. An ONNX file is mostly the raw bytes of a few large
 * initializers (ResNet-18 QDQ: 44 of its 45 MB); drawing and checking need their names, types and
 * shapes, never their values (the checks read scales, zero points and small integer constants).
 * This walks the file's protobuf through slices of the Blob, copies everything else, and leaves
 * each large `raw_data` of the main graph's initializers where it is: the tensor is rewritten to
 * point at its bytes in the file itself (a reserved external-data location that the reader turns
 * into a `deferred` tensor), so the rest of the reader runs unchanged on a buffer of a few hundred
 * kilobytes. Values are read from the file when something asks for them (a preview, the quantizer).
 */

import { SELF_LOCATION } from '../model/external-data';

/** A raw_data field at least this long stays in the file. */
export const DEFER_MIN_BYTES = 256 * 1024;

/** Bytes read per slice of the file. */
const CHUNK = 1 << 20;

const LEN = 2;

/** A cursor over a Blob, reading it in slices as the walk moves forward. */
class BlobCursor {
  private buf = new Uint8Array(0);
  private start = 0;
  constructor(
    private readonly blob: Blob,
    public pos = 0,
  ) {}
  get size(): number {
    return this.blob.size;
  }
  /** Makes bytes [pos, pos + n) available; returns the buffer and the index of pos in it. */
  async need(n: number): Promise<{ buf: Uint8Array; at: number }> {
    const end = Math.min(this.pos + n, this.blob.size);
    if (this.pos < this.start || end > this.start + this.buf.length) {
      const to = Math.min(this.blob.size, Math.max(end, this.pos + CHUNK));
      this.buf = new Uint8Array(await this.blob.slice(this.pos, to).arrayBuffer());
      this.start = this.pos;
    }
    return { buf: this.buf, at: this.pos - this.start };
  }
  async varint(): Promise<number> {
    const { buf, at } = await this.need(10);
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const b = buf[at + i];
      if (b === undefined) throw new RangeError('the file ends inside a varint');
      value += (b & 0x7f) * scale;
      if (b < 0x80) {
        this.pos += i + 1;
        return value;
      }
      scale *= 128;
    }
    throw new RangeError('a varint longer than 10 bytes');
  }
  async bytes(n: number): Promise<Uint8Array> {
    if (n > CHUNK) return new Uint8Array(await this.blob.slice(this.pos, (this.pos += n)).arrayBuffer());
    const { buf, at } = await this.need(n);
    if (at + n > buf.length) throw new RangeError('the file ends inside a field');
    this.pos += n;
    return buf.slice(at, at + n);
  }
}

function varintBytes(value: number): Uint8Array {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Uint8Array.from(out);
}

function lenField(field: number, body: Uint8Array[]): Uint8Array[] {
  const length = body.reduce((n, b) => n + b.length, 0);
  return [varintBytes(field * 8 + LEN), varintBytes(length), ...body];
}

function stringField(field: number, text: string): Uint8Array[] {
  return lenField(field, [new TextEncoder().encode(text)]);
}

/**
 * One field: its tag, and for a length-delimited one where its body starts in the file and how
 * long it is; other wire types are copied whole.
 */
async function readField(
  c: BlobCursor,
): Promise<{ field: number; wire: number; head: Uint8Array; bodyAt: number; bodyLength: number }> {
  const tagAt = c.pos;
  const tag = await c.varint();
  const field = Math.floor(tag / 8);
  const wire = tag & 7;
  let bodyLength = 0;
  if (wire === LEN) bodyLength = await c.varint();
  else if (wire === 0) await c.varint();
  else if (wire === 1) c.pos += 8;
  else if (wire === 5) c.pos += 4;
  else throw new RangeError(`wire type ${wire} is not one ONNX uses`);
  const bodyAt = c.pos;
  c.pos = tagAt;
  const head = await c.bytes(bodyAt - tagAt);
  return { field, wire, head, bodyAt, bodyLength };
}

/** A TensorProto whose large raw_data stays in the file: its other fields, then a pointer to it. */
async function tensorWithoutData(c: BlobCursor, end: number): Promise<Uint8Array[] | undefined> {
  const kept: Uint8Array[] = [];
  let deferred: { offset: number; length: number } | undefined;
  while (c.pos < end) {
    const f = await readField(c);
    if (f.field === 9 && f.wire === LEN && f.bodyLength >= DEFER_MIN_BYTES) {
      deferred = { offset: f.bodyAt, length: f.bodyLength };
      c.pos = f.bodyAt + f.bodyLength;
      continue;
    }
    // data_location or external_data already: nothing to defer; keep the tensor as written.
    if (f.field === 13 || f.field === 14) return undefined;
    const body = f.wire === LEN ? await c.bytes(f.bodyLength) : new Uint8Array(0);
    if (f.wire !== LEN) {
      // Fixed and varint fields were read whole into `head`.
      kept.push(f.head);
      continue;
    }
    kept.push(f.head, body);
  }
  if (!deferred) return undefined;
  const entry = (key: string, value: string) => lenField(13, [...stringField(1, key), ...stringField(2, value)]);
  return [
    ...kept,
    ...entry('location', SELF_LOCATION),
    ...entry('offset', String(deferred.offset)),
    ...entry('length', String(deferred.length)),
    // data_location = EXTERNAL
    Uint8Array.of(14 * 8, 1),
  ];
}

/** The main graph with its large initializers' data left in the file. */
async function graphWithoutData(c: BlobCursor, end: number): Promise<{ body: Uint8Array[]; deferred: number }> {
  const body: Uint8Array[] = [];
  let deferred = 0;
  while (c.pos < end) {
    const f = await readField(c);
    if (f.field === 5 && f.wire === LEN && f.bodyLength >= DEFER_MIN_BYTES) {
      c.pos = f.bodyAt;
      const tensor = await tensorWithoutData(c, f.bodyAt + f.bodyLength);
      if (tensor) {
        body.push(...lenField(5, tensor));
        deferred++;
        c.pos = f.bodyAt + f.bodyLength;
        continue;
      }
      c.pos = f.bodyAt;
    }
    body.push(f.head);
    if (f.wire === LEN) body.push(await c.bytes(f.bodyLength));
  }
  return { body, deferred };
}

/**
 * The model's bytes without the raw data of its large main-graph initializers (`deferred` of
 * them; with none, the bytes are the whole model, so the file is never read twice). Throws
 * RangeError when the protobuf framing is broken: the caller reads the whole file, whose reader
 * explains.
 */
export async function readSkeleton(file: Blob): Promise<{ bytes: Uint8Array; deferred: number }> {
  const c = new BlobCursor(file);
  const parts: Uint8Array[] = [];
  let deferred = 0;
  while (c.pos < c.size) {
    const f = await readField(c);
    if (f.field === 7 && f.wire === LEN) {
      const graph = await graphWithoutData(c, f.bodyAt + f.bodyLength);
      parts.push(...lenField(7, graph.body));
      deferred += graph.deferred;
      c.pos = f.bodyAt + f.bodyLength;
      continue;
    }
    parts.push(f.head);
    if (f.wire === LEN) parts.push(await c.bytes(f.bodyLength));
  }
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.length;
  }
  return { bytes, deferred };
}
