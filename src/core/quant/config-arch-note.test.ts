/**
 * The Config menus' note on an SoC that refuses a config: it must say ahead of a run what the run's
 * check then finds, on a real model (PyTorch's ResNet-18, quantized from float).
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadRulePack } from '../../../rules/registry';
import { findSoc } from '../check/validate';
import { CONFIG_NAMES, configArchNote, type ConfigName } from './configs';
import { quantizeBytes } from '../../testing/quantize-file';

const RESNET = '.cache/corpus/torch/float-resnet18.onnx';

describe('configArchNote', () => {
  it("marks the configs whose weights meet an HTP gate the SoC is older than, from the pack's gates", async () => {
    const pack = await loadRulePack('htp');
    const note = (config: ConfigName, soc: string) => configArchNote(config, pack.gates, findSoc(pack, soc));
    const refused = (soc: string) => CONFIG_NAMES.filter((c) => note(c, soc));
    expect(refused('SM8650')).toEqual([]);
    expect(refused('SM8450')).toEqual(['16a16w']);
    expect(refused('SA8295')).toEqual(['16a16w', '16a4w_block']);
    const gate = pack.gates.find((g) => g.feature === '16a16w')!;
    expect(note('16a16w', 'SM8450')).toEqual({
      minArch: 73,
      text: `16a16w on SM8450 (V69): 16-bit weights beside 16-bit activations on ${gate.ops.join(', ')} need HTP V73 or newer, so those nodes will be errors. Use 16a8w, or an SoC with HTP V73 or newer.`,
    });
    expect(note('16a4w_block', 'SA8295')?.text).toContain('block-wise (LPBQ) weights');
    expect(note('16a4w_block', 'SA8295')?.text).toContain('Use 16a4w (per-channel 4-bit weights)');
    // LPAI's SoCs have no HTP gate of their own.
    const lpai = await loadRulePack('lpai');
    for (const s of lpai.socs) expect(CONFIG_NAMES.filter((c) => configArchNote(c, lpai.gates, s))).toEqual([]);
  });

  it.skipIf(!existsSync(RESNET))(
    'says what the run then finds (ResNet-18 from PyTorch)',
    async () => {
      const bytes = new Uint8Array(readFileSync(RESNET));
      const pack = await loadRulePack('htp');
      const gateRule = { '16a16w': '16a16w-arch', '16a4w_block': 'lpbq-arch' } as const;
      for (const [config, soc] of [
        ['16a16w', 'SM8450'],
        ['16a16w', 'SM8650'],
        ['16a4w_block', 'SA8295'],
        ['16a4w_block', 'SM8450'],
      ] as const) {
        const { r } = await quantizeBytes(bytes, config, { soc, count: 2 });
        const errors = r.validation.findings.filter((f) => f.rule === gateRule[config] && f.severity === 'error');
        const noted = configArchNote(config, pack.gates, findSoc(pack, soc));
        expect(errors.length > 0, `${config} on ${soc}`).toBe(noted !== undefined);
      }
    },
    120_000,
  );
});
