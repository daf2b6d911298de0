# What every hrnet_mm config needs, written once: hrnet_mm's shims, and `type='HRNet'` /
# `'HRFPN'` building hrnet_mm's classes in mmdet, mmseg and mmpose (hrnet_mm.plugin runs
# hrnet_mm.register_all()).  Configs list this file after their toolbox base.
custom_imports = dict(imports=['hrnet_mm.plugin'], allow_failed_imports=False)
