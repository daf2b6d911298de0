# Mask R-CNN, HRNetV2p-W32 backbone + HRFPN neck, 1x schedule, COCO 2017.
#
# Paper: TPAMI HRNet, Table 10 (COCO val, Mask R-CNN and extensions),
#   row "Mask R-CNN / HRNetV2p-W32 / 1x": bbox AP 40.9, mask AP 36.7.
#   #params 49.9M, 341.0 GFLOPs (Table 7, H-32, input 800x1200).
# Schedule: 1x = 12 epochs, lr steps at epochs 8 and 11.
#   SGD lr 0.02 for a total batch of 16 (8 GPUs x 2 images).
# Input: shorter side 800, long side <= 1333 (Resize (1333, 800), keep ratio),
#   random horizontal flip; single-scale test.
# Other GPU counts: tools/train.py --auto-scale-lr scales the lr by
#   total batch / auto_scale_lr.base_batch_size.
# Model: MMDetection's own config, mmdet::hrnet/mask-rcnn_hrnetv2p-w32-1x_coco.py;
#   hrnet_mm registers its HRNet/HRFPN under the same type names.
# ImageNet init: open-mmlab://msra/hrnetv2_w32; from random init set
#   --cfg-options model.backbone.init_cfg=None.
_base_ = [
    'mmdet::hrnet/mask-rcnn_hrnetv2p-w32-1x_coco.py',
    '../_base_/hrnet_mm.py',
]

paper = dict(
    source='TPAMI',
    table='T10',
    row='Mask R-CNN, HRNetV2p-W32, 1x',
    metric='bbox AP',
    value=40.9,
    params_m=49.9,
    gflops=341.0,
    # Table 7: "input size 800x1200 and if applicable 512 proposals fed into R-CNN"
    input_shape=(3, 800, 1200),
    zoo=dict(metric='bbox AP', value=41.2),
    note='paper mask AP 36.7; mmdet zoo mask AP 37.1')
