# The segmentation demo shrunk to seconds, for the resume tests: HRNetV2-W18-Small-v1,
# 64x64 crops, 6 iterations, a checkpoint every 2 (only the newest kept, as in the
# demo), deterministic.  Random augmentation stays on: resume must replay it exactly.
_base_ = '../../../configs/demo/fcn_hrnetv2-w18_demo.py'

crop_size = (64, 64)
channels = [16, 32, 64, 128]  # w18_small_v1's four branches
max_iters = 6

model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(arch='w18_small_v1', extra=None),
    decode_head=dict(in_channels=channels, channels=sum(channels)))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=(96, 72), ratio_range=(0.75, 1.5), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(batch_size=2, num_workers=0,
                        dataset=dict(pipeline=train_pipeline))
val_dataloader = None
val_evaluator = None
val_cfg = None
test_dataloader = None
test_evaluator = None
test_cfg = None

param_scheduler = [
    dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=max_iters, by_epoch=False)
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(by_epoch=False, interval=2, max_keep_ckpts=1))
randomness = dict(seed=0, deterministic=True)
