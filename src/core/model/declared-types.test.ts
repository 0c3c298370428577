/**
 * The graph's declarations as python3-onnx reads them, on every model of the PyTorch corpus
 * (torch.onnx.export, float and QDQ, symbolic and fixed dims, sub-graphs): what the QDQ and AIMET
 * readers and the derived calibration ranges start from.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { declaredShapes, declaredTypes } from './declared-types';
import { readOnnx } from './read-onnx';
import type { Graph } from './types';

const CORPUS = '.cache/corpus/torch';
const models = readdirSync(CORPUS)
  .filter((f) => f.endsWith('.onnx'))
  .sort();

/**
 * python3-onnx's view of each model's main graph: each declared tensor's shape (null without one;
 * a dim as its value, its parameter, or null) and element type name, inputs then outputs then
 * value infos, a later declaration winning; and the initializers' types.
 */
function pythonView(files: string[]): Record<string, { shapes: [string, unknown][]; types: [string, string][] }> {
  const out = execFileSync(
    '/usr/bin/python3',
    [
      '-c',
      `import json, sys, onnx
from onnx import TensorProto
view = {}
for path in sys.argv[1:]:
    g = onnx.load(path, load_external_data=False).graph
    shapes, types = {}, {}
    for v in list(g.input) + list(g.output) + list(g.value_info):
        t = v.type.tensor_type
        if not v.type.HasField('tensor_type'):
            continue
        shapes[v.name] = [d.dim_value if d.HasField('dim_value') else (d.dim_param if d.HasField('dim_param') else None) for d in t.shape.dim] if t.HasField('shape') else None
        types[v.name] = TensorProto.DataType.Name(t.elem_type).lower() if t.elem_type else 'undefined'
    for i in g.initializer:
        types[i.name] = TensorProto.DataType.Name(i.data_type).lower()
    view[path] = {'shapes': list(shapes.items()), 'types': list(types.items())}
print(json.dumps(view))`,
      ...files,
    ],
    { maxBuffer: 1 << 28 },
  );
  return JSON.parse(out.toString()) as ReturnType<typeof pythonView>;
}

/** Name-value pairs in the order of their names. */
const byName = <T>(pairs: [string, T][]) => [...pairs].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));

/** Our element type names against ONNX's (TensorProto names, lower case). */
const ONNX_NAME: Record<string, string> = { float32: 'float', float64: 'double', float16: 'float16' };

describe('declaredShapes and declaredTypes', () => {
  it('read what python3-onnx reads on every PyTorch export of the corpus', () => {
    const paths = models.map((f) => join(CORPUS, f));
    const view = pythonView(paths);
    let tensors = 0;
    let symbolic = 0;
    for (const path of paths) {
      const graph = readOnnx(new Uint8Array(readFileSync(path)), { fileName: path }).graph;
      const tensorInfos = (vs: Iterable<{ dtype: string }>) =>
        [...vs].filter((v) => !/^(sequence|map|optional)/.test(v.dtype));
      const info: Pick<Graph, 'inputs' | 'outputs' | 'valueInfo'> = {
        inputs: tensorInfos(graph.inputs) as Graph['inputs'],
        outputs: tensorInfos(graph.outputs) as Graph['outputs'],
        valueInfo: new Map([...graph.valueInfo].filter(([, v]) => tensorInfos([v]).length)),
      };
      const shapes = declaredShapes(info);
      expect(byName([...shapes].map(([n, s]) => [n, s ?? null])), path).toEqual(byName(view[path]!.shapes));
      const types = declaredTypes({ ...info, initializers: graph.initializers });
      expect(byName([...types].map(([n, t]) => [n, ONNX_NAME[t] ?? t])), path).toEqual(byName(view[path]!.types));
      tensors += shapes.size;
      symbolic += [...shapes.values()].filter((s) => s?.some((d) => typeof d === 'string')).length;
    }
    // The corpus declares tensors with symbolic dims (dynamic exports) as well as fixed ones.
    expect(models.length).toBeGreaterThan(40);
    expect(tensors).toBeGreaterThan(200);
    expect(symbolic).toBeGreaterThan(0);
  });

  it('lets a value info override the graph output it declares again, as the readers expect', () => {
    const shapes = declaredShapes({
      inputs: [{ name: 'x', dtype: 'float32', shape: [1, 'n'] }],
      outputs: [{ name: 'y', dtype: 'float32', shape: undefined }],
      valueInfo: new Map([['y', { name: 'y', dtype: 'float32', shape: [1, 8] }]]),
    });
    expect([...shapes]).toEqual([
      ['x', [1, 'n']],
      ['y', [1, 8]],
    ]);
  });
});
