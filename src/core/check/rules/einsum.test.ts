import { describe, expect, it } from 'vitest';
import { einsumUnsupported } from './einsum';

describe('einsumUnsupported', () => {
  it("takes the equations of ONNX Runtime's HTP Einsum tests", () => {
    for (const eq of [
      'ij,jk->ik',
      'bhid,bhjd->bhij',
      'bnQd,bnKd->bnQK',
      'bchq,bkhc->bkhq',
      'bhwc,hkc->bhwk',
      ' b i d , b j d -> b i j ',
    ])
      expect(einsumUnsupported(eq, true), eq).toBeUndefined();
    // The reduce-sum of a broadcast product runs in float only.
    expect(einsumUnsupported('bhwc,wkc->bhwk', false)).toBeUndefined();
    expect(einsumUnsupported('bhwc,wkc->bhwk', true)).toMatch(/quantized/);
  });

  it('refuses what the op builder refuses: other contractions, three operands, no result, ellipses', () => {
    for (const eq of ['ij,jk->ki', 'ij,jk->jk', 'ij,jk,kl->il', 'ij,jk', '...ij,...jk->...ik', 'i,i->i'])
      expect(einsumUnsupported(eq, true), eq).toBeDefined();
  });
});
