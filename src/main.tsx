import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import '@xyflow/react/dist/style.css';
import './ui/styles.css';
import { App } from './ui/components/App';
import { killEngine } from './worker/client';

// A small, harmless hook for the end-to-end tests: stop the engine worker as a crash would.
(window as unknown as { __quantlens: unknown }).__quantlens = { killEngine };

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
