/**
 * Runs one fuzz case through the load path and everything the app does right after a load, and
 * classifies the result. The contract under test:
 *  - readOnnx returns a model or throws a ModelLoadError that names the file, says what went
 *    wrong and what to do, and (for limits) which limit;
 *  - on a model, the summary, the view of every graph, the external-data check and the tensor
 *    previews never throw;
 *  - external data is only ever read from the dropped files, never from a `..` or absolute path.
 */
import { ModelLoadError, type ModelLoadErrorCode } from '../../core/model/errors';
import {
  BlobDataSource,
  checkExternalData,
  externalLocations,
  normalizeExternalLocation,
  type ExternalDataSource,
} from '../../core/model/external-data';
import { buildGraphView, countNodes, summarizeModel } from '../../core/model/graph-view';
import { constantNodeValue, lookupConstant } from '../../core/model/constants';
import { isInternalLoadError, readOnnx } from '../../core/model/read-onnx';
import { previewTensor } from '../../core/model/tensor-values';
import type { ConstTensor, Graph, Model } from '../../core/model/types';
import type { FuzzCase } from './cases';

/** Every outcome a case can have; all but `parsed` and the load-error codes are failures. */
export type Outcome =
  | 'parsed'
  | ModelLoadErrorCode
  /** A non-ModelLoadError exception, or one wrapped by readOnnx as internal. */
  | 'crash'
  /** A ModelLoadError without a file name, problem or hint, with an offset outside the file, or a limit error naming no limit. */
  | 'bad-error'
  /** External data read from a location outside the dropped files. */
  | 'escape'
  /** Ran past the per-case time limit (but ended). */
  | 'slow'
  /** Did not end; the runner killed it. */
  | 'hang';

export const FAILURE_OUTCOMES: readonly Outcome[] = ['crash', 'bad-error', 'escape', 'slow', 'hang'];

export interface CaseResult {
  index: number;
  outcome: Outcome;
  /** Time spent in the load path and the post-load steps, in ms. */
  ms: number;
  /** For failures: what broke, with a stack when there is one. */
  detail?: string;
}

/** Most graphs, tensors and node inputs visited per case, so a 30,000-node case stays fast. */
const MAX_GRAPHS = 300;
const MAX_PREVIEWS = 200;
const MAX_LOOKUPS = 300;

/** An {@link ExternalDataSource} that records every read, to prove none escapes. */
class SpySource implements ExternalDataSource {
  readonly reads: string[] = [];
  constructor(private readonly inner: ExternalDataSource) {}
  has(location: string) {
    return this.inner.has(location);
  }
  size(location: string) {
    return this.inner.size(location);
  }
  read(location: string, offset: number, length: number | null) {
    this.reads.push(location);
    return this.inner.read(location, offset, length);
  }
}

function describe(err: unknown): string {
  if (err instanceof Error)
    return `${err.name}: ${err.message}\n${(err.stack ?? '').split('\n').slice(1, 8).join('\n')}`;
  return String(err);
}

/** Problems with a load error's form; empty when it is a good one. */
export function loadErrorProblems(err: ModelLoadError, c: Pick<FuzzCase, 'fileName' | 'bytes'>): string[] {
  const out: string[] = [];
  if (!err.message.includes(c.fileName)) out.push('message does not name the file');
  if (!err.problem.trim()) out.push('no problem text');
  if (!err.hint.trim()) out.push('no hint');
  if (err.offset !== undefined && !(Number.isInteger(err.offset) && err.offset >= 0 && err.offset <= c.bytes.length))
    out.push(`offset ${err.offset} is outside the file`);
  if (err.code === 'limit' && !/\bmax[A-Z][A-Za-z]+\b/.test(`${err.problem} ${err.hint}`))
    out.push('limit error names no limit');
  return out;
}

function allGraphs(model: Model): Graph[] {
  const out: Graph[] = [];
  const visit = (g: Graph) => {
    if (out.length >= MAX_GRAPHS) return;
    out.push(g);
    for (const n of g.nodes) for (const s of n.subgraphs) visit(s.graph);
  };
  visit(model.graph);
  return out;
}

function constants(graphs: Graph[]): ConstTensor[] {
  const out: ConstTensor[] = [];
  for (const g of graphs) {
    for (const t of g.initializers.values()) if (out.length < MAX_PREVIEWS) out.push(t);
    for (const n of g.nodes) {
      if (out.length >= MAX_PREVIEWS) return out;
      if (n.opType === 'Constant') {
        const v = constantNodeValue(n);
        if (v) out.push(v);
      }
      for (const a of n.attributes) if (a.attr.type === 'tensor' && out.length < MAX_PREVIEWS) out.push(a.attr.value);
    }
  }
  return out;
}

/** The steps after a successful load; throws (with the step named) on the first failure. */
async function afterLoad(model: Model, c: FuzzCase): Promise<{ outcome: Outcome; detail?: string }> {
  let step = 'summarizeModel';
  try {
    const summary = summarizeModel(model);
    structuredClone(summary);
    step = 'buildGraphView';
    const graphs = allGraphs(model);
    for (const g of graphs) {
      const view = buildGraphView(model, g.path);
      if (!view)
        return { outcome: 'crash', detail: `buildGraphView returned nothing for the reader's own path "${g.path}"` };
      // The view crosses to the UI thread by structured clone: it must hold no functions.
      structuredClone(view);
      countNodes(g);
    }
    if (buildGraphView(model, '999999/nothing') !== undefined)
      return { outcome: 'crash', detail: 'buildGraphView invented a graph for a bogus path' };

    step = 'checkExternalData';
    const source = new SpySource(
      new BlobDataSource(c.files.map((f) => ({ name: f.name, blob: new Blob([f.bytes as Uint8Array<ArrayBuffer>]) }))),
    );
    const warnings = checkExternalData(model, source);
    for (const location of externalLocations(model).keys()) {
      const norm = normalizeExternalLocation(location);
      if (!norm.ok && !warnings.some((w) => w.includes('refused') && w.includes(norm.reason))) {
        return {
          outcome: 'escape',
          detail: `checkExternalData did not refuse the location ${JSON.stringify(location)}`,
        };
      }
    }

    step = 'previewTensor';
    for (const t of constants(graphs)) {
      const preview = await previewTensor(t, source);
      if (
        t.data.kind === 'external' &&
        !normalizeExternalLocation(t.data.location).ok &&
        !preview.note?.startsWith('external data refused')
      ) {
        return {
          outcome: 'escape',
          detail: `previewTensor did not refuse the location ${JSON.stringify(t.data.location)}`,
        };
      }
    }
    step = 'lookupConstant';
    let lookups = 0;
    for (const g of graphs) {
      for (const n of g.nodes) {
        for (const input of n.inputs) {
          if (lookups++ >= MAX_LOOKUPS) break;
          const t = lookupConstant(model, g.path, input);
          if (t) await previewTensor(t, source, 4);
        }
      }
    }

    const dropped = new Set(c.files.map((f) => f.name));
    for (const location of source.reads) {
      const norm = normalizeExternalLocation(location);
      const base = location.split('/').pop() ?? '';
      if (!norm.ok || norm.path !== location || !(dropped.has(location) || dropped.has(base))) {
        return {
          outcome: 'escape',
          detail: `external data was read from ${JSON.stringify(location)}, which is not among the dropped files`,
        };
      }
    }
    return { outcome: 'parsed' };
  } catch (err) {
    return { outcome: 'crash', detail: `${step} threw ${describe(err)}` };
  }
}

/** Runs one case and classifies it; never throws. */
export async function exerciseCase(c: FuzzCase, caseLimitMs: number): Promise<CaseResult> {
  const started = performance.now();
  let result: { outcome: Outcome; detail?: string };
  let model: Model | undefined;
  try {
    model = readOnnx(c.bytes, { fileName: c.fileName, limits: c.limits });
  } catch (err) {
    if (isInternalLoadError(err))
      result = { outcome: 'crash', detail: `readOnnx failed internally: ${describe(err.cause)}` };
    else if (!(err instanceof ModelLoadError)) result = { outcome: 'crash', detail: `readOnnx threw ${describe(err)}` };
    else {
      const problems = loadErrorProblems(err, c);
      result = problems.length
        ? { outcome: 'bad-error', detail: `${problems.join('; ')}: ${err.message}` }
        : { outcome: err.code };
    }
  }
  if (model) result = await afterLoad(model, c);
  const ms = performance.now() - started;
  if (result!.outcome === 'parsed' || !FAILURE_OUTCOMES.includes(result!.outcome)) {
    if (ms > caseLimitMs)
      return {
        index: c.index,
        outcome: 'slow',
        ms,
        detail: `took ${ms.toFixed(0)} ms, over the ${caseLimitMs} ms limit (ended as ${result!.outcome})`,
      };
  }
  return { index: c.index, ms, ...result! };
}
