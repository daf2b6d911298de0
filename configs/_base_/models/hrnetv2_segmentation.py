# HRNetV2 for any MMSegmentation EncoderDecoder config: HRNet + the HRNetV2 head (the four
# branches concatenated, one 1x1 conv + BN + ReLU, the classifier), per width, merged with
# one line:
#
#   _base_ = ['mmseg::fcn/fcn_r50-d8_4xb2-40k_cityscapes-512x1024.py',
#             '<hrnet_mm>/configs/_base_/models/hrnetv2_segmentation.py']
#   model = dict(_base_.hrnetv2_w48)
#
# It also clears the base's model-level `pretrained` (mmseg hands it to any backbone) and
# its auxiliary head (which read ResNet's stage 3); the decode head keeps the base's
# num_classes.  HRNetV2Head is mmseg's FCNHead with less work (same weights).
_base_ = '../hrnet_mm.py'


def _hrnetv2(width):  # a config's functions are dropped once the file is read
    widths = [width * 2**i for i in range(4)]
    return dict(
        pretrained=None,
        backbone=dict(_delete_=True, type='HRNet', arch=f'w{width}',
                      norm_cfg=dict(type='SyncBN', requires_grad=True), init_cfg=dict(
                          type='Pretrained', checkpoint=f'open-mmlab://msra/hrnetv2_w{width}')),
        decode_head=dict(type='HRNetV2Head', in_channels=widths, in_index=(0, 1, 2, 3),
                         channels=sum(widths), input_transform='resize_concat', kernel_size=1,
                         num_convs=1, concat_input=False),
        auxiliary_head=None)


hrnetv2_w18, hrnetv2_w32, hrnetv2_w40, hrnetv2_w48 = map(_hrnetv2, (18, 32, 40, 48))

# HRNetV2-W48 + OCR (TPAMI Tables 3-6, as the official HRNet-OCR): mmseg's cascade, whose
# first stage is the config's own HRNetV2 head as the soft object-region head (loss weight
# 0.4) and whose second is mmseg's OCRHead (3x3 conv 720->512, 256 key channels, loss 1.0).
# An OCR config turns its FCN base into it with (the classes stay the base's):
#
#   model = dict(_base_.ocr_cascade, decode_head=[
#       dict(_base_.model.decode_head, loss_decode=_base_.ocr_soft_region_loss),
#       dict(_base_.ocr_head_w48, num_classes=_base_.model.decode_head.num_classes)])
ocr_cascade = dict(type='CascadeEncoderDecoder', num_stages=2)
ocr_soft_region_loss = dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=0.4)
ocr_head_w48 = dict(
    type='OCRHead', in_channels=[48, 96, 192, 384], in_index=(0, 1, 2, 3),
    input_transform='resize_concat', channels=512, ocr_channels=256, dropout_ratio=-1,
    norm_cfg=dict(type='SyncBN', requires_grad=True), align_corners=False,
    loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0))
