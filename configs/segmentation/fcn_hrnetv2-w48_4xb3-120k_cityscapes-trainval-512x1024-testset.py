# HRNetV2-W48 + FCN head, trained on Cityscapes train+val, evaluated on test.
#
# Paper:    TPAMI HRNet, Table 4 (Cityscapes test, six scales + flipping),
#           "Model learned on the train+val set" row "HRNetV2 | HRNetV2-W48 |
#           81.6 mIoU | 61.8 iIoU cla. | 92.1 IoU cat. | 82.2 iIoU cat.".
# Model and schedule: as fcn_hrnetv2-w48_4xb3-120k_cityscapes-512x1024.py (SGD lr
#           0.01, momentum 0.9, wd 5e-4, poly 0.9, 120K iterations, batch 12 on
#           4 GPUs (4x3), 512x1024 crops), with train and val (2,975 + 500 fine
#           images, no coarse data) concatenated for training.
# Testing:  test-server PNGs (CityscapesMetric, format_only); six scales + flip
#           with `python tools/test.py CONFIG CHECKPOINT --tta`.
# Other GPU counts: `--auto-scale-lr` scales lr from the total batch of 12.
# Fusion:   mmseg's upsampling (model.backbone.upsample_by='scale', the mmseg-registered
#           HRNet's default), which mmseg's zoo checkpoints were trained with; official
#           HRNet-Semantic-Segmentation checkpoints need 'size' (tools/convert_checkpoint.py
#           prints the overrides).
_base_ = './fcn_hrnetv2-w48_4xb3-120k_cityscapes-512x1024-testset.py'

_train = _base_.train_dataloader.dataset
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='ConcatDataset',
        datasets=[
            _train,
            dict(_train, data_prefix=dict(img_path='leftImg8bit/val',
                                          seg_map_path='gtFine/val')),
        ]))
del _train

paper = dict(
    source='TPAMI',
    table='T4',
    row='HRNetV2-W48, Cityscapes test, model learned on the train+val set',
    metric='mIoU', value=81.6,
    params_m=None, gflops=None,
    input_shape=(3, 1024, 2048),  # full Cityscapes frame (Table 4 gives no GFLOPs)
    zoo=None,  # mmseg reports no Cityscapes test-server numbers
    note='test-server submission; the paper number is multi-scale + flip (--tta)')
