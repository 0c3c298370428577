import { describe, expect, it } from 'vitest';
import { loadRulePack } from '../../../../rules/registry';
import { attr } from '../../model/write-onnx';
import { qgraphFromQdq } from '../../qgraph/from-qdq';
import { buildOpTest } from '../../../testing/ort-qdq';
import { validate } from '../validate';
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

  it("is ONNX Runtime's limit: ExecuTorch decomposes any einsum, so there it is a repair", async () => {
    // einsum_test.cc DISABLED_EinsumQdqReduceSumMulBroadcastX: ONNX Runtime's builder refuses it.
    const graph = qgraphFromQdq(
      buildOpTest({
        source: 'einsum_test.cc: DISABLED_EinsumQdqReduceSumMulBroadcastX',
        op: 'Einsum',
        inputs: [
          { shape: [1, 3, 2, 4], range: [-0.1, 0.5] },
          { shape: [2, 3, 4], range: [-0.1, 0.5] },
        ],
        attrs: { equation: attr.string('bhwc,wkc->bhwk') },
        qtype: 'uint8',
        outputRange: [-1, 1],
        opset: 13,
        expected: 'None',
      }),
    );
    const pack = await loadRulePack('htp');
    const under = (flow: 'qnn' | 'ort' | 'executorch') =>
      validate(graph, pack, { soc: 'SM8650', strict: true, flow })
        .findings.filter((f) => f.rule === 'op-limits')
        .map((f) => `${f.severity} ${f.outcome}`);
    expect([under('qnn'), under('ort'), under('executorch')]).toEqual([
      ['error rejected'],
      ['error cpu-fallback'],
      ['warning auto-fixed'],
    ]);
  });
});
