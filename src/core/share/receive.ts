/** What a receiver does with a decoded link: its check settings, and whether a dropped file is the shared one. */
import type { ObserverKind } from '../quant/calibrate';
import { DEFAULT_CALIBRATION, DEFAULT_OPTIONS, isConfigName, type QuantOptions } from '../quant/configs';
import type { Override } from '../quant/plan';
import {
  fmt,
  type ShareBackend,
  type ShareCalibration,
  type ShareModel,
  type SharePayload,
  type ShareSettings,
} from './payload';

// ---------------------------------------------------------------------------------------------
// Receiving.

/** The validator settings a payload asks for (the shape of the worker's CheckSettings). */
export function checkSettingsOf(payload: SharePayload): {
  backend: ShareBackend;
  soc: string;
  strict: boolean;
  flow: ShareSettings['flow'];
} {
  const { backend, soc, strict, flow } = payload.settings;
  return { backend, soc, strict, flow };
}

/**
 * Compares a dropped file with the shared model's identity. A different file is still accepted;
 * `warning` says, as plain text, that results may differ from the shared ones.
 */
export function compareDroppedModel(
  shared: ShareModel,
  dropped: { name: string; size: number; sha256: string },
): { same: boolean; warning?: string } {
  if (dropped.sha256.toLowerCase() === shared.sha256) return { same: true };
  const what =
    dropped.size === shared.size
      ? 'the same size but different content'
      : `${fmt(dropped.size)} bytes instead of ${fmt(shared.size)}`;
  return {
    same: false,
    warning: `"${dropped.name}" is not the shared model "${shared.name}": it has ${what} (SHA-256 ${dropped.sha256.slice(0, 12)}… instead of ${shared.sha256.slice(0, 12)}…). The results below are for your file and may differ from the shared ones.`,
  };
}

/**
 * What a replay of a shared quantizer run cannot reproduce: a run calibrated on its sender's own
 * files is replayed on random samples (a link carries no data), so its ranges, SQNR and the
 * findings that follow from them may differ. Undefined when the link recorded random samples (or
 * no quantizer run).
 */
export function replayCalibrationWarning(calibration: ShareCalibration | undefined): string | undefined {
  if (calibration?.mode !== 'files') return undefined;
  const n = calibration.samples;
  return `The shared quantization calibrated on ${n} sample${n === 1 ? '' : 's'} from its sender's own files, which a link cannot carry: this replay calibrates on ${n} random sample${n === 1 ? '' : 's'} (seed ${calibration.seed}), so ranges, SQNR and the findings that follow from them may differ. Give the same files to reproduce it.`;
}

/** A quantizer run as a link records it and a replay runs it (the engine's quantize settings, less the check's). */
export interface SharedQuantization extends QuantOptions {
  overrides: Override[];
  calibration: { samples: number; seed: number; observer: ObserverKind; percentile?: number };
  shapes: Record<string, number[]>;
  /** The export has its inputs' dynamic dimensions at the sizes calibration ran at. */
  fixSizes: boolean;
  /** Inputs the random samples held at one value (a sample rate). */
  values: Record<string, number>;
}

/**
 * The quantizer run a link recorded, in the engine's terms, or undefined when it recorded none.
 * What an older link did not record (options, observer and shapes before version 3, fixed sizes
 * before 4, input values before 5) is the default, as its replay always used. Override configs this QuantLens does not know keep the node float.
 */
export function sharedQuantization(settings: ShareSettings): SharedQuantization | undefined {
  const config = settings.config;
  if (!config || !isConfigName(config)) return undefined;
  const c = settings.calibration;
  return {
    ...DEFAULT_OPTIONS,
    ...settings.options,
    config,
    overrides: (settings.overrides ?? []).map((o) => ({
      pattern: o.pattern,
      config: o.config === 'float' || isConfigName(o.config) ? o.config : 'float',
    })),
    calibration: {
      ...DEFAULT_CALIBRATION,
      samples: c?.samples ?? DEFAULT_CALIBRATION.samples,
      seed: c?.seed ?? DEFAULT_CALIBRATION.seed,
      ...(c?.observer ? { observer: c.observer } : {}),
      ...(c?.percentile !== undefined ? { percentile: c.percentile } : {}),
    },
    // Copied entry by entry: keys are model input names from a stranger's link.
    shapes: Object.fromEntries(Object.entries(settings.shapes ?? {}).map(([k, v]) => [k, [...v]])),
    fixSizes: settings.fixSizes ?? false,
    values: Object.fromEntries(Object.entries(settings.values ?? {})),
  };
}

/**
 * The quantization fields of a link for a run made with `run`: `source` says whether it
 * calibrated on random samples (which the receiver can draw again) or on the sender's files
 * (which it cannot: the link says how many there were).
 */
export function quantizationForLink(
  run: SharedQuantization,
  source: { kind: 'random' } | { kind: 'files'; samples: number },
): Pick<ShareSettings, 'config' | 'overrides' | 'calibration' | 'options' | 'shapes' | 'fixSizes' | 'values'> {
  const { observer, percentile, seed } = run.calibration;
  return {
    config: run.config,
    overrides: run.overrides.map((o) => ({ pattern: o.pattern, config: o.config })),
    calibration: {
      mode: source.kind,
      samples: source.kind === 'files' ? source.samples : run.calibration.samples,
      seed,
      observer,
      ...(observer === 'percentile' && percentile !== undefined ? { percentile } : {}),
    },
    options: {
      perChannelConv: run.perChannelConv,
      perChannelLinear: run.perChannelLinear,
      perChannelEmbedding: run.perChannelEmbedding ?? false,
      actSymmetric: run.actSymmetric,
      blockSize: run.blockSize,
    },
    ...(Object.keys(run.shapes).length ? { shapes: run.shapes } : {}),
    ...(run.fixSizes ? { fixSizes: true } : {}),
    // Values fill random samples only: a run on the sender's files had none to give.
    ...(source.kind === 'random' && Object.keys(run.values).length ? { values: run.values } : {}),
  };
}

/**
 * A replayed run's choices in words, the defaults left out: `16a8w · per-channel linear weights
 * · input x 1x3x48x320`. The calibration is said apart (the engine's outcome says what it used).
 */
export function quantizationText(run: SharedQuantization): string {
  const parts: string[] = [run.config];
  if (!run.perChannelConv) parts.push('per-tensor conv weights');
  if (run.perChannelLinear) parts.push('per-channel linear weights');
  if (run.perChannelEmbedding) parts.push('per-channel embedding tables');
  if (run.actSymmetric) parts.push('symmetric activations');
  if (run.blockSize !== DEFAULT_OPTIONS.blockSize) parts.push(`LPBQ block ${run.blockSize}`);
  if (run.overrides.length) parts.push(`${run.overrides.length} override${run.overrides.length === 1 ? '' : 's'}`);
  for (const [input, dims] of Object.entries(run.shapes)) parts.push(`input ${input} ${dims.join('x')}`);
  for (const [input, value] of Object.entries(run.values)) parts.push(`input ${input} = ${value}`);
  if (run.fixSizes) parts.push('sizes fixed in the export');
  return parts.join(' · ');
}
