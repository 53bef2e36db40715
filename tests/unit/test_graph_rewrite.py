"""PRelu rewrites on small synthetic graphs: each form computes PRelu, and the blocked form is used
only where onnxruntime keeps it in its blocked (NCHWc) layout (no real models needed)."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from kinfolk.core.faces.graph_rewrite import blocked_layout, rewrite, split_prelu


def _prelu_net(channels: int, seed: int = 0) -> onnx.ModelProto:
    """Conv(3→C, 3×3) → PRelu(per-channel slopes, some ≥ 1 and some < 0) → Conv(C→C, 1×1)."""
    rng = np.random.default_rng(seed)
    w1 = rng.normal(0, 0.5, (channels, 3, 3, 3)).astype(np.float32)
    w2 = rng.normal(0, 0.3, (channels, channels, 1, 1)).astype(np.float32)
    slope = rng.uniform(-0.8, 1.3, (channels, 1, 1)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "w1"], ["a"], pads=[1, 1, 1, 1]),
         helper.make_node("PRelu", ["a", "slope"], ["b"]),
         helper.make_node("Conv", ["b", "w2"], ["y"])],
        "prelu_net",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 12, 12])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, channels, 12, 12])],
        [numpy_helper.from_array(w1, "w1"), numpy_helper.from_array(w2, "w2"),
         numpy_helper.from_array(slope, "slope")])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=7)


def _run(model: onnx.ModelProto | bytes, x: np.ndarray, optimized: str | None = None) -> np.ndarray:
    so = ort.SessionOptions()
    so.log_severity_level = 3
    so.intra_op_num_threads = 1
    if optimized:
        so.optimized_model_filepath = optimized
    data = model if isinstance(model, bytes) else model.SerializeToString()
    return ort.InferenceSession(data, so, providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]


@pytest.mark.parametrize("blocked", [False, True])
@pytest.mark.parametrize("channels", [16, 12])
def test_each_prelu_form_computes_prelu(blocked, channels):
    original = _prelu_net(channels)
    x = np.random.default_rng(1).uniform(-1, 1, (1, 3, 12, 12)).astype(np.float32)
    rewritten = _prelu_net(channels)
    assert split_prelu(rewritten, blocked=blocked) == 1
    ops = [n.op_type for n in rewritten.graph.node]
    assert "PRelu" not in ops
    # The convolution form only where the channels fill whole blocks of 16 (any x86 block size).
    assert ("Min" not in ops) == (blocked and channels % 16 == 0)
    np.testing.assert_allclose(_run(rewritten, x), _run(original, x), rtol=1e-5, atol=1e-5)


@pytest.mark.skipif(not blocked_layout(), reason="this onnxruntime/CPU has no blocked (NCHWc) layout")
def test_blocked_prelu_keeps_the_network_in_the_blocked_layout(tmp_path):
    """The portable form sends every PRelu back to plain NCHW and forth again (ReorderOutput /
    ReorderInput around it); the blocked form runs conv → PRelu → conv without a reorder between."""
    x = np.random.default_rng(2).uniform(-1, 1, (1, 3, 12, 12)).astype(np.float32)
    reorders = {}
    for blocked in (False, True):
        form = rewrite(_prelu_net(32).SerializeToString(), batch=False, blocked=blocked)
        path = str(tmp_path / f"opt{blocked}.onnx")
        np.testing.assert_allclose(_run(form.model, x, path), _run(_prelu_net(32), x), rtol=1e-5, atol=1e-5)
        reorders[blocked] = sum(n.op_type.startswith("Reorder") for n in onnx.load(path).graph.node)
    # Blocked: only the network's input and output are reordered; portable: the PRelu too.
    assert reorders[True] <= 2 < reorders[False]
