import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { dropFiles, graphNode, startLongQuantization, waitForGraph } from './helpers';

/** Collects Content-Security-Policy violations the page reports. */
async function watchCsp(page: Page): Promise<string[]> {
  const violations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
  });
  return violations;
}

test('the built app runs under its Content-Security-Policy: loading, validating and quantizing raise no violation', async ({
  page,
}) => {
  const violations = await watchCsp(page);
  const response = await page.goto('/?model=samples/cnn-sigmoid.onnx');
  expect(response?.headers()['content-security-policy']).toContain("script-src 'self' 'wasm-unsafe-eval'");
  expect(await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content')).not.toMatch(
    /script-src[^;]*'unsafe-(eval|inline)'/,
  );
  await waitForGraph(page);
  await expect(page.getByTestId('sqnr')).toBeVisible(); // onnxruntime-web wasm ran in the worker
  expect(violations).toEqual([]);
});

test('script-bearing names from a model render as text and never run', async ({ page }) => {
  const dir = mkdtempSync(join(tmpdir(), 'ql-xss-'));
  execFileSync('/usr/bin/python3', [
    '-c',
    `
import onnx
from onnx import helper, TensorProto
g = helper.make_graph(
  [helper.make_node("Relu", ["x"], ["y"], name='<img src=x onerror="window.__pwned=1">'),
   helper.make_node("Sigmoid", ["y"], ["z"], name='"><script>window.__pwned=2</script>', doc_string='<b onclick="window.__pwned=3">doc</b>')],
  '<svg onload="window.__pwned=4">', [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
  [helper.make_tensor_value_info("z", TensorProto.FLOAT, [1, 4])])
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name='<script>window.__pwned=5</script>')
m.metadata_props.add(key='<i>k</i>', value='<script>window.__pwned=6</script>')
onnx.save(m, "${dir}/xss.onnx")
`,
  ]);
  const violations = await watchCsp(page);
  await page.goto('/');
  await waitForGraph(page);
  await dropFiles(page, [
    { name: '<img src=x onerror=alert(1)>.onnx', bytes: new Uint8Array(readFileSync(join(dir, 'xss.onnx'))) },
  ]);
  await expect(graphNode(page, 'Sigmoid')).toHaveCount(1);
  await expect(page.getByTestId('model-panel')).toContainText('<script>window.__pwned=5</script>');
  await graphNode(page, 'Relu').click();
  await expect(page.getByTestId('panel-name')).toHaveText('<img src=x onerror="window.__pwned=1">');
  await graphNode(page, 'Sigmoid').click();
  await expect(page.getByTestId('panel-name')).toHaveText('"><script>window.__pwned=2</script>');
  await expect(page.getByTestId('node-panel')).toContainText('<b onclick="window.__pwned=3">doc</b>');
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  expect(await page.locator('img[src="x"], script:not([src])').count()).toBe(0);
  expect(violations).toEqual([]);
});

test('when the engine worker dies, the error is shown, settings are kept, and loading works again', async ({
  page,
}) => {
  await page.goto('/?model=samples/broken-16a16w-matmul.qdq.onnx');
  await waitForGraph(page);
  await page.getByRole('combobox', { name: 'SoC' }).selectOption('SM8450');
  await expect(page.getByTestId('verdict')).toHaveAttribute('data-verdict', 'fail');

  await page.evaluate(() =>
    (window as unknown as { __quantlens: { killEngine(r: string): void } }).__quantlens.killEngine(
      'killed by the test',
    ),
  );
  await expect(page.getByTestId('load-error')).toContainText('killed by the test');
  // The model is reopened by a fresh engine, with the settings as they were.
  await expect(page.getByRole('combobox', { name: 'SoC' })).toHaveValue('SM8450');
  await expect(page.getByTestId('verdict')).toHaveAttribute('data-verdict', 'fail');
  await page.getByRole('button', { name: 'Dismiss' }).click();
  // The reopen started with the notice; select a node only once it has finished (it resets the selection).
  await expect(page.getByTestId('loading')).toHaveCount(0);
  await waitForGraph(page);
  await graphNode(page, 'MatMul').first().click();
  await expect(page.getByTestId('panel-op')).toHaveText('MatMul');

  // And a kill during a long calibration leaves the app usable too.
  await startLongQuantization(page);
  await page.evaluate(() =>
    (window as unknown as { __quantlens: { killEngine(r: string): void } }).__quantlens.killEngine(
      'out of memory (simulated)',
    ),
  );
  await expect(page.getByTestId('quant-error')).toContainText('out of memory (simulated)');
  await expect(page.getByTestId('quant-progress')).toHaveCount(0);
  await dropFiles(page, [
    { name: 'cnn.onnx', bytes: new Uint8Array(readFileSync('public/samples/cnn-sigmoid.qdq.onnx')) },
  ]);
  await expect(page.getByTestId('model-origin')).toHaveText('cnn.onnx');
  await expect(page.getByTestId('verdict')).toBeVisible();
});
