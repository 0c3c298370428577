/**
 * A small fluent builder for ONNX graphs, for generators and exporters (samples, large synthetic
 * models, QDQ export). It writes protobuf messages directly, so its output goes straight to
 * {@link writeOnnx}.
 *
 * Work per call is constant (array pushes and set lookups), so graphs of 100k+ nodes build in
 * milliseconds. In strict mode (the default) it rejects what ONNX runtimes would reject later
 * with a vaguer message: a tensor defined twice, a node reading a tensor not yet defined (ONNX
 * requires topological order), a graph output nothing produces.
 *
 * @example
 * const model = new GraphBuilder('tiny')
 *   .input('x', 'float32', [1, 4])
 *   .initializer('w', new Float32Array(16), [4, 4])
 *   .node('MatMul', ['x', 'w'], ['y'], {}, { name: '/fc/MatMul' })
 *   .output('y', 'float32', [1, 4])
 *   .toModel({ opset: [{ domain: '', version: 17 }], irVersion: 8 });
 */
import type { onnx } from './onnx/generated/onnx-pb.js';
import type { DType } from './dtype';
import type { Dim, OpsetImport } from './types';
import { makeAttribute, makeTensor, makeValueInfo, type AttrValue, type TensorArray } from './write-onnx';

/** Attributes of a node by name; make the values with `attr` from write-onnx. */
export type Attrs = Readonly<Record<string, AttrValue>>;

/** Per-node options besides inputs, outputs and attributes. */
export interface NodeOptions {
  /** Node name; scoped names like `/backbone/conv1/Conv` group nicely in the viewer. */
  name?: string;
  /** Operator domain; `''` (the default) is ai.onnx. */
  domain?: string;
  docString?: string;
}

/** Model-level fields for {@link GraphBuilder.toModel}. */
export interface ModelOptions {
  opset: readonly OpsetImport[];
  irVersion: number;
  producerName?: string;
  producerVersion?: string;
  docString?: string;
  metadata?: Readonly<Record<string, string>>;
}

export interface GraphBuilderOptions {
  /** Check definitions and order as nodes are added (default true). */
  strict?: boolean;
  /** Names a sub-graph may read from its enclosing graphs. */
  outerScope?: Iterable<string>;
}

/** Builds one GraphProto; see the module comment. */
export class GraphBuilder {
  private readonly nodes: onnx.INodeProto[] = [];
  private readonly inputs: onnx.IValueInfoProto[] = [];
  private readonly outputs: onnx.IValueInfoProto[] = [];
  private readonly valueInfos: onnx.IValueInfoProto[] = [];
  private readonly initializers: onnx.ITensorProto[] = [];
  private readonly initializerByName = new Map<string, onnx.ITensorProto>();
  /** Every tensor name defined so far: graph inputs, initializers, node outputs. */
  private readonly defined = new Set<string>();
  private readonly outer: ReadonlySet<string>;
  private readonly strict: boolean;
  private docString?: string;

  constructor(
    readonly name: string,
    options: GraphBuilderOptions = {},
  ) {
    this.strict = options.strict ?? true;
    this.outer = new Set(options.outerScope ?? []);
  }

  /** Number of nodes added so far. */
  get nodeCount(): number {
    return this.nodes.length;
  }

  /** True when `name` is a graph input, an initializer or a node output. */
  has(name: string): boolean {
    return this.defined.has(name);
  }

  /** The initializer called `name`, if any (for exporters that re-encode weights). */
  getInitializer(name: string): onnx.ITensorProto | undefined {
    return this.initializerByName.get(name);
  }

  /** Adds a graph input. */
  input(name: string, dtype: DType, shape?: readonly Dim[]): this {
    this.define(name, 'graph input');
    this.inputs.push(makeValueInfo(name, dtype, shape));
    return this;
  }

  /** Declares a graph output; the tensor may be produced before or after this call. */
  output(name: string, dtype: DType, shape?: readonly Dim[]): this {
    this.outputs.push(makeValueInfo(name, dtype, shape));
    return this;
  }

  /** Records the type and shape of an intermediate tensor (ONNX `value_info`). */
  valueInfo(name: string, dtype: DType, shape?: readonly Dim[]): this {
    this.valueInfos.push(makeValueInfo(name, dtype, shape));
    return this;
  }

  /**
   * Adds a constant tensor. `dtype` reinterprets or converts as in `makeTensor`
   * (`initializer('shape', [1, 16, 64], [3], 'int64')`).
   */
  initializer(name: string, values: TensorArray | readonly number[], dims: readonly number[], dtype?: DType): this {
    return this.initializerProto(makeTensor(name, values, dims, dtype));
  }

  /** Adds a ready-made TensorProto (external data, typed fields) as an initializer. */
  initializerProto(tensor: onnx.ITensorProto): this {
    const name = tensor.name ?? '';
    this.define(name, 'initializer');
    this.initializers.push(tensor);
    this.initializerByName.set(name, tensor);
    return this;
  }

  /**
   * Adds a node. Inputs may be `''` for an omitted optional input.
   * @throws Error in strict mode when an input is undefined or an output is already defined.
   */
  node(
    opType: string,
    inputs: readonly string[],
    outputs: readonly string[],
    attrs?: Attrs,
    options: NodeOptions = {},
  ): this {
    const label = options.name || opType;
    if (this.strict) {
      for (const input of inputs) {
        if (input !== '' && !this.defined.has(input) && !this.outer.has(input)) {
          throw new Error(`GraphBuilder(${this.name}): node ${label} reads ${input}, which nothing defines yet`);
        }
      }
    }
    for (const output of outputs) if (output !== '') this.define(output, `output of ${label}`);
    const node: onnx.INodeProto = { input: [...inputs], output: [...outputs], opType };
    if (options.name) node.name = options.name;
    if (options.domain) node.domain = options.domain;
    if (options.docString) node.docString = options.docString;
    if (attrs) {
      const names = Object.keys(attrs);
      if (names.length) node.attribute = names.map((n) => makeAttribute(n, attrs[n]!));
    }
    this.nodes.push(node);
    return this;
  }

  /** Sets the graph's doc string. */
  doc(text: string): this {
    this.docString = text;
    return this;
  }

  /**
   * The GraphProto built so far. The arrays are copies, the messages inside are shared.
   * @throws Error in strict mode when a graph output is never produced.
   */
  toGraph(): onnx.IGraphProto {
    if (this.strict) {
      for (const o of this.outputs) {
        const name = o.name ?? '';
        if (!this.defined.has(name) && !this.outer.has(name)) {
          throw new Error(`GraphBuilder(${this.name}): graph output ${name} is never produced`);
        }
      }
    }
    const graph: onnx.IGraphProto = {
      name: this.name,
      node: [...this.nodes],
      input: [...this.inputs],
      output: [...this.outputs],
      initializer: [...this.initializers],
    };
    if (this.valueInfos.length) graph.valueInfo = [...this.valueInfos];
    if (this.docString) graph.docString = this.docString;
    return graph;
  }

  /** Wraps the graph in a ModelProto. */
  toModel(options: ModelOptions): onnx.IModelProto {
    const model: onnx.IModelProto = {
      irVersion: options.irVersion,
      opsetImport: options.opset.map((o) => ({ domain: o.domain, version: o.version })),
      producerName: options.producerName ?? 'quantlens',
      graph: this.toGraph(),
    };
    if (options.producerVersion) model.producerVersion = options.producerVersion;
    if (options.docString) model.docString = options.docString;
    if (options.metadata) {
      model.metadataProps = Object.entries(options.metadata).map(([key, value]) => ({ key, value }));
    }
    return model;
  }

  private define(name: string, what: string): void {
    if (this.strict && this.defined.has(name)) {
      throw new Error(
        `GraphBuilder(${this.name}): ${what} ${name} is already defined (ONNX tensors are assigned once)`,
      );
    }
    this.defined.add(name);
  }
}
