/**
 * ONNX TensorProto (.pb) calibration files: every input tensor of ONNX's own test data
 * (libonnx-testdata: raw and typed fields, named and unnamed, eleven element types) read as
 * python3-onnx's numpy_helper reads it, byte for byte, or refused in words.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TensorFileError, inputOfTensorFile, parseTensorFile, tensorFileInput } from './tensor-file';

const DATA = '/usr/share/libonnx-testdata/data';

/** What python3-onnx reads from each input file: element type, shape, name and a hash of its bytes. */
function referenceReads(): { file: string; dtype: string; shape: number[]; name: string; sha: string }[] {
  const script = `
import glob, hashlib, json, sys, onnx
from onnx import numpy_helper
out = []
for f in sorted(glob.glob(sys.argv[1] + '/*/*/test_data_set_*/input_*.pb')):
    t = onnx.TensorProto()
    try:
        t.ParseFromString(open(f, 'rb').read())
    except Exception:
        continue
    if t.data_type == 0:
        continue
    try:
        a = numpy_helper.to_array(t)
    except Exception:
        continue  # not a tensor numpy_helper reads either (a sequence's file, say)
    dtype = 'float16' if a.dtype.name == 'float16' else a.dtype.name
    sha = '' if a.dtype == object else hashlib.sha256(a.tobytes() if dtype != 'float16' else a.view('uint16').tobytes()).hexdigest()
    out.append({'file': f, 'dtype': dtype, 'shape': list(a.shape), 'name': t.name, 'sha': sha})
print(json.dumps(out))
`;
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', script, DATA], { encoding: 'utf8', maxBuffer: 1 << 28 }));
}

const SUPPORTED = new Set([
  'float32',
  'float64',
  'int64',
  'uint64',
  'int32',
  'uint32',
  'int16',
  'uint16',
  'uint8',
  'int8',
  'bool',
  'float16',
]);

describe('parseTensorFile', () => {
  it("reads every input tensor of ONNX's test data as python3-onnx does, or says which type it cannot feed", () => {
    const refs = referenceReads();
    expect(refs.length).toBeGreaterThan(1800);
    let read = 0;
    let refused = 0;
    const types = new Set<string>();
    for (const ref of refs) {
      const bytes = new Uint8Array(readFileSync(ref.file));
      if (!SUPPORTED.has(ref.dtype)) {
        expect(() => parseTensorFile(bytes, 'x.pb'), ref.file).toThrow(TensorFileError);
        expect(() => parseTensorFile(bytes, 'x.pb'), ref.file).toThrow(
          /^x\.pb: holds \w+ values; calibration inputs are/,
        );
        refused++;
        continue;
      }
      const t = parseTensorFile(bytes, ref.file);
      expect({ dtype: t.dtype, shape: t.shape, name: t.name }, ref.file).toEqual({
        dtype: ref.dtype,
        shape: ref.shape,
        name: ref.name,
      });
      const view = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
      expect(createHash('sha256').update(view).digest('hex'), ref.file).toBe(ref.sha);
      read++;
      types.add(t.dtype);
    }
    // Both kinds of storage and every supported type occur; strings are refused.
    expect(read).toBeGreaterThan(1800);
    expect([...types].sort()).toEqual([...SUPPORTED].sort());
    expect(refused).toBeGreaterThan(10);
  });

  it('reads typed fields (float_data, int32_data for float16 and bool, int64_data) as written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ql-pb-'));
    execFileSync('/usr/bin/python3', [
      '-c',
      `import numpy as np, onnx
from onnx import helper, TensorProto
def save(name, t): open("${dir}/" + name, "wb").write(t.SerializeToString())
save("f.pb", helper.make_tensor("x", TensorProto.FLOAT, [2, 2], [0.5, -1.0, 3.25, 1e-3]))
save("h.pb", helper.make_tensor("h", TensorProto.FLOAT16, [3], [1.0, -2.0, 65504.0]))
save("b.pb", helper.make_tensor("m", TensorProto.BOOL, [3], [1, 0, 1]))
save("i.pb", helper.make_tensor("", TensorProto.INT64, [2], [-5, 2**40]))`,
    ]);
    const read = (f: string) => parseTensorFile(new Uint8Array(readFileSync(join(dir, f))), f);
    expect(Array.from(read('f.pb').data as Float32Array)).toEqual([0.5, -1, 3.25, Math.fround(1e-3)]);
    expect(Array.from(read('h.pb').data as Uint16Array)).toEqual([0x3c00, 0xc000, 0x7bff]);
    expect(read('b.pb')).toMatchObject({ dtype: 'bool', shape: [3], name: 'm' });
    expect(Array.from(read('b.pb').data as Uint8Array)).toEqual([1, 0, 1]);
    expect(Array.from(read('i.pb').data as BigInt64Array)).toEqual([-5n, 2n ** 40n]);
  });

  it('refuses what is not a TensorProto, and sizes that do not match the shape', () => {
    const npy = new Uint8Array(readFileSync('public/samples/cnn-sigmoid.onnx')).subarray(0, 64);
    expect(() => parseTensorFile(npy, 'model.pb')).toThrow(/^model\.pb: not an ONNX TensorProto file/);
    const dir = mkdtempSync(join(tmpdir(), 'ql-pb-'));
    execFileSync('/usr/bin/python3', [
      '-c',
      `from onnx import TensorProto
t = TensorProto(name="x", data_type=TensorProto.FLOAT, dims=[2, 3], raw_data=bytes(20))
open("${dir}/short.pb", "wb").write(t.SerializeToString())`,
    ]);
    expect(() => parseTensorFile(new Uint8Array(readFileSync(join(dir, 'short.pb'))), 'short.pb')).toThrow(
      'short.pb: shape (2, 3) needs 24 bytes of float32, the file has 20',
    );
    execFileSync('/usr/bin/python3', [
      '-c',
      `from onnx import TensorProto
t = TensorProto(name="x", data_type=TensorProto.FLOAT, dims=[2, 2], float_data=[1, 2, 3])
open("${dir}/few.pb", "wb").write(t.SerializeToString())`,
    ]);
    expect(() => parseTensorFile(new Uint8Array(readFileSync(join(dir, 'few.pb'))), 'few.pb')).toThrow(
      'few.pb: shape (2, 2) needs 4 values, the file holds 3',
    );
  });
});

describe('parseTensorFile on optionals and sequences', () => {
  // ONNX's test data keeps these as OptionalProto and SequenceProto files, which decode as a
  // TensorProto of a made-up shape: the name's letters as dimensions.
  const input = (test: string) => new Uint8Array(readFileSync(`${DATA}/node/${test}/test_data_set_0/input_0.pb`));

  it("reads an optional tensor's file as its tensor, as python3-onnx reads it", () => {
    const reference = JSON.parse(
      execFileSync(
        '/usr/bin/python3',
        [
          '-c',
          `import json, sys, onnx
from onnx import numpy_helper
o = onnx.OptionalProto()
o.ParseFromString(open(sys.argv[1], 'rb').read())
a = numpy_helper.to_array(o.tensor_value)
print(json.dumps({'name': o.name, 'dtype': a.dtype.name, 'shape': list(a.shape), 'values': a.tolist()}))`,
          `${DATA}/node/test_optional_get_element/test_data_set_0/input_0.pb`,
        ],
        { encoding: 'utf8' },
      ),
    );
    const t = parseTensorFile(input('test_optional_get_element'), 'input_0.pb');
    expect({ name: t.name, dtype: t.dtype, shape: t.shape, values: Array.from(t.data as Float32Array) }).toEqual(
      reference,
    );
    expect(t.name).toBe('optional_input');
  });

  it('says what a sequence, an optional sequence or an empty optional holds, in place of a made-up shape', () => {
    expect(() => parseTensorFile(input('test_identity_sequence'), 'input_0.pb')).toThrow(
      'input_0.pb: holds "x", a sequence or optional of 2 tensors, and calibration feeds tensors only: export the model so that it takes tensors',
    );
    // Read as a tensor, it was "shape (111, 112, 116, 95, 105, 110) needs 1,582,357,392,000 values".
    expect(() => parseTensorFile(input('test_identity_opt'), 'input_0.pb')).toThrow(
      'input_0.pb: holds "opt_in", a sequence or optional of 1 sequence, and calibration feeds tensors only',
    );
    expect(() => parseTensorFile(input('test_optional_has_element_empty'), 'input_0.pb')).toThrow(
      'input_0.pb: holds an optional "optional_input" with no value (or an empty sequence); calibration feeds each input a tensor',
    );
  });
});

describe('inputOfTensorFile', () => {
  const inputs = [
    { name: 'data', dtype: 'float32' },
    { name: 'indices', dtype: 'int64' },
  ];
  const tensor = (name: string) => ({ name, dtype: 'float32' as const, shape: [1], data: new Float32Array(1) });
  it("takes the input the tensor is named after, else the input_<k>.pb file's k-th input", () => {
    expect(inputOfTensorFile(tensor('indices'), 'input_0.pb', inputs)?.name).toBe('indices');
    expect(inputOfTensorFile(tensor('other'), 'input_0.pb', inputs)).toBeUndefined();
    expect(inputOfTensorFile(tensor(''), 'test_data_set_0/input_1.pb', inputs)?.name).toBe('indices');
    expect(inputOfTensorFile(tensor(''), 'sample.pb', inputs)).toBeUndefined();
    expect(inputOfTensorFile(tensor(''), 'sample.pb', inputs.slice(0, 1))?.name).toBe('data');
    // Files picked from several samples' folders share numbered names: by name only, then.
    expect(inputOfTensorFile(tensor(''), 'input_1.pb', inputs, false)).toBeUndefined();
  });

  it('says why a tensor feeds no input', () => {
    expect(() => tensorFileInput(tensor('other'), 's/input_0.pb', inputs)).toThrow(
      's/input_0.pb holds tensor "other", which is not an input of the model (data, indices)',
    );
    expect(() => tensorFileInput(tensor(''), 'sample.pb', inputs)).toThrow(
      'sample.pb: its tensor has no name; with several inputs (data, indices), each .pb tensor must be named after its input (or its file numbered input_<k>.pb, in input order)',
    );
    expect(() => tensorFileInput(tensor(''), 'input_1.pb', inputs, false)).toThrow(TensorFileError);
    expect(tensorFileInput(tensor('data'), 'input_1.pb', inputs, false).name).toBe('data');
  });
});
