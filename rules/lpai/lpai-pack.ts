/**
 * The QNN LPAI rule pack: what public sources tell about the low-power AI block. Much less is
 * known than for HTP, and the pack says so rather than guessing.
 */
import type { RulePack } from '../types';

const SRC = { ref: 'pytorch/executorch backends/qualcomm/serialization/qc_schema.py (_soc_info_table, LpaiHardwareVersion)', confidence: 'from-code' } as const;
const RULES = { ref: 'pytorch/executorch backends/qualcomm/quantizer/annotators/lpai_rules.py', confidence: 'inferred' } as const;

const pack: RulePack = {
  schema: 1,
  backend: 'lpai',
  title: 'Qualcomm QNN LPAI (low-power AI)',
  socs: [
    { model: 'SM8850', htpArch: 81, vtcmMB: 8, lpai: 6, chipsetId: 87 },
    { model: 'SAR2230P', htpArch: 81, vtcmMB: 4, lpai: 6, chipsetId: 95 },
  ],
  defaultSoc: 'SM8850',
  ops: [
    'Conv:Conv2d', 'Gemm:FullyConnected', 'MatMul:MatMul', 'Relu:Relu', 'Sigmoid:Sigmoid', 'Tanh:Tanh', 'Softmax:Softmax',
    'Add:ElementWiseAdd', 'Mul:ElementWiseMultiply', 'Sub:ElementWiseSubtract', 'Reshape:Reshape', 'Transpose:Transpose',
    'Concat:Concat', 'MaxPool:PoolMax2d', 'AveragePool:PoolAvg2d', 'GlobalAveragePool:PoolAvg2d', 'Flatten:Reshape',
    'Squeeze:Reshape', 'Unsqueeze:Reshape', 'Clip:ReluMinMax',
  ].map((s) => {
    const [onnx, qnnOp] = s.split(':') as [string, string];
    return { onnx, qnnOp, source: RULES };
  }),
  constraints: {},
  gates: [],
  transparentOps: ['QuantizeLinear', 'DequantizeLinear', 'Constant', 'Identity', 'Dropout', 'Shape', 'ConstantOfShape'],
  unknowns: [
    `SoCs with LPAI hardware come from ${SRC.ref}.`,
    'No public per-op constraint table exists for LPAI, and ExecuTorch validates LPAI with a no-op BackendOpInfo stub ("For qnn 2.41, it only supports HTP backend"); only op support is checked. Load a constraint pack exported from your QNN SDK for port-level checks.',
    'The op list is a cautious subset of ExecuTorch\'s lpai_rules.py annotators; an op missing here may still run on LPAI.',
  ],
};

export default pack;
