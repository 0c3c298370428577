/**
 * QDQ models built the way ONNX Runtime's QNN tests build them (onnxruntime/test/providers/qnn/
 * qnn_test_utils.h and test/unittest_util/qdq_test_utils.h in onnxruntime/onnxruntime-qnn):
 * every float activation input goes graph input → QuantizeLinear → DequantizeLinear → op;
 * constant inputs are quantized initializers behind a DequantizeLinear; the op's output goes
 * QuantizeLinear → DequantizeLinear → graph output. Quantization parameters come from the input's
 * value range (GetTestInputQuantParams: the range stretched to include 0, asymmetric for unsigned
 * types, symmetric for signed weight types).
 */
import { halfBits } from '../core/model/half';
import type { DType } from '../core/model/dtype';
import { GraphBuilder } from '../core/model/graph-builder';
import { readOnnx } from '../core/model/read-onnx';
import type { Model } from '../core/model/types';
import { attr, writeOnnx, type AttrValue } from '../core/model/write-onnx';

export type QType = 'int4' | 'uint8' | 'int8' | 'uint16' | 'int16' | 'int32';

const RANGE: Record<QType, [number, number]> = {
  int4: [-8, 7],
  uint8: [0, 255],
  int8: [-128, 127],
  uint16: [0, 65535],
  int16: [-32768, 32767],
  int32: [-(2 ** 31), 2 ** 31 - 1],
};
const ARRAY: Record<QType, (n: number) => Uint8Array | Int8Array | Uint16Array | Int16Array | Int32Array> = {
  int4: (n) => new Int8Array(n),
  uint8: (n) => new Uint8Array(n),
  int8: (n) => new Int8Array(n),
  uint16: (n) => new Uint16Array(n),
  int16: (n) => new Int16Array(n),
  int32: (n) => new Int32Array(n),
};

/** One input of the op under test. */
export interface InputDef {
  shape: number[];
  /** Value range (data is spread evenly over it). */
  range?: [number, number];
  /** An initializer rather than a graph input. */
  constant?: boolean;
  /** Quantized type of this input (defaults to the test's activation type); `float` leaves it unquantized. */
  qtype?: QType | 'float';
  /** Quantize symmetrically (zero point 0 or the midpoint). */
  symmetric?: boolean;
  /** Per-channel quantization along this axis (constants only). */
  perChannelAxis?: number;
  /** A bias whose scale is input scale × weight scale per channel, as ONNX Runtime's Conv and Gemm test builders make it. */
  derivedBias?: boolean;
  /** Multiplies a derived bias scale (the bias requantization tests' deliberately wrong scales). */
  scaleFactor?: number;
  /** A graph input already of the quantized type, read by a DequantizeLinear only (no QuantizeLinear). */
  quantizedInput?: boolean;
  /** Quantization parameters as the test writes them by hand, instead of ones derived from the range. */
  qparams?: { scale: number; zp: number };
  /** Integer data passed as is (indices, shapes, axes): an int64 (or given type) initializer or input with no Q/DQ. */
  raw?: { dtype: DType; values?: number[] };
}

export interface OpTest {
  /** The ONNX Runtime test this transcribes, as `file.cc: TestName`. */
  source: string;
  op: string;
  domain?: string;
  inputs: (InputDef | null)[];
  attrs?: Record<string, AttrValue>;
  /** Activation type of the test (RunQDQOpTest<QType>); `float` for the float tests (RunQnnModelTest). */
  qtype: QType | 'float';
  /** Output type (defaults to qtype); `float` writes no Q/DQ (float models, ArgMax's int64 output). */
  outputQType?: QType | 'float';
  /** Element type of an output without Q/DQ (default float32). */
  outputDtype?: DType;
  /** Output range for its Q/DQ. */
  outputRange?: [number, number];
  /** Output quantization parameters as the test writes them by hand. */
  outputQParams?: { scale: number; zp: number };
  /** Number of outputs (TopK: 2, the second unquantized int64). */
  outputs?: number;
  /** Every output gets its own Q/DQ pair with the output's qparams (Split), not only the first. */
  quantizeAllOutputs?: boolean;
  /** Q/DQ nodes from the com.microsoft domain, as the tests' `use_contrib_qdq` builds 16-bit models. */
  contribQdq?: boolean;
  opset?: number;
  /** What ONNX Runtime's test expects: the node on the HTP, or not. */
  expected: 'All' | 'None';
  /** For `All` tests that pass only because ONNX Runtime repairs an encoding: what it repairs. */
  ortRepair?: string;
  /**
   * A float activation between the op and its output's Q (conv_test.cc OutputActivationInfo):
   * Relu, or Clip with its bounds as float scalar initializers (no Q/DQ).
   */
  activation?: { op: 'Relu' | 'Clip'; bounds?: [number, number] };
}

function qparams(range: [number, number], qtype: QType, symmetric: boolean): { scale: number; zp: number } {
  const [qmin, qmax] = RANGE[qtype];
  let [lo, hi] = range;
  lo = Math.min(lo, 0);
  hi = Math.max(hi, 0);
  if (symmetric) {
    const m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
    const signed = qtype.startsWith('int');
    return signed
      ? { scale: (2 * m) / (qmax - qmin), zp: 0 }
      : { scale: (2 * m) / (qmax - qmin), zp: Math.floor((qmax + 1) / 2) };
  }
  const scale = (hi - lo) / (qmax - qmin) || 1;
  const zp = Math.max(qmin, Math.min(qmax, Math.round(qmin - lo / scale)));
  return { scale, zp };
}

/** 4-bit values two to a byte, low nibble first (ONNX's int4 raw_data); other types as they are. */
function packed<T extends Uint8Array | Int8Array | Uint16Array | Int16Array | Int32Array>(q: T, qtype: QType) {
  if (qtype !== 'int4') return q;
  const out = new Uint8Array(Math.ceil(q.length / 2));
  q.forEach((v, k) => (out[k >> 1]! |= (v & 0xf) << ((k & 1) * 4)));
  return out;
}

function spread(n: number, [lo, hi]: [number, number]): number[] {
  return Array.from({ length: n }, (_, i) => (n === 1 ? lo : lo + ((hi - lo) * i) / (n - 1)));
}

/** Builds the QDQ model of one op test, read back as QuantLens reads files. */
export function buildOpTest(t: OpTest): Model {
  const b = new GraphBuilder(t.source);
  const qdqDomain = t.contribQdq ? 'com.microsoft' : undefined;
  const ins: string[] = [];
  /** Scales of each quantized input, per channel, for derived biases. */
  const scales: number[][] = [];
  /**
   * A bias's qparams: input scale × weight scale (times the test's deliberate error), per tensor
   * when the weight is, else one per output channel (a grouped ConvTranspose's per-channel weight
   * scales cover one group's outputs and repeat per group).
   */
  const derivedBias = (def: InputDef, channels: number) => {
    const [a, w] = [scales[0] ?? [1], scales[1] ?? [1]];
    const f = def.scaleFactor ?? 1;
    return w.length === 1
      ? [{ scale: a[0]! * w[0]! * f, zp: 0 }]
      : Array.from({ length: channels }, (_, k) => ({ scale: a[0]! * w[k % w.length]! * f, zp: 0 }));
  };
  t.inputs.forEach((def, i) => {
    if (!def) {
      ins.push('');
      return;
    }
    const name = `in${i}`;
    const count = def.shape.reduce((a, c) => a * c, 1);
    if (def.raw) {
      const values = def.raw.values ?? new Array(count).fill(0);
      if (def.constant)
        b.initializer(
          name,
          // float16 values are written as their bit patterns.
          def.raw.dtype === 'float16' ? Uint16Array.from(values, (v) => halfBits(v)) : values,
          def.shape,
          def.raw.dtype,
        );
      else b.input(name, def.raw.dtype, def.shape);
      ins.push(name);
      return;
    }
    const range = def.range ?? [-10, 10];
    const qtype = def.qtype ?? t.qtype;
    if (qtype === 'float') {
      if (def.constant) b.initializer(name, new Float32Array(spread(count, range)), def.shape);
      else b.input(name, 'float32', def.shape);
      ins.push(name);
      return;
    }
    const dq = `${name}_dq`;
    if (def.constant) {
      // A negative axis counts from the end (the test writes it as given, -4 for axis 0 of a rank-4 weight).
      const axis =
        def.perChannelAxis === undefined ? undefined : (def.perChannelAxis + def.shape.length) % def.shape.length;
      const channels = axis === undefined ? 1 : def.shape[axis]!;
      let params = Array.from({ length: channels }, () => def.qparams ?? qparams(range, qtype, def.symmetric ?? false));
      if (def.derivedBias) params = derivedBias(def, def.shape[0]!);
      const values = spread(count, range);
      const stride = axis === undefined ? count : def.shape.slice(axis + 1).reduce((a, c) => a * c, 1);
      const q = ARRAY[qtype](count);
      const [qmin, qmax] = RANGE[qtype];
      values.forEach((v, k) => {
        const p = params[params.length === 1 ? 0 : def.derivedBias ? k : Math.floor(k / stride) % channels]!;
        q[k] = Math.max(qmin, Math.min(qmax, Math.round(v / p.scale) + p.zp));
      });
      b.initializer(`${name}_q`, packed(q, qtype), def.shape, qtype);
      b.initializer(
        `${name}_scale`,
        new Float32Array(params.map((p) => p.scale)),
        params.length > 1 ? [params.length] : [],
      );
      const perChannel = params.length > 1;
      const zpArr = ARRAY[qtype](params.length);
      params.forEach((p, k) => (zpArr[k] = p.zp));
      b.initializer(`${name}_zp`, packed(zpArr, qtype), perChannel ? [params.length] : [], qtype);
      b.node(
        'DequantizeLinear',
        [`${name}_q`, `${name}_scale`, `${name}_zp`],
        [dq],
        perChannel ? { axis: attr.int(def.perChannelAxis ?? 0) } : {},
        { name: `${name}_DequantizeLinear`, domain: qdqDomain },
      );
      scales[i] = params.map((p) => p.scale);
    } else {
      const p = def.derivedBias
        ? derivedBias(def, 1)[0]!
        : (def.qparams ?? qparams(range, qtype, def.symmetric ?? false));
      b.initializer(`${name}_scale`, new Float32Array([p.scale]), []);
      const zp = ARRAY[qtype](1);
      zp[0] = p.zp;
      b.initializer(`${name}_zp`, packed(zp, qtype), [], qtype);
      if (def.quantizedInput) b.input(`${name}_q`, qtype, def.shape);
      else {
        b.input(name, 'float32', def.shape);
        b.node(
          'QuantizeLinear',
          [name, `${name}_scale`, `${name}_zp`],
          [`${name}_q`],
          {},
          { name: `${name}_QuantizeLinear`, domain: qdqDomain },
        );
      }
      b.node(
        'DequantizeLinear',
        [`${name}_q`, `${name}_scale`, `${name}_zp`],
        [dq],
        {},
        { name: `${name}_DequantizeLinear`, domain: qdqDomain },
      );
      scales[i] = [p.scale];
    }
    ins.push(dq);
  });
  const outs = Array.from({ length: t.outputs ?? 1 }, (_, i) => `out${i}`);
  b.node(t.op, ins, t.activation ? ['op_out'] : outs, t.attrs ?? {}, { name: `${t.op}_node`, domain: t.domain });
  if (t.activation) {
    const bounds = (t.activation.bounds ?? []).map((v, i) => {
      b.initializer(`act_const_${i}`, new Float32Array([v]), []);
      return `act_const_${i}`;
    });
    b.node(t.activation.op, ['op_out', ...bounds], outs, {}, { name: 'Activation' });
  }
  const oq = t.outputQType ?? t.qtype;
  if (oq === 'float') {
    outs.forEach((o) => b.output(o, t.outputDtype ?? 'float32'));
  } else {
    const p = t.outputQParams ?? qparams(t.outputRange ?? [-10, 10], oq, false);
    b.initializer('out_scale', new Float32Array([p.scale]), []);
    const zp = ARRAY[oq](1);
    zp[0] = p.zp;
    b.initializer('out_zp', zp, [], oq);
    const quantized = t.quantizeAllOutputs ? outs : outs.slice(0, 1);
    quantized.forEach((o, i) => {
      const y = i === 0 ? 'y' : `y${i}`;
      b.node(
        'QuantizeLinear',
        [o, 'out_scale', 'out_zp'],
        [`${o}_q`],
        {},
        { name: `${o}_QuantizeLinear`, domain: qdqDomain },
      );
      b.node(
        'DequantizeLinear',
        [`${o}_q`, 'out_scale', 'out_zp'],
        [y],
        {},
        { name: `${o}_DequantizeLinear`, domain: qdqDomain },
      );
      b.output(y, 'float32');
    });
    outs.slice(quantized.length).forEach((o) => b.output(o, 'int64'));
  }
  const opset = t.opset ?? 21;
  const extra = new Set([t.domain, qdqDomain].filter((d): d is string => !!d));
  const imports = [{ domain: '', version: opset }, ...[...extra].map((domain) => ({ domain, version: 1 }))];
  return readOnnx(writeOnnx(b.toModel({ opset: imports, irVersion: 10 })), { fileName: `${t.source}.onnx` });
}

/**
 * Adds a uint8 QuantizeLinear → DequantizeLinear pair on `tensor` with its own scale and zero point
 * (`<tensor>_scale`, `<tensor>_zp`; the nodes `<tensor>_Q` and `<tensor>_DQ`), and returns the
 * DequantizeLinear's output.
 */
export function u8QdqPair(b: GraphBuilder, tensor: string, scale: number, zp: number): string {
  b.initializer(`${tensor}_scale`, new Float32Array([scale]), []);
  b.initializer(`${tensor}_zp`, new Uint8Array([zp]), [], 'uint8');
  const qparams = [`${tensor}_scale`, `${tensor}_zp`];
  b.node('QuantizeLinear', [tensor, ...qparams], [`${tensor}_q`], {}, { name: `${tensor}_Q` });
  b.node('DequantizeLinear', [`${tensor}_q`, ...qparams], [`${tensor}_dq`], {}, { name: `${tensor}_DQ` });
  return `${tensor}_dq`;
}
