import { expect, type Page } from '@playwright/test';

export const DATA = '/usr/share/libonnx-testdata/data';

/** Drops files onto the page the way a person's drag and drop does (DragEvent with a DataTransfer). */
export async function dropFiles(page: Page, files: { name: string; bytes: Uint8Array }[]): Promise<void> {
  const payload = files.map((f) => ({ name: f.name, b64: Buffer.from(f.bytes).toString('base64') }));
  await page.evaluate((items) => {
    const dt = new DataTransfer();
    for (const item of items) {
      const bin = atob(item.b64);
      const bytes = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      dt.items.add(new File([bytes], item.name));
    }
    window.dispatchEvent(new DragEvent('dragenter', { dataTransfer: dt, bubbles: true }));
    window.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
    window.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, payload);
}

/** Waits until the graph shows and no load or layout is running. */
export async function waitForGraph(page: Page): Promise<void> {
  await expect(page.getByTestId('graph-node').first()).toBeVisible();
  await expect(page.getByTestId('loading')).toHaveCount(0);
}

export function graphNode(page: Page, op: string) {
  return page.locator(`[data-testid="graph-node"][data-op="${op}"]`);
}
