# Cascade R-CNN, HRNetV2p-W18 backbone + HRFPN neck, 20e schedule, COCO 2017.
#
# Paper: TPAMI HRNet, Table 8 (COCO val, Faster/Cascade R-CNN),
#   row "Cascade R-CNN / HRNetV2p-W18 / 20e": bbox AP 41.3.
#   #params 55.1M, 207.8 GFLOPs (Table 7, H-18, input 800x1200).
# Schedule: 20e = 20 epochs, lr steps at epochs 16 and 19.
#   SGD lr 0.02 for a total batch of 16 (8 GPUs x 2 images).
# Input: shorter side 800, long side <= 1333 (Resize (1333, 800), keep ratio),
#   random horizontal flip; single-scale test.
# Other GPU counts: tools/train.py --auto-scale-lr scales the lr by
#   total batch / auto_scale_lr.base_batch_size.
# Model: MMDetection's own config, mmdet::hrnet/cascade-rcnn_hrnetv2p-w18-20e_coco.py;
#   hrnet_mm registers its HRNet/HRFPN under the same type names.
# ImageNet init: open-mmlab://msra/hrnetv2_w18; from random init set
#   --cfg-options model.backbone.init_cfg=None.
_base_ = [
    'mmdet::hrnet/cascade-rcnn_hrnetv2p-w18-20e_coco.py',
    '../_base_/hrnet_mm.py',
]

paper = dict(
    source='TPAMI',
    table='T8',
    row='Cascade R-CNN, HRNetV2p-W18, 20e',
    metric='bbox AP',
    value=41.3,
    params_m=55.1,
    gflops=207.8,
    # Table 7: "input size 800x1200 and if applicable 512 proposals fed into R-CNN"
    input_shape=(3, 800, 1200),
    zoo=dict(metric='bbox AP', value=41.2),
    note='')
