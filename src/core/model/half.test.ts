import { describe, expect, it } from 'vitest';
import { halfBits, halfCeil, halfNearest, halfToFloat } from './half';

describe('float16 rounding', () => {
  it('round-trips every finite float16', () => {
    for (let h = 0; h < 0x7c00; h++) {
      expect(halfBits(halfToFloat(h))).toBe(h);
      expect(halfBits(-halfToFloat(h))).toBe(h === 0 ? 0 : h | 0x8000);
    }
  });

  it('rounds to the nearest float16, subnormals and overflow included', () => {
    expect(halfNearest(1 / 3)).toBe(0.333251953125);
    expect(halfNearest(2 ** -16)).toBe(2 ** -16); // HTP's 16-bit sigmoid scale, a subnormal
    expect(halfNearest(1e-7)).toBe(2 * 2 ** -24);
    expect(halfNearest(65504)).toBe(65504);
    expect(halfNearest(70000)).toBe(Infinity);
    expect(halfBits(NaN)).toBe(0x7e00);
  });

  it('rounds a scale up, so that the range it was computed for stays covered', () => {
    for (const x of [1 / 3, 0.0123456, 7.77e-6, 1e-7, 3e-8, 1234.5678]) {
      const up = halfCeil(x)!;
      expect(up).toBeGreaterThanOrEqual(x);
      // ... by less than one float16 step.
      expect(halfToFloat(halfBits(up) - 1)).toBeLessThan(x);
    }
    expect(halfCeil(1 / 256)).toBe(1 / 256);
    expect(halfCeil(70000)).toBeUndefined();
  });
});
