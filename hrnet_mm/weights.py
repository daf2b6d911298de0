"""Loading HRNet weights from every checkpoint layout users have.

All known HRNet checkpoints name backbone tensors the same way (the official code's names:
``conv1``, ``bn1``, ``layer1``, ``transition1``, ``stage2.0.branches...``); they differ only
in a prefix and in which head tensors ride along:

=====================  ===================  ============================================
source                 prefix               extra (non-backbone) tensors
=====================  ===================  ============================================
official ImageNet      none                 incre_modules, downsamp_modules, final_layer,
                                            classifier
timm ``hrnet_w*``      none                 same as official ImageNet
mmdet/mmseg/mmpose     ``backbone.``        neck, heads
mmpretrain             ``backbone.``        neck, head
official segmentation  ``model.``           last_layer (see ``convert_official_segmentation``)
=====================  ===================  ============================================
"""
import io
import os
import os.path as osp
import re
from collections import OrderedDict
from typing import Dict, List, Mapping, Optional, Tuple

import torch
from mmengine.logging import print_log
from mmengine.runner.checkpoint import CheckpointLoader, get_external_models

from .checkpoint_io import atomic_write_bytes, torch_load_trusted
from .errors import IncompatibleCheckpointError

# Top-level modules of the official ImageNet classifier and timm, which are not backbone.
CLASSIFIER_MODULES = ('incre_modules.', 'downsamp_modules.', 'final_layer.', 'classifier.')
WRAPPER_KEYS = ('state_dict', 'model', 'module', 'net')
HRNET_OPENMMLAB_PREFIX = 'msra/hrnet'
WEIGHTS_ENV = 'HRNET_MM_WEIGHTS'


def unwrap_state_dict(checkpoint) -> Dict[str, torch.Tensor]:
    """The tensor mapping inside a checkpoint (mmengine/official/timm/DataParallel)."""
    state = checkpoint
    for _ in range(2):  # e.g. {'state_dict': {'module.x': ...}}
        if isinstance(state, Mapping):
            for key in WRAPPER_KEYS:
                inner = state.get(key)
                if isinstance(inner, Mapping) and inner and all(
                        isinstance(v, torch.Tensor) for v in list(inner.values())[:8]):
                    state = inner
                    break
    if not isinstance(state, Mapping):
        raise IncompatibleCheckpointError(
            f'checkpoint holds a {type(checkpoint).__name__}, not a state_dict')
    return OrderedDict((k[len('module.'):] if k.startswith('module.') else k, v)
                       for k, v in state.items() if isinstance(v, torch.Tensor))


def backbone_state_dict(checkpoint) -> Tuple[Dict[str, torch.Tensor], List[str]]:
    """Returns (backbone tensors under HRNet's own names, keys that were left out)."""
    state = unwrap_state_dict(checkpoint)
    for prefix in ('backbone.', 'model.'):
        if any(k.startswith(prefix) for k in state):
            if prefix == 'model.':
                state = OrderedDict(
                    (k[len(prefix):], v) for k, v in state.items() if k.startswith(prefix))
                break
            kept = OrderedDict(
                (k[len(prefix):], v) for k, v in state.items() if k.startswith(prefix))
            return kept, [k for k in state if not k.startswith(prefix)]
    kept, dropped = OrderedDict(), []
    for key, value in state.items():
        if key.startswith(CLASSIFIER_MODULES) or key.startswith('last_layer.'):
            dropped.append(key)
        else:
            kept[key] = value
    return kept, dropped


def state_dict_mismatch(own: Mapping[str, torch.Tensor], state: Mapping[str, torch.Tensor],
                        fresh: Tuple[str, ...] = ()) -> Tuple[List[str], List[str], List[str]]:
    """(missing, unexpected, mis-shaped) keys of ``state`` loaded into a model's ``own``;
    keys under a ``fresh`` prefix are not expected in a checkpoint."""
    missing = [k for k in own if k not in state and not (fresh and k.startswith(fresh))]
    unexpected = [k for k in state if k not in own]
    mismatched = [f'{k}: checkpoint {tuple(state[k].shape)} vs model {tuple(own[k].shape)}'
                  for k in own if k in state and state[k].shape != own[k].shape]
    return missing, unexpected, mismatched


# A fuse path of a stage-4 module: ``[backbone.]stage4.<module>.fuse_layers.<output>.``
_FUSE_KEY = re.compile(r'^(?P<module>(?:.*\.)?stage4\.\d+)\.fuse_layers\.(?P<out>\d+)\.')


def tolerated_mismatch(own: Mapping[str, torch.Tensor], missing: List[str],
                       unexpected: List[str]) -> Tuple[List[str], List[str], Dict[str, List[str]]]:
    """Takes out of ``missing``/``unexpected`` exactly what a checkpoint may lack or hold
    beyond a model that is otherwise the same network.

    * Fuse paths into outputs the model does not produce: an HRNetV1 net (pose,
      ``multiscale_output=False``) fuses the last stage-4 module into the high-resolution
      branch only, while an ImageNet (or HRNetV2) checkpoint of the same width holds the
      fuse paths into all four (78 tensors for W32).  The official pose code and MMPose
      drop them too.
    * ``num_batches_tracked`` BN counters absent from the checkpoint (InPlaceABN and
      torch < 0.4.1 checkpoints have none): they are unused unless BN ``momentum=None``;
      the model keeps its own.

    Returns ``(missing, unexpected, dropped)`` with ``dropped`` naming what was taken out
    under which reason.  Anything else (another width or model, a truncated file) stays.
    """
    outputs: Dict[str, set] = {}
    for key in own:
        match = _FUSE_KEY.match(key)
        if match:
            outputs.setdefault(match['module'], set()).add(int(match['out']))
    extra_fuse = []
    for key in unexpected:
        match = _FUSE_KEY.match(key)
        if match and match['module'] in outputs and \
                int(match['out']) > max(outputs[match['module']]):
            extra_fuse.append(key)
    counters = [k for k in missing if k.endswith('.num_batches_tracked')]
    dropped = {}
    if extra_fuse:
        dropped['fuse paths into outputs this HRNetV1 net does not produce'] = extra_fuse
    if counters:
        dropped['BN num_batches_tracked absent from the checkpoint (the model keeps its '
                'own)'] = counters
    skip = set(extra_fuse) | set(counters)
    return ([k for k in missing if k not in skip], [k for k in unexpected if k not in skip],
            dropped)


def log_tolerated(dropped: Dict[str, List[str]], source: str) -> None:
    """One log line saying what was left out of a load, and why."""
    if dropped:
        parts = '; '.join(f'{len(keys)} {why} (e.g. {keys[0]})' for why, keys in dropped.items())
        print_log(f'{source}: not loaded, as expected: {parts}', logger='current')


def mismatch_summary(missing, unexpected, mismatched, total: int, what: str) -> str:
    return (f'{len(missing)} missing, {len(unexpected)} unexpected, {len(mismatched)} '
            f'mis-shaped of {total} {what}.\n'
            f'  missing e.g.: {missing[:5]}\n  unexpected e.g.: {unexpected[:5]}\n'
            f'  mis-shaped e.g.: {mismatched[:3]}')


def load_backbone_weights(model: torch.nn.Module, checkpoint, allow_partial: bool = False,
                          source: str = 'checkpoint') -> Dict[str, List[str]]:
    """Loads a checkpoint's backbone tensors into an HRNet, refusing silent mismatches.

    Returns ``{'missing': [...], 'unexpected': [...], 'ignored': [...], 'dropped': {...}}``;
    ``ignored`` lists the head tensors that were recognised and left out, ``dropped`` what
    the model legitimately has no slot for (see :func:`tolerated_mismatch`; logged in one
    line).  Other missing or unexpected backbone tensors, or a shape mismatch, raise
    ``IncompatibleCheckpointError`` with a summary unless ``allow_partial`` is set (then
    only the matching tensors are loaded).
    """
    if isinstance(checkpoint, str):
        checkpoint = read_checkpoint(checkpoint)
    state, ignored = backbone_state_dict(checkpoint)
    own = model.state_dict()
    missing, unexpected, mismatched = state_dict_mismatch(
        own, state, fresh=tuple(getattr(model, 'fresh_prefixes', ())))
    missing, unexpected, dropped = tolerated_mismatch(own, missing, unexpected)
    if (missing or unexpected or mismatched) and not allow_partial:
        raise IncompatibleCheckpointError(
            f'{source} does not match this HRNet: ' +
            mismatch_summary(missing, unexpected, mismatched, len(own), 'backbone tensors') +
            '\nCheck that arch/extra (width, e.g. w32 vs w48) matches the checkpoint, or set '
            "allow_partial=True (init_cfg=dict(type='Pretrained', checkpoint=..., "
            'allow_partial=True)) to load only the matching tensors.')
    loadable = {k: v for k, v in state.items() if k in own and v.shape == own[k].shape}
    model.load_state_dict(loadable, strict=False)
    log_tolerated(dropped, source)
    return dict(missing=missing, unexpected=unexpected, ignored=ignored, dropped=dropped)


def check_model_matches(model: torch.nn.Module, checkpoint, source: str) -> None:
    """Refuses a whole-model checkpoint that does not fit ``model`` (the toolboxes' own
    ``init_model`` load with ``strict=False`` and would draw a partly random model); the
    differences :func:`tolerated_mismatch` accepts are accepted here too."""
    state = unwrap_state_dict(checkpoint)
    own = model.state_dict()
    missing, unexpected, mismatched = state_dict_mismatch(own, state)
    missing, unexpected, _ = tolerated_mismatch(own, missing, unexpected)
    if missing or unexpected or mismatched:
        raise IncompatibleCheckpointError(
            f'{source} does not match the model: ' +
            mismatch_summary(missing, unexpected, mismatched, len(own), 'model tensors') +
            '\nIt was probably written for another config (width, number of classes, head): '
            'use the checkpoint of this config.')


def read_checkpoint(path: str):
    """A checkpoint by path or name, read the way hrnet_mm reads them whether or not the
    shims are applied: local files and ``open-mmlab://msra/hrnet*`` names (a local copy)
    with :func:`~hrnet_mm.checkpoint_io.torch_load_trusted`; URLs and other names by
    mmengine's loader."""
    if '://' not in path:
        return torch_load_trusted(path, 'cpu')
    scheme, name = path.split('://', 1)
    if scheme in ('open-mmlab', 'openmmlab') and name.startswith(HRNET_OPENMMLAB_PREFIX):
        return torch_load_trusted(resolve_openmmlab(path), 'cpu')
    return CheckpointLoader.load_checkpoint(path, map_location='cpu', logger='current')


# -- open-mmlab://msra/hrnetv2_w* ------------------------------------------------------
def weights_dirs() -> List[str]:
    """Where local copies of the open-mmlab HRNet ImageNet checkpoints are looked for."""
    dirs = [d for d in os.environ.get(WEIGHTS_ENV, '').split(os.pathsep) if d]
    dirs.append(osp.join(torch.hub.get_dir(), 'checkpoints'))  # where mmengine downloads to
    return dirs


def resolve_openmmlab(name: str) -> str:
    """Local path of ``open-mmlab://msra/hrnetv2_w32`` & co, or a clear error.

    The OpenMMLab download host is unreliable, so these names never trigger a download:
    the file must already be in ``$HRNET_MM_WEIGHTS`` or torch's hub checkpoint folder
    (where an earlier mmengine download would have put it).
    """
    model_name = name.split('://', 1)[1]
    urls = get_external_models()
    if model_name not in urls:
        raise KeyError(f'{name} is not a known open-mmlab model name')
    filename = urls[model_name].rsplit('/', 1)[-1]
    for folder in weights_dirs():
        path = osp.join(folder, filename)
        if osp.isfile(path):
            return path
    raise FileNotFoundError(
        f'{name} is not available locally. Download {urls[model_name]} and save it as '
        f'{osp.join(weights_dirs()[-1], filename)} (or into a folder named by ${WEIGHTS_ENV}); '
        "to train from random init instead, set model.backbone.init_cfg=None.")


# -- official HRNet-Semantic-Segmentation checkpoints -----------------------------------
def convert_official_segmentation(checkpoint) -> Dict[str, torch.Tensor]:
    """Official seg HRNet (``model.`` prefix, ``last_layer`` head) -> mmseg FCNHead names.

    The official head is conv1x1(+bias) -> BN -> ReLU -> conv1x1(+bias); mmseg's FCNHead
    conv has no bias (a norm follows).  BN(conv(x) + b) equals BN'(conv(x)) with
    ``running_mean' = running_mean - b``, so the bias is folded into the BN statistics.
    """
    state = unwrap_state_dict(checkpoint)
    if not any(k.startswith('model.') for k in state):
        raise IncompatibleCheckpointError(
            "not an official HRNet segmentation checkpoint: no 'model.' keys")
    out: Dict[str, torch.Tensor] = OrderedDict()
    for key, value in state.items():
        if not key.startswith('model.'):
            continue  # e.g. 'loss.criterion.weight'
        key = key[len('model.'):]
        if key.startswith('last_layer.'):
            continue
        out['backbone.' + key] = value
    head = {k[len('model.last_layer.'):]: v for k, v in state.items()
            if k.startswith('model.last_layer.')}
    needed = ['0.weight', '1.weight', '1.bias', '1.running_mean', '1.running_var', '3.weight',
              '3.bias']
    absent = [k for k in needed if k not in head]
    if absent:
        raise IncompatibleCheckpointError(f'official seg head is missing last_layer.{absent}')
    conv_bias = head.get('0.bias', torch.zeros_like(head['1.running_mean']))
    out['decode_head.convs.0.conv.weight'] = head['0.weight']
    out['decode_head.convs.0.bn.weight'] = head['1.weight']
    out['decode_head.convs.0.bn.bias'] = head['1.bias']
    out['decode_head.convs.0.bn.running_mean'] = head['1.running_mean'] - conv_bias
    out['decode_head.convs.0.bn.running_var'] = head['1.running_var']
    if '1.num_batches_tracked' in head:
        out['decode_head.convs.0.bn.num_batches_tracked'] = head['1.num_batches_tracked']
    out['decode_head.conv_seg.weight'] = head['3.weight']
    out['decode_head.conv_seg.bias'] = head['3.bias']
    return out


# -- official HRNet pose and face checkpoints (whole models) ----------------------------
# The official heads map one to one onto MMPose's HeatmapHead as the hrnet_mm pose and
# face configs build it (no deconvolutions):
#   pose (deep-high-resolution-net.pytorch): final_layer = Conv2d(C, K, 1)
#   face (HRNet-Facial-Landmark-Detection): head = [Conv2d(270, 270, 1), BN, ReLU,
#       Conv2d(270, K, 1)], i.e. HeatmapHead(conv_out_channels=(270,), conv_kernel_sizes=(1,))
POSE_HEAD = {'final_layer.': 'head.final_layer.'}
FACE_HEAD = {'head.0.': 'head.conv_layers.0.', 'head.1.': 'head.conv_layers.1.',
             'head.3.': 'head.final_layer.'}


def _convert_with_head(checkpoint, head_map: Dict[str, str], what: str,
                       hint: str) -> Dict[str, torch.Tensor]:
    state = unwrap_state_dict(checkpoint)
    if any(k.startswith(('incre_modules.', 'classifier.')) for k in state):
        raise IncompatibleCheckpointError(
            f'this is an ImageNet classifier checkpoint, not an official {what} one: use it '
            "as the backbone init (init_cfg=dict(type='Pretrained', checkpoint=...)) or "
            'convert it with --source official')
    if any(k.startswith(('backbone.', 'model.')) for k in state):
        raise IncompatibleCheckpointError(
            f'not an official {what} checkpoint: its keys have a backbone./model. prefix '
            '(a toolbox zoo or official segmentation file); pick the matching --source')
    out: Dict[str, torch.Tensor] = OrderedDict()
    found = False
    for key, value in state.items():
        for old, new in head_map.items():
            if key.startswith(old):
                out[new + key[len(old):]] = value
                found = True
                break
        else:
            out['backbone.' + key] = value
    if not found:
        raise IncompatibleCheckpointError(
            f'not an official {what} checkpoint: no {sorted(head_map)} head tensors. {hint}')
    return out


def convert_official_pose(checkpoint) -> Dict[str, torch.Tensor]:
    """Official HRNet pose model (``final_layer`` 1x1 conv) -> MMPose TopdownPoseEstimator
    names (``backbone.*``, ``head.final_layer.*``), for the configs under configs/pose."""
    return _convert_with_head(checkpoint, POSE_HEAD, 'HRNet pose',
                              'Official pose files are pose_hrnet_w32_256x192.pth & co.')


def convert_official_face(checkpoint) -> Dict[str, torch.Tensor]:
    """Official HRNetV2 face model (``head.0/1/3``) -> MMPose names (``backbone.*``,
    ``head.conv_layers.{0,1}.*``, ``head.final_layer.*``), for the configs under configs/face."""
    return _convert_with_head(checkpoint, FACE_HEAD, 'HRNetV2 face landmark',
                              'Official face files are HR18-300W.pth & co.')


# How the official segmentation code's MODEL.ALIGN_CORNERS maps onto an mmseg config: it is
# used in the backbone's fusion, the head's input concatenation and the logits' resize.
SEG_ALIGN_CORNERS_KEYS = ('model.backbone.align_corners', 'model.decode_head.align_corners')
SEG_ALIGN_CORNERS_NOTE = (
    'align_corners is not stored in a checkpoint: it is the MODEL.ALIGN_CORNERS of the yaml '
    'the model was trained with (the HRNet-OCR branch: True for OCR, ADE20K and COCO-Stuff; '
    'the master branch\'s Cityscapes W48: False). The same weights run with the other '
    'setting give different logits (24% relative) and labels. The official code also '
    "upsamples once to the target size: use model.backbone.upsample_by='size'.")


def seg_overrides(align_corners: bool, decode_heads: int = 1) -> List[str]:
    """``--cfg-options`` that make an mmseg config run an official segmentation checkpoint
    trained with ``align_corners``: the fusion, every decode head and the one-resize fusion."""
    value = 'True' if align_corners else 'False'
    opts = [f'model.backbone.align_corners={value}', "model.backbone.upsample_by=size"]
    if decode_heads == 1:
        opts.append(f'model.decode_head.align_corners={value}')
    else:
        opts += [f'model.decode_head.{i}.align_corners={value}' for i in range(decode_heads)]
    return opts


SOURCES = ('official-seg', 'official-pose', 'official-face', 'official', 'timm',
           'mmpretrain', 'mmdet', 'mmseg', 'mmpose')


def convert_checkpoint(checkpoint, source: str) -> Dict[str, torch.Tensor]:
    """A state_dict that mmengine loads strictly into hrnet_mm models.

    ``source``: a whole official model (``'official-seg'``: an mmseg FCN segmentor;
    ``'official-pose'`` / ``'official-face'``: an MMPose top-down model), or any backbone
    source (``'official'``, ``'timm'``, ``'mmpretrain'``, ``'mmdet'``, ``'mmseg'``,
    ``'mmpose'``), which yields ``backbone.``-prefixed backbone tensors for ``load_from``.
    """
    if source == 'official-seg':
        return convert_official_segmentation(checkpoint)
    if source == 'official-pose':
        return convert_official_pose(checkpoint)
    if source == 'official-face':
        return convert_official_face(checkpoint)
    if source not in SOURCES:
        raise ValueError(f'unknown source {source!r}; choose one of {list(SOURCES)}')
    state, _ = backbone_state_dict(checkpoint)
    return OrderedDict(('backbone.' + k, v) for k, v in state.items())


def default_output_path(path: str, suffix: str = '_hrnet_mm') -> str:
    root, ext = osp.splitext(path)
    return f'{root}{suffix}{ext or ".pth"}'


def save_state_dict(state: Dict[str, torch.Tensor], path: str,
                    meta: Optional[dict] = None) -> None:
    """Writes atomically, so an interrupted conversion never leaves a half file behind."""
    buffer = io.BytesIO()
    torch.save({'state_dict': state, 'meta': meta or {}}, buffer)
    atomic_write_bytes(buffer.getvalue(), path)
