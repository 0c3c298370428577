/**
 * Deliberately broken variants of the QDQ samples, one per validator rule. Each edits the
 * clean sample's protobuf in one place so that exactly one rule fires on exactly one node
 * (on the SoC named), which the validator tests assert and the app offers as demos.
 */
import { onnx } from '../../src/core/model/onnx/generated/onnx-pb.js';
import { makeAttribute, makeTensor, attr } from '../../src/core/model/write-onnx';
import { decodeRaw } from '../../src/core/model/tensor-values';
import type { RuleId } from '../../src/core/check/finding';
import type { Flow } from '../../rules/types';

export interface BrokenVariant {
  rule: RuleId;
  /** Which clean sample it starts from. */
  base: 'cnn-sigmoid.qdq.onnx' | 'transformer-block.qdq.onnx';
  file: string;
  /** The node the finding must name. */
  node: string;
  /** An SoC where the finding fires (and, for arch rules, one where it does not). */
  failsOn: string;
  passesOn?: string;
  /** The deployment flow under which it is an error (default qnn). */
  flow?: Flow;
  what: string;
  edit(model: onnx.ModelProto): void;
}

function graph(m: onnx.ModelProto): onnx.GraphProto {
  return m.graph as onnx.GraphProto;
}

function init(m: onnx.ModelProto, name: string): onnx.TensorProto {
  const t = graph(m).initializer.find((x) => x.name === name);
  if (!t) throw new Error(`no initializer ${name}`);
  return t as onnx.TensorProto;
}

function replaceInit(m: onnx.ModelProto, tensor: onnx.ITensorProto): void {
  const g = graph(m);
  const i = g.initializer.findIndex((x) => x.name === tensor.name);
  if (i >= 0) g.initializer[i] = new onnx.TensorProto(tensor);
  else g.initializer.push(new onnx.TensorProto(tensor));
}

function node(m: onnx.ModelProto, name: string): onnx.NodeProto {
  const n = graph(m).node.find((x) => x.name === name);
  if (!n) throw new Error(`no node ${name}`);
  return n as onnx.NodeProto;
}

function floats(t: onnx.TensorProto): number[] {
  if (t.floatData.length) return [...t.floatData];
  return (decodeRaw(t.rawData, 'float32', 1 << 20) ?? []).map(Number);
}

function ints(t: onnx.TensorProto, dtype: string): number[] {
  if (t.int32Data.length) return [...t.int32Data];
  return (decodeRaw(t.rawData, dtype, 1 << 20) ?? []).map(Number);
}

/** Gives a Q (and its DQ) a new scale tensor, so the change touches only that tensor. */
function setQdqScale(m: onnx.ModelProto, qName: string, dqName: string, scale: number): void {
  const name = `${qName}_broken_scale`;
  replaceInit(m, makeTensor(name, new Float32Array([scale]), []));
  node(m, qName).input[1] = name;
  node(m, dqName).input[1] = name;
}

export const BROKEN_VARIANTS: BrokenVariant[] = [
  {
    rule: 'fixed-qparams',
    base: 'cnn-sigmoid.qdq.onnx',
    file: 'broken-sigmoid-scale.qdq.onnx',
    node: '/head/Sigmoid',
    failsOn: 'SM8650',
    what: '16-bit Sigmoid output calibrated to scale 1/65535 instead of the fixed 1/65536 the HTP requires',
    edit: (m) => {
      // The Sigmoid runs at 16 bits: its input is requantized to uint16 on an edge of its own
      // (a Q/DQ pair, one Convert), and its output is uint16 with a calibrated scale.
      const sig = node(m, '/head/Sigmoid');
      const inScale = floats(init(m, '/head/fc/Gemm_output_0_scale'))[0]!;
      const inZp = ints(init(m, '/head/fc/Gemm_output_0_zero_point'), 'uint8')[0]!;
      replaceInit(m, makeTensor('sigmoid_in_u16_scale', new Float32Array([inScale / 256]), []));
      replaceInit(m, makeTensor('sigmoid_in_u16_zero_point', new Uint16Array([inZp * 256]), []));
      replaceInit(m, makeTensor('sigmoid_out_u16_scale', new Float32Array([1 / 65535]), []));
      replaceInit(m, makeTensor('sigmoid_out_u16_zero_point', new Uint16Array([0]), []));
      const q = new onnx.NodeProto({
        name: 'sigmoid_in_u16_QuantizeLinear',
        opType: 'QuantizeLinear',
        input: [sig.input[0]!, 'sigmoid_in_u16_scale', 'sigmoid_in_u16_zero_point'],
        output: ['sigmoid_in_u16_q'],
      });
      const dq = new onnx.NodeProto({
        name: 'sigmoid_in_u16_DequantizeLinear',
        opType: 'DequantizeLinear',
        input: ['sigmoid_in_u16_q', 'sigmoid_in_u16_scale', 'sigmoid_in_u16_zero_point'],
        output: ['sigmoid_in_u16_dq'],
      });
      graph(m).node.splice(graph(m).node.indexOf(sig), 0, q, dq);
      sig.input[0] = 'sigmoid_in_u16_dq';
      for (const n of [
        node(m, '/head/Sigmoid_output_0_QuantizeLinear'),
        node(m, '/head/Sigmoid_output_0_DequantizeLinear'),
      ]) {
        n.input[1] = 'sigmoid_out_u16_scale';
        n.input[2] = 'sigmoid_out_u16_zero_point';
      }
      // The graph output is now uint16-dequantized float; its declared type stays float.
    },
  },
  {
    rule: 'shared-qparams',
    base: 'transformer-block.qdq.onnx',
    file: 'broken-transpose-requant.qdq.onnx',
    node: '/layers.0/attn/Transpose',
    failsOn: 'SM8650',
    what: "attention Transpose output quantized with its own scale instead of its input's",
    edit: (m) => {
      const s = floats(init(m, '/layers.0/attn/q_proj/Add_output_0_scale'))[0]!;
      setQdqScale(
        m,
        '/layers.0/attn/Transpose_output_0_QuantizeLinear',
        '/layers.0/attn/Transpose_output_0_DequantizeLinear',
        s * 1.5,
      );
    },
  },
  {
    rule: 'symmetric',
    base: 'cnn-sigmoid.qdq.onnx',
    file: 'broken-asymmetric-weight.qdq.onnx',
    node: '/backbone/conv1/Conv',
    failsOn: 'SM8650',
    what: 'conv1 weights with zero point 3 (asymmetric)',
    edit: (m) => {
      const zp = init(m, 'backbone.conv1.weight_zero_point');
      const n = ints(zp, 'int8').length;
      replaceInit(m, makeTensor(zp.name, new Int8Array(n).fill(3), zp.dims.map(Number)));
    },
  },
  {
    rule: 'bias',
    base: 'cnn-sigmoid.qdq.onnx',
    file: 'broken-bias-scale.qdq.onnx',
    node: '/backbone/conv2/Conv',
    failsOn: 'SM8650',
    what: 'conv2 bias scale 1.5× input scale × weight scale',
    edit: (m) => {
      const s = init(m, 'backbone.conv2.bias_scale');
      replaceInit(m, makeTensor(s.name, new Float32Array(floats(s).map((x) => x * 1.5)), s.dims.map(Number)));
    },
  },
  {
    rule: 'per-channel',
    base: 'cnn-sigmoid.qdq.onnx',
    file: 'broken-perchannel-gemm.qdq.onnx',
    node: '/head/fc/Gemm',
    failsOn: 'SM8650',
    what: 'Gemm (FullyConnected) input activation dequantized per channel',
    edit: (m) => {
      // Activations are per-tensor on HTP; the DQ feeding the Gemm gets one scale per feature.
      const dq = node(m, '/head/Flatten_output_0_DequantizeLinear');
      const value = floats(init(m, dq.input[1]!))[0]!;
      const zp = ints(init(m, dq.input[2]!), 'uint8')[0]!;
      replaceInit(m, makeTensor('fc_in_pc_scale', new Float32Array(16).fill(value), [16]));
      replaceInit(m, makeTensor('fc_in_pc_zero_point', new Uint8Array(16).fill(zp), [16]));
      dq.input[1] = 'fc_in_pc_scale';
      dq.input[2] = 'fc_in_pc_zero_point';
      dq.attribute = dq.attribute.filter((a) => a.name !== 'axis') as onnx.AttributeProto[];
      dq.attribute.push(new onnx.AttributeProto(makeAttribute('axis', attr.int(1))));
    },
  },
  {
    rule: 'dtype',
    base: 'cnn-sigmoid.qdq.onnx',
    file: 'broken-int32-weight.qdq.onnx',
    node: '/backbone/conv1/Conv',
    failsOn: 'SM8650',
    what: 'conv1 weights stored as int32, a dtype HTP Conv2d weights do not take',
    edit: (m) => {
      const w = init(m, 'backbone.conv1.weight_quantized');
      const zp = init(m, 'backbone.conv1.weight_zero_point');
      replaceInit(m, makeTensor(w.name, new Int32Array(ints(w, 'int8')), w.dims.map(Number)));
      replaceInit(m, makeTensor(zp.name, new Int32Array(ints(zp, 'int8').length), zp.dims.map(Number)));
    },
  },
  {
    rule: 'encoding',
    base: 'cnn-sigmoid.qdq.onnx',
    file: 'broken-axis.qdq.onnx',
    node: '/backbone/conv1/Conv',
    failsOn: 'SM8650',
    what: 'conv1 weight DequantizeLinear with axis 5 on a rank-4 weight',
    edit: (m) => {
      const dq = node(m, 'backbone.conv1.weight_DequantizeLinear');
      dq.attribute = dq.attribute.filter((a) => a.name !== 'axis') as onnx.AttributeProto[];
      dq.attribute.push(new onnx.AttributeProto(makeAttribute('axis', attr.int(5))));
    },
  },
  {
    rule: 'unsupported-op',
    base: 'cnn-sigmoid.qdq.onnx',
    file: 'broken-unsupported-op.qdq.onnx',
    node: '/backbone/conv1/Relu',
    failsOn: 'SM8650',
    what: 'conv1 Relu replaced by Softsign, which has no HTP op',
    edit: (m) => {
      node(m, '/backbone/conv1/Relu').opType = 'Softsign';
    },
  },
  {
    rule: 'op-limits',
    base: 'cnn-sigmoid.qdq.onnx',
    file: 'broken-gemm-alpha.qdq.onnx',
    node: '/head/fc/Gemm',
    failsOn: 'SM8650',
    flow: 'ort',
    what: "head Gemm with alpha 0.5: ONNX Runtime's QNN EP does not map it to FullyConnected and runs it on the CPU (the QNN converter scales the weight itself)",
    edit: (m) => {
      const gemm = node(m, '/head/fc/Gemm');
      gemm.attribute = gemm.attribute.filter((a) => a.name !== 'alpha') as onnx.AttributeProto[];
      gemm.attribute.push(new onnx.AttributeProto(makeAttribute('alpha', attr.float(0.5))));
    },
  },
  {
    rule: 'io-dtype',
    base: 'transformer-block.qdq.onnx',
    file: 'broken-mixed-add.qdq.onnx',
    node: '/layers.0/Add',
    failsOn: 'SA8295',
    flow: 'ort',
    what: 'residual Add reading one uint16 and one uint8 input: no QDQ node unit forms under ONNX Runtime, and the float Add it leaves cannot stay on a V68 HTP (no FP16)',
    edit: (m) => {
      const add = node(m, '/layers.0/Add');
      const oldScale = floats(init(m, '/layers.0/attn/o_proj/Add_output_0_scale'))[0]!;
      replaceInit(m, makeTensor('residual_u8_scale', new Float32Array([oldScale * 257]), []));
      replaceInit(m, makeTensor('residual_u8_zero_point', new Uint8Array([128]), []));
      const q = new onnx.NodeProto({
        name: 'residual_u8_QuantizeLinear',
        opType: 'QuantizeLinear',
        input: [add.input[1]!, 'residual_u8_scale', 'residual_u8_zero_point'],
        output: ['residual_u8_q'],
      });
      const dq = new onnx.NodeProto({
        name: 'residual_u8_DequantizeLinear',
        opType: 'DequantizeLinear',
        input: ['residual_u8_q', 'residual_u8_scale', 'residual_u8_zero_point'],
        output: ['residual_u8_dq'],
      });
      graph(m).node.splice(graph(m).node.indexOf(add), 0, q, dq);
      add.input[1] = 'residual_u8_dq';
    },
  },
  {
    rule: 'float-island',
    base: 'cnn-sigmoid.qdq.onnx',
    file: 'broken-float-sigmoid.qdq.onnx',
    node: '/head/Sigmoid',
    failsOn: 'SA8295',
    what: 'head Sigmoid left float (no QuantizeLinear on its output): V68 has no FP16, so it cannot stay on the NPU',
    edit: (m) => {
      const g = graph(m);
      const sig = node(m, '/head/Sigmoid');
      const q = node(m, '/head/Sigmoid_output_0_QuantizeLinear');
      const dq = node(m, '/head/Sigmoid_output_0_DequantizeLinear');
      g.node.splice(g.node.indexOf(q), 1);
      g.node.splice(g.node.indexOf(dq), 1);
      sig.output[0] = dq.output[0]!;
    },
  },
  {
    rule: '16a16w-arch',
    base: 'transformer-block.qdq.onnx',
    file: 'broken-16a16w-matmul.qdq.onnx',
    node: '/layers.0/attn/MatMul',
    failsOn: 'SM8450',
    passesOn: 'SM8550',
    what: 'attention QK MatMul with an int16 symmetric second input (16a16w), which needs HTP V73+',
    edit: (m) => {
      // Requantize K (the MatMul's second input) as int16 symmetric: a new Q/DQ pair, zero point 0.
      const mm = node(m, '/layers.0/attn/MatMul');
      const kDq = graph(m).node.find((n) => n.output?.[0] === mm.input[1]) as onnx.NodeProto;
      const kQ = graph(m).node.find((n) => n.output?.[0] === kDq.input[0]) as onnx.NodeProto;
      const oldScale = floats(init(m, kQ.input[1]!))[0]!;
      const scale = (oldScale * 65536) / 65535;
      replaceInit(m, makeTensor('k_int16_scale', new Float32Array([scale]), []));
      replaceInit(m, makeTensor('k_int16_zero_point', new Int16Array([0]), []));
      const q = new onnx.NodeProto({
        name: 'k_int16_QuantizeLinear',
        opType: 'QuantizeLinear',
        input: [kQ.input[0]!, 'k_int16_scale', 'k_int16_zero_point'],
        output: ['k_int16_q'],
      });
      const dq = new onnx.NodeProto({
        name: 'k_int16_DequantizeLinear',
        opType: 'DequantizeLinear',
        input: ['k_int16_q', 'k_int16_scale', 'k_int16_zero_point'],
        output: ['k_int16_dq'],
      });
      const at = graph(m).node.indexOf(mm);
      graph(m).node.splice(at, 0, q, dq);
      mm.input[1] = 'k_int16_dq';
    },
  },
  {
    rule: 'lpbq-arch',
    base: 'cnn-sigmoid.qdq.onnx',
    file: 'broken-blockwise-v68.qdq.onnx',
    node: '/backbone/conv2/Conv',
    failsOn: 'SA8295',
    passesOn: 'SM8650',
    what: 'conv2 weights quantized block-wise (block_size 4 along input channels), which needs HTP V69+',
    edit: (m) => {
      // conv2 weight is [16, 8, 3, 3]; blocks of 4 input channels: scale shape [16, 2, 3, 3].
      const s = init(m, 'backbone.conv2.weight_scale');
      const perChannel = floats(s);
      const blocked: number[] = [];
      for (let o = 0; o < 16; o++) for (let b = 0; b < 2 * 9; b++) blocked.push(perChannel[o]!);
      replaceInit(m, makeTensor(s.name, new Float32Array(blocked), [16, 2, 3, 3]));
      replaceInit(m, makeTensor('backbone.conv2.weight_zero_point', new Int8Array(blocked.length), [16, 2, 3, 3]));
      const dq = node(m, 'backbone.conv2.weight_DequantizeLinear');
      dq.attribute = dq.attribute.filter((a) => a.name !== 'axis' && a.name !== 'block_size') as onnx.AttributeProto[];
      dq.attribute.push(
        new onnx.AttributeProto(makeAttribute('axis', attr.int(1))),
        new onnx.AttributeProto(makeAttribute('block_size', attr.int(4))),
      );
    },
  },
];

/** Applies a variant to the bytes of its clean base sample. */
export function buildBroken(variant: BrokenVariant, base: Uint8Array): Uint8Array {
  const model = onnx.ModelProto.decode(base);
  variant.edit(model);
  model.graph!.name = `${model.graph!.name} (broken: ${variant.rule})`;
  return onnx.ModelProto.encode(model).finish();
}
