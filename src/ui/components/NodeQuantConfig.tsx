/** Per-node quant config from the node panel: adds an exact-name override and re-quantizes. */
import { CONFIG_NAMES, type ConfigName } from '../../core/quant/configs';
import type { ViewNode } from '../../core/model/graph-view';
import { runQuantize } from '../actions/quant';
import { setNodeOverride, useQuant } from '../state/quant-store';
import { useNotFloat } from '../state/check-store';

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function NodeQuantConfig({ node }: { node: ViewNode }) {
  const overrides = useQuant((s) => s.settings.overrides);
  const fallback = useQuant((s) => s.settings.config);
  // A quantized or compiled model is not quantized here (the quantizer panel says why).
  const notFloat = useNotFloat();
  if (!node.name || notFloat) return null;
  const pattern = `^${escapeRegExp(node.name)}$`;
  const current = overrides.find((o) => o.pattern === pattern)?.config ?? '';
  const set = (config: ConfigName | 'float' | '') => {
    setNodeOverride(pattern, config);
    void runQuantize();
  };
  return (
    <section className="border-t border-slate-200 px-3 py-2">
      <h3 className="mb-1 text-[11px] font-semibold uppercase tracking-wide text-slate-500">Quantize this node</h3>
      <label className="flex items-center gap-2 text-xs">
        Config
        <select
          aria-label="Node quant config"
          className="rounded border border-slate-300 px-1 py-0.5"
          value={current}
          onChange={(e) => set(e.target.value as ConfigName | 'float' | '')}
        >
          <option value="">the quantizer config ({fallback})</option>
          {[...CONFIG_NAMES, 'float'].map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
      </label>
    </section>
  );
}
