# DEMO: HRNetV2-W18 facial landmarks (68 points) trained on the bundled demo faces.
#
# Not a paper row.  Trains from RANDOM INIT on CPU in a few minutes (no ImageNet
# weights can be fetched here): backbone init_cfg=None (hrnet_mm's Kaiming init),
# norm_eval=False.  The network is the 300W HRNetV2-W18 one (all four branches
# concatenated, 270 channels, head 1x1 conv + BN + ReLU + 1x1 conv to 68 heatmaps)
# at a reduced 128x128 input (32x32 heatmaps) to keep CPU training short.
# Data:     data/demo/face (tools/prepare_demo_data.py): 4 real faces with
#           68-point iBUG/300W annotations, read by mmpose's Face300WDataset;
#           train == val, so the NME measures fitting, not generalisation.
# Schedule: Adam lr 1e-3, 150 epochs of one batch of 4 (x0.1 at epoch 120);
#           validation every 50 epochs with mmpose's NME (inter-ocular).
# Input:    face box crop resized to 128x128; flip, +-30 degree rotation, scale
#           0.75-1.25 as in the paper's face recipe.
# Other GPU counts: `--auto-scale-lr` scales lr from the total batch of 4.
_base_ = [
    'mmpose::face_2d_keypoint/topdown_heatmap/300w/td-hm_hrnetv2-w18_8xb64-60e_300w-256x256.py',
    '../_base_/hrnet_mm.py',
]

data_root = 'data/demo/face/'
codec = dict(type='MSRAHeatmap', input_size=(128, 128), heatmap_size=(32, 32),
             sigma=1.0)

model = dict(
    backbone=dict(norm_eval=False, init_cfg=None),
    head=dict(decoder=codec))

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
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='PackPoseInputs'),
]
train_dataloader = dict(
    batch_size=4, num_workers=1, persistent_workers=False,
    dataset=dict(data_root=data_root,
                 ann_file='annotations/face_landmarks_train.json',
                 data_prefix=dict(img='images/'), pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=4, num_workers=1, persistent_workers=False,
    dataset=dict(data_root=data_root,
                 ann_file='annotations/face_landmarks_val.json',
                 data_prefix=dict(img='images/'), pipeline=val_pipeline))
test_dataloader = val_dataloader

max_epochs = 150
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3))
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=max_epochs, milestones=[120],
         gamma=0.1, by_epoch=True)
]
train_cfg = dict(max_epochs=max_epochs, val_interval=50)
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=50, max_keep_ckpts=1, save_best='NME', rule='less'))
auto_scale_lr = dict(base_batch_size=4)

paper = dict(
    source='demo',
    table=None,
    row='demo: HRNetV2-W18 face landmarks, data/demo/face (68 points)',
    metric='NME', value=None,
    params_m=None, gflops=None,
    input_shape=(3, 128, 128),  # the demo's input size
    zoo=None,
    note='trains from random init on data/demo')
