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
