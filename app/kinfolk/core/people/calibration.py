"""``kinfolk calibrate``: thresholds from the user's own confirmed faces.

For one model, every pair of confirmed faces (sampled when there are many) is a genuine pair (same
person) or an impostor pair. From their cosine similarities: ROC AUC, EER, and thresholds:
``match`` = EER threshold, ``auto`` = the threshold whose false-accept rate is ``target_far``,
``suggest`` = the threshold at FAR 10 × ``target_far`` capped at 5 % (suggestions are cheap to
refuse, missed ones are not). Needs at least 2 people with 2+ confirmed faces each.

The user's own "No" answers overrule the statistics: every (face, person) pair they rejected is
scored as matching would score it (the mean of its ``K_NEIGHBOURS`` best similarities to that
person's confirmed faces), and ``auto`` is kept above the highest of those scores (by
``REJECTION_MARGIN``), so the proposal never assigns automatically a face the user said is someone
else. A few hundred confirmed faces give few impostor pairs; the rejections are the mistakes that
actually happened.
"""

from __future__ import annotations

import math

import sqlite3
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from kinfolk.db import matches as db_matches
from kinfolk.core.evaluation import metrics
from kinfolk.core.people.matching import K_NEIGHBOURS
from kinfolk.core.people.thresholds import Thresholds, save_thresholds

MAX_FACES = 3000  # pairs grow quadratically; 3000 faces = 4.5 M pairs, plenty for a 1e-3 FAR
REJECTION_MARGIN = 0.02


class CalibrationError(Exception):
    pass


@dataclass
class Calibration:
    model_id: str
    faces: int
    people: int
    genuine_pairs: int
    impostor_pairs: int
    auc: float
    eer: float
    target_far: float
    proposed: Thresholds
    rejections: int = 0  # (face, person) "No" answers scored
    highest_rejected: float | None = None  # the best score any of them gets; auto is above it

    @property
    def pairs_needed(self) -> int:
        """Different-person pairs needed to see the target false-accept rate at all (one mistake in
        N pairs cannot show in fewer than N): below it, the proposal is a guess."""
        return math.ceil(1 / self.target_far)

    @property
    def far_measurable(self) -> bool:
        return self.impostor_pairs >= self.pairs_needed

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["proposed"] = asdict(self.proposed)
        d["far_measurable"] = self.far_measurable
        return d


def calibrate(conn: sqlite3.Connection, model_id: str, target_far: float = 1e-3,
              seed: int = 0) -> Calibration:
    rows = db_matches.confirmed_embeddings(conn, model_id)
    if len(rows) > MAX_FACES:
        keep = np.random.default_rng(seed).choice(len(rows), MAX_FACES, replace=False)
        rows = [rows[i] for i in sorted(keep)]
    owners = np.array([r[0] for r in rows])
    counts = {p: int((owners == p).sum()) for p in set(owners.tolist())}
    if sum(1 for c in counts.values() if c >= 2) < 2:
        raise CalibrationError("calibration needs at least two people with two or more confirmed "
                               "faces each; name and confirm more faces first")
    emb = np.frombuffer(b"".join(r[1] for r in rows), np.float32).reshape(len(rows), -1)
    iu = np.triu_indices(len(rows), 1)
    scores = (emb @ emb.T)[iu]
    same = (owners[:, None] == owners[None, :])[iu]
    eer, eer_thr = metrics.eer(scores, same)
    _, auto_thr = metrics.tar_at_far(scores, same, target_far)
    _, sugg_thr = metrics.tar_at_far(scores, same, min(0.05, 10 * target_far))
    rejected = rejected_scores(conn, model_id)
    auto = float(auto_thr)
    highest = float(rejected.max()) if len(rejected) else None
    if highest is not None:
        auto = max(auto, highest + REJECTION_MARGIN)
    proposed = Thresholds(match=round(float(eer_thr), 4), auto=round(auto, 4),
                          suggest=round(float(min(sugg_thr, eer_thr, auto)), 4))
    return Calibration(model_id, len(rows), len(counts), int(same.sum()), int((~same).sum()),
                       float(metrics.roc_auc(scores, same)), float(eer), target_far, proposed,
                       len(rejected), highest)


def rejected_scores(conn: sqlite3.Connection, model_id: str) -> np.ndarray:
    """For each (face, person) the user said "not this person" to: the score matching would give
    that face for that person, from the person's confirmed faces of ``model_id``."""
    out = []
    gallery: dict[int, np.ndarray] = {}
    for pid, blob in db_matches.rejected_embeddings(conn, model_id):
        if pid not in gallery:
            g = db_matches.confirmed_embeddings_of(conn, pid, model_id)
            gallery[pid] = np.frombuffer(b"".join(g), np.float32).reshape(len(g), -1)
        sims = np.sort(gallery[pid] @ np.frombuffer(blob, np.float32))[::-1]
        out.append(float(sims[:K_NEIGHBOURS].mean()))
    return np.array(out, np.float32)


def apply(conn: sqlite3.Connection, cal: Calibration) -> None:
    """Store the proposed thresholds for this library (``thresholds.thresholds_for`` reads them)."""
    save_thresholds(conn, cal.model_id, cal.proposed)
