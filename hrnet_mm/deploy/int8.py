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
                         per_channel: bool = True, reduce_range: bool = False,
                         activation_bits: int = 8,
                         skip_op_types: Sequence[str] = ()) -> None:
    """Writes the int8 (QDQ) version of ``fp32_path`` calibrated on ``calibration``.

    ``activation_bits``: 8 (uint8, what the CPU provider has fast kernels for) or 16
    (uint16 activations, int8 weights: closer to fp32 but slower than fp32 on CPU, as
    onnxruntime runs them through dequantised float ops; for measuring what 8 bits cost).
    ``skip_op_types``: op types left in fp32 (e.g. ``('Add',)``), the rest as onnxruntime
    quantises them by default.
    """
    import onnxruntime as ort
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.registry import QDQRegistry, QLinearOpsRegistry
    from onnxruntime.quantization.shape_inference import quant_pre_process
    if activation_bits not in (8, 16):
        raise ValueError(f'quantize_static_onnx: activation_bits={activation_bits!r}; '
                         'choose 8 or 16')
    op_types = None
    if skip_op_types:  # onnxruntime's own default list (quantize_static), less those
        op_types = sorted(set(QLinearOpsRegistry) | set(QDQRegistry))
        unknown = set(skip_op_types) - set(op_types)
        if unknown:
            raise ValueError(f'quantize_static_onnx: skip_op_types {sorted(unknown)} are not '
                             f'op types onnxruntime quantises ({op_types})')
        op_types = [t for t in op_types if t not in set(skip_op_types)]
    name = ort.InferenceSession(fp32_path, providers=['CPUExecutionProvider']
                                ).get_inputs()[0].name
    with tempfile.TemporaryDirectory() as tmp:
        # onnxruntime's recommended pre-pass: shape inference and graph optimisation, so
        # the quantiser sees the folded graph the session will run.
        prepared = os.path.join(tmp, 'prepared.onnx')
        quant_pre_process(fp32_path, prepared, skip_symbolic_shape=True)
        # 16-bit activations: onnxruntime raises the graph to opset 21, where
        # QuantizeLinear takes uint16
        quantize_static(prepared, int8_path, _Reader(name, calibration),
                        quant_format=QuantFormat.QDQ, per_channel=per_channel,
                        reduce_range=reduce_range, op_types_to_quantize=op_types,
                        activation_type=QuantType.QUInt8 if activation_bits == 8
                        else QuantType.QUInt16,
                        weight_type=QuantType.QInt8)


def with_mirrors(inputs: Sequence[torch.Tensor]) -> List[torch.Tensor]:
    """``inputs`` and their horizontal mirrors: the calibration of a model tested with
    flips (a top-down pose estimator's flip test runs the network on the mirrored crop
    too, so its activation ranges are those of both views)."""
    inputs = list(inputs)
    return inputs + [x.flip(-1) for x in inputs]


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
