import type { Source } from '../../../../rules/types';
import { fmt } from '../../encoding/encoding';
import { specFor, violation, type Rule } from './context';

/** Relative tolerance for bias scale = input scale × weight scale (float32 products differ by ~1e-7). */
export const BIAS_SCALE_RTOL = 1e-4;

/**
 * How far a stored bias scale may sit from `expected` (input scale × weight scale). A float16
 * scale (a float16 model's Q/DQ store their scales in float16) holds the product only to its own
 * precision, one float16 step: about 1e-3 relative, and much more for the tiny scales biases have,
 * which float16 stores with 24 bits below 2^-14 at most (ONNX Runtime's quantizer writes the
 * product rounded so).
 */
function biasScaleTolerance(expected: number, scaleType: 'float16' | undefined): number {
  const relative = BIAS_SCALE_RTOL * Math.abs(expected);
  if (scaleType !== 'float16') return relative;
  const a = Math.abs(expected);
  const step = a < 2 ** -14 ? 2 ** -24 : 2 ** (Math.floor(Math.log2(a)) - 10);
  return Math.max(relative, step);
}

const SRC: Source = {
  ref: 'pytorch/executorch backends/qualcomm/quantizer/README.md (HTP op supplement for Conv2d: bias SFIXED_POINT_32, symmetric, scale = weight scale × input scale, offset 0); qconfig.py _derived_bias_quant_spec',
  confidence: 'documented',
};

export const biasRule: Rule = {
  id: 'bias',
  title: 'Derived int32 bias',
  description: `A Conv, FullyConnected or TransposeConv bias must be int32 with zero point 0, and its scale should equal input scale × weight scale (per channel; for a grouped TransposeConv the weight scales repeat per group), within a relative tolerance of ${BIAS_SCALE_RTOL} (one float16 step when the bias scale is stored as float16, as float16 models store it). A mismatch with per-channel weights breaks the HTP rule, which ONNX Runtime repairs by requantizing the bias; with per-tensor weights ExecuTorch's per-tensor configs calibrate the bias on its own, so the mismatch is advice there.`,
  check(ctx) {
    // A bias computed at run time is an activation added to the output (ONNX Runtime's
    // Gemm_TransAB_Dynamic_B_And_Bias runs a uint8 one on the HTP); the int32 rule is for constants.
    const bias = ctx.node.inputs.find((p) => p.role === 'bias' && p.encoding && p.constant);
    const spec = bias ? specFor(ctx.constraint?.inputs, bias.index) : undefined;
    if (!bias || !spec || !(spec.dtypes?.length === 1 && spec.dtypes[0] === 'int32')) return [];
    const enc = bias.encoding!;
    const out = [];
    const fix = 'Derive the bias encoding: int32, zero point 0, scale = input scale × weight scale.';
    if (enc.dtype !== 'int32')
      out.push(
        violation(bias, 'input', {
          message: `${ctx.qnnOp} bias must be int32`,
          expected: 'int32',
          actual: enc.dtype,
          fix,
          source: SRC,
        }),
      );
    const nz = enc.zeroPoint.find((z) => z !== 0);
    if (nz !== undefined)
      out.push(
        violation(bias, 'input', {
          message: `${ctx.qnnOp} bias must have zero point 0`,
          expected: 'zero point 0',
          actual: `zero point ${nz}`,
          fix,
          source: SRC,
        }),
      );
    const input = ctx.node.inputs.find((p) => p.index === 0)?.encoding;
    const weight = ctx.node.inputs.find((p) => p.role === 'weight')?.encoding;
    // Block-wise weights derive the bias from per-channel maxima (LPBQ); only per-tensor and
    // per-channel weights are compared here.
    if (
      input &&
      weight &&
      input.scale.length === 1 &&
      (weight.granularity === 'per-tensor' || weight.granularity === 'per-channel')
    ) {
      // ConvTranspose weights are [C_in, C_out/group, ...]: per-channel scales cover one group's
      // outputs and repeat for each group (ExecuTorch _derived_bias_quant_spec repeat-interleaves them).
      const group = typeof ctx.node.attrs?.group === 'number' ? ctx.node.attrs.group : 1;
      const wScales =
        ctx.node.opType === 'ConvTranspose' &&
        group > 1 &&
        weight.scale.length > 1 &&
        enc.scale.length === weight.scale.length * group
          ? Array.from({ length: group }, () => weight.scale).flat()
          : weight.scale;
      const expected = wScales.map((w) => w * input.scale[0]!);
      const effect =
        weight.granularity === 'per-channel'
          ? { kind: 'toolchain-repair' as const, repairedBy: ['ort' as const] }
          : {
              kind: 'toolchain-repair' as const,
              outcomes: { qnn: 'auto-fixed' as const, ort: 'auto-fixed' as const, executorch: 'advice' as const },
            };
      const n = Math.max(expected.length, enc.scale.length);
      for (let i = 0; i < n; i++) {
        const e = expected[expected.length === 1 ? 0 : i];
        const a = enc.scale[enc.scale.length === 1 ? 0 : i];
        if (e === undefined || a === undefined || Math.abs(a - e) > biasScaleTolerance(e, enc.scaleType)) {
          out.push(
            violation(bias, 'input', {
              effect,
              message: `${ctx.qnnOp} bias scale${n > 1 ? ` [channel ${i}]` : ''} is not input scale × weight scale`,
              expected: `${fmt(e)} (= ${fmt(input.scale[0])} × ${fmt(wScales[wScales.length === 1 ? 0 : i])})`,
              actual: fmt(a),
              fix: `${fix} ONNX Runtime requantizes a mismatched bias (conv_op_builder.cc ProcessConv2D3DInputs).`,
              source: SRC,
            }),
          );
          break; // one channel is enough to make the point
        }
      }
    }
    return out;
  },
};
