"""How often would Kinfolk name a face wrongly without asking, in a crowd? (not collected by pytest)

    python tests/bench/bench_clustering.py --real scrfd_sface_int8 --folder ../shared/data/lfw-dev \\
        --library /tmp/lfw-dev-sface.sqlite          # scan once (the library is reused)
    python tests/bench/bench_auto_threshold.py /tmp/lfw-dev-sface.sqlite ../shared/data/lfw-dev [--people 200]

``--people`` identities with at least 4 photos are "named" with 3 confirmed faces each (chosen at
random, seed 0); every other labeled face (the face nearest each photo's centre) is then scored as
``core.matching`` scores it (mean of the 3 highest similarities to each person's confirmed faces;
automatic only with a lead of ``matching.MARGIN`` over the runner-up). For a range of ``auto``
thresholds it prints how many faces would be named automatically, how many of those wrongly, and
which share of the named people's other faces is found. docs/evaluation.md has the figures.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "app"))

from kinfolk.core.evaluation.labeled_set import is_single, labeled_faces, read_labels  # noqa: E402
from kinfolk.core.people.matching import K_NEIGHBOURS, MARGIN, _person_scores  # noqa: E402
from kinfolk.core.people.thresholds import default_thresholds  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("library")
    ap.add_argument("folder")
    ap.add_argument("--people", type=int, default=200)
    ap.add_argument("--auto", type=float, nargs="*", default=[0.42, 0.45, 0.46, 0.48, 0.50, 0.52, 0.55])
    a = ap.parse_args()
    folder = Path(a.folder).resolve()
    labels = read_labels(folder / "labels.csv")
    conn = sqlite3.connect(a.library)
    model = conn.execute("SELECT model_id FROM faces LIMIT 1").fetchone()[0]
    faces = [(labels[rel], emb) for rel, (_fid, emb, _cl) in sorted(labeled_faces(conn, folder).items())
             if is_single(labels.get(rel, ""))]
    truth = np.array([t for t, _ in faces])
    emb = np.stack([e for _, e in faces])
    rng = np.random.default_rng(0)
    ids, counts = np.unique(truth, return_counts=True)
    named = ids[counts >= 4]
    rng.shuffle(named)
    named = named[:a.people]
    gallery: list[int] = []
    bounds = [0]
    for person in named:
        rows = np.flatnonzero(truth == person)
        rng.shuffle(rows)
        gallery += list(rows[:3])
        bounds.append(len(gallery))
    probe = np.ones(len(truth), bool)
    probe[gallery] = False
    scores, _ = _person_scores(emb[probe], emb[gallery], np.array(bounds), K_NEIGHBOURS)
    order = np.argsort(-scores, axis=1)
    s1 = np.take_along_axis(scores, order[:, :1], 1)[:, 0]
    s2 = np.take_along_axis(scores, order[:, 1:2], 1)[:, 0]
    best, who = named[order[:, 0]], truth[probe]
    of_named = np.isin(who, named)
    print(f"{model}: {len(named)} people named (3 faces each); {probe.sum()} other faces, "
          f"{of_named.sum()} of named people, {(~of_named).sum()} of strangers; "
          f"shipped auto {default_thresholds(model).auto}")
    for auto in a.auto:
        auto_named = (s1 >= auto) & (s1 - s2 >= MARGIN)
        wrong = auto_named & (best != who)
        found = auto_named & (best == who)
        print(f"  auto {auto:.2f}: {auto_named.sum()} named automatically, {wrong.sum()} wrongly "
              f"({100 * wrong.sum() / max(1, auto_named.sum()):.2f} %); named people's faces found "
              f"{100 * found.sum() / max(1, of_named.sum()):.1f} %")


if __name__ == "__main__":
    main()
