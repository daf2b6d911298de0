# DEMO (SUBSTITUTE DATA): HRNetV1-W32 top-down "body pose" on face landmarks.
#
# NOT HUMAN BODY POSE.  No real body-keypoint ground truth can be shipped, so
# data/demo/pose holds an honest substitute (see data/demo/pose/README.txt): the 4
# demo faces, with 17 of their 68 landmarks written into the 17 COCO keypoint slots
# (mirror-symmetric pairs in the left/right slots).  It exercises the real COCO
# keypoint pipeline -- mmpose's CocoDataset, flip augmentation and flip test with
# COCO's flip indices, and CocoMetric's OKS AP (xtcocotools) -- but the AP says
# that the pipeline works, not how good a body-pose model is.  train == val.
# Model:    HRNetV1-W32 + HeatmapHead (17 heatmaps), trained from RANDOM INIT on CPU
#           in a few minutes (no ImageNet weights can be fetched here): init_cfg=None
#           (hrnet_mm's Kaiming init), norm_eval=False; input reduced to 128x96
#           (32x24 heatmaps).
# Schedule: Adam lr 1e-3, 150 epochs of one batch of 4 (x0.1 at epoch 120);
#           validation every 50 epochs (AP on the ground-truth boxes).
# Input:    box extended to 4:3 and resized to 128x96; flip, rotation +-45,
#           scale [0.65, 1.35] (no half-body: the slots are not body parts).
# Other GPU counts: `--auto-scale-lr` scales lr from the total batch of 4.
_base_ = [
    'mmpose::body_2d_keypoint/topdown_heatmap/coco/td-hm_hrnet-w32_8xb64-210e_coco-256x192.py',
    '../_base_/hrnet_mm.py',
]

data_root = 'data/demo/pose/'
codec = dict(type='MSRAHeatmap', input_size=(96, 128), heatmap_size=(24, 32),
             sigma=1.0)

model = dict(
    backbone=dict(norm_eval=False, init_cfg=None),
    head=dict(decoder=codec))

train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform', shift_prob=0, rotate_factor=45,
         scale_factor=(0.65, 1.35)),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs'),
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='PackPoseInputs'),
]
train_dataloader = dict(
    batch_size=4, num_workers=1, persistent_workers=False,
    dataset=dict(data_root=data_root,
                 ann_file='annotations/person_keypoints_train.json',
                 data_prefix=dict(img='images/'), pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=4, num_workers=1, persistent_workers=False,
    dataset=dict(data_root=data_root,
                 ann_file='annotations/person_keypoints_val.json',
                 bbox_file=None,  # ground-truth boxes
                 data_prefix=dict(img='images/'), pipeline=val_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/person_keypoints_val.json')
test_evaluator = val_evaluator

max_epochs = 150
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3))
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=max_epochs, milestones=[120],
         gamma=0.1, by_epoch=True)
]
train_cfg = dict(max_epochs=max_epochs, val_interval=50)
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=50, max_keep_ckpts=1, save_best='coco/AP',
                    rule='greater'))
auto_scale_lr = dict(base_batch_size=4)

paper = dict(
    source='demo',
    table=None,
    row='demo: HRNetV1-W32 top-down keypoints on data/demo/pose -- SUBSTITUTE '
        '(face landmarks in the 17 COCO slots), not body pose',
    metric='AP', value=None,
    params_m=None, gflops=None,
    input_shape=(3, 128, 96),  # the demo's input size
    zoo=None,
    note='trains from random init on data/demo; substitute data, not body pose')
