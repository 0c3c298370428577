import { describe, expect, it } from 'vitest';
import { ratioDb, sqnrDb } from './sqnr';
import { sqnrText } from '../report/report-text';

describe('SQNR edge cases', () => {
  it('is a number when both outputs carry signal', () => {
    expect(sqnrDb([1, 2, 3], [1, 2, 3.1])).toBeCloseTo(10 * Math.log10(14 / 0.01), 6);
    expect(sqnrText(sqnrDb([1, 2, 3], [1, 2, 3.1]))).toBe('31.5 dB');
  });

  it('says what an exact match, a zero float output and an all-zero output mean', () => {
    expect(sqnrText(sqnrDb([1, 2], [1, 2]))).toBe('∞ dB (the quantized output matches the float one exactly)');
    expect(sqnrText(sqnrDb([0, 0], [0.1, 0]))).toBe('−∞ dB (the float output is zero, the quantized one is not)');
    // An untrained torchvision ViT's head is zero-initialized: both outputs are zero, no ratio.
    expect(ratioDb(0, 0)).toBeNaN();
    expect(sqnrText(sqnrDb([0, 0], [0, 0]))).toBe('none (the output is zero on every sample, float and quantized)');
  });
});
