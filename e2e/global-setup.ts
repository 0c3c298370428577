/** Playwright's global setup: the run's temporary files in one directory, removed at the end (scripts/test-scratch.ts). */
import { startScratch } from '../scripts/test-scratch';

export default function globalSetup(): () => void {
  return startScratch('playwright');
}
