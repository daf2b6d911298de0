# HRNetV2-W48 + FCN head on PASCAL-Context, 59 classes (background ignored).
#
# Paper:    TPAMI HRNet, Table 5 (PASCAL-Context test, six scales + flipping),
#           row "HRNetV2 | HRNetV2-W48 | mIoU (59) 54.0 | mIoU (60) 48.3": the 59-class
#           number, 54.0.
# Model, schedule and input: as fcn_hrnetv2-w48_4xb4-60k_pascal-context-480x480.py
#           (SGD lr 0.004, momentum 0.9, wd 1e-4, poly 0.9, 60K iterations, batch
#           16 on 4 GPUs (4x4), 480x480 crops; 480x480 test input), with mmseg's
#           PascalContextDataset59 (label 0 = background -> ignored) and 59 outputs.
#           Six scales + flip: `python tools/test.py CONFIG CHECKPOINT --tta`.
# Other GPU counts: `--auto-scale-lr` scales lr from the total batch of 16.
# Toolbox reference: mmseg hrnet/fcn_hr48_4xb4-80k_pascal-context-59-480x480 (80K
#           iterations, sliding-window testing): 53.56 mIoU with ms+flip.
# Fusion:   mmseg's upsampling (model.backbone.upsample_by='scale', the mmseg-registered
#           HRNet's default), which mmseg's zoo checkpoints were trained with; official
#           HRNet-Semantic-Segmentation checkpoints need 'size' (tools/convert_checkpoint.py
#           prints the overrides).
_base_ = './fcn_hrnetv2-w48_4xb4-60k_pascal-context-480x480.py'


def _reduce_zero_label(pipeline):
    return [dict(t, reduce_zero_label=True) if t['type'] == 'LoadAnnotations' else t
            for t in pipeline]


train_pipeline = _reduce_zero_label(_base_.train_pipeline)
test_pipeline = _reduce_zero_label(_base_.test_pipeline)
tta_pipeline = [
    _base_.tta_pipeline[0],
    dict(_base_.tta_pipeline[1],
         transforms=[_reduce_zero_label(step)
                     for step in _base_.tta_pipeline[1].transforms]),
]
del _reduce_zero_label
train_dataloader = dict(dataset=dict(type='PascalContextDataset59',
                                     pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(type='PascalContextDataset59',
                                   pipeline=test_pipeline))
test_dataloader = val_dataloader
model = dict(decode_head=dict(num_classes=59))

paper = dict(
    source='TPAMI',
    table='T5',
    row='HRNetV2-W48, PASCAL-Context, mIoU (59 classes)',
    metric='mIoU', value=54.0,
    params_m=None, gflops=None,
    input_shape=(3, 480, 480),  # the paper's PASCAL-Context train/test size
    zoo=dict(metric='mIoU(ms+flip)', value=53.56),  # mmseg fcn_hr48 80k pascal-context-59
    note='paper number with six scales + flip (--tta); the zoo number is '
         "mmseg's 80K recipe with sliding-window testing")
