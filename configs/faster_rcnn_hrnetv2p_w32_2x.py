# Faster R-CNN, HRNetV2p-W32, 2x schedule on COCO 2017: the same config as
# configs/detection/faster-rcnn_hrnetv2p-w32_2x_coco.py (TPAMI HRNet Table 8 row
# "Faster R-CNN / HRNetV2p-W32 / 2x", COCO val bbox AP 40.9; test-dev Table 11: 41.1),
# kept under this path for convenience.  The paper metadata (`paper`), schedule
# (24 epochs, lr steps at 16 and 22, SGD lr 0.02 for batch 16), input size (shorter
# side 800, long side <= 1333) and auto_scale_lr are all inherited from it.
_base_ = './detection/faster-rcnn_hrnetv2p-w32_2x_coco.py'
