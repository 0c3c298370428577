/**
 * The QNN LPAI rule pack: what public sources tell about the low-power AI block. Much less is
 * known than for HTP, and the pack says so rather than guessing.
 */
import { DEFAULT_SOC } from '../backends';
import type { RulePack } from '../types';

const SRC = {
  ref: 'pytorch/executorch backends/qualcomm/serialization/qc_schema.py (_soc_info_table, LpaiHardwareVersion)',
  confidence: 'from-code',
} as const;
const RULES = {
  ref: 'pytorch/executorch backends/qualcomm/quantizer/annotators/lpai_rules.py',
  confidence: 'from-code',
} as const;

const pack: RulePack = {
  schema: 1,
  backend: 'lpai',
  title: 'Qualcomm QNN LPAI (low-power AI)',
  socs: [
    { model: 'SM8850', htpArch: 81, vtcmMB: 8, lpai: 6, chipsetId: 87 },
    { model: 'SAR2230P', htpArch: 81, vtcmMB: 4, lpai: 6, chipsetId: 95 },
  ],
  defaultSoc: DEFAULT_SOC.lpai,
  // "CPU runs in dtype=fp32 while LPAI runs in dtype=quantized": ExecuTorch wraps every node the
  // LPAI backend does not take in Q/DQ and runs it on the CPU.
  quantizedOnly: {
    source: {
      ref: 'pytorch/executorch backends/qualcomm/_passes/lpai_partition_fallback_support.py (LpaiPartitionFallbackSupport)',
      confidence: 'inferred',
    },
  },
  flowsWithout: {
    ort: {
      why: 'it has no LPAI backend (its backend_type takes cpu, gpu, htp, saver or ir, and loads the HTP library for any other name; a QNN library it does not know by its backend id runs as its CPU backend)',
      source: {
        ref: 'onnxruntime/onnxruntime-qnn onnxruntime/core/providers/qnn/qnn_execution_provider.cc (ParseBackendTypeName), builder/qnn_backend_manager.cc (SetQnnBackendType)',
        confidence: 'from-code',
      },
    },
  },
  // The ONNX equivalents of the ATen ops ExecuTorch's lpai_rules.py annotates. ExecuTorch leaves
  // everything else unannotated; whether LPAI runs it is unknown, so unmapped ops are advice.
  ops: [
    'Conv:Conv2d',
    'ConvTranspose:TransposeConv2d',
    'Gemm:FullyConnected',
    'MatMul:MatMul',
    'Relu:Relu',
    'Clip:ReluMinMax',
    'Sigmoid:Sigmoid',
    'Tanh:Tanh',
    'Gelu:Gelu',
    'HardSwish:HardSwish',
    'PRelu:Prelu',
    'LeakyRelu:Prelu',
    'Softmax:Softmax',
    'LogSoftmax:LogSoftmax',
    'Add:ElementWiseAdd',
    'Sub:ElementWiseSubtract',
    'Mul:ElementWiseMultiply',
    'Div:ElementWiseDivide',
    'Pow:ElementWisePower',
    'Max:ElementWiseMaximum',
    'Min:ElementWiseMinimum',
    'Exp:ElementWiseExp',
    'Log:ElementWiseLog',
    'Sqrt:ElementWiseSquareRoot',
    'ReduceMax:ReduceMax',
    'ReduceMin:ReduceMin',
    'ReduceMean:ReduceMean',
    'ReduceSum:ReduceSum',
    'ArgMax:Argmax',
    'ArgMin:Argmin',
    'Cast:Cast',
    'Reshape:Reshape',
    'Flatten:Reshape',
    'Squeeze:Reshape',
    'Unsqueeze:Reshape',
    'Transpose:Transpose',
    'Concat:Concat',
    'Split:Split',
    'Slice:StridedSlice',
    'Pad:Pad',
    'DepthToSpace:DepthToSpace',
    'SpaceToDepth:SpaceToDepth',
    'Gather:Gather',
    'TopK:TopK',
    'Resize:Resize',
    'LayerNormalization:LayerNorm',
    'RMSNormalization:RmsNorm',
    'MaxPool:PoolMax2d',
    'AveragePool:PoolAvg2d',
    'GlobalAveragePool:PoolAvg2d',
  ].map((s) => {
    const [onnx, qnnOp] = s.split(':') as [string, string];
    // ExecuTorch's LPAI rules annotate 1-D and 2-D convolutions and pools only.
    const byRank = ['Conv', 'ConvTranspose', 'MaxPool', 'AveragePool', 'GlobalAveragePool'].includes(onnx)
      ? { '5': null }
      : undefined;
    return { onnx, qnnOp, source: RULES, ...(byRank ? { byRank } : {}) };
  }),
  constraints: {},
  gates: [],
  unmappedOps: 'toolchain-default',
  opListFrom: "ExecuTorch's LPAI annotator (lpai_rules.py)",
  transparentOps: ['QuantizeLinear', 'DequantizeLinear', 'Constant', 'Identity', 'Dropout', 'Shape', 'ConstantOfShape'],
  unknowns: [
    `SoCs with LPAI hardware come from ${SRC.ref}.`,
    'No public per-op constraint table exists for LPAI, and ExecuTorch validates LPAI with a no-op BackendOpInfo stub ("For qnn 2.41, it only supports HTP backend"); only op support is checked. Load a constraint pack exported from your QNN SDK for port-level checks.',
    "The op list is what ExecuTorch's lpai_rules.py annotates; an op missing here is reported as advice (it may still run on LPAI, or fall back), not as an error.",
  ],
};

export default pack;
