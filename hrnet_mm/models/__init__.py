from .backbones import HRNet
from .necks import HRFPN

__all__ = ['HRNet', 'HRFPN']
