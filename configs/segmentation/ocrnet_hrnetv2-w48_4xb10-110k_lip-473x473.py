# HRNetV2-W48 + OCR on LIP human parsing (20 classes incl. background).
#
# Paper:    TPAMI HRNet, Table 6 (LIP val; original + flipped image averaged), row
#           "HRNetV2 + OCR | HRNetV2-W48 | N | pixel acc. 88.24 | avg. acc. 67.84 |
#           mIoU 56.48".
# Model:    fcn_hrnetv2-w48_4xb10-110k_lip-473x473.py turned into mmseg's OCR
#           cascade: FCN auxiliary head (loss 0.4) + OCRHead (3x3 conv 720->512,
#           256 key channels; loss 1.0), as in the official HRNet-OCR.
# Schedule: SGD lr 0.007, momentum 0.9, wd 5e-4, poly 0.9, 110K iterations, batch
#           40 on 4 GPUs (4x10).
# Input:    473x473; training flip swaps left/right labels; the paper's flip test
#           (left/right channels swapped back) is
#               python tools/test.py CONFIG CHECKPOINT --tta
# Other GPU counts: `--auto-scale-lr` scales lr from the total batch of 40.
# Fusion:   mmseg's upsampling (model.backbone.upsample_by='scale', the mmseg-registered
#           HRNet's default), which mmseg's zoo checkpoints were trained with; official
#           HRNet-Semantic-Segmentation checkpoints need 'size' (tools/convert_checkpoint.py
#           prints the overrides).
_base_ = './fcn_hrnetv2-w48_4xb10-110k_lip-473x473.py'

# The OCR cascade of configs/_base_/models/hrnetv2_segmentation.py on the base's head.
model = dict(_base_.ocr_cascade, decode_head=[
    dict(_base_.model.decode_head, loss_decode=_base_.ocr_soft_region_loss),
    dict(_base_.ocr_head_w48, num_classes=_base_.model.decode_head.num_classes)])

paper = dict(
    source='TPAMI',
    table='T6',
    row='HRNetV2-W48 + OCR, LIP val',
    metric='mIoU', value=56.48,
    params_m=None, gflops=None,
    input_shape=(3, 473, 473),  # the paper's LIP train/test size
    zoo=None,  # mmseg has no LIP dataset or config
    note='paper number with flip averaging (--tta, left/right channels swapped); '
         'pixel acc. 88.24 and avg. acc. 67.84 are aAcc and mAcc')
