"""Static int8 quantisation of an exported model with onnxruntime, and its measures
(:class:`hrnet_mm.deploy.runtime.Int8OrtRunner` runs it, checked against fp32).

onnxruntime's own static quantiser does the work (``quantize_static``: QDQ format, int8
weights per output channel, uint8 activations, MinMax ranges over calibration images);
hrnet_mm adds the calibration reader, the fp32 comparison and the errors.  The check is
the cosine similarity of every output with the fp32 model's on held-out inputs, since an
int8 model is never equal to fp32 to 1e-4: the caller states how close is close enough.
"""
import os
import tempfile
from typing import List, Sequence

import torch

DEFAULT_MIN_COSINE = 0.999


def cosine_similarity(got, expected) -> float:
    """The smallest cosine similarity over the outputs (each flattened as one vector)."""
    got = [got] if isinstance(got, torch.Tensor) else list(got)
    expected = [expected] if isinstance(expected, torch.Tensor) else list(expected)
    if len(got) != len(expected):
        raise ValueError(f'cosine_similarity: {len(got)} outputs vs {len(expected)}')
    worst = 1.0
    for a, b in zip(got, expected):
        a, b = a.detach().double().flatten(), b.detach().double().flatten()
        worst = min(worst, float(torch.nn.functional.cosine_similarity(a, b, dim=0)))
    return worst


class _Reader:
    """onnxruntime's CalibrationDataReader protocol over a list of input tensors."""

    def __init__(self, name: str, inputs: Sequence[torch.Tensor]):
        self._items = iter([{name: x.detach().cpu().contiguous().numpy()} for x in inputs])

    def get_next(self):
        return next(self._items, None)


def quantize_static_onnx(fp32_path: str, int8_path: str, calibration: Sequence[torch.Tensor],
                         per_channel: bool = True, reduce_range: bool = False) -> None:
    """Writes the int8 (QDQ) version of ``fp32_path`` calibrated on ``calibration``."""
    import onnxruntime as ort
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process
    name = ort.InferenceSession(fp32_path, providers=['CPUExecutionProvider']
                                ).get_inputs()[0].name
    with tempfile.TemporaryDirectory() as tmp:
        # onnxruntime's recommended pre-pass: shape inference and graph optimisation, so
        # the quantiser sees the folded graph the session will run.
        prepared = os.path.join(tmp, 'prepared.onnx')
        quant_pre_process(fp32_path, prepared, skip_symbolic_shape=True)
        quantize_static(prepared, int8_path, _Reader(name, calibration),
                        quant_format=QuantFormat.QDQ, per_channel=per_channel,
                        reduce_range=reduce_range, activation_type=QuantType.QUInt8,
                        weight_type=QuantType.QInt8)


IMAGENET_MEAN = (123.675, 116.28, 103.53)  # RGB, as the toolboxes' data preprocessors
IMAGENET_STD = (58.395, 57.12, 57.375)


def images_as_inputs(paths: Sequence[str], size, mean=IMAGENET_MEAN, std=IMAGENET_STD
                     ) -> List[torch.Tensor]:
    """Images resized to ``size`` (h, w), RGB, normalised as the toolboxes' data
    preprocessors do: model inputs for calibration."""
    import mmcv

    from hrnet_mm.apis import read_image
    h, w = size
    mean_t = torch.tensor(mean).view(1, 3, 1, 1)
    std_t = torch.tensor(std).view(1, 3, 1, 1)
    inputs = []
    for path in paths:
        img = mmcv.imresize(mmcv.bgr2rgb(read_image(path)), (w, h))
        x = torch.from_numpy(img).permute(2, 0, 1)[None].float()
        inputs.append((x - mean_t) / std_t)
    return inputs
