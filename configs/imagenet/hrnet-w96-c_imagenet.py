# HRNet-W96-C: ImageNet classification, residual units formed by a bottleneck.
#
# Paper:   HRNetV2 ("High-Resolution Representations for Labeling Pixels and Regions"),
#          appendix "Network Pretraining", Table 14, row "HRNet-W96-C" in the block
#          "Residual branch formed by a bottleneck": 57.5M parameters,
#          GFLOPs not legible in the paper text,
#          top-1 err 21.0%, top-5 err 5.6% (single 224x224 crop);
#          compared there with ResNet-152 (10.7 GFLOPs).
# Model:   HRNetImageClassifier = HRNet backbone (all four branches) + the official
#          classification head of Figure 5: per-branch bottleneck raising the channels to
#          128/256/512/1024, stride-2 3x3 conv + BN + ReLU adding each resolution into the
#          next, 1x1 conv to 2048 + BN + ReLU, global average pooling, linear classifier.
#   Backbone: HRNet with bottleneck residual units, branch widths 96, 192, 384, 768
#   (inner widths 24, 48, 96, 192); see `extra` below.  The paper gives no
#   configuration for these rows: C/4 inner widths with the BASIC networks' depth
#   reproduce all three parameter counts of Table 14 (within 0.2%).
# Weights: none were released (neither officially nor in timm).  A checkpoint trained
#   with this config loads through model.init_cfg = dict(type='Pretrained', checkpoint=...).
# Scope:   a model config for complexity checks (tools/model_complexity.py) and inference
#          with ImageNet weights.  ImageNet training and evaluation are out of scope: there
#          is no dataset, data pipeline or schedule here (the paper trains 100 epochs, batch
#          256, SGD with Nesterov momentum, weight decay 1e-4, lr /10 at epochs 30/60/90).
#          `forward(inputs, data_samples, mode='loss')` gives the cross-entropy loss for
#          anyone wiring their own loop.
_base_ = '../_base_/imagenet/hrnet-c-bottleneck.py'

# C = 96: inner widths 24, 48, 96, 192.
model = dict(backbone=dict(extra=dict(stage2=dict(num_channels=(24, 48)),
                                      stage3=dict(num_channels=(24, 48, 96)),
                                      stage4=dict(num_channels=(24, 48, 96, 192)))))

paper = dict(
    source='HRNetV2',
    table='T14',
    row='HRNet-W96-C (residual branch formed by a bottleneck)',
    metric='top-1 err', value=21.0,
    params_m=57.5, gflops=None,
    input_shape=(3, 224, 224),  # single-crop testing size
    zoo=None,  # no released weights for the bottleneck variants
    note=('bottleneck variant reconstructed from the parameter count: the paper gives no '
          'configuration; inner widths C/4 with 4 bottleneck units per branch and 1/4/3 '
          'modules give 57.5M within 0.2%; the GFLOPs cell of this row is missing from the '
          'paper text'))
