# HRNet-Wx-C with residual units formed by a bottleneck (1x1 -> 3x3 -> 1x1, expansion 4):
# the branch representations keep the widths C, 2C, 4C, 8C and the bottlenecks' inner
# (3x3) widths are C/4, C/2, C, 2C.  Stage 1, module counts (1/4/3) and 4 units per branch
# are those of the BASIC networks.  Written for C = 44; a config sets its C through the
# three `num_channels`.
_base_ = './hrnet-c.py'

model = dict(backbone=dict(_delete_=True, type='hrnet_mm.HRNet', extra=dict(
    stage1=dict(num_modules=1, num_branches=1, block='BOTTLENECK', num_blocks=(4, ),
                num_channels=(64, )),
    stage2=dict(num_modules=1, num_branches=2, block='BOTTLENECK',
                num_blocks=(4, 4), num_channels=(11, 22)),
    stage3=dict(num_modules=4, num_branches=3, block='BOTTLENECK',
                num_blocks=(4, 4, 4), num_channels=(11, 22, 44)),
    stage4=dict(num_modules=3, num_branches=4, block='BOTTLENECK',
                num_blocks=(4, 4, 4, 4), num_channels=(11, 22, 44, 88)))))
