/**
 * AIMET `.encodings` files (JSON): the types of what is read and written, the error, the limits.
 * The reader (read.ts, read-legacy.ts, read-v1.ts, read-v2.ts) and writer (write.ts) follow these
 * decisions:
 *
 * Versions 0.4.0 to 0.6.1 (tensor name -> list of encodings), 1.0.0 (lists of named entries, with
 * per-block and LPBQ) and 2.0.0 (one list in ONNX terms: output_dtype, y_scale, y_zero_point,
 * axis; read-v2.ts). The writer writes 1.0.0 and 0.6.1.
 * Layout and field tables: AIMET's encoding specification (quic/aimet, Docs/api/encoding_spec.rst)
 * and, for 2.0.0, aimet-onnx's `_encoding.py` (to_qnn_encoding_dict / from_qnn_encoding_dict).
 *
 * Every encoding is turned into the shared {@link QuantEncoding} (ONNX convention,
 * real = (q - zeroPoint) * scale), so the checker never sees a QNN offset. Decisions:
 *
 * - **Container and signedness.** A bitwidth up to 8 uses the 8-bit container (4- and 2-bit weights
 *   are `int8`/`uint8` with `bitwidth` 4 or 2, as QNN's BwScaleOffset does), up to 16 the 16-bit
 *   one, up to 32 the 32-bit one. A symmetric encoding whose offset is -2^(bw-1) (AIMET's form) or
 *   0 (the signed form some tools write) is signed with zero point 0; anything else is unsigned
 *   with zeroPoint = -offset. One refinement for 0.x files, which carry `min`: symmetric, offset 0
 *   and min >= 0 is AIMET's "unsigned symmetric" mode, read as unsigned with zero point 0 (a
 *   signed reading would clip the top half of the range).
 * - **Per-channel axis.** Neither 0.x nor 1.0.0 stores an axis index; 1.0.0 defines it as the
 *   output channel dimension, whose index depends on the consuming op (0 for Conv, 1 for MatMul).
 *   `axis` is left undefined for the consumer to assign; 0.x files get a warning saying so. 2.0.0
 *   records it (`axis`; for blocks, the block axis, the channel axis being the other one).
 * - **LPBQ.** `bitwidth` is the decompressed bitwidth from the file (`bw`, e.g. 8) and
 *   `compressedBitwidth` the bits the weights are stored in (`compressed_bw`, e.g. 4), as the
 *   shared type documents (per-block int scales in [1, 2^(bitwidth - compressedBitwidth)]). That
 *   keeps the file lossless with no side fields. `scale` holds the per-channel float scales,
 *   `perBlockIntScale` the flattened channel-major integer scales, zero points are 0 (int8).
 * - **Float tensors** (dtype float / FLOAT) become a {@link FloatEncoding}.
 *
 * Errors are always {@link AimetEncodingsError}; nothing else escapes.
 */
import type { QuantEncoding } from '../../encoding/encoding';
import { QuantLensError, type ErrorReport } from '../../model/errors';

/** Versions this module reads. 0.4.0 is assumed when a file has no `version` (as AIMET does). */
export type AimetVersion = '0.4.0' | '0.5.0' | '0.6.1' | '1.0.0' | '2.0.0';

/** Versions {@link parseAimetEncodings} accepts, oldest first. */
export const SUPPORTED_AIMET_VERSIONS: readonly AimetVersion[] = ['0.4.0', '0.5.0', '0.6.1', '1.0.0', '2.0.0'];

/** A tensor AIMET keeps in floating point (`dtype: "float"` / `"FLOAT"`). */
export interface FloatEncoding {
  dtype: 'float';
  bitwidth: 16 | 32;
  /** Where the encoding came from, for messages, e.g. `AIMET 1.0.0`. */
  origin: string;
}

/** What one tensor of an encodings file holds. */
export type TensorEncoding = QuantEncoding | FloatEncoding;

/** `quantizer_args`: how the AIMET QuantizationSimModel was configured (informational only). */
export interface AimetQuantizerArgs {
  activationBitwidth?: number;
  paramBitwidth?: number;
  /** `int` or `float`. */
  dtype?: string;
  /** Parameter encodings were computed symmetrically. */
  isSymmetric?: boolean;
  perChannelQuantization?: boolean;
  /** e.g. `post_training_tf`, `post_training_tf_enhanced`. */
  quantScheme?: string;
}

/**
 * A parsed encodings file. Tensor names map to encodings in file order, except that in 0.x files
 * integer-like names (`"187"`) come first: that is how JSON.parse orders an object's keys.
 */
export interface AimetEncodings {
  version: AimetVersion;
  activations: Map<string, TensorEncoding>;
  params: Map<string, TensorEncoding>;
  quantizerArgs?: AimetQuantizerArgs;
  excludedLayers?: string[];
  /** Things worth telling the user that did not stop the read (one line each, never one per tensor). */
  warnings: string[];
}

/** What {@link writeAimetEncodings} takes: the maps of a parse result, or the quantizer's. */
export interface AimetEncodingsInput {
  activations: ReadonlyMap<string, TensorEncoding>;
  params: ReadonlyMap<string, TensorEncoding>;
  quantizerArgs?: AimetQuantizerArgs;
  excludedLayers?: readonly string[];
}

/** Kinds of problems, for code that reacts to them (tests, the UI's choice of help text). */
export type AimetEncodingsErrorCode =
  | 'not-json'
  | 'not-object'
  | 'version'
  | 'missing-key'
  | 'wrong-type'
  | 'bad-value'
  | 'length-mismatch'
  | 'duplicate'
  | 'unsupported'
  | 'limit'
  | 'internal';

/**
 * The one error type of this module. The message names the file, the place in it and the fix.
 *
 * @example
 * try { parseAimetEncodings(text, 'model.encodings'); }
 * catch (e) { if (e instanceof AimetEncodingsError) show(e.problem, e.path, e.hint); }
 */
export class AimetEncodingsError extends QuantLensError<AimetEncodingsErrorCode> {
  override readonly name = 'AimetEncodingsError';
  constructor(
    code: AimetEncodingsErrorCode,
    readonly fileName: string,
    problem: string,
    hint: string,
    /** Where in the file, e.g. `activation_encodings[3].scale` or `param_encodings["fc.weight"][0].offset`. */
    readonly path?: string,
  ) {
    super(
      code,
      problem,
      hint,
      path ? `${fileName} ${path}` : fileName,
      `${fileName}: ${problem}${path ? ` (at ${path})` : ''}. ${hint}`,
    );
  }

  /** Plain-object form for crossing a worker boundary. */
  override toJSON(): ErrorReport & { code: AimetEncodingsErrorCode; fileName: string; path?: string } {
    return {
      code: this.code,
      fileName: this.fileName,
      problem: this.problem,
      hint: this.hint,
      path: this.path,
      message: this.message,
    };
  }
}

/** Largest file accepted, in characters of text (256 MiB). */
export const AIMET_MAX_CHARS = 256 * 1024 * 1024;
/** Largest number of tensor entries (activations plus params) accepted. */
export const AIMET_MAX_ENTRIES = 1_000_000;

/** Size limits for {@link parseAimetEncodings}; the defaults are the exported constants. */
export interface AimetParseLimits {
  maxChars?: number;
  maxEntries?: number;
}

/** Whether a tensor encoding is a float one. */
export function isFloatEncoding(enc: TensorEncoding): enc is FloatEncoding {
  return enc.dtype === 'float';
}
