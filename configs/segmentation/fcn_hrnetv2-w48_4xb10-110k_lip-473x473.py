# HRNetV2-W48 + FCN head on LIP human parsing (20 classes incl. background).
#
# Paper:    TPAMI HRNet, Table 6 (LIP val; original + flipped image averaged), row
#           "HRNetV2 | HRNetV2-W48 | N | pixel acc. 88.21 | avg. acc. 67.43 |
#           mIoU 55.90".  IoUMetric reports the three as aAcc, mAcc and mIoU.
# Model:    HRNetV2-W48 (ImageNet-pretrained, SyncBN) + FCN head on the 15C = 720
#           concatenated channels, 20 outputs.
# Dataset:  mmseg's LIPDataset on the official LIP release layout under data/LIP
#           (see hrnet_mm/datasets/lip.py).  The flip-test model is hrnet_mm's
#           FlipSwapSegTTAModel, registered into mmseg on
#           `hrnet_mm.register_all()` (custom_imports: hrnet_mm.plugin).
# Schedule: paper Sec. 5: SGD lr 0.007, momentum 0.9, weight decay 5e-4, poly 0.9
#           (to 0), 110K iterations, batch 40 on 4 GPUs (4x10).
# Input:    images resized to 473x473; training adds random scale [0.5, 2], a random
#           473x473 crop and a horizontal flip that swaps the left/right labels
#           (14/15 arms, 16/17 legs, 18/19 shoes).  Testing averages the original
#           and the flipped image with the flipped prediction's left/right channels
#           swapped back (FlipSwapSegTTAModel) -- the paper's protocol:
#               python tools/test.py CONFIG CHECKPOINT --tta
#           Without --tta the test is single-view.
# Other GPU counts: `--auto-scale-lr` scales lr from the total batch of 40.
# Fusion:   mmseg's upsampling (model.backbone.upsample_by='scale', the mmseg-registered
#           HRNet's default), which mmseg's zoo checkpoints were trained with; official
#           HRNet-Semantic-Segmentation checkpoints need 'size' (tools/convert_checkpoint.py
#           prints the overrides).
_base_ = './fcn_hrnetv2-w48_4xb3-120k_cityscapes-512x1024.py'

dataset_type = 'LIPDataset'
data_root = 'data/LIP/'
crop_size = (473, 473)
lip_flip_pairs = [(14, 15), (16, 17), (18, 19)]  # (left, right) label pairs

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=crop_size, ratio_range=(0.5, 2.0),
         keep_ratio=False),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5, direction='horizontal',
         swap_seg_labels=lip_flip_pairs),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs'),
]
tta_pipeline = [
    dict(type='LoadImageFromFile', backend_args=None),
    dict(type='TestTimeAug',
         transforms=[
             [dict(type='Resize', scale=crop_size, keep_ratio=False)],
             [dict(type='RandomFlip', prob=0., direction='horizontal'),
              dict(type='RandomFlip', prob=1., direction='horizontal')],
             [dict(type='LoadAnnotations')],
             [dict(type='PackSegInputs')],
         ]),
]
tta_model = dict(type='FlipSwapSegTTAModel', swap_label_pairs=lip_flip_pairs)

train_dataloader = dict(
    batch_size=10,
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(
            img_path='TrainVal_images/train_images',
            seg_map_path='TrainVal_parsing_annotations/train_segmentations'),
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(
            img_path='TrainVal_images/val_images',
            seg_map_path='TrainVal_parsing_annotations/val_segmentations'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator

model = dict(
    data_preprocessor=dict(size=crop_size),
    decode_head=dict(num_classes=20))

# The Cityscapes config's schedule with LIP's numbers.
optim_wrapper = dict(optimizer=dict(lr=0.007))
train_cfg = dict(max_iters=110000, val_interval=11000)
default_hooks = dict(checkpoint=dict(interval=11000))
auto_scale_lr = dict(base_batch_size=40)

paper = dict(
    source='TPAMI',
    table='T6',
    row='HRNetV2-W48, LIP val',
    metric='mIoU', value=55.90,
    params_m=None, gflops=None,
    input_shape=(3, 473, 473),  # the paper's LIP train/test size
    zoo=None,  # mmseg has no LIP dataset or config
    note='paper number with flip averaging (--tta, left/right channels swapped); '
         'pixel acc. 88.21 and avg. acc. 67.43 are aAcc and mAcc')
