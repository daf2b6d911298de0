"""Inference deployment (``runtime``): BN folding, fast CPU/GPU inference modes, ONNX
export and its check; ``int8``: static int8 quantisation by onnxruntime and its measures.  Builds models through :func:`hrnet_mm.apis.build_model`; imports
nothing of the tools or the developer tooling."""
from .runtime import (EXPORT_PARTS, INFERENCE_BACKENDS, Int8OrtRunner, OrtRunner,
                      TensorModeWrapper, export_onnx, fold_bn, fold_conv_bn_,
                      max_relative_error, model_part_from_config, optimize_for_inference,
                      ort_session, verify_onnx)

__all__ = ['fold_bn', 'fold_conv_bn_', 'max_relative_error', 'optimize_for_inference',
           'OrtRunner', 'Int8OrtRunner', 'TensorModeWrapper', 'export_onnx', 'verify_onnx',
           'ort_session', 'model_part_from_config', 'INFERENCE_BACKENDS', 'EXPORT_PARTS']
