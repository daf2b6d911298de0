# HRNetV2-W18 facial landmarks, evaluated on the AFLW-Frontal test subset
# (1,314 of the 4,386 test faces).
#
# Paper:    HRNetV2 (conference paper), Table 10 (AFLW), row "HRNetV2-W18: full 1.57,
#           frontal 1.46": the frontal number (NME normalised by the face box).
#           HRNetV2-W18: #params 9.3M, 4.3 GFLOPs at 256x256 (Sec. 4.3).
# Model, schedule and input: td-hm_hrnetv2-w18_1xb16-60e_aflw-256x256.py (official
#           HRNetV2-W18 face network, 9.64M parameters built; Adam lr 1e-4, x0.1 at
#           epochs 30/50, 60 epochs, batch 16 on one GPU; 256x256 crops).  Only the
#           evaluation set changes, so a checkpoint trained with that config is
#           tested with this one:  python tools/test.py CONFIG CHECKPOINT
# Other GPU counts: `tools/train.py --auto-scale-lr` scales lr linearly from the
#           total batch of 16.
# Toolbox reference: mmpose's metafile for the same network: NME frontal 1.27.
_base_ = './td-hm_hrnetv2-w18_1xb16-60e_aflw-256x256.py'

test_dataloader = dict(
    dataset=dict(ann_file='annotations/face_landmarks_aflw_test_frontal.json'))

# The AFLW full config's row, on the frontal test subset (the model and its notes are the same).
paper = dict(_base_.paper, row='HRNetV2-W18, AFLW frontal', value=1.46,
             zoo=dict(metric='NME', value=1.27))  # mmpose metafile
