/**
 * Structured mutators: they decode a valid model with the generated `onnx` module, change the
 * message the way a buggy exporter or a hostile author would (sub-graphs nested 100 deep, cycles,
 * dangling and duplicate names, unknown ops and dtypes, absurd dims and counts, external data that
 * points outside the dropped files), and leave re-encoding to the caller. Each returns a label
 * naming what it did.
 */
import { onnx } from '../../core/model/onnx/generated/onnx-pb.js';
import $protobuf from '../../core/model/onnx/pb-runtime.js';
import type { LoadLimits } from '../../core/model/limits';
import type { Prng } from './prng';

type M = onnx.ModelProto.$Properties;
type G = onnx.GraphProto.$Properties;
type N = onnx.NodeProto.$Properties;
type T = onnx.TensorProto.$Properties;
type V = onnx.ValueInfoProto.$Properties;

const AT = onnx.AttributeProto.AttributeType;
const EXTERNAL = onnx.TensorProto.DataLocation.EXTERNAL;

/** What a mutator may add beside the model: files the user "dropped" with it, and limits to load under. */
export interface MutationEnv {
  files: Map<string, Uint8Array>;
  limits: Partial<LoadLimits>;
}

export type ProtoMutator = (m: M, rng: Prng, env: MutationEnv) => string;

const enc = new TextEncoder();

// ---------------------------------------------------------------------------------------------
// Walking the message
// ---------------------------------------------------------------------------------------------

function mainGraph(m: M): G {
  if (!m.graph) m.graph = { name: 'fuzz', node: [], input: [], output: [], initializer: [] };
  return m.graph;
}

/** Every graph of the model (main graph first), up to `cap`. */
function graphs(m: M, cap = 500): G[] {
  const out: G[] = [];
  const visit = (g: G) => {
    if (out.length >= cap) return;
    out.push(g);
    for (const n of g.node ?? []) {
      for (const a of n.attribute ?? []) {
        if (a.g) visit(a.g);
        for (const s of a.graphs ?? []) visit(s);
      }
    }
  };
  visit(mainGraph(m));
  return out;
}

function nodes(m: M): { graph: G; node: N }[] {
  return graphs(m).flatMap((graph) => (graph.node ?? []).map((node) => ({ graph, node })));
}

/** Every constant tensor: initializers and tensor attributes. */
function tensors(m: M): T[] {
  const out: T[] = [];
  for (const g of graphs(m)) {
    out.push(...(g.initializer ?? []));
    for (const n of g.node ?? []) {
      for (const a of n.attribute ?? []) {
        if (a.t) out.push(a.t);
        out.push(...(a.tensors ?? []));
      }
    }
  }
  return out;
}

function valueInfos(m: M): V[] {
  return graphs(m).flatMap((g) => [...(g.input ?? []), ...(g.output ?? []), ...(g.valueInfo ?? [])]);
}

function anyNode(m: M, rng: Prng): { graph: G; node: N } {
  const all = nodes(m);
  if (all.length) return rng.pick(all);
  const node: N = { opType: 'Relu', input: ['x'], output: ['y'] };
  const g = mainGraph(m);
  (g.node ??= []).push(node);
  return { graph: g, node };
}

function tensorValue(name: string, rng: Prng): T {
  return { name, dataType: 1, dims: [2], floatData: [rng.float(), rng.float()] };
}

// ---------------------------------------------------------------------------------------------
// Mutators
// ---------------------------------------------------------------------------------------------

/** An If / Loop / Scan chain nested `depth` deep, appended to the main graph. */
const nestSubgraphs: ProtoMutator = (m, rng) => {
  const depth = rng.pick([1, 2, 8, 31, 32, 33, 40, 100, 250]);
  const kind = rng.pick(['If', 'Loop', 'Scan', 'graphs']);
  let inner: G = {
    name: `leaf`,
    node: [{ opType: 'Identity', input: ['outer_x'], output: ['leaf_y'] }],
    output: [{ name: 'leaf_y' }],
  };
  for (let k = 1; k <= depth; k++) {
    const out = `y${k}`;
    const node: N =
      kind === 'If'
        ? {
            opType: 'If',
            input: ['cond'],
            output: [out],
            attribute: [
              { name: 'then_branch', type: AT.GRAPH, g: inner },
              { name: 'else_branch', type: AT.GRAPH, g: { name: 'empty', output: [{ name: 'outer_x' }] } },
            ],
          }
        : kind === 'Loop'
          ? {
              opType: 'Loop',
              input: ['', 'cond'],
              output: [out],
              attribute: [{ name: 'body', type: AT.GRAPH, g: inner }],
            }
          : kind === 'Scan'
            ? {
                opType: 'Scan',
                input: ['outer_x'],
                output: [out],
                attribute: [
                  { name: 'body', type: AT.GRAPH, g: inner },
                  { name: 'num_scan_inputs', type: AT.INT, i: 1 },
                ],
              }
            : {
                opType: 'FuzzMultiGraph',
                domain: 'com.example',
                input: ['outer_x'],
                output: [out],
                attribute: [{ name: 'branches', type: AT.GRAPHS, graphs: [inner, { name: 'sibling' }] }],
              };
    inner = { name: `level${k}`, node: [node], output: [{ name: out }] };
  }
  const g = mainGraph(m);
  (g.node ??= []).push(...(inner.node ?? []));
  (g.input ??= []).push(
    { name: 'cond', type: { tensorType: { elemType: 9, shape: { dim: [] } } } },
    { name: 'outer_x' },
  );
  return `nest:${kind}x${depth}`;
};

const cycles: ProtoMutator = (m, rng) => {
  const { graph } = anyNode(m, rng);
  const ns = graph.node ?? [];
  const variant = rng.pick(['self', 'back-edge', 'ring', 'reverse', 'subgraph-forward']);
  const out0 = (n: N) => (n.output ??= [])[0] ?? (n.output![0] = `cyc_${rng.u32()}`);
  switch (variant) {
    case 'self': {
      const n = rng.pick(ns);
      (n.input ??= []).push(out0(n));
      break;
    }
    case 'back-edge': {
      const i = rng.int(ns.length);
      const j = rng.range(i, ns.length - 1);
      (ns[i]!.input ??= [])[0] = out0(ns[j]!);
      break;
    }
    case 'ring':
      ns.forEach((n, i) => {
        (n.input ??= [])[0] = out0(ns[(i + ns.length - 1) % ns.length]!);
      });
      break;
    case 'reverse':
      ns.reverse();
      break;
    default: {
      // A sub-graph that reads a tensor the outer graph produces only later.
      const last = ns[ns.length - 1]!;
      ns.unshift({
        opType: 'If',
        input: ['cond'],
        output: ['early'],
        attribute: [
          {
            name: 'then_branch',
            type: AT.GRAPH,
            g: { node: [{ opType: 'Identity', input: [out0(last)], output: ['z'] }], output: [{ name: 'z' }] },
          },
        ],
      });
    }
  }
  return `cycle:${variant}`;
};

const dangling: ProtoMutator = (m, rng) => {
  const variant = rng.pick(['input', 'graph-output', 'all-inputs', 'empty-output', 'outer-ghost']);
  const { graph, node } = anyNode(m, rng);
  switch (variant) {
    case 'input':
      (node.input ??= []).push(`ghost_${rng.u32()}`);
      break;
    case 'graph-output':
      (graph.output ??= []).push({ name: `ghost_out_${rng.u32()}` });
      break;
    case 'all-inputs':
      for (const n of graph.node ?? []) n.input = (n.input ?? ['x']).map((_, k) => `ghost_${k}`);
      break;
    case 'empty-output':
      node.output = ['', '', ...(node.output ?? [])];
      break;
    default:
      (node.attribute ??= []).push({
        name: 'then_branch',
        type: AT.GRAPH,
        g: { node: [{ opType: 'Add', input: ['nowhere_a', 'nowhere_b'], output: ['s'] }], output: [{ name: 's' }] },
      });
  }
  return `dangling:${variant}`;
};

const duplicates: ProtoMutator = (m, rng) => {
  const variant = rng.pick([
    'node-output',
    'initializer',
    'graph-input',
    'node-name',
    'attribute',
    'value-info',
    'init-and-output',
  ]);
  const { graph, node } = anyNode(m, rng);
  const ns = graph.node ?? [];
  switch (variant) {
    case 'node-output': {
      const other = rng.pick(ns);
      node.output = [...(other.output ?? ['dup'])];
      break;
    }
    case 'initializer': {
      const inits = (graph.initializer ??= []);
      const base = inits.length ? rng.pick(inits) : tensorValue('dup_init', rng);
      inits.push({ ...base, dims: [3, 3], dataType: rng.pick([1, 7, 3]) }, { ...base });
      break;
    }
    case 'graph-input': {
      const ins = (graph.input ??= []);
      ins.push(...(ins.length ? ins : [{ name: 'x' }]), { name: ins[0]?.name ?? 'x' });
      break;
    }
    case 'node-name':
      for (const n of ns) n.name = 'same_name';
      break;
    case 'attribute':
      (node.attribute ??= []).push(
        { name: 'axis', type: AT.INT, i: 1 },
        { name: 'axis', type: AT.FLOATS, floats: [1, 2] },
        { name: 'axis', type: AT.STRING, s: enc.encode('x') },
      );
      break;
    case 'value-info': {
      const name = node.output?.[0] ?? 'v';
      (graph.valueInfo ??= []).push(
        { name, type: { tensorType: { elemType: 1 } } },
        { name, type: { sequenceType: { elemType: { tensorType: { elemType: 7 } } } } },
      );
      break;
    }
    default: {
      const name = node.output?.[0] ?? 'v';
      (graph.initializer ??= []).push(tensorValue(name, rng));
    }
  }
  return `duplicate:${variant}`;
};

const WEIRD_OPS = [
  'FooBarOp',
  '',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'Conv\u0000',
  '🙂',
  'x'.repeat(5000),
  'conv',
  'QLinearConv',
  'ConvInteger',
  'Quantizelinear',
];
const WEIRD_DOMAINS = [
  'com.example.unknown',
  'ai.onnx.ml',
  'com.microsoft',
  '__proto__',
  'ai.onnx',
  'ai.onnx.preview.training',
  'com.qualcomm.qti',
  '..',
  'constructor',
];

const unknownOps: ProtoMutator = (m, rng) => {
  const variant = rng.pick(['op', 'domain', 'both', 'all', 'opset']);
  const { node } = anyNode(m, rng);
  switch (variant) {
    case 'op':
      node.opType = rng.pick(WEIRD_OPS);
      break;
    case 'domain':
      node.domain = rng.pick(WEIRD_DOMAINS);
      break;
    case 'both':
      node.opType = rng.pick(WEIRD_OPS);
      node.domain = rng.pick(WEIRD_DOMAINS);
      break;
    case 'all':
      for (const { node: n } of nodes(m)) {
        n.opType = rng.pick(WEIRD_OPS);
        n.domain = rng.pick(WEIRD_DOMAINS);
      }
      break;
    default:
      m.opsetImport = [
        { domain: rng.pick(WEIRD_DOMAINS), version: rng.pick([0, -1, 2 ** 53 - 1, 9999]) },
        { domain: '', version: rng.pick([0, 1, 99, 2 ** 31]) },
      ];
  }
  return `unknown-op:${variant}`;
};

const ABSURD_DIMS: readonly (readonly number[])[] = [
  [2 ** 40],
  [2 ** 40, 2 ** 40],
  [-1],
  [0, 2 ** 53],
  [2 ** 53 + 2],
  [-(2 ** 40)],
  Array(65).fill(1),
  Array(1000).fill(2),
  [2 ** 31, 2 ** 31, 2 ** 31],
  [0],
  [],
  [2 ** 34],
  [2 ** 34 + 1],
  [1, 2 ** 17, 2 ** 17],
];

const absurdDims: ProtoMutator = (m, rng) => {
  const variant = rng.pick(['tensor', 'all-tensors', 'shape', 'shape-rank', 'sparse']);
  const ts = tensors(m);
  switch (variant) {
    case 'tensor':
    case 'all-tensors': {
      const dims = rng.pick(ABSURD_DIMS);
      const targets = variant === 'all-tensors' ? ts : ts.length ? [rng.pick(ts)] : [];
      if (!targets.length) (mainGraph(m).initializer ??= []).push({ ...tensorValue('w', rng), dims: [...dims] });
      for (const t of targets) t.dims = [...dims];
      return `dims:${variant}[${dims.length > 4 ? `rank ${dims.length}` : dims.join(',')}]`;
    }
    case 'shape': {
      const v = rng.pick([...valueInfos(m), { name: 'extra' }]);
      const value = rng.pick([2 ** 40, -7, 2 ** 63, 2 ** 53 + 1, 0]);
      v.type = { tensorType: { elemType: 1, shape: { dim: [{ dimValue: value }, { dimParam: 'batch' }, {}] } } };
      return `dims:shape(${value})`;
    }
    case 'shape-rank': {
      const rank = rng.pick([64, 65, 5000]);
      const v = rng.pick([...valueInfos(m), { name: 'extra' }]);
      v.type = { tensorType: { elemType: 1, shape: { dim: Array.from({ length: rank }, () => ({ dimValue: 1 })) } } };
      if (!valueInfos(m).includes(v)) (mainGraph(m).valueInfo ??= []).push(v);
      return `dims:shape-rank${rank}`;
    }
    default: {
      (mainGraph(m).sparseInitializer ??= []).push({
        values: { name: 'sp', dataType: 1, dims: [rng.pick([2, 2 ** 40])], floatData: [1, 2] },
        indices: { dataType: 7, dims: [2], int64Data: [0, 2 ** 40] },
        dims: [...rng.pick(ABSURD_DIMS)],
      });
      return 'dims:sparse';
    }
  }
};

const hugeCounts: ProtoMutator = (m, rng, env) => {
  const variant = rng.pick([
    'nodes',
    'nodes-limited',
    'node-inputs',
    'attr-ints',
    'attr-strings',
    'graph-inputs',
    'initializers',
    'opsets',
  ]);
  const g = mainGraph(m);
  switch (variant) {
    case 'nodes':
    case 'nodes-limited': {
      const n = rng.pick([5_000, 12_000]);
      const proto = (g.node ?? [])[0] ?? { opType: 'Relu', input: ['x'], output: ['y'] };
      const extra = Array.from({ length: n }, (_, k) => ({
        ...proto,
        name: `n${k}`,
        output: [`o${k}`],
        input: [k ? `o${k - 1}` : (proto.input?.[0] ?? 'x')],
      }));
      g.node = [...(g.node ?? []), ...extra];
      if (variant === 'nodes-limited') env.limits.maxNodes = rng.pick([0, 10, 1_000]);
      return `counts:${variant}${n}`;
    }
    case 'node-inputs': {
      const { node } = anyNode(m, rng);
      node.input = Array.from({ length: 100_000 }, (_, k) => (k % 3 ? '' : `in${k % 7}`));
      break;
    }
    case 'attr-ints': {
      const { node } = anyNode(m, rng);
      (node.attribute ??= []).push({
        name: 'big',
        type: AT.INTS,
        ints: Array.from({ length: 200_000 }, (_, k) => k * 2 ** 20),
      });
      break;
    }
    case 'attr-strings': {
      const { node } = anyNode(m, rng);
      (node.attribute ??= []).push({
        name: 'strs',
        type: AT.STRINGS,
        strings: Array.from({ length: 20_000 }, (_, k) => enc.encode(`s${k}`)),
      });
      break;
    }
    case 'graph-inputs':
      g.input = [
        ...(g.input ?? []),
        ...Array.from({ length: 20_000 }, (_, k) => ({ name: `gi${k}`, type: { tensorType: { elemType: 1 } } })),
      ];
      break;
    case 'initializers':
      g.initializer = [
        ...(g.initializer ?? []),
        ...Array.from({ length: 20_000 }, (_, k) => tensorValue(`init${k}`, rng)),
      ];
      break;
    default:
      m.opsetImport = Array.from({ length: 10_000 }, (_, k) => ({ domain: `d${k}`, version: k }));
  }
  return `counts:${variant}`;
};

const NEW_DTYPES = [24, 25, 26, 40, 999, -1, 2 ** 31 - 1, 0, 8, 14, 15, 21, 22, 23];

const newDtypes: ProtoMutator = (m, rng) => {
  const variant = rng.pick(['tensor', 'value-info', 'all', 'cast', 'q-output']);
  const code = rng.pick(NEW_DTYPES);
  const ts = tensors(m);
  switch (variant) {
    case 'tensor':
      if (ts.length) rng.pick(ts).dataType = code;
      break;
    case 'value-info':
      for (const v of valueInfos(m))
        v.type = { tensorType: { elemType: code, shape: v.type?.tensorType?.shape ?? null } };
      break;
    case 'all':
      for (const t of ts) t.dataType = code;
      break;
    case 'cast': {
      const { node } = anyNode(m, rng);
      node.opType = 'Cast';
      node.domain = '';
      node.attribute = [{ name: 'to', type: AT.INT, i: code }];
      break;
    }
    default:
      for (const { node } of nodes(m))
        if (node.opType === 'QuantizeLinear')
          (node.attribute ??= []).push({ name: 'output_dtype', type: AT.INT, i: code });
  }
  return `dtype:${variant}(${code})`;
};

const EVIL_LOCATIONS = [
  '../../etc/passwd',
  '/etc/passwd',
  '..\\..\\windows\\win.ini',
  'C:\\Windows\\system.ini',
  'c:/x.bin',
  'file:///etc/passwd',
  'https://evil.example/w.bin',
  'a/../../b.bin',
  'sub/../weights.bin',
  './../passwd',
  '',
  '\u0000weights.bin',
  'weights.bin\u0000',
  '\\\\server\\share\\w.bin',
  '//server/share/w.bin',
  '....//passwd',
  '%2e%2e/passwd',
  '.',
  './',
  '..',
  '...',
];
const SAFE_LOCATIONS = ['weights.bin', './weights.bin', 'nested/dir/weights.bin', 'missing.bin', 'passwd'];
const NUMBERS = ['0', '4', '-5', 'abc', '1e3', '99999999999999999999', '0x10', ' 8 ', '', '9007199254740993'];

/** External-data entries pointing inside and outside the dropped files, with absurd offsets. */
const externalData: ProtoMutator = (m, rng, env) => {
  const ts = tensors(m);
  const targets = ts.length ? ts.filter(() => rng.chance(0.5)) : [];
  if (!targets.length) {
    const t = tensorValue('ext_w', rng);
    (mainGraph(m).initializer ??= []).push(t);
    targets.push(t);
  }
  const labels = new Set<string>();
  for (const t of targets) {
    const evil = rng.chance(0.7);
    const location = rng.pick(evil ? EVIL_LOCATIONS : SAFE_LOCATIONS);
    labels.add(evil ? 'evil' : 'safe');
    t.dataLocation = EXTERNAL;
    const entries: onnx.StringStringEntryProto.$Properties[] = [];
    if (rng.chance(0.95)) entries.push({ key: 'location', value: location });
    if (rng.chance(0.6))
      entries.push({ key: 'offset', value: rng.chance(0.7) ? String(rng.int(200)) : rng.pick(NUMBERS) });
    if (rng.chance(0.6))
      entries.push({ key: 'length', value: rng.chance(0.7) ? String(rng.int(64)) : rng.pick(NUMBERS) });
    if (rng.chance(0.1)) entries.push({ key: 'location', value: rng.pick(EVIL_LOCATIONS) });
    if (rng.chance(0.1)) entries.push({ key: '__proto__', value: 'x' }, { key: 'checksum', value: 'f'.repeat(40) });
    t.externalData = entries;
    if (rng.chance(0.5)) {
      t.rawData = new Uint8Array();
      t.floatData = [];
      t.int32Data = [];
      t.int64Data = [];
    }
  }
  // The dropped files: a weights file, and decoys named like the targets of the evil paths.
  env.files.set(
    'weights.bin',
    new Uint8Array(256).map((_, i) => (i * 7) & 255),
  );
  env.files.set('passwd', enc.encode('root:x:0:0:decoy\n'));
  if (rng.chance(0.3)) env.files.set('win.ini', enc.encode('[decoy]'));
  return `external:${[...labels].sort().join('+')}`;
};

const attributeConfusion: ProtoMutator = (m, rng) => {
  const variant = rng.pick([
    'wrong-type',
    'graph-missing',
    'empty-graphs',
    'ref',
    'names',
    'bad-utf8',
    'tensor-missing',
  ]);
  const { node } = anyNode(m, rng);
  const attrs = (node.attribute ??= []);
  if (!attrs.length) attrs.push({ name: 'axis', type: AT.INT, i: 1 });
  const a = rng.pick(attrs);
  switch (variant) {
    case 'wrong-type':
      a.type = rng.pick([
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 99, -3,
      ]) as onnx.AttributeProto.AttributeType;
      break;
    case 'graph-missing':
      a.type = AT.GRAPH;
      a.g = null;
      break;
    case 'empty-graphs':
      a.type = AT.GRAPHS;
      a.graphs = [{}, {}, { node: [{}] }];
      break;
    case 'ref':
      a.refAttrName = rng.pick(['alpha', '', '__proto__']);
      break;
    case 'names':
      a.name = rng.pick(['', '__proto__', 'a/b', '../x', 'then_branch/0', 'x'.repeat(3000)]);
      break;
    case 'bad-utf8':
      a.type = AT.STRING;
      a.s = new Uint8Array([0xff, 0xfe, 0xc0, 0x80, 0xed, 0xa0, 0x80]);
      break;
    default:
      a.type = AT.TENSOR;
      a.t = null;
  }
  return `attribute:${variant}`;
};

function floatTensor(name: string, values: number[], dims?: number[]): T {
  const raw = new Uint8Array(values.length * 4);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return { name, dataType: 1, dims: dims ?? (values.length === 1 ? [] : [values.length]), rawData: raw };
}

/** Quantization parameters a validator must not choke on. */
const qdqParams: ProtoMutator = (m, rng) => {
  const g = mainGraph(m);
  const inits = (g.initializer ??= []);
  let qdq = nodes(m).filter(({ node }) => node.opType === 'QuantizeLinear' || node.opType === 'DequantizeLinear');
  if (!qdq.length || rng.chance(0.2)) {
    // Put a DQ in front of a random node, so float models reach the encoding reader too.
    const { graph, node } = anyNode(m, rng);
    const inputs = (node.input ??= []);
    if (!inputs.length) inputs.push('x');
    const k = rng.int(inputs.length);
    const dq: N = {
      opType: 'DequantizeLinear',
      name: 'fuzz_dq',
      input: ['fuzz_q', 'fuzz_scale', 'fuzz_zp'],
      output: [`fuzz_dq_out`],
    };
    inputs[k] = 'fuzz_dq_out';
    (graph.node ??= []).unshift(dq);
    inits.push(
      floatTensor('fuzz_scale', [0.5]),
      { name: 'fuzz_zp', dataType: 2, dims: [], rawData: new Uint8Array([128]) },
      { name: 'fuzz_q', dataType: 2, dims: [4], rawData: new Uint8Array(4) },
    );
    qdq = [{ graph, node: dq }];
  }
  const { graph, node } = rng.pick(qdq);
  const variant = rng.pick(['scale', 'zero-point', 'axis', 'block', 'rewire', 'scale-external', 'all-scales']);
  const scaleName = node.input?.[1] ?? 'fuzz_scale';
  const zpName = node.input?.[2] || 'fuzz_zp';
  const replace = (t: T) => {
    const list = (graph.initializer ??= []);
    const at = list.findIndex((x) => x.name === t.name);
    if (at >= 0) list[at] = t;
    else list.push(t);
    const inputs = (node.input ??= []);
    const k = t.name === scaleName ? 1 : 2;
    while (inputs.length < k) inputs.push('');
    inputs[k] = t.name!;
  };
  let what = '';
  switch (variant) {
    case 'scale':
    case 'all-scales': {
      const choice = rng.pick([
        'zero',
        'nan',
        'negative',
        'inf',
        'empty',
        'short-raw',
        'huge-dims',
        'float16',
        'string',
        'many',
        'typed-int',
      ]);
      what = choice;
      const make = (name: string): T => {
        switch (choice) {
          case 'zero':
            return floatTensor(name, [0]);
          case 'nan':
            return floatTensor(name, [NaN]);
          case 'negative':
            return floatTensor(name, [-1]);
          case 'inf':
            return floatTensor(name, [Infinity]);
          case 'empty':
            return { name, dataType: 1, dims: [0] };
          case 'short-raw':
            return { name, dataType: 1, dims: [4], rawData: new Uint8Array(3) };
          case 'huge-dims':
            return { ...floatTensor(name, [1]), dims: [2 ** 30] };
          case 'float16':
            return { name, dataType: 10, dims: [], int32Data: [0x3c00] };
          case 'string':
            return { name, dataType: 8, dims: [], stringData: [enc.encode('0.5')] };
          case 'many':
            return floatTensor(
              name,
              Array.from({ length: 5000 }, (_, i) => (i % 5) - 1),
              [5000],
            );
          default:
            return { name, dataType: 6, dims: [], int32Data: [3] };
        }
      };
      if (variant === 'all-scales') {
        for (const { node: n } of qdq)
          if (n.input?.[1]) {
            const t = make(n.input[1]);
            const at = inits.findIndex((x) => x.name === t.name);
            if (at >= 0) inits[at] = t;
          }
      } else replace(make(scaleName));
      break;
    }
    case 'zero-point': {
      const choice = rng.pick([
        'out-of-range',
        'float',
        'unknown-dtype',
        'int4',
        'uint16-big',
        'length-mismatch',
        'int64',
      ]);
      what = choice;
      const t: T =
        choice === 'out-of-range'
          ? { name: zpName, dataType: 6, dims: [], int32Data: [1000] }
          : choice === 'float'
            ? floatTensor(zpName, [0.5])
            : choice === 'unknown-dtype'
              ? { name: zpName, dataType: 99, dims: [], rawData: new Uint8Array([1]) }
              : choice === 'int4'
                ? { name: zpName, dataType: 22, dims: [3], rawData: new Uint8Array([0x7f, 0x08]) }
                : choice === 'uint16-big'
                  ? { name: zpName, dataType: 4, dims: [], int32Data: [70000] }
                  : choice === 'length-mismatch'
                    ? { name: zpName, dataType: 3, dims: [7], rawData: new Uint8Array(7) }
                    : { name: zpName, dataType: 7, dims: [], int64Data: [2 ** 40] };
      replace(t);
      break;
    }
    case 'axis': {
      const v = rng.pick([2 ** 40, -(2 ** 40), 99, -99, -1]);
      what = String(v);
      (node.attribute ??= []).push({ name: 'axis', type: AT.INT, i: v });
      break;
    }
    case 'block': {
      const v = rng.pick([-1, 0, 2 ** 40, 3, 1]);
      what = String(v);
      (node.attribute ??= []).push({ name: 'block_size', type: AT.INT, i: v });
      break;
    }
    case 'rewire': {
      what = rng.pick(['q-from-dq', 'dq-self', 'no-inputs']);
      if (what === 'q-from-dq') node.input = [node.output?.[0] ?? 'z', ...(node.input ?? []).slice(1)];
      else if (what === 'dq-self') {
        node.opType = 'DequantizeLinear';
        node.input = [node.output?.[0] ?? 'z', node.output?.[0] ?? 'z', node.output?.[0] ?? 'z'];
      } else node.input = [];
      break;
    }
    default: {
      what = 'external';
      replace({
        name: scaleName,
        dataType: 1,
        dims: [],
        dataLocation: EXTERNAL,
        externalData: [{ key: 'location', value: rng.pick(['../scale.bin', 'scale.bin']) }],
      });
    }
  }
  return `qdq:${variant}${what ? `(${what})` : ''}`;
};

function nestedType(depth: number, rng: Prng): onnx.TypeProto.$Properties {
  let t: onnx.TypeProto.$Properties = { tensorType: { elemType: rng.pick([1, 99, -1]) } };
  for (let k = 0; k < depth; k++) {
    t = rng.pick([
      (): onnx.TypeProto.$Properties => ({ sequenceType: { elemType: t } }),
      (): onnx.TypeProto.$Properties => ({ optionalType: { elemType: t } }),
      (): onnx.TypeProto.$Properties => ({ mapType: { keyType: rng.pick([7, 8, 99]), valueType: t } }),
    ])();
  }
  return t;
}

const weirdTypes: ProtoMutator = (m, rng) => {
  const variant = rng.pick(['nested', 'deep', 'opaque', 'sparse', 'empty']);
  const vs = valueInfos(m);
  const v = vs.length ? rng.pick(vs) : ((mainGraph(m).input ??= []).push({ name: 'x' }), mainGraph(m).input![0]!);
  switch (variant) {
    case 'nested':
      v.type = nestedType(rng.range(1, 6), rng);
      break;
    case 'deep':
      v.type = nestedType(rng.pick([40, 200]), rng);
      break;
    case 'opaque':
      v.type = { opaqueType: { domain: '__proto__', name: 'x'.repeat(1000) } };
      break;
    case 'sparse':
      v.type = { sparseTensorType: { elemType: 1, shape: { dim: [{ dimValue: -1 }] } } };
      break;
    default:
      v.type = {};
  }
  return `type:${variant}`;
};

const strip: ProtoMutator = (m, rng) => {
  const variant = rng.pick(['no-graph', 'no-nodes', 'ir', 'no-opsets', 'names', 'producer', 'everything-empty']);
  switch (variant) {
    case 'no-graph':
      m.graph = null;
      break;
    case 'no-nodes':
      mainGraph(m).node = [];
      break;
    case 'ir':
      m.irVersion = rng.pick([0, 99, -1, 2 ** 53, 3]);
      break;
    case 'no-opsets':
      m.opsetImport = [];
      break;
    case 'names':
      for (const { node } of nodes(m)) {
        node.name = '';
        node.output = (node.output ?? []).map(() => '');
      }
      break;
    case 'producer':
      m.producerName = 'p'.repeat(100_000);
      m.docString = '\u0000\uffff\ud7ff';
      break;
    default:
      m.graph = {};
      m.opsetImport = [];
      m.irVersion = 0;
  }
  return `strip:${variant}`;
};

const metadata: ProtoMutator = (m, rng) => {
  const keys = ['__proto__', 'constructor', 'toString', '', 'hasOwnProperty', 'k'.repeat(2000)];
  m.metadataProps = keys
    .filter(() => rng.chance(0.6))
    .map((key) => ({ key, value: rng.pick(['x', '', '{"__proto__":1}']) }));
  m.metadataProps.push({ key: '__proto__', value: 'second' });
  return 'metadata';
};

const functions: ProtoMutator = (m, rng) => {
  const name = rng.pick(['Conv', 'Recursive', '__proto__']);
  const domain = rng.pick(['com.example', '', 'ai.onnx']);
  m.functions = [
    {
      name,
      domain,
      input: ['a'],
      output: ['b'],
      node: [{ opType: name, domain, input: ['a'], output: ['b'] }],
      opsetImport: [{ domain, version: 1 }],
    },
    { name, domain },
  ];
  const { node } = anyNode(m, rng);
  node.opType = name;
  node.domain = domain;
  return `functions:${name}@${domain || 'default'}`;
};

/** The structured mutators with their relative weights. */
export const PROTO_MUTATORS: readonly (readonly [string, ProtoMutator, number])[] = [
  ['nest', nestSubgraphs, 3],
  ['cycle', cycles, 3],
  ['dangling', dangling, 3],
  ['duplicate', duplicates, 3],
  ['unknown-op', unknownOps, 3],
  ['dims', absurdDims, 4],
  ['counts', hugeCounts, 1],
  ['dtype', newDtypes, 3],
  ['external', externalData, 4],
  ['attribute', attributeConfusion, 3],
  ['qdq', qdqParams, 5],
  ['type', weirdTypes, 2],
  ['strip', strip, 2],
  ['metadata', metadata, 1],
  ['functions', functions, 1],
];

/** Applies `count` weighted-random structured mutators to the model in place; returns their labels. */
export function mutateProto(m: M, rng: Prng, env: MutationEnv, count: number): string[] {
  const labels: string[] = [];
  for (let i = 0; i < count; i++) {
    const mutator = rng.weighted(PROTO_MUTATORS.map(([, fn, w]) => [fn, w] as const));
    labels.push(mutator(m, rng, env));
  }
  return labels;
}

/** Encodes a (possibly absurd) model, allowing any nesting depth on the writing side. */
export function encodeModel(m: M): Uint8Array {
  const saved = $protobuf.util.recursionLimit;
  $protobuf.util.recursionLimit = 100_000;
  try {
    return onnx.ModelProto.encode(m).finish();
  } finally {
    $protobuf.util.recursionLimit = saved;
  }
}
