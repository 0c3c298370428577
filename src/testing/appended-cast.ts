/**
 * A real export made out of order the way a float16 conversion leaves a model (@imgly's IS-Net,
 * PyTorch 2.0.1: 79 node inputs read Casts appended after every other node): PyTorch's
 * MobileNetV3 from the corpus, its graph input read through a Cast added at the end of the node
 * list, written by Debian's python3-onnx, whose checker must refuse it for its order.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const APPENDED_CAST_SOURCE = '.cache/corpus/torch/float-mobilenet_v3_small-dynamic.onnx';

export function appendedCastModel(): Uint8Array {
  const path = join(mkdtempSync(join(tmpdir(), 'ql-order-')), 'appended-cast.onnx');
  execFileSync('/usr/bin/python3', [
    '-c',
    `import onnx, sys
m = onnx.load(sys.argv[1]); g = m.graph
name = g.input[0].name
for n in g.node:
    for k, i in enumerate(n.input):
        if i == name: n.input[k] = name + '_cast'
g.node.append(onnx.helper.make_node('Cast', [name], [name + '_cast'], to=1, name='graph_input_cast'))
onnx.save(m, sys.argv[2])
try:
    onnx.checker.check_model(onnx.load(sys.argv[2]))
except onnx.checker.ValidationError as e:
    sys.exit(0 if 'topologically sorted' in str(e) else 3)
sys.exit(4)`,
    APPENDED_CAST_SOURCE,
    path,
  ]);
  return new Uint8Array(readFileSync(path));
}
