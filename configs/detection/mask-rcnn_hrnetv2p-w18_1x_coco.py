# Mask R-CNN, HRNetV2p-W18 backbone + HRFPN neck, 1x schedule, COCO 2017.
#
# Paper: TPAMI HRNet, Table 10 (COCO val, Mask R-CNN and extensions),
#   row "Mask R-CNN / HRNetV2p-W18 / 1x": bbox AP 37.1, mask AP 33.8.
#   #params 30.1M, 247.9 GFLOPs (Table 7, H-18, input 800x1200).
# Schedule: 1x = 12 epochs, lr steps at epochs 8 and 11.
#   SGD lr 0.02 for a total batch of 16 (8 GPUs x 2 images).
# Input: shorter side 800, long side <= 1333 (Resize (1333, 800), keep ratio),
#   random horizontal flip; single-scale test.
# Other GPU counts: tools/train.py --auto-scale-lr scales the lr by
#   total batch / auto_scale_lr.base_batch_size.
# Model: MMDetection's own config, mmdet::hrnet/mask-rcnn_hrnetv2p-w18-1x_coco.py;
#   hrnet_mm registers its HRNet/HRFPN under the same type names.
# ImageNet init: open-mmlab://msra/hrnetv2_w18; from random init set
#   --cfg-options model.backbone.init_cfg=None.
_base_ = [
    'mmdet::hrnet/mask-rcnn_hrnetv2p-w18-1x_coco.py',
    '../_base_/hrnet_mm.py',
]

paper = dict(
    source='TPAMI',
    table='T10',
    row='Mask R-CNN, HRNetV2p-W18, 1x',
    metric='bbox AP',
    value=37.1,
    params_m=30.1,
    gflops=247.9,
    # Table 7: "input size 800x1200 and if applicable 512 proposals fed into R-CNN"
    input_shape=(3, 800, 1200),
    zoo=dict(metric='bbox AP', value=37.7),
    note='paper mask AP 33.8; mmdet zoo mask AP 34.2')
