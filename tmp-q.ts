import { readFileSync } from 'node:fs';
import { readOnnx } from './src/core/model/read-onnx';
import { qgraphFromQdq } from './src/core/qgraph/from-qdq';
import { validate } from './src/core/check/validate';
import { loadRulePack } from './rules/registry';
const model = readOnnx(new Uint8Array(readFileSync(process.argv[2]!)));
const pack = await loadRulePack('htp');
for (let i = 0; i < 2; i++) {
  let t = performance.now();
  const q = qgraphFromQdq(model);
  const a = performance.now() - t;
  t = performance.now();
  const r = validate(q as never, pack as never, { soc: 'SM8650', strict: true } as never);
  console.log('qdq', a.toFixed(0), 'validate', (performance.now() - t).toFixed(0));
}
