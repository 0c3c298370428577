/** Fixing input sizes as ONNX Runtime's make_dynamic_shape_fixed does, from the calibration samples. */
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../model/graph-builder';
import { readOnnx } from '../model/read-onnx';
import { writeOnnx } from '../model/write-onnx';
import { fixInputSizes, sizesFromSamples } from './fix-sizes';

/** Two inputs sharing the symbol "batch"; "seq" only on the first; an output naming both. */
function model(): Uint8Array {
  const b = new GraphBuilder('g');
  b.input('a', 'float32', ['batch', 'seq', 8]);
  b.input('b', 'float32', ['batch', 1, 8]);
  b.node('Add', ['a', 'b'], ['y'], {}, { name: 'add' });
  b.output('y', 'float32', ['batch', 'seq', 8]);
  return writeOnnx(b.toModel({ opset: [{ domain: '', version: 17 }], irVersion: 8 }));
}

const t = (dims: number[]) => new ort.Tensor('float32', new Float32Array(dims.reduce((x, y) => x * y, 1)), dims);

describe('fixInputSizes', () => {
  it('writes the sizes every sample agrees on into the inputs and the shapes naming the same symbol', () => {
    const samples = [
      { a: t([1, 5, 8]), b: t([1, 1, 8]) },
      { a: t([1, 7, 8]), b: t([1, 1, 8]) },
    ];
    const out = fixInputSizes(model(), sizesFromSamples(samples));
    expect(out.fixed).toEqual(['a: [batch, seq, 8] -> [1, seq, 8]', 'b: [batch, 1, 8] -> [1, 1, 8]']);
    // The samples differ on "seq": it stays dynamic, and the run says so.
    expect(out.kept).toEqual(['a: dimension 1 ("seq") stays dynamic: the samples differ there']);
    const g = readOnnx(out.bytes).graph;
    expect(g.inputs.map((v) => v.shape)).toEqual([
      [1, 'seq', 8],
      [1, 1, 8],
    ]);
    expect(g.outputs[0]!.shape).toEqual([1, 'seq', 8]);
  });

  it('leaves a model of static inputs as it is', () => {
    const b = new GraphBuilder('s');
    b.input('x', 'float32', [1, 4]);
    b.node('Relu', ['x'], ['y']);
    b.output('y', 'float32', [1, 4]);
    const bytes = writeOnnx(b.toModel({ opset: [{ domain: '', version: 17 }], irVersion: 8 }));
    const out = fixInputSizes(bytes, sizesFromSamples([{ x: t([1, 4]) }]));
    expect(out).toEqual({ bytes, fixed: [], kept: [] });
  });
});
