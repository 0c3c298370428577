// The protobufjs runtime, configured for ONNX: 64-bit integers decode to JS numbers
// (exact up to 2^53, which covers every dimension and offset a real model can hold),
// so the reader never allocates Long objects.
import $protobuf from 'protobufjs/minimal.js';

$protobuf.util.Long = null;
$protobuf.configure();

// Strings decode flat. protobufjs builds a string under 64 bytes 8 characters at a time
// (`str += String.fromCharCode(...)`), so every node and tensor name arrived as a rope of up to
// 8 pieces, copied flat again the first time it was hashed: 0.4-0.6 s of a 100k-node model's
// load went to the first Map lookups of its names, and the ropes fed the garbage collector.
const loose = new TextDecoder('utf-8');
/**
 * While a model is decoded, short ASCII strings are interned: a tensor's name comes once as a
 * node's output and again as each consumer's input, in value_info and in the Q/DQ nodes around
 * it, and op types and attribute names repeat thousands of times. Each repeat then costs a hash
 * of its bytes and a comparison, not a new string; and every copy is one string, whose hash the
 * model's Maps compute once.
 */
let interned = null;

/** Interns strings from now on (a new table), or stops and drops the table. */
export function internStrings(on) {
  interned = on ? new Map() : null;
}

function sameAscii(s, buffer, start) {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) !== buffer[start + i]) return false;
  return true;
}

/** Bytes [start, end) as a string when they are all ASCII, else undefined. */
function asciiString(buffer, start, end) {
  for (let i = start; i < end; i++) if (buffer[i] & 0x80) return undefined;
  return String.fromCharCode.apply(null, buffer.subarray(start, end));
}

$protobuf.util.utf8.read = function readFlat(buffer, start, end) {
  const n = end - start;
  if (n < 1) return '';
  if (n > 256) return loose.decode(buffer.subarray(start, end));
  if (interned === null) return asciiString(buffer, start, end) ?? loose.decode(buffer.subarray(start, end));
  // The key: a hash of the length and the bytes, as a small integer, which a Map keys without
  // allocating (a 32-bit one is a heap number). (Hashing only some of the bytes made names that
  // differ in the middle collide, "/layer1/layer1.0/relu/Relu_output_0" and "…1.1…", and each
  // repeat of the second became a string of its own.)
  let h = n;
  for (let i = start; i < end; i++) h = Math.imul(h ^ buffer[i], 16777619);
  h &= 0x3fffffff;
  const known = interned.get(h);
  // Only ASCII strings are interned, so a match is ASCII too.
  if (known !== undefined && known.length === n && sameAscii(known, buffer, start)) return known;
  const ascii = asciiString(buffer, start, end);
  if (ascii === undefined) return loose.decode(buffer.subarray(start, end));
  if (known === undefined) interned.set(h, ascii);
  return ascii;
};

export default $protobuf;
