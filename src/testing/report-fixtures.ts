/**
 * For the report tests only: check reports built the way the app builds them, from the real
 * samples, and a synthetic one whose every string is hostile.
 */
import { readFileSync } from 'node:fs';
import { loadRulePack } from '../../rules/registry';
import type { Flow } from '../../rules/types';
import type { Finding } from '../core/check/finding';
import { qgraphFromQdq } from '../core/qgraph/from-qdq';
import { validate, type ValidationResult } from '../core/check/validate';
import { buildGraphView, type GraphView, type ViewNode } from '../core/model/graph-view';
import { readOnnx } from '../core/model/read-onnx';
import { buildCheckReport, type CheckReport } from '../core/report/check-report';
import { sha256Hex } from '../core/report/sha256';

export interface SampleCheck {
  report: CheckReport;
  validation: ValidationResult;
  view: GraphView;
}

/**
 * Checks a sample as the app does: read, view, validate, report. `file` names one in
 * public/samples, or is a path (with a slash) to any model.
 */
export async function checkSample(
  file: string,
  soc = 'SM8650',
  strict = true,
  backend: 'htp' | 'lpai' = 'htp',
  flow: Flow = 'qnn',
): Promise<SampleCheck> {
  const bytes = new Uint8Array(readFileSync(file.includes('/') ? file : `public/samples/${file}`));
  const model = readOnnx(bytes, { fileName: file.split('/').pop()! });
  const view = buildGraphView(model, '')!;
  const validation = validate(qgraphFromQdq(model), await loadRulePack(backend), { soc, strict, flow });
  const report = buildCheckReport(
    { name: file.split('/').pop()!, sha256: await sha256Hex(bytes), nodes: model.graph.nodes.length },
    validation,
  );
  return { report, validation, view };
}

export const XSS_IMG = '<img src=x onerror=alert(1)>';
export const XSS_STYLE = '</style><script>alert(1)</script>';

export function opNode(id: string, opType: string, name: string): ViewNode {
  return { id, kind: 'op', opType, name, domain: '', inputs: [], outputs: [], attributes: [], subgraphs: [] };
}

/** A finding on `node`, every text field overridable. */
export function finding(node: string, nodeId: string, extra: Partial<Finding> = {}): Finding {
  return {
    rule: 'fixed-qparams',
    severity: 'error',
    node,
    nodeId,
    op: 'Sigmoid',
    qnnOp: 'Sigmoid',
    port: 'output 0',
    tensor: `${node}_out`,
    message: `bad scale on ${node}`,
    expected: 'scale 1/256',
    actual: 'scale 0.0039',
    fix: 'use a fixed observer',
    source: 'htp_rules.py [from-code]',
    confidence: 'from-code',
    outcome: 'rejected',
    constraintKind: 'backend-limit',
    ...extra,
  };
}

/** A report (and matching view) in which the model, the settings and every finding field carry markup. */
export function hostileReport(): { report: CheckReport; findings: Finding[]; view: GraphView } {
  const findings = [
    finding(XSS_IMG, '1', { message: `message ${XSS_STYLE}`, sourceNote: `note ${XSS_IMG}` }),
    finding(XSS_STYLE, '2', {
      severity: 'warning',
      port: XSS_IMG,
      tensor: XSS_STYLE,
      expected: XSS_IMG,
      actual: XSS_STYLE,
      fix: `fix ${XSS_IMG}`,
      source: `${XSS_STYLE} [inferred]`,
      confidence: 'inferred',
    }),
  ];
  const view: GraphView = {
    path: '',
    name: XSS_STYLE,
    trail: [],
    nodes: [opNode('0', XSS_STYLE, 'producer'), opNode('1', 'Sigmoid', XSS_IMG), opNode('2', 'Relu', XSS_STYLE)],
    edges: [
      { id: 'e0', source: '0', target: '1', tensor: 't0', dtype: XSS_IMG },
      { id: 'e1', source: '1', target: '2', tensor: 't1', dtype: 'uint8' },
    ],
  };
  const report: CheckReport = {
    schema: 2,
    flow: 'qnn',
    model: { name: XSS_IMG, sha256: XSS_STYLE, nodes: 3 },
    backend: XSS_IMG,
    soc: XSS_STYLE,
    arch: 'V75',
    strict: true,
    verdict: 'fail',
    counts: { error: 1, warning: 1, info: 0 },
    encodings: XSS_STYLE,
    findings: findings.map(({ nodeId: _id, ...rest }) => rest),
  };
  return { report, findings, view };
}
