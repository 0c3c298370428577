#!/usr/bin/python3
"""
Real-exporter QDQ corpus: PyTorch 1.13 (Debian python3-torch) models prepared with
torch.ao.quantization FX fake quantizers, calibrated, and exported by torch.onnx.export, which
writes every fake quantizer as QuantizeLinear -> DequantizeLinear (weights as float initializer
-> Q -> DQ, scales and zero points deduplicated behind Identity nodes).

Each case plants its violations through the quantization config or the architecture, so the
expected findings are known by construction; they are written to manifest.json beside the
models as (rule, node name) pairs, read from the exported graph. Usage:

    /usr/bin/python3 scripts/corpus/torch_qdq.py OUT_DIR
"""
import contextlib
import json
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper, version_converter
import torch
import torchvision
from torch.ao.quantization import QConfig, QConfigMapping, FakeQuantize, MovingAverageMinMaxObserver, MovingAveragePerChannelMinMaxObserver
from torch.ao.quantization.fake_quantize import default_fixed_qparams_range_0to1_fake_quant, default_fixed_qparams_range_neg1to1_fake_quant
from torch.ao.quantization.quantize_fx import prepare_qat_fx
from torch.fx.experimental.optimization import fuse as fold_batchnorm
from torchvision.models.swin_transformer import SwinTransformer
from torchvision.models.vision_transformer import VisionTransformer

GENERATOR_VERSION = 47

ACT = FakeQuantize.with_args(observer=MovingAverageMinMaxObserver, quant_min=0, quant_max=255, dtype=torch.quint8, qscheme=torch.per_tensor_affine)
# Signed 8-bit activations (schemes ending in _s8act): the export writes int8 zero points.
ACT_S8 = FakeQuantize.with_args(observer=MovingAverageMinMaxObserver, quant_min=-128, quant_max=127, dtype=torch.qint8, qscheme=torch.per_tensor_affine)


def weight_fq(scheme):
    scheme = scheme.removesuffix('_s8act')
    if scheme == 'per_channel_symmetric':
        return FakeQuantize.with_args(observer=MovingAveragePerChannelMinMaxObserver, quant_min=-128, quant_max=127, dtype=torch.qint8, qscheme=torch.per_channel_symmetric, ch_axis=0)
    if scheme == 'per_channel_affine':
        return FakeQuantize.with_args(observer=MovingAveragePerChannelMinMaxObserver, quant_min=-128, quant_max=127, dtype=torch.qint8, qscheme=torch.per_channel_affine, ch_axis=0)
    if scheme == 'per_tensor_affine_u8':
        # ONNX Runtime's default QNN QDQ config: uint8 asymmetric per-tensor weights.
        return FakeQuantize.with_args(observer=MovingAverageMinMaxObserver, quant_min=0, quant_max=255, dtype=torch.quint8, qscheme=torch.per_tensor_affine)
    raise ValueError(scheme)


def signed_backend_config():
    """PyTorch's native backend config with every pattern also taking int8 activations (with int8
    or uint8 weights): its own configs list uint8 activations only, and FX leaves a pattern whose
    dtypes it does not list unquantized."""
    from torch.ao.quantization.backend_config import get_native_backend_config, DTypeConfig
    bc = get_native_backend_config()
    for cfg in bc.configs.values():
        extra = []
        for d in cfg.dtype_configs:
            if d.input_dtype != torch.quint8:
                continue
            weights = [d.weight_dtype] if d.weight_dtype in (None, torch.float) else [torch.qint8, torch.quint8]
            for w in weights:
                extra.append(DTypeConfig(input_dtype=torch.qint8, output_dtype=torch.qint8 if d.output_dtype == torch.quint8 else d.output_dtype,
                                         weight_dtype=w, bias_dtype=d.bias_dtype, is_dynamic=d.is_dynamic))
        for d in extra:
            cfg.add_dtype_config(d)
    return bc


def qconfig_mapping(scheme):
    w = weight_fq(scheme)
    act = ACT_S8 if scheme.endswith('_s8act') else ACT
    qm = QConfigMapping().set_global(QConfig(activation=act, weight=w))
    for t in [torch.nn.Sigmoid, torch.sigmoid, 'sigmoid', torch.nn.Hardsigmoid, torch.nn.functional.hardsigmoid, 'hardsigmoid', 'hardsigmoid_']:
        qm.set_object_type(t, QConfig(activation=default_fixed_qparams_range_0to1_fake_quant, weight=w))
    for t in [torch.nn.Tanh, torch.tanh, 'tanh']:
        qm.set_object_type(t, QConfig(activation=default_fixed_qparams_range_neg1to1_fake_quant, weight=w))
    return qm


def export(model, example, path, scheme, opset=13, calib=4, float_modules=()):
    """`float_modules`: submodules given no qconfig, left float between quantized neighbours."""
    torch.manual_seed(0)
    # BatchNorm folds into Conv first (eval-mode fusion); QAT preparation then puts a weight fake
    # quantizer in the forward pass, so the export writes weight -> Q -> DQ as a real QAT export does.
    fused = fold_batchnorm(model.eval())
    backend = {'backend_config': signed_backend_config()} if scheme.endswith('_s8act') else {}
    mapping = qconfig_mapping(scheme)
    for name in float_modules:
        mapping.set_module_name(name, None)
    prepared = prepare_qat_fx(fused.train(), mapping, example_inputs=example, **backend)
    with torch.no_grad():
        for _ in range(calib):
            prepared(*[torch.randn_like(x) for x in example])
    prepared.apply(torch.ao.quantization.disable_observer)
    prepared.eval()
    torch.onnx.export(prepared, example, path, opset_version=opset, input_names=[f'in{i}' for i in range(len(example))], output_names=['out'])
    return onnx.load(path)


def names(model, *ops):
    return [n.name for n in model.graph.node if n.op_type in ops]


def has_weight(model, name):
    """Whether node `name`'s input 1 is a weight: a DequantizeLinear of a QuantizeLinear of an
    initializer, possibly through a Transpose (nn.Linear on a 3-D input exports MatMul(x, W^T))."""
    g = model.graph
    producer = {o: n for n in g.node for o in n.output}
    inits = {i.name for i in g.initializer}
    node = next(n for n in g.node if n.name == name)
    t = node.input[1]
    for _ in range(4):
        p = producer.get(t)
        if p is None:
            return t in inits
        if p.op_type not in ('DequantizeLinear', 'QuantizeLinear', 'Transpose', 'Identity'):
            return False
        t = p.input[0]
    return False


def rank6_window_ops(model):
    """The rank-6 Transposes (perm of length 6) with the Reshape before and after each: Swin's
    window partition and its reverse, x.view(b, h/w, w, w/w, w, c).permute(0, 1, 3, 2, 4, 5)."""
    g = model.graph
    producer = {o: n for n in g.node for o in n.output}
    out = []
    for n in g.node:
        perm = [list(a.ints) for a in n.attribute if a.name == 'perm']
        if n.op_type != 'Transpose' or not perm or len(perm[0]) != 6:
            continue
        out += [producer[n.input[0]].name, n.name]
        out += [k.name for k in g.node if k.op_type == 'Reshape' and k.input[0] == n.output[0]]
    return out


def rank6_view_ops(model):
    """Each Reshape to a constant rank-6 shape, the node that reads it and the Reshape after that:
    RAFT's correlation volume, corr.view(b, h, w, 1, h, w) / sqrt(c), then flattened again."""
    g = model.graph
    consts = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    consts.update({n.output[0]: numpy_helper.to_array(n.attribute[0].t) for n in g.node if n.op_type == 'Constant'})
    readers = lambda t: [k for k in g.node if t in k.input]
    out = []
    for n in g.node:
        if n.op_type != 'Reshape' or consts.get(n.input[1]) is None or consts[n.input[1]].size != 6:
            continue
        for r in readers(n.output[0]):
            out += [n.name, r.name] + [k.name for k in readers(r.output[0]) if k.op_type == 'Reshape']
    return out


def first_stage_window_ops(model):
    """The rank-6 window ops of the two-stage Swin's first stage: 2 blocks, each a window partition
    and its reverse (3 nodes each), in the order PyTorch traces them, before the second stage's."""
    ops = rank6_window_ops(model)
    assert len(ops) == 24, len(ops)
    return ops[:12]


def requantized(model, *ops):
    """Nodes of the given types read through a DQ and written through a Q of another scale or zero
    point: the exporter gave the output an observer of its own where the HTP shares the input's."""
    g = model.graph
    producer = {o: n for n in g.node for o in n.output}
    consts = {t.name: numpy_helper.to_array(t) for t in g.initializer}

    def value(name):
        if name in consts:
            return consts[name]
        n = producer.get(name)
        if n is not None and n.op_type == 'Constant':
            return numpy_helper.to_array(n.attribute[0].t)
        if n is not None and n.op_type == 'Identity':
            return value(n.input[0])
        return None

    out = []
    for n in g.node:
        if n.op_type not in ops:
            continue
        dq = producer.get(n.input[0])
        qs = [k for k in g.node if k.op_type == 'QuantizeLinear' and k.input[0] == n.output[0]]
        if dq is None or dq.op_type != 'DequantizeLinear' or len(qs) != 1:
            continue
        a = [value(i) for i in dq.input[1:3]]
        b = [value(i) for i in qs[0].input[1:3]]
        if any(v is None for v in a + b):
            continue
        if not (np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])):
            out.append(n.name)
    return out


class LmHead(torch.nn.Module):
    """A language model's output projection over a 65,536-token vocabulary: one nn.Linear whose
    per-channel weight scale is 256 KiB, in a 33 MB file."""

    def __init__(self):
        super().__init__()
        self.proj = torch.nn.Linear(128, 65536)

    def forward(self, x):
        return self.proj(x)


class SignedCnn(torch.nn.Module):
    """Conv, ReLU and a residual Add, then nn.Linear without a bias on the 4-D result (MatMul), and
    nn.Linear on a second, 2-D input (Gemm): the ops whose ONNX Runtime node units compare the
    activation and weight types. No flatten or reshape: FX observes those on their own."""

    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.conv2 = torch.nn.Conv2d(8, 8, 3, padding=1)
        self.tokens = torch.nn.Linear(16, 12, bias=False)
        self.head = torch.nn.Linear(16, 10)

    def forward(self, x, v):
        h = torch.relu(self.conv1(x))
        h = torch.relu(self.conv2(h) + h)
        return self.tokens(h), self.head(v)


class Mlp3d(torch.nn.Module):
    """nn.Linear on a 3-D input: torch exports MatMul(x, Transpose(DQ(Q(W)))) + Add."""

    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(32, 64)
        self.act = torch.nn.ReLU()
        self.fc2 = torch.nn.Linear(64, 16)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class NormOverTwoAxes(torch.nn.Module):
    """LayerNorm over the last two dims: opset 17 LayerNormalization with axis -2."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv1d(8, 8, 3, padding=1)
        self.norm = torch.nn.LayerNorm([8, 16])

    def forward(self, x):
        return self.norm(self.conv(x))


class MaxPool3d(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv3d(4, 8, 3, padding=1)
        self.pool = torch.nn.MaxPool3d(2)

    def forward(self, x):
        return self.pool(torch.relu(self.conv(x)))


class InverseTrig(torch.nn.Module):
    """acos between convolutions: ONNX Acos, which FX leaves float and QNN has no op for
    (PyTorch 1.13 exports none of the hyperbolic functions)."""

    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.conv2 = torch.nn.Conv2d(8, 4, 1)

    def forward(self, x):
        h = torch.tanh(self.conv1(x))
        return self.conv2(torch.acos(h) + h)


class ReflectPad3d(torch.nn.Module):
    """nn.ReflectionPad3d between Conv3d layers: ONNX Pad in reflect mode on a rank-5 tensor."""

    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv3d(4, 4, 1)
        self.pad = torch.nn.ReflectionPad3d(1)
        self.conv2 = torch.nn.Conv3d(4, 4, 3)

    def forward(self, x):
        return self.conv2(self.pad(torch.relu(self.conv1(x))))


class ArgMax5d(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv3d(4, 4, 1)

    def forward(self, x):
        return torch.argmax(self.conv(x), dim=1)


class EncoderBlock(torch.nn.Module):
    """A pre-norm transformer encoder block written out (nn.TransformerEncoderLayer is not FX-traceable in 1.13)."""

    def __init__(self, d=32, heads=4, t=8):
        super().__init__()
        self.heads, self.d, self.t = heads, d, t
        self.ln1 = torch.nn.LayerNorm(d)
        self.q = torch.nn.Linear(d, d)
        self.k = torch.nn.Linear(d, d)
        self.v = torch.nn.Linear(d, d)
        self.proj = torch.nn.Linear(d, d)
        self.ln2 = torch.nn.LayerNorm(d)
        self.fc1 = torch.nn.Linear(d, 2 * d)
        self.gelu = torch.nn.GELU()
        self.fc2 = torch.nn.Linear(2 * d, d)

    def forward(self, x):
        b, t, d = 1, self.t, self.d
        h = self.ln1(x)
        q, k, v = self.q(h), self.k(h), self.v(h)
        q = q.reshape(b, t, self.heads, d // self.heads).transpose(1, 2)
        k = k.reshape(b, t, self.heads, d // self.heads).transpose(1, 2)
        v = v.reshape(b, t, self.heads, d // self.heads).transpose(1, 2)
        att = torch.softmax(torch.matmul(q, k.transpose(-2, -1)) * (1.0 / (d // self.heads) ** 0.5), dim=-1)
        y = torch.matmul(att, v).transpose(1, 2).reshape(b, t, d)
        x = x + self.proj(y)
        return x + self.fc2(self.gelu(self.fc1(self.ln2(x))))


class ScaledAddmm(torch.nn.Module):
    """torch.addmm with alpha and beta (Gemm attributes other than 1): a scaled residual branch
    whose weight a second, differently scaled branch reads too (a tied weight), an output layer
    with alpha alone, and a scaled product with a matrix computed from the input (a Gram matrix,
    so its B is no constant)."""

    def __init__(self, k=64, n=32, m=16):
        super().__init__()
        self.w1 = torch.nn.Parameter(torch.randn(k, n) / k ** 0.5)
        self.b1 = torch.nn.Parameter(0.1 * torch.randn(n))
        self.b1t = torch.nn.Parameter(0.1 * torch.randn(n))
        self.w2 = torch.nn.Parameter(torch.randn(n, m) / n ** 0.5)
        self.b2 = torch.nn.Parameter(0.1 * torch.randn(m))
        self.b3 = torch.nn.Parameter(0.1 * torch.randn(m))

    def forward(self, x):
        h = torch.relu(torch.addmm(self.b1, x, self.w1, beta=0.5, alpha=2.0))
        tied = torch.addmm(self.b1t, x, self.w1, alpha=0.5)
        y = torch.addmm(self.b2, h + tied, self.w2, alpha=0.25)
        return torch.addmm(self.b3, y, y.t() @ y, alpha=1.0 / 16)


class NearestUpsampling(torch.nn.Module):
    """Nearest upsampling (F.interpolate mode='nearest') of a 1-D signal and of a volume, between
    convolutions: Resize at rank 3 and rank 5, which the HTP runs as QNN's Resize op (rank 4 is
    ResizeNearestNeighbor). PyTorch writes asymmetric coordinates and floor rounding, which that op
    takes; round_prefer_floor, ONNX's default, it does not."""

    def __init__(self):
        super().__init__()
        self.a = torch.nn.Conv1d(4, 8, 3, padding=1)
        self.b = torch.nn.Conv1d(8, 4, 3, padding=1)
        self.c = torch.nn.Conv3d(4, 8, 3, padding=1)
        self.d = torch.nn.Conv3d(8, 4, 3, padding=1)

    def forward(self, x, v):
        x = self.b(torch.nn.functional.interpolate(torch.relu(self.a(x)), scale_factor=2, mode='nearest'))
        v = self.d(torch.nn.functional.interpolate(torch.relu(self.c(v)), scale_factor=2, mode='nearest'))
        return x.mean() + v.mean()


class LinearKN(torch.nn.Module):
    """Linear layers whose weights are stored [in, out], as code that calls torch.addmm and
    torch.matmul on its own parameters writes them: Gemm without transB, and a MatMul."""

    def __init__(self, k=64, n=48, m=16):
        super().__init__()
        self.w1 = torch.nn.Parameter(torch.randn(k, n) / k ** 0.5)
        self.b1 = torch.nn.Parameter(0.1 * torch.randn(n))
        self.w2 = torch.nn.Parameter(torch.randn(n, m) / n ** 0.5)

    def forward(self, x):
        y = torch.relu(torch.addmm(self.b1, x, self.w1))
        return torch.matmul(y.unsqueeze(0), self.w2)


class EinsumWindowAttention(torch.nn.Module):
    """Window attention written with einsum, as torchvision's MaxViT writes its relative attention
    (RelativePositionalMultiHeadAttention): scores "bghid,bghjd->bghij" and the weighted sum
    "bghij,bghjd->bghid" over rank-5 tensors (batch, window, head, position, channel)."""

    def __init__(self, d=32, heads=4):
        super().__init__()
        self.heads, self.d = heads, d
        self.qkv = torch.nn.Linear(d, 3 * d)
        self.out = torch.nn.Linear(d, d)

    def forward(self, x):
        b, g, p, d = x.shape
        h = self.heads
        q, k, v = (t.reshape(b, g, p, h, d // h).permute(0, 1, 3, 2, 4) for t in self.qkv(x).chunk(3, dim=-1))
        att = torch.softmax(torch.einsum('bghid,bghjd->bghij', q, k) * (d // h) ** -0.5, dim=-1)
        y = torch.einsum('bghij,bghjd->bghid', att, v)
        return x + self.out(y.permute(0, 1, 3, 2, 4).reshape(b, g, p, d))


class OutlierHead(torch.nn.Module):
    """A classifier head as torchvision's ConvNeXt ends (LayerNorm, then Linear), its weights drawn
    as ConvNeXt draws them (torch.nn.init.trunc_normal_, std 0.02, bounds -2 and 2), one of them at
    the bound: trunc_normal_ maps a uniform draw of exactly -1 to -inf and clamps it to -2, which
    torchvision's ConvNeXt-Tiny shows in two of its linear weights. Per tensor, that one value sets
    the scale of all the others."""

    def __init__(self, d=256, classes=64):
        super().__init__()
        self.norm = torch.nn.LayerNorm(d)
        self.fc = torch.nn.Linear(d, classes)
        torch.nn.init.trunc_normal_(self.fc.weight, std=0.02)
        torch.nn.init.zeros_(self.fc.bias)
        with torch.no_grad():
            self.fc.weight[3, 17] = -2.0

    def forward(self, x):
        return self.fc(self.norm(x))


class RoiBoxHead(torch.nn.Module):
    """The box branch of torchvision's two-stage detectors (Faster R-CNN): MultiScaleRoIAlign over two
    feature levels, each box sent to a level by its size (LevelMapper: Sqrt, Log, Floor, Clip, then
    NonZero per level), the levels' RoiAlign results put back in box order by ScatterElements onto
    a ConstantOfShape of zeros, then TwoMLPHead and a classifier. The boxes are made from the second
    input so that any values give valid ones, small and large enough to fill both levels.
    torchvision 0.14 registers roi_align's ONNX form at opset 11, as detection models are exported:
    RoiAlign without coordinate_transformation_mode (which came at opset 16)."""

    def __init__(self):
        super().__init__()
        from torchvision.models.detection.faster_rcnn import TwoMLPHead
        self.c1 = torch.nn.Conv2d(3, 16, 3, stride=4, padding=1)
        self.c2 = torch.nn.Conv2d(16, 16, 3, stride=2, padding=1)
        self.pool = torchvision.ops.MultiScaleRoIAlign(['0', '1'], 7, 2)
        self.head = TwoMLPHead(16 * 7 * 7, 64)
        self.cls = torch.nn.Linear(64, 5)

    def forward(self, x, b):
        from collections import OrderedDict
        f0 = torch.relu(self.c1(x))
        f1 = torch.relu(self.c2(f0))
        xy = b[:, :2].abs() * 48
        boxes = torch.cat([xy, xy + b[:, 2:].abs() * 200 + 1], 1)
        r = self.pool(OrderedDict([('0', f0), ('1', f1)]), [boxes], [(64, 64)])
        return self.cls(self.head(r))


def tiny_keypoint_rcnn():
    """torchvision's Keypoint R-CNN whole (RPN, box and keypoint branches, postprocessing with If
    and a Loop), on a one-Conv backbone with small heads so that the export stays small. Exported
    at opset 11, as torchvision's detection models are."""
    from torchvision.models.detection import KeypointRCNN
    from torchvision.models.detection.rpn import AnchorGenerator
    from torchvision.models.detection.faster_rcnn import TwoMLPHead, FastRCNNPredictor
    from torchvision.models.detection.keypoint_rcnn import KeypointRCNNHeads, KeypointRCNNPredictor

    class Backbone(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(3, 8, 3, stride=4, padding=1)
            self.out_channels = 8

        def forward(self, x):
            return torch.relu(self.conv(x))

    return KeypointRCNN(
        Backbone(), num_classes=None, min_size=64, max_size=64,
        rpn_anchor_generator=AnchorGenerator(sizes=((16,),), aspect_ratios=((1.0,),)),
        box_roi_pool=torchvision.ops.MultiScaleRoIAlign(['0'], 7, 2),
        box_head=TwoMLPHead(8 * 49, 32), box_predictor=FastRCNNPredictor(32, 2),
        keypoint_roi_pool=torchvision.ops.MultiScaleRoIAlign(['0'], 14, 2),
        keypoint_head=KeypointRCNNHeads(8, (16,)), keypoint_predictor=KeypointRCNNPredictor(16, 3),
        rpn_pre_nms_top_n_test=50, rpn_post_nms_top_n_test=20, box_detections_per_img=10)


def tiny_retinanet():
    """torchvision's RetinaNet whole (classification and box heads, per-level TopK, box decoding,
    batched NonMaxSuppression, the final TopK), on a two-level, two-Conv backbone with 8-channel heads so that
    the export stays small. The score threshold is lowered below the head's prior (0.01), so that
    random images keep candidates. Exported at opset 11, as torchvision's detection models are."""
    from torchvision.models.detection import RetinaNet
    from torchvision.models.detection.anchor_utils import AnchorGenerator
    from collections import OrderedDict
    from torchvision.models.detection.retinanet import RetinaNetHead

    class Backbone(torch.nn.Module):
        """Two feature levels (strides 4 and 8), as a feature pyramid gives the heads."""

        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(3, 8, 3, stride=4, padding=1)
            self.down = torch.nn.Conv2d(8, 8, 3, stride=2, padding=1)
            self.out_channels = 8

        def forward(self, x):
            a = torch.relu(self.conv(x))
            return OrderedDict([('0', a), ('1', torch.relu(self.down(a)))])

    return RetinaNet(Backbone(), num_classes=3, min_size=64, max_size=64,
                     anchor_generator=AnchorGenerator(sizes=((16,), (32,)), aspect_ratios=((1.0,), (1.0,))),
                     head=RetinaNetHead(8, 1, 3), score_thresh=0.001, detections_per_img=10, topk_candidates=20)


def names_anywhere(graph, *ops):
    """Names of the nodes of these ops in a graph and in its sub-graphs."""
    out = []
    for n in graph.node:
        if n.op_type in ops:
            out.append(n.name)
        for a in n.attribute:
            if a.type == onnx.AttributeProto.GRAPH:
                out += names_anywhere(a.g, *ops)
    return out


class ScoreFilter(torch.nn.Module):
    """A detector's last step: scores from a linear layer and a sigmoid, and only those above 0.5
    kept (boolean indexing: Greater, NonZero, GatherND). How many it keeps follows from the
    values, so quantization can change the output's size."""

    def __init__(self):
        super().__init__()
        self.score = torch.nn.Linear(16, 1)

    def forward(self, x):
        s = torch.sigmoid(self.score(x)).squeeze(1)
        return s[s > 0.5]


@contextlib.contextmanager
def seeded(seed):
    """Torch's random state at `seed` inside the block, and as it was before it after: a model's
    weights follow its own seed, not the models generated before it."""
    rng = torch.get_rng_state()
    torch.manual_seed(seed)
    try:
        yield
    finally:
        torch.set_rng_state(rng)


class RaftUpdates(torch.nn.Module):
    """RAFT's last flow estimate after two refinement updates (torchvision's RAFT returns every one)."""

    def __init__(self, raft):
        super().__init__()
        self.raft = raft

    def forward(self, image1, image2):
        return self.raft(image1, image2, num_flow_updates=2)[-1]


class UpsampleDecoder(torch.nn.Module):
    """A small segmentation decoder as PyTorch exports it at opset 9: nn.Upsample becomes ONNX's
    Upsample, whose scales are a float Constant input ([1, 1, 2, 2]), nearest and bilinear."""

    def __init__(self):
        super().__init__()
        self.stem = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.BatchNorm2d(8), torch.nn.ReLU())
        self.up1 = torch.nn.Upsample(scale_factor=2, mode='nearest')
        self.mid = torch.nn.Conv2d(8, 8, 3, padding=1)
        self.up2 = torch.nn.Upsample(scale_factor=2, mode='bilinear')
        self.head = torch.nn.Conv2d(8, 2, 1)

    def forward(self, x):
        return self.head(self.up2(torch.relu(self.mid(self.up1(self.stem(x))))))


class PoolUpsampleNet(torch.nn.Module):
    """A small U-Net as PyTorch exports it at opset 9: max pools down, nn.Upsample (ONNX's Upsample,
    scales a float Constant input) back up, nearest then bilinear, with a skip concatenation."""

    def __init__(self):
        super().__init__()
        self.stem = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.ReLU())
        self.down = torch.nn.Sequential(torch.nn.MaxPool2d(2), torch.nn.Conv2d(8, 8, 3, padding=1), torch.nn.ReLU())
        self.up1 = torch.nn.Upsample(scale_factor=2, mode='nearest')
        self.fuse = torch.nn.Conv2d(16, 8, 3, padding=1)
        self.pool = torch.nn.MaxPool2d(2)
        self.up2 = torch.nn.Upsample(scale_factor=2, mode='bilinear')
        self.head = torch.nn.Conv2d(8, 2, 1)

    def forward(self, x):
        s = self.stem(x)
        y = self.fuse(torch.cat([self.up1(self.down(s)), s], 1))
        return self.head(self.up2(self.pool(torch.relu(y))))


class RecurrentTagger(torch.nn.Module):
    """A sequence tagger: an LSTM (Y, Y_h and Y_c all written), a GRU on its output, a linear head."""

    def __init__(self):
        super().__init__()
        self.lstm = torch.nn.LSTM(16, 32, batch_first=True)
        self.gru = torch.nn.GRU(32, 16, batch_first=True)
        self.head = torch.nn.Linear(16, 4)

    def forward(self, x):
        y, _ = self.lstm(x)
        z, _ = self.gru(y)
        return self.head(z)


class RotaryDecoderBlock(torch.nn.Module):
    """A LLaMA-style decoder block written out: RMSNorm, rotary position embedding (rotate_half:
    Slice, Neg, Concat), causal attention with an additive mask, and a SiLU-gated MLP."""

    def __init__(self, d=32, heads=4, t=8):
        super().__init__()
        self.heads, self.d, self.t = heads, d, t
        self.norm1 = torch.nn.Parameter(torch.ones(d) + 0.1 * torch.randn(d))
        self.norm2 = torch.nn.Parameter(torch.ones(d) + 0.1 * torch.randn(d))
        self.q = torch.nn.Linear(d, d, bias=False)
        self.k = torch.nn.Linear(d, d, bias=False)
        self.v = torch.nn.Linear(d, d, bias=False)
        self.o = torch.nn.Linear(d, d, bias=False)
        self.gate = torch.nn.Linear(d, 2 * d, bias=False)
        self.up = torch.nn.Linear(d, 2 * d, bias=False)
        self.down = torch.nn.Linear(2 * d, d, bias=False)
        hd = d // heads
        inv = 1.0 / (10000 ** (torch.arange(0, hd, 2).float() / hd))
        ang = torch.outer(torch.arange(t).float(), inv)
        ang = torch.cat([ang, ang], dim=-1)
        self.register_buffer('cos', ang.cos())
        self.register_buffer('sin', ang.sin())
        # A finite mask value, as exports for the HTP write it (a -1e4 or dtype-min mask spans the
        # Add's whole 16-bit range and bounds the SQNR at 40 dB whatever the weights).
        self.register_buffer('mask', torch.triu(torch.full((t, t), -100.0), 1))

    @staticmethod
    def rms(x, w):
        return x / torch.sqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * w

    @staticmethod
    def rotate_half(x):
        half = x.shape[-1] // 2
        return torch.cat([-x[..., half:], x[..., :half]], dim=-1)

    def forward(self, x):
        return self.block(x, self.cos, self.sin, self.mask)

    def block(self, x, cos, sin, mask):
        b, t, d, h = 1, self.t, self.d, self.heads
        y = self.rms(x, self.norm1)
        q = self.q(y).reshape(b, t, h, d // h).transpose(1, 2)
        k = self.k(y).reshape(b, t, h, d // h).transpose(1, 2)
        v = self.v(y).reshape(b, t, h, d // h).transpose(1, 2)
        q = q * cos + self.rotate_half(q) * sin
        k = k * cos + self.rotate_half(k) * sin
        att = torch.softmax(torch.matmul(q, k.transpose(-2, -1)) / (d // h) ** 0.5 + mask, dim=-1)
        x = x + self.o(torch.matmul(att, v).transpose(1, 2).reshape(b, t, d))
        y = self.rms(x, self.norm2)
        return x + self.down(torch.nn.functional.silu(self.gate(y)) * self.up(y))


class StackedDecoder(torch.nn.Module):
    """Eight of those blocks reading the rotary tables and the causal mask as graph inputs, as
    LLM exports take them: each is one tensor that every layer reads (a broadcast source)."""

    def __init__(self, layers=8):
        super().__init__()
        self.layers = torch.nn.ModuleList([RotaryDecoderBlock() for _ in range(layers)])

    def forward(self, x, cos, sin, mask):
        for layer in self.layers:
            x = layer.block(x, cos, sin, mask)
        return x


class TinyCnn(torch.nn.Module):
    """Conv+ReLU, depthwise conv, Hardswish, squeeze-excite style Sigmoid gate, residual add, Linear head."""

    def __init__(self):
        super().__init__()
        self.stem = torch.nn.Conv2d(3, 16, 3, stride=2, padding=1)
        self.dw = torch.nn.Conv2d(16, 16, 3, padding=1, groups=16)
        self.pw = torch.nn.Conv2d(16, 16, 1)
        self.act = torch.nn.Hardswish()
        self.gate = torch.nn.Sigmoid()
        self.pool = torch.nn.AdaptiveAvgPool2d(1)
        self.fc = torch.nn.Linear(16, 10)

    def forward(self, x):
        x = torch.relu(self.stem(x))
        y = self.act(self.pw(self.dw(x)))
        y = y * self.gate(self.pool(y))
        x = x + y
        return self.fc(torch.flatten(self.pool(x), 1))


class ConvNextMini(torch.nn.Module):
    """A stem, torchvision's LayerNorm2d (permute, layer_norm, permute) and one CNBlock (depthwise
    conv, permute, LayerNorm, Linear, GELU, Linear, layer scale, permute, residual)."""

    def __init__(self):
        super().__init__()
        from torchvision.models.convnext import CNBlock, LayerNorm2d
        self.stem = torch.nn.Conv2d(3, 16, 4, stride=4)
        self.norm = LayerNorm2d(16)
        self.block = CNBlock(16, layer_scale=1e-6, stochastic_depth_prob=0.0)
        self.head = torch.nn.Conv2d(16, 8, 1)

    def forward(self, x):
        return self.head(self.block(self.norm(self.stem(x))))


class LoopRefine(torch.nn.Module):
    """A refinement loop whose trip count is an input: TorchScript exports it as an ONNX Loop."""
    def __init__(self):
        super().__init__()
        self.stem = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.step = torch.nn.Conv2d(8, 8, 3, padding=1)
        self.head = torch.nn.Conv2d(8, 4, 1)

    def forward(self, x, steps: torch.Tensor):
        h = torch.relu(self.stem(x))
        for _ in range(int(steps)):
            h = h + torch.tanh(self.step(h))
        return self.head(h)


class NhwcNet(torch.nn.Module):
    """Takes NHWC images, as models converted from TensorFlow do, and works in NCHW inside."""
    def __init__(self):
        super().__init__()
        self.body = torch.nn.Sequential(
            torch.nn.Conv2d(3, 16, 3, stride=2, padding=1), torch.nn.BatchNorm2d(16), torch.nn.ReLU(),
            torch.nn.Conv2d(16, 16, 3, padding=1, groups=16), torch.nn.BatchNorm2d(16), torch.nn.ReLU(),
            torch.nn.Conv2d(16, 8, 1))

    def forward(self, x):
        return self.body(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)


class GroupedUpsampler(torch.nn.Module):
    """A segmentation-style upsampler: a grouped ConvTranspose2d (weight [C_in, C_out/groups, k, k]),
    a BatchNorm after a ReLU (not foldable into a Conv, so it stays a BatchNormalization) and a
    depthwise Conv."""
    def __init__(self):
        super().__init__()
        self.stem = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.up = torch.nn.ConvTranspose2d(8, 8, 2, stride=2, groups=2)
        self.norm = torch.nn.BatchNorm2d(8)
        self.dw = torch.nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.head = torch.nn.Conv2d(8, 2, 1)

    def forward(self, x):
        x = torch.relu(self.stem(x))
        x = self.norm(torch.relu(self.up(x)))
        return self.head(torch.relu(self.dw(x)))


class SegmentationHead(torch.nn.Module):
    """A per-pixel classifier: bilinear upsampling, then a Softmax over two classes."""
    def __init__(self):
        super().__init__()
        self.body = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.classes = torch.nn.Conv2d(8, 2, 1)

    def forward(self, x):
        x = torch.nn.functional.interpolate(torch.relu(self.body(x)), scale_factor=2, mode='bilinear', align_corners=False)
        return torch.softmax(self.classes(x), dim=1)


class MaskedParts(torch.nn.Module):
    """Boolean-mask indexing (NonZero, Transpose, GatherND in ONNX): tensors whose length follows the values."""
    def forward(self, x):
        return torch.cat([x[x > 0] * 2.0, x[x <= 0] * 3.0]) + 1.0


class SlotWriter(torch.nn.Module):
    """Features written into slots of a zero buffer (`out[idx] = y`: ScatterND onto a constant of zeros), as a
    KV cache or a scatter-pool is filled."""
    def __init__(self):
        super().__init__()
        self.proj = torch.nn.Linear(16, 16)

    def forward(self, x):
        out = torch.zeros(12, 16)
        out[torch.tensor([0, 2, 4, 6, 8, 10, 1, 3])] = self.proj(x)
        return out


class BandGate(torch.nn.Module):
    """Keeps the features outside a band and damps the rest: two comparisons joined by Or, and a Where that
    picks between float tensors (its output is float, its condition boolean)."""
    def __init__(self):
        super().__init__()
        self.proj = torch.nn.Linear(16, 16)
        self.out = torch.nn.Linear(16, 8)

    def forward(self, x):
        y = self.proj(x)
        keep = (y > 0.5) | (y < -0.5)
        return self.out(torch.where(keep, y, 0.1 * y))


class CausalAttention(torch.nn.Module):
    """One attention head with a causal mask filled in as -inf (masked_fill: a Where between the mask, -inf and the
    scores), as PyTorch code masks before a Softmax."""
    def __init__(self, d=16, t=8):
        super().__init__()
        self.q = torch.nn.Linear(d, d)
        self.k = torch.nn.Linear(d, d)
        self.v = torch.nn.Linear(d, d)
        self.register_buffer('mask', torch.triu(torch.ones(t, t, dtype=torch.bool), 1))

    def forward(self, x):
        scores = (self.q(x) @ self.k(x).transpose(-1, -2)).masked_fill(self.mask, float('-inf'))
        return torch.softmax(scores, -1) @ self.v(x)


class FloatLayers(torch.nn.Module):
    """Quantized layers around ones the export leaves float (`float_modules` conv2, up, fc and proj):
    conv2 reads conv1's DequantizeLinear and feeds the add's QuantizeLinear; fc reads a Flatten;
    proj, a Linear on 3-D tokens, exports as MatMul and Add."""
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.conv2 = torch.nn.Conv2d(8, 8, 3, padding=1)
        self.up = torch.nn.ConvTranspose2d(8, 4, 2, stride=2)
        self.upq = torch.nn.ConvTranspose2d(8, 4, 2, stride=2)
        self.fc = torch.nn.Linear(4 * 16 * 16, 16)
        self.fc2 = torch.nn.Linear(16, 10)
        self.proj = torch.nn.Linear(4, 8)
        self.projq = torch.nn.Linear(4, 8)

    def forward(self, x):
        x1 = self.conv1(x)
        x = x1 + self.conv2(x1)
        u = self.up(x) + self.upq(x)
        # Linear layers on tokens [1, 256, 4]: MatMul and Add; proj is left float.
        tokens = u.flatten(2).transpose(1, 2)
        return self.fc2(self.fc(u.flatten(1))), self.proj(tokens) + self.projq(tokens)


class GroupNormBlock(torch.nn.Module):
    """Conv, GroupNorm (4 groups), Conv. At opset 13 PyTorch exports the GroupNorm as Reshape ->
    InstanceNormalization -> Reshape -> Mul -> Add, the second Reshape's shape read from the input by
    a Shape: that Shape and the first Reshape read one DequantizeLinear."""
    def __init__(self):
        super().__init__()
        self.c1 = torch.nn.Conv2d(3, 16, 3, padding=1)
        self.gn = torch.nn.GroupNorm(4, 16)
        self.c2 = torch.nn.Conv2d(16, 16, 3, padding=1)

    def forward(self, x):
        return self.c2(self.gn(self.c1(x)))


class PReluBlock(torch.nn.Module):
    """Conv, PReLU (one slope per channel), Conv: FX quantizes the PReLU's input and output, and
    the export writes its slope as a float initializer."""
    def __init__(self):
        super().__init__()
        self.c1 = torch.nn.Conv2d(3, 16, 3, padding=1)
        self.act = torch.nn.PReLU(16)
        self.c2 = torch.nn.Conv2d(16, 16, 3, padding=1)

    def forward(self, x):
        return self.c2(self.act(self.c1(x)))


def traceable_shufflenet_v2():
    """torchvision's ShuffleNetV2 x0.5 (its stage repeats and widths) with blocks FX can trace:
    torchvision's block unpacks x.chunk(2) and its channel_shuffle unpacks x.size(). The same ops
    come out (a rank-5 Reshape, Transpose and Reshape per block; chunk as two Slices)."""
    from torchvision.models.shufflenetv2 import InvertedResidual, ShuffleNetV2

    class TraceableBlock(InvertedResidual):
        def forward(self, x):
            if self.stride == 1:
                parts = x.chunk(2, dim=1)
                out = torch.cat((parts[0], self.branch2(parts[1])), dim=1)
            else:
                out = torch.cat((self.branch1(x), self.branch2(x)), dim=1)
            n, c, h, w = out.shape[0], out.shape[1], out.shape[2], out.shape[3]
            return out.reshape(n, 2, c // 2, h, w).transpose(1, 2).reshape(n, c, h, w)

    return ShuffleNetV2([4, 8, 4], [24, 48, 96, 192, 1024], num_classes=10, inverted_residual=TraceableBlock)


def main(out):
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    cases = []

    def case(name, what, model, example, scheme, errors, opset=13, ort_errors=None, executorch_errors=None, ort_warnings=None, partitions=None, float_modules=()):
        """`errors` under every flow, unless `ort_errors` or `executorch_errors` say otherwise for
        ONNX Runtime's QNN EP (which runs some of them, slower) or ExecuTorch (which decomposes
        some ops the HTP lacks)."""
        path = os.path.join(out, f'{name}.onnx')
        m = export(model, example, path, scheme, opset=opset, float_modules=float_modules)
        cases.append({'file': f'{name}.onnx', 'what': what, 'scheme': scheme, 'opset': opset, 'errors': sorted(errors(m)), 'nodes': len(m.graph.node)})
        flows = {'ort': ort_errors, 'executorch': executorch_errors}
        flow_errors = {f: sorted(e(m)) for f, e in flows.items() if e is not None}
        if flow_errors:
            cases[-1]['flowErrors'] = flow_errors
        if partitions is not None:
            # NPU partitions of a clean model when not one (disconnected parts, each its own).
            cases[-1]['partitions'] = partitions
        if ort_warnings is not None:
            # Warnings of these rules under ONNX Runtime's flow only (the other flows have none of them).
            cases[-1]['flowWarnings'] = {'ort': sorted(ort_warnings(m))}
        print(f'{name}: {len(m.graph.node)} nodes, {len(cases[-1]["errors"])} expected errors', flush=True)

    img = (torch.randn(1, 3, 64, 64),)
    case('mobilenet_v3_small-pc-sym', 'torchvision MobileNetV3-Small, per-channel symmetric int8 weights (the stock config): clean',
         torchvision.models.mobilenet_v3_small(num_classes=10), img, 'per_channel_symmetric', lambda m: [])
    case('resnet18-pc-sym', 'torchvision ResNet-18, per-channel symmetric int8 weights: clean',
         torchvision.models.resnet18(num_classes=10), img, 'per_channel_symmetric', lambda m: [])
    case('resnet18-pt-u8-affine', 'ResNet-18 with uint8 asymmetric per-tensor weights (ONNX Runtime\'s default QNN config): clean',
         torchvision.models.resnet18(num_classes=10), img, 'per_tensor_affine_u8', lambda m: [])
    signed = (torch.randn(1, 3, 16, 16), torch.randn(1, 16))
    case('signed-cnn-s8act-pc-sym', 'Conv, residual Add, Linear on a 4-D (MatMul) and a 2-D input (Gemm) with int8 activations and per-channel symmetric int8 weights: clean (ONNX Runtime forms its node units: int8 with int8)',
         SignedCnn(), signed, 'per_channel_symmetric_s8act', lambda m: [], partitions=2)
    case('signed-cnn-s8act-u8w', 'The same with int8 activations and uint8 per-tensor weights: the HTP takes it, but ONNX Runtime forms no node unit for an int8 input with a uint8 weight, so every Conv, Gemm and MatMul runs as a float op there (slower)',
         SignedCnn(), signed, 'per_tensor_affine_u8_s8act', lambda m: [],
         ort_warnings=lambda m: [['dtype', n] for n in names(m, 'Conv', 'Gemm', 'MatMul') if has_weight(m, n)], partitions=2)
    case('mobilenet_v3_small-pc-affine', 'MobileNetV3-Small with per-channel asymmetric weights: every Conv and Gemm breaks the symmetric rule',
         torchvision.models.mobilenet_v3_small(num_classes=10), img, 'per_channel_affine', lambda m: [['symmetric', n] for n in names(m, 'Conv', 'Gemm')])
    case('lm-head-pc-affine', 'A 65,536-token LM head (nn.Linear 128 -> 65536) with per-channel asymmetric weights: its Gemm breaks the symmetric rule (its 256 KiB scale must be read from a 33 MB file)',
         LmHead(), (torch.randn(1, 128),), 'per_channel_affine', lambda m: [['symmetric', n] for n in names(m, 'Gemm')])
    case('tiny-cnn-pc-sym', 'Conv+ReLU, depthwise, Hardswish, Sigmoid gate, residual Add, Linear: clean',
         TinyCnn(), img, 'per_channel_symmetric', lambda m: [])
    case('mlp3d-pc-sym', 'nn.Linear on 3-D input (Transpose of the weight before MatMul), per-channel symmetric: clean',
         Mlp3d(), (torch.randn(2, 7, 32),), 'per_channel_symmetric', lambda m: [])
    # FX puts one Q/DQ pair around a written-out GELU: ONNX Runtime's QNN EP fuses such a GELU
    # only where each of its nodes is a QDQ node group, so there its Erf (no QNN op) runs on the CPU.
    gelu_erf = lambda m: [['unsupported-op', n] for n in names(m, 'Erf')]
    case('transformer-encoder-pc-sym', 'A pre-norm transformer encoder block at opset 13 (LayerNorm and GELU decomposed into float islands): no errors, but under ONNX Runtime, which does not fuse a GELU with float tensors inside, its Erf runs on the CPU',
         EncoderBlock(), (torch.randn(1, 8, 32),), 'per_channel_symmetric', lambda m: [], ort_errors=gelu_erf)
    case('layernorm-two-axes', 'LayerNorm over the last two axes (opset 17 LayerNormalization, axis -2): the HTP normalizes the last axis only',
         NormOverTwoAxes(), (torch.randn(1, 8, 16),), 'per_channel_symmetric', lambda m: [['op-limits', n] for n in names(m, 'LayerNormalization')], opset=17)
    case('maxpool3d', 'Conv3d + MaxPool3d: the HTP has no 3-D max pool; ExecuTorch decomposes it into 2-D max pools',
         MaxPool3d(), (torch.randn(1, 4, 8, 8, 8),), 'per_channel_symmetric', lambda m: [['unsupported-op', n] for n in names(m, 'MaxPool')],
         executorch_errors=lambda m: [])
    case('convnext-block', 'torchvision ConvNeXt pieces (LayerNorm2d, CNBlock): FX gives some permutes an observer of their own, so their Transposes requantize; ONNX Runtime runs them, slower, and its GELU unfused (the Erf on the CPU)',
         ConvNextMini(), (torch.randn(1, 3, 32, 32),), 'per_channel_symmetric',
         lambda m: [['shared-qparams', n] for n in requantized(m, 'Transpose')], ort_errors=gelu_erf)
    case('efficientnet_b0-pc-sym', 'torchvision EfficientNet-B0 (SiLU, squeeze-and-excitation), per-channel symmetric: no errors (FX leaves SiLU float)',
         torchvision.models.efficientnet_b0(num_classes=10), img, 'per_channel_symmetric', lambda m: [])
    case('regnet_y_400mf-pc-sym', 'torchvision RegNetY-400MF: its x.flatten(start_dim=1) gets an observer of its own, so the Flatten requantizes; ONNX Runtime runs it, slower',
         torchvision.models.regnet_y_400mf(num_classes=10), img, 'per_channel_symmetric',
         lambda m: [['shared-qparams', n] for n in requantized(m, 'Flatten', 'Reshape')], ort_errors=lambda m: [])
    case('swin-mini', 'torchvision SwinTransformer (two stages, window 4): its window partition goes through rank-6 Reshape and Transpose, which the HTP rejects; ONNX Runtime rewrites them to rank 5 (batch 1), and leaves each GELU\'s Erf to the CPU',
         SwinTransformer(patch_size=[4, 4], embed_dim=16, depths=[2, 2], num_heads=[2, 4], window_size=[4, 4], num_classes=10),
         (torch.randn(1, 3, 32, 32),), 'per_channel_symmetric',
         lambda m: [['op-limits', n] for n in rank6_window_ops(m)] + [['shared-qparams', n] for n in requantized(m, 'Transpose', 'Flatten', 'Reshape')],
         ort_errors=gelu_erf)
    # Seeded on its own, so the models after it keep the weights they had before it came.
    with seeded(24):
        case('swin-mini-b2', 'The same Swin at batch 2, its input size fixed: ONNX Runtime rewrites a rank-6 pattern only where an axis of size 1 stays in place, so the first stage (a 2x2 grid of windows, batch 2) stays rank 6 and runs on the CPU; the second stage (one window) is rewritten',
             SwinTransformer(patch_size=[4, 4], embed_dim=16, depths=[2, 2], num_heads=[2, 4], window_size=[4, 4], num_classes=10),
             (torch.randn(2, 3, 32, 32),), 'per_channel_symmetric',
             lambda m: [['op-limits', n] for n in rank6_window_ops(m)] + [['shared-qparams', n] for n in requantized(m, 'Transpose', 'Flatten', 'Reshape')],
             ort_errors=lambda m: [['op-limits', n] for n in first_stage_window_ops(m)] + gelu_erf(m))
    case('inverse-trig', 'Acos between convolutions: QNN has no Acos; ExecuTorch decomposes it into element-wise ops',
         InverseTrig(), img, 'per_channel_symmetric',
         lambda m: [['unsupported-op', n] for n in names(m, 'Acos')], executorch_errors=lambda m: [])
    case('reflect-pad3d', 'ReflectionPad3d between Conv3d layers: the HTP mirrors a pad on rank 4 at most; ExecuTorch rewrites it with index_select and cat',
         ReflectPad3d(), (torch.randn(1, 4, 4, 6, 6),), 'per_channel_symmetric',
         lambda m: [['op-limits', n] for n in names(m, 'Pad')], executorch_errors=lambda m: [])
    case('argmax-rank5', 'ArgMax over a rank-5 tensor: the HTP takes rank 4 at most',
         ArgMax5d(), (torch.randn(1, 4, 4, 4, 4),), 'per_channel_symmetric', lambda m: [['op-limits', n] for n in names(m, 'ArgMax')])
    with seeded(18):
        case('nearest-upsampling-rank3-rank5', "Nearest upsampling of a 1-D signal and of a volume (F.interpolate, mode='nearest'): Resize at rank 3 and 5, written with floor rounding, which the HTP's rank-3/5 Resize takes",
             NearestUpsampling(), (torch.randn(1, 4, 16), torch.randn(1, 4, 4, 4, 4)), 'per_channel_symmetric',
             lambda m: [['op-limits', n.name] for n in m.graph.node if n.op_type == 'Resize'
                        and not any(a.name == 'nearest_mode' and a.s in (b'floor', b'round_prefer_ceil') for a in n.attribute)])
    # Seeded on its own, so the models after it keep the weights they had before it came.
    with seeded(17):
        case('shufflenet_v2_x0_5-pc-sym', "torchvision ShuffleNetV2 x0.5: channel shuffles through rank-5 Reshape and Transpose, chunk as Slices whose bounds are shape arithmetic, depthwise convolutions; any data-movement op FX gave an observer of its own would requantize",
             traceable_shufflenet_v2(), img, 'per_channel_symmetric',
             lambda m: [['shared-qparams', n] for n in requantized(m, 'Transpose', 'Reshape')], ort_errors=lambda m: [])
    # Layers whose qconfig is None, left float between quantized ones as a mixed-precision export
    # leaves them (FX's QAT preparation also leaves every ConvTranspose weight float: it has no QAT
    # ConvTranspose). ONNX Runtime quantizes such a Conv, ConvTranspose or Gemm weight itself when
    # the layer reads a DequantizeLinear and feeds a QuantizeLinear.
    with seeded(26):
        case('float-layers-qat', "Conv, ConvTranspose and Linear layers left float (qconfig None) between quantized ones, and a quantized ConvTranspose whose weight FX's QAT preparation leaves float: ONNX Runtime quantizes those weights itself (int8 per tensor) where the layer reads a DequantizeLinear and feeds a QuantizeLinear; the Linear after a Flatten it does not; a Linear on tokens (MatMul and Add) it quantizes as the Gemm it makes of them. FX gives the tokens' flatten an observer of its own, so that Reshape requantizes",
             FloatLayers(), (torch.randn(1, 3, 8, 8),), 'per_channel_symmetric',
             lambda m: [['shared-qparams', n] for n in requantized(m, 'Reshape', 'Transpose', 'Flatten')], ort_errors=lambda m: [],
             float_modules=('conv2', 'up', 'fc', 'proj'))
    # DenseNet's transitions call avg_pool2d, which PyTorch exports as a Pad of zeros and an
    # AveragePool with no Q/DQ between: ONNX Runtime's PadFusion folds the Pad into the pool.
    with seeded(27):
        case('densenet-mini-pc-sym', "torchvision DenseNet (growth rate 8, blocks of 2): its transitions' average pools export as a Pad of zeros and an AveragePool with no Q/DQ between, float on the NPU except under ONNX Runtime, which folds the Pad into the pool; its BatchNorms after each concatenation keep float weights",
             torchvision.models.DenseNet(growth_rate=8, block_config=(2, 2, 2), num_init_features=16, num_classes=10), img, 'per_channel_symmetric', lambda m: [])
    # One DequantizeLinear read by a Reshape and a Shape: ONNX Runtime gives each reader a copy
    # (EnsureUniqueDQForNodeUnit) before its QDQ propagation, which then moves the Reshape's.
    with seeded(28):
        case('groupnorm-opset13', "GroupNorm between convolutions at opset 13 (Reshape, InstanceNormalization, Reshape, Mul, Add; FX leaves it float): the first Reshape shares its DequantizeLinear with a Shape, which ONNX Runtime copies for each reader, so under every flow the float island starts at the InstanceNormalization",
             GroupNormBlock(), (torch.randn(1, 3, 16, 16),), 'per_channel_symmetric', lambda m: [])
    # A float constant beside quantized inputs: ONNX Runtime's PRelu node group needs a DQ on the
    # slope too, so there it is a float op; the QNN converter quantizes the slope itself.
    with seeded(29):
        case('prelu-float-slope', "PReLU between convolutions: FX quantizes its input and output but the export writes its slope as a float initializer, so under ONNX Runtime the PRelu is no QDQ node group and runs as a float op (slower); the QNN converter quantizes the slope itself",
             PReluBlock(), (torch.randn(1, 3, 16, 16),), 'per_channel_symmetric', lambda m: [])

    # Float exports for the quantizer's regression corpus (src/core/quant/float-corpus.test.ts).
    floats = []

    def float_case(name, what, model, example, opset, dynamic_axes=None, script=False, errors=None):
        """`errors`: the error findings (rule, node) the quantized model must have, read from the export."""
        path = os.path.join(out, f'{name}.onnx')
        # Untrained weights with default BatchNorm statistics shrink MobileNet's activations to
        # ~1e-6 by the last block; a few training-mode passes set the statistics, as training would.
        model.train()
        with torch.no_grad():
            for _ in range(8):
                model(*[torch.randn(*e.shape) if e.is_floating_point() else e for e in example])
        model.eval()
        if script:
            model = torch.jit.script(model)
        names_in = [f'in{i}' for i in range(len(example))]
        torch.onnx.export(model, example, path, opset_version=opset, input_names=names_in, output_names=['out'],
                          dynamic_axes=dynamic_axes, do_constant_folding=True)
        m = onnx.load(path)
        onnx.checker.check_model(m)
        floats.append({'file': f'{name}.onnx', 'what': what, 'opset': opset, 'nodes': len(m.graph.node)})
        if errors is not None:
            floats[-1]['errors'] = sorted(errors(m))
        print(f'{name}: {len(m.graph.node)} nodes (float)', flush=True)

    float_case('float-resnet18', 'torchvision ResNet-18, float, opset 13', torchvision.models.resnet18(num_classes=10), img, 13)
    float_case('float-mobilenet_v3_small-dynamic', 'torchvision MobileNetV3-Small, float, opset 13, symbolic batch, height and width',
               torchvision.models.mobilenet_v3_small(num_classes=10), img, 13, {'in0': {0: 'batch', 2: 'height', 3: 'width'}})
    float_case('float-encoder-opset17', 'A pre-norm transformer encoder block, float, opset 17 (LayerNormalization, Erf GELU)',
               EncoderBlock(), (torch.randn(1, 8, 32),), 17)
    float_case('float-loop-refine', 'A TorchScript refinement loop (ONNX Loop, trip count an int64 input), float, opset 13',
               LoopRefine(), (torch.randn(1, 3, 32, 32), torch.tensor(3)), 13, script=True)
    float_case('float-nhwc-dynamic', 'NHWC image input (as TensorFlow exports), float, opset 13, symbolic height and width',
               NhwcNet(), (torch.randn(1, 64, 64, 3),), 13, {'in0': {1: 'height', 2: 'width'}})

    float_case('float-grouped-upsampler', 'A grouped ConvTranspose2d upsampler with a standalone BatchNorm and a depthwise Conv, float, opset 13',
               GroupedUpsampler(), (torch.randn(1, 3, 32, 32),), 13)
    float_case('float-segmentation-softmax', 'Bilinear upsampling and a per-pixel Softmax over two classes, float, opset 13',
               SegmentationHead(), (torch.randn(1, 3, 32, 32),), 13)
    float_case('float-masked-parts', 'Boolean-mask indexing (NonZero, GatherND): tensor lengths follow the values, float, opset 13',
               MaskedParts(), (torch.randn(8),), 13)

    # Seeded on its own, so the models above and below keep the weights they had before it came.
    with seeded(11):
        float_case('float-rotary-decoder', 'A LLaMA-style decoder block (RMSNorm, rotary embedding: Slice, Neg, Concat; SiLU MLP), float, opset 13',
                   RotaryDecoderBlock(), (torch.randn(1, 8, 32),), 13)
    # Seeded on their own too, for the same reason.
    with seeded(12):
        float_case('float-convnext-block', "torchvision ConvNeXt pieces (LayerNorm2d's permutes, CNBlock), float, opset 13",
                   ConvNextMini(), (torch.randn(1, 3, 32, 32),), 13)
        float_case('float-swin-mini', 'torchvision SwinTransformer (two stages, window 4), float, opset 13: its rank-6 window partitions stay an error once quantized',
                   SwinTransformer(patch_size=[4, 4], embed_dim=16, depths=[2, 2], num_heads=[2, 4], window_size=[4, 4], num_classes=10),
                   (torch.randn(1, 3, 32, 32),), 13, errors=lambda m: [['op-limits', n] for n in rank6_window_ops(m)])
    with seeded(13):
        float_case('float-linear-kn', 'Linear weights stored [in, out] (torch.addmm: Gemm without transB; torch.matmul: MatMul), float, opset 13',
                   LinearKN(), (torch.randn(4, 64),), 13)
    with seeded(16):
        float_case('float-addmm-scaled', 'torch.addmm with alpha and beta (Gemm alpha/beta other than 1; one weight read by two Gemms; one B computed at run time), float, opset 13',
                   ScaledAddmm(), (torch.randn(4, 64),), 13)
    with seeded(14):
        float_case('float-band-gate', 'Comparisons joined by Or and a Where between float tensors (boolean tensors the exporter leaves undeclared), float, opset 13',
                   BandGate(), (torch.randn(4, 16),), 13)
        float_case('float-causal-attention', 'One attention head masked with -inf (masked_fill before Softmax), float, opset 13',
                   CausalAttention(), (torch.randn(1, 8, 16),), 13)
        float_case('float-slot-writer', 'Features written into a zero buffer (out[idx] = y: ScatterND onto a constant of zeros), float, opset 13',
                   SlotWriter(), (torch.randn(8, 16),), 13)

    with seeded(18):
        float_case('float-einsum-attention', "Window attention written with einsum over rank-5 tensors, as torchvision's MaxViT writes it, float, opset 13",
                   EinsumWindowAttention(), (torch.randn(1, 4, 16, 32),), 13)

    with seeded(19):
        float_case('float-outlier-head', "A ConvNeXt-style classifier head (LayerNorm, Linear) whose trunc_normal_ weights hold one value at the bound -2, float, opset 13",
                   OutlierHead(), (torch.randn(2, 256),), 13)

    # torchvision's VisionTransformer, small: its LayerNorms' zero biases and unit weights are equal
    # initializers, which the exporter writes as Identity copies of one (one of them the patch
    # Conv's bias). The classifier head starts at zeros in torchvision, which would make the output
    # all zeros: drawn here. Exported with gradients on, as torch.onnx.export exports nn.MultiheadAttention
    # only off its inference fast path.
    with seeded(31):
        vit = VisionTransformer(image_size=32, patch_size=8, num_layers=2, num_heads=2, hidden_dim=32, mlp_dim=64, num_classes=10)
        torch.nn.init.normal_(vit.heads.head.weight, std=0.1)
        # Its class token starts at zeros too, which leaves the first LayerNorm of that row dividing
        # by the square root of a near-zero variance: drawn, as training leaves it.
        torch.nn.init.normal_(vit.class_token, std=1.0)
        float_case('float-vit-mini', "torchvision VisionTransformer (two layers, patch 8), float, opset 14: LayerNorm parameters read as Identity copies of equal initializers",
                   vit, (torch.randn(1, 3, 32, 32),), 14)

    # torchvision's MaxViT, two small blocks: MBConv with squeeze-excitation, then block and grid
    # attention (rank-6 partitions, Einsum). At 16a8w no node loses much, yet the output keeps
    # little: the 8-bit weights lose it a little at each layer, which the error trace shows by
    # running the plan again at 16a16w.
    # Exported as constructed (its BatchNorms at their initial statistics), not after the
    # training-mode passes the other float cases take.
    with seeded(0):
        from torchvision.models.maxvit import MaxVit
        mx = MaxVit(input_size=(64, 64), stem_channels=16, partition_size=4, block_channels=[32, 64], block_layers=[1, 1],
                    head_dim=16, stochastic_depth_prob=0.0, num_classes=10).eval()
        path = os.path.join(out, 'float-maxvit-mini.onnx')
        torch.onnx.export(mx, (torch.randn(1, 3, 64, 64),), path, opset_version=16, input_names=['in0'], output_names=['out'],
                          do_constant_folding=True)
        m = onnx.load(path)
        onnx.checker.check_model(m)
        floats.append({'file': 'float-maxvit-mini.onnx', 'opset': 16, 'nodes': len(m.graph.node),
                       'what': 'torchvision MaxVit (two blocks of 32 and 64 channels, partition 4), float, opset 16: squeeze-excitation, block and grid attention, rank-6 partitions',
                       'errors': sorted(['op-limits', n] for n in rank6_view_ops(m))})
        print(f'float-maxvit-mini: {len(m.graph.node)} nodes (float)', flush=True)

    # torchvision's RAFT (small, two flow updates): a static coordinate grid that the updates add the
    # flow to and that static arithmetic scales into GridSample's grid; its correlation volume is
    # viewed at rank 6, which stays an error once quantized.
    with seeded(32):
        float_case('float-raft-small', "torchvision RAFT-Small (two flow updates), float, opset 16: GridSample lookups, a static coordinate grid read at run time and by static arithmetic, a rank-6 correlation view",
                   RaftUpdates(torchvision.models.optical_flow.raft_small(weights=None)),
                   (torch.randn(1, 3, 64, 64), torch.randn(1, 3, 64, 64)), 16,
                   errors=lambda m: [['op-limits', n] for n in rank6_view_ops(m)])

    # torchvision's detection box branch at opset 11 (RoiAlign-10: no coordinate_transformation_mode,
    # and it behaves as "output_half_pixel"), and two opset-16 forms of it for the check:
    # python3-onnx's version converter (which writes "output_half_pixel"), and the same module
    # exported at opset 16 by this torchvision (0.14 registers only the opset-11 form, so the
    # attribute stays unset and the node now means "half_pixel").
    with seeded(20):
        roi = RoiBoxHead()
        roi_in = (torch.randn(1, 3, 64, 64), torch.rand(16, 4) * 2 - 1)
        float_case('float-roi-pool', "torchvision's MultiScaleRoIAlign and TwoMLPHead (LevelMapper, NonZero per level, RoiAlign, ScatterElements onto ConstantOfShape zeros), float, opset 11",
                   roi, roi_in, 11, errors=lambda m: [['unsupported-op', n] for n in names(m, 'NonZero')])
    with seeded(22):
        float_case('float-score-filter', 'Scores above 0.5 kept by boolean indexing (Sigmoid, Greater, NonZero, GatherND): the output size follows the values, float, opset 13',
                   ScoreFilter(), (torch.randn(256, 16),), 13)
    with seeded(23):
        float_case('float-upsample-opset9', "nn.Upsample at opset 9 (ONNX Upsample, its scales a float Constant input), nearest and bilinear, float",
                   UpsampleDecoder(), (torch.randn(1, 3, 16, 16),), 9)
    # Max pools and Upsample at opset 9: the export is raised to 12 (MaxPool-12, which ONNX Runtime
    # groups), the Upsample written as a Resize with its opset-10 coordinates stated.
    with seeded(30):
        float_case('float-unet-opset9', "A small U-Net at opset 9: MaxPool down, nn.Upsample (nearest, then bilinear) up, a skip concatenation, float",
                   PoolUpsampleNet(), (torch.randn(1, 3, 16, 16),), 9)
    # Seeded so that each of the LSTM's three outputs loses 6 dB or more at 8a8w: the error trace
    # names the node once.
    with seeded(1):
        float_case('float-recurrent', 'An LSTM then a GRU then a linear head over a sequence, float, opset 13',
                   RecurrentTagger(), (torch.randn(1, 10, 16),), 13)

    # A whole detector, exported as torchvision's detection models are (a list of images, opset 11).
    # Its keypoint postprocessing behind an If: the branch every random sample takes makes shapes
    # static that a Resize in a Loop body then refuses, so the quantizer must keep that If.
    def detector_case(name, what, model, output_names=None):
        """A torchvision detector exported as its ONNX tests export one: a list of one 64×64 image, opset 11."""
        path = os.path.join(out, f'{name}.onnx')
        torch.onnx.export(model.eval(), ([torch.rand(3, 64, 64)],), path, opset_version=11, input_names=['images'],
                          output_names=output_names, do_constant_folding=True)
        m = onnx.load(path)
        onnx.checker.check_model(m)
        floats.append({'file': f'{name}.onnx', 'opset': 11, 'nodes': len(m.graph.node), 'what': what,
                       'nonzero': names(m, 'NonZero'), 'nms': names_anywhere(m.graph, 'NonMaxSuppression')})
        print(f'{name}: {len(m.graph.node)} nodes (float)', flush=True)

    with seeded(21):
        detector_case('float-keypoint-rcnn', "torchvision's Keypoint R-CNN on a one-Conv backbone (RPN, RoiAlign, If, Loop), float, opset 11",
                      tiny_keypoint_rcnn())

    # A whole one-stage detector: its boxes and scores are selected from the heads' outputs by TopK
    # and NonMaxSuppression, so quantization that reorders near-equal scores keeps other boxes.
    with seeded(0):
        detector_case('float-retinanet', "torchvision's RetinaNet on a two-level, two-Conv backbone (TopK, NonMaxSuppression), float, opset 11",
                      tiny_retinanet(), ['boxes', 'scores', 'labels'])

    roi_align = []
    m = version_converter.convert_version(onnx.load(os.path.join(out, 'float-roi-pool.onnx')), 16)
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(out, 'float-roi-pool-opset16-converted.onnx'))
    roi_align.append({'file': 'float-roi-pool-opset16-converted.onnx', 'opset': 16, 'mode': 'output_half_pixel',
                      'what': 'float-roi-pool raised to opset 16 by python3-onnx\'s version converter'})
    path = os.path.join(out, 'float-roi-pool-opset16-tv014.onnx')
    torch.onnx.export(roi, roi_in, path, opset_version=16, input_names=['in0', 'in1'], output_names=['out'], do_constant_folding=True)
    m = onnx.load(path)
    onnx.checker.check_model(m)
    written = {a.name for n in m.graph.node if n.op_type == 'RoiAlign' for a in n.attribute}
    roi_align.append({'file': 'float-roi-pool-opset16-tv014.onnx', 'opset': 16,
                      'mode': 'output_half_pixel' if 'coordinate_transformation_mode' in written else 'half_pixel',
                      'what': f'the same module exported at opset 16 by torchvision {torchvision.__version__}'})

    def half_case(source, name, what, opset=19):
        """A float export turned into a float16 model, as float16 exports are written
        (onnxconverter-common's convert_float_to_float16 does the same: float16 weights, inputs,
        outputs and Casts, the opset kept), with the shape inputs Resize reads left in float32. At
        opset 19 (set on models whose ops mean the same there), where ONNX's QuantizeLinear takes
        float16, or at the export's own opset (opset=None); python3-onnx 1.12 cannot check opset
        19, onnxruntime loads it."""
        m = onnx.load(os.path.join(out, f'{source}.onnx'))
        g = m.graph
        keep = {i for n in g.node if n.op_type == 'Resize' for i in n.input[1:3]}
        for k, t in enumerate(g.initializer):
            if t.data_type == onnx.TensorProto.FLOAT and t.name not in keep:
                g.initializer[k].CopyFrom(numpy_helper.from_array(numpy_helper.to_array(t).astype(np.float16), t.name))
        for n in g.node:
            if n.op_type == 'Constant' and n.output[0] in keep:
                continue
            for a in n.attribute:
                if a.name == 'to' and a.i == onnx.TensorProto.FLOAT:
                    a.i = onnx.TensorProto.FLOAT16
                if a.type == onnx.AttributeProto.TENSOR and a.t.data_type == onnx.TensorProto.FLOAT:
                    a.t.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(a.t).astype(np.float16)))
        for v in list(g.input) + list(g.output) + list(g.value_info):
            if v.type.tensor_type.elem_type == onnx.TensorProto.FLOAT:
                v.type.tensor_type.elem_type = onnx.TensorProto.FLOAT16
        if opset is not None:
            for o in m.opset_import:
                if o.domain in ('', 'ai.onnx'):
                    o.version = opset
            m.ir_version = max(m.ir_version, 9)
        else:
            onnx.checker.check_model(m)
        kept = next(o.version for o in m.opset_import if o.domain in ('', 'ai.onnx'))
        onnx.save(m, os.path.join(out, f'{name}.onnx'))
        floats.append({'file': f'{name}.onnx', 'what': what, 'opset': kept, 'nodes': len(g.node)})
        print(f'{name}: {len(g.node)} nodes (float16)', flush=True)

    half_case('float-grouped-upsampler', 'float16-grouped-upsampler', 'The grouped upsampler in float16, opset 19')
    half_case('float-segmentation-softmax', 'float16-segmentation-softmax', 'The segmentation head in float16, opset 19')
    half_case('float-mobilenet_v3_small-dynamic', 'float16-mobilenet_v3_small-dynamic',
              'MobileNetV3-Small in float16, opset 19, symbolic batch, height and width')
    half_case('float-convnext-block', 'float16-convnext-block-opset13',
              'The ConvNeXt block in float16 at its export opset 13 (LayerNorm as ReduceMean, Pow, Sqrt: axes attributes)', None)
    half_case('float-encoder-opset17', 'float16-encoder-opset17',
              'The encoder block in float16 at its export opset 17 (LayerNormalization, Erf Gelu)', None)
    # The same blocks exported at opsets 11 and 12 (their own random state, so the cases above keep
    # their weights), then made float16 there: Softmax of opset 11 normalizes from its axis on, and
    # ReduceMean, Unsqueeze and Squeeze hold their axes as attributes.
    with seeded(16):
        float_case('float-encoder-opset12', 'The encoder block, float, opset 12 (LayerNorm as ReduceMean, Pow, Sqrt; Softmax of opset 12)',
                   EncoderBlock(), (torch.randn(1, 8, 32),), 12)
        float_case('float-convnext-block-opset11', 'The ConvNeXt block, float, opset 11',
                   ConvNextMini(), (torch.randn(1, 3, 32, 32),), 11)
    # Seeded on its own, so the models after it keep the weights they had before it came.
    with seeded(25):
        float_case('float-squeezenet-opset11', 'torchvision SqueezeNet 1.1, float, opset 11: its MaxPools (ceil_mode) quantized at opset 11 are MaxPool-11, which ONNX Runtime does not group with their Q/DQ',
                   torchvision.models.squeezenet1_1(num_classes=10), (torch.randn(1, 3, 64, 64),), 11)
    half_case('float-encoder-opset12', 'float16-encoder-opset12',
              'The encoder block in float16 at its export opset 12', None)
    half_case('float-convnext-block-opset11', 'float16-convnext-block-opset11',
              'The ConvNeXt block in float16 at its export opset 11', None)

    # Models for the drawing alone (not quantized by the tests): their layout is what is tested.
    drawings = []
    with seeded(15):
        stacked = StackedDecoder().eval()
        first = stacked.layers[0]
        path = os.path.join(out, 'drawing-stacked-decoder.onnx')
        torch.onnx.export(stacked, (torch.randn(1, 8, 32), first.cos, first.sin, first.mask), path, opset_version=13,
                          input_names=['x', 'position_cos', 'position_sin', 'attention_mask'], output_names=['out'])
        onnx.checker.check_model(onnx.load(path))
        drawings.append({'file': 'drawing-stacked-decoder.onnx',
                         'what': 'Eight LLaMA-style blocks reading the rotary tables and the mask as graph inputs, float, opset 13'})

    # QDQ cases saved again with external data, as onnx.save_model writes it (every tensor from
    # 1 KiB in one data file beside the model): per-channel scales of 256 channels or more move there.
    external = []
    os.makedirs(os.path.join(out, 'external'), exist_ok=True)
    for source in ['mobilenet_v3_small-pc-affine', 'resnet18-pc-sym']:
        m = onnx.load(os.path.join(out, f'{source}.onnx'))
        onnx.save_model(m, os.path.join(out, 'external', f'{source}.onnx'), save_as_external_data=True,
                        all_tensors_to_one_file=True, location=f'{source}.onnx.data', size_threshold=1024)
        external.append({'file': f'external/{source}.onnx', 'data': f'external/{source}.onnx.data', 'of': f'{source}.onnx'})

    manifest = {'generator': GENERATOR_VERSION, 'torch': torch.__version__, 'torchvision': torchvision.__version__, 'onnx': onnx.__version__, 'cases': cases, 'floats': floats, 'external': external, 'drawings': drawings, 'roi_align': roi_align}
    with open(os.path.join(out, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=2)


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else '.cache/corpus/torch')
