#!/usr/bin/python3
"""
Models in ONNX Runtime's integer formats, from PyTorch 1.13 float exports of the float corpus
(scripts/corpus/torch_qdq.py): dynamically quantized by quantize_dynamic (int8 weights, the
DynamicQuantizeLinear → MatMulInteger or ConvInteger → Cast → Mul pattern), and statically
quantized by quantize_static in the QOperator format (QLinearConv, QLinearMatMul and the
com.microsoft QLinearAdd and QLinearMul), calibrated on seeded random inputs.

The output is committed (src/core/check/__fixtures__/ort-integer), because the machines that run
the tests have no onnxruntime Python package. To write it again, with onnxruntime (1.20 or newer)
importable and the float corpus generated (npm run gen:corpus):

    /usr/bin/python3 scripts/corpus/ort_integer.py .cache/corpus/torch src/core/check/__fixtures__/ort-integer

For each model, manifest.json counts its integer ops and lists, read from the graph here (not from
QuantLens), the MatMulIntegers and ConvIntegers that form the pattern later onnxruntime-qnn fuses
for the HTP (qnn_node_group/dq_matmul_integer_fusion.cc, dq_conv_integer_fusion.cc): A from a
DynamicQuantizeLinear with its zero point passed on, a constant int8 or uint8 weight ([K, N] for
MatMulInteger, rank 4 for ConvInteger, with auto_pad NOTSET), a single Cast to float, then a single
Mul whose other input is a Mul of the DynamicQuantizeLinear's scale and a constant float32 scale.
"""
import json
import logging
import os
import sys

import onnx

from onnx_graph import graph_index

FROM_CORPUS = ['float-rotary-decoder', 'float-encoder-opset17', 'float-convnext-block', 'float-segmentation-softmax']
# QOperator exports (quantize_static, uint8 activations and weights).
QOPERATOR = ['float-convnext-block']


def fused(model, op='MatMulInteger'):
    """The `op` (MatMulInteger or ConvInteger) nodes of the fusion's pattern (see the module comment)."""
    g = model.graph
    _, producer, consumers, const = graph_index(model)

    out = []
    for n in g.node:
        if n.op_type != op or len(n.input) < 3 or not n.input[2]:
            continue
        if op == 'ConvInteger' and any(a.name == 'auto_pad' and a.s not in (b'', b'NOTSET') for a in n.attribute):
            continue
        dql = producer.get(n.input[0])
        b = const(n.input[1])
        if dql is None or dql.op_type != 'DynamicQuantizeLinear' or n.input[2] != dql.output[2]:
            continue
        if b is None or b.ndim != (2 if op == 'MatMulInteger' else 4) or b.dtype.name not in ('int8', 'uint8'):
            continue
        cast = consumers.get(n.output[0], [])
        if len(cast) != 1 or cast[0].op_type != 'Cast' or onnx.helper.get_attribute_value(cast[0].attribute[0]) != 1:
            continue
        mul = consumers.get(cast[0].output[0], [])
        if len(mul) != 1 or mul[0].op_type != 'Mul':
            continue
        other = [i for i in mul[0].input if i != cast[0].output[0]]
        pm = producer.get(other[0]) if len(other) == 1 else None
        if pm is None or pm.op_type != 'Mul' or dql.output[1] not in pm.input:
            continue
        b_scale = const([i for i in pm.input if i != dql.output[1]][0])
        if b_scale is None or b_scale.dtype.name != 'float32':
            continue
        out.append(n.name)
    return out


def qoperator(src, dst):
    """quantize_static in the QOperator format, calibrated on 4 seeded random samples."""
    import numpy as np
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    model = onnx.load(src)
    inits = {i.name for i in model.graph.initializer}
    rng = np.random.default_rng(0)
    inputs = [i for i in model.graph.input if i.name not in inits]
    samples = [{i.name: rng.standard_normal([d.dim_value or 1 for d in i.type.tensor_type.shape.dim]).astype(np.float32)
                for i in inputs} for _ in range(4)]

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.it = iter(samples)

        def get_next(self):
            return next(self.it, None)

    quantize_static(src, dst, Reader(), quant_format=QuantFormat.QOperator, activation_type=QuantType.QUInt8,
                    weight_type=QuantType.QUInt8)


def integer_ops(model):
    """Counts of the integer-format ops, by op type (com.microsoft ones too)."""
    counts = {}
    for n in model.graph.node:
        if n.op_type in ('DynamicQuantizeLinear', 'MatMulInteger', 'ConvInteger') or n.op_type.startswith('QLinear'):
            counts[n.op_type] = counts.get(n.op_type, 0) + 1
    return counts


def main(corpus, out):
    import onnxruntime
    from onnxruntime.quantization import QuantType, quantize_dynamic

    logging.disable(logging.WARNING)
    os.makedirs(out, exist_ok=True)
    cases = []
    runs = [(name, 'dynamic-int8') for name in FROM_CORPUS] + [(name, 'qoperator-u8') for name in QOPERATOR]
    for name, kind in runs:
        file = f'{name}.{kind}.onnx'
        dst = os.path.join(out, file)
        src = os.path.join(corpus, f'{name}.onnx')
        if kind == 'dynamic-int8':
            quantize_dynamic(src, dst, weight_type=QuantType.QInt8)
        else:
            qoperator(src, dst)
        m = onnx.load(dst)
        counts = integer_ops(m)
        case = {'file': file, 'from': f'{name}.onnx', 'format': 'dynamic' if kind == 'dynamic-int8' else 'QOperator',
                'integerOps': counts}
        if kind == 'dynamic-int8':
            case['fused'] = {op: fused(m, op) for op in ('MatMulInteger', 'ConvInteger') if op in counts}
        cases.append(case)
        print(f'{file}: {counts}', flush=True)
    manifest = {'quantizer': 'onnxruntime.quantization quantize_dynamic (weight_type QInt8); quantize_static (QOperator, QUInt8)',
                'onnxruntime': onnxruntime.__version__, 'onnx': onnx.__version__, 'cases': cases}
    with open(os.path.join(out, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
