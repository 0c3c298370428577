/** Shows dtype, shape and the first values of a weight, fetched from the engine on demand. */
import { useEffect, useState } from 'react';
import type { TensorPreview } from '../../core/model/tensor-values';
import { engineClient } from '../../worker/client';
import { useApp } from '../state/app-store';

export function TensorValues({ tensor }: { tensor: string }) {
  const path = useApp((s) => s.view?.path ?? '');
  // A new model can have a tensor of the same name: refetch whenever the model changes.
  const model = useApp((s) => s.summary);
  const [preview, setPreview] = useState<TensorPreview | null | undefined>(undefined);
  useEffect(() => {
    let live = true;
    setPreview(undefined);
    engineClient()
      .tensorPreview(path, tensor)
      .then(
        (p) => live && setPreview(p.ok ? p.preview : null),
        () => live && setPreview(null),
      );
    return () => {
      live = false;
    };
  }, [path, tensor, model]);
  if (preview === undefined) return <div className="text-xs text-slate-500">loading values…</div>;
  if (preview === null) return <div className="text-xs text-slate-500">no values available</div>;
  return (
    <div className="mt-1 rounded bg-slate-50 p-1.5 text-xs" data-testid="tensor-values">
      <div className="text-slate-600">
        {preview.dtype} [{preview.dims.join(', ')}] · {preview.count.toLocaleString()} values · {preview.storage}
      </div>
      {preview.values.length > 0 && (
        <div className="mt-0.5 font-mono break-all text-slate-800">
          {preview.values.join(', ')}
          {preview.count > preview.values.length ? ', …' : ''}
        </div>
      )}
      {preview.note && <div className="mt-0.5 text-amber-700">{preview.note}</div>}
    </div>
  );
}
