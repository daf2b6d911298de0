"""The one-line metric summary that ``tools/train.py`` and ``tools/test.py`` print last.

mmengine logs the metrics in the middle of a long log; a run's final numbers should be
the last thing on the console, in one greppable line::

    final metrics: coco/bbox_mAP=0.517 coco/bbox_mAP_50=0.792 ...

After ``runner.train()`` the numbers come from the message hub, where mmengine's
``RuntimeInfoHook`` keeps every validation metric as ``val/<name>``; the train loops
always validate after their last iteration when a val loop is configured, so the latest
value is the final model's.
"""
import math
from typing import Dict, Mapping, Optional

import numpy as np

FINAL_PREFIX = 'final metrics:'
TEST_PREFIX = 'test metrics:'


def _scalar(value) -> Optional[float]:
    """``value`` as a float if it is one number (Python, numpy or 0-d tensor), else None."""
    if isinstance(value, (bool, str, bytes)):
        return None
    try:
        arr = np.asarray(value)
    except Exception:  # objects numpy cannot view (e.g. CUDA tensors) are not reported
        return None
    if arr.ndim != 0 or arr.dtype.kind not in 'iuf':
        return None
    return float(arr)


def scalar_metrics(metrics: Optional[Mapping]) -> Dict[str, float]:
    """The one-number entries of an evaluator's result, as floats, in its order."""
    out = {}
    for name, value in (metrics or {}).items():
        value = _scalar(value)
        if value is not None:
            out[name] = value
    return out


def last_val_metrics(runner) -> Dict[str, float]:
    """The latest validation metrics of a runner, ``{}`` when it never validated.

    ``val/loss*`` scalars (the val loop's losses) are kept; iteration timers are not.
    """
    metrics = {}
    for key, buffer in runner.message_hub.log_scalars.items():
        if not key.startswith('val/') or key in ('val/time', 'val/data_time'):
            continue
        value = _scalar(buffer.current())
        if value is not None:
            metrics[key[len('val/'):]] = value
    return metrics


def format_metrics(metrics: Optional[Mapping], prefix: str = FINAL_PREFIX) -> str:
    """``'<prefix> name=value ...'`` in the evaluator's order; non-scalars left out."""
    if not metrics:
        return f'{prefix} none (the config has no validation/test evaluator, or it ' \
               'returned nothing)'
    parts = []
    for name, value in metrics.items():
        value = _scalar(value)
        if value is None:
            continue
        parts.append(f'{name}={value:.4f}' if math.isfinite(value) else f'{name}={value}')
    return f'{prefix} ' + (' '.join(parts) if parts else 'none (no scalar metrics)')


def parse_metrics(line: str) -> Dict[str, float]:
    """The inverse of :func:`format_metrics` for one line (used by scripts and tests)."""
    for prefix in (FINAL_PREFIX, TEST_PREFIX):
        if line.startswith(prefix):
            body = line[len(prefix):].split()
            break
    else:
        raise ValueError(f'not a metrics line: {line!r}')
    out = {}
    for part in body:
        name, sep, value = part.rpartition('=')
        if sep:
            try:
                out[name] = float(value)
            except ValueError:
                continue
    return out


__all__ = ('FINAL_PREFIX', 'TEST_PREFIX', 'last_val_metrics', 'format_metrics',
           'parse_metrics')
