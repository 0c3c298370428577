/** What every CLI command writes to, and the exit codes they share. */
import { accessSync, constants, openAsBlob, openSync, readSync, realpathSync, statSync, type Stats } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { normalizeExternalLocation } from '../core/model/external-data';
import type { ReadRange } from '../core/io/skeleton';
import type { OpenFile } from '../core/session/api';
import { hashFile } from './file-hash';

/** The streams a command writes to; tests pass string sinks. */
export interface Io {
  /** isTTY: a terminal, which a whole HTML page is not written to (check --format html). */
  stdout: { write(s: string): unknown; isTTY?: boolean };
  /** isTTY: a terminal, where a long command shows what it is doing (progress.ts). */
  stderr: { write(s: string): unknown; isTTY?: boolean };
}

/** 0 pass (or pass with warnings), 1 fail, 2 bad input or usage. */
export const EXIT = { pass: 0, fail: 1, usage: 2 } as const;

/**
 * SHA-256 with Node's own crypto: twice as fast as WebCrypto here (92 ms against 178 ms for 44 MB).
 * Imported when needed: the hashing thread does the work, and loading node:crypto cost every
 * command about 8 ms of its start.
 */
async function nodeSha256(bytes: Uint8Array): Promise<string> {
  const { createHash } = await import('node:crypto');
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * SHA-256 of a file, read and hashed on a worker thread while this one parses and checks. If the
 * thread fails, the file is hashed here: from `file` (the engine's handle on it; the bytes in hand
 * are only its skeleton when its weights were left in the file) or else from `bytes`.
 */
export function fileSha256(path: string): (bytes: Uint8Array, file?: Blob) => Promise<string> {
  const digest = hashFile(path);
  return (bytes, file) => digest.catch(async () => nodeSha256(file ? new Uint8Array(await file.arrayBuffer()) : bytes));
}

/**
 * Ranges of a file read with positioned reads on one descriptor, kept open for the process (the
 * command runs once). Reading IS-Net's skeleton took 51 Blob reads, about 70 ms of waiting in all.
 * Each read costs microseconds, so the skeleton walk reads only the headers it parses and copies
 * each range it keeps straight into the skeleton (`into`): IS-Net's walk read 5.2 MB for its 3.4 MB
 * skeleton instead of 6.8 MB in slices that were then copied.
 */
export function fileRanges(path: string): ReadRange & { into: NonNullable<ReadRange['into']> } {
  let fd: number | undefined;
  const into = (from: number, to: number, out: Uint8Array, at: number) => {
    fd ??= openSync(path, 'r');
    for (let done = 0; done < to - from;) {
      const n = readSync(fd, out, at + done, to - from - done, from + done);
      if (n === 0)
        throw new RangeError(`${path} ended at byte ${from + done}, before ${to}: was it changed while being read?`);
      done += n;
    }
  };
  const read = (from: number, to: number) => {
    const out = new Uint8Array(Math.max(0, to - from));
    into(from, from + out.length, out, 0);
    return out;
  };
  return Object.assign(read, { into });
}

/**
 * The side files a model names (`locations`: external-data files, context binaries) that sit
 * beside it, as onnx.load and ONNX Runtime find them: opened as file-backed Blobs, read only where
 * needed. A file that is missing is left out; the run then says which one to provide.
 */
export async function externalDataBeside(modelPath: string, locations: readonly string[]): Promise<OpenFile[]> {
  const out: OpenFile[] = [];
  for (const location of locations) {
    const norm = normalizeExternalLocation(location);
    if (!norm.ok) continue;
    const side = join(dirname(modelPath), norm.path);
    try {
      if (statSync(side).isFile()) out.push(new File([await openAsBlob(side)], norm.path));
    } catch {
      // Not there: the run names it.
    }
  }
  return out;
}

/** What went wrong with a file, in words, from Node's error (its code where it has one). */
export function fileError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a folder, not a file';
    case 'ENOTDIR':
      return 'a part of its path is a file, not a folder';
    case 'ENOSPC':
      return 'the disk is full';
    case 'EDQUOT':
      return 'the disk quota is used up';
    case 'EROFS':
      return 'the file system is read-only';
    case 'ENAMETOOLONG':
      return 'the name is too long';
    default:
      return (err as Error | undefined)?.message ?? String(err);
  }
}

/**
 * Why `path` cannot take a command's output, or undefined when it can: asked before the command
 * does its work, so that a quantization of minutes is not lost on a mistyped folder at the end.
 * `model` is the file the command reads, which an output must not replace.
 */
export function outputProblem(path: string, model?: string): string | undefined {
  const where = resolve(path);
  let existing: Stats | undefined;
  try {
    existing = statSync(where);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return `cannot write ${path}: ${fileError(err)}`;
  }
  if (existing?.isDirectory()) return `cannot write ${path}: it is a folder; give a file name in it`;
  try {
    if (existing && model !== undefined && realpathSync(where) === realpathSync(model))
      return `cannot write ${path}: it is the model this command reads; write to another file, or the model is replaced`;
  } catch {
    // A model that cannot be resolved is reported where it is read.
  }
  const folder = dirname(where);
  try {
    if (!statSync(folder).isDirectory()) return `cannot write ${path}: ${folder} is a file, not a folder`;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT'
      ? `cannot write ${path}: the folder ${folder} does not exist`
      : `cannot write ${path}: ${fileError(err)}`;
  }
  try {
    accessSync(existing ? where : folder, constants.W_OK);
  } catch (err) {
    return `cannot write ${path}: ${existing ? '' : `in ${folder}: `}${fileError(err)}`;
  }
  return undefined;
}
