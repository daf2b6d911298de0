# HRNet-Wx-C, the ImageNet classifier of the HRNetV2 paper (appendix, Figure 5), with
# residual units of two 3x3 convolutions: the configs under configs/imagenet set the width.
_base_ = '../hrnet_mm.py'
default_scope = 'hrnet_mm'

model = dict(
    type='hrnet_mm.HRNetImageClassifier',
    # torchvision's ImageNet normalization on RGB input, as the official code.
    data_preprocessor=dict(type='ImgDataPreprocessor', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
    backbone=dict(type='hrnet_mm.HRNet', arch='w18'),
    head=dict(type='hrnet_mm.HRNetClsHead', head_channels=(32, 64, 128, 256),
              num_features=2048, num_classes=1000),
)
