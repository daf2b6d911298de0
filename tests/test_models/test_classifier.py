"""HRNetImageClassifier / HRNetClsHead: the official (== timm) ImageNet model, loaded
strictly, with its loss and predictions."""
import pytest
import torch
import torch.nn.functional as F

from helpers import randomize
from hrnet_mm.errors import ConfigError, IncompatibleCheckpointError
from hrnet_mm.models.classifiers import HRNetImageClassifier, to_classifier_keys

HEAD = dict(head_channels=(32, 64, 128, 256), num_features=2048, num_classes=1000)


@pytest.fixture(scope='module')
def timm_pair(one_thread):
    """timm's hrnet_w18_small (the official layout) and ours with its weights."""
    import timm  # installed by tools/setup_env.sh (the benchmark's peer)
    theirs = randomize(timm.create_model('hrnet_w18_small', pretrained=False), seed=3)
    ours = HRNetImageClassifier(backbone=dict(arch='w18_small_v1'), head=HEAD)
    ours.load_classifier_state_dict(theirs.state_dict())
    return ours.eval(), theirs.eval()


def test_logits_equal_timm_and_the_official_layout(timm_pair):
    ours, theirs = timm_pair
    x = torch.randn(2, 3, 96, 64)
    with torch.no_grad():
        assert torch.equal(ours(x), theirs(x))
        # the pooled features before the classifier too
        assert torch.equal(ours.extract_feat(x), theirs.forward_head(
            theirs.forward_features(x), pre_logits=True))
    # official/timm names are the backbone's and the head's keys, no prefix
    keys = set(theirs.state_dict())
    assert set(to_classifier_keys(theirs.state_dict())) == set(ours.state_dict())
    assert {k.split('.', 1)[1] for k in ours.state_dict() if k.startswith('head.')} <= keys


def test_loading_is_strict(timm_pair):
    ours, theirs = timm_pair
    state = dict(theirs.state_dict())
    fresh = HRNetImageClassifier(backbone=dict(arch='w18_small_v1'), head=HEAD)
    fresh.load_classifier_state_dict(dict(ours.state_dict()))  # its own layout loads
    state.pop('classifier.weight')
    with pytest.raises(IncompatibleCheckpointError, match=r'1 missing .*classifier\.weight'):
        fresh.load_classifier_state_dict(state)
    wider = HRNetImageClassifier(backbone=dict(arch='w18'), head=HEAD)
    with pytest.raises((IncompatibleCheckpointError, RuntimeError)):
        wider.load_classifier_state_dict(theirs.state_dict())
    counters = {k: v for k, v in theirs.state_dict().items()
                if not k.endswith('num_batches_tracked')}
    fresh.load_classifier_state_dict(counters)  # BN counters may be absent


def test_loss_and_predict(timm_pair):
    ours, _ = timm_pair
    x, labels = torch.randn(3, 3, 64, 64), torch.tensor([5, 0, 999])
    with torch.no_grad():
        logits = ours(x)
        loss = ours(x, labels, mode='loss')['loss']
        assert torch.allclose(loss, F.cross_entropy(logits, labels))
        preds = ours(x, [int(v) for v in labels], mode='predict')
    assert len(preds) == 3
    for pred, row, label in zip(preds, logits, labels):
        assert torch.allclose(pred.pred_score, row.softmax(-1))
        assert int(pred.pred_label) == int(row.argmax())
        assert int(pred.gt_label) == int(label)
    with pytest.raises(ValueError, match="mode='loss' needs data_samples"):
        ours(x, mode='loss')
    with pytest.raises(ValueError, match="mode='nope'"):
        ours(x, mode='nope')


def test_wrong_parts_are_refused_naming_the_field():
    with pytest.raises(ConfigError, match=r"backbone\.type='ResNet'"):
        HRNetImageClassifier(backbone=dict(type='ResNet', depth=50))
    with pytest.raises(ConfigError, match=r"head\.type='LinearClsHead'"):
        HRNetImageClassifier(backbone=dict(arch='w18_small_v1'), head=dict(type='LinearClsHead'))


def test_the_imagenet_configs_build_through_the_registry():
    from mmengine.config import Config

    from helpers import REPO
    from hrnet_mm.apis import build_model
    cfg = Config.fromfile(str(REPO / 'configs' / 'imagenet' / 'hrnet-w18-c_imagenet.py'))
    model, scope = build_model(cfg)
    assert scope == 'hrnet_mm' and isinstance(model, HRNetImageClassifier)
    assert sum(p.numel() for p in model.parameters()) / 1e6 == pytest.approx(21.3, abs=0.05)
