# Demo: Faster R-CNN, HRNetV2p-W18 + HRFPN, trained on CPU on the 4-image demo set.
#
# Data: data/demo/det (real VOC images with COCO-format boxes; build it with
#   `python tools/prepare_demo_data.py`).  train == val: this demo shows that the
#   pipeline learns (it overfits the 4 images), not how well it generalises.
# Init: RANDOM -- no ImageNet weights can be fetched here, so backbone init_cfg=None.
#   From random init the backbone's BN must train (norm_eval=False): with the toolbox
#   default norm_eval=True (meant for pretrained backbones) the loss blew up to 2e8 by
#   iteration 2.  AdamW lr 2e-4 with grad-norm clipping at 10 trains stably.
# Size: images resized to fit 320x320, batch 2; ~7.5 s/iter on 2 CPU cores, and after
#   100 iterations (~12 min) CocoMetric bbox mAP on the training images was 0.517.
# Model: MMDetection's own Faster R-CNN HRNetV2p-W18 config
#   (mmdet::hrnet/faster-rcnn_hrnetv2p-w18-1x_coco.py) with the number of classes of the
#   demo set; only data, schedule and optimiser differ.
#
#   python tools/train.py configs/demo/faster-rcnn_hrnetv2p-w18_demo.py
#   python tools/test.py configs/demo/faster-rcnn_hrnetv2p-w18_demo.py \
#       work_dirs/faster-rcnn_hrnetv2p-w18_demo/iter_100.pth
_base_ = [
    'mmdet::hrnet/faster-rcnn_hrnetv2p-w18-1x_coco.py',
    '../_base_/hrnet_mm.py',
]

data_root = 'data/demo/det/'
# data/demo/det/classes.txt (the `categories` of the annotation files, in id order)
classes = ('bottle', 'bus', 'car', 'chair', 'diningtable', 'person', 'sofa')
metainfo = dict(classes=classes)
img_scale = (320, 320)
max_iters = 100

model = dict(
    backbone=dict(norm_eval=False, init_cfg=None),
    roi_head=dict(bbox_head=dict(num_classes=len(classes))))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]
train_dataloader = dict(
    batch_size=2,
    num_workers=0,
    persistent_workers=False,
    # Iteration-based training on 4 images: a finite sampler ends every 2 iterations,
    # and mmengine sleeps 2 s each time it restarts the dataloader.
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        data_root=data_root,
        metainfo=metainfo,
        ann_file='annotations/instances_train.json',
        data_prefix=dict(img='images/'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        data_root=data_root,
        metainfo=metainfo,
        ann_file='annotations/instances_val.json',
        data_prefix=dict(img='images/'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/instances_val.json')
test_evaluator = val_evaluator

train_cfg = dict(
    _delete_=True, type='IterBasedTrainLoop', max_iters=max_iters,
    val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=10)
]
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=2e-4, weight_decay=1e-4),
    clip_grad=dict(max_norm=10, norm_type=2))
# lr 2e-4 is for the total batch of 2 above; tools/train.py --auto-scale-lr rescales it.
auto_scale_lr = dict(enable=False, base_batch_size=2)

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=5),
    checkpoint=dict(
        type='CheckpointHook', by_epoch=False, interval=max_iters, max_keep_ckpts=1))
log_processor = dict(by_epoch=False, window_size=5)
randomness = dict(seed=0)

paper = dict(
    source='demo',
    table=None,
    row='demo: Faster R-CNN, HRNetV2p-W18, data/demo/det',
    metric='bbox AP',
    value=None,
    params_m=None,
    gflops=None,
    input_shape=(3, 320, 320),  # the demo's own image scale, not a paper number
    zoo=None,
    note='trains from random init on data/demo')
