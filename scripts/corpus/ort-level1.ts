/**
 * PyTorch QDQ exports as ONNX Runtime's own Level 1 graph optimizers leave them: the graph its QNN
 * EP partitions. onnxruntime-node (fetched from the npm registry into .cache/bench-tools, as the
 * bench does) creates a session at graphOptimizationLevel "basic" and writes the optimized graph
 * (optimizedModelFilePath): EnsureUniqueDQForNodeUnit's DequantizeLinear copies, ConstantSharing,
 * MatMulAddFusion's Gemm between Reshapes, QDQ propagation, DoubleQDQPairsRemover, and the rest.
 *
 * The pairs (the export and its optimized graph) are committed under
 * src/core/check/__fixtures__/ort-level1, since the machines that run the tests do not fetch
 * onnxruntime-node. To write them again, with the PyTorch corpus generated (npm run gen:corpus):
 *
 *     npx tsx scripts/corpus/ort-level1.ts
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { ortNode } from '../bench/cli';

const CORPUS = '.cache/corpus/torch';
const OUT = 'src/core/check/__fixtures__/ort-level1';

/**
 * The exports, each with what ONNX Runtime's Level 1 does to it that QuantLens must model; from the
 * PyTorch corpus unless `from` names another folder.
 */
const CASES: { name: string; what: string; from?: string }[] = [
  {
    name: 'transformer-encoder-pc-sym',
    what: "pre-norm encoder block: the written-out GELU's x reaches its Div and Mul through two DequantizeLinear copies; ConstantSharing gives the two LayerNorms one exponent and one epsilon",
  },
  { name: 'convnext-block', what: 'ConvNeXt block: GELU, LayerNorm2d, requantizing Transposes' },
  {
    name: 'tiny-cnn-pc-sym',
    what: 'opset-13 Hardswish: HardSigmoid and Mul read x through two DequantizeLinear copies',
  },
  {
    name: 'mlp3d-pc-sym',
    what: 'nn.Linear on a 3-D input, then ReLU: MatMulAddFusion writes a Gemm between two Reshapes, so the ReLU reads a Reshape',
  },
  { name: 'prelu-float-slope', what: 'PReLU whose slope is a float constant: no QDQ node group' },
  { name: 'groupnorm-opset13', what: "GroupNorm at opset 13: a Reshape's DequantizeLinear shared with a Shape" },
  {
    name: 'float-encoder-opset17.u8u8.qdq',
    from: 'src/core/check/__fixtures__/ort-quantizer',
    what: "ONNX Runtime's quantizer on an encoder: the second LayerNorm's scale is Identity → Q → DQ of the first's, which ConstantFolding makes an initializer again",
  },
  {
    // Committed as it is (no generator makes it): torchvision's EfficientNetV2-S through the
    // corpus's FX export (per-channel symmetric), cut at the average pool's output with
    // python3-onnx's onnx.utils.extract_model.
    name: 'efficientnet_v2_s-head',
    from: OUT,
    what: "EfficientNetV2-S's head: the Flatten's output holds two Q/DQ pairs, which DoubleQDQPairsRemover merges into one of another scale",
  },
  {
    // Committed as it is too: torchvision's Inception v3 (96×96 input) through the same FX export,
    // cut at the last Concat's output.
    name: 'inception_v3-head',
    from: OUT,
    what: "Inception v3's head: the average pool's output holds two Q/DQ pairs (the pool's, then the Dropout's wider one), which DoubleQDQPairsRemover merges into the pool's, so the Flatten reads another scale than it writes",
  },
];

async function main() {
  const dir = resolve(ortNode());
  const ort = createRequire(join(dir, 'package.json'))(dir) as typeof import('onnxruntime-common') & {
    InferenceSession: { create(path: string, options: object): Promise<{ release(): Promise<void> }> };
  };
  const version = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  mkdirSync(OUT, { recursive: true });
  const cases = [];
  for (const c of CASES) {
    const source = join(c.from ?? CORPUS, `${c.name}.onnx`);
    const optimized = `${c.name}.level1.onnx`;
    if (c.from !== OUT) copyFileSync(source, join(OUT, `${c.name}.onnx`));
    const session = await ort.InferenceSession.create(resolve(source), {
      graphOptimizationLevel: 'basic',
      optimizedModelFilePath: resolve(OUT, optimized),
      logSeverityLevel: 3,
    });
    await session.release();
    cases.push({ file: `${c.name}.onnx`, optimized, what: c.what });
    console.log(`${c.name}: written`);
  }
  writeFileSync(
    join(OUT, 'manifest.json'),
    `${JSON.stringify({ onnxruntime: `onnxruntime-node ${version}`, level: 'basic', cases }, null, 2)}\n`,
  );
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
