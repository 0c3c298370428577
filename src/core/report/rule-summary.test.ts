/**
 * The findings grouped by rule and fix ("what to fix"), on checks of PyTorch QDQ exports: one
 * change for the 54 asymmetric per-channel Conv weights of MobileNetV3, four for a Swin block on a
 * V68 SoC; the HTML and Markdown reports and the CLI open with it, and only when it groups anything.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { escapeXml } from './escape';
import { htmlReport } from './html-report';
import { markdownReport } from './markdown-report';
import { findingsByRule, showsRuleSummary } from './report-text';
import { checkSample, finding, hostileReport, XSS_IMG, XSS_STYLE } from '../../testing/report-fixtures';

const MOBILENET = '.cache/corpus/torch/mobilenet_v3_small-pc-affine.onnx';
const SWIN = '.cache/corpus/torch/swin-mini.onnx';

describe('findings by rule and fix', () => {
  it.skipIf(!existsSync(MOBILENET))(
    'one change for every asymmetric per-channel weight of a PyTorch export',
    async () => {
      const { report } = await checkSample(MOBILENET);
      const groups = findingsByRule(report.findings);
      // And, with nothing to change, its 19 opset-13 Hardswishes, which the QNN converter fuses.
      expect(report.findings.length).toBe(54 + 19);
      expect(groups.map((x) => [x.rule, x.severity, x.nodes.length])).toEqual([
        ['symmetric', 'error', 54],
        ['float-island', 'info', 19],
      ]);
      const [g] = groups;
      expect(g!.rule).toBe('symmetric');
      expect(g!.nodes).toHaveLength(54);
      // The op is in the message: Conv2d, DepthWiseConv2d and FullyConnected weights, one line each.
      expect(g!.messages).toEqual(
        expect.arrayContaining([
          'Conv2d per-channel weights must be symmetric',
          'DepthWiseConv2d per-channel weights must be symmetric',
          'FullyConnected per-channel weights must be symmetric',
        ]),
      );
      expect(showsRuleSummary(report.findings.length, groups.length)).toBe(true);

      const html = htmlReport(report, undefined, { generatedAt: '2025-01-02T03:04:05.000Z' });
      const heading = 'What to fix (1; 1 with nothing to change under this flow)';
      const section = html.slice(html.indexOf(`<h2>${heading}</h2>`), html.indexOf('<h2>Findings'));
      expect(section).toContain('54 nodes');
      expect(section).toContain(`<a href="#f-1"><code>${escapeXml(report.findings[0]!.node)}</code></a>`);
      expect(section).toContain(' and 51 more');
      expect(section).toContain(escapeXml(g!.fix));
      expect(section).toContain('rejected (conversion fails)');

      const md = markdownReport(report);
      const rows = md.slice(md.indexOf(`## ${heading}`), md.indexOf('## Findings')).split('\n');
      expect(rows.filter((l) => l.startsWith('| ✖')).length).toBe(1);
      expect(md).toContain('54 nodes: `/features.0.0/Conv`');
    },
  );

  it.skipIf(!existsSync(SWIN))(
    "counts the changes apart from the rows that need none under the flow: Swin's rank-6 windows under ONNX Runtime, which rewrites them",
    async () => {
      const { report } = await checkSample(SWIN, 'SM8650', true, 'htp', 'ort');
      const heading = 'What to fix (4; 2 with nothing to change under this flow)';
      expect(htmlReport(report, undefined, { generatedAt: '2025-01-02T03:04:05.000Z' })).toContain(
        `<h2>${heading}</h2>`,
      );
      expect(markdownReport(report)).toContain(`## ${heading}`);
    },
  );

  it.skipIf(!existsSync(SWIN))('worst first, then the most nodes; every finding in exactly one group', async () => {
    const { report } = await checkSample(SWIN, 'SA8295');
    const groups = findingsByRule(report.findings);
    expect(groups.length).toBeGreaterThanOrEqual(3);
    const ranks = groups.map((g) => ['error', 'warning', 'info'].indexOf(g.severity));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    for (let k = 1; k < groups.length; k++)
      if (groups[k]!.severity === groups[k - 1]!.severity)
        expect(groups[k]!.nodes.length).toBeLessThanOrEqual(groups[k - 1]!.nodes.length);
    const seen = groups.flatMap((g) => g.findings).sort((a, b) => a - b);
    expect(seen).toEqual(report.findings.map((_, i) => i));
    // The same rule under two severities (an error where the SoC cannot run float, advice elsewhere)
    // is two changes.
    const islands = groups.filter((g) => g.rule === 'float-island').map((g) => g.severity);
    expect(new Set(islands).size).toBe(islands.length);
  });

  it('is left out when every rule is broken at one node only (it would repeat the findings)', async () => {
    const { report } = await checkSample('broken-sigmoid-scale.qdq.onnx');
    expect(findingsByRule(report.findings)).toHaveLength(report.findings.length);
    expect(htmlReport(report, undefined)).not.toContain('What to fix');
    expect(markdownReport(report)).not.toContain('What to fix');
  });

  it('keeps hostile names and fixes as text', () => {
    const { report } = hostileReport();
    report.findings.push({ ...report.findings[0]!, node: XSS_STYLE });
    const html = htmlReport(report, undefined);
    const section = html.slice(html.indexOf('<h2>What to fix'), html.indexOf('<h2>Findings'));
    expect(section).toContain('2 nodes');
    expect(section).not.toContain(XSS_IMG);
    expect(section).not.toContain(XSS_STYLE);
    expect(section).toContain(escapeXml(XSS_STYLE));
    const md = markdownReport(report);
    // No HTML outside code spans (a code span shows its text as written).
    const prose = md.slice(md.indexOf('## What to fix'), md.indexOf('## Findings')).replace(/`[^`]*`/g, '');
    expect(prose).not.toMatch(/(?<!\\)<(?!br>)/);
    expect(prose).toContain('fix \\<img src=x onerror=alert(1)\\>');
  });

  it('counts a node once however many of its ports break the rule', () => {
    const f = (node: string, port: string) => {
      const { nodeId: _id, ...rest } = finding(node, node, { port });
      return rest;
    };
    const [g] = findingsByRule([f('a', 'input 0'), f('a', 'input 1'), f('b', 'input 0')]);
    expect(g!.nodes).toEqual(['a', 'b']);
    expect(g!.firstFindings).toEqual([0, 2]);
    expect(g!.findings).toEqual([0, 1, 2]);
  });
});
