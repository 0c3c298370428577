/**
 * ONNX tensor element types: names, sizes, and which ones hold quantized integers.
 * Codes are the `TensorProto.DataType` values of the ONNX specification.
 */

/** Element type names QuantLens uses everywhere (lower-case, as in numpy). */
export type DType =
  | 'undefined'
  | 'float32'
  | 'uint8'
  | 'int8'
  | 'uint16'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'string'
  | 'bool'
  | 'float16'
  | 'float64'
  | 'uint32'
  | 'uint64'
  | 'complex64'
  | 'complex128'
  | 'bfloat16'
  | 'float8e4m3fn'
  | 'float8e4m3fnuz'
  | 'float8e5m2'
  | 'float8e5m2fnuz'
  | 'uint4'
  | 'int4'
  | 'float4e2m1'
  | 'float8e8m0'
  | 'uint2'
  | 'int2';

const BY_CODE: readonly DType[] = [
  'undefined',
  'float32',
  'uint8',
  'int8',
  'uint16',
  'int16',
  'int32',
  'int64',
  'string',
  'bool',
  'float16',
  'float64',
  'uint32',
  'uint64',
  'complex64',
  'complex128',
  'bfloat16',
  'float8e4m3fn',
  'float8e4m3fnuz',
  'float8e5m2',
  'float8e5m2fnuz',
  'uint4',
  'int4',
  'float4e2m1',
  // ONNX 1.18 (FLOAT8E8M0 = 24) and 1.20 (UINT2 = 25, INT2 = 26), onnx/onnx.proto TensorProto.DataType.
  'float8e8m0',
  'uint2',
  'int2',
];

/** Maps an ONNX DataType code to its name; unknown codes become `unknown(<code>)` for display. */
export function dtypeFromCode(code: number): DType | `unknown(${number})` {
  return BY_CODE[code] ?? `unknown(${code})`;
}

/** The ONNX DataType code of a dtype name. */
export function dtypeCode(dtype: DType): number {
  return BY_CODE.indexOf(dtype);
}

/** Bits per element in `raw_data`; 0 for types with no fixed width (string). */
export function dtypeBits(dtype: string): number {
  switch (dtype) {
    case 'bool':
    case 'uint8':
    case 'int8':
    case 'float8e4m3fn':
    case 'float8e4m3fnuz':
    case 'float8e5m2':
    case 'float8e5m2fnuz':
    case 'float8e8m0':
      return 8;
    case 'uint4':
    case 'int4':
    case 'float4e2m1':
      return 4;
    case 'uint2':
    case 'int2':
      return 2;
    case 'uint16':
    case 'int16':
    case 'float16':
    case 'bfloat16':
      return 16;
    case 'float32':
    case 'int32':
    case 'uint32':
      return 32;
    case 'float64':
    case 'int64':
    case 'uint64':
    case 'complex64':
      return 64;
    case 'complex128':
      return 128;
    default:
      return 0;
  }
}

/** True for the integer types a QuantizeLinear can produce. */
export function isQuantizedIntDType(dtype: string): boolean {
  return (
    dtype === 'uint8' ||
    dtype === 'int8' ||
    dtype === 'uint16' ||
    dtype === 'int16' ||
    dtype === 'uint4' ||
    dtype === 'int4' ||
    dtype === 'uint2' ||
    dtype === 'int2' ||
    dtype === 'int32'
  );
}
