import { publishedPackSchemas, type UserPack } from './schema/constraint-pack';
import type { Assert, Same } from '../src/core/schema/infer';
import type { Backend } from './backends';

// The frozen schema-1 backend list is the live one (a new backend needs a new pack schema).
export type PackBackends = Assert<Same<UserPack['backend'], Backend>>;
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BACKENDS, loadedBackends, loadRulePack } from './registry';
import { ConstraintPackError, mergePack, parseUserPack } from './user-pack';

describe('rule pack registry', () => {
  it('loads only the pack of the chosen backend, once', async () => {
    expect(loadedBackends).toEqual([]);
    const a = await loadRulePack('htp');
    const b = await loadRulePack('htp');
    expect(a).toBe(b);
    expect(loadedBackends).toEqual(['htp']);
    expect(BACKENDS).toContain('lpai');
  });

  it('HTP pack: all 20 SoCs with arch and VTCM, sources on every entry', async () => {
    const pack = await loadRulePack('htp');
    expect(pack.socs).toHaveLength(20);
    expect(pack.socs.find((s) => s.model === 'SM8650')).toMatchObject({ htpArch: 75, vtcmMB: 8 });
    expect(pack.socs.find((s) => s.model === 'SA8797')).toMatchObject({ htpArch: 81, vtcmMB: 16 });
    for (const c of Object.values(pack.constraints)) expect(c.source.ref.length, c.qnnOp).toBeGreaterThan(10);
    for (const o of pack.ops) expect(['documented', 'from-code', 'inferred']).toContain(o.source.confidence);
    for (const o of pack.ops)
      if (o.qnnOp) expect(pack.constraints[o.qnnOp] ?? o.qnnOp, `${o.onnx} → ${o.qnnOp}`).toBeTruthy();
  });

  it('LPAI pack: states what it does not know', async () => {
    const pack = await loadRulePack('lpai');
    expect(pack.socs.map((s) => [s.model, s.lpai])).toEqual([
      ['SM8850', 6],
      ['SAR2230P', 6],
    ]);
    expect(pack.unknowns.join(' ')).toMatch(/no-op BackendOpInfo stub/);
  });
});

describe('user constraint packs', () => {
  const good = JSON.stringify({
    schema: 1,
    backend: 'htp',
    name: 'my SDK 2.41 export',
    constraints: {
      Softmax: {
        inputs: [{ role: 'activation', dtypes: ['uint8', 'uint16'] }],
        outputs: [{ role: 'activation', fixed: { uint8: { scale: 1 / 256, zeroPoint: 0 } } }],
      },
    },
    ops: [{ onnx: 'Softsign', qnnOp: 'ElementWiseSoftsign' }],
    socs: [{ model: 'SM9999', htpArch: 85, vtcmMB: 16 }],
  });

  it('extends and overrides the built-in pack', async () => {
    const base = await loadRulePack('htp');
    const merged = mergePack(base, parseUserPack(good, 'pack.json'));
    expect(merged.constraints.Softmax!.outputs[0]!.fixed?.uint8?.scale).toBe(1 / 256);
    expect(merged.constraints.Softmax!.source.ref).toContain('my SDK 2.41 export');
    expect(merged.ops.find((o) => o.onnx === 'Softsign')?.qnnOp).toBe('ElementWiseSoftsign');
    expect(merged.socs.find((s) => s.model === 'SM9999')?.htpArch).toBe(85);
    expect(base.constraints.Softmax!.outputs[0]!.fixed).toBeUndefined();
  });

  const bad: [string, unknown, RegExp][] = [
    ['not JSON', '{nope', /not valid JSON/],
    ['wrong schema version', { schema: 2, backend: 'htp' }, /schema must be 1/],
    ['unknown backend', { schema: 1, backend: 'gpu' }, /backend must be one of "htp", "lpai"/],
    ['missing backend', { schema: 1 }, /missing the required field "backend"/],
    ['unknown top-level field', { schema: 1, backend: 'htp', rules: [] }, /rules is not a known field/],
    [
      'bad role',
      { schema: 1, backend: 'htp', constraints: { Conv2d: { inputs: [{ role: 'kernel' }], outputs: [] } } },
      /constraints\.Conv2d\.inputs\[0\]\.role must be one of/,
    ],
    [
      'bad dtype',
      {
        schema: 1,
        backend: 'htp',
        constraints: { Conv2d: { inputs: [{ role: 'weight', dtypes: ['fp8'] }], outputs: [] } },
      },
      /dtypes\[0\] "fp8" does not match/,
    ],
    [
      'zero fixed scale',
      {
        schema: 1,
        backend: 'htp',
        constraints: {
          Sigmoid: { inputs: [], outputs: [{ role: 'activation', fixed: { uint8: { scale: 0, zeroPoint: 0 } } }] },
        },
      },
      /scale must be > 0/,
    ],
    [
      'SoC without arch',
      { schema: 1, backend: 'htp', socs: [{ model: 'X', vtcmMB: 8 }] },
      /socs\[0\] is missing the required field "htpArch"/,
    ],
    [
      'bad confidence',
      { schema: 1, backend: 'htp', source: { ref: 'x', confidence: 'sure' } },
      /source\.confidence must be one of/,
    ],
  ];
  for (const [what, value, message] of bad) {
    it(`rejects ${what} with a clear message`, () => {
      const text = typeof value === 'string' ? value : JSON.stringify(value);
      let error: unknown;
      try {
        parseUserPack(text, 'pack.json');
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConstraintPackError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).toMatch(/^pack\.json: /);
    });
  }

  it('refuses a pack for another backend when merging', async () => {
    const lpai = parseUserPack(JSON.stringify({ schema: 1, backend: 'lpai' }), 'p.json');
    await expect(loadRulePack('htp').then((p) => mergePack(p, lpai))).rejects.toThrow(/for backend "lpai"/);
  });

  it('publishes a schema file that parses', () => {
    expect(JSON.parse(readFileSync('rules/schema/constraint-pack.schema.json', 'utf8')).title).toMatch(/schema 1/);
  });

  it('reads the schema-1 example the README publishes (a golden fixture of version 1)', async () => {
    const readme = readFileSync('rules/README.md', 'utf8');
    const example = /## User constraint packs[\s\S]*?```json\n([\s\S]*?)```/.exec(readme)![1]!;
    const pack = parseUserPack(example, 'example.json');
    expect(pack.schema).toBe(1);
    const merged = mergePack(await loadRulePack('htp'), pack);
    expect(merged.constraints.Softmax!.outputs[0]!.fixed).toEqual({ uint8: { scale: 0.00390625, zeroPoint: 0 } });
    expect(merged.socs.find((s) => s.model === 'SM9999')?.htpArch).toBe(85);
  });

  it('publishes exactly the frozen schema it checks with (npm run gen:rules writes it)', () => {
    for (const [name, text] of Object.entries(publishedPackSchemas()))
      expect(readFileSync(`rules/schema/${name}`, 'utf8'), `rules/schema/${name} is stale`).toBe(text);
  });
});
