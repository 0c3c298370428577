/**
 * The model the page's engine opens once while it is idle, so that a person's first model does
 * not also pay for compiling the reader, the view and the check.
 *
 * A browser compiles a function when it first runs, and makes it fast only after it has run for a
 * while. The start-up sample (a small QDQ graph) runs the common paths, but too few times, and a
 * first model with control flow or float weights still ran much of the engine for the first time:
 * Silero VAD (If sub-graphs, 2.3 MB) parsed in 22-39 ms when it was the first file dropped into a
 * page that had drawn the sample, and in 3-13 ms when the same file was dropped again. With this
 * warm-up (Chromium, 8 first drops alternated with 8 without it), Silero's parse took 8-28 ms
 * instead of 19-43, and PP-OCRv4's recogniser's 5-15 ms instead of 15-34 (its answer reached the
 * page after 67-96 ms from the file's arrival instead of 92-138). The warm-up costs the idle
 * worker some tens of milliseconds, once.
 *
 * The model holds what real exports put in a graph and the sample lacks: an If with a branch
 * per side (each with initializers and a Constant), a Loop whose body reads an outer tensor,
 * convolutions with raw float weights, shape constants, value_info and doc strings. Nothing of it
 * reaches the page: it is opened by an engine of its own.
 */
import { onnx } from '../model/onnx/generated/onnx-pb.js';
import { attr, makeAttribute, makeTensor, makeValueInfo, writeOnnx } from '../model/write-onnx';

/** Blocks of the main graph: enough nodes, names and attributes for the reader to be compiled optimized. */
const BLOCKS = 40;

/** Deterministic weights (no randomness: the warm-up does the same work every time). */
function weights(count: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = Math.sin(seed * 31 + i) * 0.05;
  return out;
}

/** The warm-up model's bytes: 490 nodes in the main graph, 9 more in its sub-graphs, 0.15 MB. */
export function warmUpModelBytes(): Uint8Array {
  const C = 8;
  const nodes: onnx.INodeProto[] = [];
  const initializer: onnx.ITensorProto[] = [];
  const info: onnx.IValueInfoProto[] = [];
  let k = 0;
  const node = (opType: string, input: string[], attribute: onnx.IAttributeProto[] = []) => {
    const output = `/${opType.toLowerCase()}_${k}/out0`;
    nodes.push({
      name: `/block${k >> 3}/${opType}_${k}`,
      opType,
      input,
      output: [output],
      attribute,
      docString: `step ${k}`,
    });
    k++;
    return output;
  };
  let x = 'input';
  for (let b = 0; b < BLOCKS; b++) {
    const w = `block${b}.conv.weight`;
    const bias = `block${b}.conv.bias`;
    initializer.push(makeTensor(w, weights(C * C * 9, b), [C, C, 3, 3]), makeTensor(bias, weights(C, b + 100), [C]));
    const conv = node(
      'Conv',
      [x, w, bias],
      [
        makeAttribute('kernel_shape', attr.ints([3, 3])),
        makeAttribute('pads', attr.ints([1, 1, 1, 1])),
        makeAttribute('strides', attr.ints([1, 1])),
      ],
    );
    info.push(makeValueInfo(conv, 'float32', ['batch', C, 16, 16]));
    const scale = node('Constant', [], [makeAttribute('value', attr.tensor(makeTensor('', [0.5], [], 'float32')))]);
    const act = node('Sigmoid', [node('Mul', [conv, scale])]);
    const gated = node('Mul', [conv, act]);
    const shape = `block${b}.shape`;
    initializer.push(makeTensor(shape, [1, C, 256], [3], 'int64'));
    const flat = node('Reshape', [gated, shape]);
    const moved = node('Transpose', [flat], [makeAttribute('perm', attr.ints([0, 2, 1]))]);
    const mean = node(
      'ReduceMean',
      [moved],
      [makeAttribute('axes', attr.ints([-1])), makeAttribute('keepdims', attr.int(1))],
    );
    const centred = node('Sub', [moved, mean]);
    const back = node('Transpose', [centred], [makeAttribute('perm', attr.ints([0, 2, 1]))]);
    const image = `block${b}.image`;
    initializer.push(makeTensor(image, [1, C, 16, 16], [4], 'int64'));
    x = node('Add', [node('Reshape', [back, image]), x]);
  }
  // Control flow: an If with a branch per side, and a Loop whose body reads an outer tensor.
  const branch = (name: string, op: string): onnx.IGraphProto => {
    const w = `${name}.w`;
    const out = `${name}_out`;
    return {
      name,
      initializer: [makeTensor(w, weights(C, 7), [1, C, 1, 1])],
      node: [
        {
          name: `${name}/Constant`,
          opType: 'Constant',
          output: [`${name}_c`],
          attribute: [makeAttribute('value', attr.tensor(makeTensor('', [2], [], 'float32')))],
        },
        { name: `${name}/${op}`, opType: op, input: [x, w], output: [`${name}_t`] },
        { name: `${name}/Mul`, opType: 'Mul', input: [`${name}_t`, `${name}_c`], output: [out] },
      ],
      output: [makeValueInfo(out, 'float32', ['batch', C, 16, 16])],
    };
  };
  const cond = node('Greater', [
    node('ReduceMean', [x], [makeAttribute('keepdims', attr.int(0))]),
    node('Constant', [], [makeAttribute('value', attr.tensor(makeTensor('', [0], [], 'float32')))]),
  ]);
  const chosen = node(
    'If',
    [cond],
    [
      makeAttribute('then_branch', attr.graph(branch('then_branch', 'Add'))),
      makeAttribute('else_branch', attr.graph(branch('else_branch', 'Sub'))),
    ],
  );
  initializer.push(
    makeTensor('loop.trips', [3], [], 'int64'),
    makeTensor('loop.cond', new Uint8Array([1]), [], 'bool'),
  );
  const body: onnx.IGraphProto = {
    name: 'loop_body',
    input: [
      makeValueInfo('i', 'int64', []),
      makeValueInfo('keep', 'bool', []),
      makeValueInfo('acc', 'float32', ['batch', C, 16, 16]),
    ],
    node: [
      { name: 'loop/Add', opType: 'Add', input: ['acc', chosen], output: ['acc_next'] },
      { name: 'loop/Relu', opType: 'Relu', input: ['acc_next'], output: ['acc_out'] },
      { name: 'loop/Identity', opType: 'Identity', input: ['keep'], output: ['keep_out'] },
    ],
    output: [makeValueInfo('keep_out', 'bool', []), makeValueInfo('acc_out', 'float32', ['batch', C, 16, 16])],
  };
  const looped = node('Loop', ['loop.trips', 'loop.cond', x], [makeAttribute('body', attr.graph(body))]);
  const pooled = node('GlobalAveragePool', [looped]);
  const flat = node('Flatten', [pooled], [makeAttribute('axis', attr.int(1))]);
  initializer.push(makeTensor('head.weight', weights(C * 4, 9), [C, 4]), makeTensor('head.bias', weights(4, 10), [4]));
  const logits = node('Add', [node('MatMul', [flat, 'head.weight']), 'head.bias']);
  const probs = node('Softmax', [logits], [makeAttribute('axis', attr.int(-1))]);
  return writeOnnx({
    irVersion: 8,
    producerName: 'quantlens-warm-up',
    docString: 'Opened once by the page engine while idle.',
    opsetImport: [{ domain: '', version: 13 }],
    metadataProps: [{ key: 'purpose', value: 'warm-up' }],
    graph: {
      name: 'warm_up',
      node: nodes,
      initializer,
      input: [makeValueInfo('input', 'float32', ['batch', C, 16, 16])],
      output: [makeValueInfo(probs, 'float32', ['batch', 4])],
      valueInfo: info,
    },
  });
}
