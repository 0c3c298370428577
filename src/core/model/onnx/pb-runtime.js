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
$protobuf.util.utf8.read = function readFlat(buffer, start, end) {
  const n = end - start;
  if (n < 1) return '';
  if (n <= 256) {
    let ascii = true;
    for (let i = start; i < end; i++)
      if (buffer[i] & 0x80) {
        ascii = false;
        break;
      }
    if (ascii) return String.fromCharCode.apply(null, buffer.subarray(start, end));
  }
  return loose.decode(buffer.subarray(start, end));
};

export default $protobuf;
