# DEMO: HRNetV2-W18 + FCN head trained on the bundled demo segmentation data.
#
# Not a paper row.  Trains from RANDOM INIT on CPU in a few minutes (no ImageNet
# weights can be fetched here): backbone init_cfg=None (hrnet_mm's Kaiming init),
# norm_eval=False, plain BN.  The model is the Cityscapes W18 one (15C = 270
# concatenated channels, FCN head 1x1 conv + BN + ReLU + 1x1 classifier).
# Data:     data/demo/seg (tools/prepare_demo_data.py): 4 real VOC-style images,
#           8 classes (data/demo/seg/classes.txt, 0 = background, 255 ignored);
#           train == val, so the mIoU measures fitting, not generalisation.
# Schedule: SGD lr 0.01, momentum 0.9, wd 5e-4, poly, 300 iterations, batch 4
#           (1 process); validation (IoUMetric: aAcc, mIoU, mAcc) every 100.
# Input:    random scale of 320x240 in [0.75, 1.5], random 224x224 crop, flip;
#           test at 320x240 (keep ratio), whole image.
# Other GPU counts: `--auto-scale-lr` scales lr from the total batch of 4.
# Fusion:   mmseg's upsampling (model.backbone.upsample_by='scale', the mmseg-registered
#           HRNet's default), which mmseg's zoo checkpoints were trained with; official
#           HRNet-Semantic-Segmentation checkpoints need 'size' (tools/convert_checkpoint.py
#           prints the overrides).
_base_ = [
    'mmseg::hrnet/fcn_hr18_4xb2-160k_cityscapes-512x1024.py',
    '../_base_/hrnet_mm.py',
]

data_root = 'data/demo/seg/'
classes = ('background', 'bottle', 'bus', 'car', 'chair', 'diningtable',
           'person', 'sofa')  # data/demo/seg/classes.txt
crop_size = (224, 224)
norm_cfg = dict(type='BN', requires_grad=True)

model = dict(
    pretrained=None,
    data_preprocessor=dict(size=crop_size),
    backbone=dict(norm_cfg=norm_cfg, norm_eval=False, init_cfg=None),
    # mmseg's FCNHead with its 1x1 conv on the low-resolution branches at their size (the
    # same function, 9/40 of the work)
    decode_head=dict(type='HRNetV2Head', num_classes=len(classes), norm_cfg=norm_cfg))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=(320, 240), ratio_range=(0.75, 1.5),
         keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(320, 240), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs'),
]
_dataset = dict(
    _delete_=True,
    type='BaseSegDataset',
    data_root=data_root,
    metainfo=dict(classes=classes),
    img_suffix='.jpg',
    seg_map_suffix='.png')
train_dataloader = dict(
    batch_size=4, num_workers=1, persistent_workers=False,
    dataset=dict(_dataset, data_prefix=dict(img_path='img_dir/train',
                                            seg_map_path='ann_dir/train'),
                 pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=1, persistent_workers=False,
    dataset=dict(_dataset, data_prefix=dict(img_path='img_dir/val',
                                            seg_map_path='ann_dir/val'),
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
del _dataset

# Flip testing: python tools/test.py configs/demo/fcn_hrnetv2-w18_demo.py CHECKPOINT --tta
# (the image and its mirror at the test size, logits averaged by mmseg's SegTTAModel).
tta_model = dict(type='SegTTAModel')
tta_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='TestTimeAug', transforms=[
        [dict(type='Resize', scale=(320, 240), keep_ratio=True)],
        [dict(type='RandomFlip', prob=0., direction='horizontal'),
         dict(type='RandomFlip', prob=1., direction='horizontal')],
        [dict(type='LoadAnnotations')],
        [dict(type='PackSegInputs')]]),
]

max_iters = 300
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9,
                                    weight_decay=0.0005))
param_scheduler = [
    dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=max_iters,
         by_epoch=False)
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=100)
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(by_epoch=False, interval=max_iters, max_keep_ckpts=1))
env_cfg = dict(cudnn_benchmark=False)
auto_scale_lr = dict(enable=False, base_batch_size=4)

paper = dict(
    source='demo',
    table=None,
    row='demo: HRNetV2-W18 + FCN, data/demo/seg (8 classes)',
    metric='mIoU', value=None,
    params_m=None, gflops=None,
    input_shape=(3, 224, 224),  # the demo's training crop
    zoo=None,
    note='trains from random init on data/demo')
