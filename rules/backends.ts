/**
 * The backends QuantLens has rule packs for, and their defaults: stated once, read by the
 * registry, the packs, the engine settings, the CLI and the UI. (The frozen share-link v1 schema
 * keeps its own literal list on purpose: a format version never changes.)
 */
export const BACKENDS = ['htp', 'lpai'] as const;
export type Backend = (typeof BACKENDS)[number];

export const DEFAULT_BACKEND: Backend = 'htp';

/** Each backend's default SoC (HTP: Snapdragon 8 Gen 3; LPAI: the first SoC with LPAI v6). */
export const DEFAULT_SOC: Readonly<Record<Backend, string>> = { htp: 'SM8650', lpai: 'SM8850' };

/** How each backend reads in the UI. */
export const BACKEND_LABEL: Readonly<Record<Backend, string>> = { htp: 'QNN HTP', lpai: 'QNN LPAI' };

export function isBackend(name: string): name is Backend {
  return (BACKENDS as readonly string[]).includes(name);
}
