/**
 * Annotation: decides, per tensor, how it is quantized, from the backend's rule pack, the
 * chosen config and per-node overrides (the role of upstream's per-op annotators): activations
 * observed, fixed output encodings (Sigmoid, Tanh), shared encodings for math-invariant ops, one
 * common range over Concat, weights per tensor / per channel / per block, derived int32 bias,
 * a 16-bit MatMul second input as int16 symmetric (V73+) or uint8 (older archs).
 */
import { DEFAULT_FLOW, FLOWS, type Flow, type RulePack } from '../../../rules/types';
import { ENCODING_PASSES, qgraphFromQdq } from '../qgraph/from-qdq';
import { mapOp } from '../check/map-op';
import { constantNodeValue, lookupConstant } from '../model/constants';
import { inferOutputDtype } from '../model/graph-view';
import { isIndexPort, type QNode } from '../qgraph/qgraph';
import type { Model } from '../model/types';
import { CONFIGS, type ConfigName, type QuantOptions, type WeightSpec } from './configs';
import type { QuantDType } from '../encoding/encoding';
import { SentenceError } from '../model/errors';

export type TensorSpec =
  | { kind: 'observe'; dtype: 'uint8' | 'uint16' | 'int16'; symmetric: boolean }
  | { kind: 'fixed'; dtype: QuantDType; scale: number; zeroPoint: number }
  | { kind: 'shared'; with: string }
  | {
      kind: 'weight';
      spec: WeightSpec;
      axis?: number;
      blockSize?: number;
      /**
       * A linear weight quantized per tensor: its output channels' axis, along which per-channel
       * weights would be taken (the quantizer says when that would keep much more of it).
       */
      linearAxis?: number;
    }
  | { kind: 'const-act'; dtype: 'uint8' | 'uint16'; symmetric: boolean }
  /**
   * An int32 bias at the input scale × the weight scale. `weightEdge` (`node:index`): the weight is
   * computed at run time and read on a requantized edge, whose encoding is the one to multiply by.
   */
  | { kind: 'bias'; input: string; weight: string; weightEdge?: string };

/** A per-node override: nodes whose name matches `pattern` (a regular expression) use `config`, or stay float. */
export interface Override {
  pattern: string;
  config: ConfigName | 'float';
}

export interface PlanNode {
  id: string;
  name: string;
  opType: string;
  qnnOp: string | null;
  config: ConfigName | 'float';
  /** Why the node stays float, when it does. */
  floatReason?: string;
}

export interface Plan {
  tensors: Map<string, TensorSpec>;
  /**
   * Edge encodings, keyed `nodeId:inputIndex`: a consumer that needs its input in another
   * encoding than the producer's (a 16-bit MatMul second input as int16) reads a requantized copy.
   */
  edges: Map<string, TensorSpec>;
  nodes: PlanNode[];
  /** Tensors that must end with one common range (Concat inputs and output). */
  groups: string[][];
  /**
   * Tensors whose ranges an encoding must cover too, keyed by a tensor that holds it: a
   * ScatterElements' or ScatterND's output shares its data's encoding, and holds the updates'
   * values (or, with a reduction, their sums or products), which can lie far outside the data's
   * range (zeros scattered into, say). ExecuTorch's annotator shares one observer among the three.
   */
  widen: Map<string, string[]>;
  /**
   * Outputs of a Conv, Gemm or Add that only a Relu or Clip reads, each given that activation's
   * encoding (see {@link fuseActivations}): `[output, activation's output]`.
   */
  supergroups: [string, string][];
  notes: string[];
}

/**
 * A Conv, Gemm or Add output that only a Relu or Clip reads takes that activation's encoding
 * rather than one of its own: AIMET's HTP configs make such pairs supergroups (Conv+Relu,
 * Conv+Clip, Add+Relu, Gemm+Relu: no quantizer between), and ONNX Runtime's quantizer gives the
 * Conv the activation's range. The encoding then spends no levels on the values the activation
 * cuts, and the result is exact: the activation's output range lies inside its bounds, so the
 * head's QuantizeLinear clamps as the activation would (torchvision's MNASNet, GoogLeNet and
 * ShuffleNetV2 at 8a8w: 0.9 to 1.5 dB more). The head's output then needs no calibration, which
 * lets onnxruntime fuse the pair while calibrating (MobileNetV2: a sample at 1.15x plain inference
 * rather than 1.96x). ExecuTorch's HTP annotator observes both tensors.
 */
function fuseActivations(
  graph: ReturnType<typeof qgraphFromQdq>,
  nodes: readonly PlanNode[],
  tensors: Map<string, TensorSpec>,
): [string, string][] {
  const qnnOps = new Map(nodes.map((n) => [n.id, n.qnnOp]));
  const producer = new Map<string, string>();
  const readers = new Map<string, number>();
  for (const n of graph.nodes) {
    for (const p of n.outputs) producer.set(p.tensor, n.id);
    for (const p of n.inputs) readers.set(p.tensor, (readers.get(p.tensor) ?? 0) + 1);
  }
  const fused: [string, string][] = [];
  for (const n of graph.nodes) {
    if (n.opType !== 'Relu' && n.opType !== 'Clip') continue;
    const x = n.inputs.find((p) => p.index === 0);
    const y = n.outputs.find((p) => p.index === 0);
    if (!x || !y || readers.get(x.tensor) !== 1 || x.graphOutput) continue;
    const head = producer.get(x.tensor);
    // The weighted ops (convolutions, FullyConnected) and Add: AIMET's HTP supergroup heads.
    const op = head ? qnnOps.get(head) : undefined;
    if (!op || !(WEIGHTED.has(op) || op === 'ElementWiseAdd')) continue;
    const a = tensors.get(x.tensor);
    const b = tensors.get(y.tensor);
    if (a?.kind !== 'observe' || b?.kind !== 'observe' || a.dtype !== b.dtype || a.symmetric !== b.symmetric) continue;
    tensors.set(x.tensor, { kind: 'shared', with: y.tensor });
    fused.push([x.tensor, y.tensor]);
  }
  return fused;
}

/**
 * The tensors calibration observes for `plan`: those with an encoding of their own, the inputs a
 * consumer reads requantized (`edges`), and those whose ranges widen another's (`widen`).
 */
export function observedTensors(model: Model, plan: Plan): Set<string> {
  const observed = new Set([...plan.tensors].filter(([, s]) => s.kind === 'observe').map(([n]) => n));
  const byId = new Map<string, Model['graph']['nodes'][number]>(model.graph.nodes.map((n) => [n.id, n]));
  for (const key of plan.edges.keys()) {
    const [id, i] = key.split(':');
    const t = byId.get(id!)?.inputs[Number(i)];
    if (t) observed.add(t);
  }
  for (const extra of plan.widen.values()) for (const t of extra) observed.add(t);
  return observed;
}

export class OverrideError extends SentenceError<'override'> {
  override readonly name = 'OverrideError';
  constructor(sentence: string) {
    super('override', sentence);
  }
}

/** Compiles override patterns, with a clear error for a bad regular expression. */
export function compileOverrides(
  overrides: readonly Override[],
): { re: RegExp; pattern: string; config: ConfigName | 'float' }[] {
  return overrides.map((o) => {
    try {
      return { re: new RegExp(o.pattern), pattern: o.pattern, config: o.config };
    } catch (err) {
      throw new OverrideError(
        `override pattern "${o.pattern}" is not a valid regular expression (${(err as Error).message})`,
      );
    }
  });
}

/**
 * The element type of every tensor of the main graph: declared where the model says, else
 * inferred from the op (Shape gives int64, Cast its target, most ops their first input's type).
 * Exporters often declare nothing (paddle2onnx, PyTorch 1.13), and an integer tensor must never get
 * a Q/DQ pair: QuantizeLinear takes float only.
 */
export function tensorTypes(model: Model): Map<string, string> {
  const g = model.graph;
  const types = new Map<string, string>();
  for (const v of g.valueInfo.values()) types.set(v.name, String(v.dtype));
  for (const v of [...g.inputs, ...g.outputs]) types.set(v.name, String(v.dtype));
  for (const t of g.initializers.values()) types.set(t.name, String(t.dtype));
  for (const n of g.nodes) {
    if (n.opType === 'Constant' && n.outputs[0]) {
      const value = constantNodeValue(n);
      if (value) types.set(n.outputs[0], String(value.dtype));
    }
  }
  for (const n of g.nodes)
    for (const [k, o] of n.outputs.entries()) {
      const known = o ? types.get(o) : undefined;
      if (!o || (known && known !== 'undefined')) continue;
      const t = inferOutputDtype(n, (name) => types.get(name), k);
      if (t) types.set(o, t);
    }
  return types;
}

const isFloatType = (t: string | undefined) => t === undefined || t.startsWith('float') || t === 'bfloat16';

function isFloatConstant(model: Model, tensor: string): boolean {
  const c = lookupConstant(model, '', tensor);
  return !!c && (c.dtype === 'float32' || c.dtype === 'float16' || c.dtype === 'bfloat16' || c.dtype === 'float64');
}

const WEIGHTED = new Set([
  'Conv2d',
  'DepthWiseConv2d',
  'Conv3d',
  'TransposeConv2d',
  'TransposeConv3d',
  'FullyConnected',
]);
const BLOCKABLE = new Set(['Conv2d', 'DepthWiseConv2d', 'Conv3d', 'FullyConnected']);

function weightAxis(node: QNode, qnnOp: string, gemmTransB: boolean): number {
  if (qnnOp.startsWith('TransposeConv')) return 1;
  if (node.opType === 'MatMul') return 1; // [K, N]: output channels last
  if (node.opType === 'Gemm') return gemmTransB ? 0 : 1;
  return 0;
}

export function annotate(
  model: Model,
  pack: RulePack,
  options: QuantOptions,
  overrides: readonly Override[] = [],
  /** HTP architecture of the target (73 for V73): picks a 16-bit MatMul second input's precision. */
  htpArch = 73,
  /** The deployment flow: outputs it needs to share their input's encoding (ONNX Runtime's MaxPool, Resize) do. */
  flow: Flow = DEFAULT_FLOW,
): Plan {
  const compiled = compileOverrides(overrides);
  const graph = qgraphFromQdq(model);
  const types = tensorTypes(model);
  const tensors = new Map<string, TensorSpec>();
  const groups: string[][] = [];
  const widen = new Map<string, string[]>();
  const edges = new Map<string, TensorSpec>();
  const notes: string[] = [];
  const nodes: PlanNode[] = [];
  /** Linear nodes whose 2-bit weights go per channel though per-tensor linear weights are asked for. */
  const twoBitLinear: string[] = [];
  const byId = new Map<string, Model['graph']['nodes'][number]>(model.graph.nodes.map((n) => [n.id, n]));
  // Tensors inside a pattern every flow fuses into one op (GELU's Div/Erf/Add, HardSwish's
  // HardSigmoid) never exist on the NPU: quantizing them would break the fusion. A MatMul's product
  // before the Add of its bias is quantized all the same: ONNX Runtime fuses the two only at fixed
  // sizes, and with a Q/DQ between them both are QDQ node groups under every flow.
  // For ONNX Runtime, a HardSigmoid × x or GELU is one op only while x is float: once x is
  // quantized, its QNN EP fuses it only where every node in it is a QDQ node group (fusions.ts),
  // so those tensors are quantized as its own quantizer does.
  const kept = new Set([
    ...(graph.matmulAddProducts ?? []),
    ...(flow === 'ort' ? (graph.ortFusesWhileFloat ?? []) : []),
  ]);
  const fusedEverywhere = (tensor: string) =>
    graph.fusedTensors?.[tensor]?.length === FLOWS.length && !kept.has(tensor);
  const set = (tensor: string, spec: TensorSpec) => {
    if (tensor && !tensors.has(tensor) && isFloatType(types.get(tensor)) && !fusedEverywhere(tensor))
      tensors.set(tensor, spec);
  };

  for (const node of graph.nodes) {
    const source = byId.get(node.id)!;
    const mapped = mapOp(pack, node);
    const override = compiled.find((o) => o.re.test(node.name));
    const configName = override?.config ?? options.config;
    const entry: PlanNode = {
      id: node.id,
      name: node.name,
      opType: node.opType,
      qnnOp: mapped.kind === 'mapped' ? mapped.qnnOp : null,
      config: configName,
    };
    nodes.push(entry);
    if (mapped.kind === 'transparent') {
      // Identity and friends pass their input's encoding through. ConstantOfShape's float output
      // is made from an int64 shape, which never has an encoding to pass: it is left to its
      // consumers (a Scatter's data: observed, as torchvision's MultiScaleRoIAlign fills one).
      // A static computation folded away (PyTorch's head_dim ** -0.5 from a Shape: Cast, Pow; Swin's
      // attention mask: Where, then Unsqueeze) makes a value whose input has no encoding to pass:
      // it too is left to its consumers, which observe it (ONNX Runtime folds it into a constant,
      // and a Q/DQ on it into a DequantizeLinear of one).
      const input = node.inputs[0];
      const output = node.outputs[0];
      const passes =
        !node.folded ||
        ((ENCODING_PASSES.has(node.opType) || pack.transparentOps.includes(node.opType)) &&
          !!input &&
          tensors.has(input.tensor));
      if (passes && input && output && !input.constant && isFloatType(types.get(input.from ?? input.tensor)))
        set(output.tensor, { kind: 'shared', with: input.tensor });
      continue;
    }
    // A Cast to the type its input already has (torchvision's detectors cast anchors and boxes to
    // their own dtype) changes no value: its output shares the input's encoding. Observed on its
    // own, it took the range of what reached it (a Gather's picks from the anchors, whose output
    // shares the whole table's encoding): ONNX Runtime's CastElimination then removed the Cast, its
    // DoubleQDQPairsRemover merged the two pairs, and the Gather before it wrote another scale than
    // it read: a float op.
    if (node.opType === 'Cast' && configName !== 'float') {
      const input = node.inputs[0];
      const output = node.outputs[0];
      const from = input && types.get(input.from ?? input.tensor);
      if (input && output && !input.constant && from && from !== 'undefined' && from === types.get(output.tensor)) {
        set(output.tensor, { kind: 'shared', with: input.tensor });
        continue;
      }
    }
    if (configName === 'float') {
      // The pattern as written ("^/head/"; the expression's source escapes its slashes).
      entry.floatReason = override ? `override "${override.pattern}"` : 'float';
      continue;
    }
    if (mapped.kind === 'unsupported') {
      entry.floatReason = `${node.opType} has no ${pack.backend.toUpperCase()} op`;
      continue;
    }
    const config = CONFIGS[configName];
    const qnnOp = mapped.qnnOp;
    const constraint = pack.constraints[qnnOp];
    const act = config.act;
    // 16-bit weights and MatMul second inputs beside 16-bit activations: V73 on, or asked for.
    const sixteenBit = htpArch >= 73 || configName === '16a16w';
    const transB = source.attributes.some((a) => a.name === 'transB' && a.attr.type === 'int' && a.attr.value === 1);
    const inputSpecs = new Map<number, TensorSpec>();
    let embeddingOwnOutput = false;
    // A constant operand takes the activation type unless the op's constraint says otherwise
    // (HTP's Batchnorm scale is uint8 only, also at 16 bits).
    const constDtype = (index: number): 'uint8' | 'uint16' => {
      const allowed = constraint?.inputs[Math.min(index, constraint.inputs.length - 1)]?.dtypes;
      if (!act || !allowed || allowed.includes(act)) return act!;
      return allowed.includes('uint8') ? 'uint8' : allowed.includes('uint16') ? 'uint16' : act;
    };

    /** An input observed in a type other than the node's activations is read on a requantized edge. */
    const onEdge = (spec: TensorSpec | undefined) => spec?.kind === 'observe' && spec.dtype !== act;
    /** The edge spec of weight `index` of a 16-bit-activation node when the weight is computed at run time. */
    const runTimeWeight = (op: string, index: number): TensorSpec => {
      const allowed = constraint?.inputs[Math.min(index, constraint.inputs.length - 1)]?.dtypes;
      const sixteen = op === 'LayerNorm' ? sixteenBit : config.weight.bitwidth === 16;
      return sixteen && (!allowed || allowed.includes('int16'))
        ? { kind: 'observe', dtype: 'int16', symmetric: true }
        : { kind: 'observe', dtype: 'uint8', symmetric: false };
    };
    for (const port of node.inputs) {
      // Shapes, indices and other integer tensors are never quantized.
      if (port.constant && !isFloatConstant(model, port.tensor)) continue;
      if (!port.constant && !isFloatType(types.get(port.from ?? port.tensor))) continue;
      // Resize's roi and scales, Pad's pads, ... are parameters, even when float.
      if (isIndexPort(node.opType, 'input', port.index)) continue;
      if (options.perChannelEmbedding && node.opType === 'Gather' && port.index === 0 && port.constant) {
        // Upstream's per-channel embedding: the table is a weight, per channel on axis 0, and the
        // output gets its own encoding. (HTP's Gather is per-tensor in AIMET's configs: the
        // validator says so.)
        inputSpecs.set(port.index, { kind: 'weight', spec: config.weight, axis: 0 });
        embeddingOwnOutput = true;
        continue;
      }
      if (port.role === 'weight' && port.constant) {
        if (WEIGHTED.has(qnnOp)) {
          const isLinear = qnnOp === 'FullyConnected';
          // A MatMul's constant [K, N] weight blocks along K, as ONNX Runtime's LPBQ MatMul fusion
          // and ExecuTorch's LPBQ linear take it.
          const canBlock = config.block && BLOCKABLE.has(qnnOp);
          // 2-bit weights are per channel or nothing (ExecuTorch's validators refuse them per
          // tensor), linear ones included whatever the per-tensor default.
          const twoBit = config.weight.bitwidth === 2;
          const perChannel = canBlock || twoBit || (isLinear ? options.perChannelLinear : options.perChannelConv);
          if (isLinear && twoBit && !options.perChannelLinear) twoBitLinear.push(node.name);
          const spec: TensorSpec = {
            kind: 'weight',
            spec: config.weight,
            axis: perChannel ? weightAxis(node, qnnOp, transB) : undefined,
            blockSize: canBlock ? options.blockSize : undefined,
            ...(isLinear && !perChannel ? { linearAxis: weightAxis(node, qnnOp, transB) } : {}),
          };
          inputSpecs.set(port.index, spec);
        } else if (act === 'uint16' && (qnnOp === 'LayerNorm' || qnnOp === 'MatMul')) {
          // 16-bit weights with 16-bit activations need V73 (the 16a16w gate): older archs get
          // 8-bit ones, as ONNX Runtime's QNN config overrides them to its 8-bit weight type.
          if (sixteenBit) inputSpecs.set(port.index, { kind: 'weight', spec: config.weight16 });
          else {
            inputSpecs.set(port.index, { kind: 'const-act', dtype: 'uint8', symmetric: false });
            notes.push(
              `${node.name}: its ${qnnOp === 'LayerNorm' ? 'scale' : 'constant second input'} is quantized as uint8: 16-bit weights beside 16-bit activations need HTP V73 or newer, and this target is V${htpArch}.`,
            );
          }
        } else if (act === 'uint16' && qnnOp === 'InstanceNorm') {
          // Beside 16-bit activations the scale is int16 symmetric where the config's weights are
          // 16-bit (ExecuTorch's weight spec), else uint8 (ONNX Runtime's InstanceNormU16U8 test;
          // a uint16 scale would be converted, an int8 one converted to uint8).
          inputSpecs.set(
            port.index,
            config.weight.bitwidth === 16
              ? { kind: 'weight', spec: config.weight16 }
              : { kind: 'const-act', dtype: 'uint8', symmetric: false },
          );
        } else if (act) {
          inputSpecs.set(port.index, { kind: 'const-act', dtype: constDtype(port.index), symmetric: false });
        }
      } else if (port.role === 'weight' && !port.constant && act === 'uint16') {
        // A weight computed at run time (a Conv or Gemm weight, a norm's scale from another node
        // or a graph input) is read on this edge in a type the op takes as it is, rather than the
        // tensor's own uint16, which ONNX Runtime converts to int16 (re-rounding what was
        // calibrated) and Batchnorm refuses: int16 symmetric where the config's weights are 16-bit
        // (LayerNorm: wherever its constant scale would be), else uint8, Batchnorm's only type.
        inputSpecs.set(port.index, runTimeWeight(qnnOp, port.index));
      } else if (port.role === 'bias' && port.constant) {
        const w = node.inputs.find((p) => p.role === 'weight');
        const wSpec = w ? inputSpecs.get(w.index) : undefined;
        if (w && wSpec?.kind === 'weight' && node.inputs[0])
          inputSpecs.set(port.index, { kind: 'bias', input: node.inputs[0].tensor, weight: w.tensor });
        else if (w && wSpec?.kind === 'observe' && WEIGHTED.has(qnnOp) && node.inputs[0])
          // A weight computed at run time (a Gemm's B made from the input) is quantized like an
          // activation, and the bias is still int32 at input scale × its scale, as QNN's
          // FullyConnected and Conv take it (ONNX Runtime's HTP tests Gemm_Dynamic_A_B_Static_Bias
          // and Gemm_Dynamic_A_Dynamic_B_Dynamic_Bias_U16 build it so): a uint8 bias made the
          // export fail its own check ("bias must be int32") and ONNX Runtime's Gemm node unit.
          inputSpecs.set(port.index, {
            kind: 'bias',
            input: node.inputs[0].tensor,
            weight: w.tensor,
            weightEdge: onEdge(wSpec) ? `${node.id}:${w.index}` : undefined,
          });
        else if (act)
          inputSpecs.set(port.index, { kind: 'const-act', dtype: constDtype(port.index), symmetric: false });
      } else if (qnnOp === 'MatMul' && port.index === 1 && !port.constant && act === 'uint16') {
        // Upstream annotates a 16-bit MatMul second input as int16 symmetric at every 16-bit
        // config, which needs V73 (its 16a16w gate); older archs get uint8 (16x8), as its
        // annotate_matmul_16a8w does, unless 16a16w was asked for (then the V73 gate says so).
        inputSpecs.set(
          port.index,
          sixteenBit
            ? { kind: 'observe', dtype: 'int16', symmetric: true }
            : { kind: 'observe', dtype: 'uint8', symmetric: options.actSymmetric },
        );
        if (!sixteenBit)
          notes.push(
            `${node.name}: its second input is quantized as uint8 (16x8), as ExecuTorch's annotate_matmul_16a8w does: an int16 second input (16x16) needs HTP V73 or newer, and this target is V${htpArch}.`,
          );
      } else if (act) {
        inputSpecs.set(
          port.index,
          port.constant
            ? { kind: 'const-act', dtype: act, symmetric: options.actSymmetric }
            : { kind: 'observe', dtype: act, symmetric: options.actSymmetric },
        );
      }
    }
    for (const [index, spec] of inputSpecs) {
      const port = node.inputs.find((p) => p.index === index)!;
      // A 16-bit MatMul second input is annotated on the edge, as upstream does: the producer
      // keeps its own encoding and this consumer reads an int16 (or uint8) requantized copy.
      if (onEdge(spec)) {
        edges.set(`${node.id}:${index}`, spec);
        set(port.tensor, { kind: 'observe', dtype: 'uint16', symmetric: options.actSymmetric });
      } else set(port.tensor, spec);
    }
    if (!act) continue;
    const concatGroup: string[] = [];
    for (const port of node.outputs) {
      if (!isFloatType(types.get(port.tensor))) continue;
      const out = constraint?.outputs[Math.min(port.index, constraint.outputs.length - 1)];
      const fixed = out?.fixed?.[act];
      if (fixed) set(port.tensor, { kind: 'fixed', dtype: act, scale: fixed.scale, zeroPoint: fixed.zeroPoint });
      else if ((out?.mathInvariant || out?.sameQparamsFlows?.includes(flow)) && node.inputs[0] && !embeddingOwnOutput)
        set(port.tensor, { kind: 'shared', with: node.inputs[0].tensor });
      else set(port.tensor, { kind: 'observe', dtype: act, symmetric: options.actSymmetric });
      if (qnnOp === 'Concat') concatGroup.push(port.tensor);
    }
    if (qnnOp === 'Concat')
      groups.push([...node.inputs.filter((p) => !p.constant).map((p) => p.tensor), ...concatGroup]);
    const data = node.inputs[0];
    if ((qnnOp === 'ScatterElements' || qnnOp === 'ScatterNd') && data && tensors.has(data.tensor)) {
      const updates = node.inputs.find((p) => p.index === 2);
      const extra = [updates?.tensor, node.outputs[0]?.tensor].filter(
        (t): t is string => !!t && tensors.has(t) && t !== data.tensor,
      );
      widen.set(data.tensor, [...(widen.get(data.tensor) ?? []), ...extra]);
    }
  }
  const supergroups = fuseActivations(graph, nodes, tensors);
  if (supergroups.length)
    notes.push(
      `${supergroups.length} Conv, Gemm or Add output${supergroups.length === 1 ? '' : 's'} that only a Relu or Clip reads take${supergroups.length === 1 ? 's' : ''} that activation's encoding, as AIMET's HTP supergroups and ONNX Runtime's quantizer have it (ExecuTorch's annotator gives each its own): the pair runs as one quantized op, and no levels go to the values the activation cuts.`,
    );
  if (twoBitLinear.length)
    notes.push(
      `${twoBitLinear.length} linear node${twoBitLinear.length === 1 ? '' : 's'} (${twoBitLinear.slice(0, 3).join(', ')}${twoBitLinear.length > 3 ? ', …' : ''}) got per-channel weights: 2-bit weights are taken per channel only (ExecuTorch's validators refuse them per tensor), so the per-tensor default for linear weights does not apply.`,
    );
  return { tensors, edges, nodes, groups, widen, supergroups, notes };
}
