# HRNetV2-W48 + FCN head, trained on Cityscapes train, evaluated on Cityscapes test.
#
# Paper:    TPAMI HRNet, Table 4 (Cityscapes test, six scales + flipping),
#           "Model learned on the train set" row "HRNetV2 | HRNetV2-W48 |
#           80.4 mIoU | 59.2 iIoU cla. | 91.5 IoU cat. | 80.8 iIoU cat.".
# Model and training: fcn_hrnetv2-w48_4xb3-120k_cityscapes-512x1024.py (SGD lr
#           0.01, momentum 0.9, wd 5e-4, poly 0.9, 120K iterations, batch 12 on
#           4 GPUs (4x3), 512x1024 crops).
# Testing:  the test split has no public labels: the test loop writes labelId PNGs
#           for the evaluation server (mmseg's CityscapesMetric, format_only; needs
#           the `cityscapesscripts` package).  The paper's protocol is six scales
#           (0.5..1.75 of 2048x1024) + horizontal flip:
#               python tools/test.py CONFIG CHECKPOINT --tta
#           (mmseg's test script swaps in `tta_pipeline` / `tta_model`).
# Other GPU counts: `--auto-scale-lr` scales lr from the total batch of 12.
# Fusion:   mmseg's upsampling (model.backbone.upsample_by='scale', the mmseg-registered
#           HRNet's default), which mmseg's zoo checkpoints were trained with; official
#           HRNet-Semantic-Segmentation checkpoints need 'size' (tools/convert_checkpoint.py
#           prints the overrides).
_base_ = './fcn_hrnetv2-w48_4xb3-120k_cityscapes-512x1024.py'

img_ratios = [0.5, 0.75, 1.0, 1.25, 1.5, 1.75]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(2048, 1024), keep_ratio=True),
    dict(type='PackSegInputs'),
]
tta_pipeline = [
    dict(type='LoadImageFromFile', backend_args=None),
    dict(type='TestTimeAug',
         transforms=[
             [dict(type='Resize', scale_factor=r, keep_ratio=True)
              for r in img_ratios],
             [dict(type='RandomFlip', prob=0., direction='horizontal'),
              dict(type='RandomFlip', prob=1., direction='horizontal')],
             [dict(type='PackSegInputs')],
         ]),
]
test_dataloader = dict(
    dataset=dict(
        data_prefix=dict(img_path='leftImg8bit/test', seg_map_path='gtFine/test'),
        pipeline=test_pipeline))
test_evaluator = dict(
    _delete_=True, type='CityscapesMetric', format_only=True, keep_results=True,
    output_dir='work_dirs/format_results/cityscapes_test')

paper = dict(
    source='TPAMI',
    table='T4',
    row='HRNetV2-W48, Cityscapes test, model learned on the train set',
    metric='mIoU', value=80.4,
    params_m=None, gflops=None,
    input_shape=(3, 1024, 2048),  # full Cityscapes frame (Table 4 gives no GFLOPs)
    zoo=None,  # mmseg reports no Cityscapes test-server numbers
    note='test-server submission; the paper number is multi-scale + flip (--tta)')
