# HRNetV1-W32 pose estimation on COCO, 256x192, trained from scratch.
#
# Paper:    TPAMI HRNet, Table 1 (COCO val2017), row
#           "HRNetV1 | HRNetV1-W32 | N | 256x192 | 28.5M | 7.10 GFLOPs | AP 73.4"
#           (Pretrain = N: no ImageNet pre-training).
# Model:    as td-hm_hrnet-w32_4xb32-210e_coco-256x192.py, but the backbone starts
#           from the official pose code's initialisation: conv weights N(0, 0.001),
#           BN weight 1 / bias 0 -- no checkpoint is loaded.
# Schedule: as the pretrained row (paper Sec. 4): Adam, lr 1e-3, x0.1 at epochs
#           170 and 200, 210 epochs, 4 GPUs x 32 images, no warm-up.
# Input:    256x192 crops; rotation +-45, scale [0.65, 1.35], flip, half body;
#           flip-averaged testing on SimpleBaseline detections (AP_H 56).
# Other GPU counts: `--auto-scale-lr` scales lr from the total batch of 128.
_base_ = './td-hm_hrnet-w32_4xb32-210e_coco-256x192.py'

model = dict(
    backbone=dict(init_cfg=[
        dict(type='Normal', std=0.001, layer=['Conv2d']),
        dict(type='Constant', val=1, layer=['_BatchNorm', 'GroupNorm']),
    ]))

paper = dict(
    source='TPAMI',
    table='T1',
    row='HRNetV1-W32, no pretrain, 256x192, COCO val',
    metric='AP', value=73.4,
    params_m=28.5, gflops=7.10,
    input_shape=(3, 256, 192),  # Table 1 input size (GFLOPs refer to it)
    zoo=None,  # mmpose has no from-scratch HRNet config
    note='')
