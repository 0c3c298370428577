/** The side panel: details of the selected node, or of the model when nothing is selected. */
import { Fragment, useEffect, useState } from 'react';
import type { ViewNode, ViewPort } from '../../core/model/graph-view';
import { nodeDetails, openGraph } from '../actions/view';
import { ensureLabels } from '../actions/check';
import { formatBytes, formatShape, weightsText } from '../format';
import { useApp, viewNode } from '../state/app-store';
import { TensorValues } from './TensorValues';
import { NodeFindings } from './NodeFindings';
import { useCheck } from '../state/check-store';
import { NodeQuantConfig } from './NodeQuantConfig';
import { CopyButton } from './CopyButton';
import { inputRole } from '../../core/qgraph/qgraph';

const KIND_LABEL: Record<ViewPort['kind'], string> = {
  activation: 'activation',
  initializer: 'weight',
  constant: 'constant',
  'graph-input': 'graph input',
  'outer-scope': 'outer scope',
  'optional-empty': 'omitted',
};

function Section({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <section className="border-t border-slate-200 px-3 py-2">
      <h3 className="mb-1 text-[11px] font-semibold uppercase tracking-wide text-slate-500">{title}</h3>
      {children}
    </section>
  );
}

/**
 * What an input is to its node: constants (initializers, or dequantized constants as QDQ models
 * store weights) read as the role the op gives them (weight, bias), other constants as constants.
 */
function portRole(opType: string | undefined, p: ViewPort, index: number): string {
  const constant = p.kind === 'initializer' || p.kind === 'constant' || p.dequantizedFrom?.constant === true;
  if (!opType || !constant) return KIND_LABEL[p.kind];
  const role = inputRole(opType, index, true);
  return role === 'activation' ? 'constant' : role;
}

function PortList({ ports, label, opType }: { ports: ViewPort[]; label: string; opType?: string }) {
  const encodings = useCheck((s) => s.tensorEncodings);
  useEffect(() => {
    void ensureLabels(ports.map((p) => p.name));
  }, [ports, encodings]);
  if (ports.length === 0) return null;
  return (
    <Section title={label}>
      <ol className="space-y-1.5">
        {ports.map((p, i) => (
          <li key={`${i}:${p.name}`} className="text-xs" data-testid="port">
            <div className="flex items-baseline gap-1.5">
              <span className="text-slate-500">{i}</span>
              <span className="font-mono break-all text-slate-900">{p.name || '(none)'}</span>
              {p.name && <CopyButton text={p.name} what="tensor name" />}
              <span className="ml-auto shrink-0 rounded bg-slate-100 px-1 text-[10px] text-slate-600">
                {portRole(opType, p, i)}
              </span>
            </div>
            {p.name && (
              <div className="pl-4 text-slate-600">
                {p.dtype} {formatShape(p.shape)}
              </div>
            )}
            {p.name && encodings?.[p.name] && (
              <div className="pl-4 font-mono text-indigo-800" data-testid="port-encoding">
                enc: {encodings[p.name]}
              </div>
            )}
            {p.dequantizedFrom && (
              <div className="pl-4 text-slate-600">
                ← DequantizeLinear of <span className="font-mono break-all">{p.dequantizedFrom.tensor}</span> (
                {p.dequantizedFrom.dtype})
              </div>
            )}
            {(p.kind === 'initializer' || p.kind === 'constant') && (
              <div className="pl-4">
                <TensorValues tensor={p.name} />
              </div>
            )}
            {p.dequantizedFrom?.values && (
              <div className="pl-4">
                <TensorValues tensor={p.dequantizedFrom.values} />
              </div>
            )}
          </li>
        ))}
      </ol>
    </Section>
  );
}

function NodeDetails({ node }: { node: ViewNode }) {
  return (
    <div data-testid="node-panel">
      <div className="px-3 py-2">
        <div className="text-lg font-semibold text-slate-900" data-testid="panel-op">
          {node.opType}
        </div>
        <div className="flex items-baseline gap-1">
          <div className="font-mono text-xs break-all text-slate-600" data-testid="panel-name">
            {node.name || '(unnamed)'}
          </div>
          {node.name && <CopyButton text={node.name} what="node name" />}
        </div>
        <div className="text-xs text-slate-500">
          domain: {node.domain || 'ai.onnx'} · id {node.id}
        </div>
        {node.docString && (
          <p className="mt-1 text-xs break-words whitespace-pre-wrap text-slate-600">{node.docString}</p>
        )}
      </div>
      <NodeFindings nodeId={node.id} />
      {node.kind === 'op' && <NodeQuantConfig node={node} />}
      {node.attributes.length > 0 && (
        <Section title="Attributes">
          <table className="w-full text-xs">
            <tbody>
              {node.attributes.map((a) => (
                <tr key={a.name} className="align-top">
                  <td className="pr-2 font-mono text-slate-700">{a.name}</td>
                  <td className="font-mono break-all text-slate-900">{a.text}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Section>
      )}
      <PortList ports={node.inputs} label="Inputs" opType={node.opType} />
      <PortList ports={node.outputs} label="Outputs" />
      {node.subgraphs.length > 0 && (
        <Section title="Sub-graphs">
          <ul className="space-y-1 text-xs">
            {node.subgraphs.map((s) => (
              <li key={s.path} className="flex items-center gap-2">
                <span className="font-mono">{s.attribute}</span>
                <span className="text-slate-500">{s.nodeCount} nodes</span>
                <button
                  type="button"
                  className="ml-auto rounded border border-slate-300 px-2 py-0.5 hover:bg-slate-100"
                  onClick={() => void openGraph(s.path)}
                >
                  Open
                </button>
              </li>
            ))}
          </ul>
        </Section>
      )}
    </div>
  );
}

function ModelDetails() {
  const summary = useApp((s) => s.summary);
  const parseMs = useApp((s) => s.parseMs);
  const coming = useApp((s) => s.drawingComing?.model);
  // The previous model's details are not shown beside the next model's findings.
  if (coming)
    return (
      <div className="px-3 py-2" data-testid="model-panel-coming">
        <div className="text-lg font-semibold break-all">{coming}</div>
        <div className="text-xs text-slate-500">Opening: its details follow its drawing.</div>
      </div>
    );
  if (!summary) return <div className="p-3 text-sm text-slate-500">No model open.</div>;
  return (
    <div data-testid="model-panel">
      <div className="px-3 py-2">
        <div className="text-lg font-semibold break-all">{summary.fileName}</div>
        <div className="text-xs text-slate-500">Click a node to see its details.</div>
      </div>
      <Section title="Model">
        <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-0.5 text-xs">
          <dt className="text-slate-500">size</dt>
          <dd>{formatBytes(summary.byteLength)}</dd>
          <dt className="text-slate-500">IR version</dt>
          <dd>{summary.irVersion}</dd>
          <dt className="text-slate-500">opsets</dt>
          <dd>{summary.opsetImports.map((o) => `${o.domain || 'ai.onnx'} ${o.version}`).join(', ')}</dd>
          <dt className="text-slate-500">producer</dt>
          <dd>{summary.producer || '—'}</dd>
          <dt className="text-slate-500">nodes</dt>
          <dd data-testid="node-count">
            {summary.nodeCount.toLocaleString()}
            {summary.nodeCountWithSubgraphs !== summary.nodeCount
              ? ` (${summary.nodeCountWithSubgraphs.toLocaleString()} with sub-graphs)`
              : ''}
          </dd>
          <dt className="text-slate-500">weights</dt>
          <dd data-testid="model-weights">{weightsText(summary)}</dd>
          {parseMs !== undefined && (
            <>
              <dt className="text-slate-500">parsed in</dt>
              <dd>{parseMs.toFixed(1)} ms</dd>
            </>
          )}
        </dl>
      </Section>
      {summary.warnings.length > 0 && (
        <Section title="Warnings">
          <ul className="list-disc space-y-1 pl-4 text-xs text-amber-800" data-testid="model-warnings">
            {summary.warnings.map((w) => (
              <li key={w}>{w}</li>
            ))}
          </ul>
        </Section>
      )}
      {Object.keys(summary.metadata).length > 0 && (
        <Section title="Metadata">
          <dl className="grid grid-cols-[auto_1fr] gap-x-3 text-xs">
            {Object.entries(summary.metadata).map(([k, v]) => (
              <Fragment key={k}>
                <dt className="font-mono text-slate-500">{k}</dt>
                <dd className="break-all">{v}</dd>
              </Fragment>
            ))}
          </dl>
        </Section>
      )}
    </div>
  );
}

export function NodePanel() {
  const node = useApp((s) => viewNode(s.view, s.selectedId));
  const thin = useApp((s) => !!s.view?.thin);
  const path = useApp((s) => s.view?.path ?? '');
  // A large drawing's nodes come without ports and attributes: the selected one is asked for whole.
  const [whole, setWhole] = useState<ViewNode>();
  useEffect(() => {
    if (!thin || !node) return;
    let live = true;
    void nodeDetails(path, node.id).then((n) => live && setWhole(n));
    return () => {
      live = false;
    };
  }, [thin, node, path]);
  const shown = thin && node && whole?.id === node.id ? whole : node;
  // A node of the previous model stays selected until the next model's drawing lands.
  const coming = useApp((s) => !!s.drawingComing);
  return (
    <aside className="h-full w-80 shrink-0 overflow-y-auto border-l border-slate-200 bg-white" aria-label="Details">
      {shown && !coming ? <NodeDetails node={shown} /> : <ModelDetails />}
    </aside>
  );
}
