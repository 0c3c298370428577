import type { Source } from '../../../../rules/types';
import type { QNode } from '../../qgraph/qgraph';
import type { RawFinding } from '../finding';
import { isEpContext, normalizeExternalLocation } from '../../model/external-data';
import { listNodeNames, type GraphRule, type GraphRuleContext } from './context';

/** Whether ONNX Runtime's QNN EP loads this EPContext node (its `source`, in any case). */
function fromQnn(node: QNode): boolean {
  const source = node.attrs?.source;
  return typeof source === 'string' && ['qnn', 'qnnexecutionprovider'].includes(source.toLowerCase());
}

const SRC: Source = {
  ref: 'onnxruntime/onnxruntime-qnn onnxruntime/core/providers/qnn/builder/onnx_ctx_model_helper.cc (the EPContext attributes it writes; a node is the QNN EP\'s when its source is "QNN" or "QNNExecutionProvider") and qnn_execution_provider.cc (a model with such nodes goes to PartitionCtxModel, which takes the EPContext nodes only); onnxruntime.ai EP-Context-Design',
  confidence: 'from-code',
  note: 'QNN loads a context binary on a device it can run on (QnnContext_BinaryCompatibilityType, permissive by default); which SoCs this one was built for is not in any documented field, so QuantLens does not check it against the SoC picked here.',
};

/** Where the node's context binary is, as its attributes say. */
function whereBinary(node: QNode): string {
  const cache = node.attrs?.ep_cache_context;
  if (node.attrs?.main_context === 0) return "the binary of the model's main EPContext node";
  if (node.attrs?.embed_mode === 0)
    return typeof cache === 'string' && cache ? `the file "${cache}" beside the model` : 'a file beside the model';
  if (typeof cache === 'number') return `embedded, ${cache.toLocaleString('en-US')} bytes`;
  if (typeof cache === 'string') return `embedded, ${cache.length.toLocaleString('en-US')} bytes`;
  return 'no ep_cache_context attribute';
}

/**
 * The file an EPContext node keeps its binary in (embed_mode 0, the main context) when the files
 * given beside the model are known and it is not among them; undefined otherwise (a path QuantLens
 * does not read, which ONNX Runtime may still resolve, is not called missing).
 */
function missingBinary(node: QNode, files: GraphRuleContext['sideFiles']): string | undefined {
  const cache = node.attrs?.ep_cache_context;
  if (!files || node.attrs?.embed_mode !== 0 || node.attrs?.main_context === 0) return undefined;
  if (typeof cache !== 'string' || !cache) return undefined;
  const norm = normalizeExternalLocation(cache);
  return norm.ok && !files.has(norm.path) ? norm.path : undefined;
}

function contextFinding(node: QNode, files: GraphRuleContext['sideFiles']): RawFinding {
  const missing = missingBinary(node, files);
  const sdk = typeof node.attrs?.ep_sdk_version === 'string' ? node.attrs.ep_sdk_version : undefined;
  const partition = typeof node.attrs?.partition_name === 'string' ? node.attrs.partition_name : undefined;
  const about = [
    partition && partition !== node.name && `partition "${partition}"`,
    sdk && `SDK ${sdk}`,
    !missing && whereBinary(node),
  ]
    .filter(Boolean)
    .join('; ');
  if (fromQnn(node) && missing)
    return {
      kind: 'violation',
      effect: { kind: 'backend-limit', outcomes: { ort: 'rejected', qnn: 'rejected', executorch: 'rejected' } },
      message: `A QNN context compiled ahead of time (${about}), whose binary "${missing}" was not given with the model: ONNX Runtime's QNN EP reads it from the model's folder, and cannot create the session without it`,
      expected: `the context binary "${missing}" beside the model`,
      actual: 'no such file among those given',
      fix: `Keep "${missing}" in the model's folder when you deploy (drop or pass both files together to check them), or compile with ep.context_embed_mode=1 to embed the binary in the model.`,
      source: SRC,
    };
  if (fromQnn(node))
    return {
      kind: 'violation',
      effect: { kind: 'backend-limit', outcomes: { ort: 'advice', qnn: 'rejected', executorch: 'rejected' } },
      message: `A QNN context compiled ahead of time (${about}): only ONNX Runtime's QNN EP loads it, as it is, and its ops are not in the file for QuantLens to check`,
      expected: 'ONNX ops that QuantLens can check, or a context the flow can load',
      actual: 'a compiled QNN context binary',
      fix: "To check the ops inside, open the model it was compiled from (the ONNX file given to ONNX Runtime's ep.context_enable or compile API, or to the AI Hub compile job). The QNN converter and ExecuTorch take that source model, not this wrapper; the binary itself runs with qnn-net-run --retrieve_context.",
      source: SRC,
    };
  const source = typeof node.attrs?.source === 'string' && node.attrs.source ? node.attrs.source : undefined;
  return {
    kind: 'violation',
    effect: { kind: 'backend-limit', outcomes: { ort: 'rejected', qnn: 'rejected', executorch: 'rejected' } },
    message: `A context compiled ${source ? `by ${source}` : 'by an execution provider it does not name (no source attribute)'}, not by QNN (${about}): only that provider can load it, so ONNX Runtime's QNN EP leaves it, and no other provider has a kernel for it`,
    expected: 'an EPContext node whose source is QNN or QNNExecutionProvider',
    actual: source ? `source "${source}"` : 'no source attribute',
    fix: 'Compile the source model for QNN (ONNX Runtime with the QNN EP and ep.context_enable=1, or an AI Hub compile job for this device), or open the source model here to check it.',
    source: SRC,
  };
}

/**
 * Models compiled into EPContext nodes: each context is reported (QuantLens cannot see inside
 * it), and the compute nodes left outside the QNN contexts are named, since ONNX Runtime's QNN EP
 * takes only the EPContext nodes of such a model and the rest runs on the CPU.
 */
export const precompiledContextRule: GraphRule = {
  id: 'precompiled-context',
  title: 'Compiled EPContext models',
  description:
    "A model compiled by ONNX Runtime into EPContext nodes (ep.context_enable, the compile API, AI Hub's precompiled QNN ONNX) holds each compiled partition as a context binary that only the provider which wrote it can load. A QNN context is advice under ONNX Runtime (its QNN EP loads it as it is; QuantLens cannot check the ops inside) and rejected under the QNN converter and ExecuTorch, which take the source model; a context from another provider is rejected everywhere, and so is a context whose binary file (embed_mode 0) is not among the files given with the model, since ONNX Runtime cannot create the session without it. Compute nodes outside the QNN contexts run on the CPU under ONNX Runtime, whose QNN EP takes only the EPContext nodes of such a model: one finding names them.",
  check(ctx) {
    const contexts = ctx.graph.nodes.filter(isEpContext);
    if (contexts.length === 0) return [];
    const out = contexts.map((node) => ({ node, raw: contextFinding(node, ctx.sideFiles) }));
    if (!contexts.some(fromQnn)) return out;
    const outside = ctx.graph.nodes.filter((n) => !isEpContext(n) && ctx.mappedOps.has(n.id));
    if (outside.length > 0) {
      const ops = [...new Set(outside.map((n) => n.opType))].join(', ');
      out.push({
        node: outside[0]!,
        raw: {
          kind: 'violation',
          effect: { kind: 'backend-limit', outcomes: { ort: 'cpu-fallback', qnn: 'advice', executorch: 'advice' } },
          nodeIds: outside.map((n) => n.id),
          message: `${outside.length === 1 ? '1 node' : `${outside.length} nodes`} outside the compiled QNN contexts (${ops}): ONNX Runtime's QNN EP takes only the EPContext nodes of a compiled model, so ${outside.length === 1 ? 'it runs' : 'they run'} on the CPU`,
          expected: 'every compute node inside a QNN context',
          actual: listNodeNames(outside),
          fix: 'These nodes were left out when the model was compiled (the QNN EP did not take them); their other findings here may say why. Fix them in the source model and compile it again.',
          source: SRC,
        },
      });
    }
    return out;
  },
};
