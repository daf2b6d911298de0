# Faster R-CNN, HRNetV2p-W40 backbone + HRFPN neck, 2x schedule, COCO 2017.
#
# Paper: TPAMI HRNet, Table 11 (COCO test-dev) only, row
#   "Faster R-CNN / HRNetV2p-W40 / 2x": bbox AP 42.1; Tables 7-10 have no W40.
#   Table 7 has no #params/GFLOPs for W40.
# Schedule: 2x = 24 epochs, lr steps at epochs 16 and 22 (the paper's 2x follows its ref. [38]).
#   SGD lr 0.02 for a total batch of 16 (8 GPUs x 2 images).
# Input: shorter side 800, long side <= 1333 (Resize (1333, 800), keep ratio),
#   random horizontal flip; single-scale test.
# Other GPU counts: tools/train.py --auto-scale-lr scales the lr by
#   total batch / auto_scale_lr.base_batch_size.
# Model: MMDetection's own config, mmdet::hrnet/faster-rcnn_hrnetv2p-w40_2x_coco.py;
#   hrnet_mm registers its HRNet/HRFPN under the same type names.
# ImageNet init: open-mmlab://msra/hrnetv2_w40; from random init set
#   --cfg-options model.backbone.init_cfg=None.
_base_ = [
    'mmdet::hrnet/faster-rcnn_hrnetv2p-w40_2x_coco.py',
    '../_base_/hrnet_mm.py',
]

paper = dict(
    source='TPAMI',
    table='T11',
    row='Faster R-CNN, HRNetV2p-W40, 2x (COCO test-dev)',
    metric='bbox AP',
    value=None,
    params_m=None,
    gflops=None,
    # Table 7: "input size 800x1200 and if applicable 512 proposals fed into R-CNN"
    input_shape=(3, 800, 1200),
    zoo=dict(metric='bbox AP', value=42.1),
    note=('no COCO val number in the paper (Tables 7-10 have no W40); Table 11 '
          'reports COCO test-dev bbox AP 42.1'))
