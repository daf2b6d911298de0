"""Records which images each training iteration used, imported into a subprocess.

``custom_imports`` of this module (this folder on ``PYTHONPATH``) and
``RECORD_SAMPLES=FILE``: every iteration appends one JSON line
``{"iter": N, "images": [...], "shapes": [...], "loss": x}`` to FILE.
"""
import json
import os

from mmengine.hooks import Hook
from mmengine.runner import Runner


class RecordSamplesHook(Hook):
    def __init__(self, path: str):
        self.path = path

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        samples = data_batch['data_samples']
        line = dict(iter=runner.iter + 1, images=[s.img_path for s in samples],
                    shapes=[list(s.ori_shape) for s in samples],
                    loss=float(outputs['loss']))
        with open(self.path, 'a') as f:
            f.write(json.dumps(line) + '\n')


if os.environ.get('RECORD_SAMPLES'):
    _register_hooks = Runner.register_hooks

    def register_hooks(self, default_hooks=None, custom_hooks=None):
        _register_hooks(self, default_hooks, custom_hooks)
        self.register_hook(RecordSamplesHook(os.environ['RECORD_SAMPLES']))

    Runner.register_hooks = register_hooks
