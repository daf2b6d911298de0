# HRNet-W30-C: ImageNet classification, residual units formed by two 3x3 convolutions.
#
# Paper:   HRNetV2 ("High-Resolution Representations for Labeling Pixels and Regions"),
#          appendix "Network Pretraining", Table 14, row "HRNet-W30-C" in the block
#          "Residual branch formed by two 3x3 convolutions": 37.7M parameters,
#          7.55 GFLOPs, top-1 err 21.9%, top-5 err 5.9% (single 224x224 crop);
#          compared there with ResNet-72 (48.4M, 7.46 GFLOPs).
# Model:   HRNetImageClassifier = HRNet backbone (all four branches) + the official
#          classification head of Figure 5: per-branch bottleneck raising the channels to
#          128/256/512/1024, stride-2 3x3 conv + BN + ReLU adding each resolution into the
#          next, 1x1 conv to 2048 + BN + ReLU, global average pooling, linear classifier.
#   Backbone: HRNet-W30 (stem, stage 1 = 4 bottlenecks of width 64, stages 2-4
#   with 1/4/3 modules of 4 BASIC units per branch; branch widths 30, 60, 120, 240).
# Weights: the official HRNet-Image-Classification HRNet-W30-C checkpoint (top-1 err
#   21.8% in its README) and timm's `hrnet_w30` state_dict use the same
#   tensor names and load with nothing missing or unexpected:
#   model.init_cfg = dict(type='Pretrained', checkpoint='<file>').
# Scope:   a model config for complexity checks (tools/model_complexity.py) and inference
#          with ImageNet weights.  ImageNet training and evaluation are out of scope: there
#          is no dataset, data pipeline or schedule here (the paper trains 100 epochs, batch
#          256, SGD with Nesterov momentum, weight decay 1e-4, lr /10 at epochs 30/60/90).
#          `forward(inputs, data_samples, mode='loss')` gives the cross-entropy loss for
#          anyone wiring their own loop.
_base_ = '../_base_/imagenet/hrnet-c.py'

model = dict(backbone=dict(arch='w30'))

paper = dict(
    source='HRNetV2',
    table='T14',
    row='HRNet-W30-C (residual branch formed by two 3x3 convolutions)',
    metric='top-1 err', value=21.9,
    params_m=37.7, gflops=7.55,
    input_shape=(3, 224, 224),  # single-crop testing size
    zoo=dict(metric='top-1 err', value=21.8),  # official HRNet-Image-Classification README
    note=('official head (incre/downsamp/final_layer/classifier); the official and timm '
          'ImageNet weights load unchanged'))
