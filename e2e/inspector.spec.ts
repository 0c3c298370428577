import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { dropFiles, graphNode, waitForGraph } from './helpers';

let big: { name: string; bytes: Uint8Array };

test.beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), 'ql-big-'));
  execFileSync('npx', ['tsx', 'scripts/gen-large-model.ts', '--nodes', '3000', '--qdq', '--flaw-every', '4', '--out', dir, '--name', 'decoder-3k'], { stdio: 'ignore' });
  const file = readdirSync(dir).find((f) => f.endsWith('.onnx'))!;
  big = { name: file, bytes: new Uint8Array(readFileSync(join(dir, file))) };
});

test('a large model opens grouped by name scope with findings rolled up; a finding reveals its node', async ({ page }) => {
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
  await expect.poll(async () => (await groups.count()) + (await page.getByTestId('graph-node').count())).toBeGreaterThan(before);
});

test('only-findings view, and edge labels with dtype, scale and zero point', async ({ page }) => {
  await page.goto('/?model=samples/broken-sigmoid-scale.qdq.onnx');
  await waitForGraph(page);
  await page.getByRole('checkbox', { name: /Only nodes with findings/ }).check();
  await expect(page.getByTestId('graph-node')).toHaveCount(3); // the Sigmoid, its producer and consumer
  await expect(graphNode(page, 'Sigmoid')).toHaveAttribute('data-severity', 'error');
  await page.getByRole('checkbox', { name: /Only nodes with findings/ }).uncheck();
  await page.getByRole('combobox', { name: 'Edge labels' }).selectOption('quant');
  await expect(page.locator('.react-flow__edge-text').filter({ hasText: 'uint8 scale' }).first()).toBeVisible();
  await graphNode(page, 'Sigmoid').click();
  await expect(page.getByTestId('port-encoding').last()).toContainText('scale 0.00392157 zp 0');
});
