"""HRNet ImageNet classifier: the backbone plus the official classification head.

Paper: "High-Resolution Representations for Labeling Pixels and Regions" (HRNetV2),
appendix "Network Pretraining", Figure 5 and Table 14 (HRNet-Wx-C):

1. each resolution's output (C, 2C, 4C, 8C channels) passes one bottleneck unit that
   raises it to 128, 256, 512, 1024 channels (``incre_modules``);
2. starting from the highest resolution, a stride-2 3x3 conv + BN + ReLU downsamples the
   running representation and adds it to the next resolution (``downsamp_modules``);
3. a 1x1 conv + BN + ReLU to 2048 channels (``final_layer``), global average pooling and a
   linear classifier (``classifier``).

Tensor names follow the official HRNet-Image-Classification code, which timm's
``hrnet_w*`` models share: an official or timm ImageNet state_dict is the union of
``HRNet``'s keys and ``HRNetClsHead``'s keys, with no prefix.  ``HRNetImageClassifier``
loads such a checkpoint (or its own ``backbone.``/``head.`` layout) strictly, see
``load_classifier_state_dict``.

``hrnet_mm.registry`` registers both classes in hrnet_mm's scope
(``type='hrnet_mm.HRNetImageClassifier'`` / ``'hrnet_mm.HRNetClsHead'``).
"""
import copy
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModel, BaseModule
from mmengine.structures import BaseDataElement

from hrnet_mm.errors import ConfigError

from ..backbones.hrnet import Bottleneck, HRNet, make_res_layer

# Top-level module names of the official head (== timm's), in checkpoint order.
HEAD_MODULES = ('incre_modules', 'downsamp_modules', 'final_layer', 'classifier')
HEAD_INIT = [dict(type='Kaiming', layer='Conv2d', mode='fan_out', nonlinearity='relu'),
             dict(type='Constant', val=1, layer=['_BatchNorm'])]


class HRNetClsHead(BaseModule):
    """The official HRNet ImageNet head (HRNetV2 paper, Figure 5).

    Args:
        in_channels: channels of the backbone's four outputs, high to low resolution
            (``C, 2C, 4C, 8C`` for BASIC stages, ``4x`` that for BOTTLENECK stages).
        head_channels: bottleneck widths of the ``incre_modules``; each outputs
            4x its width (the official 32, 64, 128, 256 -> 128, 256, 512, 1024).
        num_features: channels of ``final_layer`` (the pooled representation).
        num_classes: classifier outputs; 0 returns the pooled features.
        conv_bias: bias on the ``downsamp_modules``/``final_layer`` convs (official: True).
        drop_rate: dropout before the classifier (official: 0).
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 head_channels: Sequence[int] = (32, 64, 128, 256),
                 num_features: int = 2048,
                 num_classes: int = 1000,
                 conv_bias: bool = True,
                 drop_rate: float = 0.0,
                 norm_cfg: dict = dict(type='BN'),
                 init_cfg=copy.deepcopy(HEAD_INIT)):
        super().__init__(init_cfg=init_cfg)
        if len(in_channels) != len(head_channels):
            raise ValueError(f'HRNetClsHead: {len(in_channels)} in_channels but '
                             f'{len(head_channels)} head_channels; give one per branch')
        self.in_channels = list(in_channels)
        self.num_features = num_features
        self.num_classes = num_classes
        expansion = Bottleneck.expansion
        self.incre_modules = nn.ModuleList(
            make_res_layer(Bottleneck, c_in, c_head, 1, None, norm_cfg, False)
            for c_in, c_head in zip(in_channels, head_channels))
        widths = [c * expansion for c in head_channels]
        self.downsamp_modules = nn.ModuleList(
            nn.Sequential(nn.Conv2d(widths[i], widths[i + 1], 3, 2, 1, bias=conv_bias),
                          nn.BatchNorm2d(widths[i + 1]), nn.ReLU(inplace=True))
            for i in range(len(widths) - 1))
        self.final_layer = nn.Sequential(
            nn.Conv2d(widths[-1], num_features, 1, 1, 0, bias=conv_bias),
            nn.BatchNorm2d(num_features), nn.ReLU(inplace=True))
        self.drop = nn.Dropout(drop_rate) if drop_rate > 0 else nn.Identity()
        self.classifier = nn.Linear(num_features, num_classes) if num_classes > 0 \
            else nn.Identity()

    def pre_logits(self, feats: Sequence[torch.Tensor]) -> torch.Tensor:
        """The pooled ``num_features``-dim representation."""
        if len(feats) != len(self.incre_modules):
            raise ValueError(f'HRNetClsHead: got {len(feats)} feature maps, expected '
                             f'{len(self.incre_modules)} (build the backbone with '
                             "out_form='branches' and multiscale_output=True)")
        y = self.incre_modules[0](feats[0])
        for i in range(1, len(feats)):
            y = self.incre_modules[i](feats[i]) + self.downsamp_modules[i - 1](y)
        y = self.final_layer(y)
        return torch.flatten(F.adaptive_avg_pool2d(y, 1), 1)

    def forward(self, feats: Sequence[torch.Tensor]) -> torch.Tensor:
        return self.classifier(self.drop(self.pre_logits(feats)))


def to_classifier_keys(state: Dict[str, torch.Tensor]) -> 'OrderedDict[str, torch.Tensor]':
    """Maps an official/timm ImageNet state_dict to ``HRNetImageClassifier``'s names.

    Head tensors (``incre_modules``, ``downsamp_modules``, ``final_layer``,
    ``classifier``) go under ``head.``, everything else under ``backbone.``.  A state_dict
    already in the ``backbone.``/``head.`` layout is returned unchanged.
    """
    if any(k.startswith(('backbone.', 'head.')) for k in state):
        return OrderedDict(state)
    return OrderedDict(
        (('head.' if k.split('.', 1)[0] in HEAD_MODULES else 'backbone.') + k, v)
        for k, v in state.items())


def _args_of(cfg: dict, types: Sequence[str], field: str) -> dict:
    """The constructor arguments of a ``dict(type=...)`` whose type is one of ``types``."""
    cfg = copy.deepcopy(dict(cfg))
    kind = cfg.pop('type', types[0])
    if kind not in types:
        raise ConfigError(f'HRNetImageClassifier: {field}.type={kind!r}; the classifier takes '
                          f'{types[0]!r} only (it reads the HRNet branches directly)')
    return cfg


class HRNetImageClassifier(BaseModel):
    """HRNet-Wx-C: ``backbone`` (hrnet_mm ``HRNet``, all four branches) + ``head``.

    Args:
        backbone: HRNet config (``dict(type='hrnet_mm.HRNet', arch='w18')`` or ``extra``);
            it is forced to ``out_form='branches'`` with ``multiscale_output=True``.
        head: ``HRNetClsHead`` config; ``in_channels`` defaults to the backbone's outputs.
        data_preprocessor: mmengine data preprocessor config (e.g. ``ImgDataPreprocessor``
            with the ImageNet mean/std and ``bgr_to_rgb=True``).
        init_cfg: ``dict(type='Pretrained', checkpoint=...)`` loads an official, timm or
            hrnet_mm classifier checkpoint strictly (``load_classifier_state_dict``).

    ``forward(inputs, data_samples=None, mode)``:
        ``'tensor'``: logits ``(N, num_classes)``;
        ``'loss'``: ``dict(loss=cross_entropy)`` against the labels in ``data_samples``
        (a tensor, ints, or samples carrying ``gt_label``/``label``);
        ``'predict'``: one ``BaseDataElement`` per image with ``pred_score`` (softmax),
        ``pred_label`` (and ``gt_label`` when given).
    """

    def __init__(self,
                 backbone: dict,
                 head: Optional[dict] = None,
                 data_preprocessor: Optional[Union[dict, nn.Module]] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        # Built directly, not through hrnet_mm.registry (which imports this module): the
        # classifier is defined for hrnet_mm's HRNet and its head only.
        backbone = _args_of(backbone, ('HRNet', 'hrnet_mm.HRNet'), 'backbone')
        backbone.update(out_form='branches', multiscale_output=True)
        self.backbone = HRNet(**backbone)
        head = _args_of(head or {}, ('HRNetClsHead', 'hrnet_mm.HRNetClsHead'), 'head')
        if head.get('in_channels') is None:
            head['in_channels'] = list(self.backbone.out_channels)
        self.head = HRNetClsHead(**head)

    # -- weights ---------------------------------------------------------------------------
    def load_classifier_state_dict(self, checkpoint) -> None:
        """Strictly loads an official/timm/hrnet_mm classifier checkpoint (path or dict).

        Raises ``IncompatibleCheckpointError`` naming missing and unexpected tensors
        (BN ``num_batches_tracked`` counters are the only tensors allowed to be absent).
        """
        from hrnet_mm.weights import IncompatibleCheckpointError, unwrap_state_dict
        if isinstance(checkpoint, str):
            from mmengine.runner.checkpoint import CheckpointLoader
            checkpoint = CheckpointLoader.load_checkpoint(checkpoint, map_location='cpu')
        state = to_classifier_keys(unwrap_state_dict(checkpoint))
        result = self.load_state_dict(state, strict=False)
        missing = [k for k in result.missing_keys if not k.endswith('num_batches_tracked')]
        if missing or result.unexpected_keys:
            raise IncompatibleCheckpointError(
                f'HRNetImageClassifier: checkpoint does not match the model: '
                f'{len(missing)} missing (e.g. {missing[:5]}), '
                f'{len(result.unexpected_keys)} unexpected (e.g. {result.unexpected_keys[:5]})')

    def init_weights(self):
        cfg = self.init_cfg
        if isinstance(cfg, dict) and cfg.get('type') == 'Pretrained':
            self.load_classifier_state_dict(cfg['checkpoint'])
            self._is_init = True
            return
        super().init_weights()

    # -- forward ---------------------------------------------------------------------------
    def extract_feat(self, inputs: torch.Tensor) -> torch.Tensor:
        """The pooled 2048-dim representation."""
        return self.head.pre_logits(self.backbone(inputs))

    def forward(self, inputs: torch.Tensor, data_samples: Optional[list] = None,
                mode: str = 'tensor'):
        logits = self.head(self.backbone(inputs))
        if mode == 'tensor':
            return logits
        if mode == 'loss':
            if data_samples is None:
                raise ValueError("HRNetImageClassifier: mode='loss' needs data_samples with "
                                 'labels')
            labels = _labels(data_samples, logits.device)
            return dict(loss=F.cross_entropy(logits, labels))
        if mode == 'predict':
            return self._predictions(logits, data_samples)
        raise ValueError(f"HRNetImageClassifier: mode={mode!r}; use 'tensor', 'loss' or "
                         "'predict'")

    @staticmethod
    def _predictions(logits: torch.Tensor, data_samples) -> List[BaseDataElement]:
        scores = logits.softmax(dim=1).detach()
        labels = scores.argmax(dim=1)
        if data_samples is None or isinstance(data_samples, torch.Tensor):
            gts = data_samples
            data_samples = [BaseDataElement() for _ in range(len(scores))]
            if gts is not None:
                for sample, gt in zip(data_samples, gts.reshape(-1)):
                    sample.gt_label = gt.reshape(1)
        out = []
        for i, sample in enumerate(data_samples):
            if not isinstance(sample, BaseDataElement):
                element = BaseDataElement()
                gt = _one_label(sample)
                if gt is not None:
                    element.gt_label = torch.as_tensor(gt).reshape(1)
                sample = element
            sample.pred_score = scores[i]
            sample.pred_label = labels[i].reshape(1)
            out.append(sample)
        return out


def _one_label(sample):
    if isinstance(sample, (int, torch.Tensor)):
        return sample
    if isinstance(sample, dict):
        return sample.get('gt_label', sample.get('label'))
    for name in ('gt_label', 'label'):
        if hasattr(sample, name):
            return getattr(sample, name)
    return None


def _labels(data_samples, device) -> torch.Tensor:
    if isinstance(data_samples, torch.Tensor):
        return data_samples.reshape(-1).long().to(device)
    labels = []
    for sample in data_samples:
        label = _one_label(sample)
        if label is None:
            raise ValueError('HRNetImageClassifier: a data sample has no gt_label/label')
        label = torch.as_tensor(label).reshape(-1)
        if label.numel() != 1:
            raise ValueError(f'HRNetImageClassifier: expected one label per image, got '
                             f'{label.numel()} (multi-label targets are not supported)')
        labels.append(label)
    return torch.cat(labels).long().to(device)
