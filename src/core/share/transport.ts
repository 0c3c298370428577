/** The transport of a share-link payload: base64url of deflate-raw, inflated with a cap. */
import { ASK_SENDER, fmt, ShareLinkError } from './payload';

// ---------------------------------------------------------------------------------------------
// Transport: base64url and deflate-raw, with the platform's streams.

export function toBase64Url(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function fromBase64Url(text: string): Uint8Array {
  const bad = /[^A-Za-z0-9_-]/.exec(text);
  if (bad) {
    throw new ShareLinkError(
      'bad-base64',
      `This share link has the character ${JSON.stringify(bad[0])} at position ${bad.index + 1} of its payload, which base64url does not use`,
      `${ASK_SENDER}.`,
    );
  }
  if (text.length % 4 === 1)
    throw new ShareLinkError(
      'bad-base64',
      `This share link's payload has ${fmt(text.length)} characters, a length base64url cannot have, so it was cut`,
      `${ASK_SENDER}.`,
    );
  const bin = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export async function deflate(bytes: Uint8Array): Promise<Uint8Array> {
  const cs = new CompressionStream('deflate-raw');
  const writer = cs.writable.getWriter();
  void writer.write(bytes as Uint8Array<ArrayBuffer>).catch(() => undefined);
  void writer.close().catch(() => undefined);
  const chunks: Uint8Array[] = [];
  const reader = cs.readable.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
  }
  return concat(chunks);
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Inflates deflate-raw bytes, stopping (and cancelling the stream) as soon as `cap` bytes are passed. */
export async function inflateCapped(bytes: Uint8Array, cap: number): Promise<Uint8Array> {
  const ds = new DecompressionStream('deflate-raw');
  const writer = ds.writable.getWriter();
  // Errors surface on the reading side; these would otherwise be unhandled rejections.
  void writer.write(bytes as Uint8Array<ArrayBuffer>).catch(() => undefined);
  void writer.close().catch(() => undefined);
  const reader = ds.readable.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    let step: ReadableStreamReadResult<Uint8Array>;
    try {
      step = await reader.read();
    } catch (err) {
      throw new ShareLinkError(
        'bad-compression',
        `This share link's payload is not valid deflate data (${(err as Error).message})`,
        `${ASK_SENDER}.`,
      );
    }
    if (step.done) break;
    total += step.value.length;
    if (total > cap) {
      await reader.cancel().catch(() => undefined);
      throw new ShareLinkError(
        'too-large',
        `This share link's payload expands to more than ${fmt(cap / 1024 / 1024)} MiB (the limit)`,
        'The link is refused; no QuantLens makes payloads that large, so it was not made by one.',
      );
    }
    chunks.push(step.value);
  }
  return concat(chunks);
}

export function parseJson(bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ShareLinkError('bad-json', "This share link's payload is not UTF-8 text", `${ASK_SENDER}.`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ShareLinkError(
      'bad-json',
      `This share link's payload is not valid JSON (${(err as Error).message})`,
      `${ASK_SENDER}.`,
    );
  }
}
