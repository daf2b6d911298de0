# The HRNetV2 paper's facial-landmark recipe (conference paper, Sec. 4.3), written once for
# every dataset of configs/face: HRNetV2-W18 (mmpose's network, the official one),
# Adam lr 1e-4, x0.1 at epochs 30 and 50, 60 epochs, batch 16 on one GPU, no warm-up;
# +-30 degree rotation, scale 0.75-1.25, random flip; single-view testing; Gaussian
# heatmaps of sigma 1.5 (the official code's SIGMA for every dataset; mmpose uses 2 for
# AFLW and WFLW).  Written on mmpose's 300W config; the configs of the other datasets
# replace the dataset (type, files, number of landmarks) and nothing else.
_base_ = [
    'mmpose::face_2d_keypoint/topdown_heatmap/300w/td-hm_hrnetv2-w18_8xb64-60e_300w-256x256.py',
    '../hrnet_mm.py',
]

# sigma 1.5, as mmpose's 300W codec already has; stated for the datasets that inherit it.
codec = dict(_base_.codec, sigma=1.5)
model = dict(head=dict(decoder=codec))

train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform', shift_prob=0, rotate_factor=30,
         scale_factor=(0.75, 1.25)),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs'),
]
train_dataloader = dict(batch_size=16, dataset=dict(pipeline=train_pipeline))

optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-4))
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=60, milestones=[30, 50], gamma=0.1,
         by_epoch=True)
]
train_cfg = dict(max_epochs=60, val_interval=1)
auto_scale_lr = dict(base_batch_size=16)

# The paper predicts from the image alone (the official code has FLIP_TEST false).
model = dict(model, test_cfg=dict(flip_test=False))
