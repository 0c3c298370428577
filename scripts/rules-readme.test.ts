import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RULE_IDS } from '../src/core/check/finding';
import { rulesReadme } from './rules-readme';

describe('rules/README.md', () => {
  it('is what the code generates (run npm run gen:rules after changing rules)', () => {
    expect(readFileSync('rules/README.md', 'utf8')).toBe(rulesReadme());
  });
  it('lists every rule id', () => {
    const text = rulesReadme();
    for (const id of RULE_IDS) expect(text).toContain(`\`${id}\``);
  });
});
