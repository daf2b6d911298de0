from .hrfpn import HRFPN

__all__ = ['HRFPN']
