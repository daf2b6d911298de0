# The segmentation demo shrunk for comparing torchrun (2 processes x batch 1) with one
# process (batch 2).  The two compute the same update only if nothing depends on how the
# batch is split: GroupNorm instead of BN (per-process batch statistics), every image
# resized to the same 64x64 (the pixel-mean loss of batch 2 is then the mean of the two
# per-image losses, which DDP's gradient averaging reproduces), no random augmentation.
_base_ = '../../../configs/demo/fcn_hrnetv2-w18_demo.py'

size = (64, 64)
channels = [16, 32, 64, 128]  # w18_small_v1's four branches
norm_cfg = dict(type='GN', num_groups=8, requires_grad=True)
max_iters = 3

model = dict(
    data_preprocessor=dict(size=size),
    backbone=dict(arch='w18_small_v1', extra=None, norm_cfg=norm_cfg),
    decode_head=dict(in_channels=channels, channels=sum(channels), norm_cfg=norm_cfg))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='Resize', scale=size, keep_ratio=False),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=size, keep_ratio=False),
    dict(type='LoadAnnotations'),  # the metric compares at the original size
    dict(type='PackSegInputs'),
]
# tools/dist_train.sh with 2 processes sets batch_size=1 (the same global batch of 2).
train_dataloader = dict(batch_size=2, num_workers=0, dataset=dict(pipeline=train_pipeline))
test_dataloader = dict(batch_size=1, num_workers=0,
                       dataset=dict(pipeline=test_pipeline))

param_scheduler = [
    dict(type='PolyLR', eta_min=1e-3, power=0.9, begin=0, end=max_iters, by_epoch=False)
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=1000)
val_cfg = None
val_evaluator = None
val_dataloader = None
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(by_epoch=False, interval=max_iters, max_keep_ckpts=1))
randomness = dict(seed=0, deterministic=True)
