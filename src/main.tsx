import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import '@xyflow/react/dist/style.css';
import './ui/styles.css';
import { holdEarlyDrops } from './ui/actions/early-drops';
import { killEngine } from './worker/client';

// A small, harmless hook for the end-to-end tests: stop the engine worker as a crash would.
(window as unknown as { __quantlens: unknown }).__quantlens = { killEngine };

// Files dropped before the app's code has run are kept for it: its drop zone takes them once it
// listens, and opens them as a drop then would be, ahead of the start-up sample.
holdEarlyDrops();

// The app's own code and the canvas come as a chunk of their own, evaluated in a task of their own
// after React's: as one script of 560 KB, the page's first task took 100-190 ms here (62-93 ms
// each, split).
void import('./ui/components/App').then(({ App }) => {
  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
});
