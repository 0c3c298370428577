/** The delegation map on a QDQ chain with a node the NPU cannot take in the middle. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BROKEN_VARIANTS, buildBroken } from '../../../scripts/samples/broken';
import { loadRulePack } from '../../../rules/registry';
import type { Flow } from '../../../rules/types';
import { GraphBuilder } from '../model/graph-builder';
import { readOnnx } from '../model/read-onnx';
import { writeOnnx } from '../model/write-onnx';
import { qgraphFromQdq } from '../qgraph/from-qdq';
import { delegationText } from './delegation';
import { validate } from './validate';

/** x → Relu → [middle] → Relu → Sigmoid, every tensor between them behind a uint8 Q/DQ pair. */
function chain(middle: string): Uint8Array {
  const b = new GraphBuilder('chain');
  b.input('x', 'float32', [1, 8]);
  b.initializer('s', new Float32Array([0.05]), []);
  b.initializer('z', new Uint8Array([128]), [], 'uint8');
  let t = 'x';
  const qdq = (name: string) => {
    b.node('QuantizeLinear', [t, 's', 'z'], [`${name}_q`], {}, { name: `${name}_Q` });
    b.node('DequantizeLinear', [`${name}_q`, 's', 'z'], [`${name}_dq`], {}, { name: `${name}_DQ` });
    t = `${name}_dq`;
  };
  qdq('in');
  for (const [op, name] of [
    ['Relu', 'a'],
    [middle, 'mid'],
    ['Relu', 'b'],
    ['Abs', 'c'],
  ] as const) {
    b.node(op, [t], [name], {}, { name });
    t = name;
    qdq(`${name}_out`);
  }
  b.output(t, 'float32', [1, 8]);
  return writeOnnx(b.toModel({ opset: [{ domain: '', version: 21 }], irVersion: 10 }));
}

async function delegation(bytes: Uint8Array, flow: Flow, soc = 'SM8650') {
  const r = validate(qgraphFromQdq(readOnnx(bytes)), await loadRulePack('htp'), { soc, strict: true, flow });
  return r.delegation;
}

describe('delegation map', () => {
  it('a fully supported chain is one partition', async () => {
    const d = await delegation(chain('Relu'), 'ort');
    expect(d).toMatchObject({ nodes: 4, onNpu: 4, offNpu: 0, partitions: 1 });
    expect(d.partitionOf).toBeUndefined();
  });

  it('an unsupported node in the middle splits the NPU nodes into two partitions', async () => {
    const d = await delegation(chain('Erf'), 'ort');
    expect(d).toMatchObject({ nodes: 4, onNpu: 3, offNpu: 1, partitions: 2 });
    expect(delegationText(d)).toBe('3 of 4 nodes on the NPU in 2 partitions; 1 on the CPU');
    // Numbered in graph order: the node before the cut is partition 1, the two after it partition 2.
    expect(Object.values(d.partitionOf!).sort()).toEqual([1, 2, 2]);
    expect(d.offNpuIds.some((id) => id in d.partitionOf!)).toBe(false);
  });

  it('under the QNN converter the same node fails the conversion: no partitions, nothing on the NPU', async () => {
    const d = await delegation(chain('Erf'), 'qnn');
    expect(d).toMatchObject({ nodes: 4, onNpu: 0, offNpu: 4, partitions: 0, rejected: 1 });
    expect(d.partitionOf).toBeUndefined();
    // Only the node that stops the conversion is marked on the graph.
    expect(d.offNpuIds).toHaveLength(1);
    expect(delegationText(d)).toBe('conversion fails at 1 of 4 nodes: none runs on the NPU until it is fixed');
  });

  it('a float node runs on the NPU in FP16 on V75 and leaves it on V68, which has no FP16', async () => {
    const v = BROKEN_VARIANTS.find((x) => x.rule === 'float-island')!;
    const bytes = buildBroken(v, new Uint8Array(readFileSync(`public/samples/${v.base}`)));
    expect((await delegation(bytes, 'ort', 'SM8650')).offNpu).toBe(0);
    expect(await delegation(bytes, 'ort', 'SA8295')).toMatchObject({ offNpu: 1 });
  });
});
