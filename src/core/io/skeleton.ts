/**
 * Reading a large model without its weights. An ONNX file is mostly the raw bytes of a few large
 * initializers (ResNet-18 QDQ: 44 of its 45 MB); drawing and checking need their names, types and
 * shapes, never their values (the checks read scales, zero points and small integer constants).
 * This walks the file's protobuf through slices of the Blob, keeps everything else, and leaves
 * each large `raw_data` of the main graph's initializers where it is: the tensor is rewritten to
 * point at its bytes in the file itself (a reserved external-data location that the reader turns
 * into a `deferred` tensor), so the rest of the reader runs unchanged on a buffer of a few hundred
 * kilobytes. Values are read from the file when something asks for them (a preview, the quantizer).
 *
 * The walk reads only field headers (a tag and a length): what is kept is recorded as ranges of
 * the file and copied once at the end, from the slices the walk read where it can. A 100k-node
 * graph has 100k such headers; reading them synchronously within a slice, rather than awaiting
 * each one, is what keeps the walk to a few hundred milliseconds.
 */

import { SELF_LOCATION } from '../model/external-data';
import { varintBytes } from '../model/protobuf-wire';

/** A raw_data field at least this long stays in the file. */
export const DEFER_MIN_BYTES = 256 * 1024;

/** The first slice read at a new place in the file; slices read one after another double, up to MAX. */
const FIRST_SLICE = 64 * 1024;
/**
 * The first slice of all, at the file's start: the model's header, its nodes and whatever
 * initializers precede the first large weight, which real exports put 0.5-1.5 MB in (see
 * giveUpBytes). A Blob read costs about 4 ms however small in Chromium here, so reaching that far
 * in doubling slices from 64 KiB took ResNet-18's walk 4 reads and PP-OCRv4's 3 before it gave up.
 */
const OPENING_SLICE = 1024 * 1024;
const MAX_SLICE = 4 * 1024 * 1024;
/**
 * A walk that has read this much of the file without finding a weight to leave behind gives up:
 * the rest of the file is read in one piece behind the slices already read. Its weights are small
 * or come late, and walking the whole file in slices costs more than one read (in Chromium here:
 * PP-OCRv4's 10.8 MB 250-290 ms walked, 100-150 ms read whole; a 62 MB 100k-node graph 0.9 s
 * against 0.6 s).
 */
export const GIVE_UP_BYTES = 4 * 1024 * 1024;

/**
 * Where the walk of a file of `size` bytes gives up: a tenth of the file, from 1 MiB up to
 * {@link GIVE_UP_BYTES}. The first large weight of the real models at hand lies 0.5-1.5 MB in
 * (ResNet-18 0.63, IS-Net 0.80, MobileNetV3 1.46 MB); a file walked in vain is read again in one
 * piece, and the slices before that cost the most on a small file: PP-OCRv4's recogniser (10.3 MB,
 * every weight a Constant node) took 186-262 ms to give up at 4 MiB in Chromium here, against
 * ~105 ms to read whole.
 */
export function giveUpBytes(size: number): number {
  return Math.min(GIVE_UP_BYTES, Math.max(1024 * 1024, Math.floor(size / 10)));
}

/**
 * Nodes at least this long carry a tensor (a Constant's value): the walk keeps nodes whole, so it
 * cannot leave such weights behind.
 */
const HEAVY_NODE_BYTES = 64 * 1024;

/** The walk gave up (see giveUpBytes). */
class NotWorthIt extends Error {}

/** A field header: a tag and a length, each a varint of at most 10 bytes. */
const HEADER_MAX = 20;

const LEN = 2;

/** What the skeleton holds, in order: a range of the file, or bytes written for it. */
type Piece = { from: number; to: number } | Uint8Array;

/**
 * Reads bytes [from, to) of the file. A Blob's own slices by default; the command line reads the
 * file it opened with positioned reads instead (each Blob read is an asynchronous round trip,
 * about 1.5 ms in Node and 2-6 ms in Chromium here, and a walk makes dozens).
 */
export type ReadRange = ((from: number, to: number) => Uint8Array<ArrayBuffer> | Promise<Uint8Array<ArrayBuffer>>) & {
  /**
   * Reads bytes [from, to) into `out` at `at`, at once: a reader whose reads cost microseconds (a
   * positioned read of a file in Node) gives this, and the walk then reads only the headers it
   * parses, in small slices, and each range it keeps once, straight into the skeleton.
   */
  into?: (from: number, to: number, out: Uint8Array, at: number) => void;
};

/**
 * The slice a walk over cheap reads ({@link ReadRange.into}) reads at a time: enough for the
 * headers of the nodes and small tensors that follow one another.
 */
const CHEAP_SLICE = 16 * 1024;

/** A Blob's slices as a {@link ReadRange}. */
export function blobRanges(blob: Blob): ReadRange {
  return async (from, to) => new Uint8Array(await blob.slice(from, to).arrayBuffer());
}

/** A cursor over a Blob that reads it in slices as the walk moves forward, and keeps the slices. */
class BlobCursor {
  /** The slices read, in file order (the walk only moves forward). */
  readonly slices: { start: number; bytes: Uint8Array }[] = [];
  /** Bytes read so far. */
  read = 0;
  /** Whether a weight has been left behind yet (until then, slices stop at `giveUp`). */
  deferring = false;
  /** Bytes of heavy nodes (HEAVY_NODE_BYTES) met before any weight was left behind. */
  heavyNodes = 0;
  /** Bytes read without a weight left behind after which the walk gives up. */
  readonly giveUp: number;
  private buf = new Uint8Array(0);
  private start = 0;
  pos = 0;
  /** Reads cost microseconds (see {@link ReadRange.into}): kept bodies are not read on the way. */
  readonly cheap: boolean;
  constructor(
    private readonly blob: Blob,
    private readonly readRange: ReadRange,
  ) {
    this.giveUp = giveUpBytes(blob.size);
    this.cheap = !!readRange.into;
  }
  get size(): number {
    return this.blob.size;
  }
  /** Whether bytes [pos, pos + n), clipped to the file, are in the current slice. */
  has(n: number): boolean {
    const end = Math.min(this.pos + n, this.blob.size);
    return this.pos >= this.start && end <= this.start + this.buf.length;
  }
  /** Reads a slice holding [pos, pos + n) unless the current one does. */
  async load(n: number): Promise<void> {
    if (this.has(n)) return;
    const sequential = this.pos <= this.start + this.buf.length && this.buf.length > 0;
    const first = this.read === 0 ? OPENING_SLICE : FIRST_SLICE;
    let size = Math.max(n, sequential ? Math.min(this.buf.length * 2, MAX_SLICE) : first);
    // Read no further than the point where the walk would give up.
    if (!this.deferring) size = Math.max(n, Math.min(size, this.giveUp + 1 - this.read));
    if (this.cheap) size = Math.max(n, CHEAP_SLICE);
    const to = Math.min(this.blob.size, this.pos + size);
    const end = this.start + this.buf.length;
    // The current slice's tail is kept, not read again: only what lies past it is read.
    const from = this.pos >= this.start && this.pos < end ? end : this.pos;
    const fresh = await this.readRange(from, to);
    this.read += fresh.length;
    this.slices.push({ start: from, bytes: fresh });
    if (from === this.pos) this.buf = fresh;
    else {
      const joined = new Uint8Array(to - this.pos);
      joined.set(this.buf.subarray(this.pos - this.start));
      joined.set(fresh, end - this.pos);
      this.buf = joined;
    }
    this.start = this.pos;
  }
  /** A varint at pos (its bytes must be loaded, or the file must end). */
  varint(): number {
    const at = this.pos - this.start;
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.buf[at + i];
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
  /** Bytes [pos, pos + n) as a copy, reading them if needed. */
  async bytes(n: number): Promise<Uint8Array> {
    await this.load(n);
    const at = this.pos - this.start;
    if (at + n > this.buf.length) throw new RangeError('the file ends inside a field');
    this.pos += n;
    return this.buf.slice(at, at + n);
  }
  /** Copies bytes [from, to) of the file into `out` at `at`, from the slices read or the file. */
  async copy(from: number, to: number, out: Uint8Array, at: number, next: { slice: number }): Promise<void> {
    if (this.readRange.into) return this.readRange.into(from, to, out, at);
    let pos = from;
    while (pos < to) {
      while (next.slice < this.slices.length) {
        const s = this.slices[next.slice]!;
        if (s.start + s.bytes.length > pos) break;
        next.slice++;
      }
      const s = this.slices[next.slice];
      if (s && s.start <= pos) {
        const end = Math.min(to, s.start + s.bytes.length);
        out.set(s.bytes.subarray(pos - s.start, end - s.start), at + pos - from);
        pos = end;
        continue;
      }
      // Not read on the way (the walk stepped over it): read it now.
      const end = Math.min(to, s ? s.start : to);
      out.set(await this.readRange(pos, end), at + pos - from);
      pos = end;
    }
  }
}

const pieceLength = (p: Piece) => (p instanceof Uint8Array ? p.length : p.to - p.from);

/** A length-delimited field around pieces. */
function lenField(field: number, body: readonly Piece[]): Piece[] {
  const length = body.reduce((n, p) => n + pieceLength(p), 0);
  const out: Piece[] = [varintBytes(field * 8 + LEN), varintBytes(length)];
  for (const p of body) out.push(p);
  return out;
}

function stringField(field: number, text: string): Piece[] {
  return lenField(field, [new TextEncoder().encode(text)]);
}

/** Pieces, with a range of the file joined to the range before it when they touch. */
class Pieces {
  readonly list: Piece[] = [];
  keep(from: number, to: number): void {
    const last = this.list[this.list.length - 1];
    if (last && !(last instanceof Uint8Array) && last.to === from) last.to = to;
    else this.list.push({ from, to });
  }
  /** Appends pieces (an array, not arguments: a graph may leave thousands of tensors behind). */
  push(pieces: readonly Piece[]): void {
    for (const p of pieces)
      if (p instanceof Uint8Array) this.list.push(p);
      else this.keep(p.from, p.to);
  }
}

/**
 * Keeps a whole field. Its body is read now, in the walk's own slices: a body stepped over would
 * cost a read of its own at the end (in Chromium each read of a dropped file costs 2-3 ms however
 * small it is; IS-Net's walk made 105 reads, most of them for bodies of 64-256 KiB).
 */
async function keepField(c: BlobCursor, pieces: Pieces, f: { at: number; end: number }): Promise<void> {
  if (!c.cheap && !c.has(f.end - c.pos)) await c.load(f.end - c.pos);
  pieces.keep(f.at, f.end);
  c.pos = f.end;
}

/** One field's header at the cursor: where the field starts, its number and wire type, where its body is. */
async function header(
  c: BlobCursor,
): Promise<{ at: number; field: number; wire: number; bodyAt: number; end: number }> {
  if (!c.has(HEADER_MAX)) await c.load(HEADER_MAX);
  const at = c.pos;
  const tag = c.varint();
  const field = Math.floor(tag / 8);
  const wire = tag & 7;
  let length = 0;
  if (wire === LEN) length = c.varint();
  else if (wire === 0) c.varint();
  else if (wire === 1) length = 8;
  else if (wire === 5) length = 4;
  else throw new RangeError(`wire type ${wire} is not one ONNX uses`);
  const bodyAt = c.pos;
  const end = bodyAt + length;
  if (end > c.size) throw new RangeError('the file ends inside a field');
  return { at, field, wire, bodyAt, end };
}

/** A TensorProto whose large raw_data stays in the file: its other fields, then a pointer to it. */
async function tensorWithoutData(c: BlobCursor, end: number): Promise<Piece[] | undefined> {
  const kept = new Pieces();
  let deferred: { offset: number; length: number } | undefined;
  while (c.pos < end) {
    const f = await header(c);
    if (f.field === 9 && f.wire === LEN && f.end - f.bodyAt >= DEFER_MIN_BYTES) {
      deferred = { offset: f.bodyAt, length: f.end - f.bodyAt };
      c.pos = f.end;
      continue;
    }
    // data_location or external_data already: nothing to defer; keep the tensor as written.
    if (f.field === 13 || f.field === 14) return undefined;
    await keepField(c, kept, f);
  }
  if (!deferred) return undefined;
  const entry = (key: string, value: string) => lenField(13, [...stringField(1, key), ...stringField(2, value)]);
  return [
    ...kept.list,
    ...entry('location', SELF_LOCATION),
    ...entry('offset', String(deferred.offset)),
    ...entry('length', String(deferred.length)),
    // data_location = EXTERNAL
    Uint8Array.of(14 * 8, 1),
  ];
}

/** The main graph with its large initializers' data left in the file. */
async function graphWithoutData(c: BlobCursor, end: number): Promise<{ body: Piece[]; deferred: number }> {
  const body = new Pieces();
  let deferred = 0;
  while (c.pos < end) {
    const f = await header(c);
    if (f.field === 5 && f.wire === LEN && f.end - f.bodyAt >= DEFER_MIN_BYTES) {
      const tensor = await tensorWithoutData(c, f.end);
      if (tensor) {
        body.push(lenField(5, tensor));
        deferred++;
        c.deferring = true;
        c.pos = f.end;
        continue;
      }
    }
    // Weights kept in the nodes themselves (paddle2onnx writes every weight as a Constant node,
    // before any initializer): once such nodes add up to what one deferred weight would be, the
    // walk stops before reading them. PP-OCRv4's recogniser gives up after 3 reads and 0.40 MB,
    // not 5 reads and 1.08 MB.
    if (deferred === 0 && f.field === 1 && f.end - f.bodyAt >= HEAVY_NODE_BYTES) {
      c.heavyNodes += f.end - f.bodyAt;
      if (c.heavyNodes >= DEFER_MIN_BYTES) throw new NotWorthIt();
    }
    await keepField(c, body, f);
    if (deferred === 0 && c.read > c.giveUp) throw new NotWorthIt();
  }
  return { body: body.list, deferred };
}

/**
 * The model's bytes without the raw data of its large main-graph initializers (`deferred` of
 * them). With none (nothing worth leaving in the first giveUpBytes(size), or at all), the bytes are
 * the whole file, read in one piece after the walk's slices. Throws RangeError when the protobuf framing is broken: the caller
 * reads the whole file, whose reader explains.
 */
export async function readSkeleton(
  file: Blob,
  read: ReadRange = blobRanges(file),
): Promise<{ bytes: Uint8Array; deferred: number }> {
  const c = new BlobCursor(file, read);
  try {
    return await walk(c);
  } catch (err) {
    if (!(err instanceof NotWorthIt)) throw err;
    // The whole file in one read, the slices walked included: in Chromium here, reading PP-OCRv4's
    // 10.8 MB again whole took 76-88 ms where joining the slices read and the rest into a new
    // buffer took 110-127 ms (every fresh megabyte costs page faults on this kind of machine, and
    // that way two buffers of the file's size were filled).
    return { bytes: await read(0, file.size), deferred: 0 };
  }
}

async function walk(c: BlobCursor): Promise<{ bytes: Uint8Array; deferred: number }> {
  const pieces = new Pieces();
  let deferred = 0;
  while (c.pos < c.size) {
    const f = await header(c);
    if (f.field === 7 && f.wire === LEN) {
      const graph = await graphWithoutData(c, f.end);
      if (graph.deferred > 0) {
        pieces.push(lenField(7, graph.body));
        deferred += graph.deferred;
      } else pieces.keep(f.at, f.end);
      c.pos = f.end;
      continue;
    }
    await keepField(c, pieces, f);
  }
  const bytes = new Uint8Array(pieces.list.reduce((n, p) => n + pieceLength(p), 0));
  let at = 0;
  const next = { slice: 0 };
  for (const p of pieces.list) {
    if (p instanceof Uint8Array) bytes.set(p, at);
    else await c.copy(p.from, p.to, bytes, at, next);
    at += pieceLength(p);
  }
  return { bytes, deferred };
}
