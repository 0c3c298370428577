/** Command-line parsing: `--flag value`, `--flag=value`, booleans, and positional arguments. */

export class UsageError extends Error {}

export interface ParsedArgs {
  positional: string[];
  options: Map<string, string | boolean>;
  /** Options that may repeat, in order. */
  lists: Map<string, string[]>;
}

export function parseArgs(
  argv: readonly string[],
  spec: {
    values: string[];
    flags: string[];
    multi?: string[];
    /** Value options that take a lowercase word (--format json): read in any case (JSON, HTP). */
    words?: string[];
  },
): ParsedArgs {
  const positional: string[] = [];
  const options = new Map<string, string | boolean>();
  const lists = new Map<string, string[]>();
  const known = [...spec.values, ...spec.flags, ...(spec.multi ?? [])];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    // After `--`, everything is a file (a model named "-x.onnx").
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--')) {
      if (arg === '-h' && spec.flags.includes('help')) {
        options.set('help', true);
        continue;
      }
      // Any other short option (-o, -x, -soc): none exists, and taken as a file it would only
      // surface later as a count of model files that puzzles.
      if (/^-[^-\d.]/.test(arg)) throw new UsageError(`unknown option ${arg}${suggest(arg.slice(1), known, true)}`);
      positional.push(arg);
      continue;
    }
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    if (spec.flags.includes(name)) {
      if (inline !== undefined) throw new UsageError(`--${name} takes no value`);
      options.set(name, true);
    } else if (spec.multi?.includes(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined || (inline === undefined && value.startsWith('--')))
        throw new UsageError(`--${name} needs a value`);
      lists.set(name, [...(lists.get(name) ?? []), value]);
    } else if (spec.values.includes(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined || (inline === undefined && value.startsWith('--')))
        throw new UsageError(`--${name} needs a value`);
      options.set(name, spec.words?.includes(name) ? value.toLowerCase() : value);
    } else {
      throw new UsageError(`unknown option --${name}${suggest(name, known, false)}`);
    }
  }
  return { positional, options, lists };
}

/** Why `positional` is not one model file, or undefined when it is. */
export function oneModelProblem(positional: readonly string[]): string | undefined {
  if (positional.length === 1) return undefined;
  if (positional.length === 0) return 'give a model file';
  const shown = positional.slice(0, 4).map((p) => JSON.stringify(p));
  const more = positional.length > 4 ? `, and ${positional.length - 4} more` : '';
  return `give exactly one model file (got ${positional.length}: ${shown.join(', ')}${more})`;
}

/**
 * " (did you mean --a or --b?)" for the options `typed` most likely meant: those it begins (--out
 * for --out-qdq) or that it misspells by at most two letters; for a one-letter option (-o), those
 * whose name starts with its letter. Empty when none is close.
 */
export function suggest(typed: string, known: readonly string[], short: boolean): string {
  const t = typed.toLowerCase();
  const near =
    short && t.length === 1
      ? known.filter((k) => k.startsWith(t))
      : known.filter((k) => (t.length >= 2 && k.startsWith(t)) || editDistance(t, k) <= Math.min(2, t.length >> 1));
  const listed = near.slice(0, 4).map((k) => `--${k}`);
  const say = listed.length > 1 ? `${listed.slice(0, -1).join(', ')} or ${listed[listed.length - 1]}` : listed[0];
  if (short)
    return say
      ? ` (options are spelt out with two dashes: did you mean ${say}?)`
      : ' (options are spelt out with two dashes)';
  return say ? ` (did you mean ${say}?)` : '';
}

/** Edits from `a` to `b`: insertions, deletions, substitutions and swaps of two neighbours (--sco). */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const row = d[i]!;
      row[j] = Math.min(d[i - 1]![j]! + 1, row[j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        row[j] = Math.min(row[j]!, d[i - 2]![j - 2]! + 1);
    }
  return d[a.length]![b.length]!;
}

/** The options of `quantlens check`: its command and the starter that hashes its model ahead (early.ts). */
export const CHECK_OPTIONS = {
  values: ['encodings', 'backend', 'soc', 'flow', 'constraints', 'format', 'link'],
  flags: ['strict', 'no-strict', 'help', 'progress'],
  words: ['backend', 'flow', 'format'],
};

/** A path as a POSIX shell reads it back: as it is when it is plain, else in single quotes. */
export function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
