"""Mixed-precision training on the CPU: the feature extractor in bf16 inside mmengine's Runner.

mmengine's ``AmpOptimWrapper`` (0.10.x) asserts a CUDA/NPU/MLU/MUSA device in its
``__init__``, so a CPU run cannot use autocast through it.  ``CPUAutocastOptimWrapper`` is
the plain ``OptimWrapper`` with the model's ``extract_feat`` (backbone and neck: where an
HRNet model's work is) under ``torch.autocast('cpu', dtype=torch.bfloat16)`` and its outputs
returned in fp32, so heads, box operations and losses run in fp32 as without it.  Why not
the whole forward: mmdet casts RoIs to the features' dtype (``rois.type_as(feats[0])``),
and bf16's 8-bit mantissa puts box corners 4-8 px apart at 800-1333 px; mmcv 2.1.0's CPU
``nms`` / ``roi_align`` take fp32 only besides.  bf16 keeps fp32's exponent range, so
gradients need no loss scaling; parameters, gradients and optimiser state stay fp32.  It
pays only on CPUs with bf16 instructions (AVX512-BF16 or AMX): elsewhere oneDNN emulates
bf16 and the step runs slower than fp32.

Registered as ``hrnet_mm.CPUAutocastOptimWrapper`` by :mod:`hrnet_mm.registry`;
``tools/train.py --amp`` picks it on a machine without an accelerator.  Importing this
module registers nothing.
"""
import warnings
from contextlib import contextmanager

import torch
from mmengine.optim import OptimWrapper

from ..errors import ConfigError

BF16 = ('bfloat16', 'bf16', torch.bfloat16)


def cpu_has_bf16() -> bool:
    """Whether this CPU runs bf16 convolutions natively (oneDNN's own test)."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):  # a torch built without oneDNN
        return False


class CPUAutocastOptimWrapper(OptimWrapper):
    """``OptimWrapper`` whose forward pass runs under CPU bf16 autocast.

    Args:
        dtype: the autocast dtype; only ``'bfloat16'``: fp16 on the CPU has no fast kernels
            and would need loss scaling.
        **kwargs: ``OptimWrapper``'s (``optimizer``, ``accumulative_counts``, ``clip_grad``).
    """

    def __init__(self, dtype='bfloat16', **kwargs):
        if dtype not in BF16:
            raise ConfigError(
                f"optim_wrapper.dtype={dtype!r}: CPUAutocastOptimWrapper runs bf16 autocast "
                "only (fp16 has no fast CPU kernels and needs loss scaling); set "
                "dtype='bfloat16' or drop the field")
        if 'loss_scale' in kwargs:
            raise ConfigError(
                'optim_wrapper.loss_scale: CPUAutocastOptimWrapper takes no loss scale (bf16 '
                "has fp32's exponent range); drop the field, it is AmpOptimWrapper's")
        super().__init__(**kwargs)
        if not cpu_has_bf16():
            warnings.warn('CPUAutocastOptimWrapper: this CPU has no bf16 instructions '
                          '(AVX512-BF16 or AMX), so bf16 autocast runs slower than fp32 '
                          'here; train with OptimWrapper instead', stacklevel=2)

    @contextmanager
    def optim_context(self, model: torch.nn.Module):
        # CPU autocast leaves a GPU model's ops in fp32: silently no mixed precision.
        param = next(model.parameters(), None)
        if param is not None and param.device.type != 'cpu':
            raise ConfigError(
                f'optim_wrapper.type=CPUAutocastOptimWrapper autocasts CPU ops, but the model '
                f"is on {param.device.type}: use type='AmpOptimWrapper' there "
                "(dtype='bfloat16' for bf16)")
        extract_feat = getattr(model, 'extract_feat', None)
        if not callable(extract_feat):
            raise ConfigError(
                f'optim_wrapper.type=CPUAutocastOptimWrapper runs a model\'s extract_feat in '
                f'bf16; {type(model).__name__} has none: train it with OptimWrapper')

        def bf16_extract_feat(*args, **kwargs):
            with torch.autocast('cpu', dtype=torch.bfloat16):
                feats = extract_feat(*args, **kwargs)
            return to_fp32(feats)

        own = vars(model).get('extract_feat', None)  # an instance attribute already there
        with super().optim_context(model):
            model.extract_feat = bf16_extract_feat  # for this step only
            try:
                yield
            finally:
                if own is None:
                    del model.extract_feat
                else:
                    model.extract_feat = own


def to_fp32(feats):
    """bf16 tensors of a (nested) tuple / list / dict of features as fp32 (others as-is)."""
    if torch.is_tensor(feats):
        return feats.float() if feats.dtype == torch.bfloat16 else feats
    if isinstance(feats, tuple) and hasattr(feats, '_fields'):  # a namedtuple
        return type(feats)(*(to_fp32(f) for f in feats))
    if isinstance(feats, (tuple, list)):
        return type(feats)(to_fp32(f) for f in feats)
    if isinstance(feats, dict):
        return type(feats)((k, to_fp32(v)) for k, v in feats.items())
    return feats
