import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { boundaryViolations, importCycles, importEdges } from './boundaries';

const ROOT = join(import.meta.dirname, '..', '..');

describe('import boundaries of the engine stack', () => {
  const edges = importEdges(ROOT);

  it('reads the import graph of the product code', () => {
    // Enough edges that a broken parser (finding none) cannot pass the checks below.
    expect(edges.length).toBeGreaterThan(300);
    expect(edges).toContainEqual({ from: 'src/core/check/validate.ts', to: 'src/core/check/map-op.ts' });
  });

  it('has no upward import', () => {
    expect(boundaryViolations(edges)).toEqual([]);
  });

  it('has no import circle', () => {
    expect(importCycles(edges)).toEqual([]);
  });

  it('keeps the UI one-way: state imports no actions or components, actions no components', () => {
    const ui = (e: { from: string; to: string }, from: string, to: string) =>
      e.from.startsWith(`src/ui/${from}/`) && e.to.startsWith(`src/ui/${to}/`);
    expect(
      edges.filter((e) => ui(e, 'state', 'actions') || ui(e, 'state', 'components') || ui(e, 'actions', 'components')),
    ).toEqual([]);
  });

  it('leaves store writes to actions and store setters: no component calls setState', () => {
    const dir = join(ROOT, 'src/ui/components');
    const offenders = readdirSync(dir).filter((f) => /\.setState\(/.test(readFileSync(join(dir, f), 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('fails on a planted upward import', () => {
    const planted = [...edges, { from: 'src/core/check/validate.ts', to: 'src/core/quant/plan.ts' }];
    const v = boundaryViolations(planted);
    expect(v).toHaveLength(1);
    expect(v[0]!.why).toMatch(/src\/core\/check \(layer 5\) imports src\/core\/quant \(layer 6\)/);
  });

  it('fails when rules/ reaches past the leaf vocabulary, or product code imports test helpers', () => {
    expect(boundaryViolations([{ from: 'rules/types.ts', to: 'src/core/model/types.ts' }])).toHaveLength(1);
    expect(
      boundaryViolations([{ from: 'src/core/report/html-report.ts', to: 'src/testing/report-fixtures.ts' }]),
    ).toHaveLength(1);
    expect(
      boundaryViolations([{ from: 'src/core/report/html-report.test.ts', to: 'src/testing/report-fixtures.ts' }]),
    ).toEqual([]);
  });

  it('finds a planted circle', () => {
    const planted = [
      { from: 'src/ui/a.ts', to: 'src/ui/b.ts' },
      { from: 'src/ui/b.ts', to: 'src/ui/a.ts' },
    ];
    expect(importCycles(planted)).toEqual([['src/ui/a.ts', 'src/ui/b.ts', 'src/ui/a.ts']]);
  });
});
