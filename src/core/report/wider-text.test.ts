/** The words for the error trace's second run at a config that widens one side (ErrorTrace.wider). */
import { describe, expect, it } from 'vitest';
import type { ErrorTrace } from '../quant/error-trace';
import { errorTraceText, widerText } from './report-text';

describe("the error trace's run at a wider config", () => {
  it('names the side that loses the SQNR where widening it gains 6 dB or more', () => {
    expect(widerText({ config: '16a16w', widens: 'weights', bits: [8, 16], db: 23.54, widerDb: 68.79 })).toBe(
      'The same plan at 16a16w, 16-bit weights for the 8-bit ones and the activations as they are, keeps 68.8 dB where this one keeps 23.5: the 8-bit weights lose it, a little at each layer. Take 16a16w, or a per-node override to 16a16w on the layers that matter, or per-channel weights where the HTP takes them.',
    );
    expect(widerText({ config: '16a8w', widens: 'activations', bits: [8, 16], db: 18.8, widerDb: 31 })).toBe(
      'The same plan at 16a8w, 16-bit activations for the 8-bit ones and the weights as they are, keeps 31.0 dB where this one keeps 18.8: the 8-bit activations lose it, a little at each layer. Take 16a8w, or a per-node override to 16a8w on the layers that matter.',
    );
  });

  it('says the other side loses it where widening gains less', () => {
    expect(widerText({ config: '16a16w', widens: 'weights', bits: [8, 16], db: 30, widerDb: 33 })).toMatch(
      /: the 8-bit weights are not what loses it, so the activations' rounding is; keep the layers that matter in float \(a per-node override\)\.$/,
    );
    expect(widerText({ config: '16a8w', widens: 'activations', bits: [8, 16], db: 30, widerDb: 31 })).toMatch(
      /: the 8-bit activations are not what loses it, so the weights' rounding is: per-channel weights where the HTP takes them, or wider weights on the layers that matter\.$/,
    );
  });

  it('follows the trace when no node is named, and only then', () => {
    const trace: ErrorTrace = {
      tensors: [],
      sources: [],
      samples: 4,
      dropDb: 6,
      runs: 1,
      inGraph: true,
      samplesInGraph: 4,
      wider: { config: '16a16w', widens: 'weights', bits: [8, 16], db: 23.54, widerDb: 68.79 },
    };
    expect(errorTraceText(trace)).toBe(
      `0 quantized tensors compared on 4 samples: no node loses 6 dB or more against its inputs; the error builds up a little at each node. ${widerText(trace.wider!)}`,
    );
    expect(errorTraceText({ ...trace, wider: undefined })).toBe(
      '0 quantized tensors compared on 4 samples: no node loses 6 dB or more against its inputs; the error builds up a little at each node.',
    );
  });
});
