/**
 * The typed worker API: what the UI may ask of the engine. Long operations take a progress
 * callback (wrapped with Comlink.proxy on the caller's side). Results are plain data.
 */
import type { SerializedLoadError } from '../core/model/errors';
import type { GraphView, ModelSummary } from '../core/model/graph-view';
import type { TensorPreview } from '../core/model/tensor-values';
import type { LayoutInput, LayoutResult } from '../core/layout/layout-graph';

export type ProgressCallback = (phase: string, fraction: number | undefined) => void;

export type LoadResult =
  | { ok: true; summary: ModelSummary; view: GraphView; parseMs: number }
  | { ok: false; error: SerializedLoadError };

export interface EngineApi {
  /** Opens a model from dropped or picked files: one .onnx plus any external-data files. */
  openFiles(files: File[], onProgress?: ProgressCallback): Promise<LoadResult>;
  /** Opens a model from an absolute http(s) URL. */
  openUrl(url: string, onProgress?: ProgressCallback): Promise<LoadResult>;
  /** The view of a graph of the current model ('' is the main graph). */
  graphView(path: string): Promise<GraphView | undefined>;
  /** The first values of an initializer or Constant output visible from a graph. */
  tensorPreview(path: string, tensor: string): Promise<TensorPreview | undefined>;
}

export interface LayoutApi {
  layout(input: LayoutInput): Promise<LayoutResult>;
}
