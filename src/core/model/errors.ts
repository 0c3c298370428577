/**
 * Typed, human-readable load errors. Every load path either returns a model or throws one of
 * these; the message always names the file, what went wrong, and what to do about it.
 */

export type ModelLoadErrorCode =
  | 'empty-file'
  | 'not-onnx'
  | 'truncated'
  | 'malformed'
  | 'unsupported'
  | 'external-data'
  | 'limit'
  | 'fetch'
  | 'engine'
  /** A newer open started before this one finished; its result is dropped. */
  | 'superseded';

/**
 * The base of every error QuantLens shows a person: a stable `code`, the `problem` in one sentence,
 * a `hint` saying what to do, and `where` it was found (a file, a path in a file, a field of a
 * link). Load errors, AIMET file errors, share-link errors, constraint-pack errors and unknown-SoC
 * errors all extend it, so the UI and the CLI present them one way.
 */
export class QuantLensError<C extends string = string> extends Error {
  override readonly name: string = 'QuantLensError';
  constructor(
    readonly code: C,
    /** What went wrong, in one sentence. */
    readonly problem: string,
    /** What the user can do about it. */
    readonly hint: string,
    /** Where: a file name, a path inside a file, a field of a link. */
    readonly where?: string,
    message?: string,
  ) {
    super(message ?? `${where ? `${where}: ` : ''}${problem}. ${hint}`);
  }

  /** Plain-object form for crossing a worker boundary. */
  toJSON(): ErrorReport {
    return errorReport(this.code, this.problem, this.hint, this.where, this.message);
  }
}

/**
 * A {@link QuantLensError} whose problem is one finished sentence that already says what to do
 * (a bad calibration file, an unknown override pattern): the message is that sentence as written.
 */
export class SentenceError<C extends string = string> extends QuantLensError<C> {
  constructor(code: C, sentence: string, where?: string) {
    super(code, sentence, '', where, sentence);
  }
}

/**
 * A {@link QuantLensError} as plain data: what every failed engine answer carries (`{ ok: false,
 * error }`), so the UI and the CLI show any failure the same way. `message` is the whole sentence.
 */
export interface ErrorReport {
  code: string;
  problem: string;
  hint: string;
  where?: string;
  message: string;
}

/** Builds an {@link ErrorReport}; the message is "where: problem. hint" unless given. */
export function errorReport(
  code: string,
  problem: string,
  hint: string,
  where?: string,
  message?: string,
): ErrorReport {
  const report: ErrorReport = {
    code,
    problem,
    hint,
    message:
      message ?? `${where ? `${where}: ` : ''}${problem}${/[.!?]$/.test(problem) ? '' : '.'}${hint ? ` ${hint}` : ''}`,
  };
  if (where !== undefined) report.where = where;
  return report;
}

/** The report of a caught error: a QuantLensError keeps its own parts; anything else gets `code`. */
export function reportOf(err: unknown, code: string, lead: string, hint: string): ErrorReport {
  if (err instanceof QuantLensError) return err.toJSON();
  const text = err instanceof Error ? err.message : String(err);
  return errorReport(code, `${lead}: ${text}`, hint);
}

export class ModelLoadError extends QuantLensError<ModelLoadErrorCode> {
  override readonly name = 'ModelLoadError';
  constructor(
    code: ModelLoadErrorCode,
    readonly fileName: string,
    problem: string,
    hint: string,
    /** Byte offset in the file where the problem was found, when known. */
    readonly offset?: number,
  ) {
    super(
      code,
      problem,
      hint,
      fileName,
      `${fileName}: ${problem}${offset !== undefined ? ` (at byte ${offset})` : ''}. ${hint}`,
    );
  }

  /** Plain-object form for crossing a worker boundary. */
  override toJSON(): SerializedLoadError {
    return {
      code: this.code,
      fileName: this.fileName,
      where: this.fileName,
      problem: this.problem,
      hint: this.hint,
      offset: this.offset,
      message: this.message,
    };
  }
}

/** A load error as plain data: an {@link ErrorReport} that also names the file and the byte offset. */
export interface SerializedLoadError extends ErrorReport {
  code: ModelLoadErrorCode;
  fileName: string;
  offset?: number;
}

/** Reconstructs a {@link ModelLoadError} from its serialized form, or wraps anything else. */
export function toLoadError(err: unknown, fileName: string): ModelLoadError {
  if (err instanceof ModelLoadError) return err;
  if (err && typeof err === 'object' && 'code' in err && 'problem' in err && 'hint' in err) {
    const e = err as SerializedLoadError;
    return new ModelLoadError(e.code, e.fileName, e.problem, e.hint, e.offset);
  }
  const text = err instanceof Error ? err.message : String(err);
  return new ModelLoadError(
    'malformed',
    fileName,
    `could not be read: ${text}`,
    'Check that the file is an ONNX model saved completely.',
  );
}
