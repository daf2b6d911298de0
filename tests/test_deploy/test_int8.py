"""The int8 deploy path: onnxruntime's static quantisation, calibrated on real images and
checked against fp32 by cosine similarity (never by 1e-4: int8 is not fp32)."""
import glob

import pytest
import torch

import hrnet_mm.plugin  # noqa: F401  (the shims; HRNet/HRFPN registered into the toolboxes)
from hrnet_mm.deploy import optimize_for_inference
from hrnet_mm.deploy.int8 import cosine_similarity, images_as_inputs
from hrnet_mm.models import HRNet
from helpers import REPO, randomize

SIZE = (64, 96)
# Random weights at a toy size and 16-channel branches quantise worse than trained models
# at deployment size (the benchmark states those figures): the tests ask for 0.99 here.
MIN_COSINE = 0.99


@pytest.fixture(scope='module')
def calibration(demo_root):
    paths = sorted(glob.glob(str(demo_root / 'seg/img_dir/train/*.jpg')))
    assert len(paths) >= 4
    return images_as_inputs(paths, SIZE)


@pytest.fixture(scope='module')
def net():
    return randomize(HRNet(arch='w18_small_v1'))


def test_cosine_similarity_of_outputs():
    a = torch.randn(2, 3, 4, 4)
    assert cosine_similarity(a, a) == pytest.approx(1.0)
    assert cosine_similarity([a, a], [a, -a]) == pytest.approx(-1.0)
    with pytest.raises(ValueError, match='2 outputs vs 1'):
        cosine_similarity([a, a], a)


def test_images_as_inputs_are_normalised_rgb(calibration):
    x = calibration[0]
    assert x.shape == (1, 3, *SIZE) and x.dtype == torch.float32
    assert -3 < float(x.mean()) < 3 and 0.3 < float(x.std()) < 3  # ImageNet-normalised


def test_int8_backbone_is_close_to_fp32_and_says_how_close(net, calibration):
    infer = optimize_for_inference(net, calibration[0], backend='onnxruntime-int8',
                                   calibration=calibration, min_cosine=MIN_COSINE)
    assert infer.backend == 'onnxruntime-int8' and infer.cosine >= MIN_COSINE
    x = calibration[-1]
    with torch.no_grad():
        expected = net(x)
    got = infer(x)
    assert [t.shape for t in got] == [t.shape for t in expected]
    assert cosine_similarity(got, expected) == pytest.approx(infer.cosine, abs=1e-6)
    # and it is not fp32: a quantised model that matched to 1e-6 would not be int8
    assert float(max((g - e).abs().max() for g, e in zip(got, expected))) > 1e-4


def test_int8_needs_real_calibration_inputs(net, calibration):
    with pytest.raises(ValueError, match='`calibration`, at least 2 real'):
        optimize_for_inference(net, calibration[0], backend='onnxruntime-int8')
    gray = [calibration[0], calibration[1][:, :1]]
    with pytest.raises(ValueError, match='one batch size and channel count'):
        optimize_for_inference(net, calibration[0], backend='onnxruntime-int8',
                               calibration=gray, min_cosine=MIN_COSINE)


def test_int8_runs_at_every_size_a_keep_ratio_pipeline_gives(demo_root):
    """Calibrated on images of two sizes, run at a third whose sides are not multiples of
    32: MMSeg's fusion (upsample_by='scale') then overshoots and resizes once more, which
    the dynamic-shape graph must hold although the export size did not need it."""
    paths = sorted(glob.glob(str(demo_root / 'seg/img_dir/train/*.jpg')))
    net = randomize(HRNet(arch='w18_small_v1', upsample_mode='bilinear', upsample_by='scale'))
    calibration = (images_as_inputs(paths[:2], (64, 96)) + images_as_inputs(paths[2:3], (72, 88))
                   + images_as_inputs(paths[3:4], (64, 96)))
    infer = optimize_for_inference(net, None, backend='onnxruntime-int8',
                                   calibration=calibration, min_cosine=MIN_COSINE)
    x = images_as_inputs(paths[:1], (60, 84))[0]
    with torch.no_grad():
        expected = net(x)
    got = infer(x)
    assert [t.shape for t in got] == [t.shape for t in expected]
    assert cosine_similarity(got, expected) >= MIN_COSINE


def test_int8_below_the_stated_cosine_is_refused(net, calibration):
    with pytest.raises(AssertionError, match=r'below min_cosine=1\.0.*onnxruntime'):
        optimize_for_inference(net, calibration[0], backend='onnxruntime-int8',
                               calibration=calibration, min_cosine=1.0)


def test_whole_segmentor_runs_int8_inside_its_own_predict(calibration):
    """The accuracy measurement swaps the int8 tensor path into a real mmseg model: its
    logits (through the toolbox's forward) are then the int8 network's."""
    from hrnet_mm.apis import build_model, read_config
    from hrnet_mm.devtools.int8_accuracy import swap_in_int8
    cfg = read_config(str(REPO / 'configs/demo/fcn_hrnetv2-w18_demo.py'))
    model, _ = build_model(cfg)
    randomize(model)
    x = calibration[-1]
    with torch.no_grad():
        fp32 = model(x, mode='tensor')
    runner = swap_in_int8(model, calibration, MIN_COSINE)
    with torch.no_grad():
        int8 = model(x, mode='tensor')
    assert int8.shape == fp32.shape and runner.cosine >= MIN_COSINE
    assert cosine_similarity(int8, fp32) == pytest.approx(runner.cosine, abs=1e-6)
    assert not torch.equal(int8, fp32)


def test_with_mirrors_adds_each_inputs_horizontal_mirror(calibration):
    from hrnet_mm.deploy.int8 import with_mirrors
    both = with_mirrors(calibration[:2])
    assert len(both) == 4 and both[0] is calibration[0]
    assert torch.equal(both[2], calibration[0].flip(-1))
    assert torch.equal(both[3][..., 0], calibration[1][..., -1])


def test_mirror_calibration_calibrates_on_the_mirrors_and_never_on_the_held_out(
        net, calibration):
    """The same int8 model as calibrating on the inputs and their mirrors by hand; the
    held-out input is still unseen (its mirror is not added either)."""
    from hrnet_mm.deploy import Int8OrtRunner, fold_bn
    folded = fold_bn(net)
    fit, held_out = calibration[:-1], calibration[-1]
    mirrored = Int8OrtRunner(folded, calibration, MIN_COSINE, mirror_calibration=True)
    by_hand = Int8OrtRunner(folded, fit + [x.flip(-1) for x in fit] + [held_out], MIN_COSINE)
    plain = Int8OrtRunner(folded, calibration, MIN_COSINE)
    x = calibration[0]
    assert all(torch.equal(a, b) for a, b in zip(mirrored(x), by_hand(x)))
    assert mirrored.cosine == by_hand.cosine
    assert not all(torch.equal(a, b) for a, b in zip(mirrored(x), plain(x)))


def _quantised_tensor_types(path):
    """{Add outputs that are quantised, zero-point element types of QuantizeLinear}."""
    import onnx
    model = onnx.load(path)
    inits = {i.name: i for i in model.graph.initializer}
    add_outputs = {o for n in model.graph.node if n.op_type == 'Add' for o in n.output}
    quantised_adds, zero_point_types = set(), set()
    for node in model.graph.node:
        if node.op_type == 'QuantizeLinear':
            quantised_adds |= add_outputs & {node.input[0]}
            if len(node.input) > 2 and node.input[2] in inits:
                zero_point_types.add(onnx.helper.tensor_dtype_to_np_dtype(
                    inits[node.input[2]].data_type).name)
    return quantised_adds, zero_point_types


def test_quantiser_options_for_activation_bits_and_fp32_ops(net, calibration, tmp_path):
    """What the ablation's variants change is really changed in the graph."""
    from hrnet_mm.deploy import export_onnx
    from hrnet_mm.deploy.int8 import quantize_static_onnx
    fp32 = str(tmp_path / 'fp32.onnx')
    export_onnx(net, fp32, tuple(calibration[0].shape), dynamic=True)
    outputs = {}
    for name, kwargs in [('a8', {}), ('a16', dict(activation_bits=16)),
                         ('noadd', dict(skip_op_types=('Add', )))]:
        outputs[name] = str(tmp_path / f'{name}.onnx')
        quantize_static_onnx(fp32, outputs[name], calibration[:2], **kwargs)
    adds, types = _quantised_tensor_types(outputs['a8'])
    assert adds and 'uint8' in types and 'uint16' not in types
    adds, types = _quantised_tensor_types(outputs['a16'])
    assert 'uint16' in types and 'uint8' not in types
    adds, _ = _quantised_tensor_types(outputs['noadd'])
    assert not adds
    with pytest.raises(ValueError, match='activation_bits=4; choose 8 or 16'):
        quantize_static_onnx(fp32, outputs['a8'], calibration[:2], activation_bits=4)
    with pytest.raises(ValueError, match=r"skip_op_types \['Addd'\] are not op types"):
        quantize_static_onnx(fp32, outputs['a8'], calibration[:2], skip_op_types=('Addd', ))


@pytest.mark.parametrize('config, flips', [
    ('configs/demo/td-hm_hrnet-w32_demo-pose-substitute.py', True),
    ('configs/demo/td-hm_hrnetv2-w18_demo-face.py', True),  # the demo's flip test
    ('configs/face/td-hm_hrnetv2-w18_1xb16-60e_300w-256x256.py', False),
    ('configs/demo/fcn_hrnetv2-w18_demo.py', False)])
def test_flip_tested_models_are_calibrated_on_mirrors_too(config, flips):
    from types import SimpleNamespace

    from hrnet_mm.apis import read_config
    from hrnet_mm.devtools.int8_accuracy import tests_with_flips
    model = SimpleNamespace(test_cfg=read_config(str(REPO / config)).model.get('test_cfg'))
    assert tests_with_flips(model) is flips
