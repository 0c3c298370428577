/**
 * Tensors of unknown size: ONNX Runtime's QNN EP takes only nodes of static shapes. Cases from its
 * test suite (qnn_basic_test.cc EPRejectsDynamicShapesF32) and from PyTorch's exporter (the same
 * MobileNetV3 exported with and without dynamic axes).
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadRulePack } from '../../../rules/registry';
import type { Flow } from '../../../rules/types';
import { GraphBuilder } from '../model/graph-builder';
import { readOnnx } from '../model/read-onnx';
import { attr, writeOnnx } from '../model/write-onnx';
import { qgraphFromQdq } from '../qgraph/from-qdq';
import { validate } from './validate';

const check = async (bytes: Uint8Array, flow: Flow, strict = true) =>
  validate(qgraphFromQdq(readOnnx(bytes)), await loadRulePack('htp'), { soc: 'SM8650', strict, flow });

/**
 * EPRejectsDynamicShapesF32 (opset 19): Conv of a [1,2,8,8] input with a [2,2,2,2] weight and a
 * bias, then a Reshape whose shape is the int64 graph input "input2" ([3]), then a Softmax. The
 * test expects the Conv on the QNN EP and the Reshape and Softmax on the CPU.
 */
function epRejectsDynamicShapes(): Uint8Array {
  const b = new GraphBuilder('ep_rejects_dynamic_shapes_f32_graph');
  b.input('input1', 'float32', [1, 2, 8, 8]);
  b.input('input2', 'int64', [3]);
  b.initializer(
    'weight',
    new Float32Array(16).map((_, i) => -0.3 + (0.6 * i) / 15),
    [2, 2, 2, 2],
  );
  b.initializer('bias', new Float32Array([0, 1]), [2]);
  b.node('Conv', ['input1', 'weight', 'bias'], ['conv_output'], {}, { name: 'Conv' });
  b.node('Reshape', ['conv_output', 'input2'], ['reshape_output'], {}, { name: 'Reshape' });
  b.node('Softmax', ['reshape_output'], ['output'], {}, { name: 'Softmax' });
  b.output('output', 'float32');
  return writeOnnx(b.toModel({ opset: [{ domain: '', version: 19 }], irVersion: 9 }));
}

describe('tensors of unknown size', () => {
  it('leaves the nodes after a shape computed at run time to the CPU under ONNX Runtime, as its test expects', async () => {
    const r = await check(epRejectsDynamicShapes(), 'ort');
    const f = r.findings.filter((x) => x.rule === 'dynamic-shape');
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ outcome: 'cpu-fallback', severity: 'error', actual: 'Reshape, Softmax' });
    expect(f[0]!.message).toContain('Reshape Reshape takes input 1 (input2) from a value computed at run time');
    expect(f[0]!.fix).toContain('Compute shapes from constants');
    expect(r.delegation).toMatchObject({ nodes: 3, onNpu: 1, offNpu: 2 });
    expect(r.delegation.offNpuIds.sort()).toEqual(
      f[0]!.nodeIds!.slice().sort(), // the Reshape and the Softmax, not the Conv
    );
    // The QNN converter and ExecuTorch build static graphs from sizes they are given: advice.
    for (const flow of ['qnn', 'executorch'] as const) {
      const q = (await check(epRejectsDynamicShapes(), flow)).findings.filter((x) => x.rule === 'dynamic-shape');
      expect(q.map((x) => [x.outcome, x.severity])).toEqual([['advice', 'info']]);
    }
  });

  const CORPUS = '.cache/corpus/torch';
  it.runIf(existsSync(`${CORPUS}/float-mobilenet_v3_small-dynamic.onnx`))(
    "names the dynamic input dims of PyTorch's dynamic-axes export and every node they reach; the static export has none",
    async () => {
      const dynamic = await check(
        new Uint8Array(readFileSync(`${CORPUS}/float-mobilenet_v3_small-dynamic.onnx`)),
        'ort',
      );
      const [f] = dynamic.findings.filter((x) => x.rule === 'dynamic-shape');
      expect(f!.message).toContain('input in0 [batch, 3, height, width]');
      expect(f!.fix).toContain('--dim_param batch --dim_value <size>');
      expect(f!.fix).toContain('batch, height, width');
      expect(dynamic.delegation.onNpu).toBe(0);
      // The flows that build at the sizes they are given need no change for them, and say how.
      const bytes = new Uint8Array(readFileSync(`${CORPUS}/float-mobilenet_v3_small-dynamic.onnx`));
      const under = async (flow: Flow) =>
        (await check(bytes, flow)).findings.find((x) => x.rule === 'dynamic-shape')!.fix;
      expect(await under('qnn')).toMatch(
        /^Nothing to change for the inputs' sizes: .*qnn-onnx-converter --define_symbol batch <size>, once per symbol: batch, height, width/,
      );
      expect(await under('executorch')).toMatch(/^Nothing to change for the inputs' sizes: ExecuTorch builds/);
      expect(f!.nodeIds).toHaveLength(dynamic.nodesChecked);
      // The same architecture exported at a fixed size (the QDQ corpus' MobileNetV3): no finding.
      const fixed = await check(new Uint8Array(readFileSync(`${CORPUS}/mobilenet_v3_small-pc-sym.onnx`)), 'ort');
      expect(fixed.findings.filter((x) => x.rule === 'dynamic-shape')).toEqual([]);
    },
  );

  it('names the first few of many shapes computed at run time, and counts the rest', async () => {
    // Six Reshapes of a static tensor, each to a shape given at run time; a seventh reads the first.
    const b = new GraphBuilder('many');
    b.input('x', 'float32', [1, 16]);
    b.input('shape', 'int64', [2]);
    for (let i = 0; i < 6; i++) {
      b.node('Reshape', ['x', 'shape'], [`r${i}`], {}, { name: `reshape${i}` });
      b.output(`r${i}`, 'float32');
    }
    b.node('Relu', ['r0'], ['after'], {}, { name: 'after' });
    b.output('after', 'float32');
    const r = await check(writeOnnx(b.toModel({ opset: [{ domain: '', version: 17 }], irVersion: 8 })), 'ort');
    const [f] = r.findings.filter((x) => x.rule === 'dynamic-shape');
    expect(f!.message).toContain(
      '(Reshape reshape0 takes input 1 (shape) from a value computed at run time; Reshape reshape1 takes input 1 (shape) from a value computed at run time; Reshape reshape2 takes input 1 (shape) from a value computed at run time; Reshape reshape3 takes input 1 (shape) from a value computed at run time; 2 more like these)',
    );
    expect(f!.nodeIds).toHaveLength(7);
  });

  it('keeps static what a fixed-size Reshape target makes of a dynamic tensor, and names a data-dependent size', async () => {
    // [batch, 4] -> Reshape to a constant [2, 2] would fail at run time for batch != 1, but its
    // output size is fixed: ONNX Runtime's shape inference gives it [2, 2].
    const b = new GraphBuilder('g');
    b.input('x', 'float32', ['batch', 4]);
    b.initializer('shape', [2, 2], [2], 'int64');
    b.node('Relu', ['x'], ['r'], {}, { name: 'relu' });
    b.node('Reshape', ['r', 'shape'], ['y'], {}, { name: 'reshape' });
    b.node('Sigmoid', ['y'], ['s'], {}, { name: 'after_fixed' });
    b.node('NonZero', ['s'], ['nz'], {}, { name: 'nonzero' });
    b.node('Cast', ['nz'], ['nzf'], { to: attr.int(1) }, { name: 'cast' });
    b.output('nzf', 'float32');
    const r = await check(writeOnnx(b.toModel({ opset: [{ domain: '', version: 17 }], irVersion: 8 })), 'ort');
    const [f] = r.findings.filter((x) => x.rule === 'dynamic-shape');
    expect(f!.actual.split(', ').sort()).toEqual(['cast', 'nonzero', 'relu', 'reshape'].sort());
    expect(f!.message).toContain('input x [batch, 4]');
    expect(f!.message).toContain('NonZero nonzero has an output whose size follows from its input values');
  });
});
