"""Accuracy of the whole pipeline (scan → match → cluster) on real photos, per model.

The same ``kinfolk evaluate`` code users run. Floors sit just under what was measured (see
docs/evaluation.md); a regression in detection, alignment, embedding or clustering trips them.
Two sets: the labeled family-style photos (all of them, every shipped pack) and a crowd — a sample
of lfw-dev (one-off strangers, look-alikes: brothers, sisters, twins, one sport's players), small
enough for the default run; the whole of lfw-dev is tests/bench/bench_clustering.py --real.
"""

from __future__ import annotations

import csv
import json
import random
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from kinfolk.core.faces.backend_choice import make_backend
from kinfolk.core.evaluation.labeled_set import evaluate, read_labels
from kinfolk.core.evaluation.lfw_pairs import make_pairs, write_pairs

from ..conftest import REPO, shared_path

# pack -> (BCubed F1 floor, BCubed precision floor, ROC AUC floor); measured: see docs/evaluation.md
FLOORS = {
    "scrfd_sface_int8": (0.995, 1.0, 0.999),
    "scrfd_mbf512": (0.99, 1.0, 0.999),
    "yunet_sface_int8": (0.99, 1.0, 0.999),
    "dlib": (0.98, 1.0, 0.999),
}


@pytest.mark.parametrize("pack", list(FLOORS))
def test_clustering_and_verification_accuracy(pack, faces_dir, models_dir, tmp_path):
    backend = make_backend("dlib") if pack == "dlib" else make_backend("onnx", pack=pack, models_dir=models_dir)
    r = evaluate(faces_dir / "labels.csv", faces_dir, backend, library=tmp_path / "eval.sqlite")
    print(f"\n{pack}: misses {len(r.detection_misses)}, AUC {r.auc:.5f}, EER {r.eer:.4f}, "
          f"rank-1 {r.rank1:.4f}, BCubed P {r.bcubed_precision:.4f} R {r.bcubed_recall:.4f} "
          f"F1 {r.bcubed_f1:.4f}, pairwise F1 {r.pairwise_f1:.4f}, clustered {r.share_clustered:.3f}")
    f1_floor, p_floor, auc_floor = FLOORS[pack]
    assert r.single_person_photos == 203
    assert r.detection_misses == []
    assert r.auc >= auc_floor
    assert r.bcubed_f1 >= f1_floor
    # Precision first: a wrong merge shows the user a stranger under a loved one's name.
    assert r.bcubed_precision >= p_floor
    assert r.pairwise_precision >= p_floor
    assert r.glued_one_photo == 0.0  # the set's two one-photo people stay alone


# Look-alikes of lfw-dev kept whole in the sample: George W. and Jeb Bush; Venus Williams; princesses
# Caroline and Stephanie of Monaco (sisters); skiers Anja Pärson and Janica Kostelić; Tamara and Tia
# Mowry (identical twins: they do merge, measured in docs/evaluation.md); and identities whose
# one-off strangers the old grouping glued to them.
LOOKALIKES = ("george_w_bush", "jeb_bush", "venus_williams", "princess_caroline", "princess_stephanie",
              "anja_paerson", "janica_kostelic", "tamara_mowry", "tia_mowry", "jeanne_moreau",
              "melanie_griffith", "carol_burnett", "mary_tyler_moore", "matt_doherty", "richard_butler",
              "lane_bryant", "roseanne_barr", "kurt_russell", "jeff_bridges")


def lfw_sample(labels: dict[str, str], one_offs: int = 110, people: int = 45, seed: int = 9) -> dict[str, str]:
    """369 photos: the look-alikes (George W. Bush: his first 20), ``one_offs`` people seen once
    and ``people`` seen 2+ times (at most 8 photos each), drawn with ``seed``."""
    by: dict[str, list[str]] = defaultdict(list)
    for rel, ident in sorted(labels.items()):
        by[ident].append(rel)
    rng = random.Random(seed)
    singles = sorted(i for i, f in by.items() if len(f) == 1 and i not in LOOKALIKES)
    multi = sorted(i for i, f in by.items() if len(f) > 1 and i not in LOOKALIKES)
    out = {rel: i for i in LOOKALIKES if i in by for rel in by[i][:20]}
    out.update({rel: i for i in rng.sample(singles, one_offs) + rng.sample(multi, people) for rel in by[i][:8]})
    return out


@pytest.fixture(scope="module")
def lfw_dev_sample(tmp_path_factory) -> Path:
    """The sample copied into a temporary LFW-layout folder with its own labels.csv."""
    src = shared_path("KINFOLK_LFW_DEV", REPO.parent / "shared" / "data" / "lfw-dev", "labels.csv")
    sample = lfw_sample(read_labels(src / "labels.csv"))
    dest = tmp_path_factory.mktemp("lfw-dev-sample")
    with open(dest / "labels.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["file", "identity"])
        for rel, ident in sorted(sample.items()):
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src / rel, dest / rel)
            w.writerow([rel, ident])
    return dest


def test_crowd_with_look_alikes_lfw_dev_sample(lfw_dev_sample, models_dir, tmp_path):
    """Measured (SFace int8, default parameters; 369 photos, 174 people, 116 seen once): BCubed P
    0.979 R 0.979 F 0.979, pairwise P 0.984 F 0.985, 5.2 % of the one-photo people grouped; the
    grouping before issue 9: BCubed P 0.966, pairwise P 0.957, 6.9 % glued. The errors left are the Mowry twins, LFW's own label noise (one
    person under two names) and a few strangers paired with a look-alike."""
    backend = make_backend("onnx", pack="scrfd_sface_int8", models_dir=models_dir)
    r = evaluate(lfw_dev_sample / "labels.csv", lfw_dev_sample, backend, library=tmp_path / "eval.sqlite")
    print(f"\nlfw-dev sample: {r.single_person_photos} photos, {r.identities} people, "
          f"{r.one_photo_identities} seen once; BCubed P {r.bcubed_precision:.4f} R {r.bcubed_recall:.4f} "
          f"F {r.bcubed_f1:.4f}; pairwise P {r.pairwise_precision:.4f} R {r.pairwise_recall:.4f} "
          f"F {r.pairwise_f1:.4f}; one-photo people grouped {r.glued_one_photo:.3f}")
    assert r.detection_misses == []
    assert r.bcubed_precision >= 0.97
    assert r.bcubed_f1 >= 0.97
    assert r.pairwise_precision >= 0.97
    assert r.pairwise_f1 >= 0.97
    assert r.glued_one_photo <= 0.06


def kinfolk(*args: str, models) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "kinfolk.cli.main", "--models", str(models), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600)


def test_lfw_pairs_protocol_on_the_sample(lfw_dev_sample, models_dir, tmp_path):
    """``kinfolk evaluate --pairs PAIRS --folder ROOT --json`` end to end on a small pairs file in
    LFW's layout (10 folds of 3 + 3 pairs over the sample, look-alikes included: 93.3 % measured,
    each fold's threshold coming from 54 pairs). On the whole of lfw-dev (10 × (300 + 300) pairs):
    99.65 %."""
    files = sorted(read_labels(lfw_dev_sample / "labels.csv"))
    write_pairs(make_pairs(files, folds=10, per_fold=3, seed=1), tmp_path / "pairs.txt")
    r = kinfolk("evaluate", "--pairs", str(tmp_path / "pairs.txt"), "--folder", str(lfw_dev_sample),
                "--backend", "onnx", "--pack", "scrfd_sface_int8", "--json", models=models_dir)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    print(f"\npairs: {out['pairs']} over {out['images']} images, accuracy {out['accuracy']:.4f}")
    assert out["folds"] == 10 and out["pairs"] == 60 and len(out["fold_accuracies"]) == 10
    assert out["images_without_face"] == []
    assert out["accuracy"] >= 0.9


def test_evaluate_pairs_bad_input_gets_one_clear_line(lfw_dev_sample, models_dir, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("10\t300\nA\t1\t2\n")
    for args, words in [((str(tmp_path / "nope.txt"), "--folder", str(lfw_dev_sample)), "no such pairs file"),
                        ((str(bad),), "--folder"),
                        ((str(bad), "--folder", str(lfw_dev_sample)), "header promises")]:
        r = kinfolk("evaluate", "--pairs", *args, "--pack", "scrfd_sface_int8", models=models_dir)
        assert r.returncode == 1 and words in r.stderr and r.stderr.strip().count("\n") <= 1, r.stderr
