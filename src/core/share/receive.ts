/** What a receiver does with a decoded link: its check settings, and whether a dropped file is the shared one. */
import { fmt, type ShareBackend, type ShareCalibration, type ShareModel, type SharePayload } from './payload';

// ---------------------------------------------------------------------------------------------
// Receiving.

/** The validator settings a payload asks for (the shape of the worker's CheckSettings). */
export function checkSettingsOf(payload: SharePayload): { backend: ShareBackend; soc: string; strict: boolean } {
  return { backend: payload.settings.backend, soc: payload.settings.soc, strict: payload.settings.strict };
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
