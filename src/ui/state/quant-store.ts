/** Quantizer state: the panel's settings, the running job, and the last result. */
import { create } from 'zustand';
import { DEFAULT_CALIBRATION, DEFAULT_OPTIONS } from '../../core/quant/configs';
import type { Override } from '../../core/quant/plan';
import type { QuantizeOutcome, QuantizeSettings } from '../../core/session/api';
import type { ErrorTrace } from '../../core/quant/error-trace';

/** The panel's choices; backend, SoC, strict and flow are the toolbar's (useCheck), given to each run. */
export type QuantPanelSettings = Omit<QuantizeSettings, 'backend' | 'soc' | 'strict' | 'flow' | 'target'>;

export interface QuantState {
  settings: QuantPanelSettings;
  running?: { phase: string; fraction?: number; started: number };
  outcome?: Extract<QuantizeOutcome, { ok: true }>;
  /** The outcome came before its SQNR (sqnrPending): being measured, or why it could not be. */
  sqnr?: { measuring: true } | { measuring: false; error: string };
  /** The error trace of the outcome shown (asked for): running, made, or why it could not be. */
  trace?:
    | { running: true; fraction?: number; phase?: string }
    | { running: false; trace: ErrorTrace }
    | { running: false; error: string };
  error?: string;
  cancelled?: boolean;
  /** Why a float model was not quantized on load (too large for the on-load budget): the panel offers the run. */
  offer?: string;
  /** Which findings the banner and graph show. */
  target: 'model' | 'plan';
}

export const DEFAULT_QUANT: QuantPanelSettings = {
  ...DEFAULT_OPTIONS,
  overrides: [] as Override[],
  calibration: { ...DEFAULT_CALIBRATION },
  shapes: {},
};

export const useQuant = create<QuantState>()(() => ({ settings: DEFAULT_QUANT, target: 'model' }));

/** Changes the panel's settings (a trivial setter). */
export function setQuantSettings(patch: Partial<QuantPanelSettings>): void {
  useQuant.setState((s) => ({ settings: { ...s.settings, ...patch } }));
}

/** Sets or clears the per-node override of one exact name pattern. */
export function setNodeOverride(pattern: string, config: Override['config'] | ''): void {
  useQuant.setState((s) => ({
    settings: {
      ...s.settings,
      overrides: [
        ...s.settings.overrides.filter((o) => o.pattern !== pattern),
        ...(config ? [{ pattern, config }] : []),
      ],
    },
  }));
}
