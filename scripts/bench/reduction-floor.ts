/**
 * The floor under calibration's overhead: what computing the ranges inside the graph costs a sample
 * before any choice of QuantLens's, with onnxruntime-web's own kernels. Calibration must run the
 * float graph unfused (the observed tensors sit inside the fusions: `calib.unfused`) and reduce
 * every value of every measured tensor to a minimum and a maximum. This times one ReduceMin and one
 * ReduceMax over as many values as the measured tensors hold a sample, in rows of 1,024 (the
 * 10k-node decoder's tensor size; longer rows reduced no faster in issue 14's measurements), with
 * nothing copied into groups and nothing read out. That sum, over plain inference, estimates the
 * ratio no in-graph calibration on this runtime goes below (measured apart from calibration, so
 * with its own noise: on a model whose sample takes a few milliseconds it can come out above).
 */
import type * as ortTypes from 'onnxruntime-common';
import type { onnx } from '../../src/core/model/onnx/generated/onnx-pb.js';
import { attr, makeAttribute, makeTensor, makeValueInfo, writeOnnx } from '../../src/core/model/write-onnx';
import type { Model } from '../../src/core/model/types';
import { deriveRanges } from '../../src/core/quant/derived-ranges';
import { exposeTensorsForShapes, knownDim, type CalibrationSample } from '../../src/core/quant/expose';
import { nodeRuntime } from '../../src/core/quant/node-runtime';

/** Values per row of the timed reduction. */
const ROW = 1024;
/** Rows of the small input the timed tensor is tiled from in the graph (no 23 MB feed a run). */
const SEED_ROWS = 64;

/**
 * How many values calibration's min/max reduces a sample: the measured tensors (those whose ranges
 * do not follow from others') at the sizes onnxruntime infers for the samples, as calibration's
 * first session infers them. Tensors it cannot size before a run (a length that follows the values,
 * or dims onnxruntime does not carry through a sub-graph folded away) are counted apart, not
 * guessed.
 */
export async function measuredValues(
  bytes: Uint8Array,
  model: Model,
  observed: ReadonlySet<string>,
  samples: readonly CalibrationSample[],
): Promise<{ values: number; tensors: number; unsized: number }> {
  const measure = deriveRanges(model, observed).measure;
  const exposed = exposeTensorsForShapes(bytes, measure, samples);
  const session = await nodeRuntime.createSession(exposed.bytes, {
    graphOptimizationLevel: 'disabled',
    freeDimensionOverrides: exposed.freeDimensionOverrides,
  });
  let values = 0;
  let tensors = 0;
  let unsized = 0;
  try {
    for (const m of session.outputMetadata ?? []) {
      if (!m.isTensor || !measure.has(m.name) || (m.type !== 'float32' && m.type !== 'float16')) continue;
      // As calibration reads them: a rank of none reads the same as a rank not inferred.
      if (m.shape.length === 0 || !m.shape.every(knownDim)) {
        unsized++;
        continue;
      }
      tensors++;
      values += (m.shape as number[]).reduce((a, b) => a * b, 1);
    }
  } finally {
    await session.release();
  }
  return { values, tensors, unsized };
}

/**
 * A model that tiles its [64, 1024] input to `rows` rows and, with `reduce`, takes the minimum and
 * the maximum of each row; without, it returns one value of the tiled tensor (the same tiling, so
 * the difference of the two is the reductions alone).
 */
export function reductionModel(rows: number, reduce: boolean): Uint8Array {
  const node = (opType: string, input: string[], output: string[], attribute: onnx.IAttributeProto[] = []) => ({
    opType,
    input,
    output,
    attribute,
  });
  const nodes = [node('Tile', ['seed', 'reps'], ['x'])];
  const outputs: string[] = [];
  if (reduce) {
    for (const op of ['ReduceMin', 'ReduceMax'])
      nodes.push(
        node(op, ['x'], [op], [makeAttribute('axes', attr.ints([1])), makeAttribute('keepdims', attr.int(0))]),
      );
    outputs.push('ReduceMin', 'ReduceMax');
  } else {
    nodes.push(node('Slice', ['x', 'start', 'end'], ['corner']));
    outputs.push('corner');
  }
  return writeOnnx({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: reduce ? 'reduce' : 'tile',
      node: nodes,
      input: [makeValueInfo('seed', 'float32', [SEED_ROWS, ROW])],
      output: outputs.map((o) => makeValueInfo(o, 'float32')),
      initializer: [
        makeTensor('reps', [rows / SEED_ROWS, 1], [2], 'int64'),
        makeTensor('start', [0, 0], [2], 'int64'),
        makeTensor('end', [1, 1], [2], 'int64'),
      ],
    },
  });
}

/** Rows of 1,024 the timed tensor has for `values` values: whole tiles, at least one. */
export function floorRows(values: number): number {
  return Math.max(1, Math.ceil(values / ROW / SEED_ROWS)) * SEED_ROWS;
}

/**
 * The input the timed tensor is tiled from: values in no order (a branch predictor learns
 * nothing), the same every run.
 */
export function floorSeed(): Float32Array {
  const seed = new Float32Array(SEED_ROWS * ROW);
  let state = 12345;
  for (let i = 0; i < seed.length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    seed[i] = state / 2 ** 32 - 0.5;
  }
  return seed;
}

/**
 * Milliseconds onnxruntime-web takes to reduce `values` float32 values to a minimum and a maximum
 * per row of 1,024, as calibration's range session does: the median, over `rounds` alternations,
 * of the tiled model with the two reductions less the same model without them.
 */
export async function reductionMs(values: number, rounds = 15): Promise<number> {
  const rows = floorRows(values);
  const feeds = { seed: new nodeRuntime.Tensor('float32', floorSeed(), [SEED_ROWS, ROW]) } as unknown as Record<
    string,
    ortTypes.Tensor
  >;
  // As calibration's range session is created: unfused, its memory kept between runs.
  const options = { graphOptimizationLevel: 'disabled', reuseMemory: true } as const;
  const plain = await nodeRuntime.createSession(reductionModel(rows, false), options);
  const reducing = await nodeRuntime.createSession(reductionModel(rows, true), options);
  try {
    await plain.run(feeds);
    await reducing.run(feeds);
    const deltas: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const t0 = performance.now();
      await plain.run(feeds);
      const t1 = performance.now();
      await reducing.run(feeds);
      deltas.push(performance.now() - t1 - (t1 - t0));
    }
    deltas.sort((a, b) => a - b);
    return Math.max(0, deltas[deltas.length >> 1]!);
  } finally {
    await plain.release();
    await reducing.release();
  }
}
