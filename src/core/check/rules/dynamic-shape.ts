import type { Source } from '../../../../rules/types';
import type { Dim } from '../../model/types';
import type { QNode } from '../../qgraph/qgraph';
import { listNodeNames, type GraphRule } from './context';
import { isEpContext } from '../../model/external-data';

const SRC: Source = {
  ref: 'onnxruntime/onnxruntime-qnn onnxruntime/core/providers/qnn/builder/qnn_model_wrapper.cc (GetOnnxShape refuses a dimension of unknown size, so the node is not supported); microsoft/onnxruntime pull 22066 "[QNN EP] Ensure QNN EP rejects nodes with I/O of dynamic shape" and its test qnn_basic_test.cc EPRejectsDynamicShapesF32; issue 22439 ("QNN NPU doesn\'t support dynamic shape")',
  confidence: 'from-code',
  note: 'ONNX Runtime fixes a symbolic dimension before partitioning when the session is given a free dimension override for it, and make_dynamic_shape_fixed or its QNN preprocessing (--dynamic_input_shapes, pull 25024) write fixed sizes into the model. The QNN converter builds a static graph from the input sizes it is given; ExecuTorch traces with example inputs of fixed size.',
};

const dimsText = (dims: Dim[] | undefined) =>
  dims
    ? `[${dims.map((d) => (typeof d === 'number' && d > 0 ? String(d) : typeof d === 'string' && d ? d : '?')).join(', ')}]`
    : 'no shape';

/**
 * Nodes with a tensor of unknown size (dynamic.ts): ONNX Runtime's QNN EP leaves them to the CPU.
 * One finding names the cause (dynamic graph inputs, shapes computed at run time, data-dependent
 * sizes) and the nodes.
 */
export const dynamicShapeRule: GraphRule = {
  id: 'dynamic-shape',
  title: 'Tensors of unknown size',
  description:
    "Compute nodes with an input or output whose size is not fixed before a run: one that follows from a graph input declared with a symbolic or missing dimension (a dynamic batch or sequence length), from a shape computed at run time (a Reshape whose shape is a graph input), or from values (NonZero). ONNX Runtime's QNN EP takes only nodes of static shapes, so under that flow they run on the CPU unless the sizes are fixed first (make_dynamic_shape_fixed, free dimension overrides); the QNN converter and ExecuTorch build static graphs from the sizes they are given, so there it is advice. One finding names the causes and the nodes.",
  check(ctx) {
    const dynamic = ctx.graph.dynamic;
    if (!dynamic) return [];
    const tensors = new Set(dynamic.tensors);
    const members: QNode[] = ctx.graph.nodes.filter(
      (n) =>
        ctx.mappedOps.has(n.id) &&
        !n.folded &&
        !isEpContext(n) &&
        [...n.inputs, ...n.outputs].some((p) => tensors.has(p.tensor) || (p.from !== undefined && tensors.has(p.from))),
    );
    if (members.length === 0) return [];
    // The first few of each kind: a model may compute hundreds of shapes at run time.
    const firstOf = (items: string[], max: number) =>
      items.length > max ? [...items.slice(0, max), `${items.length - max} more like these`] : items;
    const why = [
      ...firstOf(
        dynamic.inputs.map((i) => `input ${i.name} ${dimsText(i.dims)}`),
        8,
      ),
      ...firstOf(
        dynamic.causes.map((c) => `${c.opType} ${c.node} ${c.why}`),
        4,
      ),
    ];
    const symbols = [
      ...new Set(
        dynamic.inputs.flatMap((i) => (i.dims ?? []).filter((d): d is string => typeof d === 'string' && !!d)),
      ),
    ];
    const fixInputs = dynamic.inputs.length
      ? `Give the inputs fixed sizes before deploying: ${
          symbols.length
            ? `python -m onnxruntime.tools.make_dynamic_shape_fixed --dim_param ${symbols[0]} --dim_value <size> in.onnx out.onnx (once per symbol: ${symbols.join(', ')})`
            : 'python -m onnxruntime.tools.make_dynamic_shape_fixed --input_name <input> --input_shape <dims> in.onnx out.onnx'
        }, a free dimension override on the ONNX Runtime session, or an export without dynamic axes. QuantLens's quantizer writes the sizes it calibrated at into its export when asked (fix these sizes in the export; quantlens quantize --fix-sizes).`
      : '';
    const fixCauses = dynamic.causes.length
      ? ' Compute shapes from constants, or from the static shapes of tensors (Shape), rather than from values given at run time.'
      : '';
    return [
      {
        node: members[0]!,
        raw: {
          kind: 'violation',
          effect: { kind: 'backend-limit', outcomes: { ort: 'cpu-fallback', qnn: 'advice', executorch: 'advice' } },
          nodeIds: members.map((n) => n.id),
          message: `${members.length === 1 ? '1 node has' : `${members.length} nodes have`} a tensor whose size is not fixed before a run (${why.join('; ')}): ONNX Runtime's QNN EP takes only nodes of static shapes, so ${members.length === 1 ? 'it runs' : 'they run'} on the CPU unless the sizes are fixed first`,
          expected: 'static shapes on every input and output of the nodes the NPU runs',
          actual: listNodeNames(members),
          fix: (fixInputs + fixCauses).trim(),
          // The flows that build a static graph from the sizes they are given need no change for
          // the inputs' sizes themselves.
          ...(dynamic.inputs.length
            ? {
                fixFor: {
                  qnn: `Nothing to change for the inputs' sizes: the QNN converter builds a static graph at the sizes it is given (${symbols.length ? `qnn-onnx-converter --define_symbol ${symbols[0]} <size>, once per symbol: ${symbols.join(', ')}; or -d / --input_dim per input` : 'qnn-onnx-converter -d / --input_dim <input> <dims>, once per input'}). To run the same model under ONNX Runtime's QNN EP too, fix them in the model (make_dynamic_shape_fixed, or quantlens quantize --fix-sizes).${fixCauses}`,
                  executorch: `Nothing to change for the inputs' sizes: ExecuTorch builds its graph at the sizes of the example inputs it exports with.${fixCauses}`,
                },
              }
            : {}),
          source: SRC,
        },
      },
    ];
  },
};
