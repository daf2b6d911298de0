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
            '(model.backbone.norm_eval=False). Then restart from the last checkpoint '
            '(tools/train.py CONFIG --resume) or from scratch.')


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
    """Stops training at the first iteration whose loss is NaN or infinite.

    mmengine would keep stepping the optimiser with NaN gradients and save NaN
    checkpoints for the rest of the schedule.  This hook runs before the
    ``CheckpointHook``, so the last checkpoint on disk is still a good one.
    """
    priority = 'VERY_HIGH'

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        bad = _non_finite(outputs)
        if bad:
            where = f'iteration {runner.iter + 1}'
            if isinstance(runner.train_loop, EpochBasedTrainLoop):
                where += f' (epoch {runner.epoch + 1})'
            losses = ', '.join(f'{k}={v}' for k, v in bad.items())
            raise NonFiniteLossError(
                f'training stopped: the loss is not finite at {where}: {losses}. '
                f'Nothing after this iteration was saved. {NAN_HINT}')


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
