"""Hooks that stop a run with a clear message instead of letting it go wrong quietly.

``tools/train.py`` adds both to every run (``hrnet_mm.cli.add_safety_hooks``); in your own
runner add them through ``custom_hooks``::

    custom_hooks = [dict(type='hrnet_mm.NonFiniteLossHook'),
                    dict(type='hrnet_mm.CheckpointMatchHook', allow_partial=False)]
"""
import math

import torch
from mmengine.hooks import Hook
from mmengine.model import BaseTTAModel, is_model_wrapper
from mmengine.runner import EpochBasedTrainLoop

from ..errors import IncompatibleCheckpointError, NonFiniteLossError
from ..weights import log_tolerated, mismatch_summary, state_dict_mismatch, tolerated_mismatch

NAN_HINT = ('Usual fixes: lower the learning rate (optim_wrapper.optimizer.lr, or a '
            'longer warm-up), clip gradients (optim_wrapper.clip_grad=dict(max_norm=10, '
            'norm_type=2)), and when training from random init let BatchNorm learn '
            '(model.backbone.norm_eval=False).')


def _non_finite(outputs) -> dict:
    bad = {}
    for key, value in (outputs or {}).items():
        if 'loss' not in key:
            continue  # accuracies etc. are not optimised
        value = torch.as_tensor(value).detach().float()
        if not torch.isfinite(value).all():
            bad[key] = value.mean().item() if value.numel() else math.nan
    return bad


class NonFiniteLossHook(Hook):
    """Stops training at the first iteration whose loss is NaN or infinite, naming the
    checkpoint to restart from.

    mmengine would keep stepping the optimiser with NaN gradients and save NaN
    checkpoints for the rest of the schedule.  This hook runs before the
    ``CheckpointHook``, so nothing of the broken iteration is saved.  A loss usually
    explodes for a while before it is NaN, and a checkpoint of those iterations diverges
    again when resumed: the message names the newest checkpoint saved while the loss was
    still below ``explode`` times the lowest loss so far (None when there is none).
    """
    priority = 'VERY_HIGH'

    def __init__(self, explode: float = 100.0):
        self.explode = explode
        self.losses = {}        # iteration (1-based) -> total loss
        self.epoch_end = {}     # epoch (1-based) -> its last iteration

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        bad = _non_finite(outputs)
        if not bad:
            total = sum(float(torch.as_tensor(v).detach().float().mean())
                        for k, v in (outputs or {}).items() if 'loss' in k)
            self.losses[runner.iter + 1] = total
            return
        where = f'iteration {runner.iter + 1}'
        if isinstance(runner.train_loop, EpochBasedTrainLoop):
            where += f' (epoch {runner.epoch + 1})'
        losses = ', '.join(f'{k}={v}' for k, v in bad.items())
        raise NonFiniteLossError(
            f'training stopped: the loss is not finite at {where}: {losses}. Nothing after '
            f'this iteration was saved. {self.restart_hint(runner.work_dir)} {NAN_HINT}')

    def after_train_epoch(self, runner):
        # CheckpointHook saves this epoch as epoch_{runner.epoch + 1}.pth, now
        self.epoch_end[runner.epoch + 1] = runner.iter

    def sane_checkpoint(self, work_dir: str):
        """(path, iteration, loss) of the newest complete checkpoint in ``work_dir`` saved
        before the loss exploded, or None."""
        import os
        import re

        from ..checkpoint_io import is_complete_checkpoint
        if not self.losses:
            return None
        lowest, sane_until = math.inf, 0
        for it in sorted(self.losses):
            loss = self.losses[it]
            if loss > self.explode * max(lowest, 1e-12) and it > 1:
                break
            lowest, sane_until = min(lowest, loss), it
        found = []
        for name in os.listdir(work_dir) if os.path.isdir(work_dir) else []:
            match = re.match(r'^(iter|epoch)_(\d+)\.pth$', name)
            if not match:
                continue
            step = int(match.group(2))
            it = step if match.group(1) == 'iter' else self.epoch_end.get(step)
            path = os.path.join(work_dir, name)
            if it is not None and it <= sane_until and is_complete_checkpoint(path):
                found.append((it, path))
        if not found:
            return None
        it, path = max(found)
        return path, it, self.losses.get(it)

    def restart_hint(self, work_dir: str) -> str:
        sane = self.sane_checkpoint(work_dir)
        if sane is None:
            return ('No checkpoint was saved while the loss was sane: restart from scratch '
                    '(or from a load_from of earlier weights).')
        path, it, loss = sane
        return (f'The newest checkpoint saved while the loss was sane is {path} (iteration '
                f'{it}, loss {loss:.4g}); later ones hold weights that had begun to diverge. '
                f'Restart from it: tools/train.py CONFIG --resume {path} with the changes '
                'below.')


class CheckpointMatchHook(Hook):
    """Refuses a ``load_from``/``--resume`` checkpoint that does not fit the model.

    mmengine loads such a checkpoint with ``strict=False``: mis-named or mis-shaped
    tensors are skipped with a log warning and training (or testing) goes on from a
    partly random model.  Here any mismatch raises
    :class:`~hrnet_mm.weights.IncompatibleCheckpointError` with a summary, unless

    * ``allow_partial=True`` (``tools/train.py --allow-partial-load``): load what
      matches, e.g. to fine-tune a detector with another number of classes;
    * ``allow_missing=True`` and the checkpoint only *lacks* tensors (a backbone-only
      checkpoint as ``load_from``, e.g. from ``tools/convert_checkpoint.py``).
    """
    priority = 'VERY_HIGH'

    def __init__(self, allow_partial: bool = False, allow_missing: bool = False):
        self.allow_partial = allow_partial
        self.allow_missing = allow_missing

    def after_load_checkpoint(self, runner, checkpoint) -> None:
        model = runner.model
        # mmengine loads into the wrapped model of a DDP/TTA wrapper (runner.checkpoint
        # .load_state_dict); compare with that one, as it does.
        if is_model_wrapper(model) or isinstance(model, BaseTTAModel):
            model = model.module
        state = checkpoint.get('state_dict', checkpoint)
        state = {k[len('module.'):] if k.startswith('module.') else k: v
                 for k, v in state.items() if isinstance(v, torch.Tensor)}
        own = model.state_dict()
        missing, unexpected, mismatched = state_dict_mismatch(own, state)
        # The same tolerance as the backbone loader (hrnet_mm.weights.tolerated_mismatch).
        missing, unexpected, dropped = tolerated_mismatch(own, missing, unexpected)
        load_from = runner.cfg.get('load_from')
        source = f'checkpoint {load_from}' if load_from else 'the resumed checkpoint'
        if not (missing or unexpected or mismatched):
            log_tolerated(dropped, source)
            return
        summary = f'{source} does not match the model: ' + mismatch_summary(
            missing, unexpected, mismatched, len(own), 'model tensors')
        if self.allow_partial or (self.allow_missing and not (unexpected or mismatched)):
            runner.logger.warning(summary + '\nLoading only the matching tensors.')
            return
        raise IncompatibleCheckpointError(
            summary + '\nIt was probably written for another config (width, number of '
            'classes, head). Use the checkpoint of this config, or, to load only the '
            'matching tensors on purpose (e.g. fine-tuning with another number of '
            'classes), pass --allow-partial-load to tools/train.py.')


class ValidationSeenHook(Hook):
    """Records whether this process ran a validation.

    A run resumed from a checkpoint saved at ``max_iters`` (killed during its final
    validation) trains nothing and validates nothing; the message hub then still holds
    the *previous* validation's metrics, which would be reported as final.
    ``tools/train.py`` runs the final validation again when this hook saw none.
    """
    priority = 'LOWEST'

    def __init__(self):
        self.seen = False

    def after_val_epoch(self, runner, metrics=None) -> None:
        self.seen = True


class ProgressHook(Hook):
    """A line within seconds of every phase, and a progress bar while evaluating.

    mmengine's logger speaks every ``interval`` iterations (50 by default) and not at all
    while a checkpoint loads or the first iteration warms up, so a short or slow run looks
    hung for minutes.  This hook prints when the run is built, when the first training
    iteration is done (with the time it took), and a bar over the val/test batches (rank 0).
    """
    priority = 'VERY_LOW'

    def __init__(self):
        import time
        self._time = time.perf_counter
        self._start = self._time()
        self._bar = None
        self._trained = False

    def _say(self, runner, message: str) -> None:
        if runner.rank == 0:
            print(f'[hrnet_mm] {message} ({self._time() - self._start:.0f}s)', flush=True)

    def before_run(self, runner) -> None:
        self._say(runner, f'run built: {type(runner.model).__name__}, work_dir {runner.work_dir}')

    def before_train(self, runner) -> None:
        loop = runner.train_loop
        total = getattr(loop, 'max_iters', None)
        self._say(runner, f'training from iteration {runner.iter} of {total}: the first '
                  'iteration includes data loading and warm-up')

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if not self._trained:
            self._trained = True
            self._say(runner, f'first iteration done (iteration {runner.iter + 1}); the '
                      'logger reports every default_hooks.logger.interval iterations')

    def _open_bar(self, runner, loader, what: str) -> None:
        if runner.rank != 0:
            return
        from mmengine.utils import ProgressBar
        self._say(runner, f'{what}: {len(loader)} batches')
        self._bar = ProgressBar(len(loader))

    def _step(self) -> None:
        if self._bar is not None:
            self._bar.update()
            if self._bar.completed >= self._bar.task_num:
                self._close()

    def _close(self) -> None:
        if self._bar is not None:
            print(flush=True)  # the bar ends its line only at the very end
            self._bar = None

    def before_val_epoch(self, runner) -> None:
        self._open_bar(runner, runner.val_dataloader, 'validating')

    def after_val_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self._step()

    def after_val_epoch(self, runner, metrics=None) -> None:
        self._close()

    def before_test_epoch(self, runner) -> None:
        self._open_bar(runner, runner.test_dataloader, 'testing')

    def after_test_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self._step()

    def after_test_epoch(self, runner, metrics=None) -> None:
        self._close()
