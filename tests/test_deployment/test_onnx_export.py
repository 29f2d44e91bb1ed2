"""ONNX export of trained classifiers: onnxruntime against PyTorch's TDE on real images."""
import numpy as np
import onnx
import pytest
import torch
from _digits import assert_onnx_matches_tde, held_out_images

from mmcausal.deployment import deployable_classifier, export_onnx

# Every classifier variant; deconfound with K = 1 and K = 2.
MODELS = [('deconfound', 2), ('deconfound', 1), ('cosine', 2), ('capsule', 2), ('linear', 2)]


def operators(path: str) -> dict:
    """op type -> count over the nodes of an ONNX file, with the domains they come from."""
    graph = onnx.load(path).graph
    assert {node.domain for node in graph.node} == {''}  # standard ONNX operators only
    ops = [node.op_type for node in graph.node]
    return {op: ops.count(op) for op in ops}


@pytest.mark.parametrize('classifier,num_heads', MODELS)
def test_onnxruntime_matches_pytorch_tde_on_real_images(trained_digits, classifier, num_heads,
                                                        tmp_path):
    model, _ = trained_digits(classifier, num_heads)
    images, labels = held_out_images(model)
    assert images.shape == (500, 3, 8, 8)
    logits = {}
    for alpha in ([0.0] if classifier == 'linear' else [0.0, 1.0]):
        path = str(tmp_path / f'alpha{alpha}.onnx')
        export_onnx(deployable_classifier(model, alpha), images[:2], path, 'inputs',
                    ['logits'], dynamic_dims=(0, 2, 3))

        logits[alpha] = assert_onnx_matches_tde(path, model, alpha, images)

        assert logits[alpha].shape == (500, 10)
    # a trained model, not a constant: at alpha = 0 three times chance (10 %) at least
    assert (logits[0.0].argmax(1) == labels.numpy()).mean() > 0.3
    if classifier != 'linear':
        # TDE at alpha = 1 and z differ on the real images: the correction is in the file
        assert not np.array_equal(logits[1.0], logits[0.0])
        # per-group normalization and one matmul with the folded weight, after the pooling
        assert operators(str(tmp_path / 'alpha1.0.onnx')).get('MatMul') == 1


def test_the_graph_takes_any_batch_and_image_size(trained_digits, tmp_path):
    model, _ = trained_digits('deconfound', 2)
    path = str(tmp_path / 'model.onnx')
    example = torch.randn(2, 3, 8, 8, generator=torch.Generator().manual_seed(0))
    export_onnx(deployable_classifier(model, 1.0), example, path, 'inputs', ['logits'],
                dynamic_dims=(0, 2, 3))
    for shape in [(1, 3, 8, 8), (5, 3, 32, 32), (3, 3, 12, 9)]:
        images = torch.randn(*shape, generator=torch.Generator().manual_seed(1))
        logits = assert_onnx_matches_tde(path, model, 1.0, images)
        assert logits.shape == (shape[0], 10)


def test_export_names_the_fix_for_bad_arguments(tmp_path):
    model = torch.nn.Identity()
    with pytest.raises(ValueError, match=r'size 1 in the dynamic dimensions \[0\].*>= 2'):
        export_onnx(model, torch.zeros(1, 3, 8, 8), str(tmp_path / 'm.onnx'), 'inputs',
                    ['logits'])
    with pytest.raises(ValueError, match=r'opset=11: .* choose opset >= 18'):
        export_onnx(model, torch.zeros(2, 3, 8, 8), str(tmp_path / 'm.onnx'), 'inputs',
                    ['logits'], opset=11)
    plain = torch.nn.Module()
    plain.head = torch.nn.Linear(64, 10)
    with pytest.raises(ValueError, match=r'model.head is Linear, not a TDEClsHead'):
        deployable_classifier(plain, 0.0)
