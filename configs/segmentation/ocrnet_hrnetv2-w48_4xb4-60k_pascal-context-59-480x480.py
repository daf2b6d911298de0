# HRNetV2-W48 + OCR on PASCAL-Context, 59 classes.
#
# Paper:    TPAMI HRNet, Table 5 (PASCAL-Context test, six scales + flipping),
#           row "HRNetV2 + OCR | HRNetV2-W48 | mIoU (59) 56.2 | mIoU (60) 50.1": the
#           59-class number, 56.2.
# Model:    fcn_hrnetv2-w48_4xb4-60k_pascal-context-59-480x480.py turned into
#           mmseg's OCR cascade: FCN auxiliary head (loss 0.4) + OCRHead (3x3 conv
#           720->512, 256 key channels; loss 1.0), as in the official HRNet-OCR.
# Schedule: SGD lr 0.004, momentum 0.9, wd 1e-4, poly 0.9, 60K iterations, batch
#           16 on 4 GPUs (4x4).
# Input:    480x480 training crops; 480x480 test input, whole-image inference;
#           six scales + flip: `python tools/test.py CONFIG CHECKPOINT --tta`.
# Other GPU counts: `--auto-scale-lr` scales lr from the total batch of 16.
# Fusion:   mmseg's upsampling (model.backbone.upsample_by='scale', the mmseg-registered
#           HRNet's default), which mmseg's zoo checkpoints were trained with; official
#           HRNet-Semantic-Segmentation checkpoints need 'size' (tools/convert_checkpoint.py
#           prints the overrides).
_base_ = './fcn_hrnetv2-w48_4xb4-60k_pascal-context-59-480x480.py'

# The OCR cascade of configs/_base_/models/hrnetv2_segmentation.py on the base's head.
model = dict(_base_.ocr_cascade, decode_head=[
    dict(_base_.model.decode_head, loss_decode=_base_.ocr_soft_region_loss),
    dict(_base_.ocr_head_w48, num_classes=_base_.model.decode_head.num_classes)])

# The FCN config's table and input size; this row's number.
paper = dict(_base_.paper, row='HRNetV2-W48 + OCR, PASCAL-Context, mIoU (59 classes)', value=56.2,
             zoo=None,  # mmseg has no OCRNet PASCAL-Context config
             note='paper number with six scales + flip (--tta)')
