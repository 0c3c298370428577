/**
 * Check reports of every schema, as QuantLens's own `check --format json` wrote them (schema 1
 * fixtures come from the last schema-1 build, cfb24ed^; schema 2 from this one): each reads into
 * the current report, old ones upgraded.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Assert } from '../schema/infer';
import { CHECK_REPORT_SCHEMA, CheckReportError, readCheckReport, type CheckReport } from './check-report';
import { CHECK_REPORT_FORMAT, type CheckReportV2 } from './report-format';
import { checkSample } from '../../testing/report-fixtures';

// Everything the writer produces fits the schema-2 type (the schema's type is wider: it takes rule
// ids and backends this build does not know).
export type WriterFitsSchema = Assert<CheckReport extends CheckReportV2 ? true : false>;

const DIR = 'src/core/report/__fixtures__';
const fixtures = readdirSync(DIR)
  .filter((f) => /^v\d+-.*\.json$/.test(f))
  .sort();
const load = (f: string) => JSON.parse(readFileSync(`${DIR}/${f}`, 'utf8')) as Record<string, any>;

describe('check report versions', () => {
  it('has fixtures of every schema up to the current one', () => {
    expect(CHECK_REPORT_FORMAT.latest).toBe(CHECK_REPORT_SCHEMA);
    for (let v = 1; v <= CHECK_REPORT_SCHEMA; v++) expect(fixtures.some((f) => f.startsWith(`v${v}-`))).toBe(true);
  });

  for (const f of fixtures)
    it(`reads ${f}`, () => {
      const json = load(f);
      const report = readCheckReport(json);
      expect(report.schema).toBe(2);
      expect(report.findings).toHaveLength(json.findings.length);
      expect(report.counts).toEqual(json.counts);
      if (json.schema === 2) {
        expect(report).toEqual(json);
        return;
      }
      // Schema 1 upgrades to the QNN converter's view, keeping every field it had.
      expect(report.flow).toBe('qnn');
      report.findings.forEach((finding, i) => {
        expect(finding).toMatchObject(json.findings[i]);
        expect(finding.outcome).toBe(finding.severity === 'info' ? 'advice' : 'rejected');
        expect(finding.constraintKind).toBe(finding.severity === 'info' ? 'toolchain-default' : 'backend-limit');
      });
    });

  it('reads what the writer writes today', async () => {
    const { report } = await checkSample('broken-sigmoid-scale.qdq.onnx');
    expect(readCheckReport(JSON.parse(JSON.stringify(report)))).toEqual(report);
  });

  it('names the field that is wrong, and refuses a schema from the future', () => {
    const v1 = load('v1-broken-sigmoid-scale.json');
    const bad = { ...v1, findings: [{ ...v1.findings[0], severity: 'fatal' }] };
    expect(() => readCheckReport(bad)).toThrow(CheckReportError);
    expect(() => readCheckReport(bad)).toThrow(/schema 1 report: findings\[0\]\.severity must be one of/);
    expect(() => readCheckReport({ ...v1, schema: 3 })).toThrow(
      /unknown report schema 3; this QuantLens reads schemas 1 to 2/,
    );
    expect(() => readCheckReport([v1])).toThrow(/a check report is a JSON object/);
    const { flow: _flow, ...noFlow } = load('v2-cnn-sigmoid.json');
    expect(() => readCheckReport(noFlow)).toThrow(/is missing the required field "flow"/);
  });
});
