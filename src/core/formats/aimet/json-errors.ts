/** Where a JSON syntax error is (line and column), since JSON.parse does not always say. */
import { AimetEncodingsError } from './types';

/** Turns JSON.parse's complaint into a located one; finds the spot itself, as V8 does not always say. */
export function jsonError(fileName: string, text: string, err: unknown): AimetEncodingsError {
  const raw = err instanceof Error ? err.message : String(err);
  // A binary file (a model, a .npy tensor, an archive) read as text: its "syntax error" would quote
  // replacement characters at line 1.
  if (looksBinary(text))
    return new AimetEncodingsError(
      'not-json',
      fileName,
      'is binary data, not JSON text',
      "An AIMET .encodings file is the JSON text AIMET's export writes beside the model (model.encodings): choose that file. A QDQ model carries its own encodings and needs none.",
    );
  let offset = findJsonError(text);
  if (offset === undefined) {
    const m = /position (\d+)/.exec(raw);
    if (m) offset = Number(m[1]);
  }
  if (offset === undefined)
    return new AimetEncodingsError(
      'not-json',
      fileName,
      `is not valid JSON (${raw})`,
      'Check that the file was saved completely.',
    );
  const { line, column } = lineColumn(text, offset);
  const where = `line ${line}, column ${column}`;
  const bad = /^-?(NaN|Infinity)/.exec(text.slice(offset, offset + 10));
  if (bad) {
    return new AimetEncodingsError(
      'not-json',
      fileName,
      `contains ${bad[0]} at ${where}, which Python's json module writes but JSON does not allow`,
      'A quantizer was probably never calibrated (no data reached it). Re-export after calibration, or disable that quantizer.',
    );
  }
  if (offset >= text.length) {
    return new AimetEncodingsError(
      'not-json',
      fileName,
      `is not valid JSON: it ends at ${where} before the JSON is complete`,
      'The file looks cut short; copy or download it again.',
    );
  }
  return new AimetEncodingsError(
    'not-json',
    fileName,
    `is not valid JSON: unexpected ${JSON.stringify(text.slice(offset, offset + 12))} at ${where}`,
    'Fix the JSON syntax there (a missing comma or quote, or a trailing comma, is the usual cause).',
  );
}

/**
 * Whether `text` starts like bytes that are not text: among its first 512 characters, at least 4
 * (and 2%) that no JSON text holds (U+FFFD from bytes that are not UTF-8, or control characters
 * other than tab, line feed and carriage return).
 */
export function looksBinary(text: string): boolean {
  const n = Math.min(text.length, 512);
  let odd = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0xfffd || (c < 32 && c !== 9 && c !== 10 && c !== 13)) odd++;
  }
  return odd >= 4 && odd >= n * 0.02;
}

export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

export class JsonStop {
  constructor(readonly at: number) {}
}

/** Offset of the first JSON syntax error in text, or undefined when it finds none (or nests too deep). */
export function findJsonError(text: string): number | undefined {
  const n = text.length;
  let i = 0;
  const number = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  const ws = (): void => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) i++;
      else break;
    }
  };
  const str = (): void => {
    const start = i++;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 34) {
        i++;
        return;
      }
      if (c === 92) {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) throw new JsonStop(i);
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else throw new JsonStop(i);
      } else if (c < 0x20) throw new JsonStop(i);
      else i++;
    }
    throw new JsonStop(start);
  };
  const value = (): void => {
    ws();
    if (i >= n) throw new JsonStop(i);
    const c = text[i];
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      ws();
      if (text[i] === close) {
        i++;
        return;
      }
      for (;;) {
        if (c === '{') {
          ws();
          if (text[i] !== '"') throw new JsonStop(i);
          str();
          ws();
          if (text[i] !== ':') throw new JsonStop(i);
          i++;
        }
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === close) {
          i++;
          return;
        }
        throw new JsonStop(i);
      }
    }
    if (c === '"') return str();
    for (const lit of ['true', 'false', 'null']) {
      if (text.startsWith(lit, i)) {
        i += lit.length;
        return;
      }
    }
    number.lastIndex = i;
    if (number.exec(text) && number.lastIndex > i) {
      i = number.lastIndex;
      return;
    }
    throw new JsonStop(i);
  };
  try {
    value();
    ws();
    return i < n ? i : undefined;
  } catch (e) {
    if (e instanceof JsonStop) return e.at;
    return undefined; // too deep for the stack: report without a position
  }
}

// --- field readers -----------------------------------------------------------------------------
