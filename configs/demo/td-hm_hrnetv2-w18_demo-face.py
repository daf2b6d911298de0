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
    '../_base_/demo/topdown_cpu.py',
]

# The demo recipe (configs/_base_/demo/topdown_cpu.py) at 128x128.
codec = _base_.face_demo.codec
model = _base_.face_demo.model
train_pipeline = _base_.face_demo.train_pipeline
val_pipeline = _base_.face_demo.val_pipeline

data_root = 'data/demo/face/'
train_dataloader = dict(
    _base_.topdown_cpu_loader,
    dataset=dict(data_root=data_root, ann_file='annotations/face_landmarks_train.json',
                 data_prefix=dict(img='images/'), pipeline=train_pipeline))
val_dataloader = dict(
    _base_.topdown_cpu_loader,
    dataset=dict(data_root=data_root, ann_file='annotations/face_landmarks_val.json',
                 data_prefix=dict(img='images/'), pipeline=val_pipeline))
test_dataloader = val_dataloader

optim_wrapper, param_scheduler, train_cfg, auto_scale_lr = _base_.topdown_cpu_schedule
default_hooks = dict(_base_.topdown_cpu_hooks, checkpoint=dict(
    _base_.topdown_cpu_hooks.checkpoint, save_best='NME', rule='less'))

paper = dict(
    source='demo',
    table=None,
    row='demo: HRNetV2-W18 face landmarks, data/demo/face (68 points)',
    metric='NME', value=None,
    params_m=None, gflops=None,
    input_shape=(3, 128, 128),  # the demo's input size
    zoo=None,
    note='trains from random init on data/demo')
