import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';

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

/**
 * Calibration files as NumPy writes them: `count` arrays of `shape` (random, seeded per file) in a
 * fresh folder, saved with np.save in `dtype` (`float64` is NumPy's default); returns their paths.
 */
export function npyFiles(count: number, dtype = 'float32', shape = [1, 3, 32, 32]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'ql-npy-'));
  execFileSync('/usr/bin/python3', [
    '-c',
    `import numpy as np\nfor k in range(${count}): np.save("${dir}/s%d.npy" % k, np.random.RandomState(k).rand(${shape.join(',')}).astype(np.${dtype}))`,
  ]);
  return Array.from({ length: count }, (_, k) => join(dir, `s${k}.npy`));
}

/** Opens the float CNN sample, which is quantized at 8a8w as it opens, and waits for that run's result. */
export async function openQuantizedSample(page: Page): Promise<void> {
  await page.goto('/?model=samples/cnn-sigmoid.onnx');
  await waitForGraph(page);
  await expect(page.getByTestId('quant-result')).toBeVisible();
}

/** Waits until the graph shows and no load or layout is running. */
export async function waitForGraph(page: Page): Promise<void> {
  await expect(page.getByTestId('graph-node').first()).toBeVisible();
  await expect(page.getByTestId('loading')).toHaveCount(0);
}

/**
 * Opens a model file from disk on a fresh page, dropped as a person drops it (under `name`, its
 * own file name unless given). A file that is not there skips the test, saying what provides it.
 */
export async function openModelFile(page: Page, path: string, missing: string, name = basename(path)): Promise<void> {
  test.skip(!existsSync(path), missing);
  await page.goto('/');
  await waitForGraph(page);
  await dropFiles(page, [{ name, bytes: new Uint8Array(readFileSync(path)) }]);
}

/**
 * Opens the transformer sample (quantized on load), then starts a run of 4,000 calibration samples
 * (minutes) and waits until it is calibrating.
 */
export async function startLongQuantization(page: Page): Promise<void> {
  await page.goto('/?model=samples/transformer-block.onnx');
  await waitForGraph(page);
  await expect(page.getByTestId('quant-result')).toBeVisible();
  await page.getByRole('spinbutton', { name: 'Calibration samples' }).fill('4000');
  await page.getByRole('button', { name: 'Quantize' }).click();
  await expect(page.getByTestId('quant-progress')).toContainText('Calibrating');
}

export function graphNode(page: Page, op: string) {
  return page.locator(`[data-testid="graph-node"][data-op="${op}"]`);
}

interface TextContrast {
  text: string;
  ratio: number;
  /** WCAG large text (24 px, or 18.66 px bold): 3:1 is enough. */
  large: boolean;
  what: string;
}

/**
 * WCAG contrast ratio of each element's text against its background: its own only (`ancestors`
 * false: badges paint their own; elements with a transparent background are skipped), or the
 * nearest mostly opaque one of itself and its ancestors (white at the top). `ownText`: only
 * elements with text of their own (text nodes), visible.
 */
async function contrasts(page: Page, selector: string, ancestors: boolean, ownText = false): Promise<TextContrast[]> {
  return page.locator(selector).evaluateAll(
    (els, [ancestors, ownText]) => {
      // Computed colours may be oklch() (Tailwind 4): a canvas turns any CSS colour into sRGB bytes.
      const ctx = document.createElement('canvas').getContext('2d', { willReadFrequently: true })!;
      const rgba = (c: string) => {
        ctx.clearRect(0, 0, 1, 1);
        ctx.fillStyle = c;
        ctx.fillRect(0, 0, 1, 1);
        const [r, g, b, a] = ctx.getImageData(0, 0, 1, 1).data;
        return [r!, g!, b!, a! / 255];
      };
      const lum = ([r, g, b]: number[]) => {
        const f = (v: number) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
        return 0.2126 * f(r!) + 0.7152 * f(g!) + 0.0722 * f(b!);
      };
      const background = (el: Element) => {
        for (let at: Element | null = el; at; at = ancestors ? at.parentElement : null) {
          const c = rgba(getComputedStyle(at).backgroundColor);
          if (c[3]! > 0.5) return c;
        }
        return ancestors ? [255, 255, 255, 1] : undefined;
      };
      const shown = (el: Element) => {
        if (!ownText) return true;
        if (![...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent!.trim())) return false;
        const box = el.getBoundingClientRect();
        return !!box.width && !!box.height && getComputedStyle(el).visibility !== 'hidden';
      };
      return els
        .filter(shown)
        .map((el) => {
          const bg = background(el);
          if (!bg) return undefined;
          const style = getComputedStyle(el);
          const [a, b] = [lum(bg), lum(rgba(style.color))].sort((x, y) => y - x);
          const size = parseFloat(style.fontSize);
          return {
            text: el.textContent?.trim() ?? '',
            ratio: (a! + 0.05) / (b! + 0.05),
            large: size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700),
            what: `${el.tagName.toLowerCase()}.${String(el.className)}`,
          };
        })
        .filter((x): x is TextContrast => !!x);
    },
    [ancestors, ownText] as const,
  );
}

/**
 * Every text on screen whose contrast against the background it sits on is under WCAG AA (4.5:1,
 * or 3:1 for large text), as `ratio tag.class "text"`: an empty list when all is legible.
 */
export async function illegibleTexts(page: Page): Promise<string[]> {
  return (await contrasts(page, 'body *', true, true))
    .filter((c) => c.ratio < (c.large ? 3 : 4.5))
    .map((c) => `${c.ratio.toFixed(2)} ${c.what} "${c.text.slice(0, 50)}"`);
}

/** Contrast of each badge's text against the background it paints itself (transparent ones skipped). */
export function badgeContrasts(page: Page, selector: string): Promise<{ text: string; ratio: number }[]> {
  return contrasts(page, selector, false);
}

/** Contrast of an element's text against the background it sits on (its own or an ancestor's). */
export async function textContrast(page: Page, selector: string): Promise<number> {
  return (await contrasts(page, selector, true))[0]!.ratio;
}

/** A synthetic QDQ decoder from scripts/gen-large-model.ts with a planted flaw every `flawEvery` layers. */
export function generateDecoder(
  nodes: number,
  flawEvery: number,
  name: string,
  qdq = true,
): { name: string; bytes: Uint8Array } {
  const dir = mkdtempSync(join(tmpdir(), `ql-${name}-`));
  execFileSync(
    'npx',
    [
      'tsx',
      'scripts/gen-large-model.ts',
      '--nodes',
      String(nodes),
      ...(qdq ? ['--qdq'] : []),
      '--flaw-every',
      String(flawEvery),
      '--out',
      dir,
      '--name',
      name,
    ],
    { stdio: 'ignore' },
  );
  const file = readdirSync(dir).find((f) => f.endsWith('.onnx'))!;
  return { name: file, bytes: new Uint8Array(readFileSync(join(dir, file))) };
}
