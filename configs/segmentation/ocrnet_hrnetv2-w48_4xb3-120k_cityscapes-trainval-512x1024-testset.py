# HRNetV2-W48 + OCR, trained on Cityscapes train+val, evaluated on test.
#
# Paper:    TPAMI HRNet, Table 4 (Cityscapes test, six scales + flipping),
#           "Model learned on the train+val set" row "HRNetV2 + OCR | HRNetV2-W48 |
#           82.5 mIoU | 61.7 iIoU cla. | 92.1 IoU cat. | 81.6 iIoU cat.".
# Model:    as ocrnet_hrnetv2-w48_4xb3-120k_cityscapes-512x1024.py (FCN auxiliary
#           head, loss 0.4, + mmseg OCRHead 512/256 channels, loss 1.0).
# Schedule: SGD lr 0.01, momentum 0.9, wd 5e-4, poly 0.9, 120K iterations, batch
#           12 on 4 GPUs (4x3), 512x1024 crops, on train+val (no coarse data).
# Testing:  test-server PNGs (CityscapesMetric, format_only); six scales + flip
#           with `python tools/test.py CONFIG CHECKPOINT --tta`.
# Other GPU counts: `--auto-scale-lr` scales lr from the total batch of 12.
# Fusion:   mmseg's upsampling (model.backbone.upsample_by='scale', the mmseg-registered
#           HRNet's default), which mmseg's zoo checkpoints were trained with; official
#           HRNet-Semantic-Segmentation checkpoints need 'size' (tools/convert_checkpoint.py
#           prints the overrides).
_base_ = './fcn_hrnetv2-w48_4xb3-120k_cityscapes-trainval-512x1024-testset.py'

# The OCR cascade of configs/_base_/models/hrnetv2_segmentation.py on the base's head.
model = dict(_base_.ocr_cascade, decode_head=[
    dict(_base_.model.decode_head, loss_decode=_base_.ocr_soft_region_loss),
    dict(_base_.ocr_head_w48, num_classes=_base_.model.decode_head.num_classes)])

paper = dict(
    source='TPAMI',
    table='T4',
    row='HRNetV2-W48 + OCR, Cityscapes test, model learned on the train+val set',
    metric='mIoU', value=82.5,
    params_m=None, gflops=None,
    input_shape=(3, 1024, 2048),  # full Cityscapes frame (Table 4 gives no GFLOPs)
    zoo=None,  # mmseg reports no Cityscapes test-server numbers
    note='test-server submission; the paper number is multi-scale + flip (--tta)')
