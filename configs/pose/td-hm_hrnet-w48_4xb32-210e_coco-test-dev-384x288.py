# HRNetV1-W48 pose estimation, 384x288, evaluated on COCO test-dev2017.
#
# Paper:    TPAMI HRNet, Table 2 (COCO test-dev), top-down row
#           "HRNetV1 | HRNetV1-W48 | 384x288 | 63.6M | 32.9 GFLOPs | AP 75.5".
# Model and training: td-hm_hrnet-w48_4xb32-210e_coco-384x288.py (ImageNet-
#           pretrained, Adam lr 1e-3, x0.1 at epochs 170/200, 210 epochs, 4 GPUs x
#           32 images); written here as the W32 test-dev config at width 48.
# Testing:  test-dev has no public labels: the test loop writes the keypoint
#           results json for the COCO server (CocoMetric, format_only) from the
#           SimpleBaseline person detections for test-dev
#           (COCO_test-dev2017_detections_AP_H_609_person.json); flip-averaged
#           heatmaps, quarter-offset refinement.
# Other GPU counts: `--auto-scale-lr` scales lr from the total batch of 128.
_base_ = './td-hm_hrnet-w32_4xb32-210e_coco-test-dev-384x288.py'

# HRNetV1-W48: hrnet_mm's preset width, with mmpose's W48 ImageNet weights.
model = dict(_base_.hrnetv1_w48)
test_evaluator = dict(
    outfile_prefix='work_dirs/format_results/coco_test-dev_hrnet-w48_384x288')

paper = dict(
    source='TPAMI',
    table='T2',
    row='HRNetV1-W48, 384x288, COCO test-dev',
    metric='AP', value=75.5,
    params_m=63.6, gflops=32.9,
    input_shape=(3, 384, 288),  # Table 2 input size (GFLOPs refer to it)
    zoo=None,  # mmpose reports no test-dev numbers
    note='test-server submission (format_only)')
