import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import '@xyflow/react/dist/style.css';
import './ui/styles.css';
import { killEngine } from './worker/client';

// A small, harmless hook for the end-to-end tests: stop the engine worker as a crash would.
(window as unknown as { __quantlens: unknown }).__quantlens = { killEngine };

// Files dropped before the app's code has run are kept for it (its drop zone listens from its
// first render on), and opened as a drop then would be: ahead of the start-up sample.
const early: File[][] = [];
const hold = (e: DragEvent) => {
  if (!e.dataTransfer?.types.includes('Files')) return;
  e.preventDefault();
  if (e.type === 'drop') early.push([...e.dataTransfer.files]);
};
window.addEventListener('dragover', hold);
window.addEventListener('drop', hold);

// The app's own code and the canvas come as a chunk of their own, evaluated in a task of their own
// after React's: as one script of 560 KB, the page's first task took 100-190 ms here (62-93 ms
// each, split).
void Promise.all([import('./ui/components/App'), import('./ui/actions/load')]).then(([{ App }, { openFiles }]) => {
  window.removeEventListener('dragover', hold);
  window.removeEventListener('drop', hold);
  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
  for (const files of early) if (files.length) void openFiles(files);
});
