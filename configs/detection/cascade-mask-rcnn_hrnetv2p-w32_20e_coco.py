# Cascade Mask R-CNN, HRNetV2p-W32 backbone + HRFPN neck, 20e schedule, COCO 2017.
#
# Paper: TPAMI HRNet, Table 10 (COCO val, Mask R-CNN and extensions),
#   row "Cascade Mask R-CNN / HRNetV2p-W32 / 20e": bbox AP 44.5, mask AP 38.5.
#   COCO test-dev, Table 11: bbox AP 44.7.
#   #params 82.9M, 506.2 GFLOPs (Table 7, H-32, input 800x1200).
# Schedule: 20e = 20 epochs, lr steps at epochs 16 and 19.
#   SGD lr 0.02 for a total batch of 16 (8 GPUs x 2 images).
# Input: shorter side 800, long side <= 1333 (Resize (1333, 800), keep ratio),
#   random horizontal flip; single-scale test.
# Other GPU counts: tools/train.py --auto-scale-lr scales the lr by
#   total batch / auto_scale_lr.base_batch_size.
# Model: MMDetection's own config, mmdet::hrnet/cascade-mask-rcnn_hrnetv2p-w32_20e_coco.py;
#   hrnet_mm registers its HRNet/HRFPN under the same type names.
# ImageNet init: open-mmlab://msra/hrnetv2_w32; from random init set
#   --cfg-options model.backbone.init_cfg=None.
_base_ = [
    'mmdet::hrnet/cascade-mask-rcnn_hrnetv2p-w32_20e_coco.py',
    '../_base_/hrnet_mm.py',
]

paper = dict(
    source='TPAMI',
    table='T10',
    row='Cascade Mask R-CNN, HRNetV2p-W32, 20e (COCO test-dev: T11)',
    metric='bbox AP',
    value=44.5,
    params_m=82.9,
    gflops=506.2,
    # Table 7: "input size 800x1200 and if applicable 512 proposals fed into R-CNN"
    input_shape=(3, 800, 1200),
    zoo=dict(metric='bbox AP', value=44.3),
    note='COCO test-dev (T11) bbox AP 44.7; paper mask AP 38.5; mmdet zoo mask AP 38.6')
