# HRNetV2-W18 facial landmark detection on WFLW (98 landmarks), 256x256.
#
# Paper:    HRNetV2 (conference paper "High-Resolution Representations for Labeling
#           Pixels and Regions"), Table 9 (WFLW test), row
#           "HRNetV2-W18: test NME 4.60" (inter-ocular normalisation).
#           HRNetV2-W18: #params 9.3M, 4.3 GFLOPs at 256x256 (Sec. 4.3).
# Model:    the official HRNet-Facial-Landmark-Detection network: HRNetV2-W18
#           (ImageNet-pretrained; all four stage-4 outputs fused, bilinear
#           upsampling), the four branches upsampled and concatenated (270 ch), head
#           1x1 conv 270->270 + BN + ReLU + 1x1 conv 270->98 heatmaps at 64x64 --
#           mmpose's config is this network.  Built here: 9,662,528 parameters,
#           exactly the official network's count, which is 3.7-3.9% above the
#           paper's "9.3M" (see the note).
# Schedule: paper Sec. 4.3: Adam, lr 1e-4, x0.1 at epochs 30 and 50, 60 epochs,
#           batch 16 on one GPU, no warm-up.
# Input:    faces cropped by the provided boxes, resized to 256x256; +-30 degree
#           rotation, scale 0.75-1.25, random flip; heatmaps of sigma 1.5.
#           Testing: single view, argmax of each heatmap with the quarter offset
#           towards the second maximum.
# Recipe:   written once for every face config in
#           configs/_base_/face/td-hm_hrnetv2-w18_1xb16-60e_256x256.py.
# Other GPU counts: `tools/train.py --auto-scale-lr` scales lr linearly from the
#           total batch of 16.
# Toolbox reference: mmpose td-hm_hrnetv2-w18_8xb64-60e_wflw-256x256 (8x64, lr 2e-3,
#           rotation factor 60, flip test): NME test 4.06 in its metafile.
_base_ = '../_base_/face/td-hm_hrnetv2-w18_1xb16-60e_256x256.py'

# WFLW instead of 300W: its dataset, files and 98 landmarks (mmpose's wflw config).
model = dict(head=dict(out_channels=98))
train_dataloader = dict(dataset=dict(type='WFLWDataset', data_root='data/wflw/',
                                     ann_file='annotations/face_landmarks_wflw_train.json'))
val_dataloader = dict(dataset=dict(type='WFLWDataset', data_root='data/wflw/',
                                   ann_file='annotations/face_landmarks_wflw_test.json'))
test_dataloader = val_dataloader

paper = dict(
    source='HRNetV2',
    table='T9',
    row='HRNetV2-W18, WFLW test',
    metric='NME', value=4.60,
    params_m=9.3, gflops=4.3,
    input_shape=(3, 256, 256),  # Sec. 4.3: #params/GFLOPs "obtained on 256x256"
    zoo=dict(metric='NME', value=4.06),  # mmpose metafile
    note='built model: 9.66M parameters (official architecture, as mmpose); '
         "the paper's 9.3M / 4.3 GFLOPs are the figures of HRNet-W18 with the HRNetV1 "
         'head (high-resolution branch only, 1x1 conv to the heatmaps): 9.32M and 4.25 '
         'GMACs at 256x256 with 68 landmarks (tests/test_configs/test_pose_face_configs.py), '
         'not of the HRNetV2-W18 network whose results the paper reports, built here')
