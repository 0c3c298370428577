/**
 * Byte-level mutators: they see the file as protobuf wire format (see wire.ts), not as ONNX, and
 * break it the ways disks, downloads and hostile authors do: cuts at every kind of field
 * boundary, bit flips, corrupted length and varint fields, wrong wire types, spliced chunks.
 */
import type { Prng } from './prng';
import { BOUNDARY_CLASSES, boundaries, encodeVarint, scanFields, type BoundaryClass, type WireField } from './wire';

export interface ByteMutation {
  bytes: Uint8Array;
  /** What was done, for the outcome table and for reproduction (`truncate:in-length@123`). */
  label: string;
}

export type ByteMutator = (bytes: Uint8Array, rng: Prng, fields: readonly WireField[]) => ByteMutation;

function splice(bytes: Uint8Array, at: number, remove: number, insert: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length - remove + insert.length);
  out.set(bytes.subarray(0, at), 0);
  out.set(insert, at);
  out.set(bytes.subarray(at + remove), at + insert.length);
  return out;
}

/** Cuts the file at `at` (exclusive). */
export function truncateAt(bytes: Uint8Array, at: number): Uint8Array {
  return bytes.slice(0, Math.max(0, Math.min(at, bytes.length)));
}

/** Cuts at a random boundary of the given class (or of a random class that has one). */
export function truncateAtClass(
  bytes: Uint8Array,
  rng: Prng,
  fields: readonly WireField[],
  cls?: BoundaryClass,
): ByteMutation {
  const classes = cls ? [cls] : BOUNDARY_CLASSES;
  const order = rng.shuffle(classes);
  for (const c of order) {
    const cuts = boundaries(fields, c);
    if (cuts.length) {
      const at = rng.pick(cuts);
      return { bytes: truncateAt(bytes, at), label: `truncate:${c}@${at}` };
    }
  }
  const at = rng.int(bytes.length);
  return { bytes: truncateAt(bytes, at), label: `truncate:anywhere@${at}` };
}

const truncate: ByteMutator = (bytes, rng, fields) => truncateAtClass(bytes, rng, fields);

const bitFlips: ByteMutator = (bytes, rng) => {
  const out = bytes.slice();
  const n = rng.weighted([
    [1, 5],
    [2, 2],
    [8, 2],
    [64, 1],
  ] as const);
  for (let i = 0; i < n && out.length; i++) {
    const at = rng.int(out.length);
    out[at]! ^= 1 << rng.int(8);
  }
  return { bytes: out, label: `bitflip:${n}` };
};

/** Flips bits only inside tags and length varints, where a flip changes the structure. */
const structuralFlip: ByteMutator = (bytes, rng, fields) => {
  if (!fields.length) return bitFlips(bytes, rng, fields);
  const f = rng.pick(fields);
  const out = bytes.slice();
  const at = rng.range(f.start, Math.max(f.start, f.payloadStart - 1));
  out[at]! ^= 1 << rng.int(8);
  return { bytes: out, label: `structflip:field${f.fieldNumber}@${at}` };
};

const ABSURD_LENGTHS: readonly (readonly [string, (len: number) => number | bigint])[] = [
  ['zero', () => 0],
  ['minus1', (l) => Math.max(0, l - 1)],
  ['plus1', (l) => l + 1],
  ['double', (l) => l * 2 + 1],
  ['2^31-1', () => 2 ** 31 - 1],
  ['2^32+5', () => 2 ** 32 + 5],
  ['2^53', () => 2 ** 53],
  ['2^63', () => 1n << 63n],
  ['2^64-1', () => (1n << 64n) - 1n],
];

/** Replaces a length-delimited field's length with a wrong one (re-encoding the varint). */
const corruptLength: ByteMutator = (bytes, rng, fields) => {
  const delimited = fields.filter((f) => f.wireType === 2);
  if (!delimited.length) return bitFlips(bytes, rng, fields);
  const f = rng.pick(delimited);
  const [name, make] = rng.pick(ABSURD_LENGTHS);
  const len = f.end - f.payloadStart;
  return {
    bytes: splice(bytes, f.tagEnd, f.payloadStart - f.tagEnd, encodeVarint(make(len))),
    label: `length:${name}@${f.tagEnd}`,
  };
};

/** Makes a varint over-long (11 bytes) or unterminated (every byte has its continuation bit). */
const corruptVarint: ByteMutator = (bytes, rng, fields) => {
  if (!fields.length) return bitFlips(bytes, rng, fields);
  const f = rng.pick(fields);
  const overlong = rng.chance(0.5);
  const at = rng.chance(0.5) ? f.start : f.tagEnd;
  const junk = overlong
    ? new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])
    : new Uint8Array(rng.range(1, 12)).fill(0x80);
  return { bytes: splice(bytes, at, 0, junk), label: `varint:${overlong ? 'overlong' : 'unterminated'}@${at}` };
};

/** Rewrites a tag with another wire type (including the invalid 6 and 7 and the group types). */
const wrongWireType: ByteMutator = (bytes, rng, fields) => {
  if (!fields.length) return bitFlips(bytes, rng, fields);
  const f = rng.pick(fields);
  const wt = rng.pick([0, 1, 2, 3, 4, 5, 6, 7].filter((w) => w !== f.wireType));
  const tag = encodeVarint(f.fieldNumber * 8 + wt);
  return { bytes: splice(bytes, f.start, f.tagEnd - f.start, tag), label: `wiretype:${f.wireType}->${wt}@${f.start}` };
};

/** Duplicates, deletes or moves whole fields, or splices random bytes in. */
const chunks: ByteMutator = (bytes, rng, fields) => {
  const op = rng.pick(['dup-field', 'drop-field', 'random-insert', 'zero-range', 'field-zero']);
  if (!fields.length || op === 'random-insert') {
    const junk = new Uint8Array(rng.range(1, 64)).map(() => rng.int(256));
    const at = rng.int(bytes.length + 1);
    return { bytes: splice(bytes, at, 0, junk), label: `chunks:insert${junk.length}@${at}` };
  }
  const f = rng.pick(fields);
  switch (op) {
    case 'dup-field':
      return {
        bytes: splice(bytes, f.end, 0, bytes.slice(f.start, f.end)),
        label: `chunks:dup-field${f.fieldNumber}@${f.start}`,
      };
    case 'drop-field':
      return {
        bytes: splice(bytes, f.start, f.end - f.start, new Uint8Array()),
        label: `chunks:drop-field${f.fieldNumber}@${f.start}`,
      };
    case 'field-zero':
      return { bytes: splice(bytes, f.start, 0, new Uint8Array([0x00])), label: `chunks:field-zero@${f.start}` };
    default: {
      const out = bytes.slice();
      const from = rng.int(out.length);
      out.fill(0, from, Math.min(out.length, from + rng.range(1, 32)));
      return { bytes: out, label: `chunks:zero-range@${from}` };
    }
  }
};

const FOREIGN_HEADS: readonly (readonly [string, Uint8Array])[] = [
  ['png', new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])],
  ['zip', new Uint8Array([0x50, 0x4b, 0x03, 0x04])],
  ['gzip', new Uint8Array([0x1f, 0x8b, 0x08, 0x00])],
  ['json', new TextEncoder().encode('{"activation_encodings": {}, "param_encodings": {}}')],
  ['prototxt', new TextEncoder().encode('ir_version: 8\ngraph { name: "g" }\n')],
  ['html', new TextEncoder().encode('<!doctype html><html><body>404 Not Found</body></html>')],
  ['nul', new Uint8Array(64)],
];

/** Another format's header over the start of the file, or a file of another format altogether. */
const foreign: ByteMutator = (bytes, rng) => {
  const [name, head] = rng.pick(FOREIGN_HEADS);
  if (rng.chance(0.5)) return { bytes: head.slice(), label: `foreign:${name}-only` };
  const out = bytes.slice();
  out.set(head.subarray(0, out.length));
  return { bytes: out, label: `foreign:${name}-head` };
};

/** The byte mutators with their relative weights. */
export const BYTE_MUTATORS: readonly (readonly [string, ByteMutator, number])[] = [
  ['truncate', truncate, 4],
  ['bitflip', bitFlips, 3],
  ['structflip', structuralFlip, 2],
  ['length', corruptLength, 3],
  ['varint', corruptVarint, 1],
  ['wiretype', wrongWireType, 1],
  ['chunks', chunks, 2],
  ['foreign', foreign, 1],
];

/** Applies one weighted-random byte mutator. */
export function mutateBytes(bytes: Uint8Array, rng: Prng): ByteMutation {
  const fields = scanFields(bytes);
  const mutator = rng.weighted(BYTE_MUTATORS.map(([, m, w]) => [m, w] as const));
  return mutator(bytes, rng, fields);
}
