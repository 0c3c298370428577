/**
 * .npy calibration files as the model input takes them: arrays written by NumPy itself (python3's
 * numpy, which python3-onnx brings), converted to the input's element type or refused with what to
 * save instead.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { halfCast, halfValues } from '../model/half';
import { NpyError, npyAsInput, parseNpy } from './npy';

const dir = mkdtempSync(join(tmpdir(), 'ql-npy-unit-'));
/** Saves `expr` (a NumPy expression) with np.save and reads it back. */
function npy(name: string, expr: string) {
  const path = join(dir, `${name}.npy`);
  execFileSync('/usr/bin/python3', ['-c', `import numpy as np\nnp.save(${JSON.stringify(path)}, ${expr})`]);
  return parseNpy(new Uint8Array(readFileSync(path)), `${name}.npy`);
}

describe('npyAsInput', () => {
  it("casts NumPy's default float64 to a float32 input, and to a float16 one with ties to even", () => {
    const a = npy('f64', 'np.array([[0.1, -2.5, 1e6, 65520.0, 1.00048828125]])');
    expect(a.dtype).toBe('float64');
    const f32 = npyAsInput(a, 'float32', 'f64.npy', 'x');
    expect(f32.type).toBe('float32');
    expect(f32.dims).toEqual([1, 5]);
    expect(Array.from(f32.data as Float32Array)).toEqual([0.1, -2.5, 1e6, 65520, 1.00048828125].map(Math.fround));
    const f16 = npyAsInput(a, 'float16', 'f64.npy', 'x');
    expect(f16.type).toBe('float16');
    // What NumPy's own astype(float16) gives, bit for bit (65520 rounds to infinity; the tie
    // 1.00048828125 goes to the even neighbour, 1).
    const numpy = npy('f16', 'np.array([[0.1, -2.5, 1e6, 65520.0, 1.00048828125]]).astype(np.float16)');
    expect(Array.from(f16.data as Uint16Array)).toEqual(Array.from(numpy.data as Uint16Array));
    expect(Array.from(halfValues(f16.data))).toEqual([0.1, -2.5, 1e6, 65520, 1.00048828125].map(halfCast));
  });

  it('widens integers to an int64 input and casts them to a float one', () => {
    const a = npy('i32', 'np.array([0, 3, -2], dtype=np.int32)');
    expect(npyAsInput(a, 'int64', 'i32.npy', 'ids')).toEqual({
      type: 'int64',
      data: BigInt64Array.from([0n, 3n, -2n]),
      dims: [3],
    });
    expect(Array.from(npyAsInput(a, 'float32', 'i32.npy', 'x').data as Float32Array)).toEqual([0, 3, -2]);
  });

  it('narrows int64 to an int32 input only when every value fits', () => {
    const small = npy('i64', 'np.array([1, -7])');
    expect(small.dtype).toBe('int64');
    expect(Array.from(npyAsInput(small, 'int32', 'i64.npy', 'pos').data as Int32Array)).toEqual([1, -7]);
    const big = npy('i64big', 'np.array([1, 2**40])');
    expect(() => npyAsInput(big, 'int32', 'i64big.npy', 'pos')).toThrow(
      'i64big.npy: value 1099511627776 at index 1 does not fit input "pos", which takes int32',
    );
  });

  it('takes every integer type NumPy writes for an integer input whose range holds the values, and no other', () => {
    const u16 = npy('u16', 'np.array([0, 65535], dtype=np.uint16)');
    expect(u16.dtype).toBe('uint16');
    expect(npyAsInput(u16, 'uint16', 'u16.npy', 'pcm')).toEqual({
      type: 'uint16',
      data: Uint16Array.from([0, 65535]),
      dims: [2],
    });
    expect(Array.from(npyAsInput(u16, 'int32', 'u16.npy', 'pcm').data as Int32Array)).toEqual([0, 65535]);
    expect(() => npyAsInput(u16, 'int16', 'u16.npy', 'pcm')).toThrow(
      `u16.npy: value 65535 at index 1 does not fit input "pcm", which takes int16: save values in int16's range`,
    );
    // NumPy's default int64 for a uint8 image input: narrowed when every value fits.
    const pixels = npy('px', 'np.array([[0, 128, 255]])');
    expect(pixels.dtype).toBe('int64');
    expect(npyAsInput(pixels, 'uint8', 'px.npy', 'image')).toEqual({
      type: 'uint8',
      data: Uint8Array.from([0, 128, 255]),
      dims: [1, 3],
    });
    expect(() => npyAsInput(npy('neg', 'np.array([3, -1])'), 'uint32', 'neg.npy', 'n')).toThrow(
      'neg.npy: value -1 at index 1 does not fit input "n", which takes uint32',
    );
    const u64 = npy('u64', 'np.array([2**64 - 1], dtype=np.uint64)');
    expect(npyAsInput(u64, 'uint64', 'u64.npy', 'h').data).toEqual(BigUint64Array.from([2n ** 64n - 1n]));
    expect(() => npyAsInput(u64, 'int64', 'u64.npy', 'h')).toThrow(
      'u64.npy: value 18446744073709551615 at index 0 does not fit input "h", which takes int64',
    );
    const i16 = npy('i16', 'np.array([-32768, 7], dtype=np.int16)');
    expect(Array.from(npyAsInput(i16, 'float32', 'i16.npy', 'x').data as Float32Array)).toEqual([-32768, 7]);
    expect(() => npyAsInput(i16, 'uint64', 'i16.npy', 'x')).toThrow(
      'i16.npy: value -32768 at index 0 does not fit input "x", which takes uint64',
    );
  });

  it('refuses an input of a type calibration cannot feed (bfloat16), saying so instead of how to cast', () => {
    // ONNX's test data writes a bfloat16 input's values as uint16.
    const bits = npy('bf', 'np.array([16256], dtype=np.uint16)');
    expect(() => npyAsInput(bits, 'bfloat16', 'bf.npy', 'input')).toThrow(
      'bf.npy: input "input" takes bfloat16, and calibration feeds float32, float64, int64, uint64, int32, uint32, int16, uint16, uint8, int8, bool or float16 only',
    );
  });

  it('refuses floats for an integer input and non-booleans for a boolean one, saying what to save', () => {
    const f = npy('idx', 'np.array([0.0, 1.0])');
    expect(() => npyAsInput(f, 'int64', 'idx.npy', 'indices')).toThrow(NpyError);
    expect(() => npyAsInput(f, 'int64', 'idx.npy', 'indices')).toThrow(
      'idx.npy: holds float64 values, and input "indices" takes int64: save it as int64 (numpy: array.astype(numpy.int64))',
    );
    const u8 = npy('mask', 'np.array([0, 1], dtype=np.uint8)');
    expect(() => npyAsInput(u8, 'bool', 'mask.npy', 'mask')).toThrow('array.astype(numpy.bool_)');
    const b = npy('flags', 'np.array([True, False])');
    expect(npyAsInput(b, 'bool', 'flags.npy', 'mask').type).toBe('bool');
  });

  it('keeps an array as it is when the input type is unknown, but float64 becomes float32', () => {
    const a = npy('any64', 'np.array([0.5])');
    expect(npyAsInput(a, undefined, 'any64.npy', 'x').type).toBe('float32');
    expect(npyAsInput(a, 'undefined', 'any64.npy', 'x').type).toBe('float32');
    const u = npy('anyu8', 'np.array([7], dtype=np.uint8)');
    expect(npyAsInput(u, undefined, 'anyu8.npy', 'x')).toMatchObject({ type: 'uint8', dims: [1] });
  });
});
