# Hybrid Task Cascade, HRNetV2p-W18 backbone + HRFPN neck, 20e schedule, COCO 2017.
#
# Paper: TPAMI HRNet, Table 10 (COCO val, Mask R-CNN and extensions),
#   row "Hybrid Task Cascade / HRNetV2p-W18 / 20e": bbox AP 43.1, mask AP 37.9.
#   #params 66.1M, 458.3 GFLOPs (Table 7, H-18, input 800x1200).
# Schedule: 20e = 20 epochs, lr steps at epochs 16 and 19.
#   SGD lr 0.02 for a total batch of 16 (8 GPUs x 2 images).
# Input: shorter side 800, long side <= 1333 (Resize (1333, 800), keep ratio),
#   random horizontal flip; single-scale test.
#   HTC's semantic branch also reads data/coco/stuffthingmaps (COCO-Stuff).
# Other GPU counts: tools/train.py --auto-scale-lr scales the lr by
#   total batch / auto_scale_lr.base_batch_size.
# Model: MMDetection's own config, mmdet::hrnet/htc_hrnetv2p-w18_20e_coco.py;
#   hrnet_mm registers its HRNet/HRFPN under the same type names.
# ImageNet init: open-mmlab://msra/hrnetv2_w18; from random init set
#   --cfg-options model.backbone.init_cfg=None.
_base_ = [
    'mmdet::hrnet/htc_hrnetv2p-w18_20e_coco.py',
    '../_base_/hrnet_mm.py',
]

paper = dict(
    source='TPAMI',
    table='T10',
    row='Hybrid Task Cascade, HRNetV2p-W18, 20e',
    metric='bbox AP',
    value=43.1,
    params_m=66.1,
    gflops=458.3,
    # Table 7: "input size 800x1200 and if applicable 512 proposals fed into R-CNN"
    input_shape=(3, 800, 1200),
    zoo=dict(metric='bbox AP', value=42.8),
    note='paper mask AP 37.9; mmdet zoo mask AP 37.9')
