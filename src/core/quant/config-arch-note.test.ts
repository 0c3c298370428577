/**
 * The Config menus' note on an SoC that refuses a config: it must say ahead of a run what the run's
 * check then finds, on a real model (PyTorch's ResNet-18, quantized from float).
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadRulePack } from '../../../rules/registry';
import { findSoc } from '../check/validate';
import { backendLimits, CONFIG_NAMES, configArchNote, type ConfigName } from './configs';
import { quantizeBytes } from '../../testing/quantize-file';

const RESNET = '.cache/corpus/torch/float-resnet18.onnx';

describe('configArchNote', () => {
  it("marks the configs the SoC refuses, from the pack's gates and its FP16 limit", async () => {
    const pack = await loadRulePack('htp');
    const limits = backendLimits(pack);
    const note = (config: ConfigName, soc: string) => configArchNote(config, limits, findSoc(pack, soc));
    const refused = (soc: string) => CONFIG_NAMES.filter((c) => note(c, soc));
    expect(refused('SM8650')).toEqual([]);
    expect(refused('SM8450')).toEqual(['16a16w']);
    expect(refused('SA8295')).toEqual(['16a16w', '16a4w_block', 'fp16a8w']);
    const gate = pack.gates.find((g) => g.feature === '16a16w')!;
    expect(note('16a16w', 'SM8450')).toEqual({
      label: 'needs V73+',
      text: `16a16w on SM8450 (V69): 16-bit weights beside 16-bit activations on ${gate.ops.join(', ')} need HTP V73 or newer, so those nodes will be errors. Use 16a8w, or an SoC with HTP V73 or newer.`,
    });
    expect(note('16a4w_block', 'SA8295')?.text).toContain('block-wise (LPBQ) weights');
    expect(note('16a4w_block', 'SA8295')?.text).toContain('Use 16a4w (per-channel 4-bit weights)');
    expect(note('fp16a8w', 'SA8295')).toEqual({
      label: 'no FP16 on V68',
      text: 'fp16a8w on SA8295 (V68): its activations stay float, which runs in FP16 on the HTP, and V68 has none, so those nodes leave the NPU. Use a config with integer activations (8a8w, 16a8w).',
    });
    // LPAI has no HTP gate, but runs quantized ops only: float activations are refused everywhere.
    const lpai = await loadRulePack('lpai');
    for (const s of lpai.socs) {
      expect(CONFIG_NAMES.filter((c) => configArchNote(c, backendLimits(lpai), s))).toEqual(['fp16a8w']);
      expect(configArchNote('fp16a8w', backendLimits(lpai), s)?.label).toBe('LPAI runs quantized ops only');
    }
  });

  it.skipIf(!existsSync(RESNET))(
    'says what the run then finds (ResNet-18 from PyTorch)',
    async () => {
      const bytes = new Uint8Array(readFileSync(RESNET));
      const pack = await loadRulePack('htp');
      // The rule whose errors each refused config brings.
      const rule = { '16a16w': '16a16w-arch', '16a4w_block': 'lpbq-arch', fp16a8w: 'float-island' } as const;
      for (const [config, soc] of [
        ['16a16w', 'SM8450'],
        ['16a16w', 'SM8650'],
        ['16a4w_block', 'SA8295'],
        ['16a4w_block', 'SM8450'],
        ['fp16a8w', 'SA8295'],
        ['fp16a8w', 'SM8450'],
      ] as const) {
        const { r } = await quantizeBytes(bytes, config, { soc, count: 2 });
        const errors = r.validation.findings.filter((f) => f.rule === rule[config] && f.severity === 'error');
        const noted = configArchNote(config, backendLimits(pack), findSoc(pack, soc));
        expect(errors.length > 0, `${config} on ${soc}`).toBe(noted !== undefined);
      }
    },
    120_000,
  );
});
