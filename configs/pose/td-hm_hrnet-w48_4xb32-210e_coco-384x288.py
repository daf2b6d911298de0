# HRNetV1-W48 top-down heatmap pose estimation on COCO, 384x288 input.
#
# Paper:    TPAMI HRNet, Table 1 (COCO val2017), row
#           "HRNetV1 | HRNetV1-W48 | Y | 384x288 | 63.6M | 32.9 GFLOPs | AP 76.3".
# Model:    HRNetV1-W48 (ImageNet-pretrained backbone; stage 4 fuses into the
#           high-resolution branch only) + mmpose's HeatmapHead (1x1 conv to 17
#           heatmaps at 1/4 resolution), MSE loss on Gaussian heatmaps.
# Schedule: paper Sec. 4: Adam, lr 1e-3, x0.1 at epochs 170 and 200, 210 epochs,
#           4 GPUs; 32 images per GPU (the paper gives no batch size; 32/GPU is the
#           official HRNet pose recipe), no warm-up.
# Input:    person box extended to 4:3, cropped and resized to 384x288; random
#           rotation within +-45 degrees, random scale [0.65, 1.35], flipping and
#           half-body augmentation.  Testing: boxes of the SimpleBaseline person
#           detector (COCO_val2017_detections_AP_H_56_person.json), heatmaps of the
#           image and its flip averaged, quarter-offset peak refinement.
# Recipe:   written once for every pose config in
#           configs/_base_/pose/td-hm_hrnet_4xb32-210e_coco-384x288.py.
# Other GPU counts: `tools/train.py --auto-scale-lr` scales lr linearly from the
#           total batch of 128.
# Toolbox reference: mmpose td-hm_hrnet-w48_8xb32-210e_coco-384x288 (8 GPUs,
#           lr 5e-4 with warm-up, mmpose's default augmentation): AP 0.767 in
#           its metafile.
_base_ = '../_base_/pose/td-hm_hrnet_4xb32-210e_coco-384x288.py'

# HRNetV1-W48: hrnet_mm's preset width, with mmpose's W48 ImageNet weights.
model = dict(_base_.hrnetv1_w48)

paper = dict(
    source='TPAMI',
    table='T1',
    row='HRNetV1-W48, pretrain, 384x288, COCO val',
    metric='AP', value=76.3,
    params_m=63.6, gflops=32.9,
    input_shape=(3, 384, 288),  # Table 1 input size (GFLOPs refer to it)
    zoo=dict(metric='AP', value=76.7),  # mmpose metafile AP 0.767, in percent
    note='training recipe follows the paper (4x32, lr 1e-3, no warm-up, rotation '
         "+-45, scale [0.65, 1.35]); the zoo number is mmpose's 8-GPU recipe")
