import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildGraphView, inputNodeId, outputNodeId } from './graph-view';
import { findGraphChain } from './constants';
import { readOnnx } from './read-onnx';

const DATA = '/usr/share/libonnx-testdata/data';

describe('buildGraphView', () => {
  it('shows weights as ports, not nodes, and links inputs to outputs', () => {
    const model = readOnnx(new Uint8Array(readFileSync(`${DATA}/pytorch-converted/test_Conv2d/model.onnx`)));
    const view = buildGraphView(model, '')!;
    expect(view.nodes.map((n) => n.kind)).toEqual(['input', 'op', 'output']);
    const conv = view.nodes[1]!;
    expect(conv.inputs.map((p) => p.kind)).toEqual(['graph-input', 'initializer', 'initializer']);
    expect(view.edges.map((e) => [e.source, e.target])).toEqual([
      [inputNodeId(model.graph.inputs[0]!.name), conv.id],
      [conv.id, outputNodeId(model.graph.outputs[0]!.name)],
    ]);
  });

  it('returns undefined for a path that does not exist', () => {
    const model = readOnnx(new Uint8Array(readFileSync(`${DATA}/node/test_if/model.onnx`)));
    expect(findGraphChain(model, '99/then_branch')).toBeUndefined();
    expect(buildGraphView(model, '0/nope')).toBeUndefined();
  });
});
