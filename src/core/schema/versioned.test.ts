import { describe, expect, it } from 'vitest';
import { defineFormat, readVersioned } from './versioned';
import { SHARE_FORMAT } from '../share/schema';
import { CHECK_REPORT_FORMAT } from '../report/report-format';
import { SETTINGS_FORMAT } from '../session/settings-format';
import { CONSTRAINT_PACK_FORMAT } from '../../../rules/schema/constraint-pack';

const v = (n: number, extra: Record<string, unknown> = {}) => ({
  type: 'object',
  required: ['v'],
  additionalProperties: false,
  properties: { v: { const: n }, ...extra },
});

describe('the versioned-format kit', () => {
  it('refuses a format whose versions skip, lack an upgrade or do not fix their version field', () => {
    expect(() => defineFormat('x', 'v', [{ version: 2, schema: v(2) }])).toThrow(/version 2 is listed where 1/);
    expect(() =>
      defineFormat('x', 'v', [
        { version: 1, schema: v(1) },
        { version: 2, schema: v(2) },
      ]),
    ).toThrow(/no upgrade from 1/);
    expect(() => defineFormat('x', 'v', [{ version: 1, schema: v(2) }])).toThrow(/does not fix "v" to 1/);
  });

  it('checks a value against its own version, then upgrades it step by step', () => {
    const f = defineFormat<{ v: 3; name: string; size: number }>('toy', 'v', [
      { version: 1, schema: v(1, { title: { type: 'string' } }) },
      { version: 2, schema: v(2, { name: { type: 'string' } }), upgrade: (p) => ({ v: 2, name: p.title }) },
      {
        version: 3,
        schema: v(3, { name: { type: 'string' }, size: { type: 'integer' } }),
        upgrade: (p) => ({ ...p, v: 3, size: 0 }),
      },
    ]);
    expect(readVersioned(f, { v: 1, title: 'a' })).toEqual({ ok: true, value: { v: 3, name: 'a', size: 0 }, from: 1 });
    expect(readVersioned(f, { v: 3, name: 'b', size: 2 })).toEqual({
      ok: true,
      value: { v: 3, name: 'b', size: 2 },
      from: 3,
    });
    // A version-2 field in a version-1 value is refused: each version is read by its own schema.
    const wrong = readVersioned(f, { v: 1, name: 'a' });
    expect(wrong.ok || wrong.problem).toMatchObject({ code: 'invalid', version: 1, path: 'name' });
    expect(readVersioned(f, { v: 4 })).toEqual({ ok: false, problem: { code: 'future-version', version: 4 } });
    expect(readVersioned(f, { v: 0 })).toEqual({ ok: false, problem: { code: 'no-version' } });
    expect(readVersioned(f, 'v1')).toEqual({ ok: false, problem: { code: 'not-an-object' } });
  });

  it('carries every QuantLens format, each with its versions in order', () => {
    const formats = [SHARE_FORMAT, CHECK_REPORT_FORMAT, SETTINGS_FORMAT, CONSTRAINT_PACK_FORMAT];
    expect(formats.map((f) => [f.name, f.latest])).toEqual([
      ['share link', 5],
      ['check report', 2],
      ['settings', 1],
      ['constraint pack', 1],
    ]);
  });

  it('holds every schema as plain JSON data (no functions, no class instances)', () => {
    // Schemas are plain literal data; a function, class instance or shared mutable array in one
    // would mean it reads something that can change.
    const plain = (x: unknown): boolean =>
      x === null ||
      ['string', 'number', 'boolean'].includes(typeof x) ||
      (Array.isArray(x) && x.every(plain)) ||
      (typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype && Object.values(x!).every(plain));
    for (const f of [SHARE_FORMAT, CHECK_REPORT_FORMAT, SETTINGS_FORMAT, CONSTRAINT_PACK_FORMAT])
      for (const version of f.versions) expect(plain(version.schema), `${f.name} ${version.version}`).toBe(true);
  });
});
