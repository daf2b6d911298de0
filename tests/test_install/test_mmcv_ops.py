"""mmcv's compiled ops give hand-checkable answers (proves mmcv._ext was really built)."""
import pytest
import torch


def test_compiled_extension_is_present():
    import mmcv._ext  # noqa: F401  (absent when mmcv was installed without ops)


def test_nms_suppresses_the_overlapping_box():
    from mmcv.ops import nms
    boxes = torch.tensor([[0., 0., 10., 10.], [1., 1., 11., 11.], [20., 20., 30., 30.]])
    scores = torch.tensor([0.9, 0.8, 0.7])
    # IoU(box0, box1) = 81 / 119 = 0.68 > 0.5: box1 goes; box2 does not overlap.
    dets, keep = nms(boxes, scores, iou_threshold=0.5)
    assert keep.tolist() == [0, 2]
    assert torch.equal(dets, torch.tensor([[0., 0., 10., 10., 0.9], [20., 20., 30., 30., 0.7]]))
    _, keep = nms(boxes, scores, iou_threshold=0.7)  # 0.68 < 0.7: all stay
    assert keep.tolist() == [0, 1, 2]


def test_batched_nms_only_suppresses_within_a_class():
    from mmcv.ops import batched_nms
    boxes = torch.tensor([[0., 0., 10., 10.], [1., 1., 11., 11.], [0., 0., 10., 10.]])
    scores = torch.tensor([0.9, 0.8, 0.6])
    dets, keep = batched_nms(boxes, scores, torch.tensor([0, 1, 0]),
                             dict(type='nms', iou_threshold=0.5))
    # box1 is another class and survives; box2 duplicates box0 in class 0 and goes.
    assert keep.tolist() == [0, 1]
    assert dets[:, -1].tolist() == pytest.approx([0.9, 0.8])


def test_roi_align_on_a_linear_ramp():
    from mmcv.ops import RoIAlign, roi_align
    # f(y, x) = x + 10 y at pixel centres; bilinear sampling of a linear function is exact,
    # so every output is the mean of the sample coordinates in its bin.
    ys, xs = torch.meshgrid(torch.arange(4.), torch.arange(4.), indexing='ij')
    feat = (xs + 10 * ys)[None, None]
    rois = torch.tensor([[0., 0., 0., 4., 4.]])  # (batch index, x1, y1, x2, y2)
    out = roi_align(feat, rois, (2, 2), 1.0, 2, 'avg', True)
    # aligned=True shifts by -0.5: bins span [-0.5, 1.5] and [1.5, 3.5]; their two samples
    # per axis sit at 0, 1 and 2, 3 -> bin means 0.5 and 2.5.
    expected = torch.tensor([[[[0.5 + 5., 2.5 + 5.], [0.5 + 25., 2.5 + 25.]]]])
    torch.testing.assert_close(out, expected)
    module = RoIAlign((2, 2), spatial_scale=1.0, sampling_ratio=2, aligned=True)
    torch.testing.assert_close(module(feat, rois), expected)
    half = roi_align(feat, rois * torch.tensor([1., 2., 2., 2., 2.]), (2, 2), 0.5, 2, 'avg', True)
    torch.testing.assert_close(half, expected)  # spatial_scale undoes the doubled roi
