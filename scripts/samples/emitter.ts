/**
 * One model description, two outputs: each sample model is written once against the
 * {@link Emitter} interface, and a float emitter or a QDQ emitter turns it into the float model
 * or its quantized twin. That keeps the two structurally identical (same node names, same
 * tensor names), which is what lets float calibration ranges key the QDQ model's encodings.
 *
 * QDQ layout follows ORT's QDQ format: activations get a QuantizeLinear -> DequantizeLinear
 * pair after the node that makes them; weights and biases are stored quantized with only a
 * DequantizeLinear; names follow ORT (`<t>_QuantizeLinear`, `<t>_scale`, `<t>_zero_point`).
 */
import { GraphBuilder, type Attrs } from '../../src/core/model/graph-builder';
import { attr, type TensorArray } from '../../src/core/model/write-onnx';
import type { MinMax } from '../../src/core/quant/minmax-ranges';
import {
  asymmetricQParams,
  quantize,
  quantizeBiasInt32,
  quantizeSymmetricInt8,
  type QParams,
  type QType,
} from './qdq-math';

/** How a node's output activation is quantized. */
export type ActQuant =
  /** From its calibrated range (the default). */
  | { kind: 'calibrated' }
  /** Same dtype, scale and zero point as the node's first input (math-invariant ops). */
  | { kind: 'share-input' }
  /** Fixed by the backend, e.g. Sigmoid on HTP. */
  | { kind: 'fixed'; scale: number; zeroPoint: number };

export interface OpOptions {
  /** Node name, e.g. `/backbone/conv1/Conv`. */
  name: string;
  attrs?: Attrs;
  quant?: ActQuant;
  /** Name the result under as a graph output (the float model's node writes it directly). */
  graphOutput?: string;
}

/** What a sample model description calls to build itself. */
export interface Emitter {
  readonly builder: GraphBuilder;
  /** Adds a float32 graph input and returns the name consumers read. */
  input(name: string, shape: readonly number[]): string;
  /** Adds a weight (int8 symmetric in QDQ; per channel along `axis` when given). */
  weight(name: string, values: Float32Array, dims: readonly number[], axis?: number): string;
  /** Adds a bias for a node reading `input` and `weight` (int32, scale = input x weight in QDQ). */
  bias(name: string, values: Float32Array, input: string, weight: string): string;
  /** Adds a static float operand of an elementwise op (activation-typed in QDQ). */
  constant(name: string, values: Float32Array, dims: readonly number[]): string;
  /** Adds a non-float initializer (shapes, axes); never quantized. */
  raw(name: string, values: readonly number[], dims: readonly number[], dtype: 'int64'): string;
  /** Adds a node with one float output `output` and returns the name consumers read. */
  op(opType: string, inputs: readonly string[], output: string, options: OpOptions): string;
  /** Declares a graph output made by {@link op} with `graphOutput`. */
  output(name: string, shape: readonly number[]): void;
  /**
   * Gives one consumer its own lower-precision copy of an activation (the QDQ model requantizes
   * it, DQ -> Q -> DQ, one Convert on the NPU); `rangeKey` is the tensor's name in the float model.
   */
  requantize(tensor: string, rangeKey: string, dtype: QType): string;
}

/** Builds the float model: every call maps to plain initializers and nodes. */
export class FloatEmitter implements Emitter {
  readonly builder: GraphBuilder;

  constructor(graphName: string) {
    this.builder = new GraphBuilder(graphName);
  }

  input(name: string, shape: readonly number[]): string {
    this.builder.input(name, 'float32', shape);
    return name;
  }

  weight(name: string, values: Float32Array, dims: readonly number[]): string {
    this.builder.initializer(name, values, dims);
    return name;
  }

  bias(name: string, values: Float32Array): string {
    this.builder.initializer(name, values, [values.length]);
    return name;
  }

  constant(name: string, values: Float32Array, dims: readonly number[]): string {
    this.builder.initializer(name, values, dims);
    return name;
  }

  raw(name: string, values: readonly number[], dims: readonly number[], dtype: 'int64'): string {
    this.builder.initializer(name, values, dims, dtype);
    return name;
  }

  requantize(tensor: string): string {
    return tensor;
  }

  op(opType: string, inputs: readonly string[], output: string, options: OpOptions): string {
    const out = options.graphOutput ?? output;
    this.builder.node(opType, inputs, [out], options.attrs, { name: options.name });
    return out;
  }

  output(name: string, shape: readonly number[]): void {
    this.builder.output(name, 'float32', shape);
  }
}

/** Encodings of a dequantized tensor, so later nodes can derive or share them. */
interface Encoding {
  dtype: QType;
  scales: Float32Array;
  /** Initializer names, reused when another tensor shares this encoding. */
  scaleName: string;
  zeroPointName: string;
}

/** Builds the QDQ model from float calibration ranges. */
export class QdqEmitter implements Emitter {
  readonly builder: GraphBuilder;
  /** Encoding of every DequantizeLinear output, by its tensor name. */
  private readonly encodings = new Map<string, Encoding>();

  constructor(
    graphName: string,
    private readonly ranges: ReadonlyMap<string, MinMax>,
    private readonly activationType: QType,
  ) {
    this.builder = new GraphBuilder(graphName);
  }

  input(name: string, shape: readonly number[]): string {
    this.builder.input(name, 'float32', shape);
    return this.quantizeActivation(name, name, { kind: 'calibrated' }, undefined);
  }

  weight(name: string, values: Float32Array, dims: readonly number[], axis?: number): string {
    const q = quantizeSymmetricInt8(values, dims, axis);
    const perChannel = axis !== undefined;
    const zeros = new Int8Array(q.scales.length);
    return this.dequantizeInitializer(name, q.values, dims, q.scales, zeros, 'int8', perChannel ? axis : undefined);
  }

  bias(name: string, values: Float32Array, input: string, weight: string): string {
    const inEnc = this.mustEncoding(input);
    const wEnc = this.mustEncoding(weight);
    const q = quantizeBiasInt32(values, inEnc.scales[0]!, wEnc.scales);
    const zeros = new Int32Array(q.scales.length);
    return this.dequantizeInitializer(
      name,
      q.values,
      [values.length],
      q.scales,
      zeros,
      'int32',
      q.scales.length > 1 ? 0 : undefined,
    );
  }

  constant(name: string, values: Float32Array, dims: readonly number[]): string {
    let min = Infinity;
    let max = -Infinity;
    for (const v of values) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    const p = asymmetricQParams(min, max, this.activationType);
    const q = Array.from(values, (v) => quantize(v, p.scale, p.zeroPoint, p.dtype));
    return this.dequantizeInitializer(name, q, dims, Float32Array.of(p.scale), [p.zeroPoint], p.dtype, undefined);
  }

  raw(name: string, values: readonly number[], dims: readonly number[], dtype: 'int64'): string {
    this.builder.initializer(name, values, dims, dtype);
    return name;
  }

  op(opType: string, inputs: readonly string[], output: string, options: OpOptions): string {
    this.builder.node(opType, inputs, [output], options.attrs, { name: options.name });
    const finalName = options.graphOutput;
    return this.quantizeActivation(
      output,
      finalName ?? output,
      options.quant ?? { kind: 'calibrated' },
      inputs[0],
      finalName,
    );
  }

  output(name: string, shape: readonly number[]): void {
    this.builder.output(name, 'float32', shape);
  }

  requantize(tensor: string, rangeKey: string, dtype: QType): string {
    const r = this.ranges.get(rangeKey);
    if (!r) throw new Error(`no calibration range for ${rangeKey}`);
    const name = `${rangeKey}_${dtype}`;
    return this.qdq(tensor, name, this.storeParams(name, asymmetricQParams(r.min, r.max, dtype)));
  }

  /**
   * Inserts Q -> DQ after float tensor `tensor`. `rangeKey` is the tensor's name in the float
   * model; `dqName` overrides the DQ output name (to keep a graph output's name).
   */
  private quantizeActivation(
    tensor: string,
    rangeKey: string,
    how: ActQuant,
    firstInput: string | undefined,
    dqName?: string,
  ): string {
    if (how.kind === 'share-input') {
      if (!firstInput) throw new Error(`${tensor}: share-input needs an input`);
      return this.qdq(tensor, tensor, this.mustEncoding(firstInput), dqName);
    }
    let p: QParams;
    if (how.kind === 'fixed') {
      p = { dtype: this.activationType, scale: how.scale, zeroPoint: how.zeroPoint };
    } else {
      const r = this.ranges.get(rangeKey);
      if (!r) throw new Error(`no calibration range for ${rangeKey}`);
      p = asymmetricQParams(r.min, r.max, this.activationType);
    }
    return this.qdq(tensor, tensor, this.storeParams(tensor, p), dqName);
  }

  /** Stores a per-tensor scale and zero point as `<name>_scale` and `<name>_zero_point`. */
  private storeParams(name: string, p: QParams): Encoding {
    const enc: Encoding = {
      dtype: p.dtype,
      scales: Float32Array.of(p.scale),
      scaleName: `${name}_scale`,
      zeroPointName: `${name}_zero_point`,
    };
    this.builder.initializer(enc.scaleName, enc.scales, []);
    this.builder.initializer(enc.zeroPointName, [p.zeroPoint], [], p.dtype);
    return enc;
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

  /** Stores quantized values with their scale and zero point, and dequantizes them. */
  private dequantizeInitializer(
    name: string,
    values: TensorArray | readonly number[],
    dims: readonly number[],
    scales: Float32Array,
    zeroPoints: TensorArray | readonly number[],
    dtype: QType,
    axis: number | undefined,
  ): string {
    const qName = `${name}_quantized`;
    const enc: Encoding = { dtype, scales, scaleName: `${name}_scale`, zeroPointName: `${name}_zero_point` };
    const paramDims = axis === undefined ? [] : [scales.length];
    this.builder
      .initializer(qName, values, dims, dtype)
      .initializer(enc.scaleName, scales, paramDims)
      .initializer(enc.zeroPointName, zeroPoints, paramDims, dtype);
    const dqOut = `${name}_DequantizeLinear_Output`;
    this.builder.node(
      'DequantizeLinear',
      [qName, enc.scaleName, enc.zeroPointName],
      [dqOut],
      axis === undefined ? undefined : { axis: attr.int(axis) },
      { name: `${name}_DequantizeLinear` },
    );
    this.encodings.set(dqOut, enc);
    return dqOut;
  }

  private mustEncoding(name: string): Encoding {
    const enc = this.encodings.get(name);
    if (!enc) throw new Error(`${name} is not a dequantized tensor; quantize it first`);
    return enc;
  }
}
