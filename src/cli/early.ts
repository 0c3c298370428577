/**
 * What the built command line does before it loads the engine (bin/quantlens.cjs runs it from
 * build-cli/early.cjs, a bundle of this module alone): for `quantlens check MODEL`, start hashing
 * the model on a worker thread. The thread then starts while the engine's code is compiled
 * (about 40 ms) instead of after, and the hash is ready when the check is: on a 44 MB model the
 * command used to wait about 45 ms for it.
 */
import { CHECK_OPTIONS, parseArgs } from './args';
import { startHash } from './file-hash';

/** The model file `argv` checks, when it is a check the command will run; else undefined. */
export function checkedModel(argv: readonly string[]): string | undefined {
  const [command, ...rest] = argv;
  if (command !== 'check') return undefined;
  try {
    const args = parseArgs(rest, CHECK_OPTIONS);
    return args.positional.length === 1 && !args.options.get('help') ? args.positional[0] : undefined;
  } catch {
    return undefined;
  }
}

/** Starts what `argv`'s command will need first; never throws (the command reports its own errors). */
export function startEarly(argv: readonly string[]): void {
  const model = checkedModel(argv);
  if (model === undefined) return;
  try {
    startHash(model);
  } catch {
    // The command hashes the file itself.
  }
}
