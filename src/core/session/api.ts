/**
 * The typed worker API: what the UI may ask of the engine. Long operations take a progress
 * callback (wrapped with Comlink.proxy on the caller's side). Results are plain data, and every
 * answer has one shape: `{ ok: true, ...value }` or `{ ok: false, error }` with an ErrorReport
 * (code, problem, hint, where, message), so the UI and the CLI handle any failure the same way.
 */
import type { ErrorReport, SerializedLoadError } from '../model/errors';
import type { GraphView, ModelSummary, ViewEdge, ViewNode } from '../model/graph-view';
import type { QdqFold } from '../view/fold';
import type { GraphSearchHit } from '../view/node-search';
import type { VisibleGraph } from '../view/scopes';
import type { TensorPreview } from '../model/tensor-values';
import type { LayoutInput, LayoutResult } from '../layout/layout-graph';

import type { ValidationResult } from '../check/validate';
import type { ObserverKind } from '../quant/calibrate';
import type { CalibrationSample } from '../quant/expose';
import type { ErrorTrace } from '../quant/error-trace';
import type { FloatNode } from '../quant/quantize';
import type { OutputSqnr } from '../quant/sqnr';
import type { BackendLimits, QuantOptions } from '../quant/configs';
import type { Override } from '../quant/plan';
import type { CheckReport } from '../report/check-report';
import type { Flow } from '../../../rules/types';
import type { Backend } from '../../../rules/backends';

/** An engine answer: the value's fields with `ok: true`, or `ok: false` with what went wrong. */
export type Answer<T extends object, E extends ErrorReport = ErrorReport> =
  ({ ok: true } & T) | { ok: false; error: E };

/**
 * Codes of the failures the engine itself reports (besides those of the errors it passes on:
 * load, AIMET, constraint-pack, calibration-file, override and input-shape errors).
 */
export type EngineErrorCode =
  | 'no-model'
  | 'no-plan'
  | 'no-runtime'
  | 'runtime-stopped'
  | 'runtime-refused'
  | 'cancelled'
  | 'unknown-backend'
  | 'unknown-graph'
  | 'not-a-constant'
  | 'unknown-node'
  | 'check-failed'
  | 'quantize-failed'
  | 'cannot-express';

/** What the validator runs with; the toolbar edits these. */
export interface CheckSettings {
  backend: Backend;
  soc: string;
  strict: boolean;
  /** Deployment flow the outcomes are predicted for (default `qnn`). */
  flow?: Flow;
  /** What to validate: the model's own encodings (default) or the last quantization plan. */
  target?: 'model' | 'plan';
}

export type CheckOutcome = Answer<{
  result: ValidationResult;
  report: CheckReport;
  packTitle: string;
  /** Each quantized tensor's encoding in words; undefined for large graphs (ask `tensorLabels`). */
  tensorEncodings: Record<string, string> | undefined;
}>;

/** What the quantizer runs with (the quant panel edits these). */
export interface QuantizeSettings extends CheckSettings, QuantOptions {
  overrides: Override[];
  calibration: { samples: number; seed: number; observer: ObserverKind; percentile?: number };
  /** Fixed shapes for inputs with dynamic dimensions; others are guessed (guessedDims: an image's side 224, else 1). */
  shapes?: Record<string, number[]>;
  /**
   * Inputs random samples fill with one value instead of random ones (a sample rate of 16000, a
   * state of zeros): random integers from 0 to 9 break models that read an input as a rate, a
   * length or an id. Calibration files and given samples carry their own values.
   */
  values?: Record<string, number>;
  /** The user's calibration inputs (.npy, .pb or images) instead of random ones. */
  inputFiles?: File[];
  /** Calibration inputs already decoded (the CLI's --inputs folder); they take precedence over the others. */
  samples?: CalibrationSample[];
  /**
   * Write the inputs' dynamic dimensions as the sizes calibration ran at, so that the export (and
   * the check of it) has static shapes, as ONNX Runtime's QNN EP needs.
   */
  fixSizes?: boolean;
  /**
   * Answer with the plan before the SQNR is measured (`sqnrPending`); {@link EngineApi.measureSqnr}
   * then measures it. The page asks for this: a large model's plan and findings come seconds sooner.
   */
  deferSqnr?: boolean;
}

/** A quantization run; a cancelled run fails with error code `cancelled`. */
export type QuantizeOutcome = Answer<{
  result: ValidationResult;
  report: CheckReport;
  sqnr: OutputSqnr[];
  /** The SQNR is left to {@link EngineApi.measureSqnr} (the run asked for `deferSqnr`). */
  sqnrPending: boolean;
  notes: string[];
  /** Assumptions made about inputs (the dynamic dimensions guessed, and to what). */
  assumed: string[];
  /** Inputs the export has at fixed sizes (fixSizes), as `name: [before] -> [after]`. */
  fixedSizes: string[];
  /**
   * What the ranges and the SQNR were measured on: how many samples, and whether they were random
   * ones QuantLens made, the person's calibration files, or samples handed over whole (the CLI's
   * --inputs folder).
   */
  calibration: {
    samples: number;
    source: 'random' | 'files' | 'given';
    observer: string;
    /**
     * Observed tensors whose ranges an earlier run on this model measured on the same samples
     * with the same observer, taken as they were rather than measured again (absent when none).
     */
    reused?: number;
  };
  timings: Record<string, number>;
  quantizedTensors: number;
  /** The plan's nodes kept in float: id (as opened), name and why. */
  floatNodes: FloatNode[];
  qdqDomain: string;
  aimet061: string | null;
  tensorEncodings: Record<string, string> | undefined;
}>;

export type ArtifactKind = 'qdq' | 'aimet-1.0.0' | 'aimet-0.6.1';

/** SoCs of a backend, for the picker. */
export interface SocOption {
  model: string;
  marketing?: string;
  htpArch: number;
  vtcmMB: number;
  lpai?: number;
}

export type ProgressCallback = (phase: string, fraction: number | undefined) => void;

/**
 * A check to run as soon as a model is parsed, before its drawing is built: the verdict and the
 * findings reach the page first (on a 10k-node graph 0.3-0.5 s before the drawing is laid out).
 * A small graph is drawn first instead: its verdict comes through this callback after the load
 * answer, which says so (`verdictComing`).
 */
export type EarlyCheck = (outcome: CheckOutcome) => void | Promise<void>;

export type LoadResult = Answer<
  {
    summary: ModelSummary;
    view: GraphView;
    parseMs: number;
    /** Where the engine spent the open, in order: [phase, milliseconds] (read, parse, drawing, ...). */
    phases?: [string, number][];
    encodingsFile?: string;
    expanded?: string[];
    /**
     * For a graph with Q/DQ nodes: `view` is its QDQ-folded drawing (compute nodes, quantization
     * on the edges) and `fold` says what was folded into what (its `edges` are `view.edges`, not
     * repeated); graphView('') gives the full graph.
     */
    fold?: QdqFold;
    folded?: boolean;
    /** For a thin view grouped by structure: each node's scope (the grouping needs ports it lacks). */
    scopes?: Record<string, string[]>;
    /**
     * A large drawing comes in parts (load-parts.ts): `view.nodes`, `view.edges` and
     * `fold.names` are empty here, and loadPart(token, k) gives part k of `count`; the first
     * `drawing` parts hold the nodes and edges, the rest the folded nodes' names.
     */
    parts?: { token: number; count: number; drawing: number };
    /**
     * For a drawing in parts, grouped: the items and edges its initial grouping shows (`expanded`),
     * to draw before the parts have crossed.
     */
    overview?: LoadOverview;
    /** The model is checked after this answer (a small graph, drawn first): its verdict comes through `onChecked`. */
    verdictComing?: boolean;
  },
  SerializedLoadError
>;

/** What a grouped drawing first shows: visibleGraph's items and edges, without its node index. */
export type LoadOverview = Pick<VisibleGraph, 'items' | 'edges'>;

/** One part of a parted load answer (load-parts.ts); edges come without their ids. */
export interface LoadPart {
  nodes: ViewNode[];
  edges: Omit<ViewEdge, 'id'>[];
  /** Folded nodes as [id, name, op type] (see QdqFold.names). */
  names: [string, string, string][];
}

/** A backend's SoCs for the picker, with its pack's title and the pack fields it did not know. */
export type SocsAnswer = Answer<{
  socs: SocOption[];
  defaultSoc: string;
  unknowns: string[];
  title: string;
  /** Flows that cannot deploy to the backend, each with the reason (ONNX Runtime's QNN EP and LPAI). */
  flowsWithout: Partial<Record<Flow, string>>;
  /** What decides whether a quantizer config runs on the backend's SoCs (configs.ts's configArchNote). */
  limits: BackendLimits;
}>;

/** A graph of the model with its initial group expansion and, when it has Q/DQ nodes, its fold. */
export type GraphViewAnswer = Answer<{
  view: GraphView;
  expanded?: string[];
  fold?: QdqFold;
  /**
   * A large view asked for in parts (graphView's `parts`): `view.nodes` and `view.edges` are empty
   * here and loadPart(token, k) gives part k of `count` (load-parts.ts fetchViewParts puts the view
   * together); no `fold` comes with it.
   */
  parts?: { token: number; count: number };
}>;

/**
 * A file to open: a dropped or picked File, or bytes already in memory with their file name (the
 * command line reads files itself; wrapping 44 MB in a Node File copied it, and reading it back
 * out of the File took another 0.3 s).
 */
export type OpenFile = File | { name: string; contents: Uint8Array };

export interface EngineApi {
  /** Opens a model from dropped or picked files: one .onnx plus any external-data files. */
  openFiles(
    files: OpenFile[],
    onProgress?: ProgressCallback,
    checkFirst?: CheckSettings,
    onChecked?: EarlyCheck,
  ): Promise<LoadResult>;
  /**
   * Opens a model of the engine's own in a spare engine, once, while the page is idle, then
   * (`runtimeAfterMs` later, if no model was opened meanwhile) quantizes it on the engine's
   * runtime (see Engine.warmUp).
   */
  warmUp(settings: CheckSettings, runtimeAfterMs?: number): Promise<void>;
  /** Stops the warm-up's quantization if it is running: a person's model is on its way (a drag, the file dialog). */
  stopWarmUp(): Promise<void>;
  /** Opens a model from an absolute http(s) URL. */
  openUrl(
    url: string,
    onProgress?: ProgressCallback,
    checkFirst?: CheckSettings,
    onChecked?: EarlyCheck,
  ): Promise<LoadResult>;
  /** The SHA-256 of the current model's file (an engine that hashes when asked computes it now). */
  modelHash(): Promise<Answer<{ sha256: string }>>;
  /** Runs the validator on the current model with these settings. */
  check(settings: CheckSettings): Promise<CheckOutcome>;
  /** SoCs and default SoC of a backend (loads its rule pack). */
  socs(backend: CheckSettings['backend']): Promise<SocsAnswer>;
  /** Loads a user constraint pack (JSON text) over the built-in one; undefined text removes it. */
  setConstraintPack(text: string | undefined, fileName: string): Promise<Answer<{ name: string }>>;
  /** Quantizes the current model; the validator checks the plan. One run at a time. */
  quantize(settings: QuantizeSettings, onProgress?: ProgressCallback): Promise<QuantizeOutcome>;
  /**
   * Measures the SQNR the last quantization left pending (its `sqnrPending`); a new run or a new
   * model stops it (error code `cancelled`), as does cancelQuantize.
   */
  measureSqnr(): Promise<Answer<{ sqnr: OutputSqnr[] }>>;
  /**
   * Where the last quantization's error comes from: every quantized activation compared between
   * the float model and the export on the same samples (error-trace.ts), and the nodes where the
   * SQNR falls. Copies every activation out of onnxruntime, so it runs only when asked.
   */
  traceError(onProgress?: ProgressCallback): Promise<Answer<{ trace: ErrorTrace }>>;
  /** Stops a running quantization (calibration stops before its next sample); says whether one was running. */
  cancelQuantize(): Promise<Answer<{ wasRunning: boolean }>>;
  /** An export of the last quantization. */
  exportArtifact(kind: ArtifactKind): Promise<Answer<{ name: string; bytes: Uint8Array }>>;
  /** Part k of the last load answer's drawing (see LoadResult.parts); `token` names that load. */
  loadPart(token: number, k: number): Promise<Answer<{ part: LoadPart }>>;
  /**
   * The view of a graph of the current model ('' is the main graph), with its initial group
   * expansion. With `parts`, a large view comes thin and in parts, without its fold (the page
   * asks so when it has the fold already): one message holding a 100k-node view whole held the
   * UI thread for 2.2-2.6 s.
   */
  graphView(path: string, how?: { parts?: boolean }): Promise<GraphViewAnswer>;
  /** A node of a graph with its ports and attributes (the drawing's view may be thin). */
  nodeDetails(path: string, id: string): Promise<Answer<{ node: ViewNode }>>;
  /** Nodes of the model's graphs other than the one at `shownPath` whose name or op type has `query`. */
  searchOtherGraphs(shownPath: string, query: string): Promise<Answer<{ hits: GraphSearchHit[]; more: boolean }>>;
  /** The node called exactly `name` in a graph other than the one at `shownPath` (a share link's). */
  otherGraphNodeNamed(shownPath: string, name: string): Promise<Answer<{ node: GraphSearchHit | undefined }>>;
  /**
   * Encoding labels of these tensors, in the model's own encodings or the last plan's, as the
   * deployment flow sees them (ONNX Runtime: float past a Flatten, where the converters carry one).
   */
  tensorLabels(
    tensors: string[],
    target: 'model' | 'plan',
    flow?: Flow,
  ): Promise<Answer<{ labels: Record<string, string> }>>;
  /** The first values of an initializer or Constant output visible from a graph. */
  tensorPreview(path: string, tensor: string): Promise<Answer<{ preview: TensorPreview }>>;
}

export interface LayoutApi {
  layout(input: LayoutInput): Promise<LayoutResult>;
}
