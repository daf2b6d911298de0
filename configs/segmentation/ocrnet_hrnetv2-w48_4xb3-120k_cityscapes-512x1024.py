# HRNetV2-W48 + OCR (object-contextual representations) on Cityscapes.
#
# Paper:    TPAMI HRNet, Table 3 (Cityscapes val, single scale, no flipping),
#           row "HRNetV2 + OCR | HRNetV2-W48 | 70.3M | 1206.3 GFLOPs | 81.6 mIoU".
# Model:    HRNetV2-W48 as in fcn_hrnetv2-w48_4xb3-120k_cityscapes-512x1024.py,
#           then mmseg's cascade: the FCN head as auxiliary soft-region head
#           (loss weight 0.4) and mmseg's OCRHead (3x3 conv 720->512, object
#           regions, attention with 256 key channels; loss weight 1.0), as in the
#           official HRNet-OCR.
# Schedule: the paper's Cityscapes protocol: SGD lr 0.01, momentum 0.9, wd 5e-4,
#           poly 0.9, 120K iterations, batch 12 on 4 GPUs (4x3), SyncBN.
# Input:    512x1024 training crops; whole 1024x2048 image at test, single scale.
# Other GPU counts: `--auto-scale-lr` scales lr from the total batch of 12.
# Toolbox reference: mmseg ocrnet/ocrnet_hr48_4xb2-160k_cityscapes-512x1024: 81.35.
# Fusion:   mmseg's upsampling (model.backbone.upsample_by='scale', the mmseg-registered
#           HRNet's default), which mmseg's zoo checkpoints were trained with; official
#           HRNet-Semantic-Segmentation checkpoints need 'size' (tools/convert_checkpoint.py
#           prints the overrides).
_base_ = './fcn_hrnetv2-w48_4xb3-120k_cityscapes-512x1024.py'

# The OCR cascade of configs/_base_/models/hrnetv2_segmentation.py on the base's head.
model = dict(_base_.ocr_cascade, decode_head=[
    dict(_base_.model.decode_head, loss_decode=_base_.ocr_soft_region_loss),
    dict(_base_.ocr_head_w48, num_classes=_base_.model.decode_head.num_classes)])

paper = dict(
    source='TPAMI',
    table='T3',
    row='HRNetV2-W48 + OCR, Cityscapes val',
    metric='mIoU', value=81.6,
    params_m=70.3, gflops=1206.3,
    input_shape=(3, 1024, 2048),  # Table 3 caption: GFLOPs on 1024x2048
    zoo=dict(metric='mIoU', value=81.35),  # mmseg ocrnet_hr48_4xb2-160k_cityscapes
    note='schedule and augmentation follow the paper (4x3, 120K, no photometric '
         "jitter); the zoo number is mmseg's 4x2 160K recipe")
