"""What int8 costs in accuracy: a config's test metric with the fp32 model and with its
int8 deploy path, on the same checkpoint and data, through ``tools/test.py``'s own code
path (:func:`hrnet_mm.cli.evaluate`: the toolbox's dataset, pipeline, evaluator).

The int8 model is the whole tensor path of the network (backbone, neck, head forward:
mmseg's logits, mmpose's heatmaps) exported and statically quantised by onnxruntime
(:class:`hrnet_mm.deploy.Int8OrtRunner`); the toolbox's own post-processing (resize,
argmax, flip averaging, keypoint decoding) then runs on its outputs as on the fp32 ones.
Calibration: the first test batches after the model's data preprocessor, i.e. inputs
exactly as the model sees them (on the demo data the training and test images are the
same, which the report says), and their mirrors too where the model's test flips (the
flip test runs the network on both views).
"""
import time
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

import torch

# The demo configs measured by default: (config, metric key, higher is better).
DEMO_CASES = (
    ('configs/demo/fcn_hrnetv2-w18_demo.py', 'mIoU', True),
    ('configs/demo/td-hm_hrnetv2-w18_demo-face.py', 'NME', False),
    ('configs/demo/td-hm_hrnet-w32_demo-pose-substitute.py', 'coco/AP', True),
)


@dataclass
class Int8Accuracy:
    config: str
    metric: str
    fp32: float
    int8: float
    cosine: float
    calibration_inputs: int
    seconds: float
    mirrored: bool = False  # calibrated on the inputs' mirrors too (flip-tested models)
    ablation: Optional[list] = None  # int8_ablation.Variant rows, when asked for

    @property
    def change(self) -> float:
        return self.int8 - self.fp32


def _head(model):
    for name in ('decode_head', 'head'):
        if getattr(model, name, None) is not None:
            return getattr(model, name)
    raise ValueError(f'int8 evaluation: {type(model).__name__} has no decode_head/head; '
                     'only segmentors and top-down pose estimators are supported')


def tests_with_flips(model) -> bool:
    """Whether the model's own test runs the network on mirrored inputs too (mmpose's
    ``test_cfg.flip_test``); mmseg flips only in its separate TTA wrapper."""
    return bool((getattr(model, 'test_cfg', None) or {}).get('flip_test', False))


def tensor_net(model):
    """The model's tensor path (image -> logits / heatmaps), BN folded: what is exported
    and quantised."""
    from hrnet_mm.deploy import TensorModeWrapper, fold_bn
    if getattr(model, 'decode_head', None) is not None and \
            isinstance(model.decode_head, torch.nn.ModuleList):
        raise ValueError('int8 evaluation: cascade segmentors (OCR) are not supported')
    model.eval()
    return fold_bn(TensorModeWrapper(model)).eval()


def swap_in_int8(model, calibration: Sequence[torch.Tensor], min_cosine: float = 0.999,
                 mirror_calibration: Optional[bool] = None):
    """Makes ``model`` (an mmseg segmentor or mmpose top-down estimator, weights loaded)
    compute its tensor path with int8 onnxruntime; returns the runner (``.cosine``).

    The model's ``extract_feat`` passes the image through and its head's ``forward``
    runs the int8 network on it, so the toolbox's ``predict`` (resizing, flip test,
    decoding) is unchanged around it.  ``mirror_calibration`` (default: where the model
    tests with flips) calibrates on the inputs' mirrors too, the views the flip test
    feeds the network.
    """
    from hrnet_mm.deploy import Int8OrtRunner
    if mirror_calibration is None:
        mirror_calibration = tests_with_flips(model)
    net = tensor_net(model)
    runner = Int8OrtRunner(net, calibration, min_cosine,
                           mirror_calibration=mirror_calibration)
    runner.mirrored = mirror_calibration
    runner.net = net
    head = _head(model)
    device = next(model.parameters()).device
    model.extract_feat = lambda inputs: inputs
    head.forward = lambda inputs: runner(inputs).to(device)
    return runner


def _calibration_from_loader(runner, count: int) -> List[torch.Tensor]:
    """The first ``count`` test inputs as the model sees them (after its data
    preprocessor), one image each."""
    inputs = []
    for data in runner.test_dataloader:
        batch = runner.model.data_preprocessor(data, False)['inputs']
        inputs += [x[None] for x in batch]
        if len(inputs) >= count:
            break
    return inputs[:count]


def measure(config: str, checkpoint: str, metric: str, work_dir: str,
            min_cosine: float = 0.0, calibration_count: int = 8,
            cfg_options: Optional[dict] = None, ablation: bool = False) -> Int8Accuracy:
    """The config's metric on ``checkpoint`` in fp32 and through the int8 path.

    Measured whatever the cosine (``min_cosine`` 0 by default): the table reports it beside
    the metric, and a model below the deploy path's 0.999 is shown, not dropped.
    ``ablation``: also quantise the same network the other ways of
    :func:`hrnet_mm.devtools.int8_ablation.ablate` (``.ablation`` holds the rows).
    """
    from mmengine.hooks import Hook

    from hrnet_mm.cli import evaluate
    start = time.perf_counter()
    options = dict(cfg_options or {})
    fp32 = evaluate(config, checkpoint, work_dir=f'{work_dir}/fp32', cfg_options=options)
    found: Dict[str, object] = {}

    class _Int8Hook(Hook):
        priority = 'VERY_LOW'  # after the weights are loaded and every other hook

        def before_test(self, runner):
            model = runner.model.module if hasattr(runner.model, 'module') else runner.model
            # as the test loader gives them: sizes differ where the pipeline keeps the
            # aspect ratio, and the int8 graph runs at every size
            calibration = _calibration_from_loader(runner, calibration_count)
            found['runner'] = swap_in_int8(model, calibration, min_cosine)
            found['count'] = len(calibration) - 1
            if ablation:
                from .int8_ablation import ablate
                found['ablation'] = ablate(found['runner'].net, calibration,
                                           found['runner'].mirrored)

    int8 = evaluate(config, checkpoint, work_dir=f'{work_dir}/int8', cfg_options=options,
                    runner_setup=lambda r: r.register_hook(_Int8Hook()))
    return Int8Accuracy(config, metric, float(fp32[metric]), float(int8[metric]),
                        found['runner'].cosine, found['count'], time.perf_counter() - start,
                        found['runner'].mirrored, found.get('ablation'))


HEADER = ['config', 'metric', 'fp32', 'int8', 'change', 'int8 cosine (held-out input)',
          'calibration inputs']


def rows(results: Sequence[Int8Accuracy]) -> List[List[str]]:
    return [[r.config, r.metric, f'{r.fp32:.4g}', f'{r.int8:.4g}', f'{r.change:+.4g}',
             f'{r.cosine:.5f}' + ('' if r.cosine >= 0.999 else ' (below 0.999: refused by '
                                   'optimize_for_inference)'),
             str(r.calibration_inputs) + (' and their mirrors (flip test)' if r.mirrored
                                          else '')] for r in results]


def train_demo(config: str, work_dir: str) -> str:
    """Trains a demo config (its own schedule, ``tools/train.py``'s code path) into
    ``work_dir``; returns the checkpoint it ends with."""
    from hrnet_mm.checkpoint_io import find_latest_checkpoint
    from hrnet_mm.cli import build_cfg, train
    if train(build_cfg(config, work_dir=work_dir), config) != 0:
        raise RuntimeError(f'training {config} failed')
    latest = find_latest_checkpoint(work_dir)
    if latest is None:
        raise RuntimeError(f'training {config} wrote no checkpoint into {work_dir}')
    return latest
