/**
 * Making intermediate tensors visible to calibration: either their ranges, computed inside the
 * graph (ReduceMin/ReduceMax outputs), or the tensors themselves as extra graph outputs (untyped:
 * onnxruntime reports each one's actual type). Free of any runtime import, so the worker and
 * Node share it.
 */
import type * as ortTypes from 'onnxruntime-common';
import { dtypeCode } from '../model/dtype';
import type { Dim } from '../model/types';
import { onnx } from '../model/onnx/generated/onnx-pb.js';
import { appendToGraph, attr, freshNamer, makeAttribute, makeTensor, writeOnnx } from '../model/write-onnx';

/** One calibration sample: graph input name -> tensor. */
export type CalibrationSample = Record<string, ortTypes.Tensor>;

/**
 * A range-augmented model. Its one added float32 output, `ranges`, holds what the graph computed of
 * the observed tensors block by block, each block `blocks[b]` tensors (the next ones in
 * `tensors`). In min/max mode a block is their minima, then their maxima (read it with
 * {@link eachRange}); in tails mode their `tails.k[b]` largest values each, then their `k[b]`
 * smallest, then the block's row count and row length (read it with {@link eachTail}).
 */
export interface RangeModel {
  bytes: Uint8Array;
  tensors: string[];
  /** Name of the float32 output (empty when nothing is observed). */
  ranges: string;
  blocks: number[];
  /** Tails mode: how many of the largest and of the smallest values each block's tensors give. */
  tails?: { k: number[] };
}

/** Calls `visit` with each of `model`'s tensors and its minimum and maximum read from `ranges`. */
export function eachRange(
  model: RangeModel,
  ranges: ArrayLike<number>,
  visit: (tensor: string, lo: number, hi: number) => void,
): void {
  let at = 0;
  let t = 0;
  for (const k of model.blocks) {
    for (let j = 0; j < k; j++) visit(model.tensors[t + j]!, Number(ranges[at + j]), Number(ranges[at + k + j]));
    at += 2 * k;
    t += k;
  }
}

/**
 * Calls `visit` with each of a tails-mode `model`'s tensors, its largest values (descending), its
 * smallest (ascending) and its length on this run, read from `ranges`.
 */
export function eachTail(
  model: RangeModel,
  ranges: Float32Array,
  visit: (tensor: string, his: Float32Array, los: Float32Array, numel: number) => void,
): void {
  let at = 0;
  let t = 0;
  model.blocks.forEach((n, b) => {
    const k = model.tails!.k[b]!;
    const numel = ranges[at + 2 * n * k + 1]!;
    for (let j = 0; j < n; j++)
      visit(
        model.tensors[t + j]!,
        ranges.subarray(at + j * k, at + (j + 1) * k),
        ranges.subarray(at + (n + j) * k, at + (n + j + 1) * k),
        numel,
      );
    at += 2 * n * k + 2;
    t += n;
  });
}

/**
 * The one output of the range nodes, a Concat of each block's minima then maxima. onnxruntime runs
 * a graph in the order of a depth-first walk back from its last node, taking each node's input of
 * the highest index first: the block whose nodes come last in `graph.node` is computed first.
 * Callers add the blocks' nodes from the last made to the first, so each block's reductions run
 * as soon as its tensors exist and free them; added in graph order, every observed tensor stayed
 * alive to the end of the run (31 MB on a 10k-node decoder, which made each copy into a block
 * several times slower).
 */
function rangesOutput(node: AddNode, extremes: [string, string][]): string {
  return concatInOrder(node, extremes.flat(), '__quantlens_ranges');
}

/**
 * One Concat (along the first axis) of `inputs`, joined in parts of {@link RANGES_FAN_IN} when
 * they are many, so that onnxruntime's walk computes them in the order given (see rangesOutput).
 */
export function concatInOrder(node: AddNode, all: readonly string[], base: string): string {
  let inputs = [...all];
  // Joined in parts first when they are many: with one reduction pair per tensor of a 10k-node
  // decoder (16k inputs to one Concat), onnxruntime took 38 s to create the session, 33 s in parts
  // of 64 (and 6 s with each part's reductions placed beside their tensors: augmentWithRanges).
  // The parts are added from the last to the first, so that the walk takes the first part (the
  // first-made blocks) first, as it takes the blocks.
  while (inputs.length > RANGES_FAN_IN) {
    const parts: string[] = [];
    for (let at = Math.floor((inputs.length - 1) / RANGES_FAN_IN) * RANGES_FAN_IN; at >= 0; at -= RANGES_FAN_IN) {
      const part = inputs.slice(at, at + RANGES_FAN_IN);
      parts[at / RANGES_FAN_IN] = part.length === 1 ? part[0]! : node('Concat', part, `${base}_part`, axis0());
    }
    inputs = parts;
  }
  return inputs.length === 1 ? inputs[0]! : node('Concat', inputs, base, axis0());
}

/** A Concat's attribute: along the first axis. */
const axis0 = () => [makeAttribute('axis', attr.int(0))];

/** Most inputs of one Concat joining the range nodes' results (see rangesOutput). */
const RANGES_FAN_IN = 64;

const FLOAT16 = dtypeCode('float16');

/** The decoded model and what both range augmentations need of it; undefined below opset 6. */
function openForRanges(modelBytes: Uint8Array, caller: string) {
  const model = onnx.ModelProto.decode(modelBytes);
  const graph = model.graph as onnx.GraphProto | null;
  if (!graph) throw new Error(`${caller}: the model has no graph`);
  const opset = Number(model.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx')?.version ?? 0);
  if (opset < 6) return undefined;
  const produced = new Set<string>();
  for (const n of graph.node) for (const o of n.output ?? []) if (o) produced.add(o);
  return { model, graph, opset, produced, write: appendedWriter(modelBytes, model, graph) };
}

/**
 * Writes `model` (decoded from `modelBytes`) once nodes, outputs and initializers have been pushed
 * onto `graph` (nothing else changed): the original bytes with the new items added to the graph
 * (appendToGraph), the model's weights copied rather than encoded again. `after` places a new
 * node right after one of the graph's own (by index; see appendToGraph), else it goes at the end.
 */
function appendedWriter(modelBytes: Uint8Array, model: onnx.ModelProto, graph: onnx.GraphProto) {
  const before = { node: graph.node.length, output: graph.output.length, initializer: graph.initializer.length };
  return (after?: ReadonlyMap<onnx.INodeProto, number>) => {
    const node = graph.node.slice(before.node);
    const placed = appendToGraph(
      modelBytes,
      {
        node,
        output: graph.output.slice(before.output),
        initializer: graph.initializer.slice(before.initializer),
      },
      after && node.map((n) => after.get(n)),
    );
    // Bytes protobufjs decoded but the wire walk cannot follow: encoded again, the new nodes at
    // the end (the same model, slower for onnxruntime to take).
    return placed ?? writeOnnx(model);
  };
}

/** Adds a node of one output to the graph being written; returns the output's name. */
export type AddNode = (opType: string, input: string[], base: string, attribute?: onnx.IAttributeProto[]) => string;

/** An {@link AddNode} that names each node and output afresh and collects the nodes in `added`. */
export function nodeAdder(fresh: (base: string) => string, added: onnx.NodeProto[]): AddNode {
  return (opType, input, base, attribute = []) => {
    const out = fresh(base);
    added.push(new onnx.NodeProto({ name: fresh(`${base}_node`), opType, input, output: [out], attribute }));
    return out;
  };
}

/**
 * The minimum and maximum of `tensor` over every axis where it is (ReduceMin, ReduceMax), each a
 * float32 vector of one value for the outputs' Concat (`one`: an int64 [1] shape constant; a
 * float16 tensor's are cast).
 */
function wholeExtremes(node: AddNode, tensor: string, base: string, half: boolean, one: string): [string, string] {
  const [lo, hi] = (['ReduceMin', 'ReduceMax'] as const).map((op) => {
    let v = node(op, [tensor], `${base}_${op}`, [makeAttribute('keepdims', attr.int(0))]);
    if (half) v = node('Cast', [v], `${v}_f32`, [makeAttribute('to', attr.int(1))]);
    return node('Reshape', [v, one], `${v}_1`);
  });
  return [lo!, hi!];
}

/**
 * The model with a ReduceMin and a ReduceMax (over all axes) on each of `tensors`, gathered by one
 * Concat into one float32 output (blocks of one tensor): calibration reads one short vector per
 * sample instead of copying every activation out of the runtime (as ONNX Runtime's own calibrator
 * augments a model), and one output rather than thousands (each output costs a copy out of the
 * wasm heap). Tensors the main graph does not produce are left out. Needs opset 6 or later
 * (Reshape with a shape input, Cast with an integer `to`); undefined below that.
 */
export function augmentWithRanges(modelBytes: Uint8Array, tensors: Iterable<string>): RangeModel | undefined {
  const opened = openForRanges(modelBytes, 'augmentWithRanges');
  if (!opened) return undefined;
  const { graph, produced, write } = opened;
  const fresh = freshNamer(graph);
  // Concat wants one element type: half-precision tensors are cast to float32 first.
  const hasHalf =
    graph.initializer.some((t) => t.dataType === FLOAT16) ||
    [...graph.input, ...graph.output, ...graph.valueInfo].some((v) => v.type?.tensorType?.elemType === FLOAT16) ||
    graph.node.some(
      (n) => n.opType === 'Cast' && (n.attribute ?? []).some((a) => a.name === 'to' && Number(a.i) === FLOAT16),
    );
  const one = fresh('__quantlens_shape_1');
  graph.initializer.push(new onnx.TensorProto(makeTensor(one, [1], [1], 'int64')));
  // In the order the graph makes them; their nodes are added from the last to the first.
  const position = new Map<string, number>();
  graph.node.forEach((n, i) => {
    for (const o of n.output ?? []) if (o) position.set(o, i);
  });
  const list = [...new Set(tensors)].filter((t) => produced.has(t));
  list.sort((a, b) => position.get(a)! - position.get(b)!);
  if (list.length === 0) return { bytes: modelBytes, tensors: [], ranges: '', blocks: [] };
  const added: onnx.NodeProto[] = [];
  const node = nodeAdder(fresh, added);
  const extremes: [string, string][] = [];
  // The reductions of the tensors whose results one part of the join takes (see rangesOutput)
  // are placed right after the node that makes the part's last tensor, the first-made tensor's
  // last: onnxruntime creates the session several times faster than with them at the end of the
  // node list (10k-node decoder, 8,075 tensors: 5.9 s against 26-32 s; runs no slower), and its
  // walk still reduces each tensor as soon as it is made.
  const perPart = RANGES_FAN_IN / 2;
  const after = new Map<onnx.INodeProto, number>();
  for (let i = list.length - 1; i >= 0; i--) {
    const from = added.length;
    extremes[i] = wholeExtremes(node, list[i]!, `${list[i]}__quantlens`, hasHalf, one);
    const partLast = list[Math.min(list.length, (Math.floor(i / perPart) + 1) * perPart) - 1]!;
    for (const n of added.slice(from)) after.set(n, position.get(partLast)!);
  }
  const ranges = rangesOutput(node, extremes);
  graph.node = [...graph.node, ...added];
  graph.output = [...graph.output, new onnx.ValueInfoProto({ name: ranges })];
  return { bytes: write(after), tensors: list, ranges, blocks: list.map(() => 1) };
}

/** A block of {@link exposeJoined}: `members`, `numel` values each, one after another. */
export interface JoinedBlock {
  output: string;
  members: string[];
  numel: number;
}

/** Most tensors one Concat of {@link exposeJoined} joins. */
const JOIN_FAN_IN = 64;

/**
 * The model with `tensors` (node outputs of the main graph, each of a size every sample gives it)
 * read out in blocks: tensors of one size and type concatenated along their first axis, at most
 * {@link JOIN_FAN_IN} a block, each block an output. A run then hands over a few hundred outputs
 * instead of one per tensor: onnxruntime-web looks through its fetches for every value it makes,
 * and copies each output out on its own (10k-node decoder, 9,991 traced tensors: 9 runs took
 * 0.85-0.99 s joined against 2.1-2.7 s one output each, and the session 1.1-1.7 s against
 * 1.9-2.0). A scalar is an output of its own. Undefined below opset 6.
 */
export function exposeJoined(
  modelBytes: Uint8Array,
  tensors: ReadonlyMap<string, { dims: readonly number[]; type: string }>,
): { bytes: Uint8Array; blocks: JoinedBlock[] } | undefined {
  const opened = openForRanges(modelBytes, 'exposeJoined');
  if (!opened) return undefined;
  const { graph, produced, write } = opened;
  const open = new Map<string, JoinedBlock & { last: number }>();
  const blocks: (JoinedBlock & { last: number })[] = [];
  for (const [position, n] of graph.node.entries())
    for (const tensor of n.output ?? []) {
      const t = tensor ? tensors.get(tensor) : undefined;
      if (!t || !produced.has(tensor)) continue;
      const key = t.dims.length ? `${t.type}:${t.dims.join('x')}` : `scalar:${tensor}`;
      let block = open.get(key);
      if (!block || block.members.length >= JOIN_FAN_IN) {
        block = { output: tensor, members: [], numel: t.dims.reduce((a, b) => a * b, 1), last: position };
        open.set(key, block);
        blocks.push(block);
      }
      block.members.push(tensor);
      block.last = position;
    }
  const fresh = freshNamer(graph);
  const added: onnx.NodeProto[] = [];
  const node = nodeAdder(fresh, added);
  // Added from the block made last to the first: onnxruntime's walk back from the last node then
  // joins each block as soon as its members exist (see rangesOutput).
  blocks.sort((x, y) => x.last - y.last);
  for (let b = blocks.length - 1; b >= 0; b--) {
    const block = blocks[b]!;
    if (block.members.length > 1) block.output = node('Concat', block.members, '__quantlens_joined', axis0());
  }
  graph.node.push(...added);
  const listed = new Set(graph.output.map((o) => o.name));
  for (const block of blocks)
    if (!listed.has(block.output)) graph.output.push(new onnx.ValueInfoProto({ name: block.output }));
  return { bytes: write(), blocks: blocks.map(({ output, members, numel }) => ({ output, members, numel })) };
}

/**
 * Each member's values out of a run of an {@link exposeJoined} model: views into its block's
 * output, `read` turning an output into numbers (outputNumbers). A block of another length than
 * its members' sizes is an error: the sizes were not the ones the run gave.
 */
export function splitJoined(
  blocks: readonly JoinedBlock[],
  outputs: Readonly<Record<string, ortTypes.Tensor>>,
  read: (t: ortTypes.Tensor | undefined) => ArrayLike<number> | undefined,
): Map<string, ArrayLike<number>> {
  const values = new Map<string, ArrayLike<number>>();
  for (const block of blocks) {
    const data = read(outputs[block.output]);
    if (!data) continue;
    if (data.length !== block.members.length * block.numel)
      throw new Error(
        `splitJoined: ${block.output} holds ${data.length} values, not ${block.members.length} of ${block.numel}`,
      );
    block.members.forEach((m, i) => {
      const [from, to] = [i * block.numel, (i + 1) * block.numel];
      values.set(
        m,
        ArrayBuffer.isView(data)
          ? (data as Float32Array).subarray(from, to)
          : Array.prototype.slice.call(data, from, to),
      );
    });
  }
  return values;
}

/** The model with the given main-graph node outputs (or all of them) also listed as graph outputs. */
export function exposeTensors(modelBytes: Uint8Array, tensors?: ReadonlySet<string>): Uint8Array {
  return exposeTensorsOf(modelBytes, tensors).bytes;
}

/**
 * {@link exposeTensors}, plus the size every sample gives each named (symbolic) dimension of the
 * graph's inputs: passed to onnxruntime as free dimension overrides, they let its shape inference
 * give the exposed tensors their sizes before a run (InferenceSession.outputMetadata), which tells
 * the tensors whose first dimension the inputs fix from those whose length follows the values
 * (NonZero, a boolean mask). A name the samples size differently, or that two inputs use with
 * different sizes, is left free.
 */
export function exposeTensorsForShapes(
  modelBytes: Uint8Array,
  tensors: ReadonlySet<string>,
  samples: readonly CalibrationSample[],
): ExposedForShapes {
  return exposeTensorsOf(modelBytes, tensors, samples);
}

export interface ExposedForShapes {
  bytes: Uint8Array;
  freeDimensionOverrides: Record<string, number>;
  /** Every dimension of every graph input is a number in the model or set by the overrides. */
  inputsSized: boolean;
}

function exposeTensorsOf(
  modelBytes: Uint8Array,
  tensors?: ReadonlySet<string>,
  samples?: readonly CalibrationSample[],
): ExposedForShapes {
  const model = onnx.ModelProto.decode(modelBytes);
  const graph = model.graph as onnx.GraphProto | null;
  if (!graph) throw new Error('exposeTensors: the model has no graph');
  const write = appendedWriter(modelBytes, model, graph);
  const outputs = [...graph.output] as onnx.ValueInfoProto[];
  const listed = new Set(outputs.map((o) => o.name));
  for (const node of graph.node ?? [])
    for (const name of node.output ?? [])
      if (name && !listed.has(name) && (!tensors || tensors.has(name))) {
        outputs.push(new onnx.ValueInfoProto({ name }));
        listed.add(name);
      }
  graph.output = outputs;
  const freeDimensionOverrides = sampleDimSizes(
    graph.input.map((input) => ({
      name: input.name ?? '',
      shape: (input.type?.tensorType?.shape?.dim ?? []).map((d) => d.dimParam || null),
    })),
    samples ?? [],
  );
  const initializers = new Set(graph.initializer.map((t) => t.name));
  const inputsSized =
    !!samples?.length &&
    graph.input.every(
      (input) =>
        initializers.has(input.name ?? '') ||
        (input.type?.tensorType?.shape?.dim ?? [{}]).every((d) =>
          d.dimParam ? freeDimensionOverrides[d.dimParam] !== undefined : d.dimValue != null && Number(d.dimValue) >= 0,
        ),
    );
  return { bytes: write(), freeDimensionOverrides, inputsSized };
}

/**
 * The size every sample gives each named dimension of the graph inputs `inputs` (a dimension's
 * name is a string in `shape`), for onnxruntime's free dimension overrides: a session so created
 * knows the sizes of most tensors before a run. A name the samples size differently, or that two
 * inputs use with different sizes, is left out.
 */
export function sampleDimSizes(
  inputs: readonly { name: string; shape?: readonly Dim[] }[],
  samples: readonly CalibrationSample[],
): Record<string, number> {
  const sizes = new Map<string, number | null>();
  for (const input of samples.length ? inputs : [])
    (input.shape ?? []).forEach((d, j) => {
      if (typeof d !== 'string' || !d) return;
      for (const sample of samples) {
        const size = sample[input.name]?.dims[j];
        const known = sizes.get(d);
        if (size === undefined || (known !== undefined && known !== size)) sizes.set(d, null);
        else sizes.set(d, size);
      }
    });
  const out: Record<string, number> = {};
  for (const [name, size] of sizes) if (size !== null) out[name] = size;
  return out;
}

/**
 * A dimension onnxruntime inferred (InferenceSession.outputMetadata): it reads an unknown one as
 * 2^32 - 1 (-1 as an unsigned 32-bit number), a named one as its name.
 */
export const knownDim = (d: unknown): d is number => typeof d === 'number' && d >= 0 && d < 2 ** 32 - 1;

/** What calibration saw of an observed tensor on its first sample. */
export interface TensorShape {
  /**
   * Undefined when only a run would tell (onnxruntime inferred the type but not every dimension
   * before one): such a tensor is reduced on its own, which needs no size (nor allows a percentile's
   * tails, whose length follows it).
   */
  dims?: readonly number[];
  type: 'float32' | 'float16';
  /**
   * Whether every sample gives the tensor this first dimension (onnxruntime inferred it, before the
   * first run, from the inputs' sizes). A group concatenates its members along it and cuts the
   * result into one row per member: a member whose first dimension moved would shift its
   * neighbours' rows without any error (a change in another dimension fails the Concat, and the
   * caller falls back). A tensor whose first dimension follows its values (NonZero, a boolean mask)
   * is reduced on its own, whatever its size on a later sample.
   */
  firstDimFixed: boolean;
}

/**
 * Largest sum of the observed activations that go into groups (the others are reduced where they
 * are) one sample may hold for the grouped augmentation.
 */
export const GROUPED_MAX_BYTES = 256 * 2 ** 20;
/** Largest single concatenation (bytes) in the grouped augmentation. */
const GROUP_MAX_BYTES = 32 * 2 ** 20;
/**
 * Bytes from which an observed tensor is reduced on its own, where it is, rather than copied into a
 * group (min/max only).
 */
const ALONE_BYTES = 64 * 2 ** 10;
/**
 * Most tensors one Concat of the grouped augmentation joins. Shorter blocks free their members
 * sooner and their reductions read memory still in cache: on the 10k-node decoder (5,576 measured
 * tensors of 4 KB), 32 took a sample in 1.41-1.51x plain inference against 1.48-1.60x for 128,
 * three alternations each; PP-OCRv4's recogniser, the 1k decoder and the percentile observer's
 * tails did not move. onnxruntime-web reduces at 0.5-0.7 ns a value, a scalar loop, and has no
 * faster way to a minimum and a maximum: TopK (k = 1, each end) took about twice as long,
 * GlobalMaxPool of the rows and of their negation three times, and reading the rows out to take
 * both in JavaScript longer than the two reductions.
 */
const GROUP_FAN_IN = 32;

/**
 * The model with the ranges of `shapes`' tensors computed in a handful of nodes: tensors of the
 * same shape and type are concatenated, reshaped to one row each and reduced along the rows
 * (Concat, Reshape, ReduceMin, ReduceMax per group), then the groups' results are joined into one
 * float32 output. A tensor of {@link ALONE_BYTES} or more is reduced where it is instead (the
 * copy into a group cost PP-OCRv4's recogniser, 134 MB of observed activations, about 8% of each
 * calibration sample). A node costs some microseconds however small its tensor, so on a model of many
 * small tensors (a 10k-node decoder) one ReduceMin/ReduceMax pair per tensor cost four times the
 * inference itself; a group costs about as much as one tensor. Needs each tensor's shape from a
 * first sample. Members of a group share a first dimension that every sample keeps
 * ({@link TensorShape.firstDimFixed}; any other tensor is a group of its own), so a later sample of
 * other sizes either keeps each member's row whole or fails the Concat, and the caller falls back
 * to {@link augmentWithRanges}. Undefined below opset 6, or when the observed tensors copied into
 * groups hold more than {@link GROUPED_MAX_BYTES} (each stays alive until its group's Concat).
 *
 * `exactRows`: the sizes were worked out from the graph, not inferred by onnxruntime, and every
 * sample has them: each block is cut into rows of exactly its members' size, so that a size worked
 * out wrong fails the run (the caller falls back) rather than shift one member's values into
 * another's row.
 *
 * With `tails`, each group gives the `tails(numel)` largest and smallest values of each of its rows
 * (TopK, and TopK of the negation) in place of the minimum and maximum, plus its shape, for the
 * percentile observer: the only values a percentile of the calibration samples can fall on.
 */
export function augmentWithGroupedRanges(
  modelBytes: Uint8Array,
  shapes: ReadonlyMap<string, TensorShape>,
  tails?: (numel: number) => number,
  exactRows = false,
): RangeModel | undefined {
  const opened = openForRanges(modelBytes, 'augmentWithGroupedRanges');
  if (!opened) return undefined;
  const { graph, opset, produced, write } = opened;
  // Groups of one shape and type, in the order the graph produces their tensors, closed every
  // GROUP_FAN_IN members: a Concat can run (and free its inputs) as soon as its members exist.
  // One Concat over every tensor of a shape kept them all alive to the end, and onnxruntime took
  // 20 s to plan the session of a 10k-node decoder so augmented (2.9 s for the model alone).
  const groups = new Map<
    string,
    { type: TensorShape['type']; dims?: readonly number[]; alone: boolean; members: string[][]; last: number[] }
  >();
  let total = 0;
  for (const [position, n] of graph.node.entries())
    for (const tensor of n.output ?? []) {
      const s = tensor ? shapes.get(tensor) : undefined;
      if (!s || !produced.has(tensor)) continue;
      if (!s.dims && tails) return undefined;
      const numel = s.dims?.reduce((a, b) => a * b, 1) ?? 0;
      // Always empty: nothing to observe (and an empty row has no minimum).
      if (numel === 0 && s.firstDimFixed && s.dims) continue;
      const bytes = numel * (s.type === 'float16' ? 2 : 4);
      // A tensor whose first dimension may change, or whose size is not known yet, is a group of
      // its own: one row, however long. So is a large one, for min/max: copying it into a group
      // costs more than the two nodes that reduce it where it is.
      const alone = !tails && (!s.firstDimFixed || !s.dims || bytes >= ALONE_BYTES);
      // Only a tensor copied into a group waits for its group's Concat; one reduced where it is
      // is freed as soon as its readers are done (IS-Net at 1024x1024: 2 GB of observed
      // activations a sample, nearly all reduced where they are).
      if (!alone) total += bytes;
      if (total > GROUPED_MAX_BYTES) return undefined;
      const key = alone
        ? `alone:${tensor}`
        : s.firstDimFixed && s.dims
          ? `${s.type}:${s.dims.join('x')}`
          : `dynamic:${tensor}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { type: s.type, dims: s.dims, alone, members: [[]], last: [] }));
      let last = g.members[g.members.length - 1]!;
      if (last.length >= GROUP_FAN_IN || (last.length > 0 && (last.length + 1) * bytes > GROUP_MAX_BYTES))
        g.members.push((last = []));
      last.push(tensor);
      // Where the graph makes the block's last member.
      g.last[g.members.length - 1] = position;
    }
  if (groups.size === 0) return { bytes: modelBytes, tensors: [], ranges: '', blocks: [] };
  const fresh = freshNamer(graph);
  const added: onnx.NodeProto[] = [];
  const node = nodeAdder(fresh, added);
  const constant = (base: string, values: number[]) => {
    const name = fresh(base);
    graph.initializer.push(new onnx.TensorProto(makeTensor(name, values, [values.length], 'int64')));
    return name;
  };
  // ReduceMin/ReduceMax take their axes as an input from opset 18, as an attribute before.
  const axesInput = opset >= 18 ? constant('__quantlens_axis_1', [1]) : undefined;
  const reduce = (op: 'ReduceMin' | 'ReduceMax', rows: string, base: string) =>
    node(op, axesInput ? [rows, axesInput] : [rows], `${base}_${op}`, [
      makeAttribute('keepdims', attr.int(0)),
      ...(axesInput ? [] : [makeAttribute('axes', attr.ints([1]))]),
    ]);
  /**
   * The k largest values of each row, descending, or (`smallest`, opset 11 on) the k smallest,
   * ascending; flattened (TopK along the rows).
   */
  const topK = (rows: string, k: number, base: string, smallest = false) => {
    const values = fresh(`${base}_top`);
    const attribute = [makeAttribute('axis', attr.int(1))];
    if (smallest) attribute.push(makeAttribute('largest', attr.int(0)));
    // K is an input from opset 10, an attribute before.
    const input = opset >= 10 ? [rows, constant(`${base}_k`, [k])] : [rows];
    if (opset < 10) attribute.push(makeAttribute('k', attr.int(k)));
    added.push(
      new onnx.NodeProto({
        name: fresh(`${base}_topk`),
        opType: 'TopK',
        input,
        output: [values, fresh(`${base}_top_index`)],
        attribute,
      }),
    );
    return node('Reshape', [values, constant(`${base}_flat`, [-1])], `${base}_top_flat`);
  };
  const one = () => (oneShape ??= constant('__quantlens_shape_1', [1]));
  let oneShape: string | undefined;
  const blocks = [...groups.values()].flatMap((g) => g.members.map((members, b) => ({ g, members, last: g.last[b]! })));
  /** The rows of a block: its members concatenated, one row each. */
  const rowsOf = (g: (typeof blocks)[number]['g'], members: string[], base: string) => {
    // A scalar has no axis to concatenate along: each becomes a row of one first.
    const inputs =
      g.dims?.length === 0 ? members.map((m) => node('Reshape', [m, constant(`${base}_r`, [1])], `${m}_1`)) : members;
    const joined = inputs.length === 1 ? inputs[0]! : node('Concat', inputs, `${base}_concat`, axis0());
    // With `exactRows`, each row exactly one member's size: a member of another size than the
    // group's fails the Reshape instead of shifting rows. Else a row follows the sample's sizes
    // (the members share a first dimension that every sample keeps).
    const numel = exactRows && g.dims ? g.dims.reduce((a, b) => a * b, 1) : -1;
    return node('Reshape', [joined, constant(`${base}_rows`, [members.length, numel])], `${base}_rows`);
  };
  // Blocks in the order the graph completes them, their nodes added from the last to the first
  // (see rangesOutput).
  blocks.sort((x, y) => x.last - y.last);
  /** The model with the range nodes added and `ranges` as its one new output. */
  const finish = (ranges: string, tailsK?: number[]): RangeModel => {
    graph.node = [...graph.node, ...added];
    graph.output = [...graph.output, new onnx.ValueInfoProto({ name: ranges })];
    return {
      bytes: write(),
      tensors: blocks.flatMap((b) => b.members),
      ranges,
      blocks: blocks.map((b) => b.members.length),
      ...(tailsK ? { tails: { k: tailsK } } : {}),
    };
  };
  if (!tails) {
    const extremes: [string, string][] = [];
    for (let b = blocks.length - 1; b >= 0; b--) {
      const { g, members } = blocks[b]!;
      const base = fresh('__quantlens_group');
      if (g.alone) {
        // Reduced where it is, over every axis, to one value each side.
        extremes[b] = wholeExtremes(node, members[0]!, base, g.type === 'float16', one());
        continue;
      }
      const rows = rowsOf(g, members, base);
      let lo = reduce('ReduceMin', rows, base);
      let hi = reduce('ReduceMax', rows, base);
      if (g.type === 'float16') {
        lo = node('Cast', [lo], `${lo}_f32`, [makeAttribute('to', attr.int(1))]);
        hi = node('Cast', [hi], `${hi}_f32`, [makeAttribute('to', attr.int(1))]);
      }
      extremes[b] = [lo, hi];
    }
    return finish(rangesOutput(node, extremes));
  }
  // The tails a percentile needs: TopK of the rows, largest and smallest (before opset 11, which
  // has no `largest` attribute, the largest of the rows' negation: a pass more over every observed
  // value), and the rows' shape, so the caller sees a sample of another size (cast to float32 with
  // the values: exact below 2^24 elements a row; a larger tensor is read out instead).
  if (blocks.some((b) => b.g.dims!.reduce((x, y) => x * y, 1) >= 2 ** 24)) return undefined;
  const outputs: string[] = [];
  const ks: number[] = [];
  for (let b = blocks.length - 1; b >= 0; b--) {
    const { g, members } = blocks[b]!;
    const base = fresh('__quantlens_group');
    let rows = rowsOf(g, members, base);
    if (g.type === 'float16') rows = node('Cast', [rows], `${base}_f32`, [makeAttribute('to', attr.int(1))]);
    const numel = g.dims!.reduce((x, y) => x * y, 1);
    const k = Math.max(1, Math.min(numel, tails(numel)));
    const size = node('Cast', [node('Shape', [rows], `${base}_shape`)], `${base}_size`, [
      makeAttribute('to', attr.int(1)),
    ]);
    const his = topK(rows, k, `${base}_hi`);
    const los =
      opset >= 11
        ? topK(rows, k, `${base}_lo`, true)
        : node('Neg', [topK(node('Neg', [rows], `${base}_neg`), k, `${base}_lo`)], `${base}_lo_values`);
    outputs[b] = node('Concat', [his, los, size], `${base}_tails`, axis0());
    ks[b] = k;
  }
  return finish(outputs.length === 1 ? outputs[0]! : node('Concat', outputs, '__quantlens_tails', axis0()), ks);
}
