# The TPAMI HRNet pose recipe (Sec. 4, Table 1), written once for every config of
# configs/pose: Adam lr 1e-3, x0.1 at epochs 170 and 200, 210 epochs, 4 GPUs x 32 images,
# no warm-up; rotation +-45 degrees, scale [0.65, 1.35], flipping and half-body
# augmentation.  On mmpose's W32 256x192 config (model, data, flip test); the 384x288
# base and the W48 configs change the input size or the width and nothing else.
_base_ = [
    'mmpose::body_2d_keypoint/topdown_heatmap/coco/td-hm_hrnet-w32_8xb64-210e_coco-256x192.py',
    '../models/hrnet_pose.py',  # hrnet_mm's imports and the per-width models
]

train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomHalfBody'),
    dict(type='RandomBBoxTransform', shift_prob=0, rotate_factor=45,
         scale_factor=(0.65, 1.35)),
    dict(type='TopdownAffine', input_size=_base_.codec['input_size']),
    dict(type='GenerateTarget', encoder=_base_.codec),
    dict(type='PackPoseInputs'),
]
train_dataloader = dict(batch_size=32, dataset=dict(pipeline=train_pipeline))

optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3))
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=210, milestones=[170, 200], gamma=0.1,
         by_epoch=True)
]
train_cfg = dict(max_epochs=210, val_interval=10)
auto_scale_lr = dict(base_batch_size=128)
