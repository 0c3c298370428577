#!/usr/bin/env node
// Takes a screenshot of the running app in Debian's Chromium, optionally clicking a node first.
// Usage: node scripts/screenshot.mjs URL OUT.png [node-op-to-click]
import { chromium } from '@playwright/test';

const [url, out, clickOp] = process.argv.slice(2);
if (!url || !out) {
  console.error('usage: node scripts/screenshot.mjs URL OUT.png [op-to-click]');
  process.exit(2);
}
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
await page.goto(url);
await page.getByTestId('graph-node').first().waitFor();
await page.getByTestId('loading').waitFor({ state: 'detached' }).catch(() => {});
if (clickOp) await page.locator(`[data-testid="graph-node"][data-op="${clickOp}"]`).first().click();
await page.waitForTimeout(600);
await page.screenshot({ path: out });
await browser.close();
