# Demo, the quick one (the README's main job): Faster R-CNN with HRNetV2p (HRNet + HRFPN)
# from random init, overfitting the 4-image demo set on CPU in about 2 minutes.
#
# It is configs/demo/faster-rcnn_hrnetv2p-w18_demo.py made ~7x cheaper per iteration:
# * backbone w18_small_v1 (widths 16/32/64/128, one module per stage); HRFPN and the heads
#   at 64 channels, the box head's FCs at 256 (7 classes and 31 boxes, not COCO);
# * images fit in 224 px (the smallest box, a bottle, stays ~7x15 px);
# * 256 RPN proposals and 128 sampled RoIs per image instead of 2000/512;
# * no random flip and all 4 images in every batch: it shows that the detector fits
#   these images, so nothing is left to chance;
# * AdamW lr 1e-3 (5x the demo's, tuned for batch 2), warm-up 10, x0.1 after 45 of 60.
# Same family, init, optimiser, clipping, data and CocoMetric as the demo.  Measured on 2
# CPU cores, one torch thread: bbox mAP 0.72 (seeds 0 and 1) on the training images.
# Checkpoints every 20 iterations, so a stopped run leaves one to test and draw:
#
#   python tools/train.py configs/demo/faster-rcnn_hrnetv2p-w18-small_demo-quick.py
#   python tools/demo.py configs/demo/faster-rcnn_hrnetv2p-w18-small_demo-quick.py \
#       work_dirs/faster-rcnn_hrnetv2p-w18-small_demo-quick/iter_60.pth \
#       data/demo/det/images/2011_000003.jpg --out demo_prediction.png
_base_ = './faster-rcnn_hrnetv2p-w18_demo.py'

arch = 'w18_small_v1'
channels = 64
img_scale = (224, 224)
max_iters = 60

model = dict(
    backbone=dict(extra=None, arch=arch),
    neck=dict(in_channels=[16, 32, 64, 128], out_channels=channels),
    rpn_head=dict(in_channels=channels, feat_channels=channels),
    roi_head=dict(bbox_roi_extractor=dict(out_channels=channels),
                  bbox_head=dict(in_channels=channels, fc_out_channels=256)),
    train_cfg=dict(rpn_proposal=dict(nms_pre=512, max_per_img=256),
                   rcnn=dict(sampler=dict(num=128))),
    test_cfg=dict(rpn=dict(nms_pre=512, max_per_img=256)))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'))
]
train_dataloader = dict(batch_size=4, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=10),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters, milestones=[45],
         gamma=0.1)
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
auto_scale_lr = dict(base_batch_size=4)
default_hooks = dict(
    logger=dict(interval=5),
    checkpoint=dict(interval=20, max_keep_ckpts=3))

paper = dict(
    source='demo',
    table=None,
    row='demo (quick): Faster R-CNN, HRNetV2p w18_small_v1, data/demo/det',
    metric='bbox AP',
    value=None,
    params_m=None,
    gflops=None,
    input_shape=(3, 224, 224),  # the demo's own image scale, not a paper number
    zoo=None,
    note='trains from random init on data/demo in about 2 minutes on 2 CPU cores')
