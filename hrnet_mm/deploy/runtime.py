"""Inference deployment: BN folding, fast CPU/GPU inference modes, ONNX export.

* :func:`fold_bn` -- an inference copy of any model (hrnet_mm's HRNet and HRFPN, toolbox
  backbones, whole mmdet/mmseg/mmpose models, timm) with every Conv+BN pair folded into
  the conv.
* :func:`optimize_for_inference` -- hrnet_mm's fastest measured inference mode: folded BN,
  channels_last and, optionally, ``torch.jit.freeze`` (CPU) or ``torch.compile``.
  ``docs/benchmarks.md`` holds the measurements behind the choice of default.
* :func:`export_onnx` / :func:`verify_onnx` -- ONNX export (backbone, or a whole
  segmentor in tensor mode via :class:`TensorModeWrapper`) checked with onnxruntime;
  :func:`model_part_from_config` builds what to export from a config (``tools/export_onnx.py``).
"""
import copy
import math
from typing import Callable, List, Optional, Sequence

import torch
import torch.nn as nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.conv import _ConvNd, _ConvTransposeNd
from torch.nn.utils.fusion import fuse_conv_bn_weights

__all__ = ['fold_bn', 'fold_conv_bn_', 'max_relative_error', 'optimize_for_inference',
           'OrtRunner', 'Int8OrtRunner', 'TensorModeWrapper',
           'export_onnx', 'verify_onnx', 'model_part_from_config', 'INFERENCE_BACKENDS',
           'EXPORT_PARTS']

INFERENCE_BACKENDS = ('eager', 'jit', 'compile', 'onnxruntime', 'onnxruntime-int8')


# -- BN folding ---------------------------------------------------------------------------
@torch.no_grad()
def fold_conv_bn_(conv: _ConvNd, bn: _BatchNorm) -> None:
    """Folds an eval-mode BN into the conv that feeds it (in place on ``conv``).

    ``bn(conv(x)) = g * (W x + b - mean) / sqrt(var + eps) + beta`` becomes a conv with
    ``W' = W * g / sqrt(var + eps)`` (per output channel) and ``b' = (b - mean) * g /
    sqrt(var + eps) + beta`` (``torch.nn.utils.fusion.fuse_conv_bn_weights``).  Computed
    in float64, stored in the conv's dtype.
    """
    if bn.running_mean is None or bn.running_var is None:
        raise ValueError(f'fold_bn: {type(bn).__name__} has no running statistics '
                         '(track_running_stats=False); it cannot be folded')
    if conv.weight.shape[1 if isinstance(conv, _ConvTransposeNd) else 0] * \
            (conv.groups if isinstance(conv, _ConvTransposeNd) else 1) != bn.num_features:
        raise ValueError(f'fold_bn: conv with {conv.weight.shape} does not feed a BN of '
                         f'{bn.num_features} features')
    transpose = isinstance(conv, _ConvTransposeNd)
    if transpose and conv.groups > 1:
        # Our own here: torch's fuse_conv_bn_weights scales a transposed weight's dim 1,
        # which holds the output channels only when groups == 1.
        scale = bn.running_var.double().add(bn.eps).rsqrt()
        if bn.weight is not None:
            scale = scale * bn.weight.double()
        shift = -bn.running_mean.double() * scale
        if bn.bias is not None:
            shift = shift + bn.bias.double()
        if conv.bias is not None:
            shift = shift + conv.bias.double() * scale
        weight, g = conv.weight.double(), conv.groups
        w = weight.reshape(g, weight.shape[0] // g, *weight.shape[1:])
        weight = (w * scale.reshape(g, 1, -1, *[1] * (weight.dim() - 2))).reshape(weight.shape)
    else:  # torch's formula, in float64 (the stored weights are rounded once)
        def f64(t):
            return None if t is None else t.double()
        weight, shift = fuse_conv_bn_weights(
            conv.weight.double(), f64(conv.bias), bn.running_mean.double(),
            bn.running_var.double(), bn.eps, f64(bn.weight), f64(bn.bias), transpose=transpose)
    conv.weight.copy_(weight.detach().to(conv.weight.dtype))
    shift = shift.detach()
    if conv.bias is None:
        conv.bias = nn.Parameter(shift.to(conv.weight.dtype), requires_grad=False)
    else:
        conv.bias.copy_(shift.to(conv.bias.dtype))


def _norm_for(parent: nn.Module, conv_name: str) -> Optional[str]:
    """Name of the BN child that directly normalises child ``conv_name`` in ``parent``.

    Only pairings whose dataflow is known are accepted:

    * ``nn.Sequential``: a conv immediately followed by a BN;
    * mmcv ``ConvModule``: ``conv`` and its norm when ``order`` puts the norm right after
      the conv;
    * the residual-block / stem naming used by hrnet_mm, the toolboxes, torchvision and
      timm: ``convK`` feeds ``bnK`` or ``normK`` (or the norm named by ``normK_name``).
    """
    children = dict(parent.named_children())
    if isinstance(parent, nn.Sequential):
        names = list(children)
        k = names.index(conv_name)
        if k + 1 < len(names) and isinstance(children[names[k + 1]], _BatchNorm):
            return names[k + 1]
        return None
    order = getattr(parent, 'order', None)
    if conv_name == 'conv' and isinstance(order, tuple) and getattr(parent, 'with_norm', False):
        if 'norm' in order and order.index('norm') == order.index('conv') + 1:
            name = getattr(parent, 'norm_name', None)
            return name if isinstance(children.get(name), _BatchNorm) else None
        return None
    if conv_name.startswith('conv') and conv_name[4:].isdigit():
        k = conv_name[4:]
        for name in (getattr(parent, f'norm{k}_name', None), f'bn{k}', f'norm{k}'):
            if name is not None and isinstance(children.get(name), _BatchNorm):
                return name
    return None


def fold_bn(model: nn.Module, inplace: bool = False) -> nn.Module:
    """Returns an eval-mode copy of ``model`` with every Conv+BN pair folded.

    Works recursively on any module tree (HRNet, HRFPN, whole toolbox models); each folded
    BN is replaced by ``nn.Identity`` and its conv gains a bias.  BNs whose input is not
    known to be a conv's output (see ``_norm_for``) stay as they are, in eval mode.  The
    result is for inference only: running it in training mode raises.  ``inplace=True``
    folds ``model`` itself instead of a deep copy.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f'fold_bn: expected an nn.Module, got {type(model).__name__}')
    folded = model if inplace else copy.deepcopy(model)
    folded.eval()
    count = 0
    for parent in list(folded.modules()):
        for name, child in list(parent.named_children()):
            if not isinstance(child, _ConvNd):
                continue
            norm_name = _norm_for(parent, name)
            if norm_name is None:
                continue
            fold_conv_bn_(child, getattr(parent, norm_name))
            setattr(parent, norm_name, nn.Identity())
            count += 1
    folded.folded_bn_count = count
    if not getattr(folded, '_fold_bn_guard', False):
        folded.register_forward_pre_hook(_refuse_training)
        folded._fold_bn_guard = True
    return folded


def _refuse_training(module, args):
    if module.training:
        raise RuntimeError('this model has its BatchNorms folded (hrnet_mm.deploy.fold_bn) and '
                           'is for inference only: call .eval(), or train the original model')


# -- fast inference -----------------------------------------------------------------------
def optimize_for_inference(model: nn.Module, example: Optional[torch.Tensor] = None,
                           backend: str = 'eager', channels_last: bool = True,
                           compile_kwargs: Optional[dict] = None,
                           calibration: Optional[Sequence[torch.Tensor]] = None,
                           min_cosine: float = 0.999,
                           mirror_calibration: bool = False) -> Callable:
    """hrnet_mm's inference mode: folded BN, channels_last, optional graph backend.

    Args:
        model: any model taking one image tensor (e.g. hrnet_mm's HRNet); not modified.
        example: an input like the real ones; required for ``'jit'`` (tracing) and
            ``'onnxruntime'`` (export; other sizes work too, the axes are dynamic).
        backend: ``'eager'`` (folded BN + layout only), ``'jit'`` (``torch.jit.trace`` +
            ``torch.jit.freeze``; fixed input rank), ``'compile'`` (``torch.compile``;
            on CPU with inductor's weight freezing unless ``compile_kwargs`` says
            otherwise), ``'onnxruntime'`` (ONNX export run by onnxruntime on the CPU,
            verified against the model on ``example`` first) or ``'onnxruntime-int8'``
            (that export statically quantised to int8 by onnxruntime, calibrated on
            ``calibration``; see :class:`Int8OrtRunner`).
        channels_last: convert weights (and, in the returned callable, inputs) to NHWC,
            which oneDNN (CPU) and cuDNN tensor cores prefer.
        calibration: for ``'onnxruntime-int8'``, a few real inputs as deployed (any
            sizes), preprocessed as the model's own; the last is held out for the check.
        min_cosine: for ``'onnxruntime-int8'``, the least cosine similarity with fp32 on
            the held-out input; below it the int8 model is refused.
        mirror_calibration: for ``'onnxruntime-int8'``, also calibrate on the horizontal
            mirror of every calibration input (not the held-out one): for models run on
            flipped inputs too, as a flip-tested pose estimator is.

    Returns a callable ``f(x)`` with the model's outputs; inputs are converted to the
    chosen layout inside, so callers pass ordinary tensors.
    """
    if backend not in INFERENCE_BACKENDS:
        raise ValueError(f'optimize_for_inference: backend={backend!r}; choose one of '
                         f'{list(INFERENCE_BACKENDS)}')
    folded = fold_bn(model)
    for param in folded.parameters():
        param.requires_grad_(False)
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    if channels_last:
        folded = folded.to(memory_format=fmt)
    if backend in ('jit', 'onnxruntime') and example is None:
        raise ValueError(f"optimize_for_inference: backend='{backend}' traces the model and "
                         'needs `example`, an input tensor of the real shape')
    if backend == 'eager':
        runner = folded
    elif backend == 'compile':
        if compile_kwargs is None and next(folded.parameters()).device.type == 'cpu':
            # Inductor's freezing pre-packs the conv weights for oneDNN and fuses the
            # ReLUs and residual adds into the convs: most of the CPU speedup.
            compile_kwargs = dict(options={'freezing': True})
        runner = torch.compile(folded, **(compile_kwargs or {}))
    elif backend == 'onnxruntime':
        runner = OrtRunner(folded, example)
    elif backend == 'onnxruntime-int8':
        runner = Int8OrtRunner(folded, calibration or [], min_cosine,
                               mirror_calibration=mirror_calibration)
    else:
        example = example.contiguous(memory_format=fmt)
        with torch.no_grad():
            traced = torch.jit.trace(folded, example, strict=False, check_trace=False)
            runner = torch.jit.freeze(traced.eval())
            # TorchScript's profiling executor specialises the graph (fusing ops) on its
            # first two runs; run them here, so the first real call is already fast.
            for _ in range(2):
                runner(example)

    def infer(x: torch.Tensor):
        with torch.no_grad():
            return runner(x.contiguous(memory_format=fmt))

    infer.module = folded
    infer.backend = backend
    infer.cosine = getattr(runner, 'cosine', None)  # int8: the held-out check's figure
    return infer


class OrtRunner:
    """An exported model run by onnxruntime behind the PyTorch call convention.

    Takes and returns CPU tensors, with the model's output container (tensor, list or
    tuple).  The export has dynamic batch/height/width and is checked against the model
    on ``example`` (<= 1e-4 relative) before it is used.
    """

    def __init__(self, model: nn.Module, example: torch.Tensor, threads: Optional[int] = None):
        import os
        import tempfile
        with torch.no_grad():
            out = model(example)
        self.container = None if isinstance(out, torch.Tensor) else type(out)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, 'model.onnx')
            export_onnx(model, path, tuple(example.shape), fold=False, dynamic=True)
            self.session = ort_session(path, threads)
        verify_onnx(None, model, example.contiguous(), session=self.session)
        self.input_name = self.session.get_inputs()[0].name

    def __call__(self, x: torch.Tensor):
        outs = [torch.from_numpy(o) for o in self.session.run(
            None, {self.input_name: x.detach().cpu().contiguous().numpy()})]
        return outs[0] if self.container is None else self.container(outs)


class Int8OrtRunner:
    """The model exported, statically quantised to int8 and run by onnxruntime.

    ``calibration``: a few real inputs, preprocessed as the model's own (normalised images
    as the deployment sees them; their sizes may differ, as a keep-ratio pipeline's do);
    the last one is held out and the int8 outputs are compared with fp32 on it
    (``cosine`` keeps the figure).  Refuses to build below ``min_cosine``.  The graph has
    dynamic height and width, so it runs at any size; the activation ranges it was
    calibrated with are per tensor and do not depend on the size.
    ``mirror_calibration``: also calibrate on the calibration inputs' horizontal mirrors
    (see :func:`hrnet_mm.deploy.int8.with_mirrors`); the held-out input stays unseen.
    """

    def __init__(self, model: nn.Module, calibration: Sequence[torch.Tensor],
                 min_cosine: float = 0.999, threads: Optional[int] = None,
                 mirror_calibration: bool = False):
        import os
        import tempfile

        from .int8 import cosine_similarity, quantize_static_onnx, with_mirrors
        calibration = list(calibration)
        if len(calibration) < 2:
            raise ValueError("optimize_for_inference(backend='onnxruntime-int8'): give "
                             '`calibration`, at least 2 real preprocessed inputs (the last '
                             f'is held out for the accuracy check); got {len(calibration)}')
        channels = {tuple(x.shape[:2]) for x in calibration}
        if len(channels) != 1 or any(x.dim() != 4 for x in calibration):
            raise ValueError('optimize_for_inference: the calibration inputs must be N, C, H, '
                             'W tensors of one batch size and channel count (their sizes may '
                             f'differ); got {sorted(tuple(x.shape) for x in calibration)}')
        held_out, fit = calibration[-1], calibration[:-1]
        if mirror_calibration:
            fit = with_mirrors(fit)
        with torch.no_grad():
            out = model(held_out)
        self.container = None if isinstance(out, torch.Tensor) else type(out)
        with tempfile.TemporaryDirectory() as tmp:
            fp32_path, int8_path = os.path.join(tmp, 'fp32.onnx'), os.path.join(tmp, 'int8.onnx')
            export_onnx(model, fp32_path, tuple(held_out.shape), fold=False, dynamic=True)
            quantize_static_onnx(fp32_path, int8_path, fit)
            self.session = ort_session(int8_path, threads)
        self.input_name = self.session.get_inputs()[0].name
        self.cosine = cosine_similarity(self(held_out), out)
        if not self.cosine >= min_cosine:
            raise AssertionError(
                f'int8 outputs have cosine similarity {self.cosine:.5f} with fp32 on a '
                f'held-out input, below min_cosine={min_cosine}: calibrate on more (or more '
                'typical) images, or deploy in fp32 (backend=\'onnxruntime\')')

    def __call__(self, x: torch.Tensor):
        outs: List[torch.Tensor] = [torch.from_numpy(o) for o in self.session.run(
            None, {self.input_name: x.detach().cpu().contiguous().numpy()})]
        return outs[0] if self.container is None else self.container(outs)


# -- ONNX -----------------------------------------------------------------------------------
class TensorModeWrapper(nn.Module):
    """``model(x, mode='tensor')`` as a plain ``forward(x)``, for OpenMMLab models.

    For an mmseg ``EncoderDecoder`` the output is the decode head's logits (1/4 of the
    input resolution for HRNetV2 + FCNHead); for a backbone or neck it is passed through.
    """

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x):
        # data_samples by keyword: MMPose's forward has no default for it
        out = self.model(x, data_samples=None, mode='tensor')
        return tuple(out) if isinstance(out, list) else out


def export_onnx(model: nn.Module, path: str, input_shape: Sequence[int] = (1, 3, 512, 512),
                opset: int = 17, fold: bool = True, dynamic: bool = False,
                tensor_mode: Optional[bool] = None) -> List[str]:
    """Exports ``model`` (eval mode) to ONNX; returns the output names.

    Args:
        model: an HRNet, an HRNet + neck, or a whole OpenMMLab model (mmseg
            ``EncoderDecoder`` & co, exported in ``mode='tensor'``).
        path: the ``.onnx`` file to write.
        input_shape: N, C, H, W of the example input used for export.
        opset: ONNX opset (17 works with onnxruntime >= 1.14).
        fold: fold BN first (onnxruntime folds it too, but the file gets smaller).
        dynamic: mark batch, height and width as dynamic axes.
        tensor_mode: wrap with :class:`TensorModeWrapper`; default: when the model's
            forward has a ``mode`` argument (mmengine ``BaseModel``).
    """
    if len(input_shape) != 4:
        raise ValueError(f'export_onnx: input_shape must be (N, C, H, W), got {input_shape}')
    import inspect
    net = fold_bn(model) if fold else copy.deepcopy(model).eval()
    if tensor_mode is None:
        tensor_mode = 'mode' in inspect.signature(net.forward).parameters
    if tensor_mode:
        net = TensorModeWrapper(net).eval()
    x = torch.randn(*input_shape)
    with torch.no_grad():
        out = net(x)
    num_outputs = len(out) if isinstance(out, (list, tuple)) else 1
    names = [f'out{k}' for k in range(num_outputs)]
    axes = None
    if dynamic:
        axes = {'input': {0: 'batch', 2: 'height', 3: 'width'}}
        axes.update({n: {0: 'batch', 2: f'{n}_height', 3: f'{n}_width'} for n in names})
    import warnings
    with warnings.catch_warnings(), torch.no_grad():
        # The TorchScript-based exporter is deprecated but needs no extra package
        # (the torch.export-based one needs onnxscript) and handles HRNet fully.
        warnings.simplefilter('ignore', DeprecationWarning)
        warnings.simplefilter('ignore', torch.jit.TracerWarning)
        torch.onnx.export(net, (x, ), path, dynamo=False, opset_version=opset,
                          input_names=['input'], output_names=names, dynamic_axes=axes,
                          do_constant_folding=True)
    return names


def max_relative_error(got, expected) -> float:
    """``max |a - b| / max |b|`` over the worst of the outputs (inf when their number or
    shapes differ).  Our own rather than ``torch.testing.assert_close``: that one checks
    element by element and returns no number, and this scale-relative number is what the
    equivalence claims and docs/benchmarks.md report."""
    got, expected = _as_list(got), _as_list(expected)
    if len(got) != len(expected):
        return math.inf
    worst = 0.0
    for a, b in zip(got, expected):
        if a.shape != b.shape:
            return math.inf
        a, b = a.float(), b.float()
        worst = max(worst, ((a - b).abs().max() / b.abs().max().clamp_min(1e-12)).item())
    return worst


def _as_list(out) -> List[torch.Tensor]:
    if isinstance(out, torch.Tensor):
        return [out]
    return [t for t in out]


def ort_session(path: str, threads: Optional[int] = None):
    """An onnxruntime CPU session (``threads`` intra-op threads; default: torch's)."""
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or torch.get_num_threads()
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(path, options, providers=['CPUExecutionProvider'])


def verify_onnx(path: Optional[str], model: nn.Module, x: torch.Tensor, rtol: float = 1e-4,
                session=None) -> float:
    """Runs the ONNX file (or an open ``session``) in onnxruntime and compares with
    ``model`` (eval) on ``x``.

    Returns the largest relative error (max |a - b| / max |b| per output); raises
    ``AssertionError`` above ``rtol``.
    """
    import inspect
    net = copy.deepcopy(model).eval()
    if 'mode' in inspect.signature(net.forward).parameters:
        net = TensorModeWrapper(net).eval()
    with torch.no_grad():
        expected = _as_list(net(x))
    session = session or ort_session(path)
    got = session.run(None, {session.get_inputs()[0].name: x.numpy()})
    if len(got) != len(expected):
        raise AssertionError(f'verify_onnx: {len(got)} ONNX outputs vs {len(expected)}')
    for k, (a, b) in enumerate(zip(got, expected)):
        if tuple(a.shape) != tuple(b.shape):
            raise AssertionError(f'verify_onnx: output {k} shape {tuple(a.shape)} vs '
                                 f'{tuple(b.shape)}')
    worst = max_relative_error([torch.from_numpy(a) for a in got], expected)
    if worst > rtol:
        raise AssertionError(f'verify_onnx: relative error {worst:.2e} > {rtol:.0e}')
    return worst


# -- from a config --------------------------------------------------------------------------
class _Features(nn.Sequential):
    """backbone -> neck, as one module taking the (normalised) image."""


EXPORT_PARTS = ('model', 'backbone', 'features')


def model_part_from_config(cfg, checkpoint: Optional[str] = None, part: str = 'model'
                           ) -> nn.Module:
    """The part of a config's model to deploy, in eval mode, on the CPU.

    ``part``: ``'model'`` (the whole network in ``mode='tensor'``: a segmentor's logits, a
    pose estimator's heatmaps, a detector's raw head outputs), ``'backbone'``, or
    ``'features'`` (backbone + neck, what a detector's heads consume; the RoI heads of
    two-stage detectors use mmcv ops that ONNX cannot express).  The input is the image
    after the model's data preprocessor (normalised, padded), as in tensor mode.

    The backbone's ``init_cfg`` is dropped (the checkpoint carries the trained weights);
    without a checkpoint the weights are random, which is enough to check an export.
    """
    from hrnet_mm.apis import build_model
    if part not in EXPORT_PARTS:
        raise ValueError(f'part={part!r}; choose one of {list(EXPORT_PARTS)}')
    model, _ = build_model(cfg, checkpoint)
    if part == 'model':
        return model
    if not hasattr(model, 'backbone'):
        raise ValueError(f'part={part!r}: the config\'s model ({type(model).__name__}) has no '
                         "backbone; use part='model'")
    if part == 'backbone' or getattr(model, 'neck', None) is None:
        return model.backbone
    return _Features(model.backbone, model.neck).eval()
