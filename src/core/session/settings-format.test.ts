import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Assert, Same } from '../schema/infer';
import type { CheckSettings } from './api';
import { readStoredSettings, settingsKey, storedSettings, type StoredSettings } from './settings-format';

// The stored type, derived from the frozen schema, is exactly the part of CheckSettings it keeps:
// a field added to the settings without a new format version fails to compile here.
export type StoredIsCheckSettings = Assert<
  Same<StoredSettings, Pick<CheckSettings, 'backend' | 'soc' | 'strict' | 'flow'>>
>;

const fixture = JSON.parse(readFileSync('src/core/session/__fixtures__/settings-v1.json', 'utf8')) as {
  defaults: StoredSettings;
  cases: { name: string; stored: string; read: StoredSettings }[];
};

const storage = (items: Record<string, string>) => ({ getItem: (k: string) => items[k] ?? null });

describe('settings kept in the browser', () => {
  for (const c of fixture.cases)
    it(`version 1: ${c.name}`, () => {
      expect(readStoredSettings(storage({ [settingsKey(1)]: c.stored }), fixture.defaults)).toEqual(c.read);
    });

  it('round-trips what it stores, under the latest key, and nothing else', () => {
    const s: CheckSettings = { backend: 'lpai', soc: 'SM8850', strict: false, flow: 'ort', target: 'plan' };
    const { key, text } = storedSettings(s);
    expect(key).toBe('quantlens.settings.v1');
    expect(JSON.parse(text)).toEqual({ backend: 'lpai', soc: 'SM8850', strict: false, flow: 'ort' });
    expect(readStoredSettings(storage({ [key]: text }), fixture.defaults)).toEqual(JSON.parse(text));
  });

  it('uses the defaults when nothing is stored or storage refuses', () => {
    expect(readStoredSettings(storage({}), fixture.defaults)).toEqual(fixture.defaults);
    const refusing = {
      getItem: () => {
        throw new Error('SecurityError');
      },
    };
    expect(readStoredSettings(refusing, fixture.defaults)).toEqual(fixture.defaults);
  });
});
