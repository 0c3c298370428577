import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { dropFiles, generateDecoder, graphNode, waitForGraph } from './helpers';

let big: { name: string; bytes: Uint8Array };

test.beforeAll(() => {
  big = generateDecoder(3000, 4, 'decoder-3k');
});

test('a large model opens grouped by name scope with findings rolled up; a finding reveals its node', async ({
  page,
}) => {
  await page.goto('/');
  await waitForGraph(page);
  await dropFiles(page, [big]);
  await expect(page.getByTestId('model-origin')).toHaveText(big.name);
  await expect(page.getByTestId('group-tools')).toBeVisible();
  const groups = page.getByTestId('group-node');
  await expect(groups.first()).toBeVisible();
  // Collapsed: far fewer items than nodes, and a group carries the error inside it.
  const items = await page.getByTestId('group-tools').textContent();
  expect(Number(items!.match(/^([\d,]+) items/)![1]!.replace(/,/g, ''))).toBeLessThanOrEqual(400);
  await page.getByRole('button', { name: 'Collapse all' }).click();
  await expect(page.locator('[data-testid="group-node"][data-severity="error"]').first()).toBeVisible();

  const row = page.getByTestId('finding').first();
  const node = await row.getAttribute('data-node');
  await row.click();
  await expect(page.getByTestId('panel-name')).toHaveText(node!);
  await expect(page.locator('[data-testid="graph-node"][data-severity="error"]').first()).toBeVisible();

  // Clicking a group opens it.
  await page.getByRole('button', { name: 'Collapse all' }).click();
  const before = await groups.count();
  await groups.first().click();
  await expect
    .poll(async () => (await groups.count()) + (await page.getByTestId('graph-node').count()))
    .toBeGreaterThan(before);
});

test('only-findings view, and edge labels with dtype, scale and zero point', async ({ page }) => {
  await page.goto('/?model=samples/broken-sigmoid-scale.qdq.onnx');
  await waitForGraph(page);
  await page.getByRole('checkbox', { name: /Only nodes with findings/ }).check();
  await expect(page.getByTestId('graph-node')).toHaveCount(3); // the Sigmoid, its producer and consumer
  await expect(graphNode(page, 'Sigmoid')).toHaveAttribute('data-severity', 'error');
  await page.getByRole('checkbox', { name: /Only nodes with findings/ }).uncheck();
  await page.getByRole('combobox', { name: 'Edge labels' }).selectOption('quant');
  await expect(page.locator('.ql-edge-label').filter({ hasText: 'uint8 scale' }).first()).toBeVisible();
  await graphNode(page, 'Sigmoid').click();
  await expect(page.getByTestId('port-encoding').last()).toContainText('uint16 scale 0.000015259 zp 0');
});

test('findings list: filter, group, and step through with the keyboard; help overlay and theme', async ({ page }) => {
  await page.goto('/');
  await waitForGraph(page);
  await dropFiles(page, [big]);
  await expect(page.getByTestId('finding').first()).toBeVisible();
  const total = await page.getByTestId('finding').count();
  expect(total).toBeGreaterThan(1);
  await page.getByRole('combobox', { name: 'Group findings by' }).selectOption('rule');
  await expect(page.getByTestId('finding-group').first()).toContainText('fixed-qparams');
  const one = await page.getByTestId('finding').first().getAttribute('data-node');
  await page.getByRole('searchbox', { name: 'Filter findings' }).fill(one!);
  await expect(page.getByTestId('finding')).toHaveCount(1);
  await page.getByRole('searchbox', { name: 'Filter findings' }).fill('');
  await page.getByRole('checkbox', { name: 'Show errors' }).uncheck();
  await expect(page.getByTestId('finding')).toHaveCount(0);
  await page.getByRole('checkbox', { name: 'Show errors' }).check();

  await page.locator('body').click({ position: { x: 5, y: 700 } });
  const current = page.locator('[data-testid="finding"][aria-current="true"]');
  await page.keyboard.press('n');
  await expect(current).toHaveCount(1);
  const first = (await current.getAttribute('data-node'))!;
  await expect(page.getByTestId('panel-name')).toHaveText(first);
  await page.keyboard.press('n');
  await expect(page.getByTestId('panel-name')).not.toHaveText(first);
  await expect(page.getByTestId('panel-name')).toHaveText((await current.getAttribute('data-node'))!);
  await page.keyboard.press('p');
  await expect(page.getByTestId('panel-name')).toHaveText(first);

  await page.keyboard.press('?');
  await expect(page.getByRole('dialog', { name: 'Keyboard shortcuts' })).toContainText('next finding');
  await page.keyboard.press('Escape');
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await page.keyboard.press('t');
  await expect(page.locator('html')).toHaveClass(/dark/);
  // The minimap follows the theme instead of staying light.
  await expect(page.locator('.react-flow__minimap')).toHaveCSS('background-color', 'rgb(17, 24, 39)');
  await page.keyboard.press('t');
  await expect(page.locator('html')).not.toHaveClass(/dark/);
});

test("the theme follows the system's until the person chooses one, then keeps theirs", async ({ page }) => {
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.goto('/');
  await waitForGraph(page);
  const html = page.locator('html');
  await expect(html).toHaveClass(/dark/);
  // The system switches while the page is open; a reload does not pin the first one either.
  await page.emulateMedia({ colorScheme: 'light' });
  await expect(html).not.toHaveClass(/dark/);
  await page.reload();
  await waitForGraph(page);
  await expect(html).not.toHaveClass(/dark/);
  // The person's choice wins over the system from then on, across reloads.
  await page.keyboard.press('t');
  await expect(html).toHaveClass(/dark/);
  await page.emulateMedia({ colorScheme: 'light' });
  await page.reload();
  await waitForGraph(page);
  await expect(html).toHaveClass(/dark/);
});

test('exports: the HTML report opens standalone with every finding; SVG, PNG, Markdown and JSON download', async ({
  page,
  browser,
}) => {
  await page.goto('/?model=samples/broken-16a16w-matmul.qdq.onnx');
  await waitForGraph(page);
  await page.getByRole('combobox', { name: 'SoC' }).selectOption('SM8450');
  await expect(page.getByTestId('verdict')).toHaveAttribute('data-verdict', 'fail');
  const messages = await page.getByTestId('finding').allTextContents();
  const download = async (label: string) => {
    const pending = page.waitForEvent('download');
    await page.getByRole('combobox', { name: 'Export' }).selectOption({ label });
    const d = await pending;
    return {
      name: d.suggestedFilename(),
      text: readFileSync((await d.path())!, label === 'View as PNG' ? 'latin1' : 'utf8'),
    };
  };
  const html = await download('HTML report');
  expect(html.name).toMatch(/\.quantlens\.html$/);
  expect(html.text).not.toMatch(/<script/i);
  const standalone = await (await browser.newContext({ javaScriptEnabled: false, offline: true })).newPage();
  await standalone.setContent(html.text);
  await expect(standalone.locator('body')).toContainText('16a16w-arch');
  await expect(standalone.locator('body')).toContainText('/layers.0/attn/MatMul');
  await expect(standalone.locator('body')).toContainText('SM8450');
  expect(messages.length).toBeGreaterThan(0);
  expect(await standalone.locator('svg').count()).toBeGreaterThan(0);
  // The findings table fits an A4 page's printable width (210 mm less 2 x 14 mm margins, 688 CSS px):
  // nothing, the Fix column included, runs past the page.
  await standalone.setViewportSize({ width: 688, height: 1000 });
  const fit = await standalone.evaluate(() => {
    const table = document.querySelector('table.findings')!;
    const fix = [...table.querySelectorAll('th')].find((th) => th.textContent === 'Fix')!;
    return {
      table: table.scrollWidth,
      page: document.documentElement.clientWidth,
      fixRight: fix.getBoundingClientRect().right,
    };
  });
  expect(fit.table).toBeLessThanOrEqual(fit.page);
  expect(fit.fixRight).toBeLessThanOrEqual(fit.page);
  // The command line writes the same report, pictures included, from the same engine: only the
  // time it was made differs.
  const cli = spawnSync(
    process.execPath,
    [
      'bin/quantlens.cjs',
      'check',
      'public/samples/broken-16a16w-matmul.qdq.onnx',
      '--soc',
      'SM8450',
      '--format',
      'html',
    ],
    { encoding: 'utf8' },
  );
  expect(cli.status, cli.stderr).toBe(1);
  const untimed = (text: string) => text.replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g, 'TIME');
  expect(untimed(cli.stdout)).toBe(untimed(html.text));

  expect((await download('Markdown')).text).toMatch(
    /\| ✖ error<br>rejected \(conversion fails\) \| `16a16w-arch` \| `\/layers\.0\/attn\/MatMul`/,
  );
  // The page hashes the file only when a report asks; the report still names it by its hash.
  const sha256 = createHash('sha256')
    .update(readFileSync('public/samples/broken-16a16w-matmul.qdq.onnx'))
    .digest('hex');
  expect(JSON.parse((await download('Findings JSON')).text)).toMatchObject({
    schema: 2,
    flow: 'qnn',
    soc: 'SM8450',
    verdict: 'fail',
    model: { sha256 },
  });
  expect((await download('View as SVG')).text).toMatch(/^<svg[\s\S]*MatMul[\s\S]*<\/svg>$/);
  expect((await download('View as PNG')).text.slice(1, 4)).toBe('PNG');
});

test('at a laptop width (1280 px) the settings bar is one row; the SoC picker names the whole SoC on hover', async ({
  page,
}) => {
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.goto('/');
  await waitForGraph(page);
  const bar = page.getByRole('toolbar', { name: 'Validation settings' });
  const [backend, copy] = [
    page.getByRole('combobox', { name: 'Backend' }),
    page.getByRole('button', { name: 'Copy link' }),
  ];
  const [a, b] = [await backend.boundingBox(), await copy.boundingBox()];
  // Export and Copy link share the row with Backend (they wrapped to a row of their own).
  expect(Math.abs(a!.y + a!.height / 2 - (b!.y + b!.height / 2))).toBeLessThan(8);
  expect((await bar.boundingBox())!.height).toBeLessThan(50);
  await expect(page.getByRole('combobox', { name: 'SoC' })).toHaveAttribute('title', /^SM8650 · V75 · 8 MB VTCM/);
});
