/**
 * The calibration floor's two halves: the values it counts are those calibration reduces (checked
 * against a run of PyTorch's ResNet-18 export with every measured tensor read out), and the graph
 * it times does reduce that many values, row by row.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readOnnx } from '../../src/core/model/read-onnx';
import { deriveRanges } from '../../src/core/quant/derived-ranges';
import { exposeTensors } from '../../src/core/quant/expose';
import { feedInputs, randomSamples, resolveInputShapes } from '../../src/core/quant/inputs';
import { nodeRuntime } from '../../src/core/quant/node-runtime';
import { annotate, observedTensors } from '../../src/core/quant/plan';
import { DEFAULT_OPTIONS } from '../../src/core/quant/configs';
import { loadRulePack } from '../../rules/registry';
import { floorRows, floorSeed, measuredValues, reductionModel } from './reduction-floor';

const RESNET = '.cache/corpus/torch/float-resnet18.onnx';

describe('the calibration floor', () => {
  it.skipIf(!existsSync(RESNET))(
    "counts the values of the tensors calibration measures, as a run gives them (PyTorch's ResNet-18)",
    async () => {
      const bytes = new Uint8Array(readFileSync(RESNET));
      const model = readOnnx(bytes);
      const plan = annotate(model, await loadRulePack('htp'), { ...DEFAULT_OPTIONS, config: '8a8w' });
      const observed = observedTensors(model, plan);
      const inputs = feedInputs(model);
      const samples = randomSamples(nodeRuntime.Tensor, inputs, resolveInputShapes(inputs).shapes, 1);
      const counted = await measuredValues(bytes, model, observed, samples);

      // The same tensors read out of a run of the first sample.
      const measure = deriveRanges(model, observed).measure;
      const session = await nodeRuntime.createSession(exposeTensors(bytes, measure), {
        graphOptimizationLevel: 'disabled',
      });
      let values = 0;
      let tensors = 0;
      try {
        const outputs = await session.run(samples[0] as never);
        for (const [name, t] of Object.entries(outputs))
          if (measure.has(name) && t.type === 'float32') {
            values += t.size;
            tensors++;
          }
      } finally {
        await session.release();
      }
      expect(counted).toEqual({ values, tensors, unsized: 0 });
      expect(tensors).toBeGreaterThan(30);
      expect(values).toBeGreaterThan(200_000);
    },
  );

  it('times a graph that takes the minimum and maximum of every row of that many values', async () => {
    const values = 200_000;
    const rows = floorRows(values);
    expect(rows * 1024).toBeGreaterThanOrEqual(values);
    expect(rows % 64).toBe(0);
    const seed = floorSeed();
    const session = await nodeRuntime.createSession(reductionModel(rows, true), { graphOptimizationLevel: 'disabled' });
    try {
      const out = await session.run({ seed: new nodeRuntime.Tensor('float32', seed, [64, 1024]) } as never);
      const lo = out.ReduceMin!.data as Float32Array;
      const hi = out.ReduceMax!.data as Float32Array;
      expect(lo.length).toBe(rows);
      expect(hi.length).toBe(rows);
      // Row r of the tiled tensor is row r mod 64 of the seed.
      for (const r of [0, 63, 64, rows - 1]) {
        const row = seed.subarray((r % 64) * 1024, ((r % 64) + 1) * 1024);
        expect(lo[r]).toBe(Math.min(...row));
        expect(hi[r]).toBe(Math.max(...row));
      }
      // The seed spreads its values: no two rows alike, so a reduction cannot be skipped.
      expect(new Set(lo.subarray(0, 64)).size).toBe(64);
    } finally {
      await session.release();
    }
  });
});
