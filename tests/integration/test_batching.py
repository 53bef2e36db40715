"""Recognizers exported with batch 1 are batched when their graph allows it, and only then."""

import numpy as np

from kinfolk.core.backend_choice import make_backend
from kinfolk.core.providers import free_batch_dim


def test_sface_is_batched_and_matches_single_runs(models_dir):
    b = make_backend("onnx", pack="scrfd_sface_int8", models_dir=models_dir)
    assert b._batch > 1
    chips = [np.random.default_rng(i).integers(0, 255, (112, 112, 3), dtype=np.uint8) for i in range(5)]
    together = b.embed(chips)
    alone = np.concatenate([b.embed([c]) for c in chips])
    assert together.shape == (5, 128)
    assert np.allclose(together, alone, atol=1e-4)


def test_a_graph_that_hard_codes_batch_one_keeps_single_runs(models_dir):
    # faceplugin reshapes to (1, -1) inside: a freed batch folds faces together, so it is refused.
    assert free_batch_dim((models_dir / "faceplugin_fr_feature.onnx").read_bytes()) is not None
    b = make_backend("onnx", pack="scrfd_mbf512", models_dir=models_dir)
    assert b._batch == 1
    chips = [np.full((112, 112, 3), v, np.uint8) for v in (10, 120, 240)]
    assert b.embed(chips).shape == (3, 512)
