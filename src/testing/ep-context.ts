/**
 * Compiled models as ONNX Runtime writes them: EPContext nodes with the attributes its QNN EP
 * writes (onnx_ctx_model_helper.cc CreateEPContextNodes: embed_mode, ep_cache_context,
 * ep_sdk_version, partition_name, source, and main_context 0 on the nodes after the first), shaped
 * like its test data and its compile tests' outputs (see precompiled-context.test.ts).
 */
import { GraphBuilder } from '../core/model/graph-builder';
import { readOnnx } from '../core/model/read-onnx';
import { attr, writeOnnx } from '../core/model/write-onnx';

/** A stand-in for a QNN context binary: it starts with NUL bytes, as the ones ONNX Runtime embeds do. */
export function contextBinary(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  bytes.set([0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0x10]);
  for (let i = 17; i < size; i++) bytes[i] = (i * 37) & 0xff;
  return bytes;
}

export const SDK = 'v2.22.0.240425235059_92863';

interface ContextNode {
  name: string;
  inputs: string[];
  outputs: string[];
  /** Embedded bytes, or the file name of an external binary; absent on a node that is not the main context. */
  cache?: Uint8Array | string;
  source?: string;
}

export function contextNode(b: GraphBuilder, n: ContextNode) {
  const attrs: Record<string, ReturnType<typeof attr.int>> = {};
  if (n.cache instanceof Uint8Array) attrs.ep_cache_context = attr.bytes(n.cache);
  else if (n.cache !== undefined) attrs.ep_cache_context = attr.string(n.cache);
  if (n.cache === undefined) attrs.main_context = attr.int(0);
  else attrs.main_context = attr.int(1);
  attrs.embed_mode = attr.int(n.cache instanceof Uint8Array ? 1 : 0);
  attrs.ep_sdk_version = attr.string(SDK);
  attrs.partition_name = attr.string(n.name);
  if (n.source !== '') attrs.source = attr.string(n.source ?? 'QNNExecutionProvider');
  b.node('EPContext', n.inputs, n.outputs, attrs, { name: n.name, domain: 'com.microsoft' });
}

/** The file's bytes: opset 13 with the com.microsoft domain, as the test models declare. */
export const bytesOf = (b: GraphBuilder) =>
  writeOnnx(
    b.toModel({
      opset: [
        { domain: '', version: 13 },
        { domain: 'com.microsoft', version: 1 },
      ],
      irVersion: 8,
    }),
  );

export const read = (b: GraphBuilder, fileName: string) => readOnnx(bytesOf(b), { fileName });

/** qnn_multi_ctx_embed.onnx / qnn_multi_ctx_external.onnx: input [3,4] -> context -> context -> output. */
export function multiContextGraph(embed: boolean): GraphBuilder {
  const b = new GraphBuilder('multi_ctx');
  b.input('input', 'float32', [3, 4]);
  const names = [
    'QNNExecutionProvider_QNN_13547385946405838957_1_0',
    'QNNExecutionProvider_QNN_16204887825977696646_1_0',
  ];
  names.forEach((name, i) =>
    contextNode(b, {
      name,
      inputs: [i === 0 ? 'input' : 'add_1'],
      outputs: [i === 0 ? 'add_1' : 'output'],
      cache: embed ? contextBinary(17776) : `add_${i}_quant.onnx_ctx.onnx_${name}.bin`,
    }),
  );
  b.output('output', 'float32', [3, 4]);
  return b;
}

export const multiContext = (embed: boolean) =>
  read(multiContextGraph(embed), embed ? 'qnn_multi_ctx_embed.onnx' : 'qnn_multi_ctx_external.onnx');

/**
 * QnnContextBinaryMultiPartitionSupport2 (BuildGraphWithQAndNonQ(false)) once compiled: FusedGemm
 * (com.microsoft, no QNN builder) -> EPContext(Q/DQ + Add) -> FusedGemm -> EPContext; the test
 * asserts 2 EPContext nodes of one input each and 2 other nodes. The second context shares the
 * first one's binary (main_context 0).
 */
export function multiPartition() {
  const b = new GraphBuilder('multi_partition');
  const ones = new Float32Array(200 * 200).fill(1);
  b.input('input1', 'float32', [200, 200]);
  b.initializer('add1_ini_input2', ones, [200, 200]);
  b.initializer('add3_ini_input2', ones, [200, 200]);
  const gemm = (name: string, inputs: string[], out: string) =>
    b.node('FusedGemm', inputs, [out], { activation: attr.string('Relu') }, { name, domain: 'com.microsoft' });
  gemm('FusedGemm_node0', ['input1', 'add1_ini_input2'], 'add1_out');
  contextNode(b, {
    name: 'QNNExecutionProvider_QNN_1_1_0',
    inputs: ['add1_out'],
    outputs: ['add2_out'],
    cache: 'qnn_context_binary_multi_partition_test_QNNExecutionProvider_QNN_1_1_0.bin',
  });
  gemm('FusedGemm_node1', ['add2_out', 'add3_ini_input2'], 'add3_out');
  contextNode(b, { name: 'QNNExecutionProvider_QNN_2_2_0', inputs: ['add3_out'], outputs: ['output'] });
  b.output('output', 'float32', [200, 200]);
  return read(b, 'qnn_context_binary_multi_partition_test.onnx');
}
