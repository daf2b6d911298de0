# Faster R-CNN, HRNetV2p-W40 backbone + HRFPN neck, 1x schedule, COCO 2017.
#
# Paper: no row (the TPAMI paper reports W40 only for Faster R-CNN 2x, in
#   Table 11); kept because MMDetection ships and benchmarks it.
#   Table 7 has no #params/GFLOPs for W40.
# Schedule: 1x = 12 epochs, lr steps at epochs 8 and 11.
#   SGD lr 0.02 for a total batch of 16 (8 GPUs x 2 images).
# Input: shorter side 800, long side <= 1333 (Resize (1333, 800), keep ratio),
#   random horizontal flip; single-scale test.
# Other GPU counts: tools/train.py --auto-scale-lr scales the lr by
#   total batch / auto_scale_lr.base_batch_size.
# Model: MMDetection's own config, mmdet::hrnet/faster-rcnn_hrnetv2p-w40-1x_coco.py;
#   hrnet_mm registers its HRNet/HRFPN under the same type names.
# ImageNet init: open-mmlab://msra/hrnetv2_w40; from random init set
#   --cfg-options model.backbone.init_cfg=None.
_base_ = [
    'mmdet::hrnet/faster-rcnn_hrnetv2p-w40-1x_coco.py',
    '../_base_/hrnet_mm.py',
]

paper = dict(
    source='TPAMI',
    table=None,
    row='Faster R-CNN, HRNetV2p-W40, 1x',
    metric='bbox AP',
    value=None,
    params_m=None,
    gflops=None,
    # Table 7: "input size 800x1200 and if applicable 512 proposals fed into R-CNN"
    input_shape=(3, 800, 1200),
    zoo=dict(metric='bbox AP', value=41.2),
    note=('no paper row: neither the COCO val tables nor Table 11 have Faster R-CNN '
          'HRNetV2p-W40 1x; the mmdet model-zoo number is the reference'))
