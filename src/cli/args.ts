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
  spec: { values: string[]; flags: string[]; multi?: string[] },
): ParsedArgs {
  const positional: string[] = [];
  const options = new Map<string, string | boolean>();
  const lists = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
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
      options.set(name, value);
    } else {
      throw new UsageError(`unknown option --${name}`);
    }
  }
  return { positional, options, lists };
}

/** The options of `quantlens check`: its command and the starter that hashes its model ahead (early.ts). */
export const CHECK_OPTIONS = {
  values: ['encodings', 'backend', 'soc', 'flow', 'constraints', 'format', 'link'],
  flags: ['strict', 'no-strict', 'help'],
};
