# HRNet for MMPose top-down heatmap configs, merged with one line:
#
#   _base_ = [
#       'mmpose::body_2d_keypoint/topdown_heatmap/coco/td-hm_res50_8xb64-210e_coco-256x192.py',
#       '<hrnet_mm>/configs/_base_/models/hrnet_pose.py']
#   model = dict(_base_.hrnetv1_w32)   # body pose: HRNetV1 (high-resolution branch)
#   model = dict(_base_.hrnetv2_w18_face)   # face landmarks: HRNetV2 (all branches)
#
# HRNetV1-W32/W48 (TPAMI Table 1): the high-resolution branch, a 1x1 conv to the heatmaps
# (mmpose's W32/W48 ImageNet weights).  HRNetV2-W18 (the HRNetV2 paper's face network):
# the four branches concatenated (270 channels), a 1x1 conv + BN + ReLU, the heatmaps.
_base_ = '../hrnet_mm.py'


def _hrnetv1(width, weights):  # a config's functions are dropped once the file is read
    return dict(
        backbone=dict(_delete_=True, type='HRNet', arch=f'w{width}', multiscale_output=False,
                      init_cfg=dict(type='Pretrained', checkpoint='https://download.openmmlab'
                                    f'.com/mmpose/pretrain_models/hrnet_w{width}-{weights}.pth')),
        head=dict(in_channels=width, deconv_out_channels=None))


hrnetv1_w32 = _hrnetv1(32, '36af842e')
hrnetv1_w48 = _hrnetv1(48, '8ef0771d')
hrnetv2_w18_face = dict(
    backbone=dict(_delete_=True, type='HRNet', arch='w18', multiscale_output=True,
                  upsample_mode='bilinear',
                  init_cfg=dict(type='Pretrained', checkpoint='open-mmlab://msra/hrnetv2_w18')),
    neck=dict(type='FeatureMapProcessor', concat=True),
    head=dict(in_channels=270, deconv_out_channels=None, conv_out_channels=(270, ),
              conv_kernel_sizes=(1, )))
