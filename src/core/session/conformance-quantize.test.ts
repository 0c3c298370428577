/**
 * The quantizer as the app runs it (the engine), at each of its eight configs, on every one of
 * ONNX's 1,072 conformance models (libonnx-testdata: node, simple, pytorch-converted,
 * pytorch-operator), calibrated from each model's own test inputs (test_data_set_0/*.pb). A model
 * either quantizes, and then its export loads in onnxruntime and passes python3-onnx's full
 * check, or it gets QuantLens's words for why not: never the generic "Quantization failed" and
 * never onnxruntime's raw text (python3-onnx 1.12 checks up to opset 17: a float16 model's export,
 * raised to 19, is left to onnxruntime). When written, 956 quantized at each config (945 before
 * float16 models at opsets 13 to 18 were raised to 19); the other 116 were explained (ops
 * onnxruntime-web has no kernel for, mostly PyTorch's opset-6 exports of 2017, or does not know;
 * string, sequence and bfloat16 inputs; batch-first recurrent nodes; models quantized already).
 * About 30 s for the eight.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Engine } from './engine';
import { DEFAULT_OPTIONS, type ConfigName } from '../quant/configs';
import type { QuantizeSettings } from './api';

const DATA = '/usr/share/libonnx-testdata/data';
const SUITES = ['node', 'pytorch-converted', 'pytorch-operator', 'simple'];
const models = SUITES.flatMap((suite) =>
  existsSync(join(DATA, suite))
    ? readdirSync(join(DATA, suite))
        .filter((d) => existsSync(join(DATA, suite, d, 'model.onnx')))
        .map((d) => `${suite}/${d}`)
    : [],
).sort();

const settingsFor = (config: ConfigName): QuantizeSettings => ({
  backend: 'htp',
  soc: 'SM8650',
  strict: false,
  ...DEFAULT_OPTIONS,
  config,
  overrides: [],
  calibration: { samples: 1, seed: 1, observer: 'minmax' },
});

/** Marks of onnxruntime's own text: status codes, source locations, ORT_ENFORCE conditions. */
const RAW_RUNTIME = /ERROR_CODE|\.(h|cc):\d+| was false\b|ORT_/;

const file = (path: string, name = path.split('/').pop()!) => new File([readFileSync(path)], name);

it("finds ONNX's conformance models", () => {
  expect(models.length).toBeGreaterThan(1000);
});

// Each config writes Q/DQ its own way: 8-bit ones are ai.onnx's from opset 13 (com.microsoft's
// below), 16- and 4-bit ones com.microsoft's below 21; 16a4w_block writes block scales, fp16a8w
// weights only.
for (const config of ['8a8w', '8a4w', '16a8w', '16a16w', '16a4w', '16a4w_block', '16a2w', 'fp16a8w'] as const)
  describe(`the quantizer on ONNX's conformance models (${config}, their own inputs)`, () => {
    const settings = settingsFor(config);
    const exports = mkdtempSync(join(tmpdir(), `ql-conformance-${config}-`));
    const quantized: string[] = [];
    const explained: string[] = [];

    for (const model of models)
      it(model, async () => {
        const { nodeRuntime } = await import('../quant/node-runtime');
        const engine = new Engine(nodeRuntime);
        const dir = join(DATA, model);
        expect((await engine.openFiles([file(join(dir, 'model.onnx'), 'model.onnx')])).ok).toBe(true);
        const data = join(dir, 'test_data_set_0');
        const inputFiles = existsSync(data)
          ? readdirSync(data)
              .filter((f) => /^input_\d+\.pb$/.test(f))
              .sort()
              .map((f) => file(join(data, f)))
          : [];
        const out = await engine.quantize({ ...settings, ...(inputFiles.length ? { inputFiles } : {}) });
        if (!out.ok) {
          expect(out.error.code).not.toBe('quantize-failed');
          expect(out.error.message).not.toMatch(RAW_RUNTIME);
          expect(out.error.message.length).toBeGreaterThan(60);
          explained.push(model);
          return;
        }
        const qdq = await engine.exportArtifact('qdq');
        if (!qdq.ok) throw new Error(qdq.error.message);
        const { createOrtSession } = await import('../quant/ort-node');
        await (await createOrtSession(qdq.bytes)).release();
        writeFileSync(join(exports, `${model.replace('/', '__')}.onnx`), qdq.bytes);
        quantized.push(model);
      });

    it("every export passes python3-onnx's full check; most models quantize, most exports with Q/DQ", () => {
      if (!quantized.length) return;
      // The checker's complaints, one line per export, then how many exports hold a Q or a DQ.
      // An export past the checker's newest opset (a float16 model raised to 19; Debian's
      // python3-onnx 1.12 knows 17) is left to onnxruntime, which loaded it above.
      const script = `import onnx, sys
held = 0
for p in sys.argv[1:]:
    m = onnx.load(p)
    held += any(n.op_type in ('QuantizeLinear', 'DequantizeLinear') for n in m.graph.node)
    if any(o.domain in ('', 'ai.onnx') and o.version > onnx.defs.onnx_opset_version() for o in m.opset_import):
        continue
    try:
        onnx.checker.check_model(m, full_check=True)
    except Exception as e:
        print(p.rsplit('/', 1)[-1], str(e).splitlines()[0])
print(held)`;
      const said = execFileSync(
        '/usr/bin/python3',
        ['-W', 'ignore', '-c', script, ...quantized.map((m) => join(exports, `${m.replace('/', '__')}.onnx`))],
        { encoding: 'utf8' },
      )
        .trim()
        .split('\n');
      const withQdq = Number(said.pop());
      expect(said).toEqual([]);
      // About 600 of the 956 exports hold Q/DQ when written; the others' models compute nothing the plan
      // quantizes (integer, boolean and string ops, or ops the HTP lacks).
      // fp16a8w quantizes constant weights only (DequantizeLinear): 30 exports when written.
      if (config === 'fp16a8w') expect(withQdq).toBeGreaterThan(20);
      else expect(withQdq / quantized.length).toBeGreaterThan(0.55);
      // 956 of 1,072 (89%) when written.
      if (quantized.length + explained.length === models.length)
        expect(quantized.length / models.length).toBeGreaterThan(0.85);
    });
  });
