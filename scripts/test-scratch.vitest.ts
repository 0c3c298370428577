/** vitest's global setup: the run's temporary files in one directory, removed at the end (test-scratch.ts). */
import { startScratch } from './test-scratch';

export default function setup(): () => void {
  return startScratch('vitest');
}
