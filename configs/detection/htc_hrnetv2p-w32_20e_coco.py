# Hybrid Task Cascade, HRNetV2p-W32 backbone + HRFPN neck, 20e schedule, COCO 2017.
#
# Paper: TPAMI HRNet, Table 10 (COCO val, Mask R-CNN and extensions),
#   row "Hybrid Task Cascade / HRNetV2p-W32 / 20e": bbox AP 45.3, mask AP 39.6.
#   COCO test-dev, Table 11: bbox AP 45.6.
#   #params 85.9M, 551.4 GFLOPs (Table 7, H-32, input 800x1200).
# Schedule: 20e = 20 epochs, lr steps at epochs 16 and 19.
#   SGD lr 0.02 for a total batch of 16 (8 GPUs x 2 images).
# Input: shorter side 800, long side <= 1333 (Resize (1333, 800), keep ratio),
#   random horizontal flip; single-scale test.
#   HTC's semantic branch also reads data/coco/stuffthingmaps (COCO-Stuff).
# Other GPU counts: tools/train.py --auto-scale-lr scales the lr by
#   total batch / auto_scale_lr.base_batch_size.
# Model: MMDetection's own config, mmdet::hrnet/htc_hrnetv2p-w32_20e_coco.py;
#   hrnet_mm registers its HRNet/HRFPN under the same type names.
# ImageNet init: open-mmlab://msra/hrnetv2_w32; from random init set
#   --cfg-options model.backbone.init_cfg=None.
_base_ = [
    'mmdet::hrnet/htc_hrnetv2p-w32_20e_coco.py',
    '../_base_/hrnet_mm.py',
]

paper = dict(
    source='TPAMI',
    table='T10',
    row='Hybrid Task Cascade, HRNetV2p-W32, 20e (COCO test-dev: T11)',
    metric='bbox AP',
    value=45.3,
    params_m=85.9,
    gflops=551.4,
    # Table 7: "input size 800x1200 and if applicable 512 proposals fed into R-CNN"
    input_shape=(3, 800, 1200),
    zoo=dict(metric='bbox AP', value=45.4),
    note='COCO test-dev (T11) bbox AP 45.6; paper mask AP 39.6; mmdet zoo mask AP 39.9')
