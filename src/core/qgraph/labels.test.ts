/**
 * Edge labels as the chosen deployment flow sees each tensor: under ONNX Runtime an encoding the
 * converters carry across a Flatten is not there (its QDQ propagation does not cross one), and a
 * float tensor it quantizes itself says so. Cases: the Flatten and Reshape of ONNX Runtime's
 * QDQPropagation_DQForward family, and PyTorch exports of the corpus.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describeEncoding } from '../encoding/encoding';
import { GraphBuilder } from '../model/graph-builder';
import { readOnnx } from '../model/read-onnx';
import { attr, writeOnnx } from '../model/write-onnx';
import { u8QdqPair } from '../../testing/ort-qdq';
import { qgraphFromQdq } from './from-qdq';
import { QUANTIZED_BY_ORT, floatUnderOrt, inlineEncodingLabels, tensorEncodingLabels } from './labels';

/** DQ → Flatten or Reshape (no Q/DQ of its own) → Gemm (quantized weight) → Q. */
function moveThenGemm(op: 'Flatten' | 'Reshape') {
  const b = new GraphBuilder(`${op.toLowerCase()}_gemm`);
  b.input('input', 'float32', [1, 4, 2, 2]);
  const x = u8QdqPair(b, 'input', 0.02, 128);
  if (op === 'Flatten') b.node('Flatten', [x], ['flat'], {}, { name: 'Flatten' });
  else {
    b.initializer('shape', new BigInt64Array([1n, 16n]), [2], 'int64');
    b.node('Reshape', [x, 'shape'], ['flat'], {}, { name: 'Reshape' });
  }
  b.initializer('w', new Float32Array(16 * 8).fill(0.25), [8, 16]);
  b.node('Gemm', ['flat', u8QdqPair(b, 'w', 0.004, 128)], ['y'], { transB: attr.int(1) }, { name: 'Gemm' });
  b.output(u8QdqPair(b, 'y', 0.05, 128), 'float32');
  return qgraphFromQdq(
    readOnnx(writeOnnx(b.toModel({ opset: [{ domain: '', version: 13 }], irVersion: 8 })), { fileName: `${op}.onnx` }),
  );
}

const load = (file: string) =>
  qgraphFromQdq(readOnnx(new Uint8Array(readFileSync(file)), { fileName: file.split('/').pop() }));

describe('encoding labels per deployment flow', () => {
  it('after a Flatten: the carried encoding under the converters, float under ONNX Runtime', () => {
    const g = moveThenGemm('Flatten');
    const carried = g.nodes.find((n) => n.name === 'Flatten')!.outputs[0]!.encoding!;
    const words = describeEncoding(carried);
    expect(words).toMatch(/^uint8 scale 0\.02 zp 128$/);
    for (const flow of [undefined, 'qnn', 'executorch'] as const)
      expect(tensorEncodingLabels(g, undefined, flow).flat).toBe(words);
    expect(tensorEncodingLabels(g, undefined, 'ort').flat).toBe(floatUnderOrt(carried));
    expect(inlineEncodingLabels(g, 'ort')!.flat).toBe('float under ONNX Runtime (converters: uint8 scale 0.02 zp 128)');
    // The Flatten's own input is read through its DQ under every flow.
    const input = g.nodes.find((n) => n.name === 'Flatten')!.inputs[0]!.tensor;
    expect(tensorEncodingLabels(g, undefined, 'ort')[input]).toBe(words);
  });

  it('after a Reshape: the same under every flow (ONNX Runtime moves the DQ across it)', () => {
    const g = moveThenGemm('Reshape');
    const words = tensorEncodingLabels(g, undefined, 'qnn').flat;
    expect(words).toMatch(/^uint8 scale/);
    expect(tensorEncodingLabels(g, undefined, 'ort').flat).toBe(words);
  });

  it('asking for some tensors gives the same words as the whole', () => {
    const g = moveThenGemm('Flatten');
    expect(tensorEncodingLabels(g, new Set(['flat']), 'ort')).toEqual({
      flat: tensorEncodingLabels(g, undefined, 'ort').flat,
    });
  });

  const layers = '.cache/corpus/torch/float-layers-qat.onnx';
  it.skipIf(!existsSync(layers))(
    "PyTorch's export: the Flatten before a float Linear is float under ONNX Runtime",
    () => {
      const g = load(layers);
      const flat = g.nodes.find((n) => n.name === '/Flatten')!.outputs[0]!;
      expect(flat.inherited).toBe(true);
      expect(tensorEncodingLabels(g, undefined, 'qnn')[flat.tensor]).toBe(describeEncoding(flat.encoding!));
      expect(tensorEncodingLabels(g, undefined, 'ort')[flat.tensor]).toBe(floatUnderOrt(flat.encoding!));
    },
  );

  const swin = '.cache/corpus/torch/swin-mini.onnx';
  it.skipIf(!existsSync(swin))(
    "torchvision's Swin: the float tensors of each window reverse are quantized by ONNX Runtime",
    () => {
      const g = load(swin);
      const quantized = Object.keys(g.ortQuantized ?? {});
      expect(quantized.length).toBeGreaterThan(0);
      const ort = tensorEncodingLabels(g, undefined, 'ort');
      const qnn = tensorEncodingLabels(g, undefined, 'qnn');
      for (const t of quantized) {
        expect(ort[t]).toBe(QUANTIZED_BY_ORT);
        expect(qnn[t]).toBeUndefined();
      }
    },
  );
});
