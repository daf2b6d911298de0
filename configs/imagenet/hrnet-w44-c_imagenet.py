# HRNet-W44-C: ImageNet classification, residual units formed by a bottleneck.
#
# Paper:   HRNetV2 ("High-Resolution Representations for Labeling Pixels and Regions"),
#          appendix "Network Pretraining", Table 14, row "HRNet-W44-C" in the block
#          "Residual branch formed by a bottleneck": 21.9M parameters,
#          3.90 GFLOPs, top-1 err 23.0%, top-5 err 6.5% (single 224x224 crop);
#          compared there with ResNet-50 (25.6M, 3.82 GFLOPs).
# Model:   HRNetImageClassifier = HRNet backbone (all four branches) + the official
#          classification head of Figure 5: per-branch bottleneck raising the channels to
#          128/256/512/1024, stride-2 3x3 conv + BN + ReLU adding each resolution into the
#          next, 1x1 conv to 2048 + BN + ReLU, global average pooling, linear classifier.
#   Backbone: HRNet with bottleneck residual units, branch widths 44, 88, 176, 352
#   (inner widths 11, 22, 44, 88); see `extra` below.  The paper gives no
#   configuration for these rows: C/4 inner widths with the BASIC networks' depth
#   reproduce all three parameter counts of Table 14 (within 0.2%).
# Weights: none were released.  Note the official HRNet-W44-C checkpoint and timm's
#   `hrnet_w44` are the BASIC-unit HRNet-W44 (67.1M parameters), a different network.
#   A checkpoint trained with this config loads through
#   model.init_cfg = dict(type='Pretrained', checkpoint='<file>').
# Scope:   a model config for complexity checks (tools/model_complexity.py) and inference
#          with ImageNet weights.  ImageNet training and evaluation are out of scope: there
#          is no dataset, data pipeline or schedule here (the paper trains 100 epochs, batch
#          256, SGD with Nesterov momentum, weight decay 1e-4, lr /10 at epochs 30/60/90).
#          `forward(inputs, data_samples, mode='loss')` gives the cross-entropy loss for
#          anyone wiring their own loop.
default_scope = 'hrnet_mm'
custom_imports = dict(imports=['hrnet_mm.plugin'], allow_failed_imports=False)

# Residual units formed by a bottleneck (1x1 -> 3x3 -> 1x1, expansion 4): the
# branch representations keep the widths C, 2C, 4C, 8C = 44, 88, 176, 352 and the
# bottlenecks' inner (3x3) widths are C/4 = 11, 22, 44, 88.  Stage 1, module counts
# (1/4/3) and 4 units per branch are those of the BASIC networks.
extra = dict(
    stage1=dict(num_modules=1, num_branches=1, block='BOTTLENECK', num_blocks=(4, ),
                num_channels=(64, )),
    stage2=dict(num_modules=1, num_branches=2, block='BOTTLENECK',
                num_blocks=(4, 4), num_channels=(11, 22)),
    stage3=dict(num_modules=4, num_branches=3, block='BOTTLENECK',
                num_blocks=(4, 4, 4), num_channels=(11, 22, 44)),
    stage4=dict(num_modules=3, num_branches=4, block='BOTTLENECK',
                num_blocks=(4, 4, 4, 4), num_channels=(11, 22, 44, 88)),
)

model = dict(
    type='hrnet_mm.HRNetImageClassifier',
    # torchvision's ImageNet normalization on RGB input, as the official code.
    data_preprocessor=dict(type='ImgDataPreprocessor', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
    backbone=dict(type='hrnet_mm.HRNet', extra=extra),
    head=dict(type='hrnet_mm.HRNetClsHead', head_channels=(32, 64, 128, 256),
              num_features=2048, num_classes=1000),
)

paper = dict(
    source='HRNetV2',
    table='T14',
    row='HRNet-W44-C (residual branch formed by a bottleneck)',
    metric='top-1 err', value=23.0,
    params_m=21.9, gflops=3.90,
    input_shape=(3, 224, 224),  # single-crop testing size
    zoo=None,  # no released weights for the bottleneck variants
    note=('bottleneck variant reconstructed from the parameter count: the paper gives no '
          'configuration; inner widths C/4 with 4 bottleneck units per branch and 1/4/3 '
          'modules give 21.9M within 0.2%'))
