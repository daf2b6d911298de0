"""CPUAutocastOptimWrapper: bf16 autocast training inside mmengine's Runner on the CPU."""
import pytest
import torch
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope

from hrnet_mm.engine.optim_wrapper import CPUAutocastOptimWrapper
from hrnet_mm.errors import ConfigError


def wrapper(model, **kwargs):
    return CPUAutocastOptimWrapper(optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
                                   **kwargs)


class Net(torch.nn.Module):
    """A toolbox model's shape: ``extract_feat`` (backbone) then a head and a loss."""

    def __init__(self):
        super().__init__()
        self.backbone = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.BatchNorm2d(8))
        self.head = torch.nn.Conv2d(8, 2, 1)
        self.seen = {}

    def extract_feat(self, x):
        return (self.backbone(x), )

    def loss(self, x):
        feats = self.extract_feat(x)
        self.seen = dict(feat=feats[0].dtype, inner=self.backbone[0](x).dtype)
        out = self.head(feats[0])
        self.seen['head'] = out.dtype
        return out.square().mean()


def test_features_in_bf16_the_head_and_the_update_in_fp32():
    torch.manual_seed(0)
    model, ref = Net(), Net()
    ref.load_state_dict(model.state_dict())
    before = model.backbone[0].weight.detach().clone()
    optim_wrapper = wrapper(model)
    x = torch.randn(2, 3, 16, 16)
    with optim_wrapper.optim_context(model):
        loss = model.loss(x)
    # the backbone's conv ran in bf16; what the head gets, the head and the loss are fp32
    assert model.seen == dict(feat=torch.float32, inner=torch.float32, head=torch.float32)
    assert 'extract_feat' not in vars(model)  # the step's wrapping is gone
    with optim_wrapper.optim_context(model):
        inner = []
        handle = model.backbone[0].register_forward_hook(lambda m, i, o: inner.append(o.dtype))
        model.loss(x)
        handle.remove()
    assert inner == [torch.bfloat16, torch.float32]  # in extract_feat, then outside it
    optim_wrapper.backward(loss)
    grad = model.backbone[0].weight.grad
    assert grad.dtype == torch.float32
    ref.loss(x).backward()  # the bf16 gradient equals fp32's to bf16 precision
    torch.testing.assert_close(grad, ref.backbone[0].weight.grad, rtol=0.05, atol=1e-3)
    assert not torch.equal(grad, ref.backbone[0].weight.grad)  # but it is bf16's
    optim_wrapper.step()
    assert model.backbone[0].weight.dtype == torch.float32
    assert not torch.equal(model.backbone[0].weight, before)


def test_a_model_without_extract_feat_is_refused():
    model = torch.nn.Linear(2, 2)
    with pytest.raises(ConfigError, match='Linear has none: train it with OptimWrapper'):
        with wrapper(model).optim_context(model):
            pass


def test_to_fp32_keeps_the_container():
    from collections import namedtuple

    from hrnet_mm.engine.optim_wrapper import to_fp32
    Pair = namedtuple('Pair', 'a b')
    b = torch.ones(1, dtype=torch.bfloat16)
    got = to_fp32(dict(x=[b, (b, 3)], y=Pair(b, torch.ones(1, dtype=torch.long))))
    assert got['x'][0].dtype == torch.float32 and got['x'][1][0].dtype == torch.float32
    assert got['x'][1][1] == 3 and isinstance(got['x'][1], tuple)
    assert isinstance(got['y'], Pair) and got['y'].b.dtype == torch.long


def test_built_by_name_from_a_toolbox_scope():
    import hrnet_mm
    hrnet_mm.register_all()
    model = torch.nn.Linear(2, 2)
    for scope in ('mmdet', 'mmseg', 'mmpose'):
        with DefaultScope.overwrite_default_scope(scope):
            built = build_optim_wrapper(model, dict(
                type='hrnet_mm.CPUAutocastOptimWrapper',
                optimizer=dict(type='SGD', lr=0.1), clip_grad=dict(max_norm=1.0)))
        assert isinstance(built, CPUAutocastOptimWrapper), scope


@pytest.mark.parametrize('field, value, says', [
    ('dtype', 'float16', "dtype='bfloat16'"),
    ('loss_scale', 'dynamic', 'drop the field'),
])
def test_refuses_what_it_cannot_do(field, value, says):
    with pytest.raises(ConfigError, match=f'optim_wrapper.{field}') as info:
        wrapper(torch.nn.Linear(2, 2), **{field: value})
    assert says in str(info.value)


def test_a_model_off_the_cpu_is_refused():
    """CPU autocast would leave a GPU model in fp32 without a word."""
    model = Net()
    optim_wrapper = wrapper(model)
    model.to('meta')
    with pytest.raises(ConfigError, match="is on meta: use type='AmpOptimWrapper'"):
        with optim_wrapper.optim_context(model):
            pass


def test_warns_on_a_cpu_without_bf16(monkeypatch):
    from hrnet_mm.engine import optim_wrapper
    monkeypatch.setattr(optim_wrapper, 'cpu_has_bf16', lambda: False)
    with pytest.warns(UserWarning, match='no bf16 instructions'):
        wrapper(torch.nn.Linear(2, 2))
