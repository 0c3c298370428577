/**
 * selectionSources on models PyTorch exported: which outputs follow a selection made on their
 * values, and the tensors that selection is made from.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { producerIndex } from '../model/graph-index';
import { readOnnx } from '../model/read-onnx';
import type { Model, Node } from '../model/types';
import { SELECTING, selectionSources } from './selection';

const TORCH = '.cache/corpus/torch';
const load = (file: string) => readOnnx(new Uint8Array(readFileSync(`${TORCH}/${file}`)));
const noStatic = () => false;

/** The ops of the main graph's nodes upstream of `tensor`, its producer included. */
function upstreamOps(model: Model, tensor: string): Set<string> {
  const producer = producerIndex(model.graph);
  const seen = new Set<Node>();
  const stack = [tensor];
  while (stack.length) {
    const n = producer.get(stack.pop()!);
    if (!n || seen.has(n)) continue;
    seen.add(n);
    stack.push(...n.inputs.filter(Boolean));
  }
  return new Set([...seen].map((n) => n.opType));
}

/** Whether a selecting node lies upstream of `tensor`. */
const afterSelection = (model: Model, tensor: string) =>
  [...upstreamOps(model, tensor)].some((op) => SELECTING.has(op));

describe('outputs selected by their values', () => {
  it.skipIf(!existsSync(`${TORCH}/float-retinanet.onnx`))(
    "RetinaNet's boxes and scores come from the heads' values through TopK and NonMaxSuppression",
    () => {
      const model = load('float-retinanet.onnx');
      const sources = selectionSources(model, noStatic);
      expect([...sources.keys()].sort()).toEqual(['boxes', 'labels', 'scores']);
      const boxes = sources.get('boxes')!;
      const ops = new Set(boxes.selections.map((s) => s.op));
      expect(ops).toEqual(new Set(['NonMaxSuppression', 'TopK', 'NonZero']));
      // Each node once, however many paths reach it.
      const names = boxes.selections.map((s) => s.node);
      expect(new Set(names).size).toBe(names.length);
      // The sources are activations: none after a selection, none a graph input or constant.
      const producer = producerIndex(model.graph);
      expect(boxes.tensors.length).toBeGreaterThan(0);
      for (const t of boxes.tensors) {
        expect(producer.has(t), t).toBe(true);
        expect(afterSelection(model, t), t).toBe(false);
      }
      // The classification head's scores (a Sigmoid) and its box regression (a Conv's output,
      // rearranged) are among them.
      const ancestorOps = (t: string) => upstreamOps(model, t);
      expect(boxes.tensors.some((t) => producer.get(t)!.opType === 'Sigmoid' || ancestorOps(t).has('Sigmoid'))).toBe(
        true,
      );
      expect(boxes.tensors.some((t) => ancestorOps(t).has('Conv') && !ancestorOps(t).has('Sigmoid'))).toBe(true);
      // Values computed from constants and sizes (the anchors, a Constant node's value) are the
      // same in both models: never a source.
      for (const t of boxes.tensors) expect(producer.get(t)!.opType, t).not.toBe('Constant');
      expect(boxes.tensors.some((t) => ancestorOps(t).has('Conv'))).toBe(true);
      expect(boxes.tensors.filter((t) => !ancestorOps(t).has('Conv'))).toEqual([]);
    },
  );

  it.skipIf(!existsSync(`${TORCH}/float-score-filter.onnx`))(
    "boolean indexing selects by a comparison: its source is what is compared, not the comparison's bool",
    () => {
      const model = load('float-score-filter.onnx');
      const src = selectionSources(model, noStatic).get('out')!;
      expect(src.selections).toEqual([{ op: 'NonZero', node: '/NonZero' }]);
      const producer = producerIndex(model.graph);
      expect(src.tensors.map((t) => producer.get(t)!.opType).sort()).toEqual(
        [...new Set(src.tensors.map((t) => producer.get(t)!.opType))].sort(),
      );
      expect(src.tensors.map((t) => producer.get(t)!.opType)).not.toContain('Greater');
      expect(src.tensors).toContain('/Squeeze_output_0');
    },
  );

  it.skipIf(!existsSync(`${TORCH}/float-keypoint-rcnn.onnx`))(
    'a selection inside a sub-graph is named with the node that holds it',
    () => {
      const model = load('float-keypoint-rcnn.onnx');
      const sources = selectionSources(model, noStatic);
      const all = [...sources.values()].flatMap((s) => s.selections);
      const nms = all.find((s) => s.op === 'NonMaxSuppression' && s.within);
      expect(nms?.within).toMatch(/^If "If_\d+"$/);
      // A static value (here: every node's output) is never a source.
      const none = selectionSources(model, () => true);
      for (const s of none.values()) expect(s.tensors).toEqual([]);
    },
  );

  it.skipIf(!existsSync(`${TORCH}/float-resnet18.onnx`))('a classifier selects nothing', () => {
    expect(selectionSources(load('float-resnet18.onnx'), noStatic).size).toBe(0);
  });
});
