/**
 * The quantization parameters whose bytes are not in the model as read are read before the check,
 * on real exports (scripts/corpus/torch_qdq.py, `npm run gen:corpus`):
 * - PyTorch's 65,536-token LM head, a 33 MB file whose per-channel weight scale is 256 KiB: read
 *   as a skeleton without it, the Gemm's weight encoding was unreadable and the model passed; read
 *   whole, it fails the symmetric rule (its weights are asymmetric);
 * - PyTorch's MobileNetV3-Small and ResNet-18 saved with external data by python3-onnx
 *   (onnx.save_model, every tensor from 1 KiB in the data file): MobileNetV3 with asymmetric
 *   weights lost 11 of its 54 errors.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readOnnx } from '../model/read-onnx';
import { Engine } from '../session/engine';
import { readValuesChecksRead, valuesChecksRead } from './check-values';
import { readSkeleton } from './skeleton';
import { fileRanges } from '../../cli/io';
import type { OpenFile } from '../session/api';

const DIR = '.cache/corpus/torch';
const LM_HEAD = `${DIR}/lm-head-pc-affine.onnx`;
const settings = { backend: 'htp', soc: 'SM8650', strict: true } as const;

/** The error findings of a model opened from `files` in a fresh engine, and all its findings. */
async function verdict(files: OpenFile[], engine = new Engine()) {
  const opened = await engine.openFiles(files);
  if (!opened.ok) throw new Error(opened.error.message);
  const checked = await engine.check(settings);
  if (!checked.ok) throw new Error('check failed');
  const { findings } = checked.result;
  return {
    errors: findings
      .filter((f) => f.severity === 'error')
      .map((f) => [f.rule, f.node])
      .sort(),
    unreadable: findings.filter((f) => f.rule === 'unreadable-encoding').length,
    findings,
  };
}

describe.skipIf(!existsSync(LM_HEAD))('quantization parameters a skeleton left in the file', () => {
  it('are the weight scale alone: read into the model with the file’s bytes, the weight itself stays', async () => {
    const bytes = new Uint8Array(readFileSync(LM_HEAD));
    const skeleton = await readSkeleton(new Blob([bytes]));
    const light = readOnnx(skeleton.bytes, { fileName: 'lm.onnx', skeleton: { fileBytes: bytes.length } });
    const whole = readOnnx(bytes);
    // The weight's DequantizeLinear, the one that feeds the Gemm its input 1.
    const gemm = whole.graph.nodes.find((n) => n.opType === 'Gemm')!;
    const dq = whole.graph.nodes.find((n) => n.outputs[0] === gemm.inputs[1])!;
    expect(dq.opType).toBe('DequantizeLinear');
    const scale = dq.inputs[1]!;
    expect(light.graph.initializers.get(scale)!.data.kind).toBe('deferred');
    expect(valuesChecksRead(light).map((v) => v.name)).toEqual([scale]);

    expect(await readValuesChecksRead(light, { file: fileRanges(LM_HEAD) })).toBe(1);
    expect(light.graph.initializers.get(scale)).toEqual(whole.graph.initializers.get(scale));
    // The float weight under its fake-quant Q/DQ is left in the file.
    const weight = [...light.graph.initializers.values()].find((t) => t.dims.join() === '65536,128')!;
    expect(weight.data.kind).toBe('deferred');
  });

  it('a dropped file, one read with positioned reads and the same bytes given whole get the same verdict', async () => {
    const bytes = new Uint8Array(readFileSync(LM_HEAD));
    const whole = await verdict([{ name: 'lm.onnx', contents: bytes }]);
    expect(whole.errors).toEqual([['symmetric', '/proj/Gemm']]);
    expect(whole.unreadable).toBe(0);
    const dropped = await verdict([new File([bytes], 'lm.onnx')]);
    const positioned = await verdict(
      [new File([bytes], 'lm.onnx')],
      new Engine(undefined, { readRange: () => fileRanges(LM_HEAD) }),
    );
    expect(dropped.findings).toEqual(whole.findings);
    expect(positioned.findings).toEqual(whole.findings);
  }, 60_000);
});

const manifest = existsSync(`${DIR}/manifest.json`)
  ? (JSON.parse(readFileSync(`${DIR}/manifest.json`, 'utf8')) as {
      cases: { file: string; errors: [string, string][] }[];
      external?: { file: string; data: string; of: string }[];
    })
  : undefined;

describe.skipIf(!manifest?.external)('quantization parameters in an external-data file', () => {
  for (const e of manifest?.external ?? [])
    it(`${e.file}: the verdict of its inline twin, the data file dropped with it`, async () => {
      const expected = manifest!.cases.find((c) => c.file === e.of)!.errors;
      const model = new File([readFileSync(`${DIR}/${e.file}`)], e.file.split('/').pop()!);
      const data = new File([readFileSync(`${DIR}/${e.data}`)], e.data.split('/').pop()!);
      const inline = await verdict([{ name: e.of, contents: new Uint8Array(readFileSync(`${DIR}/${e.of}`)) }]);
      const external = await verdict([model, data]);
      expect(inline.errors).toEqual([...expected].sort());
      expect(external.errors).toEqual(inline.errors);
      expect(external.unreadable).toBe(0);
      // Without its data file, the scales cannot be read: said as unreadable encodings, not read as anything.
      const alone = await verdict([model]);
      expect(alone.unreadable).toBeGreaterThan(0);
    }, 60_000);
});
