/**
 * Writes the quantized model as QDQ ONNX: a QuantizeLinear/DequantizeLinear pair after every
 * quantized activation, quantized initializers behind a DequantizeLinear for weights, biases and
 * constants. 16-bit and 4-bit types use ai.onnx opset 21 when the model is there already, else
 * the com.microsoft Q/DQ ops (which onnxruntime runs below opset 21).
 */
import { orderAfter } from '../model/node-order';
import { onnx } from '../model/onnx/generated/onnx-pb.js';
import { attr, freshNamer, makeAttribute, makeTensor, writeOnnx } from '../model/write-onnx';
import type { Encodings } from './compute';
import type { QuantEncoding } from '../encoding/encoding';
import { dtypeCode } from '../model/dtype';
import { constNumbers } from '../model/constants';
import { convertTensor } from '../model/read-onnx';
import { SentenceError } from '../model/errors';
import { halfBits } from '../model/half';
import { UNTIED_SUFFIX } from './untie-constants';
import { blockIndexer } from './math';

export interface ExportResult {
  bytes: Uint8Array;
  /** The export's ai.onnx opset (raised from the model's where the Q/DQ need it), when it has one. */
  opset?: number;
  /** 'ai.onnx' or 'com.microsoft': where the Q/DQ ops live. */
  qdqDomain: string;
  notes: string[];
}

/** Signed 4-bit values packed two to a byte, low nibble first (ONNX's int4 raw_data). */
function packInt4(q: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(Math.ceil(q.length / 2));
  for (let i = 0; i < q.length; i++) out[i >> 1]! |= (q[i]! & 0xf) << ((i & 1) * 4);
  return out;
}

function typedArray(dtype: string, q: ArrayLike<number>) {
  switch (dtype) {
    case 'uint8':
      return Uint8Array.from(q);
    case 'int8':
      return Int8Array.from(q);
    case 'uint16':
      return Uint16Array.from(q);
    case 'int16':
      return Int16Array.from(q);
    case 'int32':
      return Int32Array.from(q);
    default:
      throw new Error(`cannot store ${dtype} values`);
  }
}

/**
 * @param rankOf the rank of a tensor of the float model, where known: a float16 model below opset
 *   13 is raised to 19 only where its Softmax-like nodes normalize over their last axis.
 */
export function exportQdq(
  floatBytes: Uint8Array,
  enc: Encodings,
  rankOf: (tensor: string) => number | undefined = () => undefined,
  /**
   * Main-graph node ids (positions) of static computations, folded away before any flow runs the
   * model: where one reads a quantized tensor, it reads the float value, so that it stays foldable.
   */
  staticNodes: ReadonlySet<string> = new Set(),
): ExportResult {
  const proto = onnx.ModelProto.decode(floatBytes);
  const g = proto.graph as onnx.GraphProto;
  const notes: string[] = [];
  // One namer for every tensor and node this export adds, the opset upgrade's included.
  const fresh = freshNamer(g);
  let opset = Number(proto.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx')?.version ?? 0);
  const modelOpset = opset;
  if (opset > 0 && opset < 10) {
    const raised = raiseToOpset10(g, fresh);
    if (raised.ok) {
      proto.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx')!.version = 10;
      const n = raised.converted;
      const rewritten =
        n === 0
          ? ''
          : n === 1
            ? ' (1 Slice/TopK/Upsample node rewritten to its opset-10 form)'
            : ` (${n} Slice/TopK/Upsample nodes rewritten to their opset-10 form)`;
      notes.push(
        `The model's opset ${opset} predates QuantizeLinear; the export is at opset 10${rewritten} so onnxruntime can fuse its Q/DQ.`,
      );
      opset = 10;
    } else
      notes.push(
        `The model's opset ${opset} predates QuantizeLinear and holds ${raised.blocker}, which changed at opset 10: the export keeps opset ${opset}; onnxruntime loads it only with graph optimizations at "basic".`,
      );
  }
  // QuantizeLinear's scale has the type of the tensor it quantizes (DequantizeLinear's output
  // takes the scale's): float16 for a float16 model's tensors. (The quantizer made such scales
  // float16 values.) The opset raise below adds only int64 and float32 constants.
  const half = float16Tensors(g);
  // ai.onnx's QuantizeLinear takes float16 from opset 19: a float16 model's export is raised there
  // (the quantizer refuses float16 models below opset 11, where more attributes became inputs).
  if (opset >= 11 && opset < 19 && enc.tensors.size > 0 && half.size > 0) {
    const from = opset;
    const raised = raiseOpset(g, opset, 19, fresh, rankOf);
    if (!raised.ok)
      throw new SentenceError(
        'float16-model',
        `The model computes in float16 at opset ${from}, and ONNX's QuantizeLinear takes float16 only from opset 19, where its ${raised.blocker}. Convert the model to opset 13 or later (python3-onnx: onnx.version_converter.convert_version(model, 17)) and quantize that, or quantize the float32 model it was made from.`,
      );
    proto.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx')!.version = 19;
    // Opset 19 needs IR version 9.
    if (Number(proto.irVersion ?? 0) < 9) proto.irVersion = 9;
    opset = 19;
    const { inputs, dropouts, roiAligns, lastAxis } = raised.changed;
    const count = (n: number, one: string, many: string) => (n === 1 ? `1 ${one}` : `${n} ${many}`);
    const rewrites = [
      inputs
        ? `${count(inputs, 'node', 'nodes')} given ${inputs === 1 ? 'its' : 'their'} axes or sizes as an input`
        : '',
      dropouts
        ? `${count(dropouts, 'Dropout', 'Dropouts')} given ${dropouts === 1 ? 'its' : 'their'} ratio as an input`
        : '',
      roiAligns
        ? `${count(roiAligns, 'RoiAlign', 'RoiAligns')} given ${roiAligns === 1 ? 'its' : 'their'} coordinate mode (output_half_pixel) explicitly`
        : '',
      lastAxis
        ? `${count(lastAxis, 'Softmax-like node', 'Softmax-like nodes')} given ${lastAxis === 1 ? 'its' : 'their'} last axis explicitly`
        : '',
    ].filter(Boolean);
    notes.push(
      `The model computes in float16 at opset ${from}, and ONNX's QuantizeLinear takes float16 from opset 19: the export is at opset 19${
        rewrites.length ? ` (${rewrites.join('; ')}, as opset 19 reads them)` : ''
      }.`,
    );
  }
  // onnxruntime's optimizer runs a ReduceMax or ReduceMin between 8-bit Q/DQ of one encoding on
  // the 8-bit values themselves (it drops the Q/DQ), and ONNX gives those ops 8-bit integers only
  // from opset 12: an opset-11 export (torchvision's Keypoint R-CNN) would not load with
  // onnxruntime's default optimizations. Such an export is raised to 12, which changes only
  // Dropout's ratio (an input from 12).
  const reduce8 = (g.node ?? []).find(
    (n) =>
      (n.opType === 'ReduceMax' || n.opType === 'ReduceMin') &&
      (!n.domain || n.domain === 'ai.onnx') &&
      /^u?int8$/.test(enc.tensors.get(n.output?.[0] ?? '')?.dtype ?? ''),
  );
  // ONNX Runtime groups a quantized MaxPool with its Q/DQ only as MaxPool-12 (its QNN EP's
  // selector, and its CPU optimizer's, list that version only): below it, the MaxPool runs as a
  // float op between them. An opset-10 or -11 export with one is raised to 12 as well.
  const pool = (g.node ?? []).find(
    (n) => n.opType === 'MaxPool' && (!n.domain || n.domain === 'ai.onnx') && enc.tensors.has(n.output?.[0] ?? ''),
  );
  if ((opset === 10 || opset === 11) && (reduce8 || pool)) {
    const from = opset;
    const fromText = from === modelOpset ? `the model's ${from}` : String(from);
    // From 10, Clip's bounds and Pad's amounts become inputs first and a Resize states its
    // coordinates; an op whose meaning changed at 11 otherwise keeps the export at 10.
    const to11 = from === 10 ? raiseToOpset11(g, fresh) : ({ ok: true, clips: 0, pads: 0, resizes: 0 } as const);
    const raised = to11.ok ? raiseOpset(g, 11, 12, fresh, rankOf) : undefined;
    // From 11 to 12 nothing blocks (only the Softmax axis change, at 13, can).
    if (to11.ok && raised?.ok) {
      proto.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx')!.version = 12;
      opset = 12;
      const d = raised.changed.dropouts;
      const count = (n: number, one: string, many: string) => (n === 1 ? `1 ${one}` : `${n} ${many}`);
      const rewrites = [
        to11.clips
          ? `${count(to11.clips, 'Clip', 'Clips')} given ${to11.clips === 1 ? 'its' : 'their'} bounds as inputs`
          : '',
        to11.pads
          ? `${count(to11.pads, 'Pad', 'Pads')} given ${to11.pads === 1 ? 'its' : 'their'} amounts as an input`
          : '',
        to11.resizes
          ? `${count(to11.resizes, 'Resize', 'Resizes')} given ${to11.resizes === 1 ? 'its' : 'their'} opset-10 coordinates (asymmetric, nearest rounded down) explicitly`
          : '',
        d ? `${count(d, 'Dropout', 'Dropouts')} given ${d === 1 ? 'its' : 'their'} ratio as an input` : '',
      ].filter(Boolean);
      const rewritten = rewrites.length ? ` (${rewrites.join('; ')}, as opset 12 reads them)` : '';
      notes.push(
        reduce8
          ? `The export is at opset 12, not ${fromText}: ${reduce8.opType} "${reduce8.name || reduce8.output?.[0]}" is quantized to 8 bits, and onnxruntime's optimizer runs it on the 8-bit values, which ${reduce8.opType} takes from opset 12${rewritten}.`
          : `The export is at opset 12, not ${fromText}: MaxPool "${pool!.name || pool!.output?.[0]}" is quantized, and ONNX Runtime groups a MaxPool with its Q/DQ only as MaxPool-12 (as MaxPool-${from}, its QNN EP would run it as a float op)${rewritten}.`,
      );
    }
  }
  const encodings = [...enc.tensors.values()];
  const wide = encodings.some((e) => e.dtype.endsWith('16') || e.dtype.endsWith('4'));
  // ai.onnx Q/DQ: per-axis from opset 13, 16-bit and 4-bit from 21. Below that, com.microsoft.
  const msDomain = opset < 21 && (wide || opset < 13);
  const domain = msDomain ? 'com.microsoft' : '';
  if (msDomain && !proto.opsetImport.some((o) => o.domain === 'com.microsoft'))
    proto.opsetImport.push(new onnx.OperatorSetIdProto({ domain: 'com.microsoft', version: 1 }));
  const blockedOk = opset >= 21;

  // Node ids of the main graph are their positions; resolve edge consumers before anything moves.
  const edgeConsumers = [...enc.edges].map(([key, e]) => {
    const [id, index] = key.split(':') as [string, string];
    return { node: g.node[Number(id)], index: Number(index), ...e };
  });
  // The static nodes, by the tensors they read.
  const staticReaders = new Map<string, onnx.INodeProto[]>();
  for (const id of staticNodes) {
    const n = g.node[Number(id)];
    for (const t of new Set(n?.input ?? [])) if (t) staticReaders.set(t, [...(staticReaders.get(t) ?? []), n!]);
  }
  const initializers = new Map<string, onnx.TensorProto>(
    g.initializer.map((t) => [t.name ?? '', t as onnx.TensorProto]),
  );
  const newInits: onnx.ITensorProto[] = [];
  const newNodes: { after: onnx.INodeProto | null; node: onnx.INodeProto }[] = [];
  /** A QuantizeLinear or DequantizeLinear in the export's domain, placed after `after` (null: with the leading ones). */
  const addQdq = (
    after: onnx.INodeProto | null,
    opType: 'QuantizeLinear' | 'DequantizeLinear',
    name: string,
    input: string[],
    output: string,
    attribute: onnx.IAttributeProto[],
  ) => newNodes.push({ after, node: { name, opType, domain, input, output: [output], attribute } });
  const renameInputs = new Map<string, string>();
  const pendingBefore = new Map<onnx.INodeProto, onnx.NodeProto[]>();

  // One initializer per distinct per-tensor scale and zero point, which the Q/DQ nodes that use
  // it share: a 10k-node decoder's export held 28k initializers, 21k of them repeats (zero
  // points, the encodings Reshapes share, HTP's fixed Sigmoid scales), and onnxruntime took 5.7 s
  // to create its session against 4.4 s with them shared.
  const scalars = new Map<string, string>();
  const scalar = (key: string | undefined, base: string, make: (name: string) => onnx.ITensorProto) => {
    const known = key === undefined ? undefined : scalars.get(key);
    if (known) return known;
    const name = fresh(base);
    newInits.push(make(name));
    if (key !== undefined) scalars.set(key, name);
    return name;
  };
  const qparams = (tensor: string, e: QuantEncoding, scales = e.scale, shape?: number[], of = tensor) => {
    const dims = shape ?? (e.granularity === 'per-tensor' ? [] : [scales.length]);
    const single = dims.length === 0;
    const halfScale = half.has(of);
    const s = scalar(
      single ? `scale:${halfScale ? `f16:${halfBits(scales[0]!)}` : `f32:${Math.fround(scales[0]!)}`}` : undefined,
      `${tensor}_scale`,
      (name) =>
        halfScale
          ? makeTensor(
              name,
              Uint16Array.from(scales, (v) => halfBits(v)),
              dims,
              'float16',
            )
          : makeTensor(name, new Float32Array(scales), dims),
    );
    const zeroPoint = shape ? new Array<number>(scales.length).fill(0) : e.zeroPoint;
    const z = scalar(
      single ? `zero_point:${e.dtype}:${zeroPoint[0]}` : undefined,
      single ? `zero_point_${e.dtype}_${zeroPoint[0]}` : `${tensor}_zero_point`,
      (name) => makeTensor(name, typedArray(e.dtype, zeroPoint), dims),
    );
    return { s, z };
  };
  const axisAttrs = (e: QuantEncoding) =>
    e.granularity === 'per-channel' && e.axis !== undefined ? [makeAttribute('axis', attr.int(e.axis))] : [];

  // Weights that exporters write as Constant nodes (paddle2onnx writes every weight and bias so)
  // become initializers first: a bias must be stored as int32 behind a DequantizeLinear, since
  // QuantizeLinear takes no int32 zero point below opset 21.
  const constantNodes = new Set<onnx.INodeProto>();
  for (const n of g.node) {
    if (n.opType !== 'Constant' || (n.domain && n.domain !== 'ai.onnx')) continue;
    const out = n.output?.[0];
    const value = n.attribute?.find((a) => a.name === 'value')?.t;
    if (!out || !value || !enc.constants.has(out) || initializers.has(out)) continue;
    const t = new onnx.TensorProto({ ...value, name: out });
    initializers.set(out, t);
    g.initializer.push(t);
    constantNodes.add(n);
  }
  if (constantNodes.size) g.node = g.node.filter((n) => !constantNodes.has(n)) as onnx.NodeProto[];

  // Constants: quantized initializer -> DequantizeLinear -> original name.
  for (const [name, c] of enc.constants) {
    const init = initializers.get(name);
    if (!init) continue; // a computed constant (e.g. Reshape of a weight): handled like an activation below
    const e = c.encoding;
    // An LPBQ weight's layout (its effective scales and integer scales are channel-major blocks).
    const layout = { axis: e.axis ?? 0, blockAxis: e.blockAxis ?? 1 };
    if (e.granularity === 'lpbq' && !blockedOk) {
      // Below opset 21 QDQ cannot express blocks: store the dequantized weight (fake quantization).
      const blockOf = blockIndexer(c.dims, layout, e.blockSize!);
      const deq = Float32Array.from(c.q, (q, i) => q * c.effectiveScales![blockOf(i)]!);
      init.rawData = makeTensor(name, deq, c.dims).rawData!;
      init.floatData = [];
      notes.push(
        `${name}: LPBQ weights need opset 21 Q/DQ to be expressed; this opset-${opset} export stores them dequantized, in float. The AIMET encodings file carries the blocks for the QNN converter; ONNX Runtime's QNN EP would get a float weight, so for it raise the float model to opset 21 (onnx.version_converter.convert_version) and quantize that.`,
      );
      continue;
    }
    const qname = fresh(`${name}_quantized`);
    const dq = fresh(`${name}_DequantizeLinear`);
    if (e.granularity === 'lpbq') {
      // ONNX Runtime's LPBQ form, which its QNN EP fuses into one HTP blockwise-expansion
      // encoding (lpbqgemm_fusion.cc, lpbqmatmul_fusion.cc): the weight's blocked scale is the
      // output of a DequantizeLinear of the uint8 per-block integer scales by the per-channel
      // float scales; the weight itself is int4. The scale has the weight's shape with the
      // blocked axis divided by the block size (a Conv's repeats over the kernel's positions).
      const shape = [...c.dims];
      shape[layout.blockAxis] = shape[layout.blockAxis]! / e.blockSize!;
      // One entry per block in the scale's shape: a block length of 1 there.
      const blockOf = blockIndexer(shape, layout, 1);
      const ints = Uint8Array.from(
        { length: shape.reduce((a, b) => a * b, 1) },
        (_, i) => e.perBlockIntScale![blockOf(i)]!,
      );
      const intName = fresh(`${name}_block_scales`);
      const channelScale = fresh(`${name}_channel_scales`);
      const channelZp = fresh(`${name}_channel_zero_point`);
      const blockScale = fresh(`${name}_block_scale`);
      const zp = fresh(`${name}_zero_point`);
      newInits.push(makeTensor(intName, ints, shape));
      newInits.push(makeTensor(channelScale, new Float32Array(e.scale), [e.scale.length]));
      newInits.push(makeTensor(channelZp, new Uint8Array(e.scale.length), [e.scale.length]));
      newInits.push(makeTensor(zp, new Uint8Array(Math.ceil(ints.length / 2)), shape, 'int4'));
      newInits.push(makeTensor(qname, packInt4(c.q), c.dims, 'int4'));
      addQdq(
        null,
        'DequantizeLinear',
        fresh(`${name}_block_scale_DequantizeLinear`),
        [intName, channelScale, channelZp],
        blockScale,
        [makeAttribute('axis', attr.int(layout.axis))],
      );
      addQdq(null, 'DequantizeLinear', dq, [qname, blockScale, zp], name, [
        makeAttribute('axis', attr.int(layout.blockAxis)),
        makeAttribute('block_size', attr.int(e.blockSize!)),
      ]);
    } else {
      const { s, z } = qparams(name, e);
      newInits.push(makeTensor(qname, typedArray(e.dtype, c.q), c.dims));
      addQdq(null, 'DequantizeLinear', dq, [qname, s, z], name, axisAttrs(e));
    }
    initializers.delete(name);
  }
  g.initializer = g.initializer.filter((t) => initializers.has(t.name ?? '')) as onnx.TensorProto[];
  // Old IRs also list initializers as graph inputs; a weight now made by a DequantizeLinear must not be one.
  const replaced = new Set([...enc.constants.keys()].filter((n) => !initializers.has(n)));
  g.input = g.input.filter((v) => !replaced.has(v.name ?? '')) as onnx.ValueInfoProto[];

  // Activations: producer output renamed, then Q -> DQ back to the original name.
  const producers = new Map<string, onnx.INodeProto>();
  for (const n of g.node) for (const o of n.output ?? []) producers.set(o, n);
  const graphInputs = new Set(g.input.map((v) => v.name));
  for (const [name, e] of enc.tensors) {
    if (enc.constants.has(name) && !producers.has(name)) continue;
    if (e.granularity !== 'per-tensor' && e.granularity !== 'per-channel') continue;
    const producer = producers.get(name);
    if (!producer && !graphInputs.has(name)) continue;
    const { s, z } = qparams(name, e);
    const q = fresh(`${name}_QuantizeLinear_Output`);
    let src = name;
    if (producer) {
      src = fresh(`${name}_float`);
      producer.output = (producer.output ?? []).map((o) => (o === name ? src : o));
      // A static value read at run time and by a static computation (RAFT's coordinate grid: added
      // to the flow, and scaled into GridSample's grid): the computation reads it unquantized, as
      // in the float model. Read through a DequantizeLinear it was no constant computation any
      // more: ONNX Runtime folds a QuantizeLinear of a constant but keeps the DequantizeLinear, so
      // the nodes after it ran as float ops.
      for (const n of staticReaders.get(name) ?? []) n.input = (n.input ?? []).map((i) => (i === name ? src : i));
    } else {
      // A graph input keeps its name; its consumers read the dequantized copy.
      const dqOut = fresh(`${name}_DequantizeLinear_Output`);
      renameInputs.set(name, dqOut);
      addQdq(null, 'QuantizeLinear', fresh(`${name}_QuantizeLinear`), [name, s, z], q, axisAttrs(e));
      addQdq(null, 'DequantizeLinear', fresh(`${name}_DequantizeLinear`), [q, s, z], dqOut, axisAttrs(e));
      continue;
    }
    addQdq(producer, 'QuantizeLinear', fresh(`${name}_QuantizeLinear`), [src, s, z], q, axisAttrs(e));
    addQdq(producer, 'DequantizeLinear', fresh(`${name}_DequantizeLinear`), [q, s, z], name, axisAttrs(e));
  }
  for (const n of g.node) n.input = (n.input ?? []).map((i) => renameInputs.get(i) ?? i);

  // Requantized edges: the consumer reads its own Q/DQ copy (a Convert on QNN).
  for (const edge of edgeConsumers) {
    if (!edge.node?.input) continue;
    const source = edge.node.input[edge.index]!;
    const { s, z } = qparams(`${source}_requant`, edge.encoding, undefined, undefined, source);
    const q = fresh(`${source}_requant_QuantizeLinear_Output`);
    const dq = fresh(`${source}_requant_DequantizeLinear_Output`);
    const qNode = new onnx.NodeProto({
      name: fresh(`${source}_requant_QuantizeLinear`),
      opType: 'QuantizeLinear',
      domain,
      input: [source, s, z],
      output: [q],
    });
    const dqNode = new onnx.NodeProto({
      name: fresh(`${source}_requant_DequantizeLinear`),
      opType: 'DequantizeLinear',
      domain,
      input: [q, s, z],
      output: [dq],
    });
    edge.node.input[edge.index] = dq;
    newNodes.push({ after: null, node: qNode }, { after: null, node: dqNode });
    pendingBefore.set(edge.node, [...(pendingBefore.get(edge.node) ?? []), qNode, dqNode]);
  }

  // Keep topological order: leading DQs of constants and inputs first, activation Q/DQ right after their producer.
  const inEdges = new Set([...pendingBefore.values()].flat());
  const leading = newNodes
    .filter((x) => x.after === null && !inEdges.has(x.node as onnx.NodeProto))
    .map((x) => new onnx.NodeProto(x.node));
  const after = new Map<onnx.INodeProto, onnx.NodeProto[]>();
  for (const x of newNodes) {
    if (x.after === null) continue;
    after.set(x.after, [...(after.get(x.after) ?? []), new onnx.NodeProto(x.node)]);
  }
  const ordered: onnx.NodeProto[] = [...leading];
  // Each node with the Q/DQ placed before it (which read what it read) and after it (which read
  // what it makes).
  const sorted = inTopologicalOrder(
    g.node,
    (n) => [...(n.input ?? []), ...(pendingBefore.get(n) ?? []).flatMap((q) => q.input ?? [])],
    (n) => [...(n.output ?? []), ...(after.get(n) ?? []).flatMap((q) => q.output ?? [])],
  );
  for (const n of sorted) {
    // An Identity whose readers were given a constant of their own (untie-constants.ts) reads
    // nothing any more: it is left out.
    if (n.opType === 'Identity' && n.output?.[0]?.includes(UNTIED_SUFFIX)) continue;
    ordered.push(...(pendingBefore.get(n) ?? []), n as onnx.NodeProto, ...(after.get(n) ?? []));
  }
  g.node = ordered;
  g.initializer.push(...newInits.map((t) => new onnx.TensorProto(t)));
  declareInitializersAsInputs(proto);
  // Intermediate value_info would now describe renamed tensors; drop it, shapes are re-inferred.
  g.valueInfo = [];
  return {
    bytes: writeOnnx(proto),
    ...(opset > 0 ? { opset } : {}),
    qdqDomain: msDomain ? 'com.microsoft' : 'ai.onnx',
    notes,
  };
}

/**
 * Before IR version 4 every initializer is a graph input too (ONNX's checker refuses the model
 * otherwise; onnxruntime holds such inputs constant): the ones the export adds (scales, zero
 * points, quantized weights, the opset-10 Slice's starts) are declared as the model's own are.
 */
function declareInitializersAsInputs(proto: onnx.ModelProto): void {
  const ir = Number(proto.irVersion ?? 0);
  if (ir === 0 || ir >= 4) return;
  const g = proto.graph as onnx.GraphProto;
  const declared = new Set(g.input.map((v) => v.name));
  for (const t of g.initializer)
    if (!declared.has(t.name))
      g.input.push(
        new onnx.ValueInfoProto({
          name: t.name,
          type: { tensorType: { elemType: t.dataType, shape: { dim: (t.dims ?? []).map((d) => ({ dimValue: d })) } } },
        }),
      );
}

/** Adds a constant to the graph's initializers (a vector unless `dims` says otherwise); returns `name`. */
function addInitializer(
  g: onnx.GraphProto,
  name: string,
  values: number[],
  type: 'int64' | 'float32',
  dims = [values.length],
): string {
  g.initializer.push(new onnx.TensorProto(makeTensor(name, values, dims, type)));
  return name;
}

/**
 * What stops a graph's mechanical opset upgrade: a node of an op in `changed` (its meaning changed
 * at the new opset) or one with a sub-graph; undefined when nothing does.
 */
function upgradeBlocker(g: onnx.GraphProto, changed: ReadonlySet<string>): string | undefined {
  for (const n of g.node) {
    if ((!n.domain || n.domain === 'ai.onnx') && changed.has(n.opType ?? '')) return `a ${n.opType} node`;
    if (n.attribute?.some((a) => a.g || (a.graphs && a.graphs.length))) return `a ${n.opType} node with a sub-graph`;
  }
  return undefined;
}

type OwnNode = onnx.NodeProto & { attribute: onnx.IAttributeProto[]; input: string[]; output: string[] };

/** The graph's ai.onnx nodes, their attribute, input and output lists made present. */
function* ownNodes(g: onnx.GraphProto): Generator<OwnNode> {
  for (const node of g.node) {
    if (node.domain && node.domain !== 'ai.onnx') continue;
    const n = node as OwnNode;
    n.attribute ??= [];
    n.input ??= [];
    n.output ??= [];
    yield n;
  }
}

/** Ops whose opset-10 form differs from their opset-9 one in a way this export does not rewrite. */
const CHANGED_AT_10 = new Set(['Dropout', 'Resize']);

/**
 * Rewrites a graph of opset < 10 to opset 10 where that is a mechanical change: Slice's starts,
 * ends and axes attributes and TopK's k attribute become int64 initializer inputs, and Upsample
 * becomes Resize-10, its same op under a new name (as ONNX's version converter rewrites it; an
 * opset-7 Upsample's scales attribute becomes a float input). Any other op
 * whose meaning changed at 10 (or a sub-graph) stops the upgrade. The graph is changed only when
 * the upgrade succeeds.
 */
function raiseToOpset10(
  g: onnx.GraphProto,
  fresh: (base: string) => string,
): { ok: true; converted: number } | { ok: false; blocker: string } {
  const blocker = upgradeBlocker(g, CHANGED_AT_10);
  if (blocker) return { ok: false, blocker };
  const ints = (base: string, values: readonly (number | { toString(): string })[]) =>
    addInitializer(
      g,
      fresh(base),
      values.map((v) => Number(v.toString())),
      'int64',
    );
  let converted = 0;
  for (const n of ownNodes(g)) {
    const at = (name: string) => n.attribute.find((a) => a.name === name);
    if (n.opType === 'Slice') {
      const starts = at('starts')?.ints ?? [];
      const ends = at('ends')?.ints ?? [];
      const axes = at('axes')?.ints;
      const base = n.name || n.output[0] || 'slice';
      n.input = [
        n.input[0]!,
        ints(`${base}_starts`, starts),
        ints(`${base}_ends`, ends),
        ...(axes && axes.length ? [ints(`${base}_axes`, axes)] : []),
      ];
      n.attribute = [];
      converted++;
    } else if (n.opType === 'TopK') {
      const k = Number(at('k')?.i ?? 0);
      n.input = [n.input[0]!, ints(`${n.name || n.output[0] || 'topk'}_k`, [k])];
      n.attribute = n.attribute.filter((a) => a.name !== 'k');
      converted++;
    } else if (n.opType === 'Upsample') {
      const scales = at('scales')?.floats;
      if (scales && scales.length)
        n.input = [
          n.input[0]!,
          addInitializer(g, fresh(`${n.name || n.output[0] || 'upsample'}_scales`), [...scales], 'float32'),
        ];
      n.opType = 'Resize';
      // Upsample-7 also named linear "bilinear"; Resize-10 knows "nearest" and "linear".
      const mode = at('mode');
      n.attribute = mode
        ? [
            makeAttribute(
              'mode',
              attr.string(new TextDecoder().decode(mode.s ?? new Uint8Array()) === 'nearest' ? 'nearest' : 'linear'),
            ),
          ]
        : [];
      converted++;
    }
  }
  return { ok: true, converted };
}

/** Ops whose opset-11 form means something else than their opset-10 one, which this export does not rewrite. */
const CHANGED_AT_11 = new Set(['Upsample', 'Scatter']);

/** The values of a float32 constant of the graph (an initializer or a Constant node's), if inline. */
function floatConstant(g: onnx.GraphProto, name: string): number[] | undefined {
  const t =
    g.initializer.find((i) => i.name === name) ??
    g.node.find((n) => n.opType === 'Constant' && n.output?.[0] === name)?.attribute?.find((a) => a.name === 'value')
      ?.t;
  if (!t || t.dataType !== dtypeCode('float32')) return undefined;
  return constNumbers(convertTensor(t));
}

/**
 * How a Resize-10 reads at opset 11, or why it cannot. Resize-10 maps output to input coordinates
 * asymmetrically (x / scale), and ONNX Runtime's, as the opset-10 spec's examples, rounds a
 * nearest coordinate down when upsampling and up when downsampling; opset 11 spells the first
 * as coordinate_transformation_mode "asymmetric" and nearest_mode "floor" (ONNX's version
 * converter leaves the defaults, half_pixel and round_prefer_floor, which move every pixel). A
 * nearest Resize that shrinks an axis, or whose scales are computed, is left as it is.
 */
function resize11(g: onnx.GraphProto, n: onnx.INodeProto): { nearest: boolean } | { blocker: string } {
  const modeAttr = n.attribute?.find((a) => a.name === 'mode');
  const mode = modeAttr ? new TextDecoder().decode(modeAttr.s ?? new Uint8Array()) : 'nearest';
  if (mode !== 'nearest' && mode !== 'linear') return { blocker: `a Resize node in mode ${mode}` };
  if (mode === 'linear') return { nearest: false };
  const scales = floatConstant(g, n.input?.[1] ?? '');
  if (!scales) return { blocker: 'a nearest Resize node whose scales are computed' };
  if (scales.some((v) => !(v >= 1))) return { blocker: 'a nearest Resize node that downsamples' };
  return { nearest: true };
}

/**
 * Rewrites a graph of opset 10 to opset 11 where that is a mechanical change: Clip's min and max
 * attributes and Pad's pads and value become inputs (float32 scalars, an int64 vector), and a
 * Resize takes an empty roi and states the coordinates Resize-10 used (resize11). Every other
 * op's opset-11 form only adds types, negative axes or attributes whose default keeps the old
 * meaning; an op whose meaning changed otherwise (Scatter's name, a downsampling nearest Resize)
 * or a sub-graph stops the upgrade, and the graph is changed only when it succeeds.
 */
function raiseToOpset11(
  g: onnx.GraphProto,
  fresh: (base: string) => string,
): { ok: true; clips: number; pads: number; resizes: number } | { ok: false; blocker: string } {
  const blocker = upgradeBlocker(g, CHANGED_AT_11);
  if (blocker) return { ok: false, blocker };
  const resizes = new Map<onnx.INodeProto, boolean>();
  for (const n of g.node)
    if (n.opType === 'Resize' && (!n.domain || n.domain === 'ai.onnx')) {
      const how = resize11(g, n);
      if ('blocker' in how) return { ok: false, blocker: how.blocker };
      resizes.set(n, how.nearest);
    }
  let clips = 0;
  let pads = 0;
  for (const n of ownNodes(g)) {
    const at = (name: string) => n.attribute.find((a) => a.name === name);
    const base = n.name || n.output[0] || (n.opType ?? 'node');
    const scalar = (suffix: string, v: number) => addInitializer(g, fresh(`${base}_${suffix}`), [v], 'float32', []);
    if (n.opType === 'Clip') {
      const min = at('min');
      const max = at('max');
      // An absent bound is an absent input ('' when a later one is given).
      const inputs = [n.input[0]!, min ? scalar('min', min.f ?? 0) : '', max ? scalar('max', max.f ?? 0) : ''];
      while (inputs.length > 1 && inputs[inputs.length - 1] === '') inputs.pop();
      n.input = inputs;
      n.attribute = n.attribute.filter((a) => a.name !== 'min' && a.name !== 'max');
      clips++;
    } else if (n.opType === 'Pad') {
      const amounts = (at('pads')?.ints ?? []).map((v) => Number(v.toString()));
      const value = at('value');
      n.input = [
        n.input[0]!,
        addInitializer(g, fresh(`${base}_pads`), amounts, 'int64'),
        ...(value ? [scalar('value', value.f ?? 0)] : []),
      ];
      n.attribute = n.attribute.filter((a) => a.name !== 'pads' && a.name !== 'value');
      pads++;
    } else if (resizes.has(n)) {
      n.input = [n.input[0]!, addInitializer(g, fresh(`${base}_roi`), [], 'float32'), n.input[1]!];
      n.attribute = [
        ...n.attribute.filter((a) => a.name === 'mode'),
        makeAttribute('coordinate_transformation_mode', attr.string('asymmetric')),
        ...(resizes.get(n) ? [makeAttribute('nearest_mode', attr.string('floor'))] : []),
      ];
    }
  }
  return { ok: true, clips, pads, resizes: resizes.size };
}

/**
 * Attributes that became an op's second input, with the opset that made them so: the axes of
 * ReduceSum, Squeeze and Unsqueeze and Split's sizes at 13, the other reductions' axes at 18.
 */
const ATTRIBUTE_TO_INPUT: ReadonlyMap<string, { attribute: string; since: number }> = new Map([
  ['ReduceSum', { attribute: 'axes', since: 13 }],
  ['Squeeze', { attribute: 'axes', since: 13 }],
  ['Unsqueeze', { attribute: 'axes', since: 13 }],
  ['Split', { attribute: 'split', since: 13 }],
  ...[
    'ReduceMean',
    'ReduceMax',
    'ReduceMin',
    'ReduceProd',
    'ReduceL1',
    'ReduceL2',
    'ReduceLogSum',
    'ReduceLogSumExp',
    'ReduceSumSquare',
  ].map((op) => [op, { attribute: 'axes', since: 18 }] as const),
]);

/** Softmax and its kin, which normalize over one axis from opset 13 (over all from `axis` before). */
const ONE_AXIS_AT_13 = new Set(['Softmax', 'LogSoftmax', 'Hardmax']);

/** What {@link raiseOpset} changed, by kind. */
interface RaisedOpset {
  /** Attributes written as an input (reduction and squeeze axes, split sizes). */
  inputs: number;
  /** RoiAligns given their old coordinate mode explicitly. */
  roiAligns: number;
  /** Dropouts given their ratio as an input. */
  dropouts: number;
  /** Softmax, LogSoftmax and Hardmax over their last axis, given it explicitly. */
  lastAxis: number;
}

/**
 * Rewrites a graph of opset 11 to 18 (its sub-graphs too) to a later opset `target` (19 for a
 * float16 model, 12 for an 8-bit ReduceMax), or says what stops it (changing nothing then). From
 * 11 on, the ops' later versions only add types, attributes with the old default or optional
 * inputs, but for these, which are rewritten when `target` reaches the opset that changed them:
 * - the attributes of {@link ATTRIBUTE_TO_INPUT} become an int64 initializer input;
 * - Dropout's ratio is an input from 12;
 * - RoiAlign's coordinate mode defaults to half_pixel from 16, where it was output_half_pixel;
 * - Softmax, LogSoftmax and Hardmax normalize over their one axis from 13, where they normalized
 *   over every axis from it on: the same only when it is the last, which needs the input's rank
 *   (`rankOf`); any other stops the raise.
 */
function raiseOpset(
  g: onnx.GraphProto,
  opset: number,
  target: number,
  fresh: (base: string) => string,
  rankOf: (tensor: string) => number | undefined,
): { ok: true; changed: RaisedOpset } | { ok: false; blocker: string } {
  const nodes: (onnx.NodeProto & { attribute: onnx.IAttributeProto[]; input: string[] })[] = [];
  const collect = (graph: onnx.IGraphProto) => {
    for (const node of graph.node ?? []) {
      for (const a of node.attribute ?? []) {
        if (a.g) collect(a.g);
        for (const sub of a.graphs ?? []) collect(sub);
      }
      if (node.domain && node.domain !== 'ai.onnx') continue;
      const n = node as (typeof nodes)[number];
      n.attribute ??= [];
      n.input ??= [];
      nodes.push(n);
    }
  };
  collect(g);
  const intAttr = (n: (typeof nodes)[number], name: string) => {
    const a = n.attribute.find((x) => x.name === name);
    return a ? Number(a.i?.toString() ?? 0) : undefined;
  };
  // The axis each Softmax-like node of opset < 13 normalizes from, when it is its input's last.
  const lastAxis = new Set<(typeof nodes)[number]>();
  if (opset < 13 && target >= 13)
    for (const n of nodes.filter((x) => ONE_AXIS_AT_13.has(x.opType ?? ''))) {
      const axis = intAttr(n, 'axis') ?? 1;
      const rank = rankOf(n.input[0] ?? '');
      const last = axis === -1 || (rank !== undefined && (axis < 0 ? axis + rank : axis) === rank - 1);
      if (!last)
        return {
          ok: false,
          blocker:
            rank === undefined
              ? `${n.opType} "${n.name || n.output?.[0]}" normalizes over axis ${axis} and every axis after it, of an input whose rank QuantLens does not know, which opset 13 does only when that axis is the last (it normalizes over one axis)`
              : `${n.opType} "${n.name || n.output?.[0]}" normalizes over axes ${axis < 0 ? axis + rank : axis} to ${rank - 1} together, which opset 13 no longer does (it normalizes over one axis)`,
        };
      lastAxis.add(n);
    }
  const changed: RaisedOpset = { inputs: 0, roiAligns: 0, dropouts: 0, lastAxis: 0 };
  for (const n of nodes) {
    const moved = ATTRIBUTE_TO_INPUT.get(n.opType ?? '');
    const base = n.name || n.output?.[0] || (n.opType ?? 'node');
    if (moved && opset < moved.since && target >= moved.since) {
      const a = n.attribute.find((x) => x.name === moved.attribute);
      if (!a) continue;
      const values = (a.ints ?? []).map((v) => Number(v.toString()));
      n.input = [n.input[0]!, addInitializer(g, fresh(`${base}_${moved.attribute}`), values, 'int64')];
      n.attribute = n.attribute.filter((x) => x !== a);
      changed.inputs++;
    } else if (opset < 12 && target >= 12 && n.opType === 'Dropout') {
      const a = n.attribute.find((x) => x.name === 'ratio');
      if (!a) continue;
      n.input = [n.input[0]!, addInitializer(g, fresh(`${base}_ratio`), [a.f ?? 0.5], 'float32', [])];
      n.attribute = n.attribute.filter((x) => x !== a);
      changed.dropouts++;
    } else if (opset < 16 && target >= 16 && n.opType === 'RoiAlign') {
      if (n.attribute.some((x) => x.name === 'coordinate_transformation_mode')) continue;
      n.attribute.push(makeAttribute('coordinate_transformation_mode', attr.string('output_half_pixel')));
      changed.roiAligns++;
    } else if (lastAxis.has(n)) {
      n.attribute = [...n.attribute.filter((x) => x.name !== 'axis'), makeAttribute('axis', attr.int(-1))];
      changed.lastAxis++;
    }
  }
  return { ok: true, changed };
}

const FLOAT16 = dtypeCode('float16');
const FLOAT = dtypeCode('float32');

/**
 * The main graph's float16 tensors: typed so (initializers, Constant values, inputs, outputs,
 * value_info), or made by a node from float16 inputs, in graph order (a Cast says its own type,
 * CastLike takes its second input's). value_info, where given, has the last word.
 */
function float16Tensors(g: onnx.IGraphProto): Set<string> {
  const half = new Set<string>();
  for (const t of g.initializer ?? []) if (t.dataType === FLOAT16 && t.name) half.add(t.name);
  for (const v of [...(g.input ?? []), ...(g.output ?? [])])
    if (v.type?.tensorType?.elemType === FLOAT16 && v.name) half.add(v.name);
  for (const n of g.node ?? []) {
    const outputs = (n.output ?? []).filter(Boolean);
    const attr = (name: string) => n.attribute?.find((a) => a.name === name);
    let made: boolean;
    if (n.opType === 'Cast') made = Number(attr('to')?.i ?? FLOAT) === FLOAT16;
    else if (n.opType === 'CastLike') made = half.has(n.input?.[1] ?? '');
    else if (n.opType === 'Constant' || n.opType === 'ConstantOfShape') made = attr('value')?.t?.dataType === FLOAT16;
    else made = (n.input ?? []).some((i) => half.has(i));
    if (made) for (const o of outputs) half.add(o);
  }
  for (const v of g.valueInfo ?? []) {
    const type = v.type?.tensorType?.elemType;
    if (!v.name || !type) continue;
    if (type === FLOAT16) half.add(v.name);
    else half.delete(v.name);
  }
  return half;
}

/**
 * The nodes in an order where each comes after the nodes whose outputs it reads (`inputsOf`,
 * `outputsOf`: what a node reads and makes, the Q/DQ that go with it included), as ONNX requires:
 * as given when they are so already; else each node placed after its producers, file order kept
 * where it may be (a float16 conversion appends its input Casts after every other node, and the
 * export would inherit an order onnx.checker refuses). A cycle has no such order: given as it is.
 */
export function inTopologicalOrder(
  nodes: readonly onnx.INodeProto[],
  inputsOf: (n: onnx.INodeProto) => readonly string[] = (n) => n.input ?? [],
  outputsOf: (n: onnx.INodeProto) => readonly string[] = (n) => n.output ?? [],
): onnx.INodeProto[] {
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => {
    for (const o of outputsOf(n)) if (o) producer.set(o, i);
  });
  const order = orderAfter(nodes.length, (i) =>
    inputsOf(nodes[i]!).flatMap((name) => {
      const at = name ? producer.get(name) : undefined;
      return at === undefined || at === i ? [] : [at];
    }),
  );
  return order ? order.map((i) => nodes[i]!) : [...nodes];
}
