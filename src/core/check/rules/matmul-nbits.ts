/**
 * ONNX Runtime's MatMulNBits (com.microsoft): a MatMul whose weight is stored block-quantized at
 * 2, 4 or 8 bits inside the node (packed uint8 B, per-block scales, optional packed zero points),
 * as ONNX Runtime's MatMulNBitsQuantizer, Olive and the GenAI model builder write LLMs.
 *
 * Which toolchain runs it on the HTP:
 * - ONNX Runtime's QNN EP has a MatMulNBits builder. At cee6c0d (March 2026) it refuses any backend
 *   but the GPU. From onnxruntime-qnn PR #288 (merged May 2026) the HTP takes it as a Conv2d with
 *   block-encoded weights, and from PR #675 (July 2026) with 16-bit quantized activations too. The
 *   builder's checks below are those of that later code (IsOpSupported); its HTP tests skip V68.
 * - Neither the QNN converter's nor ExecuTorch's public sources say anything of this contrib op.
 */
import type { SocInfo, Source } from '../../../../rules/types';
import type { QGraph, QNode, QPort } from '../../qgraph/qgraph';
import { FLOW_NAMES, archName, listNodeNames, violation, type Rule, type RuleContext } from './context';

const BUILDER: Source = {
  ref: 'onnxruntime/onnxruntime-qnn onnxruntime/core/providers/qnn/builder/opbuilder/matmulnbits_op_builder.cc (MatMulNBitsOpBuilder::IsOpSupported, HTP path of PR #288 and #675, read at qti-yuduo/onnxruntime-qnn 89767b4); test/providers/qnn/matmulnbits_test.cc (HTP tests skip V68 and older)',
  confidence: 'from-code',
  note: 'At onnxruntime-qnn cee6c0d (March 2026), and in every version before PR #288 (May 2026), the builder refuses the HTP outright ("MatMulNBits Op Supported Only for Qnn Gpu Backend") and the node runs on the CPU.',
};

/** The block_size the HTP builder needs a multiple of, by bit width (kHtpSupportedBitsAndBlockSizeMultipliers). */
const BLOCK_MULTIPLE: Record<number, number> = { 2: 16, 4: 8, 8: 4 };

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

/** A port that is present (an empty name means an omitted optional input). */
const present = (p: QPort | undefined): p is QPort => !!p && p.tensor !== '';

/** What the HTP builder refuses in this node, each as a short reason. */
function refusals(node: QNode, soc: SocInfo): string[] {
  const out: string[] = [];
  const bits = num(node.attrs?.bits) ?? 4;
  const blockSize = num(node.attrs?.block_size);
  const k = num(node.attrs?.K);
  if (soc.htpArch > 0 && soc.htpArch <= 68)
    out.push(
      `${soc.model} is ${archName(soc.htpArch)}: the builder's HTP kernels (FP16 or block-encoded Conv2d) start at V69`,
    );
  const multiple = BLOCK_MULTIPLE[bits];
  if (multiple === undefined) out.push(`bits ${bits} (the HTP takes 2, 4 or 8)`);
  else if (blockSize !== undefined && blockSize % multiple !== 0)
    out.push(`block_size ${blockSize} at ${bits} bits (a multiple of ${multiple} is needed)`);
  if (k !== undefined && blockSize !== undefined && blockSize > 0 && k % blockSize !== 0)
    out.push(`K ${k} is not a multiple of block_size ${blockSize}`);
  const a = node.inputs.find((p) => p.index === 0);
  if (a?.shape && a.shape.length !== 3) out.push(`input A has rank ${a.shape.length} (the HTP path takes 3-D A only)`);
  const aType = a?.encoding?.dtype ?? a?.dtype;
  if (a?.encoding && a.encoding.bitwidth !== 16)
    out.push(`input A is ${aType} quantized (the HTP takes float32, float16, uint16 or int16)`);
  else if (!a?.encoding && aType && aType !== 'float32' && aType !== 'float16')
    out.push(`input A is ${aType} (the HTP takes float32, float16, uint16 or int16)`);
  const scales = node.inputs.find((p) => p.index === 2);
  if (scales?.dtype && scales.dtype !== 'float32' && scales.dtype !== 'float16')
    out.push(`scales are ${scales.dtype} (float32 or float16 needed)`);
  const zp = node.inputs.find((p) => p.index === 3);
  if (present(zp) && zp.dtype && zp.dtype !== 'uint8') out.push(`zero_points are ${zp.dtype} (packed uint8 needed)`);
  const extra = node.inputs.filter((p) => (p.index === 4 || p.index === 5) && present(p));
  if (extra.length > 0)
    out.push(`${extra.map((p) => (p.index === 4 ? 'g_idx' : 'bias')).join(' and ')} given (the builder takes neither)`);
  return out;
}

const isMatMulNBits = (n: QNode) => n.opType === 'MatMulNBits' && n.domain === 'com.microsoft';

/**
 * The graph's MatMulNBits nodes, what the HTP builder refuses in each on `soc`, and those it takes:
 * the notes, one for all of them, sit on the first (an LLM has hundreds). Computed once per graph
 * and SoC.
 */
const groups = new WeakMap<QGraph, Map<string, { all: QNode[]; taken: QNode[]; why: ReadonlyMap<QNode, string[]> }>>();
function matMulNBitsOf(graph: QGraph, soc: SocInfo) {
  let bySoc = groups.get(graph);
  if (!bySoc) groups.set(graph, (bySoc = new Map()));
  let g = bySoc.get(soc.model);
  if (!g) {
    const all = graph.nodes.filter(isMatMulNBits);
    const why = new Map(all.map((n) => [n, refusals(n, soc)] as const));
    bySoc.set(soc.model, (g = { all, taken: all.filter((n) => why.get(n)!.length === 0), why }));
  }
  return g;
}

/** How the later builder runs a node it accepts, for the note. */
function howItRuns(ctx: RuleContext): string {
  const a = ctx.node.inputs.find((p) => p.index === 0);
  const bits = num(ctx.node.attrs?.bits) ?? 4;
  const zp = ctx.node.inputs.find((p) => p.index === 3);
  if (!a?.encoding) return 'with a float A it casts A to FP16 and runs a Conv2d with block-encoded weights in FP16';
  if (bits === 4 && !present(zp))
    return `with a ${a.encoding.dtype} A and 4-bit weights without zero points it runs an integer LPBQ Conv2d`;
  return `with a ${a.encoding.dtype} A it converts A to FP16 around a block-encoded Conv2d (QAIRT 2.51 adds a native integer kernel for some of these)`;
}

export const matmulNBitsRule: Rule = {
  id: 'matmul-nbits',
  title: "MatMulNBits runs on the HTP only through ONNX Runtime's QNN EP, from onnxruntime-qnn PR #288",
  description:
    "ONNX Runtime's MatMulNBits (com.microsoft; 2-, 4- or 8-bit block-quantized weights inside the node, as its MatMulNBitsQuantizer, Olive and the GenAI model builder write LLMs) runs on the HTP under ONNX Runtime's QNN EP only from onnxruntime-qnn PR #288 (May 2026; 16-bit quantized activations from PR #675), and only with bits 2, 4 or 8, block_size a multiple of 16, 8 or 4 respectively, K a multiple of block_size, a 3-D float32, float16, uint16 or int16 input A, float scales, packed uint8 zero points, no g_idx or bias, and HTP V69 or newer; anything else runs on the CPU. Earlier versions (cee6c0d, March 2026, included) refuse it on the HTP: a note says so. The QNN converter and ExecuTorch: no public source, so a note says QuantLens does not know.",
  check(ctx) {
    const { node, pack } = ctx;
    if (pack.backend !== 'htp' || !isMatMulNBits(node)) return [];
    const { all, taken, why: refused } = matMulNBitsOf(ctx.graph, ctx.soc);
    const why = refused.get(node)!;
    const count = (nodes: QNode[]) => (nodes.length === 1 ? 'MatMulNBits' : `${nodes.length} MatMulNBits nodes`);
    const b = node.inputs.find((p) => p.index === 1);
    const bits = num(node.attrs?.bits) ?? 4;
    const blockSize = num(node.attrs?.block_size);
    const layout = `${bits}-bit weights in blocks of ${blockSize ?? '?'}`;
    const unknownElsewhere = {
      kind: 'note' as const,
      effect: { kind: 'toolchain-default' as const, flows: ['qnn' as const, 'executorch' as const] },
      port: b ? `input ${b.index} (packed weight)` : undefined,
      tensor: b?.tensor,
      nodeIds: all.map((n) => n.id),
      message: `${all.length === 1 ? 'MatMulNBits is' : `${all.length} MatMulNBits nodes: MatMulNBits is`} ONNX Runtime's contrib op: whether ${FLOW_NAMES.qnn} or ExecuTorch takes it is not in their public sources, so QuantLens judged only its ONNX Runtime builder`,
      expected: 'a MatMul whose weight is a block-quantized DequantizeLinear (QDQ), which every flow reads',
      actual: all.length === 1 ? `com.microsoft MatMulNBits, ${layout}` : listNodeNames(all),
      fix: "Check with a conversion, or turn it into DequantizeLinear → MatMul (Olive's MatMulNBitsToQDQ pass; for 4 bits with 16-bit activations this is the LPBQ form the HTP runs as an integer kernel).",
      source: { ...BUILDER, confidence: 'inferred' as const },
    };
    if (why.length > 0)
      return [
        violation(b, 'input', {
          effect: { kind: 'backend-limit', outcomes: { ort: 'cpu-fallback' }, flows: ['ort'] },
          message: `MatMulNBits that ONNX Runtime's QNN EP leaves to the CPU in every version: ${why.join('; ')}`,
          expected:
            'bits 2/4/8 with block_size a multiple of 16/8/4, K a multiple of block_size, a 3-D float32/float16/uint16/int16 A, float scales, packed uint8 zero points, no g_idx or bias, HTP V69+',
          actual: why.join('; '),
          fix: 'Quantize this MatMul again within those limits (4 bits in blocks of 32 or 64, A reshaped to [batch, sequence, K]), or as DequantizeLinear → MatMul; on V68, keep it a per-channel QDQ MatMul.',
          source: BUILDER,
        }),
        ...(node === all[0] ? [unknownElsewhere] : []),
      ];
    const quantizedA = taken.some((n) => n.inputs[0]?.encoding);
    return [
      ...(node === taken[0]
        ? [
            {
              kind: 'note' as const,
              effect: { kind: 'toolchain-default' as const, flows: ['ort' as const] },
              port: b ? `input ${b.index} (packed weight)` : undefined,
              tensor: b?.tensor,
              nodeIds: taken.map((n) => n.id),
              message: `${count(taken)} ${taken.length === 1 ? 'runs' : 'run'} on the HTP only with onnxruntime-qnn from PR #288 (May 2026)${quantizedA ? ' and, for a 16-bit quantized A, PR #675 (July 2026)' : ''}; cee6c0d (March 2026) and earlier versions run ${taken.length === 1 ? 'it' : 'them'} on the CPU`,
              expected: 'onnxruntime-qnn with HTP MatMulNBits',
              actual: `${taken.length === 1 ? '' : `${listNodeNames(taken)}; this one: `}${layout}; ${howItRuns(ctx)}`,
              fix: 'Check the onnxruntime-qnn version you deploy with. For any version, DequantizeLinear → MatMul with the LPBQ form (4-bit, 16-bit activations) runs on the HTP as an integer kernel.',
              source: BUILDER,
            },
          ]
        : []),
      ...(node === all[0] ? [unknownElsewhere] : []),
    ];
  },
};
