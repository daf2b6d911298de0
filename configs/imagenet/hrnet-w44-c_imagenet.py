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
_base_ = '../_base_/imagenet/hrnet-c-bottleneck.py'

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
