/**
 * Generates a large decoder model to disk: sizes it to a target node count (and, optionally, a
 * target weight size), builds it, and writes the `.onnx` file and any external-data file.
 *
 * Memory stays small whatever the weight size: weights are a repeated pattern, streamed to the
 * side file as they are made (weights.ts); only the graph itself is held.
 *
 * @example
 * const m = generateLargeModel({ nodes: 10_000, qdq: true, outDir: '/tmp/big' });
 * console.log(m.nodes, m.modelPath);
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeOnnx } from '../../src/core/model/write-onnx';
import { describeDecoder, type DecoderShape } from './decoder';
import { FloatLargeEmitter, QdqLargeEmitter, type ActDType, type LargeEmitter } from './emitter';
import { InlineWeights, NullWeights, StreamedExternalWeights, type WeightSink } from './weights';

/** What to generate. */
export interface LargeModelOptions {
  /** Target node count (Q/DQ nodes included); the layer count is chosen to come closest. */
  nodes: number;
  /** Emit the QDQ model (default: float). */
  qdq?: boolean;
  /** Activation dtype of the QDQ model (default uint16, as HTP LLMs use). */
  activation?: ActDType;
  /** Put weights of 1 KiB and more in `<name>.onnx.data` (implied by `weightsGiB`). */
  external?: boolean;
  /** Size the hidden width so the weights total about this many GiB (external data). */
  weightsGiB?: number;
  /** Hidden width when `weightsGiB` is not given (default 64). */
  hidden?: number;
  norm?: DecoderShape['norm'];
  /** See {@link DecoderShape.flawEvery} (default 0: a clean model). */
  flawEvery?: number;
  outDir: string;
  /** File base name (default derived from the options). */
  name?: string;
}

/** What was generated. */
export interface GeneratedModel {
  modelPath: string;
  /** The external-data file, when weights went there. */
  dataPath?: string;
  /** Nodes in the main graph. */
  nodes: number;
  shape: DecoderShape;
  /** Size of the `.onnx` file. */
  modelBytes: number;
  /** Size of the external-data file (0 when inline). */
  externalBytes: number;
  /** All weight bytes, inline or external. */
  weightBytes: number;
  /** Generation time. */
  ms: number;
}

const OPSET = [{ domain: '', version: 21 }];
// 16-bit QuantizeLinear/DequantizeLinear need ai.onnx opset 21, which needs IR version 10.
const IR_VERSION = 10;

function shapeFor(options: LargeModelOptions, layers: number, hidden: number): DecoderShape {
  const headDim = hidden >= 512 ? 64 : 16;
  return {
    layers,
    hidden,
    heads: hidden / headDim,
    ffn: 3 * hidden,
    seq: 16,
    vocab: 512,
    norm: options.norm ?? 'rms',
    flawEvery: options.flawEvery ?? 0,
  };
}

function emitterFor(options: LargeModelOptions, sink: WeightSink): LargeEmitter {
  return options.qdq
    ? new QdqLargeEmitter('decoder', sink, options.activation ?? 'uint16')
    : new FloatLargeEmitter('decoder', sink);
}

/** Nodes and weight bytes of a decoder with these options, without storing any weights. */
export function countDecoder(
  options: LargeModelOptions,
  layers: number,
  hidden: number,
): { nodes: number; weightBytes: number } {
  const sink = new NullWeights();
  const e = emitterFor(options, sink);
  describeDecoder(e, shapeFor(options, layers, hidden));
  return { nodes: e.builder.nodeCount, weightBytes: sink.weightBytes };
}

/**
 * The layer count and hidden width that come closest to the targets: nodes grow linearly with
 * layers, weights with layers x hidden².
 */
export function planDecoder(options: LargeModelOptions): DecoderShape {
  const baseHidden = options.hidden ?? 64;
  const one = countDecoder(options, 1, baseHidden).nodes;
  const perLayer = countDecoder(options, 2, baseHidden).nodes - one;
  const layers = Math.max(1, Math.round((options.nodes - (one - perLayer)) / perLayer));
  if (!options.weightsGiB) return shapeFor(options, layers, baseHidden);
  const target = options.weightsGiB * 2 ** 30;
  // Weight bytes are a*h² + b*h (the lm_head and norm scales are linear in h); fit a and b.
  const w1 = countDecoder(options, layers, 64).weightBytes;
  const w2 = countDecoder(options, layers, 128).weightBytes;
  const a = (w2 / 128 - w1 / 64) / 64;
  const b = w1 / 64 - a * 64;
  const h = (-b + Math.sqrt(b * b + 4 * a * target)) / (2 * a);
  return shapeFor(options, layers, Math.max(64, Math.round(h / 64) * 64));
}

/** Default file base name: `decoder-10k-qdq-u16`, `decoder-1k-float-ext`. */
export function defaultName(options: LargeModelOptions): string {
  const size = options.nodes >= 1000 && options.nodes % 1000 === 0 ? `${options.nodes / 1000}k` : String(options.nodes);
  const kind = options.qdq ? `qdq-${options.activation === 'uint8' ? 'u8' : 'u16'}` : 'float';
  const weights = options.weightsGiB ? `-${options.weightsGiB}gib` : options.external ? '-ext' : '';
  return `decoder-${size}-${kind}${weights}`;
}

/** Generates the model into `options.outDir`. */
export function generateLargeModel(options: LargeModelOptions): GeneratedModel {
  const started = performance.now();
  mkdirSync(options.outDir, { recursive: true });
  const name = options.name ?? defaultName(options);
  const shape = planDecoder(options);
  const modelPath = join(options.outDir, `${name}.onnx`);
  const external = options.external || options.weightsGiB !== undefined;
  const location = `${name}.onnx.data`;
  const dataPath = external ? join(options.outDir, location) : undefined;
  const sink: WeightSink = dataPath ? new StreamedExternalWeights(dataPath, location) : new InlineWeights();
  let bytes: Uint8Array;
  let nodes: number;
  try {
    const e = emitterFor(options, sink);
    describeDecoder(e, shape);
    nodes = e.builder.nodeCount;
    const doc = `Synthetic ${shape.layers}-layer decoder (hidden ${shape.hidden}, ${shape.heads} heads, ${shape.norm} norm) for benchmarks; weights are a repeated pattern, not a trained model.`;
    bytes = writeOnnx(
      e.builder.toModel({
        opset: OPSET,
        irVersion: IR_VERSION,
        producerName: 'quantlens gen-large-model',
        docString: doc,
      }),
    );
  } finally {
    sink.close();
  }
  writeFileSync(modelPath, bytes);
  return {
    modelPath,
    dataPath,
    nodes,
    shape,
    modelBytes: bytes.length,
    externalBytes: sink.externalBytes,
    weightBytes: sink.weightBytes,
    ms: performance.now() - started,
  };
}
