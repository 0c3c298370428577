/**
 * Builds the sample models in memory: float models from seeded weights, calibration of their
 * activations in onnxruntime-web, and QDQ twins from those ranges. No file I/O here, so the
 * samples test can regenerate and compare bytes with what is committed in public/samples/.
 */
import type { onnx } from '../../src/core/model/onnx/generated/onnx-pb.js';
import { FLOW_NAMES } from '../../src/core/check/rules/context';
import { DEFAULT_FLOW, type Flow } from '../../rules/types';
import { writeOnnx } from '../../src/core/model/write-onnx';
import { collectMinMaxRanges, type CalibrationSample } from '../../src/core/quant/minmax-ranges';
import { ort } from '../../src/core/quant/ort-node';
import { CNN_INPUT_SHAPE, cnnWeights, describeCnn } from './cnn-sigmoid';
import { FloatEmitter, QdqEmitter, type Emitter } from './emitter';
import { Prng } from './prng';
import type { QType } from './qdq-math';
import { TRANSFORMER_INPUT_SHAPE, describeTransformer, transformerWeights } from './transformer-block';

import { BROKEN_VARIANTS, buildBroken } from './broken';

/** One entry of public/samples/index.json. */
export interface SampleEntry {
  file: string;
  title: string;
  description: string;
  /**
   * For a demo of a flaw: the backend, SoC and flow it is flagged under, which the page takes when
   * the sample is picked (on the page's default SoC, the 16a16w and LPBQ demos passed).
   */
  settings?: { backend: 'htp'; soc: string; flow: Flow };
}

/** A generated sample: its index entry and its bytes. */
export interface SampleFile extends SampleEntry {
  bytes: Uint8Array;
}

/** A float model and its QDQ twin, with inputs to compare them on. */
export interface SamplePair {
  name: string;
  float: SampleFile;
  qdq: SampleFile;
  /** Held-out inputs (not used for calibration). */
  evalInputs: CalibrationSample[];
}

/** Samples per model used to calibrate activation ranges. */
const CALIBRATION_SAMPLES = 8;
/** Held-out samples per model for comparing float and QDQ outputs. */
const EVAL_SAMPLES = 4;

interface Family {
  name: string;
  title: string;
  floatDescription: string;
  qdqDescription: string;
  graphName: string;
  input: { name: string; shape: readonly number[]; draw: (rng: Prng, n: number) => Float32Array };
  describe: (e: Emitter) => void;
  activationType: QType;
  floatOpset: number;
  floatIr: number;
  qdqOpset: number;
  qdqIr: number;
}

const FAMILIES: Family[] = [
  {
    name: 'cnn-sigmoid',
    title: 'CNN with Sigmoid head',
    floatDescription:
      'Float32 image classifier: two Conv+Relu blocks, global average pool, Gemm, Sigmoid. Input image [1,3,32,32], output probs [1,4].',
    qdqDescription:
      'The CNN in QDQ form: uint8 per-tensor activations calibrated with min/max, int8 symmetric per-channel weights, int32 biases (scale = input scale x weight scale), Sigmoid output fixed at scale 1/256, zero point 0 as HTP requires.',
    graphName: 'cnn_sigmoid',
    input: { name: 'image', shape: CNN_INPUT_SHAPE, draw: (rng, n) => rng.floats(n, 0, 1) },
    describe: (e) => describeCnn(e, cnnWeights()),
    activationType: 'uint8',
    floatOpset: 17,
    floatIr: 8,
    qdqOpset: 17,
    qdqIr: 8,
  },
  {
    name: 'transformer-block',
    title: 'Transformer block (self-attention)',
    floatDescription:
      'Float32 pre-norm self-attention block: LayerNormalization, Q/K/V projections, 4-head attention (Reshape, Transpose, MatMul, Softmax), output projection and residual Add. Input x [1,16,64], output y [1,16,64].',
    qdqDescription:
      'The transformer block in QDQ form for 16-bit activations: uint16 per-tensor activations, int8 symmetric per-tensor MatMul weights, int32 LayerNorm bias, Reshape/Transpose sharing their input encoding, attention MatMuls reading K and V as uint8 (16x8, which every HTP arch takes). Opset 21 (16-bit Q/DQ).',
    graphName: 'transformer_block',
    input: { name: 'x', shape: TRANSFORMER_INPUT_SHAPE, draw: (rng, n) => rng.bell(n, 1) },
    describe: (e) => describeTransformer(e, transformerWeights()),
    activationType: 'uint16',
    floatOpset: 17,
    floatIr: 8,
    // 16-bit QuantizeLinear/DequantizeLinear arrived in ai.onnx opset 21 (IR version 10).
    qdqOpset: 21,
    qdqIr: 10,
  },
];

function drawInputs(family: Family, seed: number, count: number): CalibrationSample[] {
  const rng = new Prng(seed);
  const size = family.input.shape.reduce((a, b) => a * b, 1);
  return Array.from({ length: count }, () => ({
    [family.input.name]: new ort.Tensor('float32', family.input.draw(rng, size), [...family.input.shape]),
  }));
}

function toBytes(e: Emitter, opset: number, irVersion: number, docString: string): Uint8Array {
  const model: onnx.IModelProto = e.builder.toModel({
    opset: [{ domain: '', version: opset }],
    irVersion,
    producerName: 'quantlens gen:samples',
    docString,
  });
  return writeOnnx(model);
}

async function generateFamily(family: Family, index: number): Promise<SamplePair> {
  const floatEmitter = new FloatEmitter(family.graphName);
  family.describe(floatEmitter);
  const floatBytes = toBytes(floatEmitter, family.floatOpset, family.floatIr, family.floatDescription);

  const calibration = drawInputs(family, 1000 + index, CALIBRATION_SAMPLES);
  const ranges = await collectMinMaxRanges(floatBytes, calibration);

  const qdqEmitter = new QdqEmitter(family.graphName, ranges, family.activationType);
  family.describe(qdqEmitter);
  const qdqBytes = toBytes(qdqEmitter, family.qdqOpset, family.qdqIr, family.qdqDescription);

  return {
    name: family.name,
    float: {
      file: `${family.name}.onnx`,
      title: family.title,
      description: family.floatDescription,
      bytes: floatBytes,
    },
    qdq: {
      file: `${family.name}.qdq.onnx`,
      title: `${family.title}, QDQ`,
      description: family.qdqDescription,
      bytes: qdqBytes,
    },
    evalInputs: drawInputs(family, 2000 + index, EVAL_SAMPLES),
  };
}

/** Everything public/samples/ should contain, in memory. */
export interface GeneratedSamples {
  pairs: SamplePair[];
  /** Model files in index order. */
  files: SampleFile[];
  /** The bytes of index.json. */
  index: Uint8Array;
}

/**
 * Generates all samples. Deterministic: the same code gives the same bytes, which the samples
 * test relies on to catch committed files drifting from the generator.
 */
export async function generateSamples(): Promise<GeneratedSamples> {
  const pairs: SamplePair[] = [];
  for (let i = 0; i < FAMILIES.length; i++) pairs.push(await generateFamily(FAMILIES[i]!, i));
  const files: SampleFile[] = pairs.flatMap((p) => [p.float, p.qdq]);
  // One deliberately broken QDQ variant per validator rule, as demos of what QuantLens flags.
  for (const v of BROKEN_VARIANTS) {
    const base = files.find((f) => f.file === v.base);
    if (!base) throw new Error(`broken variant ${v.file}: no base sample ${v.base}`);
    files.push({
      file: v.file,
      title: `Broken (${v.rule}): ${v.node}`,
      description: `${v.what}. Flagged by ${v.rule} on ${v.failsOn}${v.flow ? ` under ${FLOW_NAMES[v.flow]}` : ''}.`,
      settings: { backend: 'htp', soc: v.failsOn, flow: v.flow ?? DEFAULT_FLOW },
      bytes: buildBroken(v, base.bytes),
    });
  }
  const entries: SampleEntry[] = files.map(({ file, title, description, settings }) =>
    settings ? { file, title, description, settings } : { file, title, description },
  );
  const index = new TextEncoder().encode(`${JSON.stringify(entries, null, 2)}\n`);
  return { pairs, files, index };
}
