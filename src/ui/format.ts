/** Small display helpers. */
import type { Flow } from '../../rules/types';
import type { Dim } from '../core/model/types';

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
