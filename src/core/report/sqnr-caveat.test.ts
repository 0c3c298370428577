/** The words under an SQNR figure for an output selected by its values (OutputSqnr.selection). */
import { describe, expect, it } from 'vitest';
import type { OutputSqnr } from '../quant/sqnr';
import { selectionCaveat, sqnrCaveat } from './report-text';

const selections = [
  { op: 'NonMaxSuppression', node: 'NonMaxSuppression_760' },
  { op: 'TopK', node: '/TopK' },
  { op: 'NonMaxSuppression', node: 'NonMaxSuppression_764', within: 'If "If_750"' },
  { op: 'NonZero', node: '/NonZero' },
];
const output = (db: number, selection: OutputSqnr['selection'], more: Partial<OutputSqnr> = {}): OutputSqnr => ({
  output: 'boxes',
  db,
  selection,
  ...more,
});
const before = { selections, tensors: 4, db: 65.2, lowest: { tensor: '/Gather_2_output_0', db: 37.7 } };

describe('the caveat of an output selected by its values', () => {
  it('says the figure compares two selections when it is well below the values selected from', () => {
    expect(selectionCaveat(output(16.8, before))).toBe(
      'This output is selected by its values (NonMaxSuppression "NonMaxSuppression_760", TopK "/TopK", NonMaxSuppression "NonMaxSuppression_764" in If "If_750", 1 more): where quantization moves a value across a threshold or past another, another element is kept or the order changes, so the figure compares two selections more than it measures rounding. Before the selection, the 4 tensors it selects from keep 65.2 dB (lowest: /Gather_2_output_0, 37.7 dB).',
    );
  });

  it('says nothing where the figure is near that of the values selected from, or exact', () => {
    expect(selectionCaveat(output(62.3, before))).toBeUndefined();
    expect(selectionCaveat(output(Infinity, before))).toBeUndefined();
    expect(sqnrCaveat(output(Infinity, before))).toBeUndefined();
    expect(selectionCaveat(output(16.8, undefined))).toBeUndefined();
  });

  it('gives the figure before the selection where the output has none', () => {
    // Sizes that differ: the figure is none, and the caveat does not speak of one.
    const resized = selectionCaveat(output(NaN, before, { sizes: { sample: 0, float: 110, quantized: 109 } }));
    expect(resized).toMatch(/another element is kept or the order changes\. Before the selection, the 4 tensors/);
    expect(resized).not.toContain('so the figure');
    // Zero on every sample in both: nothing was selected to compare.
    expect(selectionCaveat(output(NaN, before))).toBe(
      'This output is selected by its values (NonMaxSuppression "NonMaxSuppression_760", TopK "/TopK", NonMaxSuppression "NonMaxSuppression_764" in If "If_750", 1 more). Before the selection, the 4 tensors it selects from keep 65.2 dB (lowest: /Gather_2_output_0, 37.7 dB).',
    );
  });

  it('speaks of one tensor as one, and says when none could be compared', () => {
    const one = { selections: selections.slice(3), tensors: 1, db: 51.4 };
    expect(selectionCaveat(output(NaN, one, { sizes: { sample: 0, float: 110, quantized: 109 } }))).toMatch(
      /^This output is selected by its values \(NonZero "\/NonZero"\): .*Before the selection, the tensor it selects from keeps 51\.4 dB\.$/,
    );
    expect(selectionCaveat(output(3, { selections, tensors: 0 }))).toMatch(
      /Before the selection, the values it selects from could not be compared between the two models\.$/,
    );
  });

  it('follows the coarse-encoding caveat when both apply', () => {
    const both = output(8.8, before, {
      rms: 0.01,
      coarse: { scale: 1 / 256, dtype: 'uint8', steps: 2.56, idealDb: 18.9, fixedFor: 'Sigmoid' },
    });
    const text = sqnrCaveat(both)!;
    expect(text.indexOf("On these samples the float output's RMS")).toBe(0);
    expect(text).toContain(' This output is selected by its values (');
  });
});
