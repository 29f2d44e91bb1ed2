"""Deployment: trained TDE models with alpha folded into the weights, exported to ONNX.

Not imported by ``import mmcausal``; :func:`run_onnx` needs ``onnxruntime`` and the export
``onnx`` and ``onnxscript`` (``requirements/deploy.txt``).
"""
from .folding import FoldedClassifier, FoldedRoIScores, deployable_classifier, deployable_roi_head
from .onnx_export import OPSET, export_onnx, run_onnx

__all__ = ['OPSET', 'FoldedClassifier', 'FoldedRoIScores', 'deployable_classifier',
           'deployable_roi_head', 'export_onnx', 'run_onnx']
