import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ModelLoadError } from './errors';
import { readOnnx } from './read-onnx';
import { writeOnnx } from './write-onnx';
import { onnx } from './onnx/generated/onnx-pb.js';
import { constNumbers, constValues, smallConstValues } from './constants';
import { createOrtSession, ort } from '../quant/ort-node';
import { appendedCastModel } from '../../testing/appended-cast';

const DATA = '/usr/share/libonnx-testdata/data';
const load = (rel: string) => new Uint8Array(readFileSync(`${DATA}/${rel}`));

function loadError(bytes: Uint8Array, fileName = 'x.onnx'): ModelLoadError {
  try {
    readOnnx(bytes, { fileName });
  } catch (err) {
    expect(err).toBeInstanceOf(ModelLoadError);
    return err as ModelLoadError;
  }
  throw new Error('expected a ModelLoadError');
}

describe('readOnnx', () => {
  it('reads a Conv model with weights as views into the file bytes', () => {
    const bytes = load('pytorch-converted/test_Conv2d/model.onnx');
    const model = readOnnx(bytes, { fileName: 'conv.onnx' });
    expect(model.graph.nodes.map((n) => n.opType)).toEqual(['Conv']);
    const weight = [...model.graph.initializers.values()][0]!;
    expect(weight.dtype).toBe('float32');
    expect(weight.data.kind).toBe('raw');
    if (weight.data.kind === 'raw') expect(weight.data.bytes.buffer).toBe(bytes.buffer);
    expect(model.graph.inputs[0]!.shape).toEqual([2, 3, 7, 5]);
  });

  it('reads float16 values stored in int32_data (as their bit patterns) as numbers', () => {
    const model = new onnx.ModelProto({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 17 }],
      graph: {
        name: 'g',
        node: [{ opType: 'Identity', input: ['c'], output: ['y'] }],
        initializer: [
          { name: 'c', dims: [2], dataType: onnx.TensorProto.DataType.FLOAT16, int32Data: [0x3c00, 0xc000] },
        ],
        output: [{ name: 'y', type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT16 } } }],
      },
    });
    const c = readOnnx(writeOnnx(model)).graph.initializers.get('c')!;
    expect(c.data.kind).toBe('typed');
    expect(constNumbers(c)).toEqual([1, -2]);
    expect(smallConstValues(c)).toEqual([1, -2]);
  });

  it('reads If sub-graphs with nested node ids', () => {
    const model = readOnnx(load('node/test_if/model.onnx'));
    const ifNode = model.graph.nodes.find((n) => n.opType === 'If')!;
    expect(ifNode.subgraphs.map((s) => s.attribute).sort()).toEqual(['else_branch', 'then_branch']);
    const then = ifNode.subgraphs.find((s) => s.attribute === 'then_branch')!.graph;
    expect(then.path).toBe(`${ifNode.id}/then_branch`);
    expect(then.nodes[0]!.id).toBe(`${ifNode.id}/then_branch/0`);
  });

  it('reads opset imports of several domains', () => {
    const model = readOnnx(load('simple/test_gradient_of_add/model.onnx'));
    expect(model.opsetImports.map((o) => o.domain)).toEqual(['', 'ai.onnx.preview.training']);
  });

  it('names an empty file', () => {
    const e = loadError(new Uint8Array(0), 'empty.onnx');
    expect(e.code).toBe('empty-file');
    expect(e.message).toContain('empty.onnx');
  });

  it('names a PNG for what it is', () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
    const e = loadError(png, 'cat.png');
    expect(e.code).toBe('not-onnx');
    expect(e.problem).toContain('PNG');
  });

  it('names a short text file for what it is, however short', () => {
    // Below 16 bytes it was read as protobuf: "hello world" was a corrupt model (wire type 4).
    for (const text of ['hello world\n', 'x', 'model.onnx', '{}', '  \n']) {
      const e = loadError(new TextEncoder().encode(text), 'notes.onnx');
      expect(e.code).toBe('not-onnx');
      expect(e.problem).toContain(text.trim().startsWith('{') ? 'a JSON text file' : 'a text file');
    }
    // The first bytes of ONNX's own models are no text: every one of them still opens.
    for (const m of ['node/test_relu', 'node/test_if', 'pytorch-converted/test_Conv2d'])
      expect(readOnnx(load(`${m}/model.onnx`)).graph.nodes.length).toBeGreaterThan(0);
  });

  it('reports a truncated model with the offset', () => {
    const bytes = load('pytorch-converted/test_Conv2d/model.onnx');
    const e = loadError(bytes.subarray(0, Math.floor(bytes.length / 2)), 'half.onnx');
    expect(e.code).toBe('truncated');
    expect(e.message).toMatch(/truncated/);
  });

  it('rejects every truncation of a small model with a typed error, never a crash', () => {
    const bytes = load('node/test_if/model.onnx');
    const codes = new Set<string>();
    for (let cut = 0; cut < bytes.length; cut++) {
      try {
        readOnnx(bytes.subarray(0, cut));
      } catch (err) {
        expect(err).toBeInstanceOf(ModelLoadError);
        codes.add((err as ModelLoadError).code);
      }
    }
    expect([...codes].every((c) => ['empty-file', 'truncated', 'not-onnx', 'malformed'].includes(c))).toBe(true);
  });

  it('refuses sub-graphs nested beyond the limit', () => {
    expect(() => readOnnx(load('node/test_if/model.onnx'), { limits: { maxGraphDepth: 0 } })).toThrow(/nested 1 deep/);
  });
});

describe('string decoding', () => {
  it('reads names as UTF-8, loosely, whatever their length (flat strings, not protobufjs ropes)', async () => {
    const { default: $protobuf } = await import('./onnx/pb-runtime.js');
    const enc = new TextEncoder();
    const cases = [
      '',
      'x',
      '/model/layers.3/attn/q_proj/MatMul_output_0',
      'a'.repeat(300),
      '层/卷积_输出',
      'é'.repeat(100),
    ];
    for (const text of cases) {
      const bytes = enc.encode(`..${text}..`);
      expect($protobuf.util.utf8.read(bytes, 2, bytes.length - 2)).toBe(text);
    }
    // An invalid byte becomes U+FFFD, as protobufjs's own loose reader does.
    const bad = new Uint8Array([0x61, 0xff, 0x62]);
    expect($protobuf.util.utf8.read(bad, 0, 3)).toBe('a\uFFFDb');
    // Through the reader: a node name with non-ASCII characters survives.
    const model = readOnnx(
      writeOnnx({
        irVersion: 8,
        opsetImport: [{ domain: '', version: 17 }],
        graph: { name: 'g', node: [{ opType: 'Relu', name: '层/relu', input: ['x'], output: ['y'] }] },
      }),
    );
    expect(model.graph.nodes[0]!.name).toBe('层/relu');
  });

  it('interns repeated names while a model is read, and never returns one string for another', async () => {
    const { default: $protobuf, internStrings } = await import('./onnx/pb-runtime.js');
    const enc = new TextEncoder();
    // Two names whose hashes collide (the same FNV-style hash the reader takes): found by search.
    const hash = (t: string) => {
      let h = t.length;
      for (let i = 0; i < t.length; i++) h = Math.imul(h ^ t.charCodeAt(i), 16777619);
      return h;
    };
    const seen = new Map<number, string>();
    let pair: [string, string] | undefined;
    for (let i = 0; !pair; i++) {
      const name = `/model/layers.${i}/mlp/Mul_output_0`;
      const other = seen.get(hash(name));
      if (other !== undefined && other.length === name.length) pair = [other, name];
      else seen.set(hash(name), name);
    }
    const read = (t: string) => {
      const bytes = enc.encode(t);
      return $protobuf.util.utf8.read(bytes, 0, bytes.length);
    };
    internStrings(true);
    try {
      for (const t of [pair[0], pair[1], pair[0], pair[1], 'MatMul', 'MatMul', 'é/é', 'é/é']) expect(read(t)).toBe(t);
    } finally {
      internStrings(false);
    }
    // A whole read leaves no table behind, and names still come out right.
    const model = readOnnx(load('node/test_if/model.onnx'));
    expect(model.graph.nodes.map((n) => n.opType)).toEqual(['If']);
    expect(read(pair[1])).toBe(pair[1]);
  });
});

describe('messages about a node', () => {
  it("name a Constant node's tensor by its attribute and node", () => {
    // ONNX's test_constant with its value's first dimension made negative by python3-onnx.
    const bytes = new Uint8Array(
      execFileSync('/usr/bin/python3', [
        '-c',
        `import onnx, sys
m = onnx.load(sys.argv[1]); m.graph.node[0].name = 'k'; m.graph.node[0].attribute[0].t.dims[0] = -5
sys.stdout.buffer.write(m.SerializeToString())`,
        `${DATA}/node/test_constant/model.onnx`,
      ]),
    );
    expect(readOnnx(bytes).warnings).toContain(
      'Tensor attribute "value" of node 0 (Constant "k") has a negative dimension (-5); its shape is shown as written.',
    );
  });
});

describe('structure warnings', () => {
  // ONNX's own expanded Range: a Loop whose body reads the main graph's input "delta" (outer scope).
  const RANGE = 'node/test_range_float_type_positive_delta_expanded/model.onnx';
  const structural = (bytes: Uint8Array) =>
    readOnnx(bytes, { fileName: 'range.onnx' }).warnings.filter((w) =>
      /names no tensor|produced by more than one|later node|produced by no node/.test(w),
    );
  /** The model edited by python3-onnx: `edit` is Python run with `g` the main graph and `body` the Loop's. */
  const edited = (edit: string) =>
    new Uint8Array(
      execFileSync(
        '/usr/bin/python3',
        [
          '-c',
          `import onnx, sys
m = onnx.load(sys.argv[1]); g = m.graph
body = [a.g for n in g.node for a in n.attribute if a.type == onnx.AttributeProto.GRAPH][0]
${edit}
sys.stdout.buffer.write(m.SerializeToString())`,
          `${DATA}/${RANGE}`,
        ],
        { maxBuffer: 1 << 24 },
      ),
    );

  it('lets a sub-graph read its enclosing graph: its inputs and what its nodes produce', () => {
    expect(structural(load(RANGE))).toEqual([]);
    // The body reads a main-graph node's output instead of the main graph's input.
    const casted = edited(`body.node[1].input[1] = g.node[2].output[0]`);
    expect(structural(casted)).toEqual([]);
  });

  it('names the sub-graph whose node reads a tensor no graph defines, and a main graph out of order', () => {
    const [dangling] = structural(edited(`body.node[1].input[1] = 'no_such_tensor'`));
    expect(dangling).toMatch(
      /^In sub-graph 8\/body, a node input names no tensor of the model \(first: "no_such_tensor"/,
    );
    // Sub before the Cast that reads it, swapped.
    const order = structural(
      edited(`a, b = g.node[0], g.node[1]; c = onnx.NodeProto(); c.CopyFrom(a); a.CopyFrom(b); b.CopyFrom(c)`),
    );
    expect(order).toHaveLength(1);
    expect(order[0]).toMatch(/^In the main graph, a node reads a tensor produced by a later node/);
    // The Sub reads its own output: a cycle.
    const [cycle] = structural(edited(`g.node[0].input[0] = g.node[0].output[0]`));
    expect(cycle).toMatch(/later node .*, and the nodes form a cycle: no runtime runs such a graph\.$/);
  });

  it("a real export whose input Casts were appended at the end, as IS-Net's float16 build has them: what refuses it and what runs it", async () => {
    const bytes = appendedCastModel();
    const [order, ...rest] = readOnnx(bytes).warnings.filter((w) => /later node/.test(w));
    expect(rest).toEqual([]);
    expect(order).toMatch(
      /^In the main graph, a node reads a tensor produced by a later node \(first: "in0_cast" of node 5 \(Conv "\/features\/features\.0\/features\.0\.0\/Conv"\)\): the nodes are out of the topological order ONNX requires, so onnx\.checker refuses the model\. ONNX Runtime sorts them itself and runs it/,
    );
    const session = await createOrtSession(bytes);
    const input = session.inputNames[0]!;
    const out = await session.run({
      [input]: new ort.Tensor('float32', new Float32Array(3 * 64 * 64), [1, 3, 64, 64]),
    });
    expect(Object.keys(out).length).toBeGreaterThan(0);
    await session.release();
  });
});

describe('weights for the quantizer', () => {
  const HALF = '.cache/corpus/torch/float16-encoder-opset17.onnx';
  it.skipIf(!existsSync(HALF))(
    "a float16 model's weights read whole as float32 give the values of ONNX's decoding (a PyTorch encoder converted to float16)",
    () => {
      const model = readOnnx(new Uint8Array(readFileSync(HALF)));
      const halves = [...model.graph.initializers.values()].filter(
        (t) => t.dtype === 'float16' && t.data.kind === 'raw',
      );
      expect(halves.length).toBeGreaterThan(10);
      let compared = 0;
      for (const t of halves) {
        const fast = constValues(t)!;
        expect(fast).toBeInstanceOf(Float32Array);
        expect(Array.from(fast), t.name).toEqual(constNumbers(t, Infinity));
        compared += fast.length;
      }
      expect(compared).toBeGreaterThan(8_000);
    },
  );
});
