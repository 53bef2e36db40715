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
from dataclasses import dataclass, field

import numpy as np

from kinfolk.db import repo
from kinfolk.db.connection import snapshot, transaction
from kinfolk.core.cancel import CancelToken
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
#:   0.95 on a 2,000-photo part of lfw-dev); its same- and different-person similarities overlap,
#:   so it is set for precision: merge just above FAR 1e-4, pair at 1e-5 (crowd BCubed P 0.988 at
#:   F 0.948; family photos P 1.000 at F 0.966; merge 0.93 gave F 0.954 / 0.979 at crowd P 0.975).
MEASURED_CLUSTERING: dict[str, tuple[float, float, float, float]] = {
    "sface_2021dec_int8": (0.40, 0.45, 0.55, 0.50),
    "sface_2021dec": (0.40, 0.45, 0.55, 0.50),  # the fp32 original of the int8 model
    "faceplugin_mbf512": (0.40, 0.45, 0.55, 0.50),
    "dlib_resnet_v1": (0.92, 0.935, 0.95, 0.95),
}


def cluster_params_for(model_id: str, th: Thresholds | None = None,
                       base: ClusterParams | None = None) -> ClusterParams:
    """Clustering similarities on the model's own scale.

    Measured models use ``MEASURED_CLUSTERING``. Others (e.g. the ArcFace packs, not measured here)
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
    return dataclasses.replace(base, link_similarity=link, merge_similarity=merge, pair_similarity=pair,
                               attach_threshold=attach)


@dataclass
class OrganizeReport:
    models: dict[str, dict] = field(default_factory=dict)  # model id -> figures

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


def models_in_library(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT DISTINCT model_id FROM faces ORDER BY model_id")]


def _count(labels: np.ndarray) -> int:
    return int(labels.max()) + 1 if len(labels) and labels.max() >= 0 else 0


def compute_groups(conn: sqlite3.Connection, model_id: str, params: ClusterParams | None = None,
                   progress=None, cancel: CancelToken | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(face ids, labels; -1 = no group) for the unassigned faces of one model, read in one
    snapshot. Writes nothing: the old groups stay visible while this runs."""
    with snapshot(conn):
        ids, emb = repo.embeddings(conn, model_id, state="unassigned")
        meta = dict((r[0], (r[1], r[2], r[3])) for r in conn.execute(
            "SELECT id, photo_id, quality, score FROM faces WHERE model_id = ? AND state = 'unassigned'",
            (model_id,)))
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
        old = dict(conn.execute("SELECT id, cluster_id FROM faces WHERE cluster_id IS NOT NULL"))
        next_id = max(old.values(), default=0) + 1
        models = list(groups)
        q = ",".join("?" * len(models))
        conn.execute(f"UPDATE faces SET cluster_id = NULL WHERE cluster_id IS NOT NULL AND model_id IN ({q})",
                     models)
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
        conn.executemany(
            "UPDATE faces SET cluster_id = ? WHERE id = ? AND state = 'unassigned' AND person_id IS NULL",
            [(new_id[key], fid) for key, fids in members.items() for fid in fids])


def organize(conn: sqlite3.Connection, params: ClusterParams | None = None, progress=None,
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
    if groups:
        replace_groups(conn, groups)
    return report
