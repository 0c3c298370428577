/**
 * Compiled models: ONNX Runtime's EPContext nodes, built as ONNX Runtime's QNN EP writes them
 * (onnx_ctx_model_helper.cc CreateEPContextNodes: embed_mode, ep_cache_context, ep_sdk_version,
 * partition_name, source, and main_context 0 on the nodes after the first) and as its test data
 * holds them (onnxruntime/test/testdata/qnn_ctx/qnn_multi_ctx_{embed,external}.onnx, used by
 * qnn_ep_context_test.cc QnnMultiContextEmbeded / QnnMultiContextExternal), and the model
 * QnnContextBinaryMultiPartitionSupport2 compiles: two FusedGemm nodes the QNN EP leaves to the
 * CPU beside two EPContext nodes.
 */
import { describe, expect, it } from 'vitest';
import { loadRulePack } from '../../../rules/registry';
import type { Flow } from '../../../rules/types';
import { GraphBuilder } from '../model/graph-builder';
import { buildGraphView } from '../model/graph-view';
import { contextBinary, contextNode, multiContext, multiPartition, read, SDK } from '../../testing/ep-context';
import { qgraphFromQdq } from '../qgraph/from-qdq';
import { validate } from './validate';

const htp = () => loadRulePack('htp');
const check = async (model: ReturnType<typeof read>, flow: Flow, strict = true) =>
  validate(qgraphFromQdq(model), await htp(), { soc: 'SM8650', strict, flow });

describe('compiled EPContext models', () => {
  it('keeps an embedded context binary as its size, and text attributes as text', () => {
    const model = multiContext(true);
    const node = model.graph.nodes[0]!;
    const attrOf = (name: string) => node.attributes.find((a) => a.name === name)?.attr;
    expect(attrOf('ep_cache_context')).toEqual({ type: 'bytes', value: 17776 });
    expect(attrOf('source')).toEqual({ type: 'string', value: 'QNNExecutionProvider' });
    expect(attrOf('ep_sdk_version')).toEqual({ type: 'string', value: SDK });
    const shown = buildGraphView(model, '')!.nodes.find((n) => n.id === node.id)!;
    expect(shown.attributes.find((a) => a.name === 'ep_cache_context')?.text).toBe('17,776 bytes of binary data');
  });

  it('runs the QNN contexts on the NPU under ONNX Runtime, as advice, and names what the file holds', async () => {
    for (const embed of [true, false]) {
      const result = await check(multiContext(embed), 'ort');
      expect(result.verdict).toBe('pass');
      expect(result.findings.map((f) => [f.rule, f.severity, f.outcome])).toEqual([
        ['precompiled-context', 'info', 'advice'],
        ['precompiled-context', 'info', 'advice'],
      ]);
      expect(result.delegation).toMatchObject({ nodes: 2, onNpu: 2, offNpu: 0 });
      const [first, second] = result.findings;
      expect(first!.message).toContain(`SDK ${SDK}`);
      if (embed) expect(first!.message).toContain('embedded, 17,776 bytes');
      else {
        expect(first!.message).toContain(
          'the file "add_0_quant.onnx_ctx.onnx_QNNExecutionProvider_QNN_13547385946405838957_1_0.bin" beside the model',
        );
        expect(second!.message).toContain('add_1_quant.onnx_ctx.onnx_');
      }
    }
  });

  it('names an external context binary that was not given with the model: ONNX Runtime cannot create the session', async () => {
    const model = multiContext(false);
    const graph = qgraphFromQdq(model);
    const given = (names: string[]) => ({ has: (location: string) => names.includes(location) });
    const first = 'add_0_quant.onnx_ctx.onnx_QNNExecutionProvider_QNN_13547385946405838957_1_0.bin';
    const second = 'add_1_quant.onnx_ctx.onnx_QNNExecutionProvider_QNN_16204887825977696646_1_0.bin';
    const run = async (names: string[]) =>
      validate(graph, await htp(), { soc: 'SM8650', strict: true, flow: 'ort', sideFiles: given(names) });
    const one = await run([first]);
    expect(one.findings.map((f) => f.outcome)).toEqual(['advice', 'rejected']);
    expect(one.findings[1]!.message).toContain(`whose binary "${second}" was not given with the model`);
    expect(one.findings[1]!.fix).toContain('ep.context_embed_mode=1');
    expect(one.verdict).toBe('fail');
    expect((await run([first, second])).verdict).toBe('pass');
    // Unknown files (no sideFiles): nothing is claimed missing.
    expect((await check(model, 'ort')).verdict).toBe('pass');
  });

  it('rejects them under the QNN converter and ExecuTorch, which take the source model', async () => {
    for (const flow of ['qnn', 'executorch'] as const) {
      const result = await check(multiContext(true), flow);
      expect(result.verdict).toBe('fail');
      expect(result.findings.map((f) => [f.rule, f.outcome])).toEqual([
        ['precompiled-context', 'rejected'],
        ['precompiled-context', 'rejected'],
      ]);
      expect(result.findings[0]!.fix).toContain('qnn-net-run --retrieve_context');
    }
  });

  it('names the nodes left outside the contexts: they run on the CPU under ONNX Runtime', async () => {
    const result = await check(multiPartition(), 'ort');
    expect(result.verdict).toBe('fail');
    const outside = result.findings.find((f) => f.rule === 'precompiled-context' && f.nodeIds);
    expect(outside).toMatchObject({
      outcome: 'cpu-fallback',
      severity: 'error',
      actual: 'FusedGemm_node0, FusedGemm_node1',
    });
    expect(outside!.message).toMatch(/^2 nodes outside the compiled QNN contexts \(FusedGemm\)/);
    const contexts = result.findings.filter((f) => f.rule === 'precompiled-context' && f.op === 'EPContext');
    expect(contexts.map((f) => f.outcome)).toEqual(['advice', 'advice']);
    expect(contexts[1]!.message).toContain("the binary of the model's main EPContext node");
    expect(result.delegation).toMatchObject({ nodes: 4, onNpu: 2, offNpu: 2, partitions: 2 });
    // Lenient mode keeps the verdict from failing; the CPU nodes stay named.
    const lenient = await check(multiPartition(), 'ort', false);
    expect(lenient.verdict).toBe('pass-with-warnings');
  });

  it('rejects a context another execution provider compiled, or one that names none', async () => {
    for (const source of ['OpenVINOExecutionProvider', '']) {
      const b = new GraphBuilder('other_ep');
      b.input('x', 'float32', [1, 8]);
      contextNode(b, { name: 'ctx', inputs: ['x'], outputs: ['y'], cache: contextBinary(64), source });
      b.output('y', 'float32', [1, 8]);
      for (const flow of ['ort', 'qnn', 'executorch'] as const) {
        const result = await check(read(b, 'other.onnx'), flow);
        expect(result.findings.map((f) => [f.rule, f.outcome])).toEqual([['precompiled-context', 'rejected']]);
        expect(result.findings[0]!.message).toContain(
          source ? 'compiled by OpenVINOExecutionProvider' : 'no source attribute',
        );
      }
    }
  });
});
