# HRNetV2-W18 + FCN head on Cityscapes (19 classes).
#
# Paper:    no row: TPAMI Table 3 lists HRNetV2-W40 and W48 only.  Kept for the
#           model family (mmseg's fcn_hr18 recipe, trained with the paper's
#           Cityscapes protocol).
# Model:    branch widths 18/36/72/144 (15C = 270 channels), ImageNet-pretrained
#           open-mmlab://msra/hrnetv2_w18.
# Schedule: as the W48 config: SGD lr 0.01, momentum 0.9, wd 5e-4, poly 0.9,
#           120K iterations, batch 12 on 4 GPUs (4x3), SyncBN.
# Input:    512x1024 training crops; whole 1024x2048 image at test, single scale.
# Other GPU counts: `--auto-scale-lr` scales lr from the total batch of 12.
# Toolbox reference: mmseg hrnet/fcn_hr18_4xb2-160k_cityscapes-512x1024: 78.8.
# Fusion:   mmseg's upsampling (model.backbone.upsample_by='scale', the mmseg-registered
#           HRNet's default), which mmseg's zoo checkpoints were trained with; official
#           HRNet-Semantic-Segmentation checkpoints need 'size' (tools/convert_checkpoint.py
#           prints the overrides).
_base_ = './fcn_hrnetv2-w48_4xb3-120k_cityscapes-512x1024.py'

model = dict(_base_.hrnetv2_w18)  # the W18 preset, its ImageNet weights, the head to match

paper = dict(
    source='TPAMI',
    table='T3',
    row='HRNetV2-W18, Cityscapes val (not in the table)',
    metric='mIoU', value=None,
    params_m=None, gflops=None,
    input_shape=(3, 1024, 2048),  # Table 3 caption: GFLOPs on 1024x2048
    zoo=dict(metric='mIoU', value=78.8),  # mmseg fcn_hr18_4xb2-160k_cityscapes
    note='no paper number: Table 3 has W40 and W48 only; the zoo number is '
         "mmseg's 4x2 160K recipe")
