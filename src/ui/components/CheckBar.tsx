/** Backend, SoC and strict mode: the settings the validator runs with, plus an optional constraint pack. */
import { useMemo, useRef, useState } from 'react';
import { DEFAULT_FLOW, FLOWS, type Flow } from '../../../rules/types';
import { BACKEND_LABEL, BACKENDS, type Backend } from '../../../rules/backends';
import { FLOW_LABEL } from '../format';
import { loadConstraintPack, updateSettings } from '../actions/check';
import { useCheck } from '../state/check-store';
import { CopyLinkButton } from './SharePanel';
import { ExportMenu } from './ExportMenu';

/** A SoC as the picker lists it: model and HTP arch first, then VTCM, its name and its LPAI version. */
function socLabel(s: { model: string; htpArch: number; vtcmMB: number; marketing?: string; lpai?: number | string }) {
  return `${s.model} · V${s.htpArch} · ${s.vtcmMB} MB VTCM${s.marketing ? ` · ${s.marketing}` : ''}${s.lpai ? ` · LPAI v${s.lpai}` : ''}`;
}

export function CheckBar() {
  const settings = useCheck((s) => s.settings);
  const socs = useCheck((s) => s.socs);
  const flowsWithout = useCheck((s) => s.flowsWithout);
  const userPack = useCheck((s) => s.userPack);
  const [packError, setPackError] = useState<string>();
  const packInput = useRef<HTMLInputElement>(null);
  const groups = useMemo(() => {
    const byArch = new Map<number, typeof socs>();
    for (const s of socs) byArch.set(s.htpArch, [...(byArch.get(s.htpArch) ?? []), s]);
    return [...byArch.entries()].sort((a, b) => b[0] - a[0]);
  }, [socs]);
  const selected = socs.find((s) => s.model === settings.soc);
  const socTitle = selected ? socLabel(selected) : settings.soc;

  return (
    <div
      className="flex flex-wrap items-center gap-3 border-b border-slate-200 bg-white px-3 py-1.5 text-sm"
      role="toolbar"
      aria-label="Validation settings"
    >
      <label className="flex items-center gap-1 text-slate-600">
        Backend
        <select
          aria-label="Backend"
          className="rounded border border-slate-300 px-1 py-0.5"
          value={settings.backend}
          onChange={(e) => void updateSettings({ backend: e.target.value as Backend })}
        >
          {BACKENDS.map((b) => (
            <option key={b} value={b}>
              {BACKEND_LABEL[b]}
            </option>
          ))}
        </select>
      </label>
      <label className="flex items-center gap-1 text-slate-600">
        SoC
        <select
          aria-label="SoC"
          // The option names the SoC first (model and arch): capped below 1400 px, the bar fits one row from 1280 px.
          className="max-w-[19rem] rounded border border-slate-300 px-1 py-0.5 min-[1400px]:max-w-none"
          title={socTitle}
          value={settings.soc}
          onChange={(e) => void updateSettings({ soc: e.target.value })}
        >
          {groups.map(([arch, list]) => (
            <optgroup key={arch} label={`HTP V${arch}`}>
              {list.map((s) => (
                <option key={s.model} value={s.model}>
                  {socLabel(s)}
                </option>
              ))}
            </optgroup>
          ))}
        </select>
      </label>
      <label
        className="flex items-center gap-1 text-slate-600"
        title="The deployment flow decides what happens to a node that breaks a rule: the QNN converter rejects the model, ONNX Runtime's QNN EP repairs some encodings and runs other nodes on the CPU, ExecuTorch's partitioner leaves them to the CPU."
      >
        Flow
        <select
          aria-label="Flow"
          className="rounded border border-slate-300 px-1 py-0.5"
          value={settings.flow ?? DEFAULT_FLOW}
          onChange={(e) => void updateSettings({ flow: e.target.value as Flow })}
        >
          {FLOWS.map((f) => (
            <option key={f} value={f} disabled={!!flowsWithout[f]} title={flowsWithout[f]}>
              {FLOW_LABEL[f]}
              {flowsWithout[f] ? ` (not for ${settings.backend.toUpperCase()})` : ''}
            </option>
          ))}
        </select>
      </label>
      <label
        className="flex items-center gap-1.5 text-slate-700"
        title="Strict: what stops full delegation to the NPU under the flow (rejected, CPU fallback) is an error and fails the run. Lenient: those are warnings. Repairs and slower paths are warnings either way; advice is info."
      >
        <input
          type="checkbox"
          checked={settings.strict}
          onChange={(e) => void updateSettings({ strict: e.target.checked })}
        />
        Strict
      </label>
      <button
        type="button"
        className="rounded border border-slate-300 px-2 py-0.5 text-slate-700 hover:bg-slate-100"
        onClick={() => packInput.current?.click()}
      >
        Constraint pack…
      </button>
      <input
        ref={packInput}
        type="file"
        accept=".json,application/json"
        hidden
        aria-label="Load a constraint pack"
        data-testid="pack-input"
        onChange={async (e) => {
          const f = e.target.files?.[0];
          e.target.value = '';
          if (f) setPackError(await loadConstraintPack(f));
        }}
      />
      {userPack && (
        <span
          className="flex items-center gap-1 rounded bg-indigo-50 px-2 py-0.5 text-indigo-800"
          data-testid="user-pack"
        >
          pack: {userPack}
          <button
            type="button"
            aria-label="Remove constraint pack"
            className="px-1"
            onClick={() => {
              setPackError(undefined);
              void loadConstraintPack(undefined);
            }}
          >
            ✕
          </button>
        </span>
      )}
      {packError && (
        <span role="alert" className="text-red-700" data-testid="pack-error">
          {packError}
        </span>
      )}
      <span className="ml-auto flex items-center gap-3">
        <ExportMenu />
        <CopyLinkButton />
      </span>
    </div>
  );
}
