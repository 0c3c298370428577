/** Small display helpers. */
import type { Flow } from '../../rules/types';
import type { Dim } from '../core/model/types';
import type { ModelSummary } from '../core/model/graph-view';

export function formatShape(shape: Dim[] | undefined): string {
  if (!shape) return '?';
  if (shape.length === 0) return 'scalar';
  return `[${shape.map((d) => (d === null ? '?' : d)).join(', ')}]`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/** How the flows read in the toolbar and in findings. */
export const FLOW_LABEL: Record<Flow, string> = {
  qnn: 'QNN converter',
  ort: 'ONNX Runtime QNN EP',
  executorch: 'ExecuTorch',
};

/**
 * The model's weights: their size and what holds them. paddle2onnx writes every weight as a
 * Constant node and no initializer, which "0 initializers" alone would read as a model without
 * weights.
 */
export function weightsText(s: Pick<ModelSummary, 'initializerCount' | 'constantNodeCount' | 'weightBytes'>): string {
  const count = (n: number, what: string) => `${n.toLocaleString()} ${what}${n === 1 ? '' : 's'}`;
  const holders: string[] = [];
  if (s.initializerCount > 0 || s.constantNodeCount === 0) holders.push(count(s.initializerCount, 'initializer'));
  if (s.constantNodeCount > 0) holders.push(count(s.constantNodeCount, 'Constant node'));
  return s.weightBytes > 0 ? `${formatBytes(s.weightBytes)} in ${holders.join(' and ')}` : holders.join(' and ');
}
