#!/usr/bin/python3
"""
Weight-only block-quantized models written by ONNX Runtime's MatMulNBitsQuantizer
(onnxruntime.quantization.matmul_nbits_quantizer, the default RTN algorithm, QOperator format):
every MatMul with a constant 2-D weight becomes a com.microsoft MatMulNBits, as Olive and the
GenAI model builder write LLMs for ONNX Runtime. The float models are PyTorch 1.13 exports of the
float corpus (scripts/corpus/torch_qdq.py).

The output is committed (src/core/check/__fixtures__/ort-matmul-nbits), because the machines that
run the tests have no onnxruntime Python package. To write it again, with onnxruntime (1.20 or
newer) importable and the float corpus generated (npm run gen:corpus):

    /usr/bin/python3 scripts/corpus/ort_matmul_nbits.py .cache/corpus/torch src/core/check/__fixtures__/ort-matmul-nbits

For each model, manifest.json lists its MatMulNBits nodes and, read from the graph here (not from
QuantLens), the ones ONNX Runtime's QNN EP leaves to the CPU on an HTP of V69 or newer in every
version (MatMulNBitsOpBuilder::IsOpSupported of onnxruntime-qnn PR #288 and later): bits other
than 2, 4 or 8; a block_size that is not a multiple of 16, 8 or 4 for them; K not a multiple of
block_size; an input A whose rank (in a run of the float model) is not 3; g_idx or bias given.
"""
import json
import logging
import os
import sys

import onnx

# (model, bits, block_size, symmetric): ONNX Runtime's own default is 4 bits in blocks of 128,
# asymmetric; LLM exports use 32 or 64 as often. The small models' K (16 to 64) makes blocks of
# 128 too long for some of them, as the builder says.
FROM_CORPUS = ['float-rotary-decoder', 'float-encoder-opset17', 'float-linear-kn', 'float-causal-attention']
CONFIGS = [(4, 32, False), (4, 32, True), (8, 32, False), (2, 16, False), (4, 128, False)]
# Swin's window attention reads its linear layers' inputs as 4-D tensors: once, at one setting.
EXTRA = [('float-swin-mini', 4, 16, False)]
BLOCK_MULTIPLE = {2: 16, 4: 8, 8: 4}


def quantize(src, dst, bits, block_size, symmetric):
    from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer

    q = MatMulNBitsQuantizer(onnx.load(src), bits=bits, block_size=block_size, is_symmetric=symmetric, accuracy_level=4)
    q.process()
    q.model.save_model_to_file(dst, False)


def runtime_ranks(src):
    """The rank of each MatMul's input A in the float model, from a run of it in onnxruntime (the
    exports declare no intermediate shapes, and onnx's shape inference does not get through all
    of them)."""
    import numpy as np
    import onnxruntime

    model = onnx.load(src)
    names = [n.input[0] for n in model.graph.node if n.op_type == 'MatMul']
    listed = {o.name for o in model.graph.output}
    model.graph.output.extend(onnx.ValueInfoProto(name=t) for t in dict.fromkeys(names) if t not in listed)
    session = onnxruntime.InferenceSession(model.SerializeToString())
    inits = {i.name for i in model.graph.initializer}
    feed = {}
    for i in model.graph.input:
        if i.name not in inits:
            shape = [d.dim_value if d.dim_value > 0 else 1 for d in i.type.tensor_type.shape.dim]
            feed[i.name] = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    return {t: np.asarray(v).ndim for t, v in zip(names, session.run(names, feed))}


def refused(model, ranks):
    """The MatMulNBits nodes the HTP builder refuses, each with why (see the module comment)."""
    g = model.graph
    nodes, out = [], {}
    for n in g.node:
        if n.op_type != 'MatMulNBits' or n.domain != 'com.microsoft':
            continue
        nodes.append(n.name)
        a = {x.name: onnx.helper.get_attribute_value(x) for x in n.attribute}
        bits, bs, k = a.get('bits', 4), a['block_size'], a['K']
        why = []
        if bits not in BLOCK_MULTIPLE:
            why.append('bits')
        elif bs % BLOCK_MULTIPLE[bits]:
            why.append('block_size')
        if k % bs:
            why.append('K')
        if ranks.get(n.input[0], 3) != 3:
            why.append('rank')
        if any(i for i in n.input[4:6]):
            why.append('g_idx/bias')
        if why:
            out[n.name] = why
    return nodes, out


def main(corpus, out):
    import onnxruntime

    logging.disable(logging.INFO)
    os.makedirs(out, exist_ok=True)
    runs = [(name, *c) for name in FROM_CORPUS for c in CONFIGS] + EXTRA
    cases = []
    for name, bits, bs, sym in runs:
        file = f'{name}.b{bits}-bs{bs}-{"sym" if sym else "asym"}.onnx'
        dst = os.path.join(out, file)
        quantize(os.path.join(corpus, f'{name}.onnx'), dst, bits, bs, sym)
        nodes, why = refused(onnx.load(dst), runtime_ranks(os.path.join(corpus, f'{name}.onnx')))
        cases.append({'file': file, 'from': f'{name}.onnx', 'bits': bits, 'blockSize': bs, 'symmetric': sym,
                      'matMulNBits': nodes, 'refusedOnHtp': why})
        print(f'{file}: {len(nodes)} MatMulNBits, {len(why)} refused', flush=True)
    from onnxruntime.capi import _pybind_state

    # A build whose packing kernels are stood in for says so (STAND_IN); the graph is the
    # quantizer's either way, and the checks read no weight values.
    kernels = getattr(_pybind_state, 'STAND_IN', 'onnxruntime C++ kernels (MlasQuantizeBlockwise)')
    manifest = {'quantizer': 'onnxruntime.quantization.matmul_nbits_quantizer MatMulNBitsQuantizer (RTN, QOperator, accuracy_level 4)',
                'onnxruntime': onnxruntime.__version__, 'onnx': onnx.__version__, 'packingKernels': kernels, 'cases': cases}
    with open(os.path.join(out, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
