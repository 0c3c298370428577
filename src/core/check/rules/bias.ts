import type { Source } from '../../../../rules/types';
import { fmt } from '../../encoding/encoding';
import { floatLeavesNpu, noFloatReason, specFor, violation, type Rule } from './context';

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
  description: `A Conv, FullyConnected or TransposeConv bias must be int32 with zero point 0, and its scale should equal input scale × weight scale (per channel; for a grouped TransposeConv the weight scales repeat per group), within a relative tolerance of ${BIAS_SCALE_RTOL} (one float16 step when the bias scale is stored as float16, as float16 models store it). A mismatch with per-channel weights breaks the HTP rule, which ONNX Runtime repairs by requantizing the bias; with per-tensor weights ExecuTorch's per-tensor configs calibrate the bias on its own, so the mismatch is advice there. A bias that is not int32 keeps ONNX Runtime's QNN EP from forming a QDQ node unit: the node runs as a float op there (FP16 on the HTP), whether the bias is a constant or computed at run time.`,
  check(ctx) {
    const bias = ctx.node.inputs.find((p) => p.role === 'bias' && p.encoding);
    const spec = bias ? specFor(ctx.constraint?.inputs, bias.index) : undefined;
    if (!bias || !spec || !(spec.dtypes?.length === 1 && spec.dtypes[0] === 'int32')) return [];
    const enc = bias.encoding!;
    const fix = 'Derive the bias encoding: int32, zero point 0, scale = input scale × weight scale.';
    const ortQuantizerFix = `${fix} With ONNX Runtime's quantizer, run quant_pre_process on the float model first (Constant nodes become initializers) and give each node a bias initializer of its own.`;
    // ONNX Runtime forms no QDQ node unit around a Conv or Gemm whose bias DequantizeLinear reads
    // anything but int32: the node runs as a float op, in FP16 on the HTP where it has FP16.
    const noFloat = floatLeavesNpu(ctx.pack, ctx.soc);
    const ortOutcome = noFloat ? 'cpu-fallback' : 'slower';
    const ortSource: Source = {
      ...SRC,
      ref: `${SRC.ref}; onnxruntime/onnxruntime-qnn onnxruntime/core/optimizer/qdq_transformer/selectors_actions/qdq_selectors.cc (ConvNodeGroupSelector::Check, GemmNodeGroupSelector::Check: a bias DequantizeLinear must read int32)`,
      note: `Under ONNX Runtime's QNN EP the ${ctx.node.opType} is then no QDQ node unit: it runs as a float op${noFloat ? `, which ${noFloatReason(ctx.pack, ctx.soc)}, so on the CPU` : ' (FP16 on the HTP: slower; on the CPU with FP16 precision off)'}. ONNX Runtime's own quantizer writes such a bias, quantized as an 8- or 16-bit activation, when the bias is not an initializer of its own: the output of a Constant node (paddle2onnx writes weights so; quant_pre_process folds them into initializers), or an initializer another node reads too (PyTorch shares equal initializers through Identity nodes).`,
    };
    if (!bias.constant) {
      // A bias computed at run time is an activation added to the output, which the HTP takes
      // (ONNX Runtime's Gemm_TransAB_Dynamic_B_And_Bias runs a uint8 one there, as a float op):
      // only ONNX Runtime's node units care about its type.
      if (enc.dtype === 'int32') return [];
      return [
        violation(bias, 'input', {
          message: `${ctx.qnnOp} bias computed at run time is ${enc.dtype}: ONNX Runtime's QNN EP runs the ${ctx.node.opType} as a float op`,
          expected: 'a constant int32 bias (a DequantizeLinear of an int32 initializer)',
          actual: `${enc.dtype}, computed at run time`,
          fix: ortQuantizerFix,
          effect: { kind: 'performance', outcomes: { ort: ortOutcome }, flows: ['ort'] },
          source: ortSource,
        }),
      ];
    }
    // A bias of another type is one finding: its zero point and scale follow from that type.
    if (enc.dtype !== 'int32')
      return [
        violation(bias, 'input', {
          message: `${ctx.qnnOp} bias must be int32`,
          expected: 'int32',
          actual: enc.dtype,
          fix: ortQuantizerFix,
          effect: { kind: 'backend-limit', outcomes: { ort: ortOutcome } },
          source: ortSource,
        }),
      ];
    const out = [];
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
              // The ratio tells how the scale was made (0.5: ONNX Runtime's quantizer folded a
              // Gemm's beta of 0.5 into it and set beta to 1).
              actual: e !== undefined && a !== undefined && e > 0 ? `${fmt(a)} (${fmt(a / e)} × the expected)` : fmt(a),
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
