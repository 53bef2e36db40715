"""Organize the library after a scan: match faces to named people, then group the rest.

``organize`` is what ``kinfolk cluster`` and the app run after every scan, per recognizer model
(never mixing models): first ``matching.match_faces`` (named people win), then the remaining
unassigned faces are clustered (``clustering.cluster_embeddings``) and their ``cluster_id`` rewritten,
for all models in one transaction at the end (``replace_groups``: never a moment with no groups).
Only ``cluster_id`` of unassigned faces changes, so names, confirmations and rejections survive.
Faces below the quality gate are kept but do not seed groups.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kinfolk.db import faces as db_faces
from kinfolk.db import groups as db_groups
from kinfolk.db.connection import snapshot, transaction
from kinfolk.core.cancel import CancelToken, ProgressFn
from kinfolk.core.clustering.agglomeration import ClusterParams, cluster_embeddings
from kinfolk.core.people.matching import MatchReport, match_faces
from kinfolk.core.faces.quality import is_good_for_clustering
from kinfolk.core.people.thresholds import Thresholds, thresholds_for


#: Clustering similarities per recognizer: (link, merge, pair, attach) of ``ClusterParams``, measured
#: on real embeddings of lfw-dev (7,057 photos, 2,860 people, 2,031 seen once) and the labeled family
#: photos together: one default for both (docs/evaluation.md has the per-model table and the sweep).
#: On each model's different-person pairs of lfw-dev:
#: - SFace int8: FAR 1e-3 at 0.38, 1e-4 0.46, 1e-5 0.54; 1 % of same-person pairs below 0.50;
#: - MobileFaceNet-512: FAR 1e-3 0.35, 1e-4 0.43, 1e-5 0.51; 1 % of same-person pairs below 0.45.
#: So: link at ≈ FAR 1e-3 (an edge worth looking at), merge ≈ FAR 1e-4 (the average of two groups),
#: pair ≈ FAR 1e-5 (two lone faces), attach in between.
#: - dlib: a compressed scale (different people ≈ 0.83 median, same ≈ 0.96; FAR 1e-4 0.93, 1e-5
#:   0.95 on a 2,000-photo part of lfw-dev); its same- and different-person similarities overlap
#:   (a crowd's look-alikes score as high as a family member's harder photos), so no similarity
#:   alone serves both sets: see ``MEASURED_EVIDENCE``.
MEASURED_CLUSTERING: dict[str, tuple[float, float, float, float]] = {
    "sface_2021dec_int8": (0.40, 0.45, 0.55, 0.50),
    "sface_2021dec": (0.40, 0.45, 0.55, 0.50),  # the fp32 original of the int8 model
    "faceplugin_mbf512": (0.40, 0.45, 0.55, 0.50),
    "dlib_resnet_v1": (0.915, 0.932, 0.9575, 0.9475),
}

#: (merge_spread, rescue_similarity, rescue_margin) of ``ClusterParams``, for the models that need
#: more than an average to decide (clustering.py's module docstring). dlib only: with the plain
#: average gate its best setting was family photos BCubed F 0.966 at crowd precision 0.988 (lfw-dev
#: part); demanding more of averages over few pairs (spread) lifts crowd precision to 0.996 but drops
#: the family photos to 0.953, and the second pass — a lower bar (0.915) only where a face or group
#: clearly prefers one group (by 0.02) — brings them back: family F 0.982 (P 1.000), crowd P 0.995
#: at F 0.950. The ONNX recognizers separate people well enough without it: the second pass gained
#: them at most 0.0008 BCubed F on lfw-dev, and where it gained anything it cost precision
#: (MobileFaceNet 0.996 → 0.993 at margin 0.10), so they keep the plain gate (docs/evaluation.md,
#: "dlib").
MEASURED_EVIDENCE: dict[str, tuple[float, float, float]] = {
    "dlib_resnet_v1": (0.015, 0.915, 0.02),
}


def cluster_params_for(model_id: str, th: Thresholds | None = None,
                       base: ClusterParams | None = None) -> ClusterParams:
    """Clustering similarities on the model's own scale.

    Measured models use ``MEASURED_CLUSTERING`` (and ``MEASURED_EVIDENCE``). Others (e.g. the ArcFace packs, not measured here)
    derive them from their thresholds ``th`` (default: ``thresholds.default_thresholds``): link at
    ``th.cluster_link`` (by default ``auto``, above every different-person pair measured), merge and
    pair stricter (ArcFace-scale models land near the measured ones), attach in between.
    """
    import dataclasses

    from kinfolk.core.people.thresholds import default_thresholds

    base = base or ClusterParams()
    if model_id in MEASURED_CLUSTERING:
        link, merge, pair, attach = MEASURED_CLUSTERING[model_id]
    else:
        link = (th or default_thresholds(model_id)).cluster_link
        merge, pair = link + (1 - link) / 20, link + (1 - link) / 6
        attach = (merge + pair) / 2
    p = dataclasses.replace(base, link_similarity=link, merge_similarity=merge, pair_similarity=pair,
                            attach_threshold=attach)
    if model_id in MEASURED_EVIDENCE:
        spread, rescue, margin = MEASURED_EVIDENCE[model_id]
        p = dataclasses.replace(p, merge_spread=spread, rescue_similarity=rescue, rescue_margin=margin)
    return p


@dataclass
class OrganizeReport:
    models: dict[str, dict[str, Any]] = field(default_factory=dict)  # model id -> figures
    assigned_to: Counter[str] = field(default_factory=Counter)  # name -> faces given to them (all models)
    suggested_for: Counter[str] = field(default_factory=Counter)  # name -> new suggestions for them

    @property
    def recognized(self) -> list[tuple[str, int]]:
        """(name, faces newly given to that person automatically), most first, then by name."""
        return ranked(self.assigned_to)

    @property
    def suggested_people(self) -> list[tuple[str, int]]:
        """(name, new suggestions for that person), most first, then by name."""
        return ranked(self.suggested_for)

    @property
    def clusters(self) -> int:
        return sum(m["clusters"] for m in self.models.values())

    @property
    def matched(self) -> int:
        """Faces given to named people automatically."""
        return sum(m["matched"] for m in self.models.values())

    @property
    def suggested(self) -> int:
        """Faces now asked about in Suggestions."""
        return sum(m["suggested"] for m in self.models.values())


def ranked(counts: Counter[str]) -> list[tuple[str, int]]:
    """Names with their counts, the largest count first, ties by name (case-insensitive)."""
    return sorted(((name, n) for name, n in counts.items() if n > 0), key=lambda c: (-c[1], c[0].casefold(), c[0]))


def names_with_counts(people: list[tuple[str, int]], limit: int = 5, form: str = "{name} {count}") -> str:
    """"Anna 5, Ben 2, Grandma 1" for ranked (name, count) pairs: at most ``limit`` names, then
    "and 3 others" (never "and 1 other": that name fits as well)."""
    shown = people if len(people) <= limit + 1 else people[:limit]
    text = ", ".join(form.format(name=name, count=n) for name, n in shown)
    rest = len(people) - len(shown)
    return f"{text} and {rest} others" if rest else text


def models_in_library(conn: sqlite3.Connection) -> list[str]:
    return db_faces.model_ids(conn)


def _count(labels: np.ndarray) -> int:
    return int(labels.max()) + 1 if len(labels) and labels.max() >= 0 else 0


def compute_groups(conn: sqlite3.Connection, model_id: str, params: ClusterParams | None = None,
                   progress: ProgressFn | None = None,
                   cancel: CancelToken | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(face ids, labels; -1 = no group) for the unassigned faces of one model, read in one
    snapshot. Writes nothing: the old groups stay visible while this runs."""
    with snapshot(conn):
        ids, emb = db_faces.embeddings(conn, model_id, state="unassigned")
        meta = db_groups.clustering_inputs(conn, model_id)
        params = params or cluster_params_for(model_id, thresholds_for(conn, model_id))
    if len(ids) < 2:
        return np.asarray(ids, np.int64), np.full(len(ids), -1, np.int64)
    photo_ids = np.array([meta[int(i)][0] for i in ids], np.int64)
    good = np.array([is_good_for_clustering(meta[int(i)][1], meta[int(i)][2], model_id) for i in ids], bool)
    labels = cluster_embeddings(emb, photo_ids=photo_ids, good=good, params=params,
                                progress=progress, cancel=cancel)
    return np.asarray(ids, np.int64), np.asarray(labels, np.int64)


def replace_groups(conn: sqlite3.Connection, groups: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
    """Swap in new groups for the given models in one transaction: no reader ever sees a moment
    without groups, and a kill leaves the old ones.

    A face gets its new group only if it is still unassigned (a face the user named, hid or
    removed while clustering ran keeps what the user did). Group ids stay stable: a new group takes
    the old id most of its faces had (largest overlap first), so the group a user is looking at
    keeps its number; other groups get ids above every current one."""
    with transaction(conn):
        old = db_groups.current_groups(conn)
        next_id = max(old.values(), default=0) + 1
        db_groups.clear_groups(conn, list(groups))
        overlaps: list[tuple[int, str, int, int]] = []  # (-overlap, model, label, old id)
        members: dict[tuple[str, int], list[int]] = {}
        for model_id, (ids, labels) in groups.items():
            for fid, lab in zip(ids.tolist(), labels.tolist()):
                if lab >= 0:
                    members.setdefault((model_id, lab), []).append(fid)
        for (model_id, lab), fids in members.items():
            counts: dict[int, int] = {}
            for f in fids:
                if f in old:
                    counts[old[f]] = counts.get(old[f], 0) + 1
            overlaps += [(-n, model_id, lab, cid) for cid, n in counts.items()]
        new_id: dict[tuple[str, int], int] = {}
        used: set[int] = set()
        for _n, model_id, lab, cid in sorted(overlaps, key=lambda o: (o[0], o[3])):
            if (model_id, lab) not in new_id and cid not in used:
                new_id[(model_id, lab)] = cid
                used.add(cid)
        for key in sorted(members):
            if key not in new_id:
                new_id[key] = next_id
                next_id += 1
        db_groups.set_groups(conn, [(new_id[key], fid) for key, fids in members.items() for fid in fids])


def organize(conn: sqlite3.Connection, params: ClusterParams | None = None, progress: ProgressFn | None = None,
             cancel: CancelToken | None = None) -> OrganizeReport:
    """Match, then cluster, for every model in the library; the new groups of all models are
    swapped in together at the end (``replace_groups``)."""
    report = OrganizeReport()
    groups = {}
    for model_id in models_in_library(conn):
        m: MatchReport = match_faces(conn, model_id, cancel=cancel)
        groups[model_id] = compute_groups(conn, model_id, params, progress, cancel)
        report.models[model_id] = {"matched": m.assigned, "suggested": m.suggested,
                                   "clusters": _count(groups[model_id][1])}
        report.assigned_to.update(m.assigned_to)
        report.suggested_for.update(m.suggested_for)
    if groups:
        replace_groups(conn, groups)
    return report
