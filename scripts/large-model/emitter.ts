/**
 * The large-model emitter: the decoder description (decoder.ts) calls it once per op, and it
 * writes either the float model or its QDQ twin in ORT's QDQ layout, as scripts/samples does:
 * a QuantizeLinear -> DequantizeLinear pair after every activation, weights stored quantized
 * with only a DequantizeLinear, names `<t>_QuantizeLinear`, `<t>_scale`, `<t>_zero_point`.
 *
 * Unlike the sample emitter there is no calibration (a 100k-node model cannot be run to
 * calibrate it in a test): activation ranges are plausible fixed ranges per op, and weights are
 * a repeated byte pattern from a {@link WeightSink}, so no float weights are ever held.
 */
import { GraphBuilder, type Attrs } from '../../src/core/model/graph-builder';
import { makeTensor } from '../../src/core/model/write-onnx';
import type { WeightSink } from './weights';

/** Activation dtypes of a QDQ model. */
export type ActDType = 'uint8' | 'uint16';

/** How a node's output activation is quantized. */
export type ActQuant =
  /** Asymmetric over a calibration-like range (widened to include 0). */
  | { kind: 'range'; min: number; max: number }
  /** Same dtype, scale and zero point as the node's first input (Reshape, Transpose, Slice). */
  | { kind: 'share-input' }
  /** Fixed by the backend: Sigmoid on HTP (1/65536 for uint16, 1/256 for uint8, zero point 0). */
  | { kind: 'fixed-sigmoid' };

/** The range most activations get: wide enough for residual streams. */
export const DEFAULT_RANGE: ActQuant = { kind: 'range', min: -8, max: 8 };

export interface OpOptions {
  /** Scoped node name, e.g. `/model/layers.3/self_attn/q_proj/MatMul`. */
  name: string;
  attrs?: Attrs;
  /** Output quantization in the QDQ model (default {@link DEFAULT_RANGE}). */
  quant?: ActQuant;
  /** Name the result as this graph output (float: the node writes it; QDQ: its DequantizeLinear). */
  graphOutput?: string;
}

/** What the decoder description calls. Every method returns the tensor name consumers read. */
export interface LargeEmitter {
  readonly builder: GraphBuilder;
  /** A float32 graph input (quantized with a Q/DQ pair in QDQ). */
  input(name: string, shape: readonly number[], range: { min: number; max: number }): string;
  /** A MatMul weight: float32, or int8 symmetric per tensor behind a DequantizeLinear. */
  weight(name: string, dims: readonly number[]): string;
  /**
   * A float operand of an elementwise op (norm scale, epsilon, exponent): float32, or quantized
   * like an activation (asymmetric, per tensor) in QDQ. Tensors of a few elements are stored
   * as given; larger ones (norm scales) take the weight pattern.
   */
  constant(name: string, dims: readonly number[], value: number): string;
  /** An int64 initializer (shapes, axes, slice bounds); never quantized. */
  int64(name: string, values: readonly number[]): string;
  /** A node with one float output. */
  op(opType: string, inputs: readonly string[], output: string, options: OpOptions): string;
  /** Declares a graph output made by {@link op} with `graphOutput`. */
  output(name: string, shape: readonly number[]): void;
  /**
   * What an attention MatMul reads as its second input: at 16-bit activations a uint8 copy
   * (DQ -> Q -> DQ, 16x8), as ExecuTorch's annotate_matmul_16a8w reads it, which every HTP arch
   * takes (ONNX Runtime converts a uint16 one to uint8 itself; an int16 one needs V73).
   */
  matmulSecondInput(tensor: string, range: { min: number; max: number }): string;
}

/** Constants up to this many elements are stored with their value; larger ones use the pattern. */
const SMALL_CONSTANT = 16;

/** Builds the float model. */
export class FloatLargeEmitter implements LargeEmitter {
  readonly builder: GraphBuilder;

  constructor(
    graphName: string,
    private readonly sink: WeightSink,
  ) {
    this.builder = new GraphBuilder(graphName);
  }

  input(name: string, shape: readonly number[]): string {
    this.builder.input(name, 'float32', shape);
    return name;
  }

  weight(name: string, dims: readonly number[]): string {
    this.builder.initializerProto(this.sink.weight(name, 'float32', dims));
    return name;
  }

  constant(name: string, dims: readonly number[], value: number): string {
    const count = dims.reduce((a, b) => a * b, 1);
    if (count <= SMALL_CONSTANT) this.builder.initializer(name, new Float32Array(count).fill(value), dims);
    else this.builder.initializerProto(this.sink.weight(name, 'float32', dims));
    return name;
  }

  int64(name: string, values: readonly number[]): string {
    this.builder.initializer(name, values, [values.length], 'int64');
    return name;
  }

  op(opType: string, inputs: readonly string[], output: string, options: OpOptions): string {
    const out = options.graphOutput ?? output;
    this.builder.node(opType, inputs, [out], options.attrs, { name: options.name });
    return out;
  }

  output(name: string, shape: readonly number[]): void {
    this.builder.output(name, 'float32', shape);
  }

  matmulSecondInput(tensor: string): string {
    return tensor;
  }
}

interface Encoding {
  scaleName: string;
  zeroPointName: string;
}

const QMAX: Record<ActDType, number> = { uint8: 255, uint16: 65535 };

/** Asymmetric scale and zero point covering [min, max] widened to include 0 (ORT's rule). */
export function rangeQParams(min: number, max: number, dtype: ActDType): { scale: number; zeroPoint: number } {
  const lo = Math.min(min, 0);
  const hi = Math.max(max, 0, lo + 1e-4);
  const scale = Math.fround((hi - lo) / QMAX[dtype]);
  const zeroPoint = Math.min(QMAX[dtype], Math.max(0, Math.round(-lo / scale)));
  return { scale, zeroPoint };
}

/** Builds the QDQ model. */
export class QdqLargeEmitter implements LargeEmitter {
  readonly builder: GraphBuilder;
  private readonly encodings = new Map<string, Encoding>();

  constructor(
    graphName: string,
    private readonly sink: WeightSink,
    readonly activation: ActDType,
  ) {
    this.builder = new GraphBuilder(graphName);
  }

  input(name: string, shape: readonly number[], range: { min: number; max: number }): string {
    this.builder.input(name, 'float32', shape);
    return this.quantizeActivation(name, { kind: 'range', ...range }, undefined);
  }

  weight(name: string, dims: readonly number[]): string {
    // HTP takes MatMul weights per tensor only: one scale, zero point 0.
    this.builder.initializerProto(this.sink.weight(`${name}_quantized`, 'int8', dims));
    return this.dequantize(name, 'int8', 0.05 / 127, 0);
  }

  constant(name: string, dims: readonly number[], value: number): string {
    const count = dims.reduce((a, b) => a * b, 1);
    const { scale, zeroPoint } = rangeQParams(Math.min(value, 0), Math.max(value, 0), this.activation);
    if (count <= SMALL_CONSTANT) {
      const q = Math.min(QMAX[this.activation], Math.max(0, Math.round(value / scale) + zeroPoint));
      this.builder.initializer(`${name}_quantized`, new Array<number>(count).fill(q), dims, this.activation);
    } else {
      this.builder.initializerProto(this.sink.weight(`${name}_quantized`, this.activation, dims));
    }
    return this.dequantize(name, this.activation, scale, zeroPoint);
  }

  int64(name: string, values: readonly number[]): string {
    this.builder.initializer(name, values, [values.length], 'int64');
    return name;
  }

  op(opType: string, inputs: readonly string[], output: string, options: OpOptions): string {
    this.builder.node(opType, inputs, [output], options.attrs, { name: options.name });
    return this.quantizeActivation(output, options.quant ?? DEFAULT_RANGE, inputs[0], options.graphOutput);
  }

  output(name: string, shape: readonly number[]): void {
    this.builder.output(name, 'float32', shape);
  }

  matmulSecondInput(tensor: string, range: { min: number; max: number }): string {
    if (this.activation !== 'uint16') return tensor;
    const { scale, zeroPoint } = rangeQParams(range.min, range.max, 'uint8');
    const name = `${tensor}_uint8`;
    return this.qdq(tensor, name, this.params(name, 'uint8', scale, zeroPoint));
  }

  private quantizeActivation(tensor: string, how: ActQuant, firstInput: string | undefined, dqName?: string): string {
    let enc: Encoding;
    if (how.kind === 'share-input') {
      const shared = firstInput ? this.encodings.get(firstInput) : undefined;
      if (!shared)
        throw new Error(
          `QdqLargeEmitter: ${tensor} shares the encoding of ${firstInput ?? '(no input)'}, which has none`,
        );
      enc = shared;
    } else {
      const { scale, zeroPoint } =
        how.kind === 'fixed-sigmoid'
          ? { scale: 1 / (QMAX[this.activation] + 1), zeroPoint: 0 }
          : rangeQParams(how.min, how.max, this.activation);
      enc = this.params(tensor, this.activation, scale, zeroPoint);
    }
    return this.qdq(tensor, tensor, enc, dqName);
  }

  /** `input` -> QuantizeLinear -> DequantizeLinear, the nodes named after `name`; returns the DQ output. */
  private qdq(input: string, name: string, enc: Encoding, dqOut = `${name}_DequantizeLinear_Output`): string {
    const qOut = `${name}_QuantizeLinear_Output`;
    this.builder
      .node('QuantizeLinear', [input, enc.scaleName, enc.zeroPointName], [qOut], undefined, {
        name: `${name}_QuantizeLinear`,
      })
      .node('DequantizeLinear', [qOut, enc.scaleName, enc.zeroPointName], [dqOut], undefined, {
        name: `${name}_DequantizeLinear`,
      });
    this.encodings.set(dqOut, enc);
    return dqOut;
  }

  /** A DequantizeLinear of the stored `<name>_quantized`, per tensor. */
  private dequantize(name: string, dtype: 'int8' | ActDType, scale: number, zeroPoint: number): string {
    const enc = this.params(name, dtype, scale, zeroPoint);
    const dqOut = `${name}_DequantizeLinear_Output`;
    this.builder.node('DequantizeLinear', [`${name}_quantized`, enc.scaleName, enc.zeroPointName], [dqOut], undefined, {
      name: `${name}_DequantizeLinear`,
    });
    this.encodings.set(dqOut, enc);
    return dqOut;
  }

  private params(tensor: string, dtype: 'int8' | ActDType, scale: number, zeroPoint: number): Encoding {
    const enc = { scaleName: `${tensor}_scale`, zeroPointName: `${tensor}_zero_point` };
    this.builder.initializerProto(makeTensor(enc.scaleName, Float32Array.of(scale), []));
    this.builder.initializer(enc.zeroPointName, [zeroPoint], [], dtype);
    return enc;
  }
}
