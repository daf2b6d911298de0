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
    '../_base_/demo/topdown_cpu.py',
]

# The demo recipe (configs/_base_/demo/topdown_cpu.py) at 128x96.
codec = _base_.pose_demo.codec
model = _base_.pose_demo.model
train_pipeline = _base_.pose_demo.train_pipeline
val_pipeline = _base_.pose_demo.val_pipeline

data_root = 'data/demo/pose/'
train_dataloader = dict(
    _base_.topdown_cpu_loader,
    dataset=dict(data_root=data_root, ann_file='annotations/person_keypoints_train.json',
                 data_prefix=dict(img='images/'), pipeline=train_pipeline))
val_dataloader = dict(
    _base_.topdown_cpu_loader,
    dataset=dict(data_root=data_root, ann_file='annotations/person_keypoints_val.json',
                 bbox_file=None,  # ground-truth boxes
                 data_prefix=dict(img='images/'), pipeline=val_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/person_keypoints_val.json')
test_evaluator = val_evaluator

optim_wrapper, param_scheduler, train_cfg, auto_scale_lr = _base_.topdown_cpu_schedule
default_hooks = dict(_base_.topdown_cpu_hooks, checkpoint=dict(
    _base_.topdown_cpu_hooks.checkpoint, save_best='coco/AP', rule='greater'))

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
