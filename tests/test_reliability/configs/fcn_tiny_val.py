# fcn_tiny_resume.py with a validation at the end (the demo's IoUMetric on its 4 images at
# 96x72), for the test that resumes a run killed during its final validation.
_base_ = './fcn_tiny_resume.py'

val_dataloader = dict(
    _delete_=True, batch_size=1, num_workers=0, persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='BaseSegDataset', data_root=_base_.data_root,
        metainfo=dict(classes=_base_.classes), img_suffix='.jpg', seg_map_suffix='.png',
        data_prefix=dict(img_path='img_dir/val', seg_map_path='ann_dir/val'),
        pipeline=[dict(type='LoadImageFromFile'),
                  dict(type='Resize', scale=(96, 72), keep_ratio=True),
                  dict(type='LoadAnnotations'),
                  dict(type='PackSegInputs')]))
val_evaluator = dict(_delete_=True, type='IoUMetric', iou_metrics=['mIoU'])
val_cfg = dict(_delete_=True, type='ValLoop')
