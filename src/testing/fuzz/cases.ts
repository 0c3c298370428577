/**
 * The fuzz cases of a run: a pure function of (seed, case index, corpus), so any case can be
 * rebuilt alone for reproduction. The first cases sweep truncations across every boundary class
 * of a few bases; the rest mutate a random base at protobuf level, byte level, or both.
 *
 * @example
 * const c = makeCase(loadCorpus(), 20251124, 417);
 * readOnnx(c.bytes, { fileName: c.fileName, limits: c.limits });
 */
import { onnx } from '../../core/model/onnx/generated/onnx-pb.js';
import type { LoadLimits } from '../../core/model/limits';
import { mutateBytes, truncateAt } from './byte-mutators';
import type { Corpus, CorpusEntry } from './corpus';
import { Prng } from './prng';
import { encodeModel, mutateProto, type MutationEnv } from './proto-mutators';
import { BOUNDARY_CLASSES, boundaries, scanFields, type BoundaryClass } from './wire';

/** The seed of CI runs; change it only on purpose (it changes every case). */
export const DEFAULT_SEED = 20251124;
/** Cases per CI run (the requirement is at least 10,000). */
export const DEFAULT_CASE_COUNT = 12_000;

export interface FuzzCase {
  index: number;
  seed: number;
  /** The corpus entry it started from. */
  base: string;
  /** The mutations, in order (`nest:Ifx100`, `truncate:in-length@123`, ...). */
  labels: string[];
  /** The mutator family of the first mutation, for the per-family table. */
  family: string;
  fileName: string;
  bytes: Uint8Array;
  /** Files dropped together with the model (external-data targets and decoys). */
  files: { name: string; bytes: Uint8Array }[];
  /** Limits to load under (empty: the defaults). */
  limits: Partial<LoadLimits>;
}

/**
 * Bases of the truncation sweep: a QDQ sample (with multi-byte varints), a model with sub-graphs,
 * one with raw weights, and a tiny one whose every field is a boundary.
 */
const SWEEP_BASES = [
  'samples/transformer-block.qdq.onnx',
  'libonnx/node/test_if/model.onnx',
  'libonnx/pytorch-converted/test_Conv2d/model.onnx',
  'libonnx/node/test_argmax_negative_axis_keepdims_example/model.onnx',
];
/** Cuts per (base, boundary class), spread evenly over the file. */
const SWEEP_PER_CLASS = 60;

interface SweepCut {
  base: CorpusEntry;
  cls: BoundaryClass;
  at: number;
}

const sweeps = new WeakMap<Corpus, SweepCut[]>();

/** The truncation sweep: for each base and boundary class, up to SWEEP_PER_CLASS cuts. */
export function truncationSweep(corpus: Corpus): SweepCut[] {
  let plan = sweeps.get(corpus);
  if (plan) return plan;
  plan = [];
  const all = [...corpus.samples, ...corpus.libonnx];
  for (const name of SWEEP_BASES) {
    const base = all.find((e) => e.name === name);
    if (!base) continue;
    const fields = scanFields(base.bytes);
    for (const cls of BOUNDARY_CLASSES) {
      const cuts = boundaries(fields, cls);
      const step = Math.max(1, cuts.length / SWEEP_PER_CLASS);
      for (let k = 0; k < cuts.length && k / step < SWEEP_PER_CLASS; k += step)
        plan.push({ base, cls, at: cuts[Math.floor(k)]! });
    }
  }
  sweeps.set(corpus, plan);
  return plan;
}

function pickBase(corpus: Corpus, rng: Prng): CorpusEntry {
  // Samples carry QDQ encodings (what the validator reads), so they get a third of the cases.
  return rng.chance(0.33) || !corpus.libonnx.length ? rng.pick(corpus.samples) : rng.pick(corpus.libonnx);
}

/** Builds case `index` of the run with `seed`. */
export function makeCase(corpus: Corpus, seed: number, index: number): FuzzCase {
  const fileName = `case-${index}.onnx`;
  const sweep = truncationSweep(corpus);
  if (index < sweep.length) {
    const cut = sweep[index]!;
    return {
      index,
      seed,
      base: cut.base.name,
      labels: [`truncate:${cut.cls}@${cut.at}`],
      family: 'truncate-sweep',
      fileName,
      bytes: truncateAt(cut.base.bytes, cut.at),
      files: [],
      limits: {},
    };
  }
  const rng = Prng.forCase(seed, index);
  const base = pickBase(corpus, rng);
  const mode = rng.weighted([
    ['bytes', 35],
    ['proto', 50],
    ['both', 15],
  ] as const);
  const env: MutationEnv = { files: new Map(), limits: {} };
  const labels: string[] = [];
  let bytes = base.bytes;
  if (mode !== 'bytes') {
    const model = onnx.ModelProto.decode(base.bytes);
    labels.push(
      ...mutateProto(
        model,
        rng,
        env,
        rng.weighted([
          [1, 6],
          [2, 3],
          [3, 1],
        ] as const),
      ),
    );
    bytes = encodeModel(model);
  }
  if (mode !== 'proto') {
    const m = mutateBytes(bytes, rng);
    labels.push(m.label);
    bytes = m.bytes;
  }
  const family = labels[0]!.split(/[:(]/)[0]!;
  return {
    index,
    seed,
    base: base.name,
    labels,
    family: mode === 'both' ? `${family}+bytes` : family,
    fileName,
    bytes,
    files: [...env.files].map(([name, data]) => ({ name, bytes: data })),
    limits: env.limits,
  };
}
