# HRNetV2-W18-Small (v2) + FCN head on Cityscapes (19 classes).
#
# Paper:    no row: TPAMI Table 3 lists HRNetV2-W40 and W48 only.  Kept for the
#           model family (mmseg's fcn_hr18s recipe, trained with the paper's
#           Cityscapes protocol).
# Model:    HRNetV2-W18-Small-v2: widths 18/36/72/144, 2 blocks per branch,
#           2 bottlenecks in stage 1, 1/3/2 modules in stages 2/3/4
#           (hrnet_mm arch 'w18_small_v2'); ImageNet-pretrained
#           open-mmlab://msra/hrnetv2_w18_small.
# Schedule: as the W48 config: SGD lr 0.01, momentum 0.9, wd 5e-4, poly 0.9,
#           120K iterations, batch 12 on 4 GPUs (4x3), SyncBN.
# Input:    512x1024 training crops; whole 1024x2048 image at test, single scale.
# Other GPU counts: `--auto-scale-lr` scales lr from the total batch of 12.
# Toolbox reference: mmseg hrnet/fcn_hr18s_4xb2-160k_cityscapes-512x1024: 76.31.
# Fusion:   mmseg's upsampling (model.backbone.upsample_by='scale', the mmseg-registered
#           HRNet's default), which mmseg's zoo checkpoints were trained with; official
#           HRNet-Semantic-Segmentation checkpoints need 'size' (tools/convert_checkpoint.py
#           prints the overrides).
_base_ = './fcn_hrnetv2-w18_4xb3-120k_cityscapes-512x1024.py'

# HRNetV2-W18-Small is the official w18_small_v2 preset (mmseg's hr18s): fewer blocks and
# modules than W18, the same widths.
model = dict(backbone=dict(arch='w18_small_v2', init_cfg=dict(
    checkpoint='open-mmlab://msra/hrnetv2_w18_small')))

paper = dict(
    source='TPAMI',
    table='T3',
    row='HRNetV2-W18-Small, Cityscapes val (not in the table)',
    metric='mIoU', value=None,
    params_m=None, gflops=None,
    input_shape=(3, 1024, 2048),  # Table 3 caption: GFLOPs on 1024x2048
    zoo=dict(metric='mIoU', value=76.31),  # mmseg fcn_hr18s_4xb2-160k_cityscapes
    note='no paper number: Table 3 has W40 and W48 only; the zoo number is '
         "mmseg's 4x2 160K recipe")
