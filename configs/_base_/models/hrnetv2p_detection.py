# HRNetV2p for any MMDetection detector: HRNet + HRFPN, per width, merged with one line.
#
#   _base_ = ['mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py',
#             '<hrnet_mm>/configs/_base_/models/hrnetv2p_detection.py']
#   model = dict(_base_.hrnetv2p_w32)
#
# `_delete_=True` drops the ResNet backbone's and the FPN's arguments; HRFPN takes the
# backbone's [C, 2C, 4C, 8C] channels.  ImageNet weights: open-mmlab://msra/hrnetv2_wC
# (a local copy, see the README's Weights); set backbone.init_cfg=None for random init.
_base_ = '../hrnet_mm.py'


def _hrnetv2p(width):  # a config's functions are dropped once the file is read
    return dict(
        backbone=dict(_delete_=True, type='HRNet', arch=f'w{width}', init_cfg=dict(
            type='Pretrained', checkpoint=f'open-mmlab://msra/hrnetv2_w{width}')),
        neck=dict(_delete_=True, type='HRFPN', out_channels=256,
                  in_channels=[width * 2**i for i in range(4)]))


hrnetv2p_w18, hrnetv2p_w32, hrnetv2p_w40, hrnetv2p_w48 = map(_hrnetv2p, (18, 32, 40, 48))
