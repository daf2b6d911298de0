"""State_dict layouts of the official HRNet repositories, written out from their structure.

Where the layouts come from: the model files of the official repositories, read as
documentation (nothing of them is imported or copied):

* HRNet-Image-Classification ``lib/models/cls_hrnet.py``: the backbone, then the
  classification head (``incre_modules``: one Bottleneck per branch to 32/64/128/256
  planes; ``downsamp_modules``: 3x3 stride-2 convs *with bias* + BN; ``final_layer``:
  1x1 conv 1024->2048 with bias + BN; ``classifier``: Linear 2048->1000).  Every stage-4
  module fuses into all four branches.
* deep-high-resolution-net.pytorch ``lib/models/pose_hrnet.py``: the same backbone whose
  last stage-4 module fuses into branch 0 only (``multi_scale_output=False``), then
  ``final_layer``: 1x1 conv C->K with bias.
* HRNet-Facial-Landmark-Detection ``lib/models/hrnet.py``: the V2 backbone, then
  ``head``: 1x1 conv 15C->15C (bias), BN, ReLU, 1x1 conv 15C->K (bias).
* HRNet-Semantic-Segmentation ``lib/models/seg_hrnet.py`` (master branch, InPlaceABN):
  the V2 backbone and ``last_layer`` (as the face head), wrapped as ``model.`` by its
  ``FullModel`` beside ``loss.``; InPlaceABN has no ``num_batches_tracked`` buffers.

The official code names every module itself (``conv1``/``bn1``, ``layer1``,
``transition{k}``, ``stage{k}.{m}.branches``/``fuse_layers``), so the keys below are
spelled out here independently of hrnet_mm's module tree; the tests then prove that
hrnet_mm loads them.
"""
from collections import OrderedDict
from typing import Dict, List, Tuple

import torch

Shape = Tuple[int, ...]
Layout = Dict[str, Shape]


def _bn(out: Layout, name: str, c: int, counters: bool) -> None:
    for p in ('weight', 'bias', 'running_mean', 'running_var'):
        out[f'{name}.{p}'] = (c, )
    if counters:
        out[f'{name}.num_batches_tracked'] = ()


def _conv(out: Layout, name: str, cout: int, cin: int, k: int, bias: bool = False) -> None:
    out[f'{name}.weight'] = (cout, cin, k, k)
    if bias:
        out[f'{name}.bias'] = (cout, )


def _bottleneck(out, name, cin, planes, counters):
    _conv(out, f'{name}.conv1', planes, cin, 1)
    _bn(out, f'{name}.bn1', planes, counters)
    _conv(out, f'{name}.conv2', planes, planes, 3)
    _bn(out, f'{name}.bn2', planes, counters)
    _conv(out, f'{name}.conv3', planes * 4, planes, 1)
    _bn(out, f'{name}.bn3', planes * 4, counters)
    if cin != planes * 4:
        _conv(out, f'{name}.downsample.0', planes * 4, cin, 1)
        _bn(out, f'{name}.downsample.1', planes * 4, counters)


def _basic(out, name, c, counters):
    _conv(out, f'{name}.conv1', c, c, 3)
    _bn(out, f'{name}.bn1', c, counters)
    _conv(out, f'{name}.conv2', c, c, 3)
    _bn(out, f'{name}.bn2', c, counters)


def backbone(width: int, multi_scale_last: bool = True, counters: bool = True,
             prefix: str = '') -> Layout:
    """The official HighResolutionNet backbone (standard W18...W64 presets)."""
    out: Layout = OrderedDict()
    p = prefix
    _conv(out, f'{p}conv1', 64, 3, 3)
    _bn(out, f'{p}bn1', 64, counters)
    _conv(out, f'{p}conv2', 64, 64, 3)
    _bn(out, f'{p}bn2', 64, counters)
    for b in range(4):
        _bottleneck(out, f'{p}layer1.{b}', 64 if b == 0 else 256, 64, counters)
    pre: List[int] = [256]
    modules = {2: 1, 3: 4, 4: 3}
    for k in (2, 3, 4):
        cur = [width * 2**i for i in range(k)]
        # transition{k-1}: width change of existing branches, a new branch from the last.
        for i, c in enumerate(cur):
            if i < len(pre):
                if pre[i] != c:
                    _conv(out, f'{p}transition{k - 1}.{i}.0', c, pre[i], 3)
                    _bn(out, f'{p}transition{k - 1}.{i}.1', c, counters)
            else:
                for s in range(i + 1 - len(pre)):
                    cout = c if s == i - len(pre) else pre[-1]
                    _conv(out, f'{p}transition{k - 1}.{i}.{s}.0', cout, pre[-1], 3)
                    _bn(out, f'{p}transition{k - 1}.{i}.{s}.1', cout, counters)
        for m in range(modules[k]):
            name = f'{p}stage{k}.{m}'
            for b, c in enumerate(cur):
                for n in range(4):
                    _basic(out, f'{name}.branches.{b}.{n}', c, counters)
            last = k == 4 and m == modules[k] - 1
            for i in range(len(cur) if multi_scale_last or not last else 1):
                for j in range(len(cur)):
                    f = f'{name}.fuse_layers.{i}.{j}'
                    if j > i:
                        _conv(out, f'{f}.0', cur[i], cur[j], 1)
                        _bn(out, f'{f}.1', cur[i], counters)
                    elif j < i:
                        for s in range(i - j):
                            cout = cur[i] if s == i - j - 1 else cur[j]
                            _conv(out, f'{f}.{s}.0', cout, cur[j], 3)
                            _bn(out, f'{f}.{s}.1', cout, counters)
        pre = cur
    return out


def imagenet_classifier(width: int) -> Layout:
    """cls_hrnet.py's HighResolutionNet: backbone + incre/downsamp/final/classifier."""
    out = backbone(width)
    head = [32, 64, 128, 256]
    for i, planes in enumerate(head):
        _bottleneck(out, f'incre_modules.{i}.0', width * 2**i, planes, True)
    for i in range(3):
        _conv(out, f'downsamp_modules.{i}.0', head[i + 1] * 4, head[i] * 4, 3, bias=True)
        _bn(out, f'downsamp_modules.{i}.1', head[i + 1] * 4, True)
    _conv(out, 'final_layer.0', 2048, 1024, 1, bias=True)
    _bn(out, 'final_layer.1', 2048, True)
    out['classifier.weight'] = (1000, 2048)
    out['classifier.bias'] = (1000, )
    return out


def pose(width: int, joints: int = 17) -> Layout:
    """pose_hrnet.py's PoseHighResolutionNet (HRNetV1, one 1x1 conv to heatmaps)."""
    out = backbone(width, multi_scale_last=False)
    _conv(out, 'final_layer', joints, width, 1, bias=True)
    return out


def _v2_head(out: Layout, name: str, width: int, classes: int, counters: bool):
    c = 15 * width
    _conv(out, f'{name}.0', c, c, 1, bias=True)
    _bn(out, f'{name}.1', c, counters)
    _conv(out, f'{name}.3', classes, c, 1, bias=True)


def face(width: int = 18, landmarks: int = 68) -> Layout:
    """The face repository's HighResolutionNet (HRNetV2 + ``head``)."""
    out = backbone(width)
    _v2_head(out, 'head', width, landmarks, True)
    return out


def segmentation_inplace_abn(width: int, classes: int) -> Layout:
    """seg_hrnet.py (master, InPlaceABN) as its FullModel saves it: ``model.`` prefix,
    ``last_layer`` head, no ``num_batches_tracked`` anywhere."""
    out = backbone(width, counters=False, prefix='model.')
    _v2_head(out, 'model.last_layer', width, classes, False)
    return out


def materialize(layout: Layout, seed: int = 0) -> Dict[str, torch.Tensor]:
    """Random tensors in ``layout``: weights ~N(0, 0.05), BN variances in [0.5, 1.5]."""
    gen = torch.Generator().manual_seed(seed)
    state = OrderedDict()
    for key, shape in layout.items():
        if key.endswith('num_batches_tracked'):
            state[key] = torch.tensor(1000)
        elif key.endswith('running_var'):
            state[key] = torch.rand(shape, generator=gen) + 0.5
        else:
            state[key] = torch.randn(shape, generator=gen) * 0.05
    return state
