/**
 * How the reader turns a few ONNX protobuf values into the IR's: shared by its two decoders (the
 * direct one, read-direct.ts, and the general one over protobufjs in read-onnx.ts), which must give
 * the same model for the same bytes.
 */
import { SELF_LOCATION } from './external-data';
import type { AttributeValue, TensorData } from './types';

type ExternalData = Extract<TensorData, { kind: 'external' }>;

/** AttributeProto.AttributeType by number. */
export const ATTR_TYPE_NAMES: Record<number, AttributeValue['type']> = {
  0: 'undefined',
  1: 'float',
  2: 'int',
  3: 'string',
  4: 'tensor',
  5: 'graph',
  6: 'floats',
  7: 'ints',
  8: 'strings',
  9: 'tensors',
  10: 'graphs',
  11: 'sparse_tensor',
  12: 'sparse_tensors',
  13: 'type_proto',
  14: 'type_protos',
};

/** Decodes a `strings` attribute's items: bytes that are not UTF-8 become U+FFFD. */
export const utf8 = new TextDecoder('utf-8', { fatal: false });
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A string attribute's text, or undefined when its bytes are binary data: a control byte other
 * than tab, line feed, vertical tab, form feed or carriage return among the first 4 KiB, or bytes
 * that are not UTF-8. (A compiled context binary starts with NUL bytes.)
 */
export function textOf(bytes: Uint8Array): string | undefined {
  const head = Math.min(bytes.length, 4096);
  for (let i = 0; i < head; i++) {
    const c = bytes[i]!;
    if (c < 9 || (c > 13 && c < 32)) return undefined;
  }
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * An external tensor's data, from its external_data entries (the last of a key wins): an offset or
 * length that is not a safe non-negative integer reads -1 (see {@link unusableExternal}), a length
 * not given reads null.
 */
export function externalData(entries: Iterable<readonly [string, string]>): ExternalData {
  const map = new Map(entries);
  const offset = parseExternalNumber(map.get('offset') ?? '0');
  const lengthText = map.get('length');
  const length = lengthText !== undefined && lengthText !== '' ? parseExternalNumber(lengthText) : null;
  return {
    kind: 'external',
    location: map.get('location') ?? '',
    offset: offset ?? -1,
    length: length === undefined ? -1 : length,
    checksum: map.get('checksum'),
  };
}

/**
 * In a skeleton (io/skeleton.ts), data that lies in the model file itself (SELF_LOCATION, at a
 * known offset and length): deferred, read when asked for. Undefined for any other data.
 */
export function selfDeferred(d: TensorData): TensorData | undefined {
  return d.kind === 'external' && d.location === SELF_LOCATION && d.length !== null && d.offset >= 0
    ? { kind: 'deferred', offset: d.offset, length: d.length }
    : undefined;
}

/** Whether an external tensor's offset, and its length, are unusable (the reader warns of each). */
export function unusableExternal(d: ExternalData): { offset: boolean; length: boolean } {
  return { offset: d.offset < 0, length: d.length !== null && !(Number.isSafeInteger(d.length) && d.length >= 0) };
}

/** A byte offset or length written as decimal text; undefined unless a safe non-negative integer. */
function parseExternalNumber(text: string): number | undefined {
  if (!/^\s*\d+\s*$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}
