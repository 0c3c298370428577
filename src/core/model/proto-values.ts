/**
 * How the reader turns a few ONNX protobuf values into the IR's: shared by its two decoders (the
 * direct one, read-direct.ts, and the general one over protobufjs in read-onnx.ts), which must give
 * the same model for the same bytes.
 */
import type { AttributeValue } from './types';

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

/** A byte offset or length written as decimal text; undefined unless a safe non-negative integer. */
export function parseExternalNumber(text: string): number | undefined {
  if (!/^\s*\d+\s*$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}
