/**
 * Recognises common non-ONNX files by their first bytes, so that a wrong drop gets a message
 * naming what the file actually is.
 */

const SIGNATURES: { name: string; bytes: number[]; at?: number }[] = [
  { name: 'a PNG image', bytes: [0x89, 0x50, 0x4e, 0x47] },
  { name: 'a JPEG image', bytes: [0xff, 0xd8, 0xff] },
  { name: 'a GIF image', bytes: [0x47, 0x49, 0x46, 0x38] },
  { name: 'a PDF document', bytes: [0x25, 0x50, 0x44, 0x46] },
  { name: 'a ZIP archive (a PyTorch .pt file or an .npz is a ZIP)', bytes: [0x50, 0x4b, 0x03, 0x04] },
  { name: 'a gzip archive', bytes: [0x1f, 0x8b] },
  { name: 'a NumPy .npy array', bytes: [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59] },
  { name: 'an HDF5 (Keras .h5) file', bytes: [0x89, 0x48, 0x44, 0x46] },
  { name: 'a TensorFlow Lite model', bytes: [0x54, 0x46, 0x4c, 0x33], at: 4 },
  { name: 'a Python pickle', bytes: [0x80, 0x02] },
  { name: 'a Python pickle', bytes: [0x80, 0x04] },
  { name: 'a WebAssembly module', bytes: [0x00, 0x61, 0x73, 0x6d] },
];

/** Returns a description of a recognised non-ONNX format, or undefined. */
export function sniffForeignFormat(bytes: Uint8Array): string | undefined {
  for (const sig of SIGNATURES) {
    const at = sig.at ?? 0;
    if (bytes.length >= at + sig.bytes.length && sig.bytes.every((b, i) => bytes[at + i] === b)) return sig.name;
  }
  // Text files: JSON, HTML, prototxt, a note. An ONNX file starts with a varint tag (0x08 for
  // ir_version). However short, printable text is no model: a field of it that holds a string or
  // a graph has a length byte below 32 or a body of 32 bytes or more ("hello world" was reported
  // as a corrupt model, "invalid protobuf wire type 4").
  let printable = 0;
  const n = Math.min(bytes.length, 512);
  for (let i = 0; i < n; i++) {
    const c = bytes[i]!;
    if (c === 9 || c === 10 || c === 13 || (c >= 32 && c < 127)) printable++;
  }
  if (n > 0 && printable === n) {
    const head = new TextDecoder().decode(bytes.subarray(0, Math.min(64, n))).trimStart();
    if (head.startsWith('{') || head.startsWith('['))
      return 'a JSON text file (an AIMET .encodings file goes beside a model, not instead of one)';
    if (head.toLowerCase().startsWith('<!doctype html') || head.toLowerCase().startsWith('<html'))
      return 'an HTML page';
    if (head.startsWith('ir_version')) return 'an ONNX model in text (prototxt) form';
    return 'a text file';
  }
  return undefined;
}
