"""Accuracy of the whole pipeline (scan → match → cluster) on the labeled photos, per model.

The same ``kinfolk evaluate`` code users run. Floors sit just under what was measured (see
docs/evaluation.md); a regression in detection, alignment, embedding or clustering trips them.
"""

from __future__ import annotations

import pytest

from kinfolk.core.backend_choice import make_backend
from kinfolk.core.evaluation import evaluate

# pack -> (BCubed F1 floor, ROC AUC floor); measured: see docs/evaluation.md
FLOORS = {
    "scrfd_sface_int8": (0.99, 0.999),
    "scrfd_mbf512": (0.99, 0.999),
    "yunet_sface_int8": (0.99, 0.999),
    "dlib": (0.89, 0.99),
}


@pytest.mark.parametrize("pack", list(FLOORS))
def test_clustering_and_verification_accuracy(pack, faces_dir, models_dir, tmp_path):
    backend = make_backend("dlib") if pack == "dlib" else make_backend("onnx", pack=pack, models_dir=models_dir)
    r = evaluate(faces_dir / "labels.csv", faces_dir, backend, library=tmp_path / "eval.sqlite")
    print(f"\n{pack}: misses {len(r.detection_misses)}, AUC {r.auc:.5f}, EER {r.eer:.4f}, "
          f"rank-1 {r.rank1:.4f}, BCubed P {r.bcubed_precision:.4f} R {r.bcubed_recall:.4f} "
          f"F1 {r.bcubed_f1:.4f}, clustered {r.share_clustered:.3f}")
    f1_floor, auc_floor = FLOORS[pack]
    assert r.single_person_photos == 203
    assert r.detection_misses == []
    assert r.auc >= auc_floor
    assert r.bcubed_f1 >= f1_floor
    # Precision matters most: a wrong merge shows the user a stranger under a loved one's name.
    assert r.bcubed_precision >= 0.99
