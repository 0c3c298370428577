/**
 * IR versions 9 and 10 (not in libonnx-testdata, whose newest model is IR 8): new dtypes
 * (float8, int4/uint4), node overloads and metadata, and shapes that are missing or partial.
 */
import { describe, expect, it } from 'vitest';
import { onnx } from './onnx/generated/onnx-pb.js';
import { readOnnx } from './read-onnx';
import { previewTensor } from './tensor-values';

function encode(model: onnx.IModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

describe('IR 9 and 10 models', () => {
  const bytes = encode({
    irVersion: 10,
    opsetImport: [
      { domain: '', version: 21 },
      { domain: 'com.example', version: 1 },
    ],
    graph: {
      name: 'g',
      node: [
        {
          opType: 'DequantizeLinear',
          input: ['w', 'w_scale'],
          output: ['w_f'],
          name: 'dq',
          metadataProps: [{ key: 'k', value: 'v' }],
        },
        { opType: 'Custom', domain: 'com.example', overload: 'v2', input: ['x', 'w_f'], output: ['y'] },
      ],
      initializer: [
        { name: 'w', dataType: onnx.TensorProto.DataType.INT4, dims: [4], rawData: new Uint8Array([0x21, 0xf3]) },
        { name: 'w_scale', dataType: onnx.TensorProto.DataType.FLOAT, dims: [], floatData: [0.5] },
        { name: 'f8', dataType: onnx.TensorProto.DataType.FLOAT8E4M3FN, dims: [2], rawData: new Uint8Array([1, 2]) },
      ],
      input: [
        {
          name: 'x',
          type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'batch' }, {}, { dimValue: 4 }] } } },
        },
      ],
      output: [{ name: 'y', type: { tensorType: { elemType: 1 } } }],
    },
  });

  it('reads the graph, dtypes and opsets', () => {
    const model = readOnnx(bytes);
    expect(model.irVersion).toBe(10);
    expect(model.warnings).toEqual([]);
    expect(model.opsetImports).toEqual([
      { domain: '', version: 21 },
      { domain: 'com.example', version: 1 },
    ]);
    expect(model.graph.nodes[1]!.domain).toBe('com.example');
    expect(model.graph.initializers.get('w')!.dtype).toBe('int4');
    expect(model.graph.initializers.get('f8')!.dtype).toBe('float8e4m3fn');
  });

  it('keeps partial and missing shapes apart', () => {
    const model = readOnnx(bytes);
    expect(model.graph.inputs[0]!.shape).toEqual(['batch', null, 4]);
    expect(model.graph.outputs[0]!.shape).toBeUndefined();
  });

  it('unpacks int4 values, low nibble first, sign-extended', async () => {
    const model = readOnnx(bytes);
    const preview = await previewTensor(model.graph.initializers.get('w')!, undefined);
    expect(preview.values).toEqual(['1', '2', '3', '-1']);
  });

  it('reads a newer IR version with a warning rather than failing', () => {
    const model = readOnnx(encode({ irVersion: 12, graph: { name: 'g' } }));
    expect(model.warnings.join()).toMatch(/IR version 12 is newer/);
  });
});
