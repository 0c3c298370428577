import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { quantizeBytes } from '../../testing/quantize-file';
import { eachTraceSum, traceGraph, TRACE_FIGURES, type TraceGraph } from './trace-graph';

/** torchvision's ResNet-18 (the corpus generator's float-resnet18). */
const RESNET = '.cache/corpus/torch/float-resnet18.onnx';

describe("the error trace's merged graph", () => {
  const graph = (rows: number[]): TraceGraph => ({
    bytes: new Uint8Array(),
    tensors: rows.map((_, i) => `t${i}`),
    rows,
    output: 'out',
  });

  it("adds each figure's row sums in float64, tensor by tensor", () => {
    // Two tensors, of 2 rows and of 1: five figures each.
    const out = new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    const seen: [string, number[]][] = [];
    expect(eachTraceSum(graph([2, 1]), out, (t, sums) => seen.push([t, sums]))).toBe(true);
    expect(seen).toEqual([
      ['t0', [3, 7, 11, 15, 19]],
      ['t1', [11, 12, 13, 14, 15]],
    ]);
    expect(TRACE_FIGURES).toHaveLength(5);
    // Added in float64: in float32, 2^24 + 1 is 2^24.
    const big = new Float32Array(10).fill(1);
    big[0] = 2 ** 24;
    let total = 0;
    eachTraceSum(graph([2]), big, (_, sums) => (total = sums[0]!));
    expect(total).toBe(2 ** 24 + 1);
  });

  it('gives nothing for a run of other sizes or a sum that is not finite', () => {
    const visit = () => {
      throw new Error('visited');
    };
    expect(eachTraceSum(graph([2, 1]), new Float32Array(14), visit)).toBe(false);
    const out = new Float32Array(15);
    out[12] = NaN;
    expect(eachTraceSum(graph([2, 1]), out, visit)).toBe(false);
  });

  it.skipIf(!existsSync(RESNET))(
    'cuts a tensor into rows of its trailing dimensions, as many as make 65,536 values (ResNet-18)',
    async () => {
      const { r } = await quantizeBytes(new Uint8Array(readFileSync(RESNET)), '8a8w');
      const float = new Uint8Array(readFileSync(RESNET));
      const stem = '/conv1/Conv_output_0';
      const pooled = '/avgpool/GlobalAveragePool_output_0';
      expect(r.encodings.tensors.has(stem)).toBe(true);
      const cut = (dims: (number | string)[]) =>
        traceGraph(float, r.qdq.bytes, [stem, pooled], r.encodings.tensors, new Map([[stem, dims]]))!;
      // [1, 64, 112, 112]: rows of 112 x 112 values, 64 of them.
      expect(cut([1, 64, 112, 112]).rows).toEqual([64, 1]);
      // A size onnxruntime could not tell (a name, or 2^32 - 1): the whole tensor.
      expect(cut([1, 64, 'h', 112]).rows).toEqual([1, 1]);
      expect(cut([1, 64, 2 ** 32 - 1, 112]).rows).toEqual([1, 1]);
      // Rows as short as the last dimension take in the next one past 65,536 values.
      expect(cut([1, 100000, 4]).rows).toEqual([1, 1]);
      expect(cut([300, 70000]).rows).toEqual([300, 1]);
    },
    60_000,
  );
});
