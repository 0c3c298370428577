import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { readOnnx } from '../src/core/model/read-onnx';
import { bytesOf, multiContextGraph } from '../src/testing/ep-context';
import { badgeContrasts, DATA, dropFiles, graphNode, illegibleTexts, waitForGraph } from './helpers';

test('the clean sample passes on the default SoC, strict', async ({ page }) => {
  await page.goto('/');
  await waitForGraph(page);
  const verdict = page.getByTestId('verdict');
  await expect(verdict).toHaveAttribute('data-verdict', 'pass');
  await expect(verdict).toContainText('SM8650 (V75)');
  await expect(verdict).toContainText('strict');
  await expect(page.getByTestId('node-mark')).toHaveCount(0);
});

test('a wrong 16-bit Sigmoid scale is marked on the node, listed, explained, and judged by the deployment flow', async ({
  page,
}) => {
  await page.goto('/?model=samples/broken-sigmoid-scale.qdq.onnx');
  await waitForGraph(page);
  await expect(page.getByTestId('verdict')).toHaveAttribute('data-verdict', 'fail');
  await expect(page.getByTestId('verdict-counts')).toContainText('1 error');
  const sigmoid = graphNode(page, 'Sigmoid');
  await expect(sigmoid).toHaveAttribute('data-severity', 'error');
  await expect(sigmoid.getByTestId('node-mark')).toHaveText(/1/);
  await expect(sigmoid).toHaveAttribute('title', /1\/65536/);

  const row = page.getByTestId('finding');
  await expect(row).toHaveCount(1);
  await expect(row).toHaveAttribute('data-rule', 'fixed-qparams');
  await row.click();
  await expect(page.getByTestId('panel-op')).toHaveText('Sigmoid');
  await expect(page.getByTestId('finding-expected')).toHaveText('scale 1/65536, zero point 0');
  await expect(page.getByTestId('finding-actual')).toHaveText('scale 0.000015259 ≈ 1/65535, zero point 0');
  await expect(page.getByTestId('node-findings')).toContainText('executorch');
  await expect(page.getByTestId('finding-outcome')).toContainText('QNN converter: rejected (conversion fails)');

  // ONNX Runtime's QNN EP overrides a 16-bit Sigmoid's output encoding: a repair, not a rejection.
  await page.getByRole('combobox', { name: 'Flow' }).selectOption('ort');
  await expect(page.getByTestId('verdict')).toHaveAttribute('data-verdict', 'pass-with-warnings');
  await expect(page.getByTestId('verdict')).toContainText('ONNX Runtime QNN EP');
  await expect(sigmoid).toHaveAttribute('data-severity', 'warning');
  await expect(page.getByTestId('finding-outcome')).toContainText(
    'ONNX Runtime QNN EP: repaired by the toolchain (numerics change)',
  );
});

test('switching SoC from SM8650 to SM8450 adds the 16a16w finding on the MatMul; lenient turns it into a warning', async ({
  page,
}) => {
  await page.goto('/?model=samples/broken-16a16w-matmul.qdq.onnx');
  await waitForGraph(page);
  await expect(page.getByTestId('verdict')).toHaveAttribute('data-verdict', 'pass');
  await page.getByRole('combobox', { name: 'SoC' }).selectOption('SM8450');
  await expect(page.getByTestId('verdict')).toHaveAttribute('data-verdict', 'fail');
  await expect(page.getByTestId('verdict')).toContainText('SM8450 (V69)');
  await expect(page.getByTestId('finding')).toHaveAttribute('data-rule', '16a16w-arch');
  await expect(page.getByTestId('finding')).toHaveAttribute('data-node', '/layers.0/attn/MatMul');
  await expect(page.locator('[data-testid="graph-node"][data-severity="error"]')).toHaveAttribute('data-op', 'MatMul');

  await page.getByRole('checkbox', { name: 'Strict' }).uncheck();
  await expect(page.getByTestId('verdict')).toHaveAttribute('data-verdict', 'pass-with-warnings');
  await expect(page.locator('[data-testid="graph-node"][data-severity="warning"]')).toHaveCount(1);
  // The warning badge is readable: at least 4.5:1 against its text (WCAG AA).
  const contrast = await page
    .locator('[data-testid="graph-node"][data-severity="warning"] [data-testid="node-mark"]')
    .evaluate((el) => {
      const rgb = (c: string) => (c.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map(Number);
      const lum = ([r, g, b]: number[]) => {
        const f = (v: number) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
        return 0.2126 * f(r!) + 0.7152 * f(g!) + 0.0722 * f(b!);
      };
      const s = getComputedStyle(el);
      const [a, b] = [lum(rgb(s.backgroundColor)), lum(rgb(s.color))].sort((x, y) => y - x);
      return (a! + 0.05) / (b! + 0.05);
    });
  expect(contrast).toBeGreaterThanOrEqual(4.5);

  // Settings survive a reload.
  await page.reload();
  await waitForGraph(page);
  await expect(page.getByRole('combobox', { name: 'SoC' })).toHaveValue('SM8450');
  await expect(page.getByRole('checkbox', { name: 'Strict' })).not.toBeChecked();
});

test('the delegation map: a node the NPU cannot take splits the graph into two NPU partitions', async ({ page }) => {
  await page.goto('/?model=samples/broken-unsupported-op.qdq.onnx');
  await waitForGraph(page);
  await page.getByRole('combobox', { name: 'Flow' }).selectOption('ort');
  await expect(page.getByTestId('delegation')).toHaveText('7 of 8 nodes on the NPU in 2 partitions; 1 on the CPU');
  await expect(page.locator('[data-testid="graph-node"][data-npu="off"]')).toHaveCount(1);
  await expect(page.locator('[data-testid="graph-node"][data-npu="off"]')).toHaveAttribute('data-op', 'Softsign');
  // Each NPU partition is outlined in its own colour, with a legend in the banner.
  const p1 = page.locator('[data-testid="graph-node"][data-partition="1"]');
  const p2 = page.locator('[data-testid="graph-node"][data-partition="2"]');
  expect((await p1.count()) + (await p2.count())).toBe(7);
  expect(await p1.count()).toBeGreaterThan(0);
  expect(await p2.count()).toBeGreaterThan(0);
  const ring = (l: typeof p1) => l.first().evaluate((el) => getComputedStyle(el).boxShadow);
  expect(await ring(p1)).not.toBe(await ring(p2));
  await expect(page.getByTestId('partition-legend')).toContainText('partition 1');
  await expect(page.getByTestId('partition-legend')).toContainText('partition 2');
  // Each node says what the flow does with it: ONNX Runtime runs the Softsign on the CPU; the
  // QNN converter rejects the model.
  await expect(graphNode(page, 'Softsign')).toHaveAttribute('data-outcome', 'cpu-fallback');
  if (process.env.UPDATE_SCREENSHOTS) await page.screenshot({ path: 'docs/screenshots/delegation-map.png' });
  await page.getByRole('combobox', { name: 'Flow' }).selectOption('qnn');
  await expect(graphNode(page, 'Softsign')).toHaveAttribute('data-outcome', 'rejected');
  // The converter does not cut the model around it: the conversion fails, there are no partitions.
  await expect(page.getByTestId('delegation')).toHaveText(
    'conversion fails at 1 of 8 nodes: none runs on the NPU until it is fixed',
  );
  await expect(page.getByTestId('partition-legend')).toHaveCount(0);
  await expect(page.locator('[data-testid="graph-node"][data-partition]')).toHaveCount(0);
  await expect(page.locator('[data-testid="graph-node"][data-npu="off"]')).toHaveCount(1);
});

test('a dynamically quantized model gets one model-level finding and is not quantized again', async ({ page }) => {
  await page.goto('/');
  await waitForGraph(page);
  const bytes = new Uint8Array(readFileSync(`${DATA}/node/test_convinteger_with_padding/model.onnx`));
  await dropFiles(page, [{ name: 'convinteger.onnx', bytes }]);
  await expect(page.getByTestId('model-origin')).toHaveText('convinteger.onnx');
  await expect(page.getByTestId('verdict')).toHaveAttribute('data-verdict', 'fail');
  await expect(page.getByTestId('finding')).toHaveCount(1);
  await expect(page.getByTestId('finding')).toHaveAttribute('data-rule', 'not-qdq');
  // Not a float model: its finding leads the panel, and the quantizer (which takes float models)
  // comes second.
  await expect(page.getByTestId('side-panel')).toHaveAttribute('data-order', 'findings-first');
  // No quantizer run started on its own: the banner judges the model's own encodings, and says
  // what they are: integer ops, not a float model.
  await expect(page.getByTestId('verdict-encodings')).toContainText('none (integer ops, not QDQ)');
  // Lenient, it is still not shown as a float model whose quantization is yet to come.
  await page.getByRole('checkbox', { name: 'Strict' }).uncheck();
  await expect(page.getByTestId('verdict')).toHaveAttribute('data-verdict', 'pass-with-warnings');
  await expect(page.getByTestId('verdict-label')).not.toContainText('FLOAT MODEL');
  await expect(page.getByTestId('verdict-encodings')).toContainText('none (integer ops, not QDQ)');
});

test("a model from ONNX Runtime's quantizer offers its QNN EP's flow: one click judges it there", async ({ page }) => {
  await page.goto('/');
  await waitForGraph(page);
  // Written by ONNX Runtime's quantizer (get_qnn_qdq_config): two uint8 biases the QNN converter rejects.
  const file = 'src/core/check/__fixtures__/ort-quantizer/shared-bias-se-cnn.u8u8.qdq.onnx';
  await dropFiles(page, [{ name: 'se.qdq.onnx', bytes: new Uint8Array(readFileSync(file)) }]);
  await expect(page.getByTestId('model-origin')).toHaveText('se.qdq.onnx');
  const verdict = page.getByTestId('verdict');
  await expect(verdict).toHaveAttribute('data-verdict', 'fail');
  await expect(verdict).toContainText('QNN converter');
  const hint = page.getByTestId('flow-hint');
  await expect(hint).toContainText("Written by ONNX Runtime's quantizer (onnx.quantize");
  await hint.getByRole('button', { name: 'Judge it for ONNX Runtime QNN EP' }).click();
  await expect(page.getByRole('combobox', { name: 'Flow' })).toHaveValue('ort');
  // There the Convs run as float ops (FP16): slower, not refused.
  await expect(verdict).toHaveAttribute('data-verdict', 'pass-with-warnings');
  await expect(page.getByTestId('verdict-counts')).toContainText('0 errors · 4 warnings');
  await expect(hint).toHaveCount(0);
  // A model from another producer gets no such hint.
  await page.getByRole('combobox', { name: 'Flow' }).selectOption('qnn');
  await dropFiles(page, [
    { name: 'plain.onnx', bytes: new Uint8Array(readFileSync('public/samples/broken-bias-scale.qdq.onnx')) },
  ]);
  await expect(page.getByTestId('model-origin')).toHaveText('plain.onnx');
  await expect(verdict).toContainText('QNN converter');
  await expect(page.getByTestId('flow-hint')).toHaveCount(0);
});

test("only the chosen backend's rule pack is loaded", async ({ page }) => {
  const scripts: string[] = [];
  page.on('request', (r) => {
    if (r.url().endsWith('.js')) scripts.push(r.url());
  });
  await page.goto('/');
  await waitForGraph(page);
  await expect(page.getByTestId('verdict')).toBeVisible();
  expect(scripts.some((u) => /htp-pack/.test(u))).toBe(true);
  expect(scripts.some((u) => /lpai-pack/.test(u))).toBe(false);
  await page.getByRole('combobox', { name: 'Backend' }).selectOption('lpai');
  await expect(page.getByTestId('verdict')).toContainText('LPAI');
  expect(scripts.some((u) => /lpai-pack/.test(u))).toBe(true);
});

test('LPAI takes no ONNX Runtime flow (its QNN EP has no LPAI backend): the menu says so, and the flow gives way', async ({
  page,
}) => {
  await page.goto('/');
  await waitForGraph(page);
  const flow = page.getByRole('combobox', { name: 'Flow' });
  await flow.selectOption('ort');
  await expect(page.getByTestId('verdict')).toContainText('ONNX Runtime QNN EP');
  await page.getByRole('combobox', { name: 'Backend' }).selectOption('lpai');
  await expect(flow).toHaveValue('qnn');
  await expect(page.getByTestId('verdict')).toContainText('LPAI · QNN converter');
  const ort = flow.locator('option[value="ort"]');
  await expect(ort).toBeDisabled();
  await expect(ort).toHaveText('ONNX Runtime QNN EP (not for LPAI)');
  await expect(ort).toHaveAttribute('title', /has no LPAI backend/);
  // Back on the HTP, the flow is offered again.
  await page.getByRole('combobox', { name: 'Backend' }).selectOption('htp');
  await expect(ort).toBeEnabled();
});

test('a constraint pack loads from a file, and a bad one is refused with its reason', async ({ page }) => {
  await page.goto('/');
  await waitForGraph(page);
  const pack = { schema: 1, backend: 'htp', name: 'no sigmoid', ops: [{ onnx: 'Sigmoid', qnnOp: null }] };
  await page
    .getByTestId('pack-input')
    .setInputFiles({ name: 'pack.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(pack)) });
  await expect(page.getByTestId('user-pack')).toContainText('no sigmoid');
  await expect(page.getByTestId('verdict')).toHaveAttribute('data-verdict', 'fail');
  await expect(page.getByTestId('finding')).toHaveAttribute('data-rule', 'unsupported-op');

  await page.getByTestId('pack-input').setInputFiles({
    name: 'bad.json',
    mimeType: 'application/json',
    buffer: Buffer.from('{"schema":1,"backend":"gpu"}'),
  });
  await expect(page.getByTestId('pack-error')).toContainText('bad.json: backend must be one of');
});

test('every severity badge meets WCAG AA contrast in the light and the dark theme', async ({ page }) => {
  await page.goto('/?model=samples/broken-sigmoid-scale.qdq.onnx');
  await waitForGraph(page);
  await page.getByRole('checkbox', { name: 'Strict' }).uncheck();
  await expect(page.getByTestId('severity-badge').first()).toBeVisible();
  for (const theme of ['light', 'dark']) {
    if (theme === 'dark') {
      await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
      await page.keyboard.press('t');
      await expect(page.locator('html')).toHaveClass(/dark/);
    }
    const badges = await badgeContrasts(
      page,
      '[data-testid="severity-badge"], [data-testid="node-mark"], [data-testid="group-counts"]',
    );
    expect(badges.length, `${theme}: badges found`).toBeGreaterThan(1);
    for (const b of badges) expect(b.ratio, `${theme}: "${b.text}"`).toBeGreaterThanOrEqual(4.5);
  }
});

/**
 * Selects the node of type `op`, clicking again if a click landed while the drawing was still
 * moving (fitting itself to the window under load), which selects nothing.
 */
async function select(page: Page, op: string): Promise<void> {
  await expect(async () => {
    await graphNode(page, op).click();
    await expect(page.getByTestId('panel-op')).toHaveText(op, { timeout: 2000 });
  }).toPass();
}

test('every text on screen meets WCAG AA contrast in the light and the dark theme', async ({ page }) => {
  /** The states to read: findings and a selected node's ports, a quantized float model, the delegation legend, a notice. */
  const states: [string, (theme: string) => Promise<void>][] = [
    [
      'a failing QDQ model, its Sigmoid selected',
      async () => {
        await page.goto('/?model=samples/broken-sigmoid-scale.qdq.onnx');
        await waitForGraph(page);
        await select(page, 'Sigmoid');
        await expect(page.getByTestId('port-encoding').first()).toBeVisible();
      },
    ],
    [
      'a float model quantized on load, its Gemm selected',
      async () => {
        await page.goto('/?model=samples/cnn-sigmoid.onnx');
        await waitForGraph(page);
        await expect(page.getByTestId('quant-result')).toBeVisible();
        await select(page, 'Gemm');
        await expect(page.getByTestId('port-encoding').first()).toBeVisible();
      },
    ],
    [
      'NPU partitions under ONNX Runtime',
      async () => {
        await page.goto('/?model=samples/broken-unsupported-op.qdq.onnx');
        await waitForGraph(page);
        await page.getByRole('combobox', { name: 'Flow' }).selectOption('ort');
        await expect(page.getByTestId('partition-legend')).toBeVisible();
      },
    ],
    [
      'a broken share link',
      async () => {
        await page.goto('/?again#s=9.AAAA');
        await waitForGraph(page);
        await expect(page.getByRole('alert').first()).toBeVisible();
      },
    ],
  ];
  for (const theme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: theme });
    for (const [what, open] of states) {
      await open(theme);
      await expect(page.locator('html')).toHaveClass(theme === 'dark' ? /dark/ : /^(?!.*dark)/);
      expect(await illegibleTexts(page), `${theme}: ${what}`).toEqual([]);
    }
  }
});

test('a compiled model (EPContext nodes) is judged by the flow, shows its binary by size, and is not quantized on load', async ({
  page,
}) => {
  // qnn_multi_ctx_embed.onnx's shape (ONNX Runtime's test data): two embedded QNN context binaries.
  await page.goto('/');
  await waitForGraph(page);
  await page.getByRole('combobox', { name: 'Flow' }).selectOption('ort');
  await dropFiles(page, [{ name: 'ctx.onnx', bytes: bytesOf(multiContextGraph(true)) }]);
  await expect(page.getByTestId('model-origin')).toHaveText('ctx.onnx');
  await waitForGraph(page);
  await expect(page.getByTestId('verdict')).toHaveAttribute('data-verdict', 'pass');
  // Not a float model: its quantization is inside the binaries.
  await expect(page.getByTestId('verdict-label')).not.toContainText('FLOAT MODEL');
  await expect(page.getByTestId('verdict-encodings')).toContainText('inside the compiled contexts');
  await expect(page.getByTestId('delegation')).toContainText('2 of 2');
  const rows = page.getByTestId('finding');
  await expect(rows).toHaveCount(2);
  await expect(rows.first()).toHaveAttribute('data-rule', 'precompiled-context');
  await rows.first().click();
  const panel = page.getByTestId('node-panel');
  await expect(panel.getByTestId('panel-op')).toHaveText('EPContext');
  await expect(panel).toContainText('17,776 bytes of binary data');
  await expect(panel).toContainText('QNNExecutionProvider');
  // Nothing to quantize: no run starts, and no error shows.
  await expect(page.getByTestId('quant-progress')).toHaveCount(0);
  await expect(page.getByTestId('quant-error')).toHaveCount(0);
  await expect(page.getByTestId('quant-result')).toHaveCount(0);

  // The QNN converter takes the source model, not this wrapper.
  await page.getByRole('combobox', { name: 'Flow' }).selectOption('qnn');
  await expect(page.getByTestId('verdict')).toHaveAttribute('data-verdict', 'fail');
  await expect(page.getByTestId('finding-outcome')).toContainText('QNN converter: rejected');
});

test('a compiled model whose context binaries sit beside it: dropped alone it names the missing file, dropped with them it passes', async ({
  page,
}) => {
  // qnn_multi_ctx_external.onnx's shape (ONNX Runtime's test data): two contexts in .bin files.
  const bytes = bytesOf(multiContextGraph(false));
  const bins = readOnnx(bytes).graph.nodes.map(
    (n) => n.attributes.find((a) => a.name === 'ep_cache_context')!.attr.value as string,
  );
  await page.goto('/');
  await waitForGraph(page);
  await page.getByRole('combobox', { name: 'Flow' }).selectOption('ort');
  await dropFiles(page, [{ name: 'ctx.onnx', bytes }]);
  await expect(page.getByTestId('model-origin')).toHaveText('ctx.onnx');
  await expect(page.getByTestId('verdict')).toHaveAttribute('data-verdict', 'fail');
  await expect(page.getByTestId('delegation')).toContainText('session creation fails at 2 of 2 nodes');
  const first = page.getByTestId('finding').first();
  await expect(first).toContainText(`"${bins[0]}" was not given with the model`);
  // The binary's long name wraps inside the list instead of running out of it.
  expect(await first.evaluate((e) => e.scrollWidth <= e.clientWidth)).toBe(true);
  await first.click();
  // Under ONNX Runtime a refused node stops the session, not a conversion: on the graph too.
  await expect(graphNode(page, 'EPContext').first()).toHaveAttribute(
    'title',
    /Under the flow: rejected \(session creation fails\)/,
  );
  await expect(page.getByTestId('finding-outcome').first()).toContainText(
    'ONNX Runtime QNN EP: rejected (session creation fails)',
  );
  await dropFiles(page, [{ name: 'ctx.onnx', bytes }, ...bins.map((name) => ({ name, bytes: new Uint8Array(64) }))]);
  await expect(page.getByTestId('verdict')).toHaveAttribute('data-verdict', 'pass');
  await expect(page.getByTestId('delegation')).toContainText('2 of 2 nodes on the NPU');
});

test('a float model dropped with AIMET 2.0.0 encodings is checked against them: LPBQ on a [K, N] weight, refused on V68', async ({
  page,
}) => {
  // PyTorch's torch.addmm / torch.matmul export, quantized by the CLI at 16a4w_block (AIMET 1.0.0),
  // then written as aimet-onnx writes 2.0.0: one list, block scales laid out as the [K, N] weight.
  const model = '.cache/corpus/torch/float-linear-kn.onnx';
  const dir = mkdtempSync(join(tmpdir(), 'ql-aimet2-'));
  execFileSync(process.execPath, [
    'bin/quantlens.cjs',
    'quantize',
    model,
    '--config',
    '16a4w_block',
    '--block-size',
    '16',
    '--out-qdq',
    join(dir, 'm.qdq.onnx'),
    '--out-encodings',
    join(dir, 'm.encodings'),
  ]);
  type V1 = {
    name: string;
    dtype: string;
    enc_type: string;
    bw: number;
    is_sym: boolean;
    scale: number[];
    offset: number[];
    block_size?: number;
    compressed_bw?: number;
    per_block_int_scale?: number[];
  };
  const v1 = JSON.parse(readFileSync(join(dir, 'm.encodings'), 'utf8')) as Record<string, V1[]>;
  const K: Record<string, number> = { w1: 64, w2: 48 };
  const entries = [...v1.activation_encodings!, ...v1.param_encodings!].map((e) => {
    if (e.dtype === 'FLOAT') return { name: e.name };
    if (e.enc_type === 'LPBQ') {
      const n = e.scale.length,
        blocks = K[e.name]! / e.block_size!;
      return {
        name: e.name,
        output_dtype: `int${e.compressed_bw}`,
        per_channel_float_scale: [e.scale],
        per_block_int_scale: Array.from({ length: blocks }, (_, b) =>
          Array.from({ length: n }, (_, c) => e.per_block_int_scale![c * blocks + b]),
        ),
        axis: 0,
        block_size: e.block_size,
      };
    }
    const signed = e.is_sym && e.offset.every((o) => o === -(2 ** (e.bw - 1)));
    const zp = e.offset.map((o) => (signed ? 0 : -o));
    const type = `${signed ? 'int' : 'uint'}${e.bw}`;
    return e.enc_type === 'PER_TENSOR'
      ? { name: e.name, output_dtype: type, y_scale: e.scale[0], ...(zp[0] ? { y_zero_point: zp[0] } : {}) }
      : {
          name: e.name,
          output_dtype: type,
          y_scale: e.scale,
          axis: 0,
          ...(zp.some(Boolean) ? { y_zero_point: zp } : {}),
        };
  });
  await page.goto('/');
  await waitForGraph(page);
  await dropFiles(page, [
    { name: 'float-linear-kn.onnx', bytes: new Uint8Array(readFileSync(model)) },
    {
      name: 'linear.v2.encodings',
      bytes: new TextEncoder().encode(JSON.stringify({ version: '2.0.0', encodings: entries })),
    },
  ]);
  await expect(page.getByTestId('verdict-encodings')).toContainText('AIMET');
  await expect(page.getByTestId('verdict')).toHaveAttribute('data-verdict', 'pass');
  await graphNode(page, 'Gemm').click();
  await expect(page.getByTestId('node-panel')).toContainText(
    'int4 LPBQ(48 channels on axis 1, blocks of 16 along axis 0)',
  );
  await page.getByLabel('SoC').selectOption('SA8295');
  await expect(page.getByTestId('verdict')).toHaveAttribute('data-verdict', 'fail');
  await expect(page.getByTestId('finding')).toHaveCount(2);
  await expect(page.getByTestId('finding').first()).toContainText('lpbq-arch');
});
