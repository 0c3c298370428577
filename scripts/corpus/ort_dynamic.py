#!/usr/bin/python3
"""
Dynamically quantized models written by ONNX Runtime's quantize_dynamic (int8 weights, the
DynamicQuantizeLinear → MatMulInteger or ConvInteger → Cast → Mul pattern) from PyTorch 1.13 float
exports of the float corpus (scripts/corpus/torch_qdq.py).

The output is committed (src/core/check/__fixtures__/ort-dynamic), because the machines that run
the tests have no onnxruntime Python package. To write it again, with onnxruntime (1.20 or newer)
importable and the float corpus generated (npm run gen:corpus):

    /usr/bin/python3 scripts/corpus/ort_dynamic.py .cache/corpus/torch src/core/check/__fixtures__/ort-dynamic

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


def main(corpus, out):
    import onnxruntime
    from onnxruntime.quantization import QuantType, quantize_dynamic

    logging.disable(logging.WARNING)
    os.makedirs(out, exist_ok=True)
    cases = []
    for name in FROM_CORPUS:
        file = f'{name}.dynamic-int8.onnx'
        dst = os.path.join(out, file)
        quantize_dynamic(os.path.join(corpus, f'{name}.onnx'), dst, weight_type=QuantType.QInt8)
        m = onnx.load(dst)
        counts = {}
        for n in m.graph.node:
            if n.op_type in ('DynamicQuantizeLinear', 'MatMulInteger', 'ConvInteger'):
                counts[n.op_type] = counts.get(n.op_type, 0) + 1
        cases.append({'file': file, 'from': f'{name}.onnx', 'integerOps': counts,
                      'fused': {op: fused(m, op) for op in ('MatMulInteger', 'ConvInteger') if op in counts}})
        print(f'{file}: {counts}, in the fusion pattern: {[(k, len(v)) for k, v in cases[-1]["fused"].items()]}', flush=True)
    manifest = {'quantizer': 'onnxruntime.quantization quantize_dynamic (weight_type QInt8)', 'onnxruntime': onnxruntime.__version__,
                'onnx': onnx.__version__, 'cases': cases}
    with open(os.path.join(out, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
