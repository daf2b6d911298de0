"""The int8 ablation: the same network quantised other ways by onnxruntime, so the table
can say what limits the deployed int8 model's cosine with fp32."""
import glob

import pytest
import torch

import hrnet_mm.plugin  # noqa: F401
from hrnet_mm.deploy import Int8OrtRunner, fold_bn
from hrnet_mm.deploy.int8 import images_as_inputs
from hrnet_mm.devtools.int8_ablation import HEADER, ablate, variant_rows
from hrnet_mm.models import HRNet
from helpers import REPO, randomize
from tool_runner import describe, run_tool


@pytest.fixture(scope='module')
def calibration(demo_root):
    paths = sorted(glob.glob(str(demo_root / 'seg/img_dir/train/*.jpg')))
    return images_as_inputs(paths, (64, 96))


@pytest.mark.parametrize('mirrored', [False, True])
def test_each_variant_is_quantised_and_measured_on_the_held_out_input(calibration, mirrored):
    net = fold_bn(randomize(HRNet(arch='w18_small_v1')))
    variants = ablate(net, calibration, mirrored=mirrored, repeats=1)
    rows = variant_rows(variants)
    assert len(rows) == 6 and all(len(r) == len(HEADER) for r in rows)
    deployed = [v for v in variants if v.deployed]
    assert len(deployed) == 1 and deployed[0] is variants[0]
    assert ('mirrors too' in deployed[0].name) is mirrored
    # the deployed row is the deploy path itself: the same figure as Int8OrtRunner's
    runner = Int8OrtRunner(net, calibration, 0.0, mirror_calibration=mirrored)
    assert deployed[0].cosine == pytest.approx(runner.cosine, abs=1e-6)
    assert [v.oracle for v in variants] == [False] * 4 + [True] * 2
    assert all(r[0].endswith('(not deployable: the check input is seen)')
               for r, v in zip(rows, variants) if v.oracle)
    # 16 bits with the input's own ranges is closest to fp32, and each row is a real model
    assert variants[-1].cosine > deployed[0].cosine
    assert len({v.cosine for v in variants}) == len(variants)
    assert all(v.ms > 0 and v.fp32_ms > 0 for v in variants)


def test_ablation_needs_a_held_out_input(calibration):
    net = fold_bn(randomize(HRNet(arch='w18_small_v1')))
    with pytest.raises(ValueError, match='at least 2 calibration inputs'):
        ablate(net, calibration[:1])


def test_benchmark_int8_ablation_writes_its_own_section(seg_checkpoint, tmp_path):
    """``tools/benchmark.py --cases none --int8-accuracy CONFIG=CHECKPOINT --int8-ablation
    --write``: the accuracy and ablation tables, into a section of their own that leaves
    the timed cases' section as it was."""
    doc = tmp_path / 'benchmarks.md'
    doc.write_text('# Benchmarks\n\n## CPU: earlier run\n\ntimed table\n')
    config = 'configs/demo/fcn_hrnetv2-w18_demo.py'
    proc = run_tool(['tools/benchmark.py', '--cases', 'none', '--int8-accuracy',
                     f'{config}={seg_checkpoint}', '--int8-ablation', '--write', doc])
    assert proc.returncode == 0, describe(proc)
    assert f'why int8 falls short: {config}' in proc.stdout, describe(proc)
    assert '16-bit, held-out input calibrated too' in proc.stdout
    text = doc.read_text()
    assert '## CPU: earlier run\n\ntimed table' in text
    assert '## int8 on CPU:' in text and f'### Why int8 falls short: {config}' in text
    assert f'| {config} | mIoU |' in text and '| 8-bit (deployed) |' in text
    assert not (tmp_path / 'benchmarks_cpu.png').exists()  # no timed case, no plot


def test_benchmark_cases_none_stands_alone(capsys):
    from tool_runner import load_tool
    assert load_tool('benchmark').main(['--cases', 'none', 'seg:1:infer']) == 2
    assert '--cases none runs no timed case; give it alone' in capsys.readouterr().err
