/**
 * Ranges kept between runs on one model: a run that changes only the config measures nothing
 * again, and gives what a fresh run gives. PyTorch exports of the corpus (scripts/corpus), real
 * onnxruntime-web sessions, counted.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadRulePack } from '../../../rules/registry';
import { readOnnx } from '../model/read-onnx';
import { Engine } from '../session/engine';
import type { QuantizeSettings } from '../session/api';
import { CalibrationMemo, samplesDigest } from './calibration-memo';
import type { ObserverKind, SessionFactory } from './calibrate';
import { DEFAULT_OPTIONS, type ConfigName } from './configs';
import type { CalibrationSample } from './expose';
import { feedInputs, randomSamples, resolveInputShapes } from './inputs';
import { nodeRuntime } from './node-runtime';
import { ort } from './ort-node';
import { quantize, type QuantizeResult } from './quantize';

const TORCH = '.cache/corpus/torch';
const ENCODER = `${TORCH}/float-encoder-opset17.onnx`;
const CAUSAL = `${TORCH}/float-causal-attention.onnx`;
const RESNET = `${TORCH}/float-resnet18.onnx`;

/** A session factory that counts the sessions it creates. */
function counted() {
  const counter = { sessions: 0 };
  const createSession: SessionFactory = (bytes, options) => {
    counter.sessions++;
    return nodeRuntime.createSession(bytes, options);
  };
  return { counter, createSession };
}

function setup(file: string, seed = 1) {
  const bytes = new Uint8Array(readFileSync(file));
  const model = readOnnx(bytes);
  const inputs = feedInputs(model);
  const samples = randomSamples(ort.Tensor, inputs, resolveInputShapes(inputs).shapes, 4, seed);
  return { bytes, model, samples };
}

async function run(
  m: ReturnType<typeof setup>,
  config: ConfigName,
  memo: CalibrationMemo | undefined,
  extra: { samples?: CalibrationSample[]; observer?: ObserverKind; skipSqnr?: boolean } = {},
): Promise<{ result: QuantizeResult; sessions: number }> {
  const { counter, createSession } = counted();
  const result = await quantize({
    model: m.model,
    bytes: m.bytes,
    pack: await loadRulePack('htp'),
    soc: 'SM8650',
    strict: true,
    options: { ...DEFAULT_OPTIONS, config },
    samples: extra.samples ?? m.samples,
    observer: extra.observer,
    createSession,
    skipSqnr: extra.skipSqnr ?? true,
    memo,
  });
  return { result, sessions: counter.sessions };
}

/** Each encoding's scales and zero points, by tensor. */
const encodingsOf = (r: QuantizeResult) =>
  new Map([...r.encodings.tensors].map(([t, e]) => [t, { scale: [...e.scale], offset: [...e.zeroPoint] }]));

describe('calibration kept between runs', () => {
  it.skipIf(!existsSync(ENCODER))('samplesDigest follows the values, shapes and names, not the objects', async () => {
    const a = setup(ENCODER);
    const again = setup(ENCODER);
    const other = setup(ENCODER, 2);
    expect(await samplesDigest(again.samples)).toBe(await samplesDigest(a.samples));
    expect(await samplesDigest(other.samples)).not.toBe(await samplesDigest(a.samples));
    expect(await samplesDigest(a.samples.slice(1))).not.toBe(await samplesDigest(a.samples));
    const [name, t] = Object.entries(a.samples[0]!)[0]!;
    const renamed = a.samples.map((s) => ({ ...s, [`${name}_`]: t }));
    expect(await samplesDigest(renamed)).not.toBe(await samplesDigest(a.samples));
  });

  it.skipIf(!existsSync(ENCODER))(
    "PyTorch's encoder: 8a8w, 16a8w, 16a16w, 8a8w again: only the first run creates sessions, each later run equals a fresh run of its config",
    async () => {
      const m = setup(ENCODER);
      const memo = new CalibrationMemo();
      const first = await run(m, '8a8w', memo);
      expect(first.sessions).toBeGreaterThan(0);
      expect(first.result.calibration.reused).toBe(0);
      for (const config of ['16a8w', '16a16w', '8a8w'] as const) {
        const kept = await run(m, config, memo);
        const fresh = await run(m, config, undefined);
        // No session: the 16-bit MatMuls' key and value heads, observed from 16a8w on, come from
        // the projections' kept ranges (derived-ranges.ts).
        expect(kept.sessions, config).toBe(0);
        expect(fresh.sessions, config).toBeGreaterThan(0);
        expect(kept.result.calibration.observed).toBe(fresh.result.calibration.observed);
        expect(kept.result.calibration.reused, config).toBeGreaterThan(0);
        // The range session fuses ops where nothing between them is observed, and the tensors
        // observed differ between configs: a range may differ in its last float32 bits.
        const [k, f] = [encodingsOf(kept.result), encodingsOf(fresh.result)];
        expect([...k.keys()].sort()).toEqual([...f.keys()].sort());
        for (const [t, e] of f) {
          const g = k.get(t)!;
          e.scale.forEach((s, i) => expect(Math.abs(g.scale[i]! - s) / s, `${config} ${t}`).toBeLessThan(1e-5));
          e.offset.forEach((o, i) => expect(Math.abs(g.offset[i]! - o), `${config} ${t}`).toBeLessThanOrEqual(1));
        }
        expect(kept.result.validation.findings.map((x) => x.rule)).toEqual(
          fresh.result.validation.findings.map((x) => x.rule),
        );
      }
      // The same config again: the same ranges, so the very same export.
      const repeat = await run(m, '8a8w', memo);
      expect(Buffer.from(repeat.result.qdq.bytes).equals(Buffer.from(first.result.qdq.bytes))).toBe(true);
    },
    120_000,
  );

  it.skipIf(!existsSync(ENCODER))(
    'other samples or another observer measure again; the SQNR takes the kept float outputs',
    async () => {
      const m = setup(ENCODER);
      const memo = new CalibrationMemo();
      const first = await run(m, '8a8w', memo, { skipSqnr: false });
      // The kept float outputs: the second run creates one session, the export's, for the SQNR.
      const second = await run(m, '16a8w', memo, { skipSqnr: false });
      expect(second.sessions).toBe(1);
      const fresh = await run(m, '16a8w', undefined, { skipSqnr: false });
      expect(second.result.sqnr.map((s) => s.db.toFixed(2))).toEqual(fresh.result.sqnr.map((s) => s.db.toFixed(2)));
      expect(first.result.sqnr.length).toBe(second.result.sqnr.length);
      const other = setup(ENCODER, 7);
      const reseeded = await run(m, '16a8w', memo, { samples: other.samples });
      expect(reseeded.sessions).toBeGreaterThan(0);
      expect(reseeded.result.calibration.reused).toBe(0);
      const averaged = await run(m, '8a8w', memo, { samples: other.samples, observer: 'moving-average' });
      expect(averaged.sessions).toBeGreaterThan(0);
      expect(averaged.result.calibration.reused).toBe(0);
      // Kept for that observer too: the key and value heads are the projections' values rearranged.
      const again = await run(m, '16a8w', memo, { samples: other.samples, observer: 'moving-average' });
      expect(again.sessions).toBe(0);
      expect(again.result.calibration.reused).toBeGreaterThan(0);
    },
    120_000,
  );

  it.skipIf(!existsSync(CAUSAL))(
    "PyTorch's scores masked with -inf: the finite extent read out once is kept, and every run says what the -inf become",
    async () => {
      const m = setup(CAUSAL);
      const memo = new CalibrationMemo();
      const first = await run(m, '8a8w', memo);
      const second = await run(m, '16a8w', memo);
      const fresh = await run(m, '16a8w', undefined);
      expect(second.sessions).toBe(0);
      const note = (r: QuantizeResult) => r.plan.notes.find((n) => n.startsWith('/Where_output_0: holds -inf'));
      expect(note(first.result)).toBeDefined();
      expect(note(second.result)).toBe(note(fresh.result));
      expect(second.result.encodings.tensors.get('/Where_output_0')).toEqual(
        fresh.result.encodings.tensors.get('/Where_output_0'),
      );
    },
    120_000,
  );

  it.skipIf(!existsSync(RESNET))(
    "the engine keeps one model's ranges: a config change reuses them, a new model does not",
    async () => {
      const engine = new Engine(nodeRuntime);
      const settings = (config: ConfigName): QuantizeSettings => ({
        backend: 'htp',
        soc: 'SM8650',
        strict: true,
        ...DEFAULT_OPTIONS,
        config,
        overrides: [],
        calibration: { samples: 2, seed: 1, observer: 'minmax' },
        deferSqnr: true,
      });
      const open = (path: string) => engine.openFiles([new File([readFileSync(path)], path.split('/').pop()!)]);
      await open(RESNET);
      const a = await engine.quantize(settings('8a8w'));
      const b = await engine.quantize(settings('16a8w'));
      expect(a.ok && a.calibration.reused).toBeUndefined();
      expect(b.ok && b.calibration.reused).toBeGreaterThan(0);
      await open(RESNET);
      const c = await engine.quantize(settings('16a8w'));
      expect(c.ok && c.calibration.reused).toBeUndefined();
    },
    120_000,
  );
});
