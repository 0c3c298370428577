/**
 * The standalone HTML report for a design review: one file that opens anywhere, offline, with
 * no JavaScript and no external resource (its own CSP meta tag forbids both), light and
 * printable. It holds the verdict, settings, model identity, every finding, and a picture of
 * each flagged node's neighbourhood. Every string from the model or a link is escaped by the
 * {@link markup} tag.
 */
import { outcomeText, type Severity } from '../check/finding';
import type { GraphView } from '../model/graph-view';
import type { CheckReport, CheckReportFinding } from './check-report';
import { markup, trusted, type Markup } from './escape';
import { DEFAULT_NEIGHBOURHOOD_DEPTH, neighbourhoodSvg } from './neighbourhood-svg';
import {
  SEVERITIES,
  SEVERITY_ICON,
  VERDICT_ICON,
  VERDICT_LABEL,
  countsText,
  calibrationText,
  sqnrCaveat,
  errorSourceParts,
  errorTraceMethodText,
  errorTraceText,
  dbText,
  defaultTitle,
  distinctSources,
  encodingsText,
  findingsByRule,
  nodeCountText,
  RULE_SUMMARY_INTRO,
  ruleSummaryCount,
  showsRuleSummary,
  SUMMARY_NAMES,
  flowText,
  generatedAtText,
  productText,
  severityRank,
  strictText,
  verdictSentence,
  worse,
  type ReportExtras,
} from './report-text';

export interface HtmlReportOptions extends ReportExtras {
  /**
   * Node id of each finding, by index: `validation.findings.map((f) => f.nodeId)`. The
   * {@link CheckReport} drops ids (they are not stable across tools), but pictures need them.
   * Without an entry, a finding that itself carries a `nodeId` (a `Finding` from validate.ts)
   * uses that, and otherwise it is matched to the view node of the same name when exactly one
   * node has that name.
   */
  nodeIds?: readonly (string | undefined)[];
  /** Most neighbourhood pictures; default {@link MAX_PICTURES}. */
  maxPictures?: number;
  /** Hops in each direction per picture; default 2. */
  depth?: number;
  /** Most nodes per picture; default 40. */
  maxNodes?: number;
}

/**
 * Default cap on pictures: each is up to about 40 nodes of SVG, so a few hundred keep the file
 * to a few megabytes and its layout to a few seconds. Nodes past the cap are still listed.
 */
export const MAX_PICTURES = 200;

/** A node with findings: one section of the report. */
export interface NodeFindings {
  /** View node id, when known. */
  nodeId?: string;
  node: string;
  op: string;
  qnnOp: string | null;
  /** Worst severity among its findings. */
  worst: Severity;
  /** Indices into `report.findings`, in report order. */
  findings: number[];
}

/** Resolves each finding's view node id, as {@link HtmlReportOptions.nodeIds} describes. */
export function resolveNodeIds(
  report: CheckReport,
  view: GraphView | undefined,
  nodeIds?: readonly (string | undefined)[],
): (string | undefined)[] {
  let byName: Map<string, string | null> | undefined;
  if (view) {
    byName = new Map();
    for (const n of view.nodes) {
      // null marks a name held by several nodes: guessing would draw the wrong one.
      if (n.kind === 'op' && n.name) byName.set(n.name, byName.has(n.name) ? null : n.id);
    }
  }
  return report.findings.map((f, i) => {
    const own = (f as CheckReportFinding & { nodeId?: unknown }).nodeId;
    const given = nodeIds?.[i] ?? (typeof own === 'string' ? own : undefined);
    if (given) return given;
    if (f.node === '(model)') return undefined;
    return byName?.get(f.node) ?? undefined;
  });
}

/**
 * Groups findings by node (by id when known, else by name), worst severity first, then in
 * order of first finding. Model-wide findings (node `(model)`) belong to no node.
 */
export function nodesWithFindings(report: CheckReport, ids: readonly (string | undefined)[]): NodeFindings[] {
  const groups = new Map<string, NodeFindings>();
  report.findings.forEach((f, i) => {
    const nodeId = ids[i];
    if (!nodeId && f.node === '(model)') return;
    const key = nodeId ? `id\u0000${nodeId}` : `name\u0000${f.node}`;
    const g = groups.get(key);
    if (g) {
      g.findings.push(i);
      g.worst = worse(g.worst, f.severity);
    } else {
      groups.set(key, { nodeId, node: f.node, op: f.op, qnnOp: f.qnnOp, worst: f.severity, findings: [i] });
    }
  });
  return [...groups.values()].sort(
    (a, b) => severityRank(a.worst) - severityRank(b.worst) || a.findings[0]! - b.findings[0]!,
  );
}

const STYLE = trusted(`
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font: 13px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1a1a1a; background: #fff; max-width: 1040px; margin: 24px auto; padding: 0 16px; }
h1 { font-size: 20px; margin: 0 0 4px; overflow-wrap: anywhere; }
h2 { font-size: 16px; margin: 24px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 14px; margin: 0 0 6px; overflow-wrap: anywhere; }
p { margin: 6px 0; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; overflow-wrap: anywhere; }
a { color: #0d47a1; }
.muted { color: #616161; }
.sub { color: #616161; font-size: 12px; font-weight: normal; }
.banner { border: 2px solid; border-radius: 6px; padding: 10px 14px; margin: 16px 0; }
.banner strong { font-size: 18px; }
.banner.fail { border-color: #c62828; background: #fdecea; color: #8e1b1b; }
.banner.pass-with-warnings { border-color: #b26a00; background: #fff4e0; color: #6d4100; }
.banner.pass { border-color: #2e7d32; background: #e8f5e9; color: #1b5e20; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; }
th, td { border: 1px solid #d0d0d0; padding: 4px 6px; text-align: left; vertical-align: top; overflow-wrap: break-word; }
th { background: #f3f3f3; font-weight: 600; white-space: nowrap; }
.nowrap, .nowrap code { white-space: nowrap; overflow-wrap: normal; }
table.kv { width: auto; min-width: 50%; }
table.kv th { width: 170px; }
.sev { font-weight: 600; white-space: nowrap; }
.sev-error { color: #b71c1c; }
.sev-warning { color: #8a5200; }
.sev-info { color: #0d47a1; }
.note { color: #616161; font-size: 12px; margin-top: 2px; }
td.source { font-size: 12px; overflow-wrap: anywhere; }
table.findings, table.summary { table-layout: fixed; }
table.findings td, table.summary td { overflow-wrap: anywhere; }
table.findings th, table.summary th { white-space: normal; }
th.c-n { width: 4%; } th.c-sev { width: 10%; } th.c-where { width: 22%; } th.c-msg { width: 26%; } th.c-ea { width: 18%; } th.c-fix { width: 20%; }
.label { color: #616161; font-size: 11px; text-transform: uppercase; letter-spacing: 0.02em; }
section.node { border: 1px solid #e0e0e0; border-radius: 6px; padding: 10px 12px; margin: 12px 0; break-inside: avoid; page-break-inside: avoid; }
section.node.sev-error-box { border-left: 4px solid #c62828; }
section.node.sev-warning-box { border-left: 4px solid #b26a00; }
section.node.sev-info-box { border-left: 4px solid #1565c0; }
section.node ul { margin: 4px 0 8px; padding-left: 18px; }
figure { margin: 8px 0 0; }
figure svg { max-width: 100%; height: auto; }
footer { margin-top: 32px; border-top: 1px solid #ddd; padding-top: 8px; color: #616161; font-size: 12px; }
@page { margin: 14mm; }
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 10pt; }
  a { color: inherit; text-decoration: none; }
  .banner, .sev, section.node { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; page-break-inside: avoid; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
}
`);

/** The document's own CSP: even a file opened from disk may run no script and load nothing. */
const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

const sev = (s: Severity, withWord = true): Markup =>
  markup`<span class="sev sev-${s}">${SEVERITY_ICON[s]}${withWord ? ` ${s}` : ''}</span>`;

const opText = (op: string, qnnOp: string | null) =>
  op ? (qnnOp ? (qnnOp === op ? `${op} (QNN ${qnnOp})` : `${op} → QNN ${qnnOp}`) : `${op} (no QNN op)`) : '';

function kvTable(rows: [string, Markup | string][]): Markup {
  return markup`<table class="kv"><tbody>${rows.map(([k, v]) => markup`<tr><th scope="row">${k}</th><td>${v}</td></tr>`)}</tbody></table>`;
}

function findingsTable(report: CheckReport, anchorOf: (i: number) => string | undefined): Markup {
  if (report.findings.length === 0) return markup`<p>No findings.</p>`;
  const rows = report.findings.map((f, i) => {
    const anchor = anchorOf(i);
    const node = anchor ? markup`<a href="#${anchor}"><code>${f.node}</code></a>` : markup`<code>${f.node}</code>`;
    return markup`<tr id="f-${i + 1}"><td>${i + 1}</td><td>${sev(f.severity)}<div class="note">${outcomeText(f.outcome, report.flow)}</div></td><td><code>${f.rule}</code><div>${node}</div><div class="note">${opText(f.op, f.qnnOp)}${f.port ? ` · ${f.port}` : ''}</div>${f.tensor ? markup`<div class="note"><code>${f.tensor}</code></div>` : null}</td><td>${f.message}${f.sourceNote ? markup`<div class="note">Note: ${f.sourceNote}</div>` : null}<div class="note">Source: ${f.source}</div></td><td><div><span class="label">expected</span> ${f.expected}</div><div><span class="label">actual</span> ${f.actual}</div></td><td>${f.fix}</td></tr>`;
  });
  // Six columns in a fixed layout: the table fits an A4 page (and a narrow window) and wraps
  // long tensor names instead of pushing the Fix column off the edge.
  return markup`<table class="findings"><thead><tr><th class="c-n">#</th><th class="c-sev">Severity</th><th class="c-where">Rule, node, port</th><th class="c-msg">Message</th><th class="c-ea">Expected / actual</th><th class="c-fix">Fix</th></tr></thead><tbody>${rows}</tbody></table>`;
}

/** One row per change to make (findingsByRule): what it is, how many nodes, the first few named. */
function ruleSummaryTable(report: CheckReport): Markup | null {
  const groups = findingsByRule(report.findings);
  if (!showsRuleSummary(report.findings.length, groups.length)) return null;
  const rows = groups.map((g) => {
    const named = g.firstFindings
      .slice(0, SUMMARY_NAMES)
      .map((i) => markup`<a href="#f-${i + 1}"><code>${report.findings[i]!.node}</code></a>`);
    const rest = g.nodes.length - named.length;
    const messages = g.messages.slice(0, SUMMARY_NAMES).map((m) => markup`<div>${m}</div>`);
    const more = g.messages.length - messages.length;
    return markup`<tr><td>${sev(g.severity)}<div class="note">${outcomeText(g.outcome, report.flow)}</div></td><td><code>${g.rule}</code></td><td>${nodeCountText(g.nodes.length)}<div class="note">${named.map((n, k) => markup`${k ? ', ' : ''}${n}`)}${rest > 0 ? ` and ${rest} more` : ''}</div></td><td>${messages}${more > 0 ? markup`<div class="note">and ${more} more</div>` : null}</td><td>${g.fix}</td></tr>`;
  });
  return markup`<h2>What to fix (${ruleSummaryCount(groups)})</h2><p class="muted">${RULE_SUMMARY_INTRO}</p><table class="summary"><thead><tr><th class="c-sev">Severity</th><th class="c-where">Rule</th><th class="c-where">Nodes</th><th class="c-msg">What</th><th class="c-fix">Fix</th></tr></thead><tbody>${rows}</tbody></table>`;
}

/**
 * Renders the report as one standalone HTML5 document (UTF-8 string).
 *
 * `view` is the graph view of the checked graph (the main graph); with it, every node with
 * findings gets a neighbourhood picture, up to `maxPictures`; without it, the report lists
 * the same nodes without pictures. Node ids come from `options.nodeIds` (see
 * {@link HtmlReportOptions.nodeIds}).
 *
 * @example
 * const report = buildCheckReport(identity, validation);
 * const html = htmlReport(report, view, { nodeIds: validation.findings.map((f) => f.nodeId), version: '0.1.0' });
 */
export function htmlReport(report: CheckReport, view: GraphView | undefined, options: HtmlReportOptions = {}): string {
  const title = options.title ?? defaultTitle(report);
  const when = generatedAtText(options.generatedAt);
  const product = productText(options.version);
  const ids = resolveNodeIds(report, view, options.nodeIds);
  const groups = nodesWithFindings(report, ids);
  const maxPictures = Math.max(0, options.maxPictures ?? MAX_PICTURES);
  const depth = options.depth ?? DEFAULT_NEIGHBOURHOOD_DEPTH;

  const anchorByFinding = new Map<number, string>();
  groups.forEach((g, k) => {
    for (const i of g.findings) anchorByFinding.set(i, `node-${k + 1}`);
  });

  const inView = new Set(view?.nodes.map((n) => n.id));
  const marks = new Map<string, Severity>();
  for (const g of groups) if (g.nodeId) marks.set(g.nodeId, g.worst);

  let pictures = 0;
  const sections = groups.map((g, k) => {
    let figure: Markup | null = null;
    if (view && g.nodeId && inView.has(g.nodeId)) {
      if (pictures < maxPictures) {
        pictures++;
        // neighbourhoodSvg escapes every model string itself (it is built with `markup`).
        figure = markup`<figure>${trusted(neighbourhoodSvg(view, g.nodeId, { depth, marks, maxNodes: options.maxNodes }))}</figure>`;
      }
    } else if (view) {
      figure = markup`<p class="note">This node is not in the graph view, so there is no picture.</p>`;
    }
    const items = g.findings.map((i) => {
      const f = report.findings[i]!;
      return markup`<li>${sev(f.severity)} <a href="#f-${i + 1}">#${i + 1}</a> <code>${f.rule}</code>${f.port ? markup` on ${f.port}` : null}${f.tensor ? markup` (<code>${f.tensor}</code>)` : null}: ${f.message}<div class="note">Expected: ${f.expected} · Actual: ${f.actual}</div></li>`;
    });
    return markup`<section class="node sev-${g.worst}-box" id="node-${k + 1}"><h3>${sev(g.worst, false)} <code>${g.node}</code> <span class="sub">${opText(g.op, g.qnnOp)}</span></h3><ul>${items}</ul>${figure}</section>`;
  });

  const withPictureSlot = groups.filter((g) => g.nodeId && inView.has(g.nodeId)).length;
  const pictureNote = !view
    ? markup`<p class="muted">No graph view was given, so this report has no pictures.</p>`
    : withPictureSlot > pictures
      ? markup`<p class="muted">Pictures are included for the first ${pictures} of ${withPictureSlot} nodes (worst severity first); the rest are listed without one.</p>`
      : null;
  const legend = markup`<p class="muted">Each picture shows the node and its producers and consumers up to ${depth} hops away. Nodes with findings are marked by colour and icon: ${sev('error')}, ${sev('warning')}, ${sev('info')}; a dashed ring marks the node of the section.</p>`;

  const settings = kvTable([
    ['Backend', report.backend],
    ['SoC', report.soc],
    [report.backend === 'lpai' ? 'LPAI version' : 'HTP arch', report.arch],
    ['Deployment flow', flowText(report.flow)],
    ['Mode', strictText(report.strict)],
    ['Encodings', encodingsText(report.encodings, report.findings)],
    ...(options.config ? [['Quantization config', options.config] as [string, string]] : []),
  ]);
  const model = kvTable([
    ['Name', markup`<code>${report.model.name}</code>`],
    ['SHA-256', markup`<code>${report.model.sha256}</code>`],
    ['Nodes', String(report.model.nodes)],
  ]);
  const counts = markup`<table class="kv"><thead><tr>${SEVERITIES.map((s) => markup`<th>${sev(s)}</th>`)}</tr></thead><tbody><tr>${SEVERITIES.map((s) => markup`<td>${report.counts[s]}</td>`)}</tr></tbody></table>`;
  const sqnr = options.sqnr?.length
    ? markup`<h2>SQNR</h2><table class="kv"><thead><tr><th>Output</th><th>SQNR (dB)</th></tr></thead><tbody>${options.sqnr.map((s) => markup`<tr><td><code>${s.output}</code></td><td>${dbText(s.db)}</td></tr>`)}</tbody></table>${options.calibration ? markup`<p data-testid="report-calibration">Measured on ${calibrationText(options.calibration)}.</p>` : ''}${options.sqnr.map(
        (s) => {
          const caveat = sqnrCaveat(s);
          return caveat ? markup`<p class="muted"><code>${s.output}</code>: ${caveat}</p>` : '';
        },
      )}`
    : null;
  const trace = options.errorTrace
    ? markup`<h2>Where the error is lost</h2><p data-testid="report-error-trace">${errorTraceText(options.errorTrace)}</p><p data-testid="report-error-trace-method">${errorTraceMethodText(options.errorTrace)}.</p><ul>${options.errorTrace.sources.map(
        (src) => {
          const { head, why } = errorSourceParts(src);
          return markup`<li><strong>${head}.</strong> ${why}</li>`;
        },
      )}</ul>`
    : null;
  const notes = options.notes?.length
    ? markup`<h2>Quantizer notes</h2><ul data-testid="report-quantizer-notes">${options.notes.map((n) => markup`<li>${n}</li>`)}</ul>`
    : null;
  const sources = distinctSources(report.findings);
  const sourcesTable = sources.length
    ? markup`<h2>Sources</h2><table><thead><tr><th>Source</th><th>Confidence</th><th>Findings</th><th>Notes</th></tr></thead><tbody>${sources.map((s) => markup`<tr><td>${s.ref}</td><td>${s.confidence}</td><td>${s.count}</td><td>${s.notes.map((n) => markup`<div>${n}</div>`)}</td></tr>`)}</tbody></table>`
    : null;
  const nodeSection = groups.length
    ? markup`<h2>Nodes with findings (${groups.length})</h2>${view ? legend : null}${pictureNote}${sections}`
    : null;

  const doc = markup`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="${product}">
<title>${title}</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>${title}</h1><p class="muted">Generated by ${product} at <time datetime="${when}">${when}</time>.</p></header>
<div class="banner ${report.verdict}" role="status"><strong>${VERDICT_ICON[report.verdict]} ${VERDICT_LABEL[report.verdict]}</strong> · ${countsText(report.counts)}<div>${verdictSentence(report)}</div></div>
<h2>Settings</h2>
${settings}
<h2>Model</h2>
${model}
<p class="muted">The model file itself is not embedded in this report: it holds names, settings and findings only. Identify the model by its SHA-256.</p>
<h2>Counts</h2>
${counts}
${ruleSummaryTable(report)}
${sqnr}
${trace}
${notes}
<h2>Findings (${report.findings.length})</h2>
${findingsTable(report, (i) => anchorByFinding.get(i))}
${nodeSection}
${sourcesTable}
<footer>${product} · report schema ${report.schema} · generated ${when} · the model is not embedded; SHA-256 <code>${report.model.sha256}</code></footer>
</body>
</html>
`;
  return doc.text;
}
