// Worker-thread entry of the Node test runtime host: Node runs no TypeScript by itself, so tsx is
// registered in this thread before the host is loaded.
import { register } from 'tsx/esm/api';

register();
await import('./runtime-host-thread.ts');
