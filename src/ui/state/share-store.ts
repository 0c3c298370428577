/** Share-link state: a pending local snapshot, identity warnings, errors, the last link made. */
import { create } from 'zustand';
import type { SharePayload, ShareSnapshot } from '../../core/share';

export interface ShareState {
  /** A link opened for a local model: its snapshot, until the user drops the file. */
  pending?: { payload: SharePayload; snapshot?: ShareSnapshot };
  /** Warning after the dropped file differs from the shared one. */
  mismatch?: string;
  /** What the replay of the shared quantization cannot reproduce (the sender's calibration files). */
  replay?: string;
  /** An error opening a link. */
  error?: string;
  /** The last link made with Copy link. */
  link?: string;
  /** True while a link is being opened (the load it starts must not auto-quantize on its own). */
  opening?: boolean;
}

export const useShare = create<ShareState>()(() => ({}));

/** Clears the notices the share bar shows (a trivial setter for the dismiss button). */
export function dismissShareNotices(): void {
  useShare.setState({ error: undefined, mismatch: undefined, replay: undefined });
}
