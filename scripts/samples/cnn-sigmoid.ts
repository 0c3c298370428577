/**
 * `cnn-sigmoid`: a small image classifier ending in Sigmoid, the smallest model that shows the
 * HTP rules for per-channel conv weights, int32 bias and Sigmoid's fixed output encoding.
 *
 * image [1,3,32,32] -> Conv(3->8, 3x3, pad 1) -> Relu -> Conv(8->16, 3x3, stride 2, pad 1) -> Relu
 *   -> GlobalAveragePool -> Flatten -> Gemm(16->4) -> Sigmoid -> probs [1,4]
 */
import { attr } from '../../src/core/model/write-onnx';
import type { Emitter } from './emitter';
import { Prng } from './prng';

/** Float weights of the model, drawn from a fixed seed. */
export interface CnnWeights {
  conv1W: Float32Array;
  conv1B: Float32Array;
  conv2W: Float32Array;
  conv2B: Float32Array;
  fcW: Float32Array;
  fcB: Float32Array;
}

export const CNN_INPUT_SHAPE = [1, 3, 32, 32] as const;

/** Weights with He-uniform bounds, so activations neither vanish nor blow up through ReLU. */
export function cnnWeights(seed = 0x5eed_c0de): CnnWeights {
  const rng = new Prng(seed);
  const he = (fanIn: number): number => Math.sqrt(6 / fanIn);
  return {
    conv1W: rng.floats(8 * 3 * 3 * 3, -he(27), he(27)),
    conv1B: rng.floats(8, -0.1, 0.1),
    conv2W: rng.floats(16 * 8 * 3 * 3, -he(72), he(72)),
    conv2B: rng.floats(16, -0.1, 0.1),
    // Modest logits keep Sigmoid off its flat tails, so the output encoding matters.
    fcW: rng.floats(4 * 16, -1.5, 1.5),
    fcB: rng.floats(4, -0.5, 0.5),
  };
}

/** Writes the model through `e` (float or QDQ). */
export function describeCnn(e: Emitter, w: CnnWeights): void {
  const x = e.input('image', CNN_INPUT_SHAPE);
  const conv = (
    scope: string,
    input: string,
    weight: Float32Array,
    bias: Float32Array,
    cout: number,
    cin: number,
    stride: number,
  ): string => {
    const wName = e.weight(`${scope.replaceAll('/', '.').slice(1)}.weight`, weight, [cout, cin, 3, 3], 0);
    const bName = e.bias(`${scope.replaceAll('/', '.').slice(1)}.bias`, bias, input, wName);
    const c = e.op('Conv', [input, wName, bName], `${scope}/Conv_output_0`, {
      name: `${scope}/Conv`,
      attrs: { kernel_shape: attr.ints([3, 3]), pads: attr.ints([1, 1, 1, 1]), strides: attr.ints([stride, stride]) },
    });
    return e.op('Relu', [c], `${scope}/Relu_output_0`, { name: `${scope}/Relu` });
  };
  const c1 = conv('/backbone/conv1', x, w.conv1W, w.conv1B, 8, 3, 1);
  const c2 = conv('/backbone/conv2', c1, w.conv2W, w.conv2B, 16, 8, 2);
  const pooled = e.op('GlobalAveragePool', [c2], '/head/pool/GlobalAveragePool_output_0', {
    name: '/head/pool/GlobalAveragePool',
  });
  // Flatten is a reshape on HTP, so it keeps its input's encoding.
  const flat = e.op('Flatten', [pooled], '/head/Flatten_output_0', {
    name: '/head/Flatten',
    attrs: { axis: attr.int(1) },
    quant: { kind: 'share-input' },
  });
  // Per tensor: HTP keeps FullyConnected (Gemm) weights per tensor (AIMET HTP configs, ONNX Runtime).
  const fcW = e.weight('head.fc.weight', w.fcW, [4, 16]);
  const fcB = e.bias('head.fc.bias', w.fcB, flat, fcW);
  const logits = e.op('Gemm', [flat, fcW, fcB], '/head/fc/Gemm_output_0', {
    name: '/head/fc/Gemm',
    attrs: { transB: attr.int(1) },
  });
  // HTP fixes Sigmoid's uint8 output encoding at scale 1/256, offset 0 (range [0, 1)).
  e.op('Sigmoid', [logits], '/head/Sigmoid_output_0', {
    name: '/head/Sigmoid',
    graphOutput: 'probs',
    quant: { kind: 'fixed', scale: 1 / 256, zeroPoint: 0 },
  });
  e.output('probs', [1, 4]);
}
