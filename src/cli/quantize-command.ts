/**
 * `quantlens quantize MODEL ...`: the app's quantizer on the command line. Writes the QDQ model
 * and the AIMET encodings, prints the plan's findings (same schema as `check`) and SQNR.
 */
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { loadRulePack } from '../../rules/registry';
import type { TensorClass } from '../core/quant/inputs';
import { loadNodeRuntime } from './runtime';
import {
  isConfigName,
  CONFIG_NAMES,
  CONFIGS,
  backendLimits,
  configArchNote,
  DEFAULT_CALIBRATION,
  DEFAULT_OPTIONS,
  MAX_CALIBRATION_SAMPLES,
} from '../core/quant/configs';
import { BACKENDS, DEFAULT_BACKEND, DEFAULT_SOC, isBackend } from '../../rules/backends';
import { DEFAULT_FLOW, FLOWS, isFlow } from '../../rules/types';
import type { CalibrationSample } from '../core/quant/expose';
import { inputTensor, parseNpy, NpyError, type FedInput, type NpyArray } from '../core/quant/npy';
import { parseTensorFile, tensorFileInput } from '../core/quant/tensor-file';
import { Engine } from '../core/session/engine';
import { countsText, errorSourceText, errorTraceText, sqnrCaveat, sqnrText } from '../core/report/report-text';
import type { ErrorTrace } from '../core/quant/error-trace';
import type { QuantizeSettings } from '../core/session/api';
import { oneModelProblem, parseArgs } from './args';
import { startProgress, type Progress } from './progress';
import { EXIT, externalDataBeside, fileError, fileSha256, outputProblem, type Io } from './io';

export const QUANTIZE_USAGE = `  quantlens quantize MODEL.onnx --out-qdq OUT.onnx --out-encodings OUT.encodings [options]

Quantize options:
  --config NAME            ${CONFIG_NAMES.join(', ')} (default 8a8w)
  --soc MODEL              SoC the plan is validated for (default ${DEFAULT_SOC.htp})
  --override PATTERN=CFG   nodes whose name matches the regular expression use CFG (or "float"); repeatable
  --shape INPUT=1,3,224,224  fix an input's dynamic dimensions (others are guessed: an image's
                           height and width 224, else 1, and the run says so); repeatable
  --calib N                random calibration samples with a fixed seed, 1 to ${MAX_CALIBRATION_SAMPLES} (default ${DEFAULT_CALIBRATION.samples})
  --value INPUT=NUMBER     the random samples hold NUMBER in every element of INPUT (a sample rate,
                           a state of zeros; random integers are 0 to 9); repeatable
  --seed N                 seed of the random samples (default ${DEFAULT_CALIBRATION.seed})
  --inputs DIR             calibration inputs: DIR/*.npy or *.pb (one file per sample, single-input
                           models), or a folder per sample of <input>.npy files or .pb tensors
                           (ONNX's test_data_set_<k> folders)
  --observer minmax|moving-average|percentile   (default minmax)
  --per-channel-linear     per-channel Gemm/linear weights (HTP keeps them per tensor; see rules)
  --per-channel-embedding  per-channel embedding tables (Gather of a constant)
  --block-size N           LPBQ block size for 16a4w_block (default 32)
  --flow qnn|ort|executorch  deployment flow the plan is judged for, as for check (default qnn)
  --fix-sizes              write the inputs' dynamic dimensions as the sizes calibration ran at
                           (--shape, the --inputs files, or the guesses), so the export has the static
                           shapes ONNX Runtime's QNN EP needs (as make_dynamic_shape_fixed does)
  --trace-error            say where the SQNR is lost: every quantized activation compared between
                           the float model and the export on the samples, and the nodes where it
                           falls 6 dB or more against their inputs, with the cause and what to change
  --progress               the phase and its share done on stderr in a pipe or CI log too, a line per
                           phase and one every 10 s (a terminal shows one live line anyway)
  --strict / --no-strict   as for check
  --format text|json       json prints the check report of the plan plus "sqnr" (and "errorTrace")
`;

/**
 * Calibration samples from `dir`: `.npy` or ONNX TensorProto `.pb` files directly in it (one per
 * sample, single-input models), or one folder per sample holding `<input>.npy` files or `.pb`
 * tensors (ONNX's test data: `test_data_set_0/input_0.pb`, each tensor named after its input or
 * numbered in input order).
 */
async function calibrationSamples(
  dir: string,
  inputs: readonly FedInput[],
  Tensor: TensorClass,
): Promise<CalibrationSample[]> {
  const entries = (await readdir(dir)).sort();
  const toTensor = (a: NpyArray, file: string, input: FedInput) => inputTensor(Tensor, a, file, input);
  const read = async (file: string) => new Uint8Array(await readFile(file));
  const samples: CalibrationSample[] = [];
  for (const e of entries) {
    const full = join(dir, e);
    if ((await stat(full)).isDirectory()) {
      const sample: CalibrationSample = {};
      const files = (await readdir(full)).sort();
      for (const f of files.filter((f) => /\.pb$/i.test(f))) {
        // ONNX's test data also holds the expected outputs (output_<k>.pb): not inputs.
        if (/^output_\d+\.pb$/i.test(f)) continue;
        const file = join(full, f);
        const t = parseTensorFile(await read(file), file);
        const input = tensorFileInput(t, file, inputs);
        sample[input.name] = toTensor(t, file, input);
      }
      for (const input of inputs) {
        if (sample[input.name]) continue;
        const file = join(full, `${input.name.replace(/[/\\:]/g, '_')}.npy`);
        const bytes = await readFile(file).catch(() => {
          throw new NpyError(`${full} has no ${basename(file)} (nor a .pb tensor) for input "${input.name}"`);
        });
        sample[input.name] = toTensor(parseNpy(new Uint8Array(bytes), file), file, input);
      }
      samples.push(sample);
    } else if (/\.(npy|pb)$/i.test(e)) {
      if (inputs.length !== 1)
        throw new NpyError(
          `${dir}: the model has ${inputs.length} inputs; put each sample in its own folder with one <input>.npy per input, or its .pb tensors (ONNX's test_data_set_<k> folders)`,
        );
      const bytes = await read(full);
      samples.push({
        [inputs[0]!.name]: toTensor(
          /\.pb$/i.test(e) ? parseTensorFile(bytes, full) : parseNpy(bytes, full),
          full,
          inputs[0]!,
        ),
      });
    }
  }
  if (samples.length === 0) throw new NpyError(`${dir} holds no .npy or .pb calibration inputs`);
  return samples;
}

export async function quantizeCommand(rest: readonly string[], io: Io): Promise<number> {
  const progress: { current?: Progress } = {};
  try {
    return await quantizeRun(rest, io, progress);
  } finally {
    progress.current?.done();
  }
}

async function quantizeRun(rest: readonly string[], io: Io, progress: { current?: Progress }): Promise<number> {
  const args = parseArgs(rest, {
    values: [
      'config',
      'soc',
      'calib',
      'seed',
      'inputs',
      'observer',
      'out-qdq',
      'out-encodings',
      'format',
      'block-size',
      'backend',
      'flow',
    ],
    flags: [
      'strict',
      'no-strict',
      'per-channel-linear',
      'per-channel-embedding',
      'fix-sizes',
      'trace-error',
      'progress',
    ],
    multi: ['override', 'shape', 'value'],
    words: ['config', 'observer', 'format', 'backend', 'flow'],
  });
  const o = args.options;
  const fail = (msg: string) => {
    progress.current?.done();
    io.stderr.write(`quantlens quantize: ${msg}\n`);
    return EXIT.usage;
  };
  const modelProblem = oneModelProblem(args.positional);
  if (modelProblem) return fail(`${modelProblem}. Run quantlens --help.`);
  const config = (o.get('config') as string | undefined) ?? '8a8w';
  if (!isConfigName(config)) return fail(`--config must be one of ${CONFIG_NAMES.join(', ')}, not "${config}"`);
  const outQdq = o.get('out-qdq') as string | undefined;
  const outEnc = o.get('out-encodings') as string | undefined;
  if (!outQdq && !outEnc) return fail('give --out-qdq and/or --out-encodings: where to write the result');
  const format = (o.get('format') as string | undefined) ?? 'text';
  const flow = (o.get('flow') as string | undefined) ?? DEFAULT_FLOW;
  if (!isFlow(flow)) return fail(`--flow must be ${FLOWS.join(', ')}, not "${flow}"`);
  if (format !== 'text' && format !== 'json') return fail(`--format must be text or json, not "${format}"`);
  const observer = (o.get('observer') as string | undefined) ?? 'minmax';
  if (!['minmax', 'moving-average', 'percentile'].includes(observer))
    return fail(`--observer must be minmax, moving-average or percentile, not "${observer}"`);
  const int = (name: string, dflt: number) => {
    const v = o.get(name) as string | undefined;
    if (v === undefined) return dflt;
    if (!/^\d+$/.test(v)) throw new Error(`--${name} must be a whole number, not "${v}"`);
    return Number(v);
  };
  let calib: number, seed: number, blockSize: number;
  try {
    calib = int('calib', DEFAULT_CALIBRATION.samples);
    if (calib < 1 || calib > MAX_CALIBRATION_SAMPLES)
      throw new Error(
        `--calib must be from 1 to ${MAX_CALIBRATION_SAMPLES.toLocaleString('en-US')} random samples, not ${calib}`,
      );
    seed = int('seed', DEFAULT_CALIBRATION.seed);
    blockSize = int('block-size', DEFAULT_OPTIONS.blockSize);
    if (blockSize < 1) throw new Error(`--block-size must be 1 or more input channels, not ${blockSize}`);
  } catch (err) {
    return fail((err as Error).message);
  }
  const overrides = [];
  for (const spec of args.lists.get('override') ?? []) {
    const at = spec.lastIndexOf('=');
    const cfg = spec.slice(at + 1);
    if (at <= 0 || !(cfg === 'float' || isConfigName(cfg)))
      return fail(
        `--override takes PATTERN=CONFIG with CONFIG one of float, ${CONFIG_NAMES.join(', ')} (got "${spec}")`,
      );
    overrides.push({ pattern: spec.slice(0, at), config: cfg as QuantizeSettings['config'] | 'float' });
  }
  // The blocks apply to the config and to the overrides that name a block config.
  const blockConfigs = CONFIG_NAMES.filter((c) => CONFIGS[c].block);
  if (
    o.has('block-size') &&
    !CONFIGS[config].block &&
    !overrides.some((ov) => ov.config !== 'float' && CONFIGS[ov.config].block)
  )
    return fail(
      `--block-size sets the LPBQ blocks of ${blockConfigs.join(', ')}; --config ${config} has none and no --override names one (add --config ${blockConfigs[0]})`,
    );
  const shapes: Record<string, number[]> = {};
  for (const spec of args.lists.get('shape') ?? []) {
    const m = /^(.+)=(\d+(?:,\d+)*)$/.exec(spec);
    if (!m) return fail(`--shape takes INPUT=D1,D2,... (got "${spec}")`);
    shapes[m[1]!] = m[2]!.split(',').map(Number);
  }
  const values: Record<string, number> = {};
  for (const spec of args.lists.get('value') ?? []) {
    const at = spec.lastIndexOf('=');
    const text = spec.slice(at + 1).trim();
    const value = Number(text);
    if (at <= 0 || text === '' || !Number.isFinite(value))
      return fail(`--value takes INPUT=NUMBER, such as sr=16000 (got "${spec}")`);
    values[spec.slice(0, at)] = value;
  }
  if (outQdq && outEnc && resolve(outQdq) === resolve(outEnc))
    return fail(`--out-qdq and --out-encodings name the same file (${outQdq}): give each its own`);
  for (const out of [outQdq, outEnc]) {
    const problem = out && outputProblem(out, args.positional[0]!);
    if (problem) return fail(problem);
  }
  const backend = (o.get('backend') as string | undefined) ?? DEFAULT_BACKEND;
  if (!isBackend(backend)) return fail(`--backend must be ${BACKENDS.join(' or ')}, not "${backend}"`);
  const pack = await loadRulePack(backend);

  const path = args.positional[0]!;
  let file: { name: string; contents: Uint8Array };
  try {
    const bytes = await readFile(path);
    file = { name: basename(path), contents: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
  } catch (err) {
    return fail(`cannot read ${path}: ${fileError(err)}`);
  }
  const runtime = await loadNodeRuntime();
  const engine = new Engine(runtime, { sha256: fileSha256(path), drawings: false });
  const shown = (progress.current = startProgress(io.stderr, {
    command: 'quantlens quantize',
    log: !!o.get('progress'),
  }));
  let loaded = await engine.openFiles([file], shown.update);
  // Weights in external-data files: opened again with the files it names beside it.
  const sides = loaded.ok ? await externalDataBeside(path, loaded.summary.externalFiles) : [];
  if (sides.length) loaded = await engine.openFiles([file, ...sides], shown.update);
  if (!loaded.ok) return fail(loaded.error.message);
  let samples: CalibrationSample[] | undefined;
  const inputsDir = o.get('inputs') as string | undefined;
  if (inputsDir && Object.keys(values).length)
    return fail(
      '--value fills the random samples; --inputs gives whole samples, whose files hold every value: use one or the other',
    );
  if (inputsDir) {
    try {
      samples = await calibrationSamples(inputsDir, loaded.summary.inputs, runtime.Tensor);
    } catch (err) {
      return fail((err as Error).message);
    }
  }
  const settings: QuantizeSettings = {
    backend,
    soc: ((o.get('soc') as string | undefined) ?? pack.defaultSoc).toUpperCase(),
    strict: !o.get('no-strict'),
    flow,
    config,
    perChannelConv: DEFAULT_OPTIONS.perChannelConv,
    perChannelLinear: !!o.get('per-channel-linear'),
    perChannelEmbedding: !!o.get('per-channel-embedding'),
    actSymmetric: false,
    blockSize,
    overrides,
    calibration: { samples: calib, seed, observer: observer as 'minmax' },
    shapes,
    values,
    samples,
    fixSizes: !!o.get('fix-sizes'),
  };
  const out = await engine.quantize(settings, shown.update);
  if (!out.ok) return fail(out.error.message);
  for (const [path, kind] of [
    [outQdq, 'qdq'],
    [outEnc, 'aimet-1.0.0'],
  ] as const) {
    if (!path) continue;
    const a = await engine.exportArtifact(kind);
    if (!a.ok) return fail(a.error.message);
    try {
      await writeFile(path, a.bytes);
    } catch (err) {
      return fail(`cannot write ${path}: ${fileError(err)}`);
    }
  }
  let trace: ErrorTrace | undefined;
  if (o.get('trace-error')) {
    const traced = await engine.traceError(shown.update);
    if (!traced.ok) return fail(traced.error.message);
    trace = traced.trace;
  }
  shown.done();
  if (format === 'json') {
    // Each output's figure (null where it is not finite), the float output it was measured on,
    // and when that output is a few steps of its encoding, the steps and what they mean.
    // The selection's figures rounded as the output's are.
    const sqnr = out.sqnr.map((s) => {
      const note = [s.sizes ? sqnrText(s.db, s.sizes) : undefined, sqnrCaveat(s)].filter(Boolean).join(' ');
      const sel = s.selection;
      return {
        output: s.output,
        db: Number.isFinite(s.db) ? Number(s.db.toFixed(2)) : null,
        ...(s.range ? { range: s.range } : {}),
        ...(s.rms !== undefined ? { rms: s.rms } : {}),
        ...(s.coarse ? { coarse: s.coarse } : {}),
        ...(s.sizes ? { sizes: s.sizes } : {}),
        ...(sel
          ? {
              selection: {
                ...sel,
                ...(sel.db !== undefined ? { db: Number(sel.db.toFixed(2)) } : {}),
                ...(sel.lowest ? { lowest: { ...sel.lowest, db: Number(sel.lowest.db.toFixed(2)) } } : {}),
              },
            }
          : {}),
        ...(note ? { note } : {}),
      };
    });
    const { calibration, assumed, fixedSizes, notes, floatNodes } = out;
    // Figures that are not finite (an exact match, a tensor zero throughout) are null, as the SQNR's.
    const finite = (db: number) => (Number.isFinite(db) ? Number(db.toFixed(2)) : null);
    const errorTrace = trace && {
      samples: trace.samples,
      runs: trace.runs,
      inGraph: trace.inGraph,
      samplesInGraph: trace.samplesInGraph,
      sources: trace.sources.map((s) => ({
        ...s,
        db: finite(s.db),
        inputDb: finite(s.inputDb),
        drop: finite(s.drop),
        ownDb: finite(s.ownDb),
        text: errorSourceText(s),
      })),
      tensors: trace.tensors.map((t) => ({ ...t, db: finite(t.db), ownDb: finite(t.ownDb) })),
      text: errorTraceText(trace),
      ...(trace.wider
        ? { wider: { ...trace.wider, db: finite(trace.wider.db), widerDb: finite(trace.wider.widerDb) } }
        : {}),
    };
    io.stdout.write(
      `${JSON.stringify({ ...out.report, config, sqnr, calibration, assumed, fixedSizes, floatNodes, notes, ...(errorTrace ? { errorTrace } : {}) }, null, 2)}\n`,
    );
  } else {
    const r = out.result;
    const soc = pack.socs.find((x) => x.model === r.soc);
    const archNote = soc ? configArchNote(config, backendLimits(pack), soc) : undefined;
    io.stdout.write(
      [
        `QuantLens quantize: ${file.name} · ${config} · SoC ${r.soc} (${r.arch}) · flow ${r.flow} · ${r.strict ? 'strict' : 'lenient'}`,
        // What the app's Config menu says of a config this SoC refuses; the findings below name the nodes.
        ...(archNote ? [`config: ${archNote.text}`] : []),
        ...out.assumed.map((a) => `assumed: ${a}`),
        ...out.fixedSizes.map((a) => `fixed size: ${a}`),
        `calibration: ${
          samples
            ? `${samples.length} sample${samples.length === 1 ? '' : 's'} from ${inputsDir}`
            : `${calib} random samples (seed ${seed})${
                Object.keys(values).length
                  ? `, ${Object.entries(values)
                      .map(([k, v]) => `${k} = ${v}`)
                      .join(', ')}`
                  : ''
              }`
        }, observer ${observer}`,
        `quantized tensors: ${out.quantizedTensors}; Q/DQ domain: ${out.qdqDomain}`,
        ...(out.floatNodes.length ? [floatNodesLine(out.floatNodes)] : []),
        ...out.sqnr.map((s) => {
          const caveat = sqnrCaveat(s);
          return `SQNR ${s.output}: ${sqnrText(s.db, s.sizes)}${caveat ? `\n  note: ${caveat}` : ''}`;
        }),
        ...(trace
          ? [`error trace: ${errorTraceText(trace)}`, ...trace.sources.map((s) => `  ${errorSourceText(s)}`)]
          : []),
        ...out.notes.map((n) => `note: ${n}`),
        `${r.verdict.toUpperCase()}: ${countsText(r.counts)}`,
        // Each with its fix: `quantlens check` of the export gives the rest (expected, actual, source).
        ...r.findings.map((f) => `  ${f.severity} ${f.rule} ${f.node}: ${f.message}\n    fix: ${f.fix}`),
        ...(outQdq ? [`wrote ${outQdq}`] : []),
        ...(outEnc ? [`wrote ${outEnc}`] : []),
        '',
      ].join('\n'),
    );
  }
  return out.result.verdict === 'fail' ? EXIT.fail : EXIT.pass;
}

/** Most nodes kept in float the text names (the rest are counted; the JSON lists every one). */
const FLOAT_NODES_NAMED = 10;

/** The plan's nodes kept in float, in one line: how many, then each one's name and why. */
function floatNodesLine(nodes: readonly { name: string; reason: string }[]): string {
  const named = nodes.slice(0, FLOAT_NODES_NAMED).map((n) => `${n.name} (${n.reason})`);
  const more = nodes.length - named.length;
  return `kept in float: ${nodes.length} node${nodes.length === 1 ? '' : 's'}: ${named.join('; ')}${more > 0 ? `; and ${more} more` : ''}`;
}
