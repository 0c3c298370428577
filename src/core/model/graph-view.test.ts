import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildGraphView, inputNodeId, outputNodeId } from './graph-view';
import { findGraphChain, lookupConstant, lookupShownConstant } from './constants';
import { readOnnx } from './read-onnx';

const DATA = '/usr/share/libonnx-testdata/data';

describe('buildGraphView', () => {
  it('shows weights as ports, not nodes, and links inputs to outputs', () => {
    const model = readOnnx(new Uint8Array(readFileSync(`${DATA}/pytorch-converted/test_Conv2d/model.onnx`)));
    const view = buildGraphView(model, '')!;
    expect(view.nodes.map((n) => n.kind)).toEqual(['input', 'op', 'output']);
    const conv = view.nodes[1]!;
    expect(conv.inputs.map((p) => p.kind)).toEqual(['graph-input', 'initializer', 'initializer']);
    expect(view.edges.map((e) => [e.source, e.target])).toEqual([
      [inputNodeId(model.graph.inputs[0]!.name), conv.id],
      [conv.id, outputNodeId(model.graph.outputs[0]!.name)],
    ]);
  });

  it('returns undefined for a path that does not exist', () => {
    const model = readOnnx(new Uint8Array(readFileSync(`${DATA}/node/test_if/model.onnx`)));
    expect(findGraphChain(model, '99/then_branch')).toBeUndefined();
    expect(buildGraphView(model, '0/nope')).toBeUndefined();
  });
});

describe('weights of a QDQ model', () => {
  const RESNET = '.cache/corpus/torch/resnet18-pc-sym.onnx';
  it.runIf(existsSync(RESNET))(
    "PyTorch's fake-quant weights (a float initializer quantized in the graph) read as constants, with the float values to show",
    () => {
      // torch.onnx.export of a torch.ao model writes each weight as DQ(Q(float initializer)).
      const model = readOnnx(new Uint8Array(readFileSync(RESNET)));
      const view = buildGraphView(model, '')!;
      const conv = view.nodes.find((n) => n.name === '/conv2/Conv')!;
      const weight = conv.inputs[1]!.dequantizedFrom!;
      expect(weight.constant).toBe(true);
      expect(model.graph.initializers.has(weight.values!)).toBe(true);
      // Its shape is the float weight's (the exporter wrote none for the DQ output).
      expect(conv.inputs[1]!.shape).toEqual([64, 64, 3, 3]);
      // The activation into it is dequantized from the previous layer's Q: not a constant.
      expect(conv.inputs[0]!.dequantizedFrom).toMatchObject({ constant: false });
      expect(conv.inputs[0]!.dequantizedFrom!.values).toBeUndefined();
      // Its bias is an Identity of another layer's bias (PyTorch keeps one copy of equal
      // initializers): a constant, with that initializer's values.
      const bias = conv.inputs[2]!;
      expect(bias.kind).toBe('constant');
      expect(model.graph.nodes.find((n) => n.outputs[0] === bias.name)?.opType).toBe('Identity');
      expect(lookupShownConstant(model, '', bias.name)).toBe(model.graph.initializers.get('conv1.bias'));
      expect(lookupConstant(model, '', bias.name)).toBeUndefined();
      expect(lookupShownConstant(model, '', conv.inputs[0]!.name)).toBeUndefined();
    },
  );
});

describe('element types of control-flow outputs', () => {
  // PyTorch writes no value_info for a TorchScript Loop's outputs; their type is the body's, not
  // the trip count's (int64), or the quantizer would leave the Conv after the Loop half in QDQ.
  const LOOP = '.cache/corpus/torch/float-loop-refine.onnx';
  it.skipIf(!existsSync(LOOP))('a Loop output has the type of the body output it collects', () => {
    const view = buildGraphView(readOnnx(new Uint8Array(readFileSync(LOOP))), '')!;
    const loop = view.nodes.find((n) => n.opType === 'Loop')!;
    expect(loop.inputs[0]!.dtype).toBe('int64');
    expect(loop.outputs.map((o) => o.dtype)).toEqual(['float32']);
    const out = view.edges.find((e) => e.source === loop.id)!;
    expect(out.dtype).toBe('float32');
  });
});
