"""Every fault of the README's "When things go wrong" table, as the user meets it.

Each test either gets a clear error naming the problem and the fix, or shows that the
input is handled (training/drawing completes on it).  CLI tests run the tools in
subprocesses; the rest call the library function the tool calls.
"""
import json
import math
import re
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from _bad_files import (DET, LARGE, SEG_LABEL, det_annotations, oversized_png, seg_dataset,
                        write_variants)
from _train_runs import CONFIGS, PYTHON, REPO, describe, load, run, train

import hrnet_mm.plugin  # noqa: F401  (the shims; HRNet/HRFPN registered into the toolboxes)
from hrnet_mm.errors import CheckpointLoadError, CheckpointNotFoundError
from hrnet_mm.errors import DataCheckError
from hrnet_mm.preflight.data import check_datasets, image_problem
from hrnet_mm.engine.hooks import CheckpointMatchHook
from hrnet_mm.preflight import check_checkpoints
from hrnet_mm.weights import IncompatibleCheckpointError

TINY = CONFIGS / 'fcn_tiny_resume.py'
DEMO_SEG = REPO / 'configs' / 'demo' / 'fcn_hrnetv2-w18_demo.py'
DEMO_DET = REPO / 'configs' / 'demo' / 'faster-rcnn_hrnetv2p-w18_demo.py'


def config(path, **options) -> Config:
    cfg = Config.fromfile(str(path))
    cfg.merge_from_dict(options)
    return cfg


# -- model configuration ---------------------------------------------------------------

@pytest.mark.parametrize('options,message', [
    ({'model.backbone.extra': None, 'model.backbone.arch': 'w33'},
     r"unknown arch 'w33'; valid presets: \['w18_small_v1'"),
    ({'model.backbone.extra.stage3.num_blocks': (4, 4)},
     r"extra\['stage3'\]\['num_blocks'\] has 2 entries"),
    ({'model.backbone.frozen_stages': 5}, r'frozen_stages=5 is out of range; use -1'),
])
def test_bad_backbone_config_names_the_field(options, message):
    from mmseg.registry import MODELS
    cfg = config(DEMO_SEG, **options)
    with pytest.raises(ValueError, match=message):
        MODELS.build(cfg.model)


# -- checkpoints -----------------------------------------------------------------------

@pytest.fixture(scope='module')
def tiny_model():
    from mmseg.registry import MODELS
    return MODELS.build(config(TINY).model)


@pytest.fixture(scope='module')
def tiny_checkpoint(tiny_model, tmp_path_factory):
    """A checkpoint of the tiny config's model, as mmengine writes it."""
    from mmengine.runner import save_checkpoint
    meta = dict(dataset_meta=dict(classes=config(TINY).classes, palette=[[i * 30] * 3
                                                                         for i in range(8)]))
    path = tmp_path_factory.mktemp('tiny') / 'iter_1.pth'
    save_checkpoint({'state_dict': tiny_model.state_dict(), 'meta': meta}, str(path))
    return path


def with_pretrained(checkpoint) -> Config:
    cfg = config(TINY)
    cfg.model.backbone.init_cfg = dict(type='Pretrained', checkpoint=checkpoint)
    return cfg


def test_missing_pretrained_file_names_the_key_and_fix(tmp_path):
    cfg = with_pretrained(str(tmp_path / 'hrnetv2_w18.pth'))
    with pytest.raises(CheckpointNotFoundError,
                       match=r'model\.backbone\.init_cfg\.checkpoint: checkpoint .*'
                             r'hrnetv2_w18\.pth.* does not exist.*None to train from random'):
        check_checkpoints(cfg)


def test_open_mmlab_weights_not_on_disk_say_where_to_put_them(tmp_path, monkeypatch):
    monkeypatch.setenv('HRNET_MM_WEIGHTS', str(tmp_path))
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch_home'))
    cfg = with_pretrained('open-mmlab://msra/hrnetv2_w18')
    with pytest.raises(CheckpointNotFoundError, match=r'not available locally\. Download '
                       r'https://.*hrnetv2_w18-00eb2006\.pth and save it as'):
        check_checkpoints(cfg)


@pytest.mark.parametrize('damage', ['truncated', 'garbage'])
def test_truncated_or_corrupt_checkpoint_is_refused_before_training(damage, tiny_checkpoint,
                                                                    tmp_path):
    data = tiny_checkpoint.read_bytes()
    bad = tmp_path / 'iter_1.pth'
    bad.write_bytes(data[:len(data) // 2] if damage == 'truncated' else b'<html>502' * 99)
    cfg = config(TINY, load_from=str(bad), resume=True)
    with pytest.raises(CheckpointLoadError, match=r'--resume: checkpoint .* is truncated or '
                                                  r'corrupt.*use an earlier checkpoint'):
        check_checkpoints(cfg)


def test_resume_from_truncated_checkpoint_cli(tiny_checkpoint, tmp_path):
    data = tiny_checkpoint.read_bytes()
    bad = tmp_path / 'iter_1.pth'
    bad.write_bytes(data[:len(data) // 3])
    proc = train(TINY, tmp_path / 'work', '--resume', bad)
    assert proc.returncode == 2, describe(proc)
    assert re.search(r'error: --resume: checkpoint .*iter_1\.pth.* is truncated or corrupt',
                     proc.stderr), describe(proc)


@pytest.mark.slow
def test_load_from_checkpoint_of_another_model_is_refused_cli(tmp_path):
    """A W18 segmentor checkpoint given to the W18-Small config: mmengine would load the
    few matching tensors with a log warning and train the rest from random init."""
    from mmseg.registry import MODELS
    other = MODELS.build(config(DEMO_SEG).model)
    path = tmp_path / 'w18_seg.pth'
    torch.save({'state_dict': other.state_dict(), 'meta': {}}, path)
    proc = train(TINY, tmp_path / 'work', '--cfg-options', f'load_from={path}',
                 'train_cfg.max_iters=1')
    assert proc.returncode == 1, describe(proc)
    assert re.search(r'error: checkpoint .*w18_seg\.pth does not match the model: \d+ '
                     r'missing, \d+ unexpected, [1-9]\d* mis-shaped of \d+ model tensors',
                     proc.stderr), describe(proc)
    assert '--allow-partial-load' in proc.stderr
    assert not list((tmp_path / 'work').glob('*.pth'))


class _Runner:
    """What CheckpointMatchHook reads from mmengine's Runner."""

    def __init__(self, model, **cfg):
        self.model, self.cfg, self.warnings = model, Config(cfg), []
        self.logger = type('Logger', (), {'warning': lambda _, msg: self.warnings.append(msg)})()


def test_checkpoint_match_hook_policies(tiny_model):
    full = tiny_model.state_dict()
    backbone_only = {k: v for k, v in full.items() if k.startswith('backbone.')}
    other_head = dict(full, **{'decode_head.conv_seg.weight': torch.zeros(3, 240, 1, 1)})

    # The matching checkpoint loads silently.
    CheckpointMatchHook().after_load_checkpoint(_Runner(tiny_model), {'state_dict': full})
    # Backbone-only (tools/convert_checkpoint.py) as load_from: a warning, not an error...
    runner = _Runner(tiny_model, load_from='backbone.pth')
    CheckpointMatchHook(allow_missing=True).after_load_checkpoint(
        runner, {'state_dict': backbone_only})
    assert 'missing' in runner.warnings[0] and 'decode_head' in runner.warnings[0]
    # ...but resuming from it is refused (allow_missing is off for --resume).
    with pytest.raises(IncompatibleCheckpointError, match=r'\d+ missing, 0 unexpected'):
        CheckpointMatchHook().after_load_checkpoint(
            _Runner(tiny_model, resume=True), {'state_dict': backbone_only})
    # Another number of classes: refused, or loaded partially with --allow-partial-load.
    with pytest.raises(IncompatibleCheckpointError, match=r'(?s)1 mis-shaped.*conv_seg'):
        CheckpointMatchHook(allow_missing=True).after_load_checkpoint(
            _Runner(tiny_model), {'state_dict': other_head})
    runner = _Runner(tiny_model)
    CheckpointMatchHook(allow_partial=True).after_load_checkpoint(
        runner, {'state_dict': other_head})
    assert 'Loading only the matching tensors' in runner.warnings[0]


# -- annotations -----------------------------------------------------------------------

def det_config(ann_file):
    return config(DEMO_DET, **{'train_dataloader.dataset.ann_file': str(ann_file),
                               'train_dataloader.dataset.data_prefix.img':
                                   str(DET / 'images') + '/'})


def _drop_all_annotations(data):
    data['annotations'] = []


def _add_missing_image(data):
    data['images'].append(dict(id=99, file_name='missing.jpg', width=500, height=375))
    data['annotations'].append(dict(data['annotations'][0], id=999, image_id=99))


def _category_out_of_range(data):
    data['annotations'][0]['category_id'] = 42


def _annotation_of_unknown_image(data):
    data['annotations'][0]['image_id'] = 77


def _rename_category(data):
    data['categories'][0]['name'] = 'bottles'


@pytest.mark.parametrize('edit,message', [
    (_category_out_of_range,
     r"1 annotations .* have a category_id that is not in \"categories\" \(ids \[1, 2, 3, 4, "
     r"5, 6, 7\]\), and mmdet would drop them silently: annotation \d+ \(image \d+\) has "
     r'category_id 42\. Fix the ids or add the categories'),
    (_annotation_of_unknown_image,
     r'point at an image_id that is not in "images": annotation \d+ -> image_id 77'),
    (_rename_category,
     r"classes \['bottle'\] of the config are not categories of .*shifted labels"),
    (_add_missing_image,
     r"missing\.jpg does not exist\. Fix: replace or re-encode these files, or remove their "
     r'entries from the annotations'),
    (_drop_all_annotations,
     r'train_dataloader\.dataset has no samples .*filter_cfg \(e\.g\. filter_empty_gt\)'),
])
def test_bad_coco_annotations_are_named_with_the_fix(edit, message, tmp_path):
    cfg = det_config(det_annotations(tmp_path, edit))
    with pytest.raises(DataCheckError, match=message):
        check_datasets(cfg, 'train', scope='mmdet')


@pytest.mark.parametrize('content,message', [
    (b'', r"annotation file .*instances_train\.json' is empty \(0 bytes\): regenerate it"),
    (None, r'is not valid JSON \(Unterminated string|is not valid JSON \(Expecting'),
])
def test_empty_or_cut_annotation_file(content, message, tmp_path):
    path = tmp_path / 'instances_train.json'
    full = (DET / 'annotations' / 'instances_train.json').read_bytes()
    path.write_bytes(full[:len(full) // 2] if content is None else content)
    with pytest.raises(DataCheckError, match=message):
        check_datasets(det_config(path), 'train', scope='mmdet')


def test_empty_annotation_file_cli(tmp_path):
    """Through tools/train.py: mmdet alone says `JSONDecodeError: Expecting value`."""
    path = tmp_path / 'instances_train.json'
    path.write_bytes(b'')
    proc = train(DEMO_DET, tmp_path / 'work', '--cfg-options',
                 f'train_dataloader.dataset.ann_file={path}')
    assert proc.returncode == 2, describe(proc)
    assert re.search(r"error: the data of this config has problems:\n  - train_dataloader: "
                     r"annotation file .* is empty \(0 bytes\)", proc.stderr), describe(proc)


# -- images ----------------------------------------------------------------------------

@pytest.fixture(scope='module')
def images(tmp_path_factory):
    root = tmp_path_factory.mktemp('images')
    paths = write_variants(root)
    paths['oversized'] = oversized_png(root / 'oversized.png')
    return root, paths


def images_config(root, ignore_empty: bool) -> dict:
    """The tiny config training on every image variant (one epoch, in order)."""
    load = dict(type='LoadImageFromFile', ignore_empty=ignore_empty)
    pipeline = [load] + config(TINY).train_pipeline[1:]
    datasets = [dict(seg_dataset(root, suffix), pipeline=pipeline,
                     metainfo=config(TINY).train_dataloader.dataset.metainfo)
                for suffix in ('jpg', 'png')]
    return {'train_dataloader.dataset': dict(_delete_=True, type='ConcatDataset',
                                           datasets=datasets),
            'train_dataloader.sampler.shuffle': False, 'train_cfg.max_iters': 3}


def test_image_problems_are_named(images):
    _, paths = images
    for name in ('grayscale', 'large', 'sixteen_bit', 'rgba', 'one_pixel'):
        assert image_problem(str(paths[name])) is None, name
    assert image_problem(str(paths['truncated'])) == \
        'is truncated or corrupt (JPEG data ends early)'
    assert re.fullmatch(r"is 40000x40000 = 1600 Mpx, over OpenCV's decode limit of 1074 Mpx "
                        r'\(downscale it\)', image_problem(str(paths['oversized'])))


def test_colour_or_16_bit_label_maps_are_named(tmp_path):
    """mmseg's LoadAnnotations would read them as garbage class indices."""
    import numpy as np
    from PIL import Image
    label = np.asarray(Image.open(SEG_LABEL))
    Image.fromarray(np.dstack([label] * 3)).save(tmp_path / 'rgb.png')
    Image.fromarray(label.astype(np.uint16) * 300).save(tmp_path / 'sixteen.png')
    assert image_problem(str(SEG_LABEL), label_map=True) is None
    for name, mode in (('rgb', 'RGB'), ('sixteen', 'I;16')):
        assert image_problem(str(tmp_path / f'{name}.png'), label_map=True) == (
            f'is a {mode} image; segmentation maps must hold one 8-bit class index per '
            'pixel (mode L or P). Colour-coded or 16-bit maps are read wrongly by '
            'LoadAnnotations: convert them to class indices')


def test_truncated_image_in_training_data_is_named_with_the_fix(images):
    root, _ = images
    cfg = config(TINY, **images_config(root, ignore_empty=False))
    with pytest.raises(DataCheckError, match=r"train_dataloader: 1 of the dataset's files "
                       r'cannot be used: .*truncated\.jpg is truncated or corrupt \(JPEG data '
                       r'ends early\)\. Fix: .*set ignore_empty=True on LoadImageFromFile'):
        check_datasets(cfg, 'train', scope='mmseg')


@pytest.mark.slow
def test_training_reads_every_image_kind_and_skips_the_truncated_one(images, tmp_path):
    """Grayscale, 16-bit, RGBA, 1x1 and 12 Mpx images train; the truncated JPEG is skipped
    (mmcv's ignore_empty, mmengine's refetch) with a warning naming it."""
    root, paths = images
    cfg = config(TINY, **images_config(root, ignore_empty=True))
    cfg.custom_imports = dict(imports=['hrnet_mm.plugin', 'record_samples'],
                              allow_failed_imports=False)
    derived = tmp_path / 'images.py'
    cfg.dump(str(derived))
    record = tmp_path / 'samples.jsonl'
    proc = train(derived, tmp_path / 'work', RECORD_SAMPLES=record)
    assert proc.returncode == 0, describe(proc)
    assert re.search(r'warning: train_dataloader: 1 images cannot be read and will be '
                     r'skipped .*truncated\.jpg is truncated', proc.stderr), describe(proc)
    steps = [json.loads(line) for line in record.read_text().splitlines()]
    used = {p for step in steps for p in step['images']}
    assert all(math.isfinite(step['loss']) for step in steps)
    for name in ('grayscale', 'large', 'sixteen_bit', 'rgba', 'one_pixel'):
        assert str(paths[name]) in used, name
    assert str(paths['truncated']) not in used
    shapes = {p: s for step in steps for p, s in zip(step['images'], step['shapes'])}
    assert shapes[str(paths['one_pixel'])] == [1, 1]
    assert shapes[str(paths['large'])] == [LARGE[1], LARGE[0]]


def test_label_placement_shim_matches_mmseg():
    """hrnet_mm.compat.mmseg's fast SegLocalVisualizer._get_center_loc (labels of large
    images) finds the same point as mmseg's own."""
    import numpy as np
    from mmseg.visualization import SegLocalVisualizer

    from hrnet_mm.compat.mmseg import UPSTREAM
    fast = SegLocalVisualizer._get_center_loc
    upstream = UPSTREAM['SegLocalVisualizer._get_center_loc']
    assert fast is not upstream
    rng = np.random.default_rng(0)
    for _ in range(30):
        mask = (rng.random(tuple(rng.integers(1, 50, 2))) < rng.random()).astype(np.uint8)
        mask.flat[rng.integers(mask.size)] = 1
        assert (fast(None, mask) == upstream(None, mask)).all()


DEMO_DRIVER = '''
import contextlib, importlib.util, io, json, sys
spec = importlib.util.spec_from_file_location('demo_tool', 'tools/demo.py')
demo = importlib.util.module_from_spec(spec)
spec.loader.exec_module(demo)
config, checkpoint, jobs = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
for image, out in jobs:
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        rc = demo.main([config, checkpoint, image, '--out', out])
    print('RESULT ' + json.dumps(dict(image=image, rc=rc, err=err.getvalue())))
'''


@pytest.mark.slow
def test_demo_draws_every_image_kind_and_names_bad_files(images, tiny_checkpoint, tmp_path):
    _, paths = images
    jobs = [(str(path), str(tmp_path / f'{name}.png')) for name, path in paths.items()]
    proc = run([PYTHON, '-c', DEMO_DRIVER, TINY, tiny_checkpoint, json.dumps(jobs)])
    assert proc.returncode == 0, describe(proc)
    results = {Path(r['image']).name: r for r in
               (json.loads(line[len('RESULT '):]) for line in proc.stdout.splitlines()
                if line.startswith('RESULT '))}
    assert results.keys() == {p.name for p in paths.values()}
    from PIL import Image
    for name in ('grayscale', 'large', 'sixteen_bit', 'rgba', 'one_pixel'):
        result = results[paths[name].name]
        assert result['rc'] == 0, result
        drawn = Image.open(tmp_path / f'{name}.png')
        assert drawn.size == Image.open(paths[name]).size  # drawn on the original image
    assert results['truncated.jpg']['rc'] == 2
    assert re.search(r"error: image '.*truncated\.jpg' is truncated or corrupt \(JPEG data "
                     r'ends early\)', results['truncated.jpg']['err'])
    assert results['oversized.png']['rc'] == 2
    assert "over OpenCV's decode limit" in results['oversized.png']['err']
    assert not (tmp_path / 'truncated.png').exists()


# -- training blows up -----------------------------------------------------------------

@pytest.mark.slow
def test_nan_loss_stops_with_the_iteration_and_a_hint(tmp_path):
    work_dir = tmp_path / 'work'
    proc = train(TINY, work_dir, '--cfg-options', 'optim_wrapper.optimizer.lr=1e6')
    assert proc.returncode == 1, describe(proc)
    match = re.search(r'error: training stopped: the loss is not finite at iteration (\d+): '
                      r'loss=(nan|inf)', proc.stderr)
    assert match, describe(proc)
    bad = int(match.group(1))
    assert 'lower the learning rate' in proc.stderr and 'clip_grad' in proc.stderr
    assert 'norm_eval=False' in proc.stderr
    assert 'The newest checkpoint saved while the loss was sane is' in proc.stderr or \
        'No checkpoint was saved while the loss was sane' in proc.stderr
    log = proc.stdout + proc.stderr
    assert f'Iter(train) [{bad - 1}/6]' in log and f'Iter(train) [{bad}/6]' not in log
    # No checkpoint of the broken iteration or after it; the last one is all finite.
    saved = sorted(int(p.stem.split('_')[1]) for p in work_dir.glob('iter_*.pth'))
    assert saved and saved[-1] < bad
    state = load(work_dir / f'iter_{saved[-1]}.pth')['state_dict']
    assert all(torch.isfinite(v).all() for v in state.values() if v.is_floating_point())

