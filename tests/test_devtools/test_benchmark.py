"""The benchmark compares like with like: same weights, agreement checked first.

Timing figures themselves are never asserted (a speed target is met in the benchmark
tool's table, not in a unit test); what is tested is that the tool measures the right
things: every peer really computes hrnet_mm's function, a model that does not is
refused, every requested mode is run, and the report is written without losing the
other device's section.
"""
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from hrnet_mm.devtools import benchmark as bm

REPO = Path(__file__).resolve().parents[2]
TINY = (64, 64)  # MMDet's and MMPose's copies need sides divisible by 32


@pytest.fixture(scope='module')
def w18():
    return bm.build_models(18)


def test_every_peer_computes_hrnet_mms_function(w18):
    models, references = w18
    assert set(models) == set(bm.MODELS)
    x = torch.randn(1, 3, 96, 64)
    errors, failures = bm.check_agreement(models, references, x)
    assert not failures and all(err <= 1e-6 for err in errors.values()), errors
    # and the references differ where the implementations do: MMSeg fuses bilinearly
    with torch.no_grad():
        assert bm.relative_error(references['mmseg'](x), references['mmdet'](x)) > 1e-3


def test_a_wrong_model_is_refused_before_timing(monkeypatch):
    real_build = bm.build_peer

    def broken(name, width):
        model = real_build(name, width)
        if name == 'mmdet':  # same architecture, one weight perturbed after loading
            original = model.load_state_dict

            def load_then_perturb(state, strict=True):
                out = original(state, strict)
                with torch.no_grad():
                    model.conv1.weight.mul_(1.01)
                return out
            model.load_state_dict = load_then_perturb
        return model
    monkeypatch.setattr(bm, 'build_peer', broken)
    case = bm.Case('pose', 18, 1, False, TINY)
    with pytest.raises(AssertionError, match='mmdet .*refusing to time'):
        bm.measure_case(case, [bm.Mode()], torch.device('cpu'), ['hrnet_mm', 'mmdet'])


def test_measure_inference_case_runs_every_mode():
    case = bm.Case('pose', 18, 1, False, TINY)
    modes = [bm.Mode(channels_last=True), bm.Mode(channels_last=True, fold_bn=True),
             bm.Mode(deploy='jit'), bm.Mode(deploy='onnxruntime')]
    result = bm.measure_case(case, modes, torch.device('cpu'), ['hrnet_mm', 'timm'],
                             warmup=1, repeats=1)
    assert all(e.error is None and len(e.times) == 1 for e in result.entries), \
        [(e.model, e.mode.label, e.error) for e in result.entries]
    # deploy paths are hrnet_mm's own: the peers are not run in them
    assert [e.model for e in result.entries if e.mode.deploy] == ['hrnet_mm', 'hrnet_mm']
    assert len(result.entries) == 2 * 2 + 2
    assert result.macs > 0
    ratio, ours, fastest = result.speedup_over_fastest_peer()
    assert ours.model == 'hrnet_mm' and fastest.model == 'timm' and ratio > 0
    rows = bm.result_rows(result, None)
    assert len(rows) == len(result.entries)
    assert rows[-1][:2] == ['hrnet_mm', 'deploy[onnxruntime]']


def test_a_mode_that_computes_something_else_is_not_timed(monkeypatch):
    from hrnet_mm import deploy
    real = deploy.fold_bn

    def sloppy_fold(model, inplace=False):  # a "fast" path that drops one BN's shift
        folded = real(model, inplace)
        with torch.no_grad():
            folded.conv1.bias.add_(0.5)
        return folded
    monkeypatch.setattr(deploy, 'fold_bn', sloppy_fold)
    case = bm.Case('pose', 18, 1, False, TINY)
    result = bm.measure_case(case, [bm.Mode(), bm.Mode(fold_bn=True)], torch.device('cpu'),
                             ['hrnet_mm'], warmup=1, repeats=1)
    folded = [e for e in result.entries if e.mode.fold_bn][0]
    assert not folded.times and 'output differs from eager' in folded.error
    assert [e for e in result.entries if not e.mode.fold_bn][0].times


def test_a_peer_that_cannot_run_the_input_is_reported_not_timed():
    case = bm.Case('pose', 18, 1, False, (64, 48))  # 48 is not a multiple of 32
    result = bm.measure_case(case, [bm.Mode()], torch.device('cpu'),
                             ['hrnet_mm', 'mmdet', 'timm'], warmup=1, repeats=1)
    assert set(result.failures) == {'mmdet', 'timm'}  # both upsample by a fixed factor 2
    assert {e.model for e in result.entries} == {'hrnet_mm'}
    assert 'mmdet cannot run this input' in bm.agreement_line(result)


@pytest.mark.parametrize('task,peer', [('seg+head', 'mmseg'), ('det+neck', 'mmdet')])
def test_head_and_neck_cases_time_the_exact_rewrite_against_the_toolboxs_own(task, peer):
    """hrnet_mm carries its per-branch head/neck, the peer the toolbox's concatenating one,
    same weights: their outputs agree, and hrnet_mm's work is the smaller."""
    from mmdet.models.necks.hrfpn import HRFPN as MMDetHRFPN
    from mmseg.models.decode_heads.fcn_head import FCNHead

    from hrnet_mm.models.heads import HRNetV2Head
    from hrnet_mm.models.necks import HRFPN
    models, _ = bm.build_models(18, ['hrnet_mm', peer], task=task)
    ours, toolbox = (HRNetV2Head, FCNHead) if task == 'seg+head' else (HRFPN, MMDetHRFPN)
    assert type(models['hrnet_mm'].after) is ours and type(models[peer].after) is toolbox
    case = bm.Case(task, 18, 1, False, TINY)
    result = bm.measure_case(case, [bm.Mode(channels_last=True), bm.Mode(deploy='jit')],
                             torch.device('cpu'), ['hrnet_mm', peer], warmup=1, repeats=1)
    assert all(e.times for e in result.entries), [e.error for e in result.entries]
    assert result.agreement[peer] <= 1e-5
    assert 0 < result.macs < result.macs_of[peer]
    line = bm.work_line(result)
    assert line.startswith('work (conv + linear GMACs per image): hrnet_mm ')
    assert ('decode head' if task == 'seg+head' else 'neck') in line


def test_measure_training_case():
    case = bm.Case('seg', 18, 1, True, TINY)
    modes = [bm.Mode(), bm.Mode(with_cp=True), bm.Mode(deploy='eager')]
    result = bm.measure_case(case, modes, torch.device('cpu'), ['hrnet_mm', 'mmseg', 'timm'],
                             warmup=1, repeats=1)
    timed = [e for e in result.entries if e.times]
    assert {(e.model, e.mode.with_cp) for e in timed} == {
        ('hrnet_mm', False), ('hrnet_mm', True), ('mmseg', False), ('mmseg', True),
        ('timm', False)}
    no_cp = [e for e in result.entries if e.model == 'timm' and e.mode.with_cp]
    assert 'no with_cp option' in no_cp[0].error  # reported, not fatal
    deploy = [e for e in result.entries if e.mode.deploy]
    assert deploy and 'inference only' in deploy[0].error
    assert result.agreement['mmseg'] <= 1e-6


def test_training_step_updates_the_weights():
    model = bm.randomize(bm.build_hrnet_mm(18))
    before = model.conv1.weight.clone()
    run = bm.prepare(model, bm.Mode(), True, torch.device('cpu'), torch.randn(2, 3, *TINY))
    loss = run(torch.randn(2, 3, *TINY))
    assert torch.isfinite(loss)
    assert torch.equal(model.conv1.weight, before)  # the benchmark trains a private copy


def test_cpu_amp_mode_trains_the_backbone_in_bf16_and_the_head_in_fp32():
    """The ``--amp (bf16 backbone)`` rows time CPUAutocastOptimWrapper itself."""
    models, _ = bm.build_models(18, ['hrnet_mm', 'mmseg'], task='seg+head')
    seen = {}

    def record(dtypes, where):
        def hook(module, inputs, output):
            dtypes.setdefault(where, output.dtype)  # returns None: the output is kept
        return hook

    for name, model in models.items():
        dtypes = seen.setdefault(name, {})
        model.backbone.conv1.register_forward_hook(record(dtypes, 'backbone'))
        model.after.conv_seg.register_forward_hook(record(dtypes, 'head'))  # the classifier
        run = bm.prepare(model, bm.Mode(channels_last=True, cpu_amp=True), True,
                         torch.device('cpu'), torch.randn(1, 3, *TINY))
        assert torch.isfinite(run(torch.randn(1, 3, *TINY)))
    assert seen == {n: dict(backbone=torch.bfloat16, head=torch.float32) for n in models}
    assert bm.Mode(channels_last=True, cpu_amp=True).label == \
        'channels_last + --amp (bf16 backbone)'


def test_peak_memory_sees_an_allocation():
    with bm.PeakMemory(torch.device('cpu')) as mem:
        block = torch.ones(64, 2**20)  # 256 MiB, touched
        del block
    assert mem.peak >= 200 * 2**20


def test_markdown_keeps_the_other_devices_section(tmp_path):
    path = tmp_path / 'benchmarks.md'
    bm.update_markdown(str(path), 'GPU', '## GPU: H100\n\ngpu table\n')
    bm.update_markdown(str(path), 'CPU', '## CPU: xeon\n\nold cpu table\n')
    bm.update_markdown(str(path), 'CPU', '## CPU: xeon\n\nnew cpu table\n')
    text = path.read_text()
    assert text.startswith('# Benchmarks')
    assert 'gpu table' in text and 'new cpu table' in text and 'old cpu table' not in text
    # a section is replaced where it stands; 'int8 on CPU' is not the 'CPU' section
    bm.update_markdown(str(path), 'int8 on CPU', '## int8 on CPU: xeon\n\nint8 table\n')
    bm.update_markdown(str(path), 'GPU', '## GPU: H200\n\nnewer gpu table\n')
    bm.update_markdown(str(path), 'CPU', '## CPU: xeon\n\nnewest cpu table\n')
    text = path.read_text()
    assert [line for line in text.splitlines() if line.startswith('## ')] == [
        '## GPU: H200', '## CPU: xeon', '## int8 on CPU: xeon']
    assert 'int8 table' in text and 'new cpu table' not in text


def test_cli_end_to_end(tmp_path):
    out = tmp_path / 'benchmarks.md'
    proc = subprocess.run(
        [sys.executable, str(REPO / 'tools/benchmark.py'), '--widths', '18', '--cases',
         'pose:1:infer:64x64', '--models', 'hrnet_mm', 'mmpose', '--repeats', '1',
         '--deploy', 'jit', '--profile', '--concat', '--write', str(out)],
        capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert 'W18 inference, pose 1x3x64x64' in proc.stdout
    assert 'agreement with hrnet_mm' in proc.stdout and 'mmpose 0.0e+00' in proc.stdout
    text = out.read_text()
    assert '## CPU:' in text and '| hrnet_mm | deploy[jit] |' in text
    assert (tmp_path / 'benchmarks_cpu.png').stat().st_size > 1000
    assert 'where the time goes' in proc.stdout
    assert '| hrnet_mm deploy[jit] |' in text  # the profile table
    # the ceiling, measured in the same run, and each path's share of it
    assert 'fp32 ceiling (one 3x3 conv 256->256 at 64x128, GFLOP/s): torch ' in proc.stdout
    assert 'Fp32 ceiling' in text and '%)' in text
    # --concat: the head's and neck's 1x1 conv for each split, hrnet_mm's marked
    assert "| HRFPN reduction conv, W18 200x336 | all concatenated (the toolbox's) |" in text
    assert 'concatenated *' in proc.stdout


def test_profile_covers_the_amp_training_step_where_the_cpu_trains_with_it():
    train = bm.Case('seg', 18, 1, True, TINY)
    assert [m.label for m in bm.profiled_modes(train)] == ['channels_last']
    amp = bm.profiled_modes(train, cpu_amp=True)
    assert [m.cpu_amp for m in amp] == [False, True]
    infer = bm.profiled_modes(bm.Case('seg', 18, 1, False, TINY), cpu_amp=True)
    assert [m.deploy for m in infer] == [None, 'jit']
    # the --amp step profiles: its convolutions are attributed like fp32 ones
    rows = bm.profile_case(bm.Case('seg+head', 18, 1, True, TINY), torch.device('cpu'),
                           amp[1:], names=('hrnet_mm',))
    assert [name for name, _ in rows] == [f'hrnet_mm {amp[1].label}']
    assert rows[0][1]['convolution'] > 0.2


def test_profile_breakdown_attributes_time_to_op_kinds():
    model = bm.randomize(bm.build_hrnet_mm(18))
    x = torch.randn(1, 3, *TINY)
    eager = bm.profile_breakdown(bm.prepare(model, bm.Mode(), False, torch.device('cpu'), x),
                                 x, torch.device('cpu'))
    assert abs(sum(eager.values()) - 1) < 1e-6
    assert max(eager, key=eager.get) == 'convolution'
    assert eager['normalisation'] > 0
    # BN folded into the convs: no normalisation op is left to profile
    folded = bm.profile_breakdown(
        bm.prepare(model, bm.Mode(fold_bn=True), False, torch.device('cpu'), x),
        x, torch.device('cpu'))
    assert folded.get('normalisation', 0.0) == 0.0


@pytest.mark.parametrize('name, kind', [
    ('aten::mkldnn_convolution', 'convolution'),
    ('aten::convolution_backward', 'convolution'),
    ('aten::native_batch_norm', 'normalisation'),
    ('aten::threshold_backward', 'add / relu / other element-wise'),
    ('aten::add_', 'add / relu / other element-wise'),
    ('aten::upsample_nearest2d', 'upsample / resize'),
    ('aten::_foreach_add_', 'optimizer'),
    ('aten::copy_', 'copy / layout'),
    ('aten::max_pool2d', 'other')])
def test_op_kind(name, kind):
    assert bm.op_kind(name) == kind


@pytest.fixture(scope='module')
def cli():
    import importlib.util
    spec = importlib.util.spec_from_file_location('benchmark_cli', REPO / 'tools/benchmark.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize('case', ['seg:1', 'seg:0:infer', 'seg:1:predict', 'head:1:infer',
                                  'pose:1:infer:64', 'pose:1:infer:axb'])
def test_cli_rejects_malformed_cases(cli, case, capsys):
    with pytest.raises(SystemExit, match=r'TASK:BATCH:infer\|train'):
        cli.parse_case(case, 32)


def test_cli_parses_cases(cli):
    case = cli.parse_case('pose:8:train:128x96', 48)
    assert (case.task, case.batch, case.train, case.shape, case.width) == (
        'pose', 8, True, (128, 96), 48)
    assert cli.parse_case('det:1:infer', 32).shape == bm.SHAPES['det']


def test_help_imports_no_torch_and_nothing_is_written_by_default():
    """--help answers without importing torch (it took 24 s on a loaded machine); the
    tracked docs/benchmarks.md is written only with --write."""
    proc = subprocess.run([sys.executable, '-X', 'importtime', str(REPO / 'tools/benchmark.py'),
                           '--help'], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and '--write' in proc.stdout
    imported = {line.split('|')[-1].strip() for line in proc.stderr.splitlines() if '|' in line}
    assert 'torch' not in imported and 'hrnet_mm' not in imported
    sys.path.insert(0, str(REPO / 'tools'))
    try:
        import benchmark as tool
    finally:
        sys.path.pop(0)
    assert tool.parse_args([]).write is None
    assert tool.parse_args(['--write']).write == tool.DEFAULT_DOC
    from hrnet_mm.deploy import INFERENCE_BACKENDS
    assert tool.INFERENCE_BACKENDS == INFERENCE_BACKENDS


def test_int8_path_is_timed_after_its_cosine_check(demo_root, monkeypatch):
    monkeypatch.setenv('HRNET_MM_DEMO_ROOT', str(demo_root))
    monkeypatch.setattr(bm, 'INT8_MIN_COSINE', 0.99)  # random weights at a toy size
    case = bm.Case('pose', 18, 1, False, TINY)
    modes = [bm.Mode(deploy='onnxruntime'), bm.Mode(deploy='onnxruntime-int8')]
    result = bm.measure_case(case, modes, torch.device('cpu'), ['hrnet_mm'], warmup=1,
                             repeats=1)
    fp32, int8 = result.entries
    assert fp32.error is None and int8.error is None, (fp32.error, int8.error)
    assert int8.check.startswith('cosine 0.99') and len(int8.times) == 1
    cosine = float(int8.check.split()[1])  # marked where it misses the target
    assert int8.check.endswith('(below 0.999)') == (cosine < bm.INT8_TARGET_COSINE)
    assert fp32.check == '0' or float(fp32.check) <= bm.AGREEMENT_RTOL
    rows = bm.result_rows(result, 0.1)
    assert rows[1][1] == 'deploy[onnxruntime-int8]' and rows[1][6] == int8.check


def test_int8_calibration_needs_the_demo_images(tmp_path, monkeypatch):
    monkeypatch.setenv('HRNET_MM_DEMO_ROOT', str(tmp_path))
    with pytest.raises(FileNotFoundError, match='prepare_demo_data.py'):
        bm.calibration_inputs((1, 3, 32, 32))


def test_conv_ceiling_measures_torch_and_onnxruntime():
    ceiling = bm.conv_ceiling(torch.device('cpu'), channels=32, size=(16, 16), repeats=1)
    assert set(ceiling) == {'torch', 'onnxruntime'} and min(ceiling.values()) > 0
    assert 'torch' in bm.ceiling_line(ceiling)


def test_scaling_rows_set_time_against_work():
    rows = bm.scaling_rows(torch.device('cpu'), sizes=((64, 64), (64, 128)), widths=(18, ),
                           repeats=1)
    assert [r[:2] for r in rows] == [['W18', '64x64'], ['W18', '64x128']]
    assert rows[0][-1] == '1.00'  # relative to the first case
    assert 1.8 < float(rows[1][2]) / float(rows[0][2]) < 2.2  # twice the pixels, the MACs


def test_concat_rows_time_each_split_of_the_head_and_neck_conv():
    from hrnet_mm.models.utils import CONCAT_BRANCHES
    rows = bm.concat_rows(torch.device('cpu'), width=4, repeats=1)
    assert len(rows) == 8  # two layers x four choices
    for layer in (rows[:4], rows[4:]):
        assert layer[0][1] == "all concatenated (the toolbox's)"
        assert layer[-1][1].startswith('all per branch')
        assert [r[1].endswith(' *') for r in layer].count(True) == 1
        assert layer[4 - CONCAT_BRANCHES][1].endswith(' *')
        macs = [float(r[2]) for r in layer]
        assert macs == sorted(macs, reverse=True) and macs[0] > macs[-1]
        assert all(float(r[3]) > 0 and float(r[4]) > 0 for r in layer)
    # the toolbox's concatenating conv: out x in channels x branch-0 pixels
    assert rows[0][0] == 'decode head 1x1 conv, W4 128x256'
    assert float(rows[0][2]) == pytest.approx(round(60 * 60 * 128 * 256 / 1e9, 2))
