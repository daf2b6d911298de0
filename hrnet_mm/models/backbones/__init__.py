from .hrnet import ARCH_SETTINGS, HRNet

__all__ = ['ARCH_SETTINGS', 'HRNet']
