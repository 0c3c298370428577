/**
 * External data: tensors whose bytes live in a side file (`data_location = EXTERNAL`).
 * Reading is lazy and by slice; a location may only name a file among those the user gave
 * (or one beside the model URL), never a path that climbs out of that set.
 */
import type { Graph, Model } from './types';

/**
 * The external-data location that means "these bytes of the model file itself": written by the
 * skeleton read (io/skeleton.ts) for the large weights it leaves in the file. It holds a NUL, which
 * no real location may (normalizeExternalLocation refuses it), so a file cannot claim it.
 */
export const SELF_LOCATION = '\u0000model-file';

/** Something that can hand out byte ranges of the files beside a model. */
export interface ExternalDataSource {
  /** Whether a file with this (normalized) location is available. */
  has(location: string): boolean;
  /** Reads `length` bytes at `offset`, or to the end of the file when length is null. */
  read(location: string, offset: number, length: number | null): Promise<Uint8Array>;
  /** Size of the file, when known. */
  size(location: string): number | undefined;
}

/**
 * Normalizes an external-data location to a plain relative path, or explains why it is refused.
 * Absolute paths, drive letters, URLs and `..` segments are refused: a model must not read files
 * the user did not hand over.
 */
export function normalizeExternalLocation(
  location: string,
): { ok: true; path: string } | { ok: false; reason: string } {
  if (!location) return { ok: false, reason: 'the location is empty' };
  if (location.includes('\0')) return { ok: false, reason: 'the location contains a NUL character' };
  const slashed = location.replace(/\\/g, '/');
  if (slashed.startsWith('/') || /^[a-zA-Z]:/.test(slashed) || /^[a-z][a-z0-9+.-]*:\/\//i.test(slashed)) {
    return { ok: false, reason: `the location "${location}" is an absolute path or URL` };
  }
  const parts: string[] = [];
  for (const part of slashed.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..')
      return { ok: false, reason: `the location "${location}" climbs out of the model's folder with ".."` };
    parts.push(part);
  }
  if (parts.length === 0) return { ok: false, reason: `the location "${location}" names no file` };
  return { ok: true, path: parts.join('/') };
}

/** Every external-data location referenced by initializers and tensor attributes, with tensor counts. */
export function externalLocations(model: Model): Map<string, number> {
  const out = new Map<string, number>();
  const visit = (g: Graph) => {
    for (const t of g.initializers.values()) {
      if (t.data.kind === 'external') out.set(t.data.location, (out.get(t.data.location) ?? 0) + 1);
    }
    for (const n of g.nodes) {
      for (const a of n.attributes) {
        if (a.attr.type === 'tensor' && a.attr.value.data.kind === 'external') {
          const loc = a.attr.value.data.location;
          out.set(loc, (out.get(loc) ?? 0) + 1);
        }
      }
      for (const s of n.subgraphs) visit(s.graph);
    }
  };
  visit(model.graph);
  return out;
}

/** Bytes of tensor data the model keeps in external-data files (as their entries give lengths). */
export function externalByteCount(model: Model): number {
  let total = 0;
  const add = (t: { data: { kind: string; length?: number | null } }) => {
    if (t.data.kind === 'external' && t.data.length && t.data.length > 0) total += t.data.length;
  };
  const visit = (g: Graph) => {
    for (const t of g.initializers.values()) add(t);
    for (const n of g.nodes) {
      for (const a of n.attributes) if (a.attr.type === 'tensor') add(a.attr.value);
      for (const sub of n.subgraphs) visit(sub.graph);
    }
  };
  visit(model.graph);
  return total;
}

/**
 * ONNX Runtime's EPContext nodes (com.microsoft): a partition an execution provider compiled ahead
 * of time (ONNX Runtime's `ep.context_enable`, its compile API, an AI Hub compile job), whose graph
 * is a binary only that provider reads.
 */
export function isEpContext(node: { opType: string; domain: string }): boolean {
  return node.opType === 'EPContext' && node.domain === 'com.microsoft';
}

/**
 * The context-binary files a compiled model names: ONNX Runtime's EPContext nodes (com.microsoft)
 * with embed_mode 0 keep their binary in a file beside the model, named by ep_cache_context.
 */
export function contextBinaryLocations(model: Model): string[] {
  const out = new Set<string>();
  for (const n of model.graph.nodes) {
    if (!isEpContext(n)) continue;
    const attr = (name: string) => n.attributes.find((a) => a.name === name)?.attr;
    const embed = attr('embed_mode');
    const cache = attr('ep_cache_context');
    if (embed?.type === 'int' && embed.value === 0 && cache?.type === 'string' && cache.value) out.add(cache.value);
  }
  return [...out];
}

/**
 * Checks the external-data references of a model against the available files and returns one
 * warning per problem (missing file, refused path). The graph stays usable either way.
 */
export function checkExternalData(model: Model, source: ExternalDataSource | undefined): string[] {
  const warnings: string[] = [];
  for (const [location, count] of externalLocations(model)) {
    const norm = normalizeExternalLocation(location);
    const tensors = `${count} tensor${count === 1 ? '' : 's'}`;
    if (!norm.ok) {
      warnings.push(`External data for ${tensors} is refused: ${norm.reason}. Their values cannot be shown.`);
    } else if (!source || !source.has(norm.path)) {
      warnings.push(
        `The weights file "${norm.path}" (external data for ${tensors}) was not given. Drop it together with the model (select both files) to see those values; the graph is shown without them.`,
      );
    }
  }
  return warnings;
}

/** An {@link ExternalDataSource} over a set of in-memory or File-like blobs keyed by name. */
export class BlobDataSource implements ExternalDataSource {
  private readonly byName = new Map<string, Blob>();
  constructor(files: Iterable<{ name: string; blob: Blob }>) {
    for (const f of files) {
      const norm = normalizeExternalLocation(f.name);
      if (norm.ok) this.byName.set(norm.path, f.blob);
      // A dropped file is known by its base name only; also index that.
      const base = f.name.split(/[\\/]/).pop();
      if (base) this.byName.set(base, f.blob);
    }
  }
  has(location: string): boolean {
    return this.byName.has(location) || this.byName.has(location.split('/').pop() ?? location);
  }
  size(location: string): number | undefined {
    return this.blob(location)?.size;
  }
  async read(location: string, offset: number, length: number | null): Promise<Uint8Array> {
    const blob = this.blob(location);
    if (!blob) throw new Error(`the weights file "${location}" was not given`);
    const end = length === null ? blob.size : offset + length;
    if (offset < 0 || end > blob.size)
      throw new Error(`"${location}" has ${blob.size} bytes but the model asks for bytes ${offset} to ${end}`);
    return new Uint8Array(await blob.slice(offset, end).arrayBuffer());
  }
  private blob(location: string): Blob | undefined {
    return this.byName.get(location) ?? this.byName.get(location.split('/').pop() ?? location);
  }
}
