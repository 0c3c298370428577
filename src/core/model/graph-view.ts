/**
 * The view model: a compact, byte-free description of one graph (main graph or a sub-graph)
 * that the UI renders. Built in the worker; crosses to the main thread by structured clone, so it
 * must hold no weight bytes.
 */
import { constantNodeValue, findGraphChain } from './constants';
import { dtypeBits, dtypeFromCode } from './dtype';
import { producerIndex } from './graph-index';
import type { AttributeValue, Dim, Graph, Model, Node, TensorName } from './types';
import { contextBinaryLocations, externalByteCount, externalLocations } from './external-data';

/** How a node input or output is fed. */
export type PortKind = 'activation' | 'initializer' | 'constant' | 'graph-input' | 'outer-scope' | 'optional-empty';

export interface ViewPort {
  /** Tensor name ('' for an omitted optional input). */
  name: TensorName;
  dtype: string;
  shape?: Dim[];
  kind: PortKind;
  /**
   * For a QDQ model: the quantized tensor a DequantizeLinear turns into this port's value; when it
   * is a constant (a stored quantized weight, or a float weight quantized in the graph by a
   * QuantizeLinear, as PyTorch's fake-quant export writes it), `values` names the constant whose
   * values the panel shows.
   */
  dequantizedFrom?: { tensor: TensorName; dtype: string; constant: boolean; values?: TensorName };
}

export interface ViewAttribute {
  name: string;
  type: string;
  /** A short human-readable rendering of the value. */
  text: string;
}

export interface ViewSubgraph {
  attribute: string;
  path: string;
  name: string;
  nodeCount: number;
}

export interface ViewNode {
  id: string;
  kind: 'op' | 'input' | 'output';
  opType: string;
  name: string;
  domain: string;
  inputs: ViewPort[];
  outputs: ViewPort[];
  attributes: ViewAttribute[];
  subgraphs: ViewSubgraph[];
  docString?: string;
}

export interface ViewEdge {
  id: string;
  source: string;
  target: string;
  tensor: TensorName;
  dtype: string;
  shape?: Dim[];
}

export interface GraphView {
  path: string;
  name: string;
  nodes: ViewNode[];
  edges: ViewEdge[];
  /** Breadcrumb from the main graph: [{path, label}]. */
  trail: { path: string; label: string }[];
  /**
   * The nodes carry no ports, attributes or doc strings (a large view sent to the UI thread:
   * they are most of its bytes); `EngineApi.nodeDetails` gives a node whole.
   */
  thin?: boolean;
}

/** The id of the edge carrying a tensor from one node to another. */
export function edgeId(source: string, target: string, tensor: string): string {
  return `${source}->${target}:${tensor}`;
}

/**
 * Views with more nodes than this cross to the UI thread thin (see {@link GraphView.thin}). Ports
 * and attributes are half of a view's bytes (IS-Net, 1,097 nodes: 820 KB whole, 417 KB thin), and
 * receiving the whole view took 30-90 ms of the UI thread in Chromium here; a selected node's
 * details then come from the engine (a few milliseconds).
 */
export const THIN_VIEW_MIN_NODES = 500;

/** The view with its nodes' ports, attributes and doc strings left out. */
export function thinView(view: GraphView): GraphView {
  return {
    ...view,
    thin: true,
    nodes: view.nodes.map(({ id, kind, opType, name, domain, subgraphs }) => ({
      id,
      kind,
      opType,
      name,
      domain,
      inputs: [],
      outputs: [],
      attributes: [],
      subgraphs,
    })),
  };
}

/**
 * Views with more nodes than this are built with their op nodes' ports, attributes and doc strings
 * left out (the nodes look as a thin view's do) and made when asked: {@link portReader} for the
 * passes that read a few ports (the QDQ fold, constant detection), {@link wholeNode} for a
 * selected node, {@link wholeView} for a view sent to the UI thread whole. Making every port of a
 * 100k-node view took 0.25-0.35 s of its 0.7-0.9 s here, for details nobody reads before a node is
 * selected.
 */
export const LAZY_DETAILS_MIN_NODES = THIN_VIEW_MIN_NODES;

/** How the left-out details of a view's op nodes are made. */
interface Details {
  /** The model node of each view node (undefined: an input or output node, built whole). */
  sources: readonly (Node | undefined)[];
  port(name: string): ViewPort;
  /** A port's type and kind alone (the passes that read a few ports build no port for them). */
  type(name: string): { dtype: string; shape?: Dim[] } | undefined;
  kind(name: string): PortKind;
  attributes(n: Node): ViewAttribute[];
}

const lazyDetails = new WeakMap<GraphView, Details>();

/** Whether a view's op nodes were built without their details (see LAZY_DETAILS_MIN_NODES). */
export function hasLazyDetails(view: GraphView): boolean {
  return lazyDetails.has(view);
}

/** Reads a view's ports by node position, whether the view built them or left them out. */
export interface PortReader {
  /** The tensor names of node i's inputs or outputs ('' for an omitted optional input). */
  names(i: number, side: 'inputs' | 'outputs'): readonly string[];
  dtype(i: number, side: 'inputs' | 'outputs', k: number): string | undefined;
  shape(i: number, side: 'inputs' | 'outputs', k: number): Dim[] | undefined;
  kind(i: number, side: 'inputs' | 'outputs', k: number): PortKind | undefined;
}

/**
 * A {@link PortReader} for one pass over a view: no port is built for what it reads (the QDQ
 * fold reads a few facts of each folded node's ports; building the ports cost it 0.1-0.2 s at
 * 100k nodes).
 */
export function portReader(view: GraphView): PortReader {
  const d = lazyDetails.get(view);
  const nodes = view.nodes;
  if (!d)
    return {
      names: (i, side) => nodes[i]![side].map((p) => p.name),
      dtype: (i, side, k) => nodes[i]![side][k]?.dtype,
      shape: (i, side, k) => nodes[i]![side][k]?.shape,
      kind: (i, side, k) => nodes[i]![side][k]?.kind,
    };
  const { sources } = d;
  const name = (i: number, side: 'inputs' | 'outputs', k: number) => {
    const src = sources[i];
    return src ? src[side][k] : nodes[i]![side][k]?.name;
  };
  return {
    names: (i, side) => sources[i]?.[side] ?? nodes[i]![side].map((p) => p.name),
    dtype: (i, side, k) => {
      const n = name(i, side, k);
      return n === undefined ? undefined : (d.type(n)?.dtype ?? 'unknown');
    },
    shape: (i, side, k) => {
      const n = name(i, side, k);
      return n === undefined ? undefined : d.type(n)?.shape;
    },
    kind: (i, side, k) => {
      const n = name(i, side, k);
      return n === undefined ? undefined : d.kind(n);
    },
  };
}

/** Node i with its ports, attributes and doc string. */
export function wholeNode(view: GraphView, i: number): ViewNode {
  const d = lazyDetails.get(view);
  const src = d?.sources[i];
  const node = view.nodes[i]!;
  if (!d || !src) return node;
  return {
    ...node,
    inputs: src.inputs.map(d.port),
    outputs: src.outputs.map(d.port),
    attributes: d.attributes(src),
    docString: src.docString,
  };
}

/** The view with every node whole (itself when nothing was left out). */
export function wholeView(view: GraphView): GraphView {
  if (!lazyDetails.has(view)) return view;
  return { ...view, nodes: view.nodes.map((_, i) => wholeNode(view, i)) };
}

/** A view of some of `from`'s nodes (kept[i] for each of them) makes their details as `from` does. */
export function shareLazyDetails(from: GraphView, to: GraphView, kept: (i: number) => boolean): void {
  const d = lazyDetails.get(from);
  if (!d) return;
  lazyDetails.set(to, { ...d, sources: d.sources.filter((_, i) => kept(i)) });
}

/** Facts about a model for the header and the panel, without any graph. */
export interface ModelSummary {
  fileName: string;
  byteLength: number;
  /** Bytes of tensor data in external-data files (0 when the weights are in the model file). */
  externalBytes: number;
  /** The external-data files the model names, as it writes their locations. */
  externalFiles: string[];
  /** The context-binary files its EPContext nodes name (a compiled model with embed_mode 0). */
  contextFiles: string[];
  irVersion: number;
  opsetImports: { domain: string; version: number }[];
  producer: string;
  graphName: string;
  nodeCount: number;
  nodeCountWithSubgraphs: number;
  initializerCount: number;
  /** Constant nodes of the main graph (paddle2onnx, for one, writes every weight as one). */
  constantNodeCount: number;
  /** Bytes of the main graph's initializers and Constant values, as their types and shapes say. */
  weightBytes: number;
  warnings: string[];
  metadata: Record<string, string>;
  /** Inputs a caller feeds (initializers listed as inputs by old IRs excluded). */
  inputs: { name: string; dtype: string; shape?: Dim[] }[];
}

/** Id of the synthetic node for a graph input or output. */
export const inputNodeId = (name: string) => `input:${name}`;
export const outputNodeId = (name: string) => `output:${name}`;

/** Total node count including all nested sub-graphs. */
export function countNodes(graph: Graph): number {
  let n = graph.nodes.length;
  for (const node of graph.nodes) for (const s of node.subgraphs) n += countNodes(s.graph);
  return n;
}

/** Bytes of a tensor's values by its type and shape (0 for a type of unknown width). */
export function tensorBytes(t: { dtype: string; dims: readonly number[] }): number {
  const bits = dtypeBits(t.dtype);
  const count = t.dims.reduce((n, d) => n * Math.max(0, d), 1);
  return Number.isFinite(count) && bits > 0 ? Math.ceil((count * bits) / 8) : 0;
}

export function summarizeModel(model: Model): ModelSummary {
  let constantNodeCount = 0;
  let weightBytes = 0;
  for (const t of model.graph.initializers.values()) weightBytes += tensorBytes(t);
  for (const node of model.graph.nodes) {
    if (node.opType !== 'Constant' || (node.domain !== '' && node.domain !== 'ai.onnx')) continue;
    constantNodeCount++;
    const value = constantNodeValue(node);
    if (value) weightBytes += tensorBytes(value);
  }
  return {
    fileName: model.fileName,
    byteLength: model.byteLength,
    externalBytes: externalByteCount(model),
    externalFiles: [...externalLocations(model).keys()],
    contextFiles: contextBinaryLocations(model),
    irVersion: model.irVersion,
    opsetImports: model.opsetImports,
    producer: [model.producerName, model.producerVersion].filter(Boolean).join(' '),
    graphName: model.graph.name,
    nodeCount: model.graph.nodes.length,
    nodeCountWithSubgraphs: countNodes(model.graph),
    initializerCount: model.graph.initializers.size,
    constantNodeCount,
    weightBytes,
    warnings: model.warnings,
    metadata: model.metadata,
    inputs: model.graph.inputs
      .filter((v) => !model.graph.initializers.has(v.name))
      .map((v) => ({ name: v.name, dtype: String(v.dtype), shape: v.shape })),
  };
}

const MAX_ATTR_TEXT = 200;

function attrText(v: AttributeValue): string {
  const clip = (s: string) => (s.length > MAX_ATTR_TEXT ? `${s.slice(0, MAX_ATTR_TEXT)}…` : s);
  switch (v.type) {
    case 'float':
      return String(Number(v.value.toPrecision(7)));
    case 'int':
      return String(v.value);
    case 'string':
      return clip(JSON.stringify(v.value));
    case 'bytes':
      return `${v.value.toLocaleString('en-US')} bytes of binary data`;
    case 'floats':
      return clip(`[${v.value.map((x) => Number(x.toPrecision(7))).join(', ')}]`);
    case 'ints':
      return clip(`[${v.value.join(', ')}]`);
    case 'strings':
      return clip(`[${v.value.map((s) => JSON.stringify(s)).join(', ')}]`);
    case 'tensor':
      return `tensor ${v.value.dtype}[${v.value.dims.join('×')}]`;
    case 'tensors':
      return `${v.value.length} tensors`;
    case 'graph':
      return `graph "${v.value.name}" (${v.value.nodes.length} nodes)`;
    case 'graphs':
      return `${v.value.length} graphs`;
    case 'ref':
      return `→ @${v.value}`;
    case 'undefined':
      return '(unset)';
    default:
      return v.value;
  }
}

/**
 * Builds the view of one graph: op nodes plus synthetic input/output nodes, and one edge per
 * (producer, consumer, tensor). Initializers and Constant outputs appear as node ports, not as
 * nodes, so weights do not clutter the graph. A graph of more than `lazyFrom` nodes leaves its op
 * nodes' details to be made when asked (see LAZY_DETAILS_MIN_NODES).
 */
export function buildGraphView(
  model: Model,
  path: string,
  lazyFrom: number = LAZY_DETAILS_MIN_NODES,
): GraphView | undefined {
  const chain = findGraphChain(model, path);
  if (!chain) return undefined;
  const graph = chain[chain.length - 1]!;

  // Types: an initializer's own type, else value_info, inputs and outputs, from this graph and
  // its enclosing graphs (initializers are looked up, not copied: a 100k-node graph has 60k).
  const declaredTypes = new Map<string, { dtype: string; shape?: Dim[] }>();
  for (const g of chain) {
    for (const v of g.valueInfo.values()) declaredTypes.set(v.name, v);
    for (const v of g.inputs) declaredTypes.set(v.name, v);
    for (const v of g.outputs) declaredTypes.set(v.name, v);
  }
  const initializerType = (name: string): { dtype: string; shape?: Dim[] } | undefined => {
    for (let k = chain.length - 1; k >= 0; k--) {
      const t = chain[k]!.initializers.get(name);
      if (t) return { dtype: String(t.dtype), shape: t.dims };
    }
    return undefined;
  };
  const types = {
    get: (name: string) => initializerType(name) ?? declaredTypes.get(name),
    has: (name: string) => declaredTypes.has(name) || chain.some((g) => g.initializers.has(name)),
    set: (name: string, t: { dtype: string; shape?: Dim[] }) => declaredTypes.set(name, t),
  };
  const outerNames = new Set<string>();
  for (const g of chain.slice(0, -1)) {
    for (const t of g.initializers.keys()) outerNames.add(t);
    for (const v of g.inputs) outerNames.add(v.name);
    for (const n of g.nodes) for (const o of n.outputs) outerNames.add(o);
  }

  const producer = producerIndex(graph);
  const dequantizers = new Map<string, Node>();
  const constants = new Set<string>();
  const graphInputs = new Set(graph.inputs.map((v) => v.name));
  for (const n of graph.nodes) {
    if (n.opType === 'DequantizeLinear' && n.outputs[0]) dequantizers.set(n.outputs[0], n);
    if (n.opType === 'Constant' && n.domain === '') {
      const value = constantNodeValue(n);
      if (value && n.outputs[0]) {
        constants.add(n.outputs[0]);
        if (!types.has(n.outputs[0])) types.set(n.outputs[0], { dtype: String(value.dtype), shape: value.dims });
      }
    }
  }

  // Many exported models carry no value_info; infer element types (not shapes) so ports and
  // edges still say what flows. Nodes are in topological order, as ONNX requires.
  for (const n of graph.nodes) {
    for (const [k, o] of n.outputs.entries()) {
      if (o && !types.has(o)) {
        const dtype = inferOutputDtype(n, (name) => types.get(name)?.dtype, k);
        if (dtype) types.set(o, { dtype });
      }
    }
    // Q and DQ keep their input's shape (PyTorch writes none for its fake-quant weights' DQ).
    const out = n.outputs[0];
    if (out && (n.opType === 'QuantizeLinear' || n.opType === 'DequantizeLinear')) {
      const t = types.get(out);
      const shape = types.get(n.inputs[0] ?? '')?.shape;
      if (t && !t.shape && shape) types.set(out, { ...t, shape });
    }
  }

  const nodes: ViewNode[] = [];
  const edges: ViewEdge[] = [];
  const addEdge = (source: string, target: string, tensor: string) => {
    const t = types.get(tensor);
    edges.push({
      id: edgeId(source, target, tensor),
      source,
      target,
      tensor,
      dtype: t?.dtype ?? 'unknown',
      shape: t?.shape,
    });
  };

  // The graph's own map: copying 100k+ names into a set cost more than every lookup after.
  const initializerNames = graph.initializers;
  for (const v of graph.inputs) {
    // Old IRs list initializers as graph inputs too; those are weights, not inputs.
    if (initializerNames.has(v.name)) continue;
    nodes.push({
      id: inputNodeId(v.name),
      kind: 'input',
      opType: 'Input',
      name: v.name,
      domain: '',
      inputs: [],
      outputs: [{ name: v.name, dtype: v.dtype, shape: v.shape, kind: 'graph-input' }],
      attributes: [],
      subgraphs: [],
    });
  }

  /** An Identity of a constant (PyTorch writes one per initializer equal to another) is a constant. */
  const identityOfConstant = (name: string): boolean => {
    for (let step = 0, t = name; step < 8; step++) {
      const p = producer.get(t);
      if (p?.opType !== 'Identity' || p.domain !== '' || !p.inputs[0]) return false;
      t = p.inputs[0];
      if (initializerNames.has(t) || constants.has(t)) return true;
    }
    return false;
  };
  const kindOf = (name: string): PortKind => {
    if (!name) return 'optional-empty';
    if (initializerNames.has(name)) return 'initializer';
    if (constants.has(name) || identityOfConstant(name)) return 'constant';
    if (graphInputs.has(name)) return 'graph-input';
    if (!producer.has(name) && outerNames.has(name)) return 'outer-scope';
    return 'activation';
  };
  const portOf = (name: string): ViewPort => {
    const t = types.get(name);
    const port: ViewPort = { name, dtype: t?.dtype ?? 'unknown', shape: t?.shape, kind: kindOf(name) };
    const dq = dequantizers.get(name);
    const q = dq?.inputs[0];
    if (q) {
      const isConstant = (t: string | undefined) => !!t && (initializerNames.has(t) || constants.has(t));
      // PyTorch's fake-quant export quantizes a float weight in the graph: DQ(Q(initializer)).
      const quantizer = producer.get(q);
      const viaQ = quantizer?.opType === 'QuantizeLinear' && isConstant(quantizer.inputs[0]);
      const values = isConstant(q) ? q : viaQ ? quantizer.inputs[0] : undefined;
      port.dequantizedFrom = {
        tensor: q,
        dtype: types.get(q)?.dtype ?? 'unknown',
        constant: values !== undefined,
        ...(values !== undefined ? { values } : {}),
      };
    }
    return port;
  };

  const attributesOf = (n: Node): ViewAttribute[] =>
    n.attributes.map((a) => ({ name: a.name, type: a.attr.type, text: attrText(a.attr) }));
  const lazy = graph.nodes.length > lazyFrom;
  const sources: (Node | undefined)[] = lazy ? nodes.map(() => undefined) : [];
  for (const n of graph.nodes) {
    const subgraphs = n.subgraphs.map((s) => ({
      attribute: s.attribute,
      path: s.graph.path,
      name: s.graph.name,
      nodeCount: countNodes(s.graph),
    }));
    // A large graph's op nodes leave their details to be made when asked.
    if (lazy) sources.push(n);
    nodes.push({
      id: n.id,
      kind: 'op',
      opType: n.opType,
      name: n.name,
      domain: n.domain,
      inputs: lazy ? [] : n.inputs.map(portOf),
      outputs: lazy ? [] : n.outputs.map(portOf),
      attributes: lazy ? [] : attributesOf(n),
      subgraphs,
      docString: lazy ? undefined : n.docString,
    });
    // One edge per (producer, this node, tensor): a node reading a tensor twice (Mul(x, x))
    // gets one. Edge ids hold the target, so only this node's inputs can repeat one; checking
    // them locally spares hashing 100k+ fresh id strings in one big set.
    const seen = n.inputs.length > 8 ? new Set<string>() : undefined;
    for (let i = 0; i < n.inputs.length; i++) {
      const input = n.inputs[i]!;
      if (!input || initializerNames.has(input)) continue;
      if (seen) {
        if (seen.has(input)) continue;
        seen.add(input);
      } else if (n.inputs.indexOf(input) < i) continue;
      const src = producer.get(input);
      if (src) {
        // Constant outputs feed their consumers directly; keep the edge so the Constant node is placed.
        addEdge(src.id, n.id, input);
      } else if (graphInputs.has(input)) {
        addEdge(inputNodeId(input), n.id, input);
      }
    }
  }

  const outputEdges = new Set<string>();
  for (const v of graph.outputs) {
    const id = outputNodeId(v.name);
    nodes.push({
      id,
      kind: 'output',
      opType: 'Output',
      name: v.name,
      domain: '',
      inputs: [{ name: v.name, dtype: v.dtype, shape: v.shape, kind: 'activation' }],
      outputs: [],
      attributes: [],
      subgraphs: [],
    });
    // A graph output listed twice gets two output nodes but one edge.
    if (outputEdges.has(id)) continue;
    outputEdges.add(id);
    const src = producer.get(v.name);
    if (src) addEdge(src.id, id, v.name);
    else if (graphInputs.has(v.name)) addEdge(inputNodeId(v.name), id, v.name);
  }

  const trail: { path: string; label: string }[] = [{ path: '', label: model.graph.name || 'main graph' }];
  for (let i = 1; i < chain.length; i++) {
    const g = chain[i]!;
    const attr = g.path.split('/').pop() ?? '';
    const ownerId = g.path.slice(0, g.path.length - attr.length - 1);
    const owner = chain[i - 1]!.nodes.find((n) => n.id === ownerId);
    trail.push({ path: g.path, label: `${owner?.name || `${owner?.opType ?? 'node'}_${owner?.index ?? ''}`}.${attr}` });
  }

  const view: GraphView = { path, name: graph.name, nodes, edges, trail };
  if (lazy) {
    // The output nodes come last: built whole, they have no source.
    while (sources.length < nodes.length) sources.push(undefined);
    lazyDetails.set(view, { sources, port: portOf, type: types.get, kind: kindOf, attributes: attributesOf });
  }
  return view;
}

/**
 * The element type of each node output of `graph` that the model leaves undeclared and that its
 * op makes surely not float: a comparison's or a logical op's booleans, Shape's int64s, a Cast to
 * an integer type, an integer op's result. `typeOf` gives what the model states (declared types,
 * constants'); an undeclared output that may be float is left out, never guessed.
 */
export function nonFloatOutputTypes(graph: Graph, typeOf: (tensor: string) => string | undefined): Map<string, string> {
  const found = new Map<string, string>();
  const known = (name: string) => {
    const t = typeOf(name);
    return t !== undefined && t !== 'undefined' ? t : found.get(name);
  };
  for (const n of graph.nodes)
    for (let k = 0; k < n.outputs.length; k++) {
      const o = n.outputs[k];
      if (!o || known(o) !== undefined) continue;
      const inferred = inferOutputDtype(n, known, k);
      if (inferred && inferred !== 'undefined' && !inferred.startsWith('float') && inferred !== 'bfloat16')
        found.set(o, inferred);
    }
  return found;
}

const BOOL_OPS = new Set([
  'Equal',
  'Less',
  'LessOrEqual',
  'Greater',
  'GreaterOrEqual',
  'Not',
  'And',
  'Or',
  'Xor',
  'IsNaN',
  'IsInf',
]);
const INT64_OPS = new Set(['Shape', 'Size', 'ArgMax', 'ArgMin', 'NonZero', 'NonMaxSuppression']);
/** The ops inferOutputDtype has a rule of its own for (any other takes its first typed input's type). */
const SPECIAL_OPS = new Set([
  'If',
  'Loop',
  'Scan',
  'QuantizeLinear',
  'DequantizeLinear',
  'DynamicQuantizeLinear',
  'Where',
  'CastLike',
  'OneHot',
  'TopK',
  'MaxPool',
  'Dropout',
  'Unique',
  'MatMulInteger',
  'ConvInteger',
  'BlackmanWindow',
  'HannWindow',
  'HammingWindow',
  'MelWeightMatrix',
  'EyeLike',
  'Bernoulli',
  'RandomNormalLike',
  'RandomUniformLike',
  'RandomNormal',
  'RandomUniform',
  'Multinomial',
  'TfIdfVectorizer',
  'OptionalHasElement',
  'OptionalGetElement',
  'QLinearConv',
  'QLinearMatMul',
  'MatMulNBits',
  'Cast',
  'ConstantOfShape',
]);

/** Element type of a node's outputs from its op and input types, when the model does not say. */
export function inferOutputDtype(
  n: Node,
  typeOf: (tensor: string) => string | undefined,
  index = 0,
): string | undefined {
  // (Called for every output of a large graph: the closures below are made only where needed.)
  if (!SPECIAL_OPS.has(n.opType)) return commonOutputDtype(n, typeOf);
  const attr = (name: string) => n.attributes.find((a) => a.name === name)?.attr;
  // Control flow: an output has the type of the body's matching output (a Loop's body outputs its
  // condition first). Its first input (a trip count, a condition) says nothing about it.
  const body = (name: string, shift: number) => {
    const t = n.subgraphs.find((s) => s.attribute === name)?.graph.outputs[index + shift]?.dtype;
    return t === undefined || String(t) === 'undefined' ? undefined : String(t);
  };
  if (n.domain === '' || n.domain === 'ai.onnx') {
    if (n.opType === 'If') return body('then_branch', 0) ?? body('else_branch', 0);
    if (n.opType === 'Loop')
      return body('body', 1) ?? (index < n.inputs.length - 2 ? typeOf(n.inputs[index + 2] ?? '') : undefined);
    if (n.opType === 'Scan') return body('body', 0);
  }
  switch (n.opType) {
    case 'QuantizeLinear': {
      const zp = n.inputs[2] ? typeOf(n.inputs[2]) : undefined;
      if (zp) return zp;
      const out = attr('output_dtype');
      return out?.type === 'int' && out.value !== 0 ? dtypeFromCode(out.value) : 'uint8';
    }
    case 'DequantizeLinear':
      return typeOf(n.inputs[1] ?? '') ?? 'float32';
    case 'DynamicQuantizeLinear':
      // y, y_scale, y_zero_point.
      return index === 1 ? 'float32' : 'uint8';
    case 'Where':
      // The condition is boolean; the values come from X and Y.
      return typeOf(n.inputs[1] ?? '') ?? typeOf(n.inputs[2] ?? '');
    case 'CastLike':
      return typeOf(n.inputs[1] ?? '');
    case 'OneHot':
      return typeOf(n.inputs[2] ?? '');
    case 'TopK':
    case 'MaxPool':
      // Values of the input's type, then int64 indices.
      return index === 1 ? 'int64' : typeOf(n.inputs[0] ?? '');
    case 'Dropout':
      return index === 1 ? 'bool' : typeOf(n.inputs[0] ?? '');
    case 'Unique':
      return index === 0 ? typeOf(n.inputs[0] ?? '') : 'int64';
    case 'MatMulInteger':
    case 'ConvInteger':
      return 'int32';
    case 'BlackmanWindow':
    case 'HannWindow':
    case 'HammingWindow':
    case 'MelWeightMatrix': {
      // Their inputs are sizes: the type is an attribute, float32 by default.
      const dt = attr('output_datatype');
      return dtypeFromCode(dt?.type === 'int' ? dt.value : 1);
    }
    case 'EyeLike':
    case 'Bernoulli':
    case 'RandomNormalLike':
    case 'RandomUniformLike': {
      const dt = attr('dtype');
      return dt?.type === 'int' ? dtypeFromCode(dt.value) : typeOf(n.inputs[0] ?? '');
    }
    case 'RandomNormal':
    case 'RandomUniform': {
      const dt = attr('dtype');
      return dtypeFromCode(dt?.type === 'int' ? dt.value : 1);
    }
    case 'Multinomial': {
      const dt = attr('dtype');
      return dtypeFromCode(dt?.type === 'int' ? dt.value : 6);
    }
    case 'TfIdfVectorizer':
      return 'float32';
    case 'OptionalHasElement':
      return 'bool';
    case 'OptionalGetElement': {
      // An optional's element type; a sequence's is not a tensor type.
      const t = typeOf(n.inputs[0] ?? '');
      const element = t?.startsWith('optional<') ? t.slice('optional<'.length, -1) : t;
      return element?.includes('<') ? undefined : element;
    }
    case 'QLinearConv':
    case 'QLinearMatMul':
      return typeOf(n.inputs[7] ?? '');
    case 'MatMulNBits':
      // ONNX Runtime's contrib op: Y has A's type, as have the scales (B and the zero points are
      // packed uint8).
      return n.domain === 'com.microsoft' ? (typeOf(n.inputs[0] ?? '') ?? typeOf(n.inputs[2] ?? '')) : undefined;
    case 'Cast': {
      const to = attr('to');
      return to?.type === 'int' ? dtypeFromCode(to.value) : undefined;
    }
    case 'ConstantOfShape': {
      const value = attr('value');
      return value?.type === 'tensor' ? String(value.value.dtype) : 'float32';
    }
    default:
      return commonOutputDtype(n, typeOf);
  }
}

/** Ops whose output has input 0's type, whatever their later inputs (shapes, indices, axes, pads, scales, exponents, targets). */
const DATA_FIRST_OPS = new Set([
  'Reshape',
  'Expand',
  'Tile',
  'Slice',
  'Pad',
  'Gather',
  'GatherElements',
  'GatherND',
  'Squeeze',
  'Unsqueeze',
  'Resize',
  'Upsample',
  'ScatterND',
  'ScatterElements',
  'Split',
  'Compress',
  'ReverseSequence',
  'CumSum',
  'Trilu',
  'RoiAlign',
  'GridSample',
  'CenterCropPad',
  'ReduceMean',
  'ReduceSum',
  'ReduceMax',
  'ReduceMin',
  'ReduceProd',
  'ReduceL1',
  'ReduceL2',
  'ReduceLogSum',
  'ReduceLogSumExp',
  'ReduceSumSquare',
  'Pow',
  'MaxUnpool',
  'Scatter',
  'STFT',
  'NegativeLogLikelihoodLoss',
  'SoftmaxCrossEntropyLoss',
]);

/** An op without a rule of its own: booleans, int64s, else its first typed input's type (ONNX ops only). */
function commonOutputDtype(n: Node, typeOf: (tensor: string) => string | undefined): string | undefined {
  if (BOOL_OPS.has(n.opType)) return 'bool';
  if (INT64_OPS.has(n.opType)) return 'int64';
  if (n.domain !== '' && n.domain !== 'ai.onnx') return undefined;
  // Data first, then shapes, indices or axes: the data's type or none (a Reshape of an untyped
  // tensor is not int64 for its shape input).
  if (DATA_FIRST_OPS.has(n.opType)) {
    const t = n.inputs[0] ? typeOf(n.inputs[0]) : undefined;
    return t && t !== 'unknown' ? t : undefined;
  }
  for (const i of n.inputs) {
    const t = i ? typeOf(i) : undefined;
    if (t && t !== 'unknown') return t;
  }
  return undefined;
}
