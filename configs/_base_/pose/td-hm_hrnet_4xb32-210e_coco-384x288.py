# The pose recipe at 384x288 input: mmpose's codec for that size (72x96 heatmaps, sigma
# 3), and the recipe's pipelines with it.
_base_ = './td-hm_hrnet_4xb32-210e_coco-256x192.py'

codec = dict(_base_.codec, input_size=(288, 384), heatmap_size=(72, 96), sigma=3)


def _with_codec(pipeline):  # a config's functions are dropped once the file is read
    return [dict(t, input_size=codec['input_size']) if t['type'] == 'TopdownAffine' else
            dict(t, encoder=codec) if t['type'] == 'GenerateTarget' else t for t in pipeline]


model = dict(head=dict(decoder=codec))
train_dataloader = dict(
    dataset=dict(pipeline=_with_codec(_base_.train_dataloader.dataset.pipeline)))
val_dataloader = dict(dataset=dict(pipeline=_with_codec(_base_.val_dataloader.dataset.pipeline)))
test_dataloader = val_dataloader
