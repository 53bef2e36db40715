"""Organize the library after a scan: match faces to named people, then group the rest.

``organize`` is what ``kinfolk cluster`` and the app run after every scan, per recognizer model
(never mixing models): first ``matching.match_faces`` (named people win), then the remaining
unassigned faces are clustered (``clustering.cluster_embeddings``) and their ``cluster_id`` rewritten.
Only ``cluster_id`` of unassigned faces changes, so names, confirmations and rejections survive.
Faces below the quality gate are kept but do not seed groups.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

import numpy as np

from ..db import repo
from ..db.connection import transaction
from .cancel import CancelToken
from .clustering import ClusterParams, cluster_embeddings
from .matching import MatchReport, match_faces
from .quality import is_good_for_clustering
from .thresholds import Thresholds, thresholds_for


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

    from .thresholds import default_thresholds

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


def models_in_library(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT DISTINCT model_id FROM faces ORDER BY model_id")]


def cluster_model(conn: sqlite3.Connection, model_id: str, first_id: int,
                  params: ClusterParams | None = None, progress=None,
                  cancel: CancelToken | None = None) -> int:
    """Cluster the unassigned faces of one model; ids start at ``first_id``. Returns #clusters."""
    ids, emb = repo.embeddings(conn, model_id, "state = 'unassigned'")
    with transaction(conn):
        conn.execute("UPDATE faces SET cluster_id = NULL WHERE model_id = ? AND cluster_id IS NOT NULL",
                     (model_id,))
    if len(ids) < 2:
        return 0
    meta = dict((r[0], (r[1], r[2], r[3])) for r in conn.execute(
        "SELECT id, photo_id, quality, score FROM faces WHERE model_id = ? AND state = 'unassigned'",
        (model_id,)))
    photo_ids = np.array([meta[int(i)][0] for i in ids], np.int64)
    good = np.array([is_good_for_clustering(meta[int(i)][1], meta[int(i)][2], model_id) for i in ids], bool)
    params = params or cluster_params_for(model_id, thresholds_for(conn, model_id))
    labels = cluster_embeddings(emb, photo_ids=photo_ids, good=good, params=params,
                                progress=progress, cancel=cancel)
    n = int(labels.max()) + 1 if len(labels) and labels.max() >= 0 else 0
    with transaction(conn):
        conn.executemany("UPDATE faces SET cluster_id = ? WHERE id = ?",
                         [(first_id + int(lab), int(fid)) for fid, lab in zip(ids, labels) if lab >= 0])
    return n


def organize(conn: sqlite3.Connection, params: ClusterParams | None = None, progress=None,
             cancel: CancelToken | None = None) -> OrganizeReport:
    """Match, then cluster, for every model in the library."""
    report = OrganizeReport()
    next_id = 1
    for model_id in models_in_library(conn):
        m: MatchReport = match_faces(conn, model_id, cancel=cancel)
        n = cluster_model(conn, model_id, next_id, params, progress, cancel)
        next_id += n
        report.models[model_id] = {"matched": m.assigned, "suggested": m.suggested, "clusters": n}
    return report
