"""Side-by-side speed of hrnet_mm's HRNet and every other HRNet a user could pick.

Peers: MMDetection's, MMSegmentation's and MMPose's built-in HRNet and timm's
``hrnet_w*`` (``features_only``, raw branch outputs).  Every model gets the *same*
weights (hrnet_mm's state_dict, randomised BN statistics, loaded strictly) and the same
inputs; before anything is timed, each peer's outputs are compared with hrnet_mm's,
configured the peer's way (MMSeg fuses with bilinear upsampling, the others nearest), so
nothing fast-but-wrong is timed.  Runs alternate between models (A B C A B C ...), after
warm-up, and the median is reported.

A *mode* is how a model is run: memory format (NCHW or channels_last), autocast dtype,
``torch.compile``, BN folded (``hrnet_mm.deploy.fold_bn``, which works on every peer too),
and hrnet_mm's own inference path (``hrnet_mm.deploy.optimize_for_inference``).  Each
model is reported in every mode asked for and compared in its best one.

``tools/benchmark.py`` is the command line; it also writes ``docs/benchmarks.md``.
"""
import copy
import math
import os
import platform
import statistics
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from torch.nn.modules.batchnorm import _BatchNorm

from .markdown import markdown_table

# (height, width) of the three workloads HRNet is used for.  'seg+head' and 'det+neck'
# time the backbone with what follows it in the toolbox, where hrnet_mm's exact rewrites
# are: the HRNetV2 decode head (hrnet_mm's HRNetV2Head against mmseg's FCNHead with
# resize_concat, the head every peer's HRNet is used with) and HRNetV2p's HRFPN (against
# mmdet's), same weights; the other tasks time the backbone alone.
SHAPES: Dict[str, Tuple[int, int]] = {
    'pose': (256, 192),
    'seg': (512, 1024),
    'det': (800, 1344),
    'seg+head': (512, 1024),
    'det+neck': (800, 1344),
}
SEG_CLASSES = 19  # Cityscapes
AFTER = {'seg+head': 'decode head', 'det+neck': 'neck'}  # what each such task adds
PEERS = ('mmdet', 'mmseg', 'mmpose', 'timm')
MODELS = ('hrnet_mm', ) + PEERS
AGREEMENT_RTOL = 1e-4
# The int8 path is timed when its cosine with fp32 on a held-out real image is at least
# INT8_MIN_COSINE (below it the path is broken, not imprecise) and shown beside the time;
# below INT8_TARGET_COSINE (what optimize_for_inference asks by default) it is marked so.
INT8_MIN_COSINE = 0.99
INT8_TARGET_COSINE = 0.999


# -- models --------------------------------------------------------------------------------
def _extra(width: int) -> dict:
    from hrnet_mm.models.backbones.hrnet import ARCH_SETTINGS
    arch = f'w{width}'
    if arch not in ARCH_SETTINGS:
        raise ValueError(f'benchmark: no HRNet preset {arch!r}; widths: '
                         f'{sorted(int(a[1:]) for a in ARCH_SETTINGS if a[1:].isdigit())}')
    return {k: dict(v) for k, v in copy.deepcopy(ARCH_SETTINGS[arch]).items()}


def upsample_of(name: str) -> str:
    """The fusion upsampling each implementation uses (hrnet_mm matches it per peer)."""
    return 'bilinear' if name == 'mmseg' else 'nearest'


def build_hrnet_mm(width: int, upsample: str = 'nearest') -> nn.Module:
    from hrnet_mm.models import HRNet
    return HRNet(arch=f'w{width}', upsample_mode=upsample)


def build_peer(name: str, width: int) -> nn.Module:
    """The peer's own HRNet class (not the registry name, which hrnet_mm overrides)."""
    extra = _extra(width)
    if name == 'mmdet':
        from mmdet.models.backbones.hrnet import HRNet as MMDetHRNet
        return MMDetHRNet(extra=extra, norm_eval=False)
    if name == 'mmseg':
        from mmseg.models.backbones.hrnet import HRNet as MMSegHRNet
        return MMSegHRNet(extra=extra, norm_eval=False)
    if name == 'mmpose':
        from mmpose.models.backbones.hrnet import HRNet as MMPoseHRNet
        extra['stage4']['multiscale_output'] = True  # all four branches, like the others
        return MMPoseHRNet(extra=extra)
    if name == 'timm':
        import timm
        return timm.create_model(f'hrnet_w{width}', pretrained=False, features_only=True,
                                 feature_location='', out_indices=(1, 2, 3, 4))
    raise ValueError(f'benchmark: unknown model {name!r}; choose from {list(MODELS)}')


def build_after(task: str, name: str, width: int) -> Optional[nn.Module]:
    """The head or neck a task times after the backbone: hrnet_mm's own for hrnet_mm (and
    for the agreement references), the toolbox's for every peer; ``None`` for the
    backbone-only tasks."""
    channels = [width * 2**k for k in range(4)]
    if task == 'seg+head':
        cfg = dict(in_channels=channels, in_index=(0, 1, 2, 3), channels=sum(channels),
                   input_transform='resize_concat', kernel_size=1, num_convs=1,
                   concat_input=False, dropout_ratio=-1, num_classes=SEG_CLASSES,
                   norm_cfg=dict(type='BN'), align_corners=False)
        if name == 'hrnet_mm':
            from hrnet_mm.models.heads import HRNetV2Head
            return HRNetV2Head(**cfg)
        from mmseg.models.decode_heads.fcn_head import FCNHead
        return FCNHead(**cfg)
    if task == 'det+neck':
        if name == 'hrnet_mm':
            from hrnet_mm.models.necks import HRFPN
            return HRFPN(in_channels=channels, out_channels=256)
        from mmdet.models.necks.hrfpn import HRFPN as MMDetHRFPN
        return MMDetHRFPN(in_channels=channels, out_channels=256)
    if task not in SHAPES:
        raise ValueError(f'benchmark: unknown task {task!r}; choose from {list(SHAPES)}')
    return None


class WithHead(nn.Module):
    """A backbone and the head or neck that takes its branch outputs."""

    def __init__(self, backbone: nn.Module, after: nn.Module):
        super().__init__()
        self.backbone = backbone
        self.after = after

    def extract_feat(self, x):  # what CPUAutocastOptimWrapper runs in bf16 (the --amp mode)
        return self.backbone(x)

    def forward(self, x):
        feats = self.extract_feat(x)
        return feats if self.after is None else self.after(tuple(feats))


def randomize(model: nn.Module, seed: int = 0) -> nn.Module:
    """Kaiming conv weights (as the toolboxes init them, without their per-tensor log) and
    non-trivial BN statistics, so the agreement check exercises every term."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu',
                                        generator=gen)
            elif isinstance(m, _BatchNorm):
                m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=gen) * 0.1)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=gen) + 0.5)
                m.weight.copy_(torch.rand(m.weight.shape, generator=gen) + 0.5)
                m.bias.copy_(torch.randn(m.bias.shape, generator=gen) * 0.1)
    return model


def build_models(width: int, names: Sequence[str] = MODELS, seed: int = 0,
                 task: str = 'seg') -> Tuple[Dict[str, nn.Module], Dict[str, nn.Module]]:
    """``(models, references)``: every model with hrnet_mm's weights, and for each peer
    the hrnet_mm model configured the peer's way (the agreement reference).  For a task
    with a head or neck, every model carries one (:func:`build_after`), same weights."""
    def with_after(backbone, name):
        after = build_after(task, name, width)
        return backbone if after is None else WithHead(backbone, after)

    base = randomize(with_after(build_hrnet_mm(width), 'hrnet_mm'), seed)
    state = base.state_dict()
    models, references = {}, {}
    for name in names:
        if name == 'hrnet_mm':
            model = base
        else:
            model = with_after(build_peer(name, width), name)
            model.load_state_dict(state, strict=True)
        model.eval()  # not chained: MMDet's eval() returns None
        models[name] = model
        ref = with_after(build_hrnet_mm(width, upsample_of(name)), 'hrnet_mm')
        ref.load_state_dict(state, strict=True)
        references[name] = ref.eval()
    return models, references


def as_list(out) -> List[torch.Tensor]:
    if isinstance(out, torch.Tensor):
        return [out]
    return list(out)


def relative_error(got, expected) -> float:
    """max |a - b| / max |b| over the worst output (the deploy path's own measure)."""
    from hrnet_mm.deploy import max_relative_error
    return max_relative_error(got, expected)


@torch.no_grad()
def check_agreement(models: Dict[str, nn.Module], references: Dict[str, nn.Module],
                    x: torch.Tensor) -> Tuple[Dict[str, float], Dict[str, str]]:
    """``(errors, failures)``: the relative error of every model against hrnet_mm
    configured its way (eval, fp32), and the models that cannot run ``x`` at all (MMDet's
    and MMPose's copies need sides divisible by 32) with their error message."""
    errors, failures = {}, {}
    for name, model in models.items():
        model.eval()
        try:
            out = model(x)
        except RuntimeError as exc:
            failures[name] = str(exc).splitlines()[0][:160]
            continue
        errors[name] = relative_error(out, references[name].eval()(x))
    return errors, failures


# -- modes -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Mode:
    """How a model is run.  ``deploy``: hrnet_mm's ``optimize_for_inference`` path."""
    channels_last: bool = False
    dtype: str = 'fp32'            # 'fp32' or 'bf16' (autocast)
    compile: bool = False
    fold_bn: bool = False
    with_cp: bool = False          # gradient checkpointing of the residual blocks
    deploy: Optional[str] = None   # None or a hrnet_mm.deploy.INFERENCE_BACKENDS entry
    # Training as `tools/train.py --amp` on a CPU: hrnet_mm's CPUAutocastOptimWrapper, the
    # backbone in bf16, the head or neck and the loss in fp32.
    cpu_amp: bool = False

    @property
    def label(self) -> str:
        if self.deploy:
            parts = [f'deploy[{self.deploy}]']
        else:
            parts = ['channels_last' if self.channels_last else 'NCHW']
            if self.fold_bn:
                parts.append('BN folded')
            if self.with_cp:
                parts.append('with_cp')
            if self.compile:
                parts.append('compiled')
            if self.cpu_amp:
                parts.append('--amp (bf16 backbone)')
        if self.dtype != 'fp32':
            parts.append(self.dtype)
        return ' + '.join(parts)


def autocast(device: torch.device, dtype: str):
    if dtype == 'fp32':
        return torch.autocast(device.type, enabled=False)
    if dtype == 'bf16':
        return torch.autocast(device.type, dtype=torch.bfloat16)
    raise ValueError(f"benchmark: dtype={dtype!r}; choose 'fp32' or 'bf16'")


# The int8 path is calibrated on real images (the demo data's scenes and faces); the last
# one is held out for its cosine check against fp32.
CALIBRATION_GLOBS = ('seg/img_dir/train/*.jpg', 'face/images/*.jpg')


def calibration_inputs(shape: Sequence[int], demo_root: Optional[str] = None
                       ) -> List[torch.Tensor]:
    """The demo images as normalised inputs of ``shape`` (N, 3, H, W): N images each."""
    import glob

    from hrnet_mm.deploy.int8 import images_as_inputs
    root = demo_root or os.environ.get('HRNET_MM_DEMO_ROOT', 'data/demo')
    paths = sorted(p for g in CALIBRATION_GLOBS for p in glob.glob(os.path.join(root, g)))
    n = shape[0]
    if len(paths) < 2 * n:
        raise FileNotFoundError(
            f'benchmark: the int8 path calibrates on the demo images ({", ".join(CALIBRATION_GLOBS)}'
            f' under {root}); found {len(paths)}: run python tools/prepare_demo_data.py')
    images = images_as_inputs(paths, shape[2:])
    return [torch.cat(images[k:k + n]) for k in range(0, len(images) - n + 1, n)]


def prepare(model: nn.Module, mode: Mode, train: bool, device: torch.device,
            example: torch.Tensor) -> Callable[[torch.Tensor], object]:
    """A callable ``f(x)`` running ``model`` (a private copy) in ``mode``."""
    from hrnet_mm.deploy import fold_bn, optimize_for_inference
    fmt = torch.channels_last if (mode.channels_last or mode.deploy) else torch.contiguous_format
    if mode.deploy:
        if train:
            raise ValueError('benchmark: the deploy mode is for inference only')
        if mode.deploy == 'onnxruntime' and device.type != 'cpu':
            raise ValueError('benchmark: the onnxruntime deploy path runs on the CPU')
        calibration = None
        if mode.deploy == 'onnxruntime-int8':
            calibration = calibration_inputs(tuple(example.shape))
        infer = optimize_for_inference(model.to(device), example.to(device),
                                       backend=mode.deploy, channels_last=True,
                                       calibration=calibration, min_cosine=INT8_MIN_COSINE)

        def run_deploy(x):
            with autocast(device, mode.dtype):
                return infer(x)
        run_deploy.cosine = infer.cosine  # int8: checked on a held-out real image
        return run_deploy
    net = copy.deepcopy(model).to(device)
    if mode.cpu_amp and not isinstance(net, WithHead):
        net = WithHead(net, None)  # a backbone alone: all of it is extract_feat
    if mode.with_cp:
        blocks = [m for m in net.modules() if hasattr(m, 'with_cp')]
        if not blocks:
            raise ValueError('benchmark: this implementation has no with_cp option')
        for block in blocks:
            block.with_cp = True
    if mode.fold_bn:
        if train:
            raise ValueError('benchmark: BN folding is for inference only')
        net = fold_bn(net, inplace=True)
    net = net.to(memory_format=fmt)
    net.train(train)
    runner = torch.compile(net) if mode.compile else net
    if not train:
        def run_infer(x):
            with torch.no_grad(), autocast(device, mode.dtype):
                return runner(x.contiguous(memory_format=fmt))
        return run_infer
    optimizer = torch.optim.SGD(net.parameters(), lr=1e-4, momentum=0.9)
    if mode.cpu_amp:
        return _cpu_amp_train(net, runner, optimizer, mode, device, fmt)

    def run_train(x):
        with autocast(device, mode.dtype):
            loss = sum(o.float().mean() for o in as_list(runner(x.contiguous(memory_format=fmt))))
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        return loss
    return run_train


def _cpu_amp_train(net, runner, optimizer, mode, device, fmt):
    """The training step through hrnet_mm's CPUAutocastOptimWrapper itself (what
    ``tools/train.py --amp`` trains with on a CPU)."""
    from hrnet_mm.engine.optim_wrapper import CPUAutocastOptimWrapper
    if device.type != 'cpu' or mode.dtype != 'fp32' or not isinstance(net, WithHead):
        raise ValueError('benchmark: the --amp mode is a CPU training mode of fp32 runs '
                         'with a head or neck (WithHead)')
    optim_wrapper = CPUAutocastOptimWrapper(optimizer=optimizer)

    def run_train(x):
        with optim_wrapper.optim_context(net):
            loss = sum(o.float().mean() for o in as_list(runner(x.contiguous(memory_format=fmt))))
        optim_wrapper.update_params(loss)
        return loss
    return run_train


# -- measuring ---------------------------------------------------------------------------------
def synchronize(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def _rss_bytes() -> int:
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')


def _release_free_memory() -> None:
    """Hands freed heap pages back to the OS (glibc), so RSS growth is the call's own."""
    import ctypes
    import gc
    gc.collect()
    try:
        ctypes.CDLL('libc.so.6').malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: the figure is then a lower bound
        pass


class PeakMemory:
    """Peak memory of one call: CUDA allocator peak, or sampled RSS growth on CPU.

    On CPU the figure is the largest resident-set growth seen by a 1 ms sampler over the
    call, after freed heap pages went back to the OS (``malloc_trim``); glibc returns
    large blocks on free, so the figure follows the call's working set.
    """

    def __init__(self, device: torch.device):
        self.device = device
        self.peak = 0

    def __enter__(self):
        if self.device.type == 'cuda':
            synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
            self._base = torch.cuda.memory_allocated(self.device)
            return self
        _release_free_memory()
        self._base = _rss_bytes()
        self._stop = threading.Event()
        self._max = self._base

        def sample():
            while not self._stop.is_set():
                self._max = max(self._max, _rss_bytes())
                time.sleep(0.001)
        self._thread = threading.Thread(target=sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        if self.device.type == 'cuda':
            synchronize(self.device)
            self.peak = torch.cuda.max_memory_allocated(self.device) - self._base
        else:
            self._stop.set()
            self._thread.join()
            self.peak = max(self._max, _rss_bytes()) - self._base
        return False


@dataclass
class Entry:
    """One (model, mode) of one case."""
    model: str
    mode: Mode
    run: Optional[Callable] = None
    times: List[float] = field(default_factory=list)
    peak_bytes: int = 0
    error: Optional[str] = None
    check: str = ''  # how its outputs compared with eager fp32 before timing

    @property
    def median(self) -> float:
        return statistics.median(self.times) if self.times else math.nan


@dataclass
class Case:
    task: str
    width: int
    batch: int
    train: bool
    size: Optional[Tuple[int, int]] = None  # (h, w); default: the task's SHAPES entry

    @property
    def shape(self) -> Tuple[int, int]:
        return tuple(self.size) if self.size else SHAPES[self.task]

    @property
    def label(self) -> str:
        h, w = self.shape
        kind = 'training step' if self.train else 'inference'
        return f'W{self.width} {kind}, {self.task} {self.batch}x3x{h}x{w}'


@dataclass
class CaseResult:
    case: Case
    entries: List[Entry]
    agreement: Dict[str, float]
    macs: int                       # hrnet_mm's conv + linear multiply-adds
    # where a model does other work than hrnet_mm (a peer's concatenating head or neck):
    # its own multiply-adds, for its TFLOP/s
    macs_of: Dict[str, int] = field(default_factory=dict)
    failures: Dict[str, str] = field(default_factory=dict)  # peers that cannot run the input
    profile: List[Tuple[str, Dict[str, float]]] = field(default_factory=list)

    def best(self, model: str) -> Optional[Entry]:
        done = [e for e in self.entries if e.model == model and e.times]
        return min(done, key=lambda e: e.median) if done else None

    def speedup_over_fastest_peer(self) -> Tuple[float, Optional[Entry], Optional[Entry]]:
        ours = self.best('hrnet_mm')
        peers = [b for b in (self.best(p) for p in PEERS) if b is not None]
        if ours is None or not peers:
            return math.nan, ours, None
        fastest = min(peers, key=lambda e: e.median)
        return fastest.median / ours.median, ours, fastest


def conv_macs(model: nn.Module, x: torch.Tensor) -> int:
    """Conv + linear multiply-accumulates of one forward (the TFLOP/s numerator)."""
    from hrnet_mm.devtools.analysis.complexity import count_macs
    return count_macs(model, lambda: model(x)).total


def measure_case(case: Case, modes: Sequence[Mode], device: torch.device,
                 names: Sequence[str] = MODELS, warmup: int = 1, repeats: int = 3,
                 progress=None) -> CaseResult:
    """Builds every model with the same weights, checks agreement, then times each mode."""
    h, w = case.shape
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(case.batch, 3, h, w, generator=gen).to(device)
    models, references = build_models(case.width, names, task=case.task)
    for m in list(models.values()) + list(references.values()):
        m.to(device)
    agreement, failures = check_agreement(models, references, x)
    if 'hrnet_mm' in failures:
        raise RuntimeError(f'benchmark: hrnet_mm cannot run {tuple(x.shape)}: '
                           f'{failures["hrnet_mm"]}')
    bad = {k: v for k, v in agreement.items() if not v <= AGREEMENT_RTOL}
    if bad:
        raise AssertionError(
            f'benchmark: {", ".join(f"{k} (relative error {v:.1e})" for k, v in bad.items())}'
            f' disagree with hrnet_mm beyond {AGREEMENT_RTOL:.0e}; refusing to time them')
    names = [n for n in names if n not in failures]
    with torch.no_grad():
        expected = {n: models[n](x) for n in names}  # all in eval mode already
    macs = conv_macs(references.pop('hrnet_mm'), x)
    del references
    macs_of = {}
    if case.task in AFTER:
        macs_of = {n: conv_macs(models[n], x) for n in names if n != 'hrnet_mm'}

    entries = []
    for mode in modes:
        for name in names:
            if mode.deploy and name != 'hrnet_mm':
                continue
            entry = Entry(name, mode)
            try:
                entry.run = prepare(models[name], mode, case.train, device, x)
            except Exception as exc:  # a mode a model cannot run in is reported, not fatal
                entry.error = f'{type(exc).__name__}: {exc}'.splitlines()[0][:120]
            entries.append(entry)
    live = [e for e in entries if e.run is not None]
    for e in live:  # warm-up, with the memory probe and the output check (untimed)
        try:
            for k in range(max(warmup, 1)):
                with PeakMemory(device) as mem:
                    out = e.run(x)
                e.peak_bytes = max(e.peak_bytes, mem.peak)
                if k == 0 and e.mode.deploy == 'onnxruntime-int8':
                    # int8 is never equal to fp32: it was refused below INT8_MIN_COSINE on
                    # a held-out real image when it was built; that figure is reported.
                    e.check = f'cosine {e.run.cosine:.5f}' + (
                        '' if e.run.cosine >= INT8_TARGET_COSINE
                        else f' (below {INT8_TARGET_COSINE})')
                elif k == 0 and not case.train and e.mode.dtype == 'fp32':
                    # Every mode is checked too (layout, folding, graph backends), so a
                    # fast but wrong execution path is never timed.
                    err = relative_error(out, expected[e.model])
                    if not err <= AGREEMENT_RTOL:
                        raise AssertionError(f'output differs from eager by {err:.1e}')
                    e.check = f'{err:.0e}' if err else '0'
        except Exception as exc:
            e.error, e.run = f'{type(exc).__name__}: {exc}'.splitlines()[0][:120], None
        if progress is not None:
            progress.update(max(warmup, 1))
    live = [e for e in live if e.run is not None]
    for _ in range(repeats):  # alternating A B C A B C: drift hits every model alike
        for e in live:
            synchronize(device)
            start = time.perf_counter()
            e.run(x)
            synchronize(device)
            e.times.append(time.perf_counter() - start)
            if progress is not None:
                progress.update(1)
    for e in entries:
        e.run = None  # free the copies before the next case
    return CaseResult(case, entries, agreement, macs, macs_of, failures)


# Where the time goes: self time of every profiled op, by kind.  The kinds are what an
# implementation can change (norm, element-wise, resampling, copies) against what it cannot
# (the convolutions, the same oneDNN/cuDNN kernels whichever HRNet calls them).
OP_KINDS = (
    ('convolution', ('conv',)),
    ('optimizer', ('sgd', 'foreach', 'lerp', 'addcmul')),
    ('normalisation', ('batch_norm', 'group_norm', 'layer_norm')),
    ('add / relu / other element-wise', ('add', 'relu', 'threshold', 'mul', 'div', 'sub',
                                         'mean', 'sum', 'fill', 'zero')),
    ('upsample / resize', ('upsample', 'interpolate', 'grid_sample')),
    ('copy / layout', ('copy', 'contiguous', 'clone', 'to_', 'empty', 'as_strided',
                       'cat', 'view', 'reshape')),
)


def op_kind(name: str) -> str:
    name = name.lower()
    for kind, keys in OP_KINDS:
        if any(key in name for key in keys):
            return kind
    return 'other'


def profile_breakdown(run: Callable[[torch.Tensor], object], x: torch.Tensor,
                      device: torch.device) -> Dict[str, float]:
    """{op kind: share of the profiled self time} of one call of ``run(x)`` (after a
    warm-up call)."""
    from torch.profiler import ProfilerActivity, profile
    run(x)
    synchronize(device)
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA]
                                           if device.type == 'cuda' else [])
    with profile(activities=activities) as prof:
        run(x)
        synchronize(device)
    totals: Dict[str, float] = {}
    for event in prof.key_averages():
        self_time = (event.self_device_time_total if device.type == 'cuda'
                     else event.self_cpu_time_total)
        kind = op_kind(event.key)
        totals[kind] = totals.get(kind, 0.0) + self_time
    whole = sum(totals.values()) or 1.0
    return {kind: t / whole for kind, t in sorted(totals.items(), key=lambda kv: -kv[1])}


def profiled_modes(case: 'Case', dtype: str = 'fp32', cpu_amp: bool = False) -> List['Mode']:
    """What ``--profile`` profiles: channels_last eager, plus the jit deploy path for
    inference or, where the CPU trains with ``--amp``, that step (its convs in bf16, so
    the rest of the step is a larger share)."""
    modes = [Mode(channels_last=True, dtype=dtype)]
    if not case.train:
        modes.append(Mode(dtype=dtype, deploy='jit'))
    elif cpu_amp:
        modes.append(Mode(channels_last=True, cpu_amp=True))
    return modes


def profile_case(case: 'Case', device: torch.device, modes: Sequence['Mode'],
                 names: Sequence[str] = ('hrnet_mm', 'mmdet')) -> List[Tuple[str, Dict]]:
    """Profile breakdowns of ``names`` in each of ``modes`` on the case's input."""
    models, _ = build_models(case.width, names, task=case.task)
    x = torch.randn(case.batch, 3, *case.shape, device=device)
    rows = []
    for mode in modes:
        for name in (names if not mode.deploy else ['hrnet_mm']):
            if mode.deploy == 'onnxruntime':
                continue  # runs outside torch's profiler
            run = prepare(models[name], mode, case.train, device, x)
            rows.append((f'{name} {mode.label}', profile_breakdown(run, x, device)))
    return rows


def format_profile(rows: List[Tuple[str, Dict[str, float]]], markdown: bool = False) -> str:
    kinds = [kind for kind, _ in OP_KINDS] + ['other']
    table = [[label] + [f'{100 * shares.get(kind, 0.0):.1f}%' for kind in kinds]
             for label, shares in rows]
    return format_table(table, header=['run'] + kinds, markdown=markdown)


def matmul_peak(device: torch.device, dtype: str = 'fp32', size: int = 4096,
                repeats: int = 5) -> float:
    """Measured dense matmul throughput (TFLOP/s) of this device in ``dtype``."""
    torch_dtype = torch.bfloat16 if dtype == 'bf16' else torch.float32
    if device.type == 'cpu':
        size = min(size, 2048)
    a = torch.randn(size, size, device=device, dtype=torch_dtype)
    b = torch.randn(size, size, device=device, dtype=torch_dtype)
    for _ in range(2):
        a @ b
    synchronize(device)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        synchronize(device)
        times.append(time.perf_counter() - start)
    return 2 * size**3 / min(times) / 1e12


def conv_ceiling(device: torch.device, channels: int = 256, size: Tuple[int, int] = (64, 128),
                 repeats: int = 5) -> Dict[str, float]:
    """This device's achieved fp32 GFLOP/s on one large 3x3 convolution (``channels`` in
    and out, stride 1, at ``size``): the ceiling the HRNet paths are measured against.

    On the CPU both kernels HRNet runs on are measured, torch's (oneDNN, channels_last) and
    onnxruntime's (MLAS); on a GPU, torch's (cuDNN).  Best of ``repeats`` after warm-up.
    """
    conv = nn.Conv2d(channels, channels, 3, padding=1, bias=False).eval().to(device)
    x = torch.randn(1, channels, *size, device=device)
    flops = 2 * channels * channels * 9 * size[0] * size[1]

    def best(run) -> float:
        for _ in range(2):
            run()
        synchronize(device)
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            run()
            synchronize(device)
            times.append(time.perf_counter() - start)
        return flops / min(times) / 1e9

    conv_cl = conv.to(memory_format=torch.channels_last)
    x_cl = x.contiguous(memory_format=torch.channels_last)
    with torch.no_grad():
        ceiling = {'torch': best(lambda: conv_cl(x_cl))}
    if device.type == 'cpu':
        import tempfile

        from hrnet_mm.deploy import export_onnx, ort_session
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, 'conv.onnx')
            export_onnx(conv, path, tuple(x.shape), fold=False)
            session = ort_session(path)
            feed = {session.get_inputs()[0].name: x.numpy()}
            ceiling['onnxruntime'] = best(lambda: session.run(None, feed))
    return ceiling


def ceiling_line(ceiling: Dict[str, float]) -> str:
    parts = ', '.join(f'{k} {v:.1f}' for k, v in ceiling.items())
    return (f'fp32 ceiling (one 3x3 conv 256->256 at 64x128, GFLOP/s): {parts}; the TFLOP/s '
            'column gives each path\'s share of the larger')


# Input sizes and widths of the scaling table (pose crop ... a full Cityscapes frame).
SCALING_SIZES = ((256, 256), (512, 512), (512, 1024), (1024, 2048))
SCALING_WIDTHS = (18, 32, 48)


def scaling_rows(device: torch.device, backend: str = 'onnxruntime',
                 sizes: Sequence[Tuple[int, int]] = SCALING_SIZES,
                 widths: Sequence[int] = SCALING_WIDTHS, repeats: int = 2,
                 progress=None) -> List[List[str]]:
    """Time against input size and width for one deploy path, beside the work (conv
    GMACs): rows of width, size, GMACs, ms, GFLOP/s and ms per GMAC relative to the
    smallest case, which stays near 1.0 where the cost grows linearly with the work."""
    from hrnet_mm.deploy import optimize_for_inference
    rows, base = [], None
    for width in widths:
        model = randomize(build_hrnet_mm(width)).eval()
        for h, w in sizes:
            x = torch.randn(1, 3, h, w, device=device)
            macs = conv_macs(model, x)
            infer = optimize_for_inference(model.to(device), x, backend=backend)
            infer(x)
            times = []
            for _ in range(repeats):
                synchronize(device)
                start = time.perf_counter()
                infer(x)
                synchronize(device)
                times.append(time.perf_counter() - start)
            t = min(times)
            per_gmac = t / (macs / 1e9)
            base = base or per_gmac
            rows.append([f'W{width}', f'{h}x{w}', f'{macs / 1e9:.3g}', f'{t * 1e3:.0f}',
                         f'{2 * macs / t / 1e9:.1f}', f'{per_gmac / base:.2f}'])
            if progress is not None:
                progress.update(1)
            del infer
    return rows


SCALING_HEADER = ['width', 'input', 'GMACs', 'ms', 'GFLOP/s', 'ms per GMAC (rel.)']


def concat_rows(device: torch.device, width: int = 32, repeats: int = 5,
                progress=None) -> List[List[str]]:
    """How many branches the head's and HRFPN's 1x1 conv should concatenate before it
    (``hrnet_mm.models.utils.ResizeConcatConv``; the rest go per branch): that layer alone,
    at the seg+head and det+neck shapes, for each choice from all concatenated (the
    toolbox's way) to all per branch.  Rows of layer, choice, GMACs, inference ms and
    training-step (forward + backward) ms, channels_last, alternating runs, median; the
    choice hrnet_mm uses (``CONCAT_BRANCHES``) is marked."""
    from hrnet_mm.models.utils import CONCAT_BRANCHES, ResizeConcatConv
    widths = [width * 2**k for k in range(4)]
    layers = {'seg+head': ('decode head 1x1 conv', sum(widths), False),
              'det+neck': ('HRFPN reduction conv', 256, True)}
    choices = range(len(widths), 0, -1)
    rows = []
    for task, (label, out_channels, bias) in layers.items():
        h, w = (v // 4 for v in SHAPES[task])
        torch.manual_seed(0)
        conv = nn.Conv2d(sum(widths), out_channels, 1, bias=bias).to(device)
        conv = conv.to(memory_format=torch.channels_last)
        feats = [torch.randn(1, c, h >> k, w >> k, device=device).contiguous(
            memory_format=torch.channels_last).requires_grad_() for k, c in enumerate(widths)]
        grad = torch.randn(1, out_channels, h, w, device=device).contiguous(
            memory_format=torch.channels_last)
        layer = {c: ResizeConcatConv(conv, widths, concat=c) for c in choices}

        def infer(c):
            with torch.no_grad():
                layer[c](feats)

        def train(c):
            layer[c](feats).backward(grad)

        times = {(c, kind): [] for c in choices for kind in ('infer', 'train')}
        for k in range(repeats + 1):  # the first round warms up
            for c in choices:
                for kind, run in (('infer', infer), ('train', train)):
                    synchronize(device)
                    start = time.perf_counter()
                    run(c)
                    synchronize(device)
                    if k:
                        times[(c, kind)].append(time.perf_counter() - start)
            if progress is not None:
                progress.update(1)
        for c in choices:
            pixels = [(h >> k) * (w >> k) for k in range(len(widths))]
            macs = out_channels * (sum(widths[:c]) * pixels[0]
                                   + sum(wk * pk for wk, pk in zip(widths[c:], pixels[c:])))
            what = ('all concatenated (the toolbox\'s)' if c == len(widths) else
                    f'first {c} concatenated' if c > 1 else 'all per branch')
            rows.append([f'{label}, W{width} {h}x{w}', what + (' *' if c == CONCAT_BRANCHES
                                                             else ''),
                         f'{macs / 1e9:.2f}',
                         f'{statistics.median(times[(c, "infer")]) * 1e3:.1f}',
                         f'{statistics.median(times[(c, "train")]) * 1e3:.1f}'])
    return rows


CONCAT_HEADER = ['layer, branch-0 size', 'branches', 'GMACs', 'infer ms', 'train ms (fwd+bwd)']


# -- reporting ---------------------------------------------------------------------------------
def device_description(device: torch.device) -> str:
    if device.type == 'cuda':
        return f'{torch.cuda.get_device_name(device)}, torch {torch.__version__}'
    cpu = platform.processor() or 'CPU'
    try:
        with open('/proc/cpuinfo') as f:
            names = [line.split(':', 1)[1].strip() for line in f if line.startswith('model name')]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    return f'{cpu}, {torch.get_num_threads()} threads, torch {torch.__version__}'


def _fmt_mem(n: int) -> str:
    return f'{n / 2**20:.0f} MiB' if n > 0 else '-'


def result_rows(result: CaseResult, peak_tflops: Optional[float]) -> List[List[str]]:
    """Table rows: model, mode, ms/iter, images/s, peak memory, TFLOP/s, speedup."""
    case = result.case
    ours = result.best('hrnet_mm')
    rows = []
    for e in result.entries:
        mode = e.mode.label
        if e.error or not e.times:
            rows.append([e.model, mode, 'not run', '', '', '', '', e.error or ''])
            continue
        ms = e.median * 1e3
        flops = 2 * result.macs_of.get(e.model, result.macs) * (3 if case.train else 1)
        tflops = flops / e.median / 1e12
        tf = f'{tflops:.3f}' if tflops < 1 else f'{tflops:.1f}'
        if peak_tflops:
            tf += f' ({100 * tflops / peak_tflops:.0f}%)'
        ratio = '' if ours is None else f'{e.median / ours.median:.2f}x'
        # onnxruntime's arena keeps its memory from the export check on: not measurable
        memory = '-' if (e.mode.deploy or '').startswith('onnxruntime') else _fmt_mem(e.peak_bytes)
        rows.append([e.model, mode, f'{ms:.1f}', f'{case.batch / e.median:.1f}', memory, tf,
                     e.check or '-', ratio])
    return rows


HEADER = ['model', 'mode', 'ms/iter', 'images/s', 'peak mem', 'TFLOP/s', 'vs eager fp32',
          'hrnet_mm best is']


def summary_line(result: CaseResult) -> str:
    ratio, ours, fastest = result.speedup_over_fastest_peer()
    if ours is None or fastest is None:
        return 'no complete comparison'
    return (f'hrnet_mm best ({ours.mode.label}, {ours.median * 1e3:.1f} ms) is {ratio:.2f}x the '
            f'fastest peer ({fastest.model}, {fastest.mode.label}, {fastest.median * 1e3:.1f} ms)')


def agreement_line(result: CaseResult) -> str:
    line = 'agreement with hrnet_mm (max relative error, eval fp32): ' + ', '.join(
        f'{k} {v:.1e}' for k, v in result.agreement.items() if k != 'hrnet_mm')
    for name, message in result.failures.items():
        line += f'; {name} cannot run this input ({message})'
    return line


def work_line(result: CaseResult) -> str:
    """The conv + linear GMACs of hrnet_mm against the peers', where they differ."""
    peers = sorted(set(result.macs_of.values()))
    if not peers:
        return ''
    what = AFTER[result.case.task]
    return (f'work (conv + linear GMACs per image): hrnet_mm {result.macs / 1e9 / result.case.batch:.2f} '
            f'with its exact-rewrite {what}, the peers '
            + ' / '.join(f'{m / 1e9 / result.case.batch:.2f}' for m in peers)
            + f' with the toolbox\'s {what} (same weights, same outputs)')


def format_table(rows: List[List[str]], header: Sequence[str] = HEADER,
                 markdown: bool = False) -> str:
    if markdown:
        return markdown_table(header, rows)
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows)]
    fmt = '  '.join(f'{{:<{w}}}' for w in widths)
    return '\n'.join([fmt.format(*header), fmt.format(*['-' * w for w in widths])]
                     + [fmt.format(*r) for r in rows])


def markdown_section(title: str, command: str, results: Iterable[CaseResult],
                     peak_tflops: Optional[float], notes: Sequence[str] = (),
                     scaling: Optional[List[List[str]]] = None,
                     concat: Optional[List[List[str]]] = None) -> str:
    lines = [f'## {title}', '', f'Measured with `{command}`.', '']
    if peak_tflops:
        lines += [f'Peak: {peak_tflops:.3g} TFLOP/s (see below); the TFLOP/s column '
                  'counts 2 x conv MACs (x3 for a training step) and gives its share of '
                  'that peak.  "vs eager fp32": the largest relative error of the outputs '
                  '(fp32 paths), or the cosine similarity on a held-out real image (int8), '
                  'checked before timing.', '']
    for note in notes:
        lines += [note, '']
    for result in results:
        lines += [f'### {result.case.label}', '', format_table(
            result_rows(result, peak_tflops), markdown=True), '',
            f'{summary_line(result)}.  {agreement_line(result)}.'
            + (f'  {work_line(result).capitalize()}.' if work_line(result) else ''), '']
        if result.profile:
            lines += ['Where the time goes (share of profiled self time, by op kind):', '',
                      format_profile(result.profile, markdown=True), '']
    if concat:
        lines += ['### The head\'s and neck\'s 1x1 conv: branches concatenated before it', '',
                  'That layer alone (`hrnet_mm.models.utils.ResizeConcatConv`), the rest of '
                  'the branches convolved at their own size; * is hrnet_mm\'s choice '
                  '(`CONCAT_BRANCHES`).', '',
                  format_table(concat, CONCAT_HEADER, markdown=True), '']
    if scaling:
        lines += ['### Scaling: time against input size and width (hrnet_mm backbone, '
                  'deploy[onnxruntime], batch 1)', '',
                  format_table(scaling, SCALING_HEADER, markdown=True), '']
    return '\n'.join(lines)


def int8_section(title: str, command: str, int8_accuracy) -> str:
    """The int8 accuracy table (and the ``--int8-ablation`` ones) as a Markdown section of
    its own: it takes 20+ minutes, so it is rerun apart from the timed cases."""
    from .int8_accuracy import HEADER as ACC_HEADER
    from .int8_accuracy import rows as acc_rows
    lines = [f'## {title}', '', f'Measured with `{command}`.', '',
             '### int8 accuracy: the same checkpoint and test data, fp32 against the '
             'int8 path', '',
             'Checkpoints: without CONFIG=CHECKPOINT pairs, the demo models trained by the '
             'command itself (their demo schedules); '
             'the int8 path is calibrated on the test images as the model sees them '
             '(the demo\'s training and test images are the same; a flip-tested model on '
             'their mirrors too).  NME: lower is better.', '',
             format_table(acc_rows(int8_accuracy), ACC_HEADER, markdown=True), '']
    return '\n'.join(lines + ablation_section(int8_accuracy))


def ablation_section(int8_accuracy) -> List[str]:
    """The ``--int8-ablation`` tables (one per config that has them) as Markdown lines."""
    from .int8_ablation import HEADER, variant_rows
    lines = []
    for result in int8_accuracy:
        if result.ablation:
            lines += [f'### Why int8 falls short: {result.config}', '',
                      'The same network quantised by onnxruntime other ways, each changing '
                      'one thing from the deployed setting; cosine with fp32 and time on the '
                      'held-out input (`hrnet_mm.devtools.int8_ablation`).', '',
                      format_table(variant_rows(result.ablation), HEADER, markdown=True), '']
    return lines


def update_markdown(path: str, section_key: str, section: str,
                    preamble: str = '# Benchmarks\n') -> None:
    """Replaces (or appends) the ``## <section_key>...`` section of ``path``.

    One file holds one section per device, so a GPU run keeps the CPU table and back; a
    section already there is replaced where it stands.
    """
    text = open(path).read() if os.path.isfile(path) else preamble
    parts = text.split('\n## ')
    head, sections = parts[0], ['## ' + p for p in parts[1:]]
    new = section.rstrip() + '\n'
    at = [k for k, s in enumerate(sections) if s.startswith(f'## {section_key}')]
    if at:  # in its place, so the file's order stays as its reader knows it
        sections = [new if k == at[0] else s for k, s in enumerate(sections) if k not in at[1:]]
    else:
        sections.append(new)
    from hrnet_mm.checkpoint_io import atomic_write_bytes
    atomic_write_bytes((head.rstrip() + '\n\n' + '\n'.join(sections)).encode(), path)


def plot(results: Sequence[CaseResult], path: str, title: str) -> None:
    """Bar chart: ms/iter of every model in its best mode, per case."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(results), figsize=(4.5 * len(results), 3.6), squeeze=False)
    for ax, result in zip(axes[0], results):
        names, values, labels = [], [], []
        for name in MODELS:
            best = result.best(name)
            if best is not None:
                names.append(name)
                values.append(best.median * 1e3)
                labels.append(best.mode.label)
        colors = ['tab:green' if n == 'hrnet_mm' else 'tab:gray' for n in names]
        bars = ax.bar(names, values, color=colors)
        for bar, label in zip(bars, labels):
            ax.text(bar.get_x() + bar.get_width() / 2, bar.get_height(), label,
                    ha='center', va='bottom', fontsize=6, rotation=90)
        ax.set_title(result.case.label, fontsize=8)
        ax.set_ylabel('ms / iteration (best mode)')
        ax.tick_params(axis='x', labelsize=7, rotation=30)
        ax.set_ylim(0, max(values) * 1.45 if values else 1)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
