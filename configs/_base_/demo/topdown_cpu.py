# The CPU recipe of the two top-down demos (configs/demo: face landmarks, and the pose
# substitute), written once: from random init (hrnet_mm's Kaiming init, norm_eval=False),
# a reduced input, 150 epochs of one batch of 4 images, Adam lr 1e-3 (x0.1 at epoch 120),
# validation every 50 epochs, a log line every 10 iterations.  A demo config lists this
# file after its mmpose base and takes, for its own data:
#
#   model = _base_.face_demo.model          # or pose_demo: the codec, pipelines, model
#   train_dataloader = dict(_base_.topdown_cpu_loader, dataset=dict(...))
#   optim_wrapper, param_scheduler, train_cfg, auto_scale_lr = _base_.topdown_cpu_schedule
_base_ = '../hrnet_mm.py'


def _topdown_demo(input_size, heatmap_size, rotate_factor, scale_factor):
    # a config's functions are dropped once the file is read
    codec = dict(type='MSRAHeatmap', input_size=input_size, heatmap_size=heatmap_size,
                 sigma=1.0)
    load = [dict(type='LoadImage'), dict(type='GetBBoxCenterScale')]
    affine = dict(type='TopdownAffine', input_size=input_size)
    return dict(
        codec=codec,
        model=dict(backbone=dict(norm_eval=False, init_cfg=None), head=dict(decoder=codec)),
        # flip, rotation and scale; no half-body (the pose demo's slots are not body parts)
        train_pipeline=[*load, dict(type='RandomFlip', direction='horizontal'),
                        dict(type='RandomBBoxTransform', shift_prob=0,
                             rotate_factor=rotate_factor, scale_factor=scale_factor),
                        affine, dict(type='GenerateTarget', encoder=codec),
                        dict(type='PackPoseInputs')],
        val_pipeline=[*load, affine, dict(type='PackPoseInputs')])


# 128x128 faces (32x32 heatmaps) with the paper's face augmentation; 128x96 "persons"
# (32x24 heatmaps) with the pose recipe's.
face_demo = _topdown_demo((128, 128), (32, 32), 30, (0.75, 1.25))
pose_demo = _topdown_demo((96, 128), (24, 32), 45, (0.65, 1.35))

topdown_cpu_loader = dict(batch_size=4, num_workers=1, persistent_workers=False)
topdown_cpu_schedule = (
    dict(optimizer=dict(type='Adam', lr=1e-3)),                       # optim_wrapper
    [dict(type='MultiStepLR', begin=0, end=150, milestones=[120], gamma=0.1,
          by_epoch=True)],                                            # param_scheduler
    dict(max_epochs=150, val_interval=50),                            # train_cfg
    dict(base_batch_size=4),                                          # auto_scale_lr
)
topdown_cpu_hooks = dict(logger=dict(interval=10),
                         checkpoint=dict(interval=50, max_keep_ckpts=1))
