/**
 * Validator state: the settings the toolbar edits, and the engine's latest result. Findings are
 * indexed by node id so each graph node subscribes only to its own marks.
 */
import { create } from 'zustand';
import { DEFAULT_FLOW, OUTCOMES, type Flow, type Outcome } from '../../../rules/types';
import { DEFAULT_BACKEND, DEFAULT_SOC } from '../../../rules/backends';
import { readStoredSettings, storedSettings } from '../../core/session/settings-format';
import type { Finding, Severity } from '../../core/check/finding';
import type { ValidationResult } from '../../core/check/validate';
import type { CheckReport } from '../../core/report/check-report';
import type { CheckSettings, SocOption } from '../../core/session/api';
import { configArchNote, type BackendLimits, type ConfigName } from '../../core/quant/configs';

export interface NodeMarks {
  worst: Severity;
  count: number;
  first: string;
  /** The gravest outcome under the flow among the node's findings (OUTCOMES order: rejected first). */
  outcome: Outcome;
  /** Findings per severity. */
  errors: number;
  warnings: number;
  notes: number;
}

const COUNTER = { error: 'errors', warning: 'warnings', info: 'notes' } as const;

export interface CheckState {
  settings: CheckSettings;
  socs: SocOption[];
  packTitle?: string;
  packUnknowns: string[];
  /** Flows that cannot deploy to the chosen backend, with the reason (offered disabled). */
  flowsWithout: Partial<Record<Flow, string>>;
  /** What decides whether a quantizer config runs on the chosen backend's SoCs (configArchNote). */
  limits?: BackendLimits;
  userPack?: string;
  running: boolean;
  result?: ValidationResult;
  report?: CheckReport;
  error?: string;
  marks: Map<string, NodeMarks>;
  /**
   * Tensor name → a short description of its encoding, for edge labels and the node panel. For a
   * large graph it holds only the labels asked for so far (`labelsComplete` false).
   */
  tensorEncodings?: Record<string, string>;
  labelsComplete?: boolean;
  /** Nodes the flow would not run on the NPU (the delegation map). */
  offNpu: ReadonlySet<string>;
  /** Each NPU node's partition when the flow splits the model into several (outlined on the graph). */
  partitionOf?: Readonly<Record<string, number>>;
}

function savedSettings(): CheckSettings {
  const defaults = { backend: DEFAULT_BACKEND, soc: DEFAULT_SOC[DEFAULT_BACKEND], strict: true, flow: DEFAULT_FLOW };
  return readStoredSettings(globalThis.localStorage, defaults);
}

export function saveSettings(s: CheckSettings): void {
  const { key, text } = storedSettings(s);
  try {
    globalThis.localStorage?.setItem(key, text);
  } catch {
    /* private mode: settings live for the session */
  }
}

const RANK: Record<Severity, number> = { error: 3, warning: 2, info: 1 };

/** Marks per drawn node; `drawn` names the node that shows a finding's node (a folded Q/DQ's stand-in). */
export function indexFindings(
  findings: readonly Finding[],
  drawn: (id: string) => string = (id) => id,
): Map<string, NodeMarks> {
  const marks = new Map<string, NodeMarks>();
  for (const f of findings) {
    if (!f.nodeId) continue;
    const id = drawn(f.nodeId);
    const m = marks.get(id);
    if (!m)
      marks.set(id, {
        worst: f.severity,
        count: 1,
        first: f.message,
        outcome: f.outcome,
        errors: 0,
        warnings: 0,
        notes: 0,
      });
    const mark = marks.get(id)!;
    mark[COUNTER[f.severity]]++;
    if (OUTCOMES.indexOf(f.outcome) < OUTCOMES.indexOf(mark.outcome)) mark.outcome = f.outcome;
    if (m) {
      m.count++;
      if (RANK[f.severity] > RANK[m.worst]) {
        m.worst = f.severity;
        m.first = f.message;
      }
    }
  }
  return marks;
}

export const useCheck = create<CheckState>()(() => ({
  settings: savedSettings(),
  socs: [],
  packUnknowns: [],
  flowsWithout: {},
  running: false,
  marks: new Map(),
  offNpu: new Set(),
}));

/**
 * Why the open model is not one to quantize, in words, or undefined: the quantizer starts from a
 * float model (the engine refuses the others with the same reason).
 */
export function useNotFloat(): string | undefined {
  return useCheck((c) => {
    const r = c.result;
    if (!r) return undefined;
    if (r.encodings === 'qdq')
      return 'This model is quantized already (QDQ): the findings judge its own encodings. The quantizer starts from a float model: open the one it was made from to quantize it another way.';
    if (r.findings.some((f) => f.rule === 'not-qdq'))
      return 'This model is quantized already (integer ops): the quantizer starts from a float model. Open the one it was made from.';
    if (r.findings.some((f) => f.rule === 'precompiled-context'))
      return 'This model is compiled: its quantization is inside its context binaries. Open the model it was compiled from to quantize it.';
    return undefined;
  });
}

/**
 * Why the chosen SoC refuses a quantizer config (configs.ts's configArchNote), or undefined: the
 * Config menus mark such configs, and the chosen one says why under it.
 */
export function useConfigArchNote(): (config: ConfigName) => ReturnType<typeof configArchNote> {
  const limits = useCheck((c) => c.limits);
  const soc = useCheck((c) => c.socs.find((s) => s.model === c.settings.soc));
  return (config) => (soc && limits ? configArchNote(config, limits, soc) : undefined);
}
