# HRNetV2-W18 facial landmarks, evaluated on the 300W challenging subset (135 IBUG faces).
#
# Paper:    HRNetV2 (conference paper), Table 12 (300W), row "HRNetV2-W18: common 2.87,
#           challenging 5.15, full 3.32": the challenging number.
#           HRNetV2-W18: #params 9.3M, 4.3 GFLOPs at 256x256 (Sec. 4.3).
# Model, schedule and input: td-hm_hrnetv2-w18_1xb16-60e_300w-256x256.py (official
#           HRNetV2-W18 face network, 9.65M parameters built; Adam lr 1e-4, x0.1 at
#           epochs 30/50, 60 epochs, batch 16 on one GPU; 256x256 crops).  Only the
#           evaluation set changes, so a checkpoint trained with that config is
#           tested with this one:  python tools/test.py CONFIG CHECKPOINT
# Other GPU counts: `tools/train.py --auto-scale-lr` scales lr linearly from the
#           total batch of 16.
# Toolbox reference: mmpose's metafile for the same network: NME challenge 5.64.
_base_ = './td-hm_hrnetv2-w18_1xb16-60e_300w-256x256.py'

test_dataloader = dict(
    dataset=dict(ann_file='annotations/face_landmarks_300w_valid_challenge.json'))

paper = dict(
    source='HRNetV2',
    table='T12',
    row='HRNetV2-W18, 300W challenging',
    metric='NME', value=5.15,
    params_m=9.3, gflops=4.3,
    input_shape=(3, 256, 256),  # Sec. 4.3: #params/GFLOPs "obtained on 256x256"
    zoo=dict(metric='NME', value=5.64),  # mmpose metafile
    note='built model: 9.65M parameters (official architecture, as mmpose); '
         "the paper's 9.3M / 4.3 GFLOPs are the figures of HRNet-W18 with the HRNetV1 "
         'head (high-resolution branch only, 1x1 conv to the heatmaps): 9.32M and 4.25 '
         'GMACs at 256x256 with 68 landmarks (tests/test_configs/test_pose_face_configs.py), '
         'not of the HRNetV2-W18 network whose results the paper reports, built here')
