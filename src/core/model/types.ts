/**
 * The graph IR: what QuantLens knows about a model after reading it. Plain data, no DOM,
 * shareable between the worker, the CLI and tests. Weight bytes are never copied into it:
 * a {@link TensorData} is a view into the file or a pointer into an external-data file.
 */
import type { DType } from './dtype';

/** Stable id of a node: its index path, e.g. `12` at top level or `12/then_branch/3` inside a subgraph. */
export type NodeId = string & { readonly __brand: 'NodeId' };
/** A tensor name as written in the model. */
export type TensorName = string;

/** One dimension: a size, a symbolic name (`batch`), or unknown (`null`). */
export type Dim = number | string | null;

/** Type and shape of a value; `shape` is undefined when the model gives no shape at all. */
export interface TensorType {
  /** Element dtype, or a descriptive kind for non-tensors (`sequence<float32>`, `map<...>`, `optional<...>`). */
  dtype: DType | string;
  shape?: Dim[];
}

/** A named value with optional type information (graph inputs, outputs, value_info). */
export interface ValueInfo extends TensorType {
  name: TensorName;
  docString?: string;
}

/** Where a tensor's element data lives. */
export type TensorData =
  | { kind: 'raw'; bytes: Uint8Array }
  | { kind: 'typed'; field: 'float' | 'int32' | 'int64' | 'uint64' | 'double'; values: ArrayLike<number> }
  | { kind: 'strings'; values: Uint8Array[] }
  | { kind: 'external'; location: string; offset: number; length: number | null; checksum?: string }
  /** Bytes of the model file itself, not read yet (a large weight, read when asked for). */
  | { kind: 'deferred'; offset: number; length: number }
  | { kind: 'empty' };

/** A constant tensor: an initializer, a `Constant` node's value, or a tensor attribute. */
export interface ConstTensor {
  name: TensorName;
  dtype: DType | string;
  dims: number[];
  data: TensorData;
  docString?: string;
}

/** A node attribute, decoded to JS values; graphs are kept as sub-graph references. */
export type AttributeValue =
  | { type: 'float'; value: number }
  | { type: 'int'; value: number }
  | { type: 'string'; value: string }
  /**
   * A string attribute whose bytes are not text (control bytes, or not UTF-8): ONNX Runtime's
   * EPContext nodes embed a compiled context binary this way. Only its length in bytes is kept.
   */
  | { type: 'bytes'; value: number }
  | { type: 'tensor'; value: ConstTensor }
  | { type: 'graph'; value: Graph }
  | { type: 'floats'; value: number[] }
  | { type: 'ints'; value: number[] }
  | { type: 'strings'; value: string[] }
  | { type: 'tensors'; value: ConstTensor[] }
  | { type: 'graphs'; value: Graph[] }
  | { type: 'sparse_tensor' | 'sparse_tensors' | 'type_proto' | 'type_protos'; value: string }
  | { type: 'ref'; value: string }
  | { type: 'undefined'; value: null };

export interface Attribute {
  name: string;
  /** Set when the attribute refers to an attribute of the enclosing function. */
  refAttrName?: string;
  attr: AttributeValue;
}

export interface Node {
  id: NodeId;
  /** Position in its graph's node list. */
  index: number;
  /** The name in the file; may be empty. */
  name: string;
  opType: string;
  /** `''` for the default ai.onnx domain. */
  domain: string;
  inputs: TensorName[];
  outputs: TensorName[];
  attributes: Attribute[];
  docString?: string;
  /** Sub-graphs held by graph attributes (If, Loop, Scan, ...), with the attribute that holds each. */
  subgraphs: { attribute: string; graph: Graph }[];
}

export interface Graph {
  name: string;
  /** Path from the main graph, e.g. `''` for the main graph, `12/then_branch` for a sub-graph. */
  path: string;
  nodes: Node[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  initializers: Map<TensorName, ConstTensor>;
  valueInfo: Map<TensorName, ValueInfo>;
  docString?: string;
}

export interface OpsetImport {
  domain: string;
  version: number;
}

export interface Model {
  /** The file name the user gave, for messages. */
  fileName: string;
  byteLength: number;
  irVersion: number;
  opsetImports: OpsetImport[];
  producerName: string;
  producerVersion: string;
  modelVersion: number;
  docString: string;
  metadata: Record<string, string>;
  graph: Graph;
  /** Names of model-local functions (`domain::name`). */
  functions: string[];
  /** Non-fatal problems found while reading (missing external-data files, odd values). */
  warnings: string[];
}
