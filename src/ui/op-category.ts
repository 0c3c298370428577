/** Colour families for op types, so the eye finds convolutions, matmuls and activations fast. */
const CATEGORIES: [RegExp, string][] = [
  [/^(Conv|ConvTranspose|ConvInteger|QLinearConv)$/, 'conv'],
  [
    /^(MatMul|Gemm|MatMulInteger|QLinearMatMul|MatMulNBits|Attention|MultiHeadAttention|GroupQueryAttention)$/,
    'matmul',
  ],
  [
    /^(Relu|Sigmoid|Tanh|Softmax|LogSoftmax|HardSigmoid|HardSwish|Gelu|Elu|Selu|LeakyRelu|PRelu|Clip|Softplus|Mish|Erf)$/,
    'activation',
  ],
  [/(Norm|Normalization)$/, 'norm'],
  [
    /^(Reshape|Transpose|Flatten|Squeeze|Unsqueeze|Concat|Split|Slice|Gather|GatherElements|GatherND|Expand|Tile|Shape|Pad|Resize|DepthToSpace|SpaceToDepth|Identity|Cast)$/,
    'shape',
  ],
  [/^(QuantizeLinear|DequantizeLinear|DynamicQuantizeLinear)$/, 'quant'],
  [/^(If|Loop|Scan)$/, 'control'],
  [
    /^(Add|Sub|Mul|Div|Pow|Sqrt|Exp|Log|Neg|Abs|Max|Min|Mean|Sum|Where|Equal|Less|Greater|Not|And|Or|ReduceMean|ReduceSum|ReduceMax|ReduceMin)$/,
    'elementwise',
  ],
];

export function opCategory(opType: string): string {
  for (const [re, cat] of CATEGORIES) if (re.test(opType)) return cat;
  return 'other';
}
