/**
 * The search over the model's other graphs, on models with sub-graphs from real exporters:
 * torchvision's Keypoint R-CNN (PyTorch, Ifs and a Loop) and ONNX's own test_if.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readOnnx } from '../model/read-onnx';
import { otherGraphNodeNamed, searchOtherGraphs } from './node-search';

const KEYPOINT = '.cache/corpus/torch/float-keypoint-rcnn.onnx';
const TEST_IF = '/usr/share/libonnx-testdata/data/node/test_if/model.onnx';

describe('searchOtherGraphs', () => {
  it.skipIf(!existsSync(KEYPOINT))(
    "finds the NonMaxSuppressions in Keypoint R-CNN's If branches from the main graph",
    () => {
      const model = readOnnx(new Uint8Array(readFileSync(KEYPOINT)));
      // Not in the main graph: the page's search of the shown graph found nothing.
      expect(model.graph.nodes.filter((n) => n.opType === 'NonMaxSuppression')).toEqual([]);
      const { hits, more } = searchOtherGraphs(model, '', 'NonMaxSuppression');
      expect(hits.map((h) => [h.name, h.id, h.path, h.graph])).toEqual([
        ['NonMaxSuppression_515', '501/else_branch/12', '501/else_branch', 'If_501.else_branch'],
        ['NonMaxSuppression_764', '731/else_branch/12', '731/else_branch', 'If_750.else_branch'],
      ]);
      expect(more).toBe(false);
      // From inside a branch, that branch is the shown graph: the other one is found, and the main
      // graph's nodes are.
      const inside = searchOtherGraphs(model, '501/else_branch', 'NonMaxSuppression');
      expect(inside.hits.map((h) => h.id)).toEqual(['731/else_branch/12']);
      const main = searchOtherGraphs(model, '501/else_branch', '/rpn/NonZero_1');
      expect(main.hits.map((h) => [h.id, h.graph])).toEqual([['489', 'torch_jit']]);
      // A share link's node, by its exact name: a name it only contains is no match.
      expect(otherGraphNodeNamed(model, '', 'NonMaxSuppression_515')?.id).toBe('501/else_branch/12');
      expect(otherGraphNodeNamed(model, '', 'NonMaxSuppression')).toBeUndefined();
      expect(otherGraphNodeNamed(model, '501/else_branch', 'NonMaxSuppression_515')).toBeUndefined();
      // At most the limit, and `more` says there were others.
      const many = searchOtherGraphs(model, '', 'Unsqueeze', 3);
      expect(many.hits).toHaveLength(3);
      expect(many.more).toBe(true);
    },
  );

  it.skipIf(!existsSync(TEST_IF))("finds the nodes of both of ONNX test_if's branches", () => {
    const model = readOnnx(new Uint8Array(readFileSync(TEST_IF)));
    const { hits } = searchOtherGraphs(model, '', 'Constant');
    expect(hits.map((h) => h.path).sort()).toEqual(['0/else_branch', '0/then_branch']);
    expect(searchOtherGraphs(model, '', 'no such node').hits).toEqual([]);
  });
});
