/**
 * Writes a synthetic decoder-only transformer of a chosen size, for benchmarks and for trying
 * the viewer on big graphs. Nothing it writes belongs in the repository.
 *
 *   tsx scripts/gen-large-model.ts --nodes 10000 [--qdq] [--uint8] [--external]
 *     [--weights-gb 2] [--layernorm] [--flaw-every 8] --out DIR
 */
import { UsageError, parseArgs } from '../src/cli/args';
import { generateLargeModel } from './large-model/generate';

const USAGE = `usage: tsx scripts/gen-large-model.ts --nodes N --out DIR [options]

  --nodes N          target node count (Q/DQ nodes included); e.g. 1000, 10000, 100000
  --out DIR          output folder (created if missing)
  --qdq              write the QDQ model (default: float)
  --uint8            8-bit activations in the QDQ model (default uint16)
  --external         put weights of 1 KiB and more in <name>.onnx.data
  --weights-gb G     widen the model so its weights total about G GiB, streamed to external data
  --layernorm        LayerNormalization instead of RMSNorm (Pow/ReduceMean/Sqrt/Div/Mul)
  --flaw-every K     every K-th layer's Sigmoid gets a wrong output encoding (validator findings)
  --name NAME        file base name (default decoder-<size>-<kind>)`;

function main(argv: string[]): number {
  let args;
  try {
    args = parseArgs(argv, {
      values: ['nodes', 'out', 'weights-gb', 'flaw-every', 'name'],
      flags: ['qdq', 'uint8', 'external', 'layernorm', 'help'],
    });
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
  const nodes = Number(o.get('nodes'));
  const out = o.get('out');
  const gb = o.get('weights-gb') === undefined ? undefined : Number(o.get('weights-gb'));
  const flawEvery = Number(o.get('flaw-every') ?? 0);
  if (!(nodes > 0) || typeof out !== 'string' || (gb !== undefined && !(gb > 0)) || !(flawEvery >= 0)) {
    console.error(`--nodes and --out are required; numbers must be positive\n\n${USAGE}`);
    return 2;
  }
  const m = generateLargeModel({
    nodes,
    outDir: out,
    qdq: Boolean(o.get('qdq')),
    activation: o.get('uint8') ? 'uint8' : 'uint16',
    external: Boolean(o.get('external')),
    weightsGiB: gb,
    norm: o.get('layernorm') ? 'layernorm' : 'rms',
    flawEvery,
    name: typeof o.get('name') === 'string' ? (o.get('name') as string) : undefined,
  });
  const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
  console.log(
    `${m.modelPath}: ${m.nodes} nodes (target ${nodes}), ${m.shape.layers} layers, hidden ${m.shape.hidden}, ${m.shape.heads} heads`,
  );
  console.log(
    `  .onnx ${mib(m.modelBytes)}; weights ${mib(m.weightBytes)}${m.dataPath ? `; external data ${mib(m.externalBytes)} in ${m.dataPath}` : ' inline'}; ${(m.ms / 1000).toFixed(1)} s`,
  );
  return 0;
}

process.exitCode = main(process.argv.slice(2));
