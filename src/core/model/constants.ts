/**
 * Constants of a model: finding them by name through graph scopes, `Constant` node values, and
 * the numeric values of small constants (scales, zero points, shapes), decoded in full. Used for
 * quantization parameters, which are a handful of numbers per tensor.
 */
import { dtypeBits } from './dtype';
import { halfValues } from './half';
import { decodeRaw, decodeTyped, elementCount, unpackSubByte } from './tensor-values';
import { producerIndex } from './graph-index';
import type { ConstTensor, Graph, Model, Node, TensorName } from './types';

/** Largest constant decoded in full; quantization parameters are far smaller. */
export const MAX_PARAM_ELEMENTS = 1 << 20;

/**
 * The values of a small integer constant (a shape, axes, pads, gather indices), which the rule
 * limits read; undefined for any other constant.
 */
export function smallIntValues(t: ConstTensor | undefined): number[] | undefined {
  return t && /int/.test(String(t.dtype)) ? constNumbers(t, 1024) : undefined;
}

/** Float constants this small have their values read too (a Pad's constant_value, a Clip bound). */
const SMALL_FLOAT_ELEMENTS = 4;

/**
 * {@link smallIntValues}, or the values of a float constant of at most {@link SMALL_FLOAT_ELEMENTS}
 * elements: what the rule limits read of a constant.
 */
export function smallConstValues(t: ConstTensor | undefined): number[] | undefined {
  const ints = smallIntValues(t);
  if (ints || !t || !/^(float|bfloat)/.test(String(t.dtype))) return ints;
  return constNumbers(t, SMALL_FLOAT_ELEMENTS);
}

/** All values of a constant as numbers, or undefined when they are not inline (external, too big, strings). */
export function constNumbers(t: ConstTensor, maxElements = MAX_PARAM_ELEMENTS): number[] | undefined {
  const count = elementCount(t.dims);
  if (count > maxElements) return undefined;
  const d = t.data;
  if (d.kind === 'typed') {
    // 4- and 2-bit types in int32_data hold one packed byte per element, not one value.
    const bits = dtypeBits(String(t.dtype));
    if (bits === 4 || bits === 2)
      return unpackSubByte(Array.from(d.values, Number), bits, String(t.dtype).startsWith('int'), count);
    // float16 in int32_data holds bit patterns.
    return decodeTyped(Array.from(d.values, Number), String(t.dtype), count);
  }
  if (d.kind === 'raw') {
    const values = decodeRaw(d.bytes, String(t.dtype), count);
    return values?.map(Number);
  }
  if (d.kind === 'empty' && count === 0) return [];
  return undefined;
}

/**
 * Finds a graph by path: '' is the main graph; `12/then_branch` is the sub-graph held by the
 * `then_branch` attribute of node 12; deeper paths chain. Returns the chain of graphs from the
 * main graph down (for outer-scope lookups), or undefined when the path does not exist.
 */
export function findGraphChain(model: Model, path: string): Graph[] | undefined {
  const chain: Graph[] = [model.graph];
  if (!path) return chain;
  let graph = model.graph;
  let rest = path;
  while (rest) {
    const node = graph.nodes.find((n) => rest.startsWith(`${n.id}/`));
    if (!node) return undefined;
    const sub = node.subgraphs.find((s) => s.graph.path === rest || rest.startsWith(`${s.graph.path}/`));
    if (!sub) return undefined;
    graph = sub.graph;
    chain.push(graph);
    if (sub.graph.path === rest) rest = '';
  }
  return chain;
}

/** Converts a `Constant` node's value attribute to a tensor. */
export function constantNodeValue(node: Node): ConstTensor | undefined {
  const name = node.outputs[0] ?? '';
  for (const a of node.attributes) {
    const v = a.attr;
    switch (a.name) {
      case 'value':
        if (v.type === 'tensor') return { ...v.value, name };
        break;
      case 'value_float':
        if (v.type === 'float')
          return { name, dtype: 'float32', dims: [], data: { kind: 'typed', field: 'float', values: [v.value] } };
        break;
      case 'value_floats':
        if (v.type === 'floats')
          return {
            name,
            dtype: 'float32',
            dims: [v.value.length],
            data: { kind: 'typed', field: 'float', values: v.value },
          };
        break;
      case 'value_int':
        if (v.type === 'int')
          return { name, dtype: 'int64', dims: [], data: { kind: 'typed', field: 'int64', values: [v.value] } };
        break;
      case 'value_ints':
        if (v.type === 'ints')
          return {
            name,
            dtype: 'int64',
            dims: [v.value.length],
            data: { kind: 'typed', field: 'int64', values: v.value },
          };
        break;
      case 'value_string':
        if (v.type === 'string')
          return {
            name,
            dtype: 'string',
            dims: [],
            data: { kind: 'strings', values: [new TextEncoder().encode(v.value)] },
          };
        break;
      case 'value_strings':
        if (v.type === 'strings')
          return {
            name,
            dtype: 'string',
            dims: [v.value.length],
            data: { kind: 'strings', values: v.value.map((s) => new TextEncoder().encode(s)) },
          };
        break;
      default:
        break;
    }
  }
  return undefined;
}

/**
 * Looks up a constant (initializer or `Constant` output) visible from the graph at `path`,
 * searching enclosing graphs outward as ONNX scoping does.
 */
export function lookupConstant(model: Model, path: string, tensor: TensorName): ConstTensor | undefined {
  return findConstant(model, path, tensor, 0);
}

/**
 * {@link lookupConstant}, also through Identity nodes: PyTorch's exporter writes an Identity for
 * each initializer it found equal to another (ResNet-18's zero biases). For showing a tensor's
 * values; the quantizer first makes such a copy a constant of its own (untie-constants.ts).
 */
export function lookupShownConstant(model: Model, path: string, tensor: TensorName): ConstTensor | undefined {
  return findConstant(model, path, tensor, 8);
}

function findConstant(model: Model, path: string, tensor: TensorName, identities: number): ConstTensor | undefined {
  const chain = findGraphChain(model, path);
  if (!chain) return undefined;
  for (let step = 0, name = tensor; step <= identities; step++) {
    let identity: string | undefined;
    for (let i = chain.length - 1; i >= 0; i--) {
      const g = chain[i]!;
      const init = g.initializers.get(name);
      if (init) return init;
      // The shared index, not a walk of the nodes: the derived calibration ranges look up a
      // constant operand of each Add, Sub, Mul and Div (400 ms on a 10k-node decoder walking).
      const made = producerIndex(g).get(name);
      const producer = made && made.domain === '' && made.outputs[0] === name ? made : undefined;
      if (producer?.opType === 'Constant') return constantNodeValue(producer);
      if (producer?.opType === 'Identity') {
        identity = producer.inputs[0];
        break;
      }
      if (producer) return undefined;
    }
    if (!identity) return undefined;
    name = identity;
  }
  return undefined;
}

/** Whether typed arrays on this machine are little-endian, as ONNX's raw_data is. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The first `length` bytes in a buffer of their own. Not `bytes.slice(...).buffer`: under Node a
 * protobuf reader hands out Buffer views, whose slice is another view into a shared pool.
 */
export function copyBytes(bytes: Uint8Array, length = bytes.length): ArrayBuffer {
  const out = new Uint8Array(length);
  out.set(bytes.subarray(0, length));
  return out.buffer;
}

/**
 * All values of a float or integer constant of any size, for the quantizer (a weight is quantized
 * whole: ResNet-18's 512×512×3×3 convolutions hold 2.4 million values, more than
 * {@link constNumbers} decodes). float32 and float16 raw data come back as a Float32Array;
 * undefined when the values are not in the model (external or not yet read) or not numbers.
 */
export function constValues(t: ConstTensor): ArrayLike<number> | undefined {
  const d = t.data;
  const count = elementCount(t.dims);
  if (d.kind === 'raw' && t.dtype === 'float32' && LITTLE_ENDIAN && d.bytes.length >= count * 4)
    // A copy: the bytes may not sit on a 4-byte boundary of the file.
    return new Float32Array(copyBytes(d.bytes, count * 4));
  // float16 widened into a Float32Array too (each half is exactly a float32): decoded into an
  // array of numbers, IS-Net's 44 million float16 weights took 1 s, and 2 s more of garbage
  // collection.
  if (d.kind === 'raw' && t.dtype === 'float16' && LITTLE_ENDIAN && d.bytes.length >= count * 2)
    return halfValues(new Uint16Array(copyBytes(d.bytes, count * 2)));
  return constNumbers(t, Infinity);
}
