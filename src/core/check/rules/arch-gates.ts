import type { ArchGate, Source } from '../../../../rules/types';
import type { QNode } from '../../qgraph/qgraph';
import { archName, violation, type Rule, type RuleContext } from './context';

function gate(ctx: RuleContext, feature: ArchGate['feature']): ArchGate | undefined {
  return ctx.pack.gates.find((g) => g.feature === feature);
}

const is16 = (dtype: string | undefined) => dtype === 'uint16' || dtype === 'int16';

export const sixteenBitArchRule: Rule = {
  id: '16a16w-arch',
  title: '16-bit activations with 16-bit weights need HTP V73+',
  description:
    '16-bit activations together with 16-bit weights (a MatMul with an int16 second input, LayerNorm, Conv, FullyConnected, TransposeConv) need HTP V73 or newer. Upstream compares the weight dtype to int32 on all but MatMul, so its check never fires there; this rule implements the intent.',
  check(ctx) {
    const g = gate(ctx, '16a16w');
    if (!g || !ctx.qnnOp || !g.ops.includes(ctx.qnnOp)) return [];
    const act = ctx.node.inputs.find((p) => p.index === 0)?.encoding;
    const w = ctx.node.inputs.find((p) => p.index === 1);
    // 16a16w means a 16-bit activation and an int16 (symmetric) weight or second input.
    // uint16 weights count too: ONNX Runtime converts them to symmetric int16 (conv/matmul_op_builder.cc).
    // A dynamic uint16 second input is 16×16 activations, which ONNX Runtime runs as 16×8; only
    // int16 or constant (weight) uint16 second inputs are 16-bit weights.
    const w16 =
      w?.encoding &&
      w.encoding.bitwidth === 16 &&
      (w.encoding.dtype === 'int16' || (w.encoding.dtype === 'uint16' && w.constant));
    if (!act || !w?.encoding || !is16(act.dtype) || !w16) return [];
    if (ctx.soc.htpArch >= g.minArch) return [];
    return [
      violation(w, 'input', {
        message: `16-bit activations with 16-bit ${ctx.qnnOp === 'MatMul' ? 'second input' : 'weights'} on ${ctx.qnnOp} need ${archName(g.minArch)} or newer; ${ctx.soc.model} is ${archName(ctx.soc.htpArch)}`,
        expected: `HTP ${archName(g.minArch)}+`,
        actual: `${ctx.soc.model} (${archName(ctx.soc.htpArch)})`,
        fix: `Use 16a8w for this node (8-bit weights), or target an SoC with HTP ${archName(g.minArch)} or newer (e.g. SM8550).`,
        source: g.source,
      }),
    ];
  },
};

export const lpbqArchRule: Rule = {
  id: 'lpbq-arch',
  title: 'Block-wise (LPBQ) weights: HTP V69+, Conv and FullyConnected only',
  description:
    'Block-wise weights (16a4w_block / LPBQ, or ONNX block_size) need HTP V69 or newer and are only allowed on Conv and FullyConnected. Sources disagree about V69 (code: yes; wiki: V73+), so on V69 the rule passes with a note.',
  check(ctx) {
    const g = gate(ctx, 'lpbq');
    const w = ctx.node.inputs.find(
      (p) => p.encoding && (p.encoding.granularity === 'lpbq' || p.encoding.granularity === 'per-block'),
    );
    if (!g || !w) return [];
    if (!ctx.qnnOp || !g.ops.includes(ctx.qnnOp)) {
      return [
        violation(w, 'input', {
          message: `block-wise quantization is only allowed on ${g.ops.join(', ')}, not ${ctx.qnnOp ?? ctx.node.opType}`,
          expected: `a ${g.ops.join(' / ')} consumer`,
          actual: ctx.qnnOp ?? ctx.node.opType,
          fix: 'Quantize this tensor per channel or per tensor instead of per block.',
          source: g.source,
        }),
      ];
    }
    if (ctx.soc.htpArch < g.minArch) {
      return [
        violation(w, 'input', {
          message: `block-wise (LPBQ) weights need ${archName(g.minArch)} or newer; ${ctx.soc.model} is ${archName(ctx.soc.htpArch)}`,
          expected: `HTP ${archName(g.minArch)}+ (some sources say V73+)`,
          actual: `${ctx.soc.model} (${archName(ctx.soc.htpArch)})`,
          fix: 'Use per-channel 4-bit weights (16a4w) on this SoC, or target a newer one.',
          source: { ...g.source, note: g.disputedArch?.note },
        }),
      ];
    }
    if (g.disputedArch && ctx.soc.htpArch === g.disputedArch.arch) {
      return [
        {
          kind: 'note',
          effect: { kind: 'toolchain-default' },
          port: `input ${w.index} (${w.role})`,
          tensor: w.tensor,
          message: `block-wise (LPBQ) weights on ${archName(ctx.soc.htpArch)}: sources disagree`,
          expected: `HTP ${archName(g.minArch)}+ per code; V73+ per wiki`,
          actual: `${ctx.soc.model} (${archName(ctx.soc.htpArch)})`,
          fix: 'Confirm on a device of this SoC, or use per-channel 4-bit weights to be safe.',
          source: { ...g.source, note: g.disputedArch.note },
        },
      ];
    }
    return [];
  },
};

const ORT_LPBQ: Source = {
  ref: 'onnxruntime/onnxruntime-qnn onnxruntime/core/providers/qnn/builder/qnn_node_group/lpbqgemm_fusion.cc and lpbqmatmul_fusion.cc (TryFusion); qnn_quant_params_wrapper.cc (Init reads no block_size: more than one scale is per-axis) at cee6c0d (March 2026)',
  confidence: 'from-code',
  note: "Later onnxruntime-qnn work adds block-quantized Conv (float block scales as BW_FLOAT_BLOCK with the activation converted to FP16; LPBQ as BLOCKWISE_EXPANSION), both only beside per-tensor symmetric int16 activations, and runs a blocked MatMul through MatMulNBits; cee6c0d reads a DequantizeLinear's block_size only in its LPBQ Gemm and MatMul fusions. Which applies depends on your onnxruntime-qnn version.",
};

/** What a block-wise Conv2d weight's block_size must be a multiple of, by bit width (later onnxruntime-qnn). */
const CONV_BQ_BLOCK_MULTIPLE: Record<number, number> = { 2: 16, 4: 8, 8: 4 };

/**
 * A Conv2d that later onnxruntime-qnn versions build with a float-block weight (see ORT_CONV_BQ):
 * its weight DequantizeLinear has float block scales along the input channels, at a bit width and
 * block size the HTP kernel takes, beside a 16-bit activation. Zero points of such a weight become
 * the kernel's float offsets, so an asymmetric one is taken too.
 */
export function laterOrtBlockConv(node: QNode): boolean {
  const w = node.inputs.find((p) => p.index === 1);
  const act = node.inputs.find((p) => p.index === 0)?.encoding;
  const enc = w?.encoding;
  if (node.opType !== 'Conv' || enc?.granularity !== 'per-block' || w?.shape?.length !== 4) return false;
  const multiple = CONV_BQ_BLOCK_MULTIPLE[enc.bitwidth];
  return (
    enc.blockAxis === 1 &&
    act?.bitwidth === 16 &&
    multiple !== undefined &&
    enc.blockSize !== undefined &&
    enc.blockSize % multiple === 0
  );
}

const ORT_CONV_BQ: Source = {
  ref: 'onnxruntime-qnn onnxruntime/core/providers/qnn/builder/opbuilder/conv_op_builder.cc (ConvOpBuilder::IsOpSupported, block-quantized weight; ProcessConv2D3DInputs, INT16 to FP16 Dequantize for the BW_FLOAT_BLOCK kernel) and test/providers/qnn/conv_test.cc (ConvBQ_U16* and ConvLPBQ_U16* tests: uint16 activations, every node on the HTP), read at qti-yuduo/onnxruntime-qnn 004df32 and 8e51a9d, a fork of onnxruntime/onnxruntime-qnn',
  confidence: 'from-code',
  note: 'Conv2d only (a rank-4 weight blocked along its input channels), 16-bit activations, block_size a multiple of 8 at 4 bits (4 at 8 bits, 16 at 2 bits from QAIRT 2.47); the tests skip V68 and older. At cee6c0d the QNN EP reads no block_size and the node runs on the CPU.',
};

/**
 * Under ONNX Runtime's QNN EP, block-wise weights reach the HTP as an integer kernel through its
 * LPBQ fusions only: a Gemm or MatMul weight whose blocked scale is computed by a DequantizeLinear
 * of uint8 per-block scales. Other block-wise weights depend on the version: cee6c0d reads them
 * as per-axis scales that do not fit the axis (CPU); later versions run float block scales in FP16
 * and block-wise Conv weights only beside symmetric int16 activations.
 */
export const ortBlockQuantRule: Rule = {
  id: 'ort-block-quant',
  title: 'ONNX Runtime takes block-wise weights as an integer kernel only in its LPBQ form (Gemm, MatMul)',
  description:
    "Under ONNX Runtime's QNN EP, block-wise weights run as an integer HTP kernel only as its LPBQ fusions take them: a Gemm or MatMul weight whose blocked scale is the output of a DequantizeLinear of uint8 per-block scales by per-channel float scales. Float block scales run in FP16 on versions that read them (earlier ones leave the node on the CPU): slower. So does a Conv2d weight with float block scales along its input channels beside a 16-bit activation, on versions with block-quantized Conv. Any other block-wise Conv weight runs only beside a symmetric int16 activation, on versions that take it, and stays on the CPU beside any other. The QNN converter and ExecuTorch take block-wise weights from their own encodings.",
  check(ctx) {
    if (ctx.pack.backend !== 'htp') return [];
    const w = ctx.node.inputs.find(
      (p) => p.encoding && (p.encoding.granularity === 'per-block' || p.encoding.granularity === 'lpbq'),
    );
    if (!w?.encoding) return [];
    const linear = ctx.node.opType === 'Gemm' || ctx.node.opType === 'MatMul';
    if (w.encoding.granularity === 'lpbq' && linear) return [];
    const act = ctx.node.inputs.find((p) => p.index === 0)?.encoding;
    const int16Symmetric = act?.dtype === 'int16' && act.zeroPoint.every((z) => z === 0);
    const where = `${w.encoding.granularity === 'lpbq' ? 'LPBQ' : 'float block scales'} on ${ctx.node.opType}`;
    if (laterOrtBlockConv(ctx.node))
      return [
        violation(w, 'input', {
          effect: { kind: 'performance', outcomes: { ort: 'slower' }, flows: ['ort'] },
          message: `block-wise Conv weights (float block scales) beside a ${act!.dtype} activation: they reach the HTP only on onnxruntime-qnn versions with block-quantized Conv, which dequantize the activation to FP16 for a float-block kernel (or, with enable_block_quant_weight_optimization, run them as LPBQ); cee6c0d (March 2026) leaves this node on the CPU`,
          expected: 'per-channel weights, or onnxruntime-qnn with block-quantized Conv',
          actual: `${where}, ${w.encoding.bitwidth}-bit in blocks of ${w.encoding.blockSize}, input 0 ${act!.dtype}`,
          fix: 'Check your onnxruntime-qnn version (cee6c0d, March 2026, leaves this node on the CPU), or quantize this weight per channel (16a4w) for any version.',
          source: ORT_CONV_BQ,
        }),
      ];
    if (!linear && !int16Symmetric)
      return [
        violation(w, 'input', {
          effect: { kind: 'backend-limit', outcomes: { ort: 'cpu-fallback' }, flows: ['ort'] },
          message: `block-wise ${ctx.node.opType} weights beside a ${act ? `${act.dtype}${act.zeroPoint.some((z) => z !== 0) ? ' asymmetric' : ''}` : 'float'} activation: ONNX Runtime's QNN EP has no kernel for them`,
          expected: `per-channel weights; on onnxruntime-qnn versions with block-quantized Conv, float block scales along a Conv2d's input channels beside a 16-bit activation, or LPBQ beside a per-tensor symmetric int16 one`,
          actual: `${where}, input 0 ${act ? act.dtype : 'float'}`,
          fix: 'Quantize this weight per channel (16a4w) for ONNX Runtime, or deploy through the QNN converter with the AIMET encodings.',
          source: ORT_LPBQ,
        }),
      ];
    return [
      violation(w, 'input', {
        effect: { kind: 'performance', outcomes: { ort: 'slower' }, flows: ['ort'] },
        message: `block-wise weights (${where}) outside ONNX Runtime's LPBQ form: they reach the HTP only on onnxruntime-qnn versions that read block_size, and then in FP16`,
        expected: linear
          ? 'LPBQ form: int4 weight, block scale = DequantizeLinear(uint8 per-block scales, per-channel float scales)'
          : 'per-channel weights, or LPBQ where the version takes it',
        actual: `${where}, block size ${w.encoding.blockSize ?? '?'}`,
        fix: linear
          ? "Write the weight in ONNX Runtime's LPBQ form (QuantLens's 16a4w_block export at opset 21 does), or quantize it per channel (16a4w); check your onnxruntime-qnn version: cee6c0d (March 2026) leaves this node on the CPU."
          : 'Check your onnxruntime-qnn version (cee6c0d, March 2026, leaves this node on the CPU), or quantize this weight per channel (16a4w).',
        source: ORT_LPBQ,
      }),
    ];
  },
};
