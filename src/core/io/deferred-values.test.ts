/**
 * The quantization parameters a skeleton leaves in the file are read before the check, on a real
 * export: PyTorch's 65,536-token LM head (scripts/corpus/torch_qdq.py, `npm run gen:corpus`), a
 * 33 MB file whose per-channel weight scale is 256 KiB. Read as a skeleton without them, the
 * Gemm's weight encoding was unreadable and the model passed; read whole, it fails the symmetric
 * rule (its weights are asymmetric).
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readOnnx } from '../model/read-onnx';
import { Engine } from '../session/engine';
import { deferredValuesRead, readDeferredValues } from './deferred-values';
import { readSkeleton } from './skeleton';
import { fileRanges } from '../../cli/io';

const LM_HEAD = '.cache/corpus/torch/lm-head-pc-affine.onnx';
const settings = { backend: 'htp', soc: 'SM8650', strict: true } as const;

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
    expect(deferredValuesRead(light)).toEqual([scale]);

    expect(await readDeferredValues(light, fileRanges(LM_HEAD))).toBe(1);
    expect(light.graph.initializers.get(scale)).toEqual(whole.graph.initializers.get(scale));
    // The float weight under its fake-quant Q/DQ is left in the file.
    const weight = [...light.graph.initializers.values()].find((t) => t.dims.join() === '65536,128')!;
    expect(weight.data.kind).toBe('deferred');
  });

  it('a dropped file, one read with positioned reads and the same bytes given whole get the same verdict', async () => {
    const bytes = new Uint8Array(readFileSync(LM_HEAD));
    const verdicts = [];
    for (const [engine, file] of [
      [new Engine(), new File([bytes], 'lm.onnx')],
      [new Engine(undefined, { readRange: () => fileRanges(LM_HEAD) }), new File([bytes], 'lm.onnx')],
      [new Engine(), { name: 'lm.onnx', contents: bytes }],
    ] as const) {
      const opened = await engine.openFiles([file]);
      if (!opened.ok) throw new Error(opened.error.message);
      const checked = await engine.check(settings);
      if (!checked.ok) throw new Error('check failed');
      verdicts.push(checked.result);
    }
    for (const v of verdicts) {
      expect(v.verdict).toBe('fail');
      expect(v.findings.filter((f) => f.severity === 'error').map((f) => [f.rule, f.node])).toEqual([
        ['symmetric', '/proj/Gemm'],
      ]);
      expect(v.findings.filter((f) => f.rule === 'unreadable-encoding')).toEqual([]);
      expect(v.findings).toEqual(verdicts[2]!.findings);
    }
  }, 60_000);
});
