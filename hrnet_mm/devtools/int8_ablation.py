"""Why int8 falls short of fp32: the same model quantised several ways, each one's cosine
with fp32 on the held-out input and its speed beside the fp32 onnxruntime session.

The deployed setting (:class:`hrnet_mm.deploy.Int8OrtRunner`: uint8 activations with
MinMax ranges, per-channel int8 weights) is one row; each other row changes one thing, so
the table separates the causes:

* calibrated on the inputs as given / with their mirrors too (more views of the data);
* residual ``Add`` left in fp32 (is the error in the residual streams?);
* 16-bit activations (is it the activations' 8 bits?);
* the held-out input itself in the calibration: ranges that cover it exactly.  Not a
  deployable setting (the check input is no longer unseen); it says how much of the loss
  is ranges clipped on an unseen input and how much is 8-bit rounding.

The int8 model is exported and quantised by onnxruntime as deployed; nothing is
simulated.  Used by ``tools/benchmark.py --int8-ablation``.
"""
import os
import statistics
import tempfile
import time
from dataclasses import dataclass
from typing import Callable, List, Optional, Sequence

import torch


@dataclass
class Variant:
    name: str
    cosine: float
    ms: float
    fp32_ms: float
    deployed: bool = False
    oracle: bool = False  # calibrated on the held-out input: not a deployable setting

    @property
    def speedup(self) -> float:
        return self.fp32_ms / self.ms


def _time_ms(session, feed, repeats: int) -> float:
    session.run(None, feed)  # warm-up: onnxruntime allocates and packs on the first run
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        session.run(None, feed)
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times)


def ablate(net: torch.nn.Module, calibration: Sequence[torch.Tensor],
           mirrored: bool = False, repeats: int = 5,
           progress: Optional[Callable[[str], None]] = None) -> List[Variant]:
    """The variants' rows for ``net`` (the BN-folded tensor path, as
    :func:`hrnet_mm.devtools.int8_accuracy.tensor_net` gives it) calibrated on
    ``calibration`` (the last input held out, as deployed); ``mirrored``: whether the
    deployed setting adds the inputs' mirrors.  Cosine and time on the held-out input."""
    from hrnet_mm.deploy.int8 import cosine_similarity, quantize_static_onnx, with_mirrors
    from hrnet_mm.deploy.runtime import export_onnx, ort_session
    calibration = list(calibration)
    if len(calibration) < 2:
        raise ValueError(f'int8 ablation: needs at least 2 calibration inputs (the last is '
                         f'held out); got {len(calibration)}')
    held_out, fit = calibration[-1], calibration[:-1]
    deployed_fit = with_mirrors(fit) if mirrored else fit
    other_fit = fit if mirrored else with_mirrors(fit)
    variants = [  # name, calibration, activation bits, op types left in fp32, deployed
        ('8-bit' + (', mirrors too' if mirrored else ''), deployed_fit, 8, (), True, False),
        ('8-bit' + (', without mirrors' if mirrored else ', mirrors too'), other_fit, 8, (),
         False, False),
        ('8-bit, Add in fp32', deployed_fit, 8, ('Add', ), False, False),
        ('16-bit activations', deployed_fit, 16, (), False, False),
        ('8-bit, held-out input calibrated too', deployed_fit + [held_out], 8, (), False,
         True),
        ('16-bit, held-out input calibrated too', deployed_fit + [held_out], 16, (), False,
         True),
    ]
    with torch.no_grad():
        expected = net(held_out)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        fp32_path = os.path.join(tmp, 'fp32.onnx')
        export_onnx(net, fp32_path, tuple(held_out.shape), fold=False, dynamic=True)
        fp32 = ort_session(fp32_path)
        feed = {fp32.get_inputs()[0].name: held_out.contiguous().numpy()}
        fp32_ms = _time_ms(fp32, feed, repeats)
        container = None if isinstance(expected, torch.Tensor) else type(expected)
        for k, (name, fit_k, bits, skip, deployed, oracle) in enumerate(variants):
            if progress is not None:
                progress(name)
            path = os.path.join(tmp, f'variant{k}.onnx')
            quantize_static_onnx(fp32_path, path, fit_k, activation_bits=bits,
                                 skip_op_types=skip)
            session = ort_session(path)
            outs = [torch.from_numpy(o) for o in session.run(None, feed)]
            got = outs[0] if container is None else container(outs)
            rows.append(Variant(name, cosine_similarity(got, expected),
                                _time_ms(session, feed, repeats), fp32_ms, deployed, oracle))
    return rows


HEADER = ['variant', 'cosine (held-out input)', 'ms', 'vs fp32 onnxruntime']


def variant_rows(variants: Sequence[Variant]) -> List[List[str]]:
    return [[v.name + (' (deployed)' if v.deployed else '')
             + (' (not deployable: the check input is seen)' if v.oracle else ''),
             f'{v.cosine:.5f}', f'{v.ms:.1f}', f'{v.speedup:.2f}x'] for v in variants]
