/**
 * Backend name → rule pack, loaded on demand with a dynamic import so each pack is its own
 * chunk and only the chosen backend's pack is fetched (as upstream's registry_loader imports
 * `<backend>_rules` lazily).
 */
import type { Backend } from './backends';
import type { RulePack } from './types';

export { BACKENDS, isBackend, type Backend } from './backends';

const loaders: Record<Backend, () => Promise<{ default: RulePack }>> = {
  htp: () => import('./htp/htp-pack'),
  lpai: () => import('./lpai/lpai-pack'),
};

const cache = new Map<Backend, Promise<RulePack>>();
/** Backends whose pack has been requested, in order (for tests and diagnostics). */
export const loadedBackends: Backend[] = [];

/** Loads (once) the rule pack of a backend. */
export function loadRulePack(backend: Backend): Promise<RulePack> {
  let pending = cache.get(backend);
  if (!pending) {
    loadedBackends.push(backend);
    pending = loaders[backend]().then((m) => m.default);
    cache.set(backend, pending);
  }
  return pending;
}
