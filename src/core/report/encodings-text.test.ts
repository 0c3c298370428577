/**
 * How reports and the verdict line name a model's encodings, on ONNX's own test models: a float
 * model, models quantized with integer ops (ConvInteger and MatMulInteger, QOperator's QLinearConv
 * and QLinearMatMul) and a QDQ sample. The check reads the integer-op ones as having no Q/DQ, like
 * a float model, but they are not float models and the words must not say so.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { htmlReport } from './html-report';
import { markdownReport } from './markdown-report';
import { encodingsKind, encodingsShortText, encodingsText } from './report-text';
import { checkSample } from '../../testing/report-fixtures';

const NODE = '/usr/share/libonnx-testdata/data/node';
const model = (name: string) => `${NODE}/${name}/model.onnx`;

describe('the encodings of a checked model, in words', () => {
  it.runIf(existsSync(NODE)).each([
    ['test_convinteger_with_padding', 'ConvInteger'],
    ['test_matmulinteger', 'MatMulInteger'],
    ['test_qlinearconv', 'QLinearConv'],
    ['test_qlinearmatmul_2D', 'QLinearMatMul'],
  ])('%s (%s): integer ops, not a float model', async (name, op) => {
    for (const strict of [true, false]) {
      const { report } = await checkSample(model(name), 'SM8650', strict);
      // The JSON keeps the check's own value; the finding tells the rest.
      expect(report.encodings).toBe('float');
      expect(report.findings.map((f) => f.rule)).toContain('not-qdq');
      expect(report.findings.find((f) => f.rule === 'not-qdq')!.message).toContain(op);
      expect(encodingsKind(report.encodings, report.findings)).toBe('integer-ops');
      expect(encodingsShortText(report.encodings, report.findings)).toBe('none (integer ops, not QDQ)');
      const md = markdownReport(report, { version: '0.1.0' });
      expect(md).toContain(
        '| Encodings | none as QDQ: the model is quantized with integer ops (dynamic or QOperator) |',
      );
      expect(md).not.toContain('a float model');
      const html = htmlReport(report, undefined, { version: '0.1.0' });
      expect(html).toContain('none as QDQ: the model is quantized with integer ops (dynamic or QOperator)');
      expect(html).not.toContain('a float model');
    }
  });

  it.runIf(existsSync(NODE))('a float model (test_relu) is one', async () => {
    const { report } = await checkSample(model('test_relu'));
    expect(report.findings.map((f) => f.rule)).not.toContain('not-qdq');
    expect(encodingsKind(report.encodings, report.findings)).toBe('float');
    expect(encodingsShortText(report.encodings, report.findings)).toBe('none (float model)');
    expect(markdownReport(report, { version: '0.1.0' })).toContain('| Encodings | float (none: a float model) |');
  });

  it('a QDQ model keeps its own words', async () => {
    const { report } = await checkSample('cnn-sigmoid.qdq.onnx');
    expect(encodingsKind(report.encodings, report.findings)).toBe('qdq');
    expect(encodingsShortText(report.encodings, report.findings)).toBe('QDQ');
    expect(encodingsText(report.encodings, report.findings)).toBe('qdq (QDQ nodes in the model)');
  });

  it('a compiled model is named by its finding, ahead of any other', () => {
    const findings = [{ rule: 'not-qdq' }, { rule: 'precompiled-context' }];
    expect(encodingsKind('float', findings)).toBe('compiled');
    expect(encodingsShortText('float', findings)).toBe('inside the compiled contexts');
    expect(encodingsText('float', findings)).toBe('inside the compiled contexts (EPContext)');
    // Values the report does not know are shown as they are.
    expect(encodingsText('later', [])).toBe('later');
    expect(encodingsShortText('later', [])).toBe('LATER');
  });
});
