// The protobufjs runtime, configured for ONNX: 64-bit integers decode to JS numbers
// (exact up to 2^53, which covers every dimension and offset a real model can hold),
// so the reader never allocates Long objects.
import $protobuf from 'protobufjs/minimal.js';

$protobuf.util.Long = null;
$protobuf.configure();

export default $protobuf;
