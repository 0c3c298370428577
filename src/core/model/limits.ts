/**
 * Every configurable size limit of the load path, in one place. Each limit stops a hostile,
 * corrupt or absurd input early with a {@link ModelLoadError} of code `limit` whose message names
 * the limit (by the key below) and its value, so a user with a genuine model knows which one to
 * raise. Callers override single limits with a `Partial<LoadLimits>`; see {@link resolveLimits}.
 *
 * The defaults are generous for real models (a 2 GiB protobuf with millions of nodes still loads)
 * and tight enough that no input can make the reader allocate without bound or recurse deeply.
 *
 * @example
 * readOnnx(bytes, { fileName, limits: { maxNodes: 5_000_000 } });
 */

export interface LoadLimits {
  /**
   * Largest model file, in bytes. The protobuf format cannot describe a message of 2 GiB or more,
   * so the default is the format's own ceiling; weights beyond it belong in external-data files.
   */
  maxFileBytes: number;
  /** Largest number of nodes, counted over the main graph and every sub-graph. */
  maxNodes: number;
  /** Deepest nesting of sub-graphs (an If inside a Loop inside ...); the main graph is depth 0. */
  maxGraphDepth: number;
  /**
   * Deepest nesting of protobuf messages (model > graph > node > attribute > graph > ...). Each
   * sub-graph level costs three message levels, and a graph holds up to about ten more (a tensor
   * attribute's external-data entry, a nested sequence type), so the default of 3 × 32 + 32 lets
   * a deep but genuine model meet {@link maxGraphDepth}, the clearer of the two, first.
   */
  maxMessageDepth: number;
  /**
   * Largest element count (product of dims) of a constant tensor: an initializer or a tensor
   * attribute. Element counts feed size arithmetic and previews; far beyond any real weight, they
   * only mean a corrupt dims field.
   */
  maxTensorElements: number;
  /** Most dims of one tensor or declared shape (its rank). Real models stay well under 16. */
  maxTensorRank: number;
  /**
   * Largest share-link payload (the encoded text after `#`), in bytes; the payload is base64url,
   * so bytes and characters agree. A link decoder refuses anything longer before decoding it
   * (src/core/share/payload.ts takes MAX_FRAGMENT_CHARS from here).
   */
  maxLinkPayloadBytes: number;
}

/** Largest model file: 2^31 - 1 bytes, the protobuf ceiling. */
export const MAX_FILE_BYTES = 2 ** 31 - 1;
/** Node budget over all graphs: ten times the largest LLM exports we know of. */
export const MAX_NODES = 2_000_000;
/** Sub-graph nesting; real control flow rarely goes past 4. */
export const MAX_GRAPH_DEPTH = 32;
/** Protobuf message nesting: three levels per sub-graph level, plus room inside the deepest graph. */
export const MAX_MESSAGE_DEPTH = 3 * MAX_GRAPH_DEPTH + 32;
/**
 * Constant-tensor elements: 2^34 (17 billion, 32 GiB as float16). Larger than any single weight of
 * today's largest models, and small enough that byte counts stay exact in a double.
 */
export const MAX_TENSOR_ELEMENTS = 2 ** 34;
/** Tensor rank; ONNX Runtime kernels top out at 8 and real models at 6. */
export const MAX_TENSOR_RANK = 64;
/**
 * Share-link payload: 64 KiB. Browsers accept longer URLs (Chromium about 2 MB), but chat and mail
 * clients cut long links; 64 KiB still holds the view state of a graph of tens of thousands of nodes.
 */
export const MAX_LINK_PAYLOAD_BYTES = 64 * 1024;

/** The defaults, frozen. */
export const DEFAULT_LOAD_LIMITS: Readonly<LoadLimits> = Object.freeze({
  maxFileBytes: MAX_FILE_BYTES,
  maxNodes: MAX_NODES,
  maxGraphDepth: MAX_GRAPH_DEPTH,
  maxMessageDepth: MAX_MESSAGE_DEPTH,
  maxTensorElements: MAX_TENSOR_ELEMENTS,
  maxTensorRank: MAX_TENSOR_RANK,
  maxLinkPayloadBytes: MAX_LINK_PAYLOAD_BYTES,
});

/** What each limit counts, for messages ("more than the limit of 32 sub-graph levels (maxGraphDepth)"). */
export const LIMIT_UNITS: Readonly<Record<keyof LoadLimits, string>> = Object.freeze({
  maxFileBytes: 'bytes',
  maxNodes: 'nodes',
  maxGraphDepth: 'sub-graph levels',
  maxMessageDepth: 'protobuf message levels',
  maxTensorElements: 'elements',
  maxTensorRank: 'dims',
  maxLinkPayloadBytes: 'bytes',
});

/**
 * Fills in defaults for the limits not given. Values that are not positive integers (NaN, -1,
 * 2.5) are ignored rather than trusted, so a bad setting cannot switch a limit off by accident;
 * pass `Infinity` to switch one off on purpose.
 */
export function resolveLimits(overrides: Partial<LoadLimits> | undefined): LoadLimits {
  const out: LoadLimits = { ...DEFAULT_LOAD_LIMITS };
  if (!overrides) return out;
  for (const key of Object.keys(DEFAULT_LOAD_LIMITS) as (keyof LoadLimits)[]) {
    const v = overrides[key];
    if (typeof v === 'number' && (v === Infinity || (Number.isInteger(v) && v >= 0))) out[key] = v;
  }
  return out;
}

/** "the limit of 32 sub-graph levels (maxGraphDepth)": names a limit and its value for a message. */
export function describeLimit(limits: LoadLimits, key: keyof LoadLimits): string {
  return `the limit of ${formatCount(limits[key])} ${LIMIT_UNITS[key]} (${key})`;
}

function formatCount(n: number): string {
  if (n === Infinity) return 'infinitely many';
  if (n >= 2 ** 20 && Number.isInteger(Math.log2(n))) return `2^${Math.log2(n)}`;
  return n.toLocaleString('en-US');
}
