/**
 * The typed worker API: what the UI may ask of the engine. Long operations take a progress
 * callback (wrapped with Comlink.proxy on the caller's side). Results are plain data.
 */
import type { SerializedLoadError } from '../core/model/errors';
import type { GraphView, ModelSummary } from '../core/model/graph-view';
import type { TensorPreview } from '../core/model/tensor-values';
import type { LayoutInput, LayoutResult } from '../core/layout/layout-graph';

import type { ValidationResult } from '../core/check/validate';
import type { CheckReport } from '../core/report/check-report';

/** What the validator runs with; the toolbar edits these. */
export interface CheckSettings {
  backend: 'htp' | 'lpai';
  soc: string;
  strict: boolean;
}

export type CheckOutcome =
  | { ok: true; result: ValidationResult; report: CheckReport; packTitle: string }
  | { ok: false; error: string };

/** SoCs of a backend, for the picker. */
export interface SocOption { model: string; marketing?: string; htpArch: number; vtcmMB: number; lpai?: number }

export type ProgressCallback = (phase: string, fraction: number | undefined) => void;

export type LoadResult =
  | { ok: true; summary: ModelSummary; view: GraphView; parseMs: number; encodingsFile?: string }
  | { ok: false; error: SerializedLoadError };

export interface EngineApi {
  /** Opens a model from dropped or picked files: one .onnx plus any external-data files. */
  openFiles(files: File[], onProgress?: ProgressCallback): Promise<LoadResult>;
  /** Opens a model from an absolute http(s) URL. */
  openUrl(url: string, onProgress?: ProgressCallback): Promise<LoadResult>;
  /** Runs the validator on the current model with these settings. */
  check(settings: CheckSettings): Promise<CheckOutcome>;
  /** SoCs and default SoC of a backend (loads its rule pack). */
  socs(backend: CheckSettings['backend']): Promise<{ socs: SocOption[]; defaultSoc: string; unknowns: string[]; title: string }>;
  /** Loads a user constraint pack (JSON text) over the built-in one; undefined text removes it. */
  setConstraintPack(text: string | undefined, fileName: string): Promise<{ ok: true; name: string } | { ok: false; error: string }>;
  /** The view of a graph of the current model ('' is the main graph). */
  graphView(path: string): Promise<GraphView | undefined>;
  /** The first values of an initializer or Constant output visible from a graph. */
  tensorPreview(path: string, tensor: string): Promise<TensorPreview | undefined>;
}

export interface LayoutApi {
  layout(input: LayoutInput): Promise<LayoutResult>;
}
