/**
 * Making intermediate tensors visible to calibration: either their ranges, computed inside the
 * graph (ReduceMin/ReduceMax outputs), or the tensors themselves as extra graph outputs (untyped:
 * onnxruntime reports each one's actual type). Free of any runtime import, so the worker and
 * Node share it.
 */
import type * as ortTypes from 'onnxruntime-common';
import { dtypeCode } from '../model/dtype';
import { onnx } from '../model/onnx/generated/onnx-pb.js';
import { attr, freshNamer, makeAttribute, makeTensor, writeOnnx } from '../model/write-onnx';

/** One calibration sample: graph input name -> tensor. */
export type CalibrationSample = Record<string, ortTypes.Tensor>;

/** A range-augmented model: `mins[i]` and `maxs[i]` of each run are the range of `tensors[i]`. */
export interface RangeModel {
  bytes: Uint8Array;
  tensors: string[];
  /** Names of the two float32 outputs of length `tensors.length` (empty in tails mode). */
  mins: string;
  maxs: string;
  /**
   * Tails mode: `tensors[i]`'s `counts[i]` largest values (descending) follow each other in the
   * output `his`, and its `counts[i]` smallest (ascending) in `los`.
   */
  tails?: {
    his: string;
    los: string;
    counts: number[];
    /** Output [rows, row length] of each group, int64; `members[g]` tensors form group g. */
    lengths: string;
    members: number[];
  };
}

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
  return { model, graph, opset, produced };
}

/** Adds a node of one output to the graph being written; returns the output's name. */
type AddNode = (opType: string, input: string[], base: string, attribute?: onnx.IAttributeProto[]) => string;

/** An {@link AddNode} that names each node and output afresh and collects the nodes in `added`. */
function nodeAdder(fresh: (base: string) => string, added: onnx.NodeProto[]): AddNode {
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
 * Concat per side into two float32 outputs: calibration reads two short vectors per sample instead
 * of copying every activation out of the runtime (as ONNX Runtime's own calibrator augments a
 * model), and two outputs rather than thousands (each output costs a copy out of the wasm heap).
 * Tensors the main graph does not produce are left out. Needs opset 6 or later (Reshape with a
 * shape input, Cast with an integer `to`); undefined below that.
 */
export function augmentWithRanges(modelBytes: Uint8Array, tensors: Iterable<string>): RangeModel | undefined {
  const opened = openForRanges(modelBytes, 'augmentWithRanges');
  if (!opened) return undefined;
  const { model, graph, produced } = opened;
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
  const list: string[] = [];
  const los: string[] = [];
  const his: string[] = [];
  const added: onnx.NodeProto[] = [];
  const node = nodeAdder(fresh, added);
  for (const tensor of new Set(tensors)) {
    if (!produced.has(tensor)) continue;
    list.push(tensor);
    const [lo, hi] = wholeExtremes(node, tensor, `${tensor}__quantlens`, hasHalf, one);
    los.push(lo);
    his.push(hi);
  }
  if (list.length === 0) return { bytes: modelBytes, tensors: [], mins: '', maxs: '' };
  const axis0 = () => [makeAttribute('axis', attr.int(0))];
  const mins = node('Concat', los, '__quantlens_mins', axis0());
  const maxs = node('Concat', his, '__quantlens_maxs', axis0());
  graph.node = [...graph.node, ...added];
  graph.output = [...graph.output, new onnx.ValueInfoProto({ name: mins }), new onnx.ValueInfoProto({ name: maxs })];
  return { bytes: writeOnnx(model), tensors: list, mins, maxs };
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
): { bytes: Uint8Array; freeDimensionOverrides: Record<string, number> } {
  return exposeTensorsOf(modelBytes, tensors, samples);
}

function exposeTensorsOf(
  modelBytes: Uint8Array,
  tensors?: ReadonlySet<string>,
  samples?: readonly CalibrationSample[],
): { bytes: Uint8Array; freeDimensionOverrides: Record<string, number> } {
  const model = onnx.ModelProto.decode(modelBytes);
  const graph = model.graph as onnx.GraphProto | null;
  if (!graph) throw new Error('exposeTensors: the model has no graph');
  const outputs = [...graph.output] as onnx.ValueInfoProto[];
  const listed = new Set(outputs.map((o) => o.name));
  for (const node of graph.node ?? [])
    for (const name of node.output ?? [])
      if (name && !listed.has(name) && (!tensors || tensors.has(name))) {
        outputs.push(new onnx.ValueInfoProto({ name }));
        listed.add(name);
      }
  graph.output = outputs;
  const sizes = new Map<string, number | null>();
  for (const input of samples?.length ? graph.input : []) {
    const dims = input.type?.tensorType?.shape?.dim ?? [];
    dims.forEach((d, j) => {
      if (!d.dimParam) return;
      for (const sample of samples!) {
        const size = sample[input.name ?? '']?.dims[j];
        const known = sizes.get(d.dimParam);
        if (size === undefined || (known !== undefined && known !== size)) sizes.set(d.dimParam, null);
        else sizes.set(d.dimParam, size);
      }
    });
  }
  const freeDimensionOverrides: Record<string, number> = {};
  for (const [name, size] of sizes) if (size !== null) freeDimensionOverrides[name] = size;
  return { bytes: writeOnnx(model), freeDimensionOverrides };
}

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

/** Largest sum of observed activations one sample may hold for the grouped augmentation. */
export const GROUPED_MAX_BYTES = 256 * 2 ** 20;
/** Largest single concatenation (bytes) in the grouped augmentation. */
const GROUP_MAX_BYTES = 32 * 2 ** 20;
/**
 * Bytes from which an observed tensor is reduced on its own, where it is, rather than copied into a
 * group (min/max only).
 */
const ALONE_BYTES = 64 * 2 ** 10;
/** Most tensors one Concat of the grouped augmentation joins. */
const GROUP_FAN_IN = 128;

/**
 * The model with the ranges of `shapes`' tensors computed in a handful of nodes: tensors of the
 * same shape and type are concatenated, reshaped to one row each and reduced along the rows
 * (Concat, Reshape, ReduceMin, ReduceMax per group), then the groups' results are joined into two
 * float32 outputs. A tensor of {@link ALONE_BYTES} or more is reduced where it is instead (the
 * copy into a group cost PP-OCRv4's recogniser, 134 MB of observed activations, about 8% of each
 * calibration sample). A node costs some microseconds however small its tensor, so on a model of many
 * small tensors (a 10k-node decoder) one ReduceMin/ReduceMax pair per tensor cost four times the
 * inference itself; a group costs about as much as one tensor. Needs each tensor's shape from a
 * first sample. Members of a group share a first dimension that every sample keeps
 * ({@link TensorShape.firstDimFixed}; any other tensor is a group of its own), so a later sample of
 * other sizes either keeps each member's row whole or fails the Concat, and the caller falls back
 * to {@link augmentWithRanges}. Undefined below opset 6, or when the observed
 * tensors hold more than {@link GROUPED_MAX_BYTES} (each stays alive until its group's Concat).
 *
 * With `tails`, each group gives the `tails(numel)` largest and smallest values of each of its rows
 * (TopK, and TopK of the negation) in place of the minimum and maximum, plus its shape, for the
 * percentile observer: the only values a percentile of the calibration samples can fall on.
 */
export function augmentWithGroupedRanges(
  modelBytes: Uint8Array,
  shapes: ReadonlyMap<string, TensorShape>,
  tails?: (numel: number) => number,
): RangeModel | undefined {
  const opened = openForRanges(modelBytes, 'augmentWithGroupedRanges');
  if (!opened) return undefined;
  const { model, graph, opset, produced } = opened;
  // Groups of one shape and type, in the order the graph produces their tensors, closed every
  // GROUP_FAN_IN members: a Concat can run (and free its inputs) as soon as its members exist.
  // One Concat over every tensor of a shape kept them all alive to the end, and onnxruntime took
  // 20 s to plan the session of a 10k-node decoder so augmented (2.9 s for the model alone).
  const groups = new Map<
    string,
    { type: TensorShape['type']; dims?: readonly number[]; alone: boolean; members: string[][] }
  >();
  let total = 0;
  for (const n of graph.node)
    for (const tensor of n.output ?? []) {
      const s = tensor ? shapes.get(tensor) : undefined;
      if (!s || !produced.has(tensor)) continue;
      if (!s.dims && tails) return undefined;
      const numel = s.dims?.reduce((a, b) => a * b, 1) ?? 0;
      // Always empty: nothing to observe (and an empty row has no minimum).
      if (numel === 0 && s.firstDimFixed && s.dims) continue;
      const bytes = numel * (s.type === 'float16' ? 2 : 4);
      total += bytes;
      if (total > GROUPED_MAX_BYTES) return undefined;
      // A tensor whose first dimension may change, or whose size is not known yet, is a group of
      // its own: one row, however long. So is a large one, for min/max: copying it into a group
      // costs more than the two nodes that reduce it where it is.
      const alone = !tails && (!s.firstDimFixed || !s.dims || bytes >= ALONE_BYTES);
      const key = alone
        ? `alone:${tensor}`
        : s.firstDimFixed && s.dims
          ? `${s.type}:${s.dims.join('x')}`
          : `dynamic:${tensor}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { type: s.type, dims: s.dims, alone, members: [[]] }));
      let last = g.members[g.members.length - 1]!;
      if (last.length >= GROUP_FAN_IN || (last.length > 0 && (last.length + 1) * bytes > GROUP_MAX_BYTES))
        g.members.push((last = []));
      last.push(tensor);
    }
  if (groups.size === 0) return { bytes: modelBytes, tensors: [], mins: '', maxs: '' };
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
  const axis0 = () => [makeAttribute('axis', attr.int(0))];
  const list: string[] = [];
  const mins: string[] = [];
  const maxs: string[] = [];
  const counts: number[] = [];
  const lengths: string[] = [];
  const groupSizes: number[] = [];
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
  for (const g of groups.values())
    for (const members of g.members) {
      const base = fresh('__quantlens_group');
      if (g.alone) {
        // Reduced where it is, over every axis, to one value each side.
        const [lo, hi] = wholeExtremes(node, members[0]!, base, g.type === 'float16', one());
        mins.push(lo);
        maxs.push(hi);
        list.push(members[0]!);
        continue;
      }
      // A scalar has no axis to concatenate along: each becomes a row of one first.
      const inputs =
        g.dims?.length === 0 ? members.map((m) => node('Reshape', [m, constant(`${base}_r`, [1])], `${m}_1`)) : members;
      const joined = inputs.length === 1 ? inputs[0]! : node('Concat', inputs, `${base}_concat`, axis0());
      let rows = node('Reshape', [joined, constant(`${base}_rows`, [members.length, -1])], `${base}_rows`);
      if (tails) {
        // The tails a percentile needs: TopK of the rows, largest and smallest (before opset 11,
        // which has no `largest` attribute, the largest of the rows' negation: a pass more over
        // every observed value). float16 is cast first.
        if (g.type === 'float16') rows = node('Cast', [rows], `${base}_f32`, [makeAttribute('to', attr.int(1))]);
        const numel = g.dims!.reduce((a, b) => a * b, 1);
        const k = Math.max(1, Math.min(numel, tails(numel)));
        // Each group's row length, so the caller sees a sample of another size.
        lengths.push(node('Shape', [rows], `${base}_shape`));
        groupSizes.push(members.length);
        maxs.push(topK(rows, k, `${base}_hi`));
        mins.push(
          opset >= 11
            ? topK(rows, k, `${base}_lo`, true)
            : node('Neg', [topK(node('Neg', [rows], `${base}_neg`), k, `${base}_lo`)], `${base}_lo_values`),
        );
        for (const _ of members) counts.push(k);
        list.push(...members);
        continue;
      }
      let lo = reduce('ReduceMin', rows, base);
      let hi = reduce('ReduceMax', rows, base);
      if (g.type === 'float16') {
        lo = node('Cast', [lo], `${lo}_f32`, [makeAttribute('to', attr.int(1))]);
        hi = node('Cast', [hi], `${hi}_f32`, [makeAttribute('to', attr.int(1))]);
      }
      mins.push(lo);
      maxs.push(hi);
      list.push(...members);
    }
  const minsOut = mins.length === 1 ? mins[0]! : node('Concat', mins, '__quantlens_mins', axis0());
  const maxsOut = maxs.length === 1 ? maxs[0]! : node('Concat', maxs, '__quantlens_maxs', axis0());
  const sizes = !tails
    ? undefined
    : lengths.length === 1
      ? lengths[0]!
      : node('Concat', lengths, '__quantlens_lengths', axis0());
  graph.node = [...graph.node, ...added];
  graph.output = [
    ...graph.output,
    new onnx.ValueInfoProto({ name: minsOut }),
    new onnx.ValueInfoProto({ name: maxsOut }),
    ...(sizes ? [new onnx.ValueInfoProto({ name: sizes })] : []),
  ];
  if (sizes)
    return {
      bytes: writeOnnx(model),
      tensors: list,
      mins: '',
      maxs: '',
      tails: { his: maxsOut, los: minsOut, counts, lengths: sizes, members: groupSizes },
    };
  return { bytes: writeOnnx(model), tensors: list, mins: minsOut, maxs: maxsOut };
}
