"""Model complexity (parameters, conv+linear multiply-accumulates) against the papers.

Every config under ``configs/`` carries a ``paper`` dict (table, row, ``params_m``,
``gflops``, ``input_shape``, ``note``).  ``measure_config`` builds the config's model
through its toolbox registry (``default_scope``) with every ``init_cfg``/``pretrained``
cleared (nothing is downloaded), counts its parameters, runs it once in ``mode='tensor'``
at the paper's ``input_shape`` and counts multiply-accumulates with forward hooks:

* ``Conv{1,2,3}d``: output elements x ``in_channels / groups`` x kernel volume;
* ``ConvTranspose{1,2,3}d``: input elements x ``out_channels / groups`` x kernel volume
  (the same products, seen from the side that is not strided);
* ``Linear``: input elements x ``out_features`` (= batch x in x out for 2-D inputs).

Nothing else is counted (norms, activations, pooling, interpolation, element-wise adds,
RoIAlign, NMS, and bare ``torch.matmul`` such as OCR's attention).  One MAC is one
multiply-add; ``GMACs`` are reported beside the papers' ``GFLOPs``, which follow no single
convention (see ``GFLOPS_CAVEAT``), so only the parameter count is checked.

Detection: the real detector runs in ``mode='tensor'`` on a fake ``DetDataSample``;
two-stage detectors keep ``PROPOSALS`` (512) RPN proposals, the number the TPAMI paper's
Table 7 feeds into R-CNN, and the row records how many reached the R-CNN head.
"""
import copy
import fnmatch
import math
import os
import os.path as osp
import traceback
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn

from hrnet_mm.devtools.markdown import escape, markdown_table

PARAMS_TOLERANCE = 0.01  # relative; rows outside it need a documented reason
PROPOSALS = 512  # TPAMI Table 7: "512 proposals fed into R-CNN"
SCOPES = ('mmdet', 'mmseg', 'mmpose', 'hrnet_mm')

GFLOPS_CAVEAT = (
    "GMACs here are conv + linear multiply-accumulates (one multiply-add = 1), counted by "
    "forward hooks at the paper's input size; normalization, activations, pooling, "
    "interpolation, element-wise sums, RoIAlign, NMS and bare matrix products (OCR's "
    "attention) are not counted.  The papers' GFLOPs follow no single convention: the "
    "official pose code gives 7.645 G conv+linear MACs for HRNet-W32 at 256x192 where "
    "TPAMI Table 1 says 7.10 (its 3x3 convolutions alone: 7.19), and detection numbers "
    "(Table 7) depend on how many proposals and RoIs each head sees.  The GMACs ratio is "
    "therefore informative only; the check is on parameters.")


# -- counting ----------------------------------------------------------------------------
def count_params(model: nn.Module) -> int:
    """Number of parameters (shared tensors counted once)."""
    return sum(p.numel() for p in model.parameters())


def module_macs(module: nn.Module, inputs: Tuple, output) -> int:
    """Multiply-accumulates of one call of a conv or linear layer (0 for anything else)."""
    if isinstance(module, nn.modules.conv._ConvNd):
        kernel = math.prod(module.kernel_size)
        if module.transposed:
            return inputs[0].numel() * (module.out_channels // module.groups) * kernel
        return output.numel() * (module.in_channels // module.groups) * kernel
    if isinstance(module, nn.Linear):
        return inputs[0].numel() * module.out_features
    return 0


class MacCounter:
    """Context manager counting conv/linear MACs of every forward inside it.

    ``total`` is the sum; ``by_module`` splits it by the model's top-level children
    (``backbone``, ``neck``, ``rpn_head``, ...).  A module that computes a conv with
    another layer's weights (``hrnet_mm.models.utils.BranchConv``) reports its work by
    ``macs(inputs, output)``.
    """

    COUNTED = (nn.modules.conv._ConvNd, nn.Linear)

    def __init__(self, model: nn.Module):
        self.model = model
        self.total = 0
        self.by_module: Dict[str, int] = {}
        self._handles = []

    def __enter__(self):
        for top, child in [('', self.model)] if not list(self.model.named_children()) \
                else self.model.named_children():
            for module in child.modules():
                if isinstance(module, self.COUNTED) or hasattr(module, 'macs'):
                    self._handles.append(module.register_forward_hook(self._hook(top)))
        return self

    def _hook(self, top: str) -> Callable:
        def hook(module, inputs, output):
            macs = module.macs(inputs, output) if hasattr(module, 'macs') else \
                module_macs(module, inputs, output)
            self.total += macs
            self.by_module[top] = self.by_module.get(top, 0) + macs
        return hook

    def __exit__(self, *exc):
        for handle in self._handles:
            handle.remove()
        self._handles = []
        return False


def count_macs(model: nn.Module, run: Callable[[], object]) -> MacCounter:
    """Runs ``run()`` (which calls ``model``) under ``torch.no_grad`` and counts MACs."""
    with torch.no_grad(), MacCounter(model) as counter:
        run()
    return counter


# -- configs -----------------------------------------------------------------------------
def find_configs(root: str = 'configs', patterns: Optional[Sequence[str]] = None) -> List[str]:
    """Config files under ``root`` (recursively, ``_base_`` folders skipped), sorted.

    ``patterns``: keep paths matching any of them -- a glob (``fnmatch`` on the path
    relative to ``root`` and on the file name) when it has ``*?[``, else a substring.
    """
    paths = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != '_base_' and not d.startswith('.'))
        paths += [osp.join(dirpath, f) for f in filenames if f.endswith('.py')]
    paths.sort()
    if patterns:
        def matches(path):
            rel = osp.relpath(path, root)
            for pattern in patterns:
                if any(ch in pattern for ch in '*?['):
                    if fnmatch.fnmatch(rel, pattern) or fnmatch.fnmatch(osp.basename(path),
                                                                       pattern):
                        return True
                elif pattern in rel:
                    return True
            return False
        paths = [p for p in paths if matches(p)]
    return paths


def clear_init(cfg):
    """Sets every ``init_cfg`` and string ``pretrained`` inside a model config to None."""
    if isinstance(cfg, dict):
        for key in list(cfg.keys()):
            if key == 'init_cfg' or (key == 'pretrained' and isinstance(cfg[key], str)):
                cfg[key] = None
            else:
                clear_init(cfg[key])
    elif isinstance(cfg, (list, tuple)):
        for item in cfg:
            clear_init(item)
    return cfg


def model_config(cfg) -> dict:
    """The config's model dict, ready to build offline and measure."""
    model_cfg = copy.deepcopy(cfg.model)
    clear_init(model_cfg)
    if isinstance(model_cfg.get('backbone'), dict):
        model_cfg['backbone']['init_cfg'] = None
    test_cfg = model_cfg.get('test_cfg')
    if isinstance(test_cfg, dict) and isinstance(test_cfg.get('rpn'), dict):
        test_cfg['rpn']['max_per_img'] = PROPOSALS
    return model_cfg


def build_model(cfg) -> Tuple[nn.Module, str]:
    """Builds ``cfg.model`` (every init cleared, :func:`model_config`) through
    :func:`hrnet_mm.apis.build_model`; returns (model in eval mode, scope)."""
    from hrnet_mm.apis import build_model as build
    scope = cfg.get('default_scope')
    if scope not in SCOPES:
        raise ValueError(f'default_scope={scope!r}; expected one of {list(SCOPES)}')
    return build(cfg, model_cfg=model_config(cfg))


def _det_sample(h: int, w: int):
    from mmdet.structures import DetDataSample
    return DetDataSample(metainfo=dict(img_shape=(h, w), pad_shape=(h, w), ori_shape=(h, w),
                                       batch_input_shape=(h, w), scale_factor=(1.0, 1.0)))


class _RoiProbe:
    """Records how many RoIs each RoI extractor call of a detector receives."""

    def __init__(self, model):
        self.counts: List[int] = []
        self._handles = []
        try:
            from mmdet.models.roi_heads.roi_extractors import BaseRoIExtractor
        except ImportError:
            return
        for module in model.modules():
            if isinstance(module, BaseRoIExtractor):
                self._handles.append(module.register_forward_pre_hook(self._hook))

    def _hook(self, module, args):
        if len(args) > 1 and torch.is_tensor(args[1]):
            self.counts.append(int(args[1].shape[0]))

    def remove(self):
        for handle in self._handles:
            handle.remove()


@dataclass
class Measurement:
    path: str
    params: Optional[int] = None
    macs: Optional[int] = None
    by_module: Dict[str, Tuple[int, int]] = field(default_factory=dict)  # name: (params, macs)
    paper: dict = field(default_factory=dict)
    input_shape: Optional[Tuple[int, ...]] = None
    rois: Optional[int] = None  # RoIs fed into the first R-CNN stage
    error: Optional[str] = None
    trace: Optional[str] = None

    # -- comparison with the paper -------------------------------------------------------
    @property
    def params_ratio(self) -> Optional[float]:
        ref = self.paper.get('params_m')
        return None if self.params is None or not ref else self.params / 1e6 / ref

    @property
    def macs_ratio(self) -> Optional[float]:
        ref = self.paper.get('gflops')
        return None if self.macs is None or not ref else self.macs / 1e9 / ref

    @property
    def note(self) -> str:
        return str(self.paper.get('note') or '').strip()

    @property
    def status(self) -> str:
        """``ok`` (params within 1%), ``noted`` (outside, with a note about parameters),
        ``n/a`` (no paper number), ``FAIL`` (outside without one) or ``ERROR``."""
        if self.error is not None:
            return 'ERROR'
        ratio = self.params_ratio
        if ratio is None:
            return 'n/a'
        if abs(ratio - 1) <= PARAMS_TOLERANCE:
            return 'ok'
        return 'noted' if 'param' in self.note.lower() else 'FAIL'

    @property
    def failed(self) -> bool:
        return self.status in ('FAIL', 'ERROR')


def _input_shape(paper: dict, override: Optional[Sequence[int]]) -> Tuple[int, ...]:
    shape = override or paper.get('input_shape')
    if shape is None:
        raise ValueError("config has no paper['input_shape'] (pass --input-shape)")
    shape = tuple(int(s) for s in shape)
    if len(shape) != 3:
        raise ValueError(f'input_shape must be (C, H, W), got {shape}')
    return shape


def measure_model(model: nn.Module, scope: str, input_shape: Sequence[int],
                  device: str = 'cpu') -> Measurement:
    """Params and MACs of a built model for one ``(C, H, W)`` input in ``mode='tensor'``."""
    model = model.to(device).eval()
    c, h, w = input_shape
    gen = torch.Generator().manual_seed(0)
    inputs = torch.randn(1, c, h, w, generator=gen).to(device)
    samples = [_det_sample(h, w)] if scope == 'mmdet' else None
    probe = _RoiProbe(model) if scope == 'mmdet' else None
    try:
        counter = count_macs(model, lambda: model(inputs, samples, mode='tensor'))
    finally:
        if probe is not None:
            probe.remove()
    children = dict(model.named_children())
    by_module = {name: (count_params(children[name]) if name in children else 0, macs)
                 for name, macs in counter.by_module.items()}
    for name, child in children.items():
        if name not in by_module and count_params(child):
            by_module[name] = (count_params(child), 0)
    return Measurement(path='', params=count_params(model), macs=counter.total,
                       by_module=by_module, input_shape=tuple(input_shape),
                       rois=probe.counts[0] if probe is not None and probe.counts else None)


def measure_config(path: str, device: str = 'cpu',
                   input_shape: Optional[Sequence[int]] = None) -> Measurement:
    """Loads, builds and measures one config; errors are returned in the result."""
    result = Measurement(path=path)
    try:
        from mmengine.config import Config
        cfg = Config.fromfile(path)
        paper = cfg.get('paper')
        if not isinstance(paper, dict):
            raise ValueError('config has no top-level `paper` dict')
        result.paper = dict(paper)
        shape = _input_shape(result.paper, input_shape)
        torch.manual_seed(0)
        model, scope = build_model(cfg)
        measured = measure_model(model, scope, shape, device)
        measured.path, measured.paper = path, result.paper
        del model
        return measured
    except Exception as exc:  # one failing config must not stop the others
        lines = str(exc).strip().splitlines()
        result.error = type(exc).__name__ + (f': {lines[0]}' if lines else '')
        result.trace = traceback.format_exc()
        return result


# -- reporting ---------------------------------------------------------------------------
def _num(value, fmt='{:.2f}') -> str:
    return '-' if value is None else fmt.format(value)


def _paper_ref(paper: dict) -> str:
    parts = [str(paper.get(k)) for k in ('source', 'table') if paper.get(k)]
    row = str(paper.get('row') or '')
    prefix = ' '.join(parts)
    if row.startswith(f'{prefix}:'):  # demo rows spell their source already
        return row
    return (prefix + (f': {row}' if row else '')).strip() or '-'


def table_rows(results: Iterable[Measurement], root: str = 'configs') -> List[List[str]]:
    rows = []
    for r in results:
        shape = 'x'.join(str(s) for s in r.input_shape[1:]) if r.input_shape else \
            ('x'.join(str(s) for s in r.paper.get('input_shape', ())[1:]) or '-')
        if r.error is not None:
            detail = r.error
        elif r.status in ('ok',):
            detail = ''
        else:
            detail = r.note
        if r.rois is not None:
            detail = f'[{r.rois} RoIs] ' + detail
        rows.append([
            osp.relpath(r.path, root) if root else r.path,
            _paper_ref(r.paper),
            shape,
            _num(None if r.params is None else r.params / 1e6),
            _num(r.paper.get('params_m'), '{}'),
            _num(r.params_ratio, '{:.3f}'),
            _num(None if r.macs is None else r.macs / 1e9, '{:.1f}'),
            _num(r.paper.get('gflops'), '{}'),
            _num(r.macs_ratio, '{:.3f}'),
            r.status,
            detail.strip(),
        ])
    return rows


HEADER = ['config', 'paper', 'input', 'params (M)', 'paper (M)', 'ratio', 'GMACs',
          'paper GFLOPs', 'ratio', 'status', 'reason / note']


def format_console(results: Sequence[Measurement], root: str = 'configs',
                   width: int = 60) -> str:
    rows = table_rows(results, root)
    # The paper reference and note are long; shorten them on the console.
    short = [r[:1] + [r[1][:width]] + r[2:10] + [r[10][:2 * width]] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in short)) if short else len(h)
              for i, h in enumerate(HEADER)]
    lines = ['  '.join(h.ljust(w) for h, w in zip(HEADER, widths))]
    lines.append('  '.join('-' * w for w in widths))
    lines += ['  '.join(c.ljust(w) for c, w in zip(r, widths)) for r in short]
    return '\n'.join(lines)


def format_markdown(results: Sequence[Measurement], root: str = 'configs',
                    missing: Sequence[str] = ()) -> str:
    rows = table_rows(results, root)
    counts: Dict[str, int] = {}
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
    out = [
        '# Model complexity against the papers',
        '',
        'Generated by `python tools/model_complexity.py --write docs/fidelity.md`; do not '
        'edit by hand.',
        '',
        'Every config under `configs/` is built through its toolbox registry '
        '(`default_scope`) without pretrained weights and run once in `mode=\'tensor\'` '
        "at its `paper['input_shape']` (batch 1).  `params (M)` counts every parameter "
        "of the built model; `paper (M)` / `paper GFLOPs` are the config's `paper` "
        'numbers.  Status: `ok` = parameters within '
        f'{PARAMS_TOLERANCE:.0%} of the paper; `noted` = outside, with the reason '
        "documented in the config's `paper['note']` (shown); `n/a` = the paper gives no "
        'parameter count for this row; `FAIL` = outside without a documented reason; '
        '`ERROR` = the config could not be built or run.  Two-stage detectors keep '
        f'{PROPOSALS} RPN proposals (TPAMI Table 7); `[N RoIs]` is what reached the first '
        'R-CNN stage.',
        '',
        '**GFLOPs convention.** ' + GFLOPS_CAVEAT,
        '',
        'Summary: ' + ', '.join(f'{k}: {v}' for k, v in sorted(counts.items())),
        '',
        markdown_table(HEADER, rows, cell=escape),
    ]
    if missing:
        out += ['', 'Expected but missing when this table was generated: '
                + ', '.join(f'`{m}`' for m in missing)]
    return '\n'.join(out) + '\n'
