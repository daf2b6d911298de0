from .hrnet_classifier import HRNetClsHead, HRNetImageClassifier, to_classifier_keys

__all__ = ['HRNetClsHead', 'HRNetImageClassifier', 'to_classifier_keys']
